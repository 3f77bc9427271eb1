"""Cost per outcome: what each stage of the funnel really costs, per segment.

Delivery ratios (CPM, CTR, CPC) sit beside the cost per lead, MQL, SQL,
opportunity, won deal and key account engaged, pipeline and revenue per unit
of spend, and CAC. A zero denominator is *no outcome yet*: the value is missing
(NaN in frames, ``null`` in JSON), never ``inf``. The real outcome's cost
carries an interval (exact Poisson on the count) and a status.

**The one definition of the headline cost per real outcome** is :func:`headline_cost`:
paid-media spend divided by the real outcomes attributed to a paid campaign
(:data:`HEADLINE_DEFINITION`). The blended figure (all outcomes, organic and
unattributed included, over the same spend) is returned beside it and always
labelled as blended (:data:`BLENDED_DEFINITION`); every view that prints a cost
per real outcome takes both from here, with :func:`headline_sentence`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.segments import SEGMENT_MEASURES, segment_table
from kpikit.analysis.stats import MIN_OUTCOMES, cost_per_outcome_interval, wilson_interval
from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, Measure, label, safe_divide
from kpikit.core.measures import OUTCOMES as OUTCOME_NAMES
from kpikit.core.names import NOT_SET
from kpikit.core.result import Result, json_safe, records

__all__ = [
    "OUTCOMES",
    "cost_per_outcome",
    "cost_table",
    "CostResult",
    "STATUS",
    "headline_cost",
    "headline_sentence",
    "HEADLINE_DEFINITION",
    "BLENDED_DEFINITION",
]


#: Outcomes a cost can be computed for (name -> its measure in :data:`kpikit.core.measures.MEASURES`).
#: ``key_account`` counts distinct target accounts engaged; ``customers`` distinct won accounts.
OUTCOMES: dict[str, Measure] = {name: MEASURES[name] for name in OUTCOME_NAMES}

#: Status of a segment's cost per real outcome.
STATUS = {
    "ok": "enough outcomes to compare",
    "too few outcomes": f"fewer than {MIN_OUTCOMES} outcomes: the interval is wide, do not rank on it",
    "no outcome yet": "spend but no outcome: cost per outcome is undefined, not infinite",
    "no spend": "outcomes with no matched spend (organic, untagged, or a campaign name that matches nothing)",
    "not measured": "the data has no way to count this outcome",
    "no data": "no spend and no outcome",
}


def cost_table(table: pd.DataFrame, real_outcome: str = "opportunity", confidence: float = 0.95) -> pd.DataFrame:
    """Cost ratios from a :func:`~kpikit.analysis.segments.segment_table` (vectorised, no model needed).

    Parameters
    ----------
    table : DataFrame
        Output of ``segment_table`` (or any frame with its measure columns).
    real_outcome : str
        Which outcome gets the interval and the status column.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"campaign": ["A", "B"], "impressions": [1000.0, 0.0], "clicks": [20.0, 0.0],
    ...     "cost": [200.0, 0.0], "lead": [4.0, 1.0], "opportunity": [0.0, 0.0]})
    >>> cost_table(t, "opportunity")[["campaign", "ctr", "cpc", "cost_per_lead", "cost_per_opportunity", "status"]]
      campaign   ctr   cpc  cost_per_lead  cost_per_opportunity          status
    0        A  0.02  10.0           50.0                   NaN  no outcome yet
    1        B   NaN   NaN            NaN                   NaN        no spend
    """
    dims = [c for c in table.columns if c not in SEGMENT_MEASURES]
    n_rows = len(table)

    def col(name: str) -> np.ndarray:
        if name not in table.columns:
            return np.full(n_rows, np.nan)
        return table[name].to_numpy(dtype="float64", na_value=np.nan)

    cost, imp, clicks = col("cost"), col("impressions"), col("clicks")
    # Columns are collected in a dict and framed once: inserting ~40 columns one by one costs
    # more than the arithmetic on a workshop-sized table.
    out: dict[str, Any] = {d: table[d].to_numpy() for d in dims}
    out.update(cost=cost, impressions=imp, clicks=clicks, clicks_all=col("clicks_all"), engagements=col("engagements"))
    out["cpm"] = safe_divide(cost * 1000.0, imp)
    out["ctr"] = safe_divide(clicks, imp)
    out["ctr_low"], out["ctr_high"] = wilson_interval(clicks, imp, confidence)
    out["cpc"] = safe_divide(cost, clicks)
    counts = {name: col(name) for name in OUTCOMES}
    out.update(counts)
    spent = cost > 0
    for name, n in counts.items():
        if name != "customers":
            # No spend: the cost per outcome is unknown (organic or unmatched), not 0.
            out[f"cost_per_{name}"] = np.where(spent, safe_divide(cost, n), np.nan)
    out["cac"] = np.where(spent, safe_divide(cost, counts["customers"]), np.nan)
    out["pipeline"], out["revenue"] = col("pipeline"), col("revenue")
    out["pipeline_per_cost"] = safe_divide(out["pipeline"], cost)
    out["revenue_per_cost"] = safe_divide(out["revenue"], cost)

    k = col(real_outcome)
    lo, hi = cost_per_outcome_interval(cost, k, confidence)
    out["real_outcome"] = k
    out["cost_per_real_outcome"] = np.where(spent, safe_divide(cost, k), np.nan)
    out["cost_per_real_outcome_low"] = np.where(spent, lo, np.nan)
    out["cost_per_real_outcome_high"] = np.where(spent, hi, np.nan)
    any_outcome = (k > 0) | (col("lead") > 0)
    out["status"] = np.select(
        [np.isnan(k), ~spent & any_outcome, ~spent, k == 0, k < MIN_OUTCOMES],
        ["not measured", "no spend", "no data", "no outcome yet", "too few outcomes"],
        default="ok",
    )
    frame = pd.DataFrame(out, index=pd.RangeIndex(n_rows))
    for d in dims:
        frame[d] = frame[d].astype(table[d].dtype)
    return frame


@dataclass(frozen=True, eq=False, kw_only=True)
class CostResult(Result):
    """Cost per outcome per segment. ``frame``: one row per segment; ``totals``: the whole account."""

    view = "costs"
    title = "Cost per outcome"

    by: tuple[str, ...]
    real_outcome: str
    totals: dict[str, Any]

    def _extra(self) -> dict[str, Any]:
        return {"by": list(self.by), "real_outcome": self.real_outcome, "totals": self.totals}

    def chart(self):
        from kpikit import charts

        return charts.cost_chart(self.frame, by=self.by[0] if self.by else None, real_outcome=self.real_outcome)


def cost_per_outcome(model, by="campaign", period=None, *, confidence: float = 0.95) -> CostResult:
    """CPM, CTR, CPC and the cost of every outcome per segment, with the real outcome's interval.

    Parameters
    ----------
    model : ClientModel
    by : str or list of str, optional
        Segment columns (see :func:`~kpikit.analysis.segments.segment_table`).
    period : str, optional
        Also split by period (``'W'``, ``'M'``...).

    Returns
    -------
    CostResult

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"] * 2),
    ...     "platform": ["meta"] * 2, "campaign": ["Likes", "Demo"], "impressions": [10000, 2000],
    ...     "clicks": [400, 20], "cost": [400.0, 300.0], "currency": ["EUR"] * 2}))
    >>> deals = conform("deals", pd.DataFrame({"deal_id": ["d1", "d2", "d3"], "campaign": ["demo"] * 3,
    ...     "created_date": pd.to_datetime(["2024-01-10"] * 3), "amount": [1000.0, 2000.0, 500.0],
    ...     "is_won": [True, False, False]}))
    >>> r = cost_per_outcome(ClientModel(spend=spend, deals=deals), by="campaign")
    >>> r.to_frame()[["campaign", "ctr", "cost_per_opportunity", "status"]]
      campaign   ctr  cost_per_opportunity            status
    0     Demo  0.01                 100.0  too few outcomes
    1    Likes  0.04                   NaN    no outcome yet
    >>> r.totals["pipeline_per_cost"]
    5.0
    >>> r.to_dict()["rows"][1]["cost_per_opportunity"] is None
    True
    """
    p = prepare(model)
    table = segment_table(model, by=by, period=period)
    dims = [c for c in table.columns if c not in SEGMENT_MEASURES]
    frame = cost_table(table, p.real_outcome, confidence)
    totals_frame = cost_table(segment_table(model), p.real_outcome, confidence)
    totals = records(totals_frame)[0]
    notes = list(p.notes)
    ns = frame["status"].value_counts().to_dict()
    if ns.get("no outcome yet"):
        notes.append(
            f"{ns['no outcome yet']} segment(s) spent money with no {p.real_outcome} yet: "
            "their cost per outcome is shown as missing, not zero or infinite."
        )
    if ns.get("too few outcomes"):
        notes.append(f"{ns['too few outcomes']} segment(s) have fewer than {MIN_OUTCOMES} outcomes: do not rank them.")
    if ns.get("no spend"):
        notes.append(f"{ns['no spend']} segment(s) have outcomes but no matched spend (see match_campaigns).")
    return CostResult(
        frame=frame,
        currency=p.currency,
        by=tuple(dims),
        real_outcome=p.real_outcome,
        totals=json_safe(totals),
        notes=tuple(notes),
    )


#: The headline cost per real outcome, in words (``{outcomes}`` is the outcome's plural label).
HEADLINE_DEFINITION = (
    "Cost per real outcome = paid-media spend / {outcomes} attributed to a paid campaign (a campaign "
    "with ad spend); {outcomes} from organic search, direct, email, events or campaign names that match "
    "no ad spend are left out."
)
#: The blended figure, in words: always printed with the word "blended".
BLENDED_DEFINITION = (
    "Blended cost per real outcome = the same spend / all {outcomes}, organic and unattributed included: "
    "lower than the paid-media figure, and not what the media bought."
)


def headline_cost(model) -> dict[str, Any]:
    """The headline cost per real outcome (paid media) and the blended one, with counts and definitions.

    The one place kpikit defines the cost per real outcome a report, an index or a workshop
    puts in front of a client: paid-media spend divided by the real outcomes attributed to a
    campaign with ad spend. Outcomes with no such campaign (organic, direct, email, events,
    unmatched campaign names) are counted only in the *blended* figure, which divides the
    same spend by every outcome and must always be labelled blended.

    Parameters
    ----------
    model : ClientModel

    Returns
    -------
    dict
        ``outcome``, ``cost_per_real_outcome_paid``, ``paid_outcomes``, ``paid_spend``,
        ``cost_per_real_outcome_blended``, ``all_outcomes``, ``unattributed_outcomes``,
        ``definition``, ``blended_definition`` (JSON-safe; a cost is None with no outcome or
        no spend). Key accounts are distinct per platform: an account engaged through two
        platforms counts on each, so ``paid_outcomes`` can then exceed its true number.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"]), "platform": ["meta"],
    ...     "campaign": ["Demo"], "impressions": [1000], "clicks": [20], "cost": [900.0], "currency": ["EUR"]}))
    >>> deals = conform("deals", pd.DataFrame({"deal_id": ["d1", "d2", "d3", "d4"],
    ...     "campaign": ["demo", "demo", "demo", None], "created_date": pd.to_datetime(["2024-01-10"] * 4)}))
    >>> h = headline_cost(ClientModel(spend=spend, deals=deals))
    >>> h["cost_per_real_outcome_paid"], h["paid_outcomes"], h["cost_per_real_outcome_blended"], h["all_outcomes"]
    (300.0, 3, 225.0, 4)
    >>> print(headline_sentence(h, "EUR"))
    EUR 300.00 per opportunity from paid media (3 opportunities for EUR 900.00 of paid spend); blended over all 4 opportunities, organic and unattributed included: EUR 225.00.
    """
    p = prepare(model)
    outcome = p.real_outcome
    t = segment_table(model, by="platform")
    paid = t[t["platform"] != NOT_SET]
    k_paid = paid[outcome].sum(min_count=1)
    k_all = t[outcome].sum(min_count=1)
    spend_paid = float(paid["cost"].sum())
    spend_all = float(t["cost"].sum())

    def cost_per(spend: float, k: float) -> float | None:
        return spend / float(k) if spend > 0 and k == k and k > 0 else None

    def count(k: float) -> int | None:
        return None if k != k else int(round(float(k)))

    words = label(outcome)
    return json_safe(
        {
            "outcome": outcome,
            "cost_per_real_outcome_paid": cost_per(spend_paid, k_paid),
            "paid_outcomes": count(k_paid),
            "paid_spend": spend_paid,
            "cost_per_real_outcome_blended": cost_per(spend_all, k_all),
            "all_outcomes": count(k_all),
            "unattributed_outcomes": None if k_all != k_all else count(k_all - (0.0 if k_paid != k_paid else k_paid)),
            "definition": HEADLINE_DEFINITION.format(outcomes=words),
            "blended_definition": BLENDED_DEFINITION.format(outcomes=words),
        }
    )


def headline_sentence(headline: dict[str, Any], currency: str = "") -> str:
    """The headline cost as one sentence, paid media first and the blended figure labelled (figures via ``fmt``).

    ``headline`` is :func:`headline_cost`'s dict (or ``metrics.json``'s ``headline``).
    """
    outcome = headline["outcome"]
    one, many = label(outcome, plural=False), label(outcome)
    paid = headline.get("cost_per_real_outcome_paid")
    k = headline.get("paid_outcomes")
    if paid is None:
        text = f"No {one} from paid media yet: the cost per {one} cannot be computed"
    else:
        text = (
            f"{fmt(paid, 'money', currency)} per {one} from paid media ({fmt(k, 'count')} "
            f"{label(outcome, plural=k != 1)} for {fmt(headline['paid_spend'], 'money', currency)} of paid spend)"
        )
    blended = headline.get("cost_per_real_outcome_blended")
    if blended is not None and headline.get("all_outcomes") != k:
        text += (
            f"; blended over all {fmt(headline['all_outcomes'], 'count')} {many}, organic and unattributed "
            f"included: {fmt(blended, 'money', currency)}"
        )
    return text + "."
