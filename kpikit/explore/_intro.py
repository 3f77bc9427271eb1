"""The workshop's header: who the client is, the period, paid spend and outcomes, and what is unattributed.

Examples
--------
>>> from kpikit.samples import synthetic_model
>>> "leads" in intro_widget(synthetic_model(2_000, 6_000, seed=1)).value
True
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w
import pandas as pd

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES
from kpikit.explore.precompute import precompute

__all__ = ["intro_widget"]


def intro_widget(model: Any) -> w.HTML:
    """Client, data period, paid spend and outcomes; what could not be attributed to paid media."""
    cube = precompute(model)
    f = cube.facts
    paid = cube.paid
    cur = cube.currency
    out = cube.real_outcome
    weeks = f["week"].dropna()
    period = f"{weeks.min():%d %b %Y} – {(weeks.max() + pd.Timedelta(days=6)):%d %b %Y}" if len(weeks) else "–"
    name = getattr(getattr(model, "config", None), "name", None) or cube.client
    rec = cube.reconciliation
    unatt = rec.get("leads_unattributed", 0.0)
    text = (
        f"<div class='kpk-intro' style='font-size:15px'><b>{html.escape(str(name))}</b> · {period} · "
        f"paid spend {html.escape(fmt(paid['cost'].sum(), 'money', cur))} · {fmt(paid['lead'].sum(), 'count')} leads · "
        f"{fmt(paid[out].sum(), 'count')} {html.escape(MEASURES[out].label)} from paid media"
    )
    if unatt:
        text += (
            f"<br><span class='kpk-note'>{fmt(unatt, 'count')} leads came from no paid campaign "
            "and are not in these explorers.</span>"
        )
    return w.HTML(text + "</div>")
