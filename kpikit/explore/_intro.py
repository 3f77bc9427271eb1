"""The workshop's header: who the client is, the period, paid spend and outcomes, what is
unattributed, the one cost per real outcome, and the same key findings the report opens with.

The findings engine takes a moment on a large client, so it runs in a thread and fills its
list in when done: the header and the explorers below never wait for it.

Examples
--------
>>> from kpikit.samples import synthetic_model
>>> box = intro_widget(synthetic_model(2_000, 6_000, seed=1))
>>> "leads" in box.children[0].value
True
>>> box.wait(); "Key findings" in box.children[1].value or box.children[1].value == ""
True
"""

from __future__ import annotations

import html
import sys
import threading
import traceback
from typing import Any

import ipywidgets as w
import pandas as pd

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, label
from kpikit.explore.precompute import precompute

__all__ = ["intro_widget"]


class Intro(w.VBox):
    """The header (``children[0]``) and the key findings (``children[1]``, filled in by a thread)."""

    def __init__(self, header: w.HTML, model: Any, currency: str) -> None:
        self.findings = w.HTML("<div class='kpk-note'>Reading the key findings…</div>")
        super().__init__([header, self.findings])
        self.add_class("kpk-intro-box")
        self._thread = threading.Thread(target=self._fill, args=(model, currency), daemon=True)
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the key findings are in (tests, snapshots)."""
        self._thread.join(timeout)

    def _fill(self, model: Any, currency: str) -> None:
        from kpikit.analysis.findings import findings, key_findings

        try:
            top = key_findings(findings(model).items())
        except Exception:  # the header still stands; the terminal gets the traceback
            traceback.print_exc(file=sys.__stderr__)
            self.findings.value = ""
            return
        if not top:
            self.findings.value = ""
            return
        items = []
        for f in top:
            stake = f.get("money_at_stake")
            meta = f" <span class='kpk-note'>Money at stake: {html.escape(fmt(stake, 'money', currency))}</span>"
            items.append(f"<li>{html.escape(str(f['text']))}{meta if stake else ''}</li>")
        self.findings.value = (
            f"<div class='kpk-findings'><b>Key findings</b><ol style='margin:4px 0 0 0'>{''.join(items)}</ol></div>"
        )


def intro_widget(model: Any) -> Intro:
    """Client, data period, paid spend and outcomes, the cost per real outcome, and the key findings."""
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
    head = _headline(model, cur)
    if head:
        text += f"<br>{head}"
    return Intro(w.HTML(text + "</div>"), model, cur)


def _headline(model: Any, currency: str) -> str:
    """The report's headline cost per real outcome (:func:`kpikit.analysis.costs.headline_cost`), in words."""
    from kpikit.analysis.costs import headline_cost

    try:
        h = headline_cost(model)
    except Exception:  # a model the engine cannot read (a bare test cube): no headline, no error
        return ""
    value = h.get("cost_per_real_outcome_paid")
    if value is None:
        return ""
    one = label(h["outcome"], plural=False)
    blended = h.get("cost_per_real_outcome_blended")
    text = (
        f"cost per {html.escape(one)} from paid media <b>{html.escape(fmt(value, 'money', currency))}</b> "
        f"({fmt(h.get('paid_outcomes'), 'count')} {html.escape(label(h['outcome']))})"
    )
    if blended is not None:
        text += (
            f" <span class='kpk-note'>· blended over all {html.escape(label(h['outcome']))}, organic "
            f"included: {html.escape(fmt(blended, 'money', currency))}</span>"
        )
    return text
