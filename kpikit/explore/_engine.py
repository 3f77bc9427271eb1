"""Adapters from engine results to the small tables the explorers precompute once."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def engine_attribution(model: Any, outcome: str | None = None) -> tuple[pd.DataFrame, dict[str, Any], tuple[str, ...]]:
    """Long credit table ``model, channel, conversions, revenue, share`` from :func:`kpikit.attribution`."""
    from kpikit.analysis import attribution

    r = attribution(model, outcome=outcome)
    return r.credits[["model", "channel", "conversions", "revenue", "share"]].copy(), dict(r.totals), tuple(r.notes)


def channel_costs(model: Any) -> pd.DataFrame:
    """Paid cost per touchpoint channel: ``channel, cost``.

    A spend campaign belongs to the channel its touchpoints carry most often
    (campaign names compared with the engine's normalisation). Spend whose
    campaign never appears in a touchpoint is kept as channel
    ``"(no touchpoint)"`` so the total still equals the spend total.
    """
    from kpikit.analysis.attribution import NO_TOUCH
    from kpikit.analysis.joins import normalise_names

    tp = model.touchpoints
    spend = model.spend
    skey = normalise_names(spend["campaign"])
    cost = spend["cost"].astype("float64").fillna(0.0)
    by_key = pd.DataFrame({"k": skey, "cost": cost}).groupby("k", dropna=False)["cost"].sum()
    if len(tp):
        t = pd.DataFrame({"k": normalise_names(tp["campaign"]), "channel": tp["channel"].astype("str")}).dropna()
        counts = t.groupby(["k", "channel"], observed=True).size().reset_index(name="n")
        counts = counts.sort_values(["k", "n", "channel"], ascending=[True, False, True]).drop_duplicates("k")
        channel_of = dict(zip(counts["k"], counts["channel"], strict=True))
    else:
        channel_of = {}
    keys = by_key.index.to_numpy(dtype=object)
    channels = np.array([channel_of.get(k, NO_TOUCH) if isinstance(k, str) else NO_TOUCH for k in keys], dtype=object)
    out = pd.DataFrame({"channel": channels, "cost": by_key.to_numpy()})
    return out.groupby("channel", observed=True)["cost"].sum().reset_index()
