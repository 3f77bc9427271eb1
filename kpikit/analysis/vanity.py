"""Vanity vs value: rank segments by the KPI people are paid on and by the real outcome.

A campaign can lead on CTR and trail on cost per opportunity. This view ranks
the same segments both ways, measures how far the two rankings agree
(Kendall's tau-b: +1 same order, 0 unrelated, -1 reversed) and flags the
segments that are *top by vanity, bottom by value* (and the reverse), which
is exactly where a KPI bonus pays for the wrong thing.

Column traps are flagged too: CTR computed from Meta "Clicks (all)" or
LinkedIn "Clicks" (which count likes, shares and profile expands) instead of
link / landing-page clicks flatters a campaign without a single extra visit.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._base import Result, json_safe, records
from kpikit.analysis._prepare import prepare
from kpikit.analysis.costs import OUTCOMES, cost_table
from kpikit.analysis.segments import SEGMENT_MEASURES, segment_table
from kpikit.analysis.stats import MIN_OUTCOMES, safe_divide
from kpikit.errors import KpikitError

__all__ = ["VANITY_KPIS", "VanityKPI", "vanity_vs_value", "VanityResult", "column_traps"]


@dataclass(frozen=True)
class VanityKPI:
    """A KPI someone may be paid on: how to compute it from the cost table and which way is better."""

    name: str
    label: str
    compute: Callable[[pd.DataFrame], np.ndarray]
    higher_is_better: bool
    description: str


def _col(name: str) -> Callable[[pd.DataFrame], np.ndarray]:
    return lambda t: t[name].to_numpy(dtype="float64")


#: Vanity KPIs by name (registry: add one with ``VANITY_KPIS[name] = VanityKPI(...)``).
VANITY_KPIS: dict[str, VanityKPI] = {
    k.name: k
    for k in (
        VanityKPI("ctr", "CTR", _col("ctr"), True, "link clicks / impressions"),
        VanityKPI("cpc", "CPC", _col("cpc"), False, "cost / link click"),
        VanityKPI("cpm", "CPM", _col("cpm"), False, "cost per 1,000 impressions"),
        VanityKPI("clicks", "clicks", _col("clicks"), True, "link clicks"),
        VanityKPI("visits", "visits", _col("clicks"), True, "landing-page visits (link clicks)"),
        VanityKPI("impressions", "impressions", _col("impressions"), True, "times shown"),
        VanityKPI("engagements", "engagements", _col("engagements"), True, "likes, shares, comments"),
        VanityKPI(
            "cost_per_engagement",
            "cost per engagement",
            lambda t: safe_divide(t["cost"], t["engagements"]),
            False,
            "cost / engagement (cost per like)",
        ),
        VanityKPI("leads", "leads", _col("lead"), True, "leads / enquiries, qualified or not"),
        VanityKPI("cost_per_lead", "cost per lead", _col("cost_per_lead"), False, "cost / lead"),
    )
}


@dataclass(frozen=True, eq=False, kw_only=True)
class VanityResult(Result):
    """``frame``: per segment the vanity value and rank, the outcome value and rank, flags.

    ``kendall_tau`` (None with fewer than 3 ranked segments), ``traps``: column-trap table.
    """

    view = "vanity"
    title = "Vanity vs value"

    by: tuple[str, ...]
    vanity: str
    outcome: str
    kendall_tau: float | None
    kendall_p: float | None
    traps: pd.DataFrame

    def _extra(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "vanity": self.vanity,
            "outcome": self.outcome,
            "kendall_tau": self.kendall_tau,
            "kendall_p": self.kendall_p,
            "traps": records(self.traps),
        }

    def _extra_frames(self) -> dict[str, pd.DataFrame]:
        return {"Column traps": self.traps}

    def chart(self):
        from kpikit import charts

        return charts.vanity_chart(self.frame, by=self.by[0] if self.by else "segment", vanity=self.vanity)


def column_traps(model, threshold: float = 1.05) -> pd.DataFrame:
    """Per platform: CTR on link clicks vs CTR on all clicks, and whether the gap is a trap.

    ``inflation`` is ``clicks_all / clicks``; ``trap`` is True above ``threshold``.
    """
    p = prepare(model)
    hit = p.segment_cache.get(("traps", threshold))
    if hit is None:
        hit = p.segment_cache[("traps", threshold)] = _column_traps(p, threshold)
    return hit.copy()


def _column_traps(p, threshold: float) -> pd.DataFrame:
    sp = p.spend
    cols = ["platform", "impressions", "clicks", "clicks_all", "ctr", "ctr_all_clicks", "inflation", "trap"]
    if len(sp) == 0 or sp["clicks_all"].isna().all():
        return pd.DataFrame(columns=cols)
    g = sp.assign(_ca=sp["clicks_all"].astype("float64"), _c=sp["clicks"].astype("float64"))
    g = (
        g[g["_ca"].notna()]
        .groupby("platform")
        .agg(impressions=("impressions", "sum"), clicks=("_c", "sum"), clicks_all=("_ca", "sum"))
    )
    g = g.reset_index()
    g["impressions"] = g["impressions"].astype("float64")
    g["ctr"] = safe_divide(g["clicks"], g["impressions"])
    g["ctr_all_clicks"] = safe_divide(g["clicks_all"], g["impressions"])
    g["inflation"] = safe_divide(g["clicks_all"], g["clicks"])
    g["trap"] = g["inflation"].fillna(np.inf) > threshold
    return g[cols]


def _rank(values: np.ndarray, higher_is_better: bool, valid: np.ndarray) -> np.ndarray:
    s = pd.Series(np.where(valid, values, np.nan))
    r = s.rank(ascending=not higher_is_better, method="min", na_option="bottom")
    return np.where(valid, r.to_numpy(), np.nan)


def vanity_vs_value(model, by="campaign", vanity: str = "ctr", outcome: str | None = None) -> VanityResult:
    """Rank segments by a vanity KPI beside the rank by cost per real outcome.

    Parameters
    ----------
    model : ClientModel
    by : str or list of str
        Segments to compare (campaigns, ad groups, audiences, ``dim_*``...).
    vanity : str
        A key of :data:`VANITY_KPIS` (``ctr``, ``cpc``, ``engagements``, ...).
    outcome : str, optional
        A key of :data:`~kpikit.analysis.costs.OUTCOMES`, or ``pipeline`` /
        ``revenue`` (ranked per unit of spend). Default: the config's real outcome.

    Returns
    -------
    VanityResult
        Ranks are 1 = best. Segments that spent but have no outcome rank last on
        value; segments with no spend are not ranked. ``flag`` is
        ``'top by vanity, bottom by value'``, ``'bottom by vanity, top by value'`` or empty,
        using thirds of the ranking; ``small_sample`` marks fewer than 10 outcomes.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"] * 3),
    ...     "platform": ["meta"] * 3, "campaign": ["Retarget", "Prospect", "Lookalike"],
    ...     "impressions": [1000, 1000, 1000], "clicks": [90, 20, 40], "cost": [300.0, 300.0, 300.0],
    ...     "currency": ["EUR"] * 3, "reported_leads": [30, 20, 25], "reported_outcomes": [1, 12, 6]}))
    >>> from kpikit.config import ClientConfig
    >>> cfg = ClientConfig.from_dict({"client": "x", "currency": "EUR", "funnel": {"real_outcome": "won"}})
    >>> r = vanity_vs_value(ClientModel(spend=spend, config=cfg), vanity="ctr")
    >>> r.to_frame()[["campaign", "vanity_rank", "value_rank", "flag"]]
        campaign  vanity_rank  value_rank                            flag
    0   Retarget          1.0         3.0  top by vanity, bottom by value
    1  Lookalike          2.0         2.0
    2   Prospect          3.0         1.0  bottom by vanity, top by value
    >>> r.kendall_tau
    -1.0
    """
    if vanity not in VANITY_KPIS:
        raise KpikitError(
            "unknown vanity KPI", column="vanity", expected=f"one of {list(VANITY_KPIS)}", found=repr(vanity)
        )
    p = prepare(model)
    outcome = outcome or p.real_outcome
    allowed = [*OUTCOMES, "pipeline", "revenue"]
    if outcome not in allowed:
        raise KpikitError("unknown outcome", column="outcome", expected=f"one of {allowed}", found=repr(outcome))
    table = segment_table(model, by=by)
    dims = [c for c in table.columns if c not in SEGMENT_MEASURES]
    costs = cost_table(table, outcome if outcome in OUTCOMES else p.real_outcome)
    kpi = VANITY_KPIS[vanity]
    v = kpi.compute(costs)
    cost = costs["cost"].to_numpy(dtype="float64")
    if outcome in ("pipeline", "revenue"):
        count = costs[outcome].to_numpy(dtype="float64")
        value = safe_divide(count, cost)
        value_higher = True
        value_name = f"{outcome}_per_cost"
    else:
        count = costs[outcome].to_numpy(dtype="float64")
        value = np.where(cost > 0, safe_divide(cost, count), np.nan)
        value_higher = False
        value_name = f"cost_per_{outcome}"
    ranked = (cost > 0) & ~np.isnan(v) & ~np.isnan(count)
    frame = costs[dims].copy()
    frame["cost"] = cost
    frame[vanity] = v
    frame["vanity_rank"] = _rank(v, kpi.higher_is_better, ranked)
    frame[outcome] = count
    frame[value_name] = value
    # No outcome yet ranks last on value (ties), which is where it belongs.
    frame["value_rank"] = _rank(value, value_higher, ranked)
    frame["small_sample"] = ~(count >= MIN_OUTCOMES)
    n = int(ranked.sum())
    third = max(1, math.ceil(n / 3)) if n >= 2 else 0
    vr = frame["vanity_rank"].to_numpy()
    wr = frame["value_rank"].to_numpy()
    flag = np.full(len(frame), "", dtype=object)
    if third:
        top_v, bot_v = vr <= third, vr > n - third
        top_w, bot_w = wr <= third, wr > n - third
        flag[ranked & top_v & bot_w] = "top by vanity, bottom by value"
        flag[ranked & bot_v & top_w] = "bottom by vanity, top by value"
    frame["flag"] = flag.astype(str)
    frame = frame.sort_values(["vanity_rank", *dims], na_position="last", kind="stable").reset_index(drop=True)

    tau = pval = None
    if n >= 3:
        from scipy.stats import kendalltau

        res = kendalltau(vr[ranked], wr[ranked])
        tau = None if np.isnan(res.statistic) else float(res.statistic)
        pval = None if np.isnan(res.pvalue) else float(res.pvalue)
    traps = column_traps(model)
    notes = list(p.notes)
    if tau is not None:
        agree = "agree" if tau > 0.3 else ("disagree" if tau < -0.3 else "are barely related")
        notes.append(
            f"Ranking by {kpi.label} and by {value_name.replace('_', ' ')} {agree}: Kendall tau = {tau:+.2f} "
            f"over {n} segments."
        )
    else:
        notes.append("Fewer than 3 segments with spend: no rank correlation.")
    for _, row in frame[frame["flag"] != ""].iterrows():
        label = " / ".join(str(row[d]) for d in dims) or "all"
        notes.append(
            f"{label}: {row['flag']} ({kpi.label} rank {int(row['vanity_rank'])}, "
            f"{value_name.replace('_', ' ')} rank {int(row['value_rank'])} of {n})."
        )
    small = int((frame["small_sample"] & frame["vanity_rank"].notna()).sum())
    if small:
        notes.append(f"{small} segment(s) have fewer than {MIN_OUTCOMES} {outcome} outcomes: too few to rank.")
    for _, t in traps[traps["trap"]].iterrows():
        notes.append(
            f"Column trap on {t['platform']}: CTR on all clicks is {t['ctr_all_clicks']:.2%} vs {t['ctr']:.2%} on "
            f"link clicks ({t['inflation']:.1f}x). Report CTR on link clicks."
        )
    return VanityResult(
        frame=frame,
        currency=p.currency,
        by=tuple(dims),
        vanity=vanity,
        outcome=outcome,
        kendall_tau=json_safe(tau),
        kendall_p=json_safe(pval),
        traps=traps,
        notes=tuple(notes),
    )
