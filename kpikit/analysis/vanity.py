"""Vanity vs value: rank segments by the KPI people are paid on and by the real outcome.

A campaign can lead on CTR and trail on cost per opportunity. This view ranks
the same segments both ways, measures how far the two rankings agree
(Kendall's tau-b: +1 same order, 0 unrelated, -1 reversed) and flags the
segments that are *top by vanity, bottom by value* (and the reverse), which
is exactly where a KPI bonus pays for the wrong thing.

=========================  =====================================================
name                       what it is
=========================  =====================================================
:data:`VANITY_KPIS`        the KPIs people are paid on (each a core measure)
:func:`rank_values`        the ranking rule: 1 = best, ties share, missing last
:func:`rank_agreement`     the agreement rule (Kendall's tau-b), used by this
                           report and by the workshop alike; raw flags by thirds
                           (the report flags with :func:`~kpikit.analysis.shrink.honest_flags`)
:func:`kpi_ladder`         segments best first on a KPI, cumulated: how
                           narrowing games a KPI target (the incentive simulator)
:func:`vanity_vs_value`    the report view
=========================  =====================================================

Column traps are flagged too: CTR computed from Meta "Clicks (all)" or
LinkedIn "Clicks" (which count likes, shares and profile expands) instead of
link / landing-page clicks flatters a campaign without a single extra visit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.costs import OUTCOMES, cost_table
from kpikit.analysis.segments import SEGMENT_MEASURES, segment_table
from kpikit.analysis.shrink import honest_flags
from kpikit.analysis.stats import MIN_OUTCOMES, safe_divide
from kpikit.core.measures import MEASURES, Measure
from kpikit.core.result import Result, json_safe, records
from kpikit.errors import OptionError

__all__ = [
    "VANITY_KPIS",
    "VanityKPI",
    "rank_values",
    "rank_agreement",
    "RankAgreement",
    "kpi_ladder",
    "vanity_vs_value",
    "VanityResult",
    "column_traps",
]


@dataclass(frozen=True)
class VanityKPI:
    """A KPI someone may be paid on: a measure of :data:`kpikit.core.measures.MEASURES` under the name
    reports and configs use for it (``leads`` is the measure ``lead``).

    Examples
    --------
    >>> kpi = VANITY_KPIS["cpc"]
    >>> kpi.label, kpi.higher_is_better, kpi.compute({"cost": [10.0, 6.0], "clicks": [5, 0]}).tolist()
    ('CPC', False, [2.0, nan])
    """

    name: str
    measure: Measure

    @property
    def label(self) -> str:
        return self.measure.label

    @property
    def kind(self) -> str:
        return self.measure.kind

    @property
    def higher_is_better(self) -> bool:
        return self.measure.higher_is_better

    @property
    def description(self) -> str:
        return self.measure.description

    def compute(self, totals: Mapping[str, Any]) -> np.ndarray:
        """The KPI of summed columns: a cost table, a segment frame or a dict of arrays."""
        return np.asarray(self.measure.compute(totals), dtype="float64")


# Registry names (as in metrics.json and client configs) -> measure, in the order pickers and
# error messages list them. Every one is a vanity measure of the core registry.
_NAMES: dict[str, str] = {
    "ctr": "ctr",
    "cpc": "cpc",
    "cpm": "cpm",
    "clicks": "clicks",
    "visits": "visits",
    "impressions": "impressions",
    "engagements": "engagements",
    "cost_per_engagement": "cost_per_engagement",
    "leads": "lead",
    "cost_per_lead": "cost_per_lead",
}
#: Vanity KPIs by name (registry: add one with ``VANITY_KPIS[name] = VanityKPI(name, MEASURES[...])``).
VANITY_KPIS: dict[str, VanityKPI] = {name: VanityKPI(name, MEASURES[m]) for name, m in _NAMES.items()}


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


def rank_values(values, higher_is_better: bool = True, valid=None) -> np.ndarray:
    """1-based ranks, 1 = best; ties share the best rank; a missing value ranks last.

    Rows outside ``valid`` (default: every row) are not ranked (NaN).

    Examples
    --------
    >>> rank_values([0.05, 0.02, float("nan"), 0.05]).tolist()
    [1.0, 3.0, 4.0, 1.0]
    >>> rank_values([500.0, float("nan"), 1000.0], higher_is_better=False, valid=[True, True, False]).tolist()
    [1.0, 2.0, nan]
    """
    values = np.asarray(values, dtype="float64")
    valid = np.ones(len(values), dtype=bool) if valid is None else np.asarray(valid, dtype=bool)
    # Best first; missing (and unranked) values sort last as +inf. A value's rank is 1 + the number of
    # values strictly better: pandas' rank(method="min", na_option="bottom"), without a Series per call
    # (the workshop ranks on every interaction).
    key = np.where(valid & ~np.isnan(values), -values if higher_is_better else values, np.inf)
    ranks = np.searchsorted(np.sort(key), key, side="left") + 1.0
    return np.where(valid, ranks, np.nan)


@dataclass(frozen=True)
class RankAgreement:
    """How far the ranking by a vanity KPI agrees with the ranking by value.

    Attributes
    ----------
    vanity_rank, value_rank : ndarray
        1 = best; NaN for segments that are not ranked.
    ranked : ndarray of bool
        The segments ranked.
    n : int
        How many.
    tau, p : float or None
        Kendall's tau-b between the two rankings (+1 same order, 0 unrelated, -1 reversed)
        and its p-value; None with fewer than 3 ranked segments.
    flag : ndarray of str
        ``'top by vanity, bottom by value'``, ``'bottom by vanity, top by value'`` or empty,
        by thirds of the ranking.
    """

    vanity_rank: np.ndarray
    value_rank: np.ndarray
    ranked: np.ndarray
    n: int
    tau: float | None
    p: float | None
    flag: np.ndarray


def rank_agreement(
    vanity_values,
    value_values,
    *,
    vanity_higher_is_better: bool = True,
    value_higher_is_better: bool = False,
    ranked=None,
) -> RankAgreement:
    """Rank segments by a vanity KPI and by value; Kendall's tau-b between the rankings; flags by thirds.

    The one agreement rule of kpikit: the report (:func:`vanity_vs_value`, ``metrics.json``
    ``vanity.kendall_tau``) and the workshop's outcome switch both compute it here.

    Parameters
    ----------
    vanity_values, value_values : array-like
        Per segment: the vanity KPI, and the value (a cost per outcome, or value per spend).
    vanity_higher_is_better, value_higher_is_better : bool
        Directions (default: a higher KPI is better, a lower cost per outcome is better).
    ranked : array-like of bool, optional
        Segments to rank (default: those with a vanity value). A ranked segment without a
        value (spend but no outcome yet) ranks last on value, which is where it belongs.

    Returns
    -------
    RankAgreement

    Examples
    --------
    >>> a = rank_agreement([0.09, 0.02, 0.04], [300.0, 25.0, 50.0])  # CTR vs cost per won deal
    >>> a.vanity_rank.tolist(), a.value_rank.tolist(), a.tau
    ([1.0, 3.0, 2.0], [3.0, 1.0, 2.0], -1.0)
    >>> a.flag.tolist()
    ['top by vanity, bottom by value', 'bottom by vanity, top by value', '']
    """
    v = np.asarray(vanity_values, dtype="float64")
    w = np.asarray(value_values, dtype="float64")
    ranked = ~np.isnan(v) if ranked is None else np.asarray(ranked, dtype=bool)
    vr = rank_values(v, vanity_higher_is_better, ranked)
    wr = rank_values(w, value_higher_is_better, ranked)
    n = int(ranked.sum())
    third = max(1, math.ceil(n / 3)) if n >= 2 else 0
    flag = np.full(len(v), "", dtype=object)
    if third:
        top_v, bot_v = vr <= third, vr > n - third
        top_w, bot_w = wr <= third, wr > n - third
        flag[ranked & top_v & bot_w] = "top by vanity, bottom by value"
        flag[ranked & bot_v & top_w] = "bottom by vanity, top by value"
    tau = p = None
    if n >= 3:
        from scipy.stats import kendalltau  # scipy.stats costs ~0.2 s to import: only when there is a ranking

        res = kendalltau(vr[ranked], wr[ranked])
        tau = None if np.isnan(res.statistic) else float(res.statistic)
        p = None if np.isnan(res.pvalue) else float(res.pvalue)
    return RankAgreement(vr, wr, ranked, n, tau, p, flag.astype(str))


def kpi_ladder(values: np.ndarray, columns: Sequence[str], kpi: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Segments best first on ``kpi``, and the KPI of every top-k: the path of narrowing to please it.

    A KPI bonus can be met by keeping only the segments that flatter the KPI. The ladder
    ranks the segments with impressions on ``kpi`` (missing KPI last) and sums them in that
    order, so row ``k - 1`` of the cumulative totals is "the best ``k`` segments together".

    Parameters
    ----------
    values : ndarray
        ``values[i, j]`` is segment ``i``'s summed ``columns[j]``.
    columns : sequence of str
        Column names, at least ``impressions`` and what ``kpi`` needs.
    kpi : str
        A measure of :data:`kpikit.core.measures.MEASURES` (``ctr``, ``clicks``, ``cpc``...).

    Returns
    -------
    (order, cumulative, kpi_of_top_k) : tuple of ndarray
        Row indices best first, cumulative totals in that order, the KPI of each top-k.

    Examples
    --------
    >>> import numpy as np
    >>> values = np.array([[1000.0, 10.0], [500.0, 25.0], [0.0, 0.0], [2000.0, 20.0]])  # impressions, clicks
    >>> order, cum, ctr = kpi_ladder(values, ["impressions", "clicks"], "ctr")
    >>> order.tolist(), ctr.round(4).tolist()
    ([1, 0, 3], [0.05, 0.0233, 0.0157])
    """
    m = MEASURES[kpi]
    cols = list(columns)
    idx = np.nonzero(values[:, cols.index("impressions")] > 0)[0]
    seg = np.asarray(m.compute({c: values[idx, j] for j, c in enumerate(cols)}), dtype="float64")
    bad = -np.inf if m.higher_is_better else np.inf
    key = np.where(np.isnan(seg), bad, seg)
    order = idx[np.argsort(-key if m.higher_is_better else key, kind="stable")]
    cum = np.cumsum(values[order], axis=0)
    kpis = np.asarray(m.compute({c: cum[:, j] for j, c in enumerate(cols)}), dtype="float64")
    return order, cum, kpis


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
        using thirds of the ranking on shrunk rates, and never "top by value" with fewer than
        10 outcomes or when the segment cannot be told apart from the typical one
        (:func:`~kpikit.analysis.shrink.honest_flags`); ``small_sample`` marks fewer than 10 outcomes.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"] * 3),
    ...     "platform": ["meta"] * 3, "campaign": ["Retarget", "Prospect", "Lookalike"],
    ...     "impressions": [1000, 1000, 1000], "clicks": [90, 20, 40], "cost": [300.0, 300.0, 300.0],
    ...     "currency": ["EUR"] * 3, "reported_leads": [30, 45, 35], "reported_outcomes": [1, 30, 12]}))
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
        raise OptionError("vanity", vanity, VANITY_KPIS, what="vanity KPI")
    p = prepare(model)
    outcome = outcome or p.real_outcome
    allowed = [*OUTCOMES, "pipeline", "revenue"]
    if outcome not in allowed:
        raise OptionError("outcome", outcome, allowed)
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
    agree = rank_agreement(
        v,
        value,
        vanity_higher_is_better=kpi.higher_is_better,
        value_higher_is_better=value_higher,
        ranked=(cost > 0) & ~np.isnan(v) & ~np.isnan(count),
    )
    n, tau, pval = agree.n, agree.tau, agree.p
    frame = costs[dims].copy()
    frame["cost"] = cost
    frame[vanity] = v
    frame["vanity_rank"] = agree.vanity_rank
    frame[outcome] = count
    frame[value_name] = value
    frame["value_rank"] = agree.value_rank
    frame["small_sample"] = ~(count >= MIN_OUTCOMES)
    # Flags follow the honest-ranking rule (shrunk rates, enough outcomes, told apart from the typical
    # segment: kpikit.analysis.shrink.honest_flags); ranks and tau stay the raw ones above.
    deals = costs[{"pipeline": "opportunity", "revenue": "won"}.get(outcome, outcome)].to_numpy(dtype="float64")
    money_rank = agree.value_rank if outcome in ("pipeline", "revenue") else None
    frame["flag"] = honest_flags(agree.vanity_rank, deals, cost, agree.ranked, value_rank=money_rank)
    frame = frame.sort_values(["vanity_rank", *dims], na_position="last", kind="stable").reset_index(drop=True)

    traps = column_traps(model)
    notes = list(p.notes)
    if tau is not None:
        verdict = "agree" if tau > 0.3 else ("disagree" if tau < -0.3 else "are barely related")
        notes.append(
            f"Ranking by {kpi.label} and by {value_name.replace('_', ' ')} {verdict}: Kendall tau = {tau:+.2f} "
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
