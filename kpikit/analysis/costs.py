"""Cost per outcome: what each stage of the funnel really costs, per segment.

Delivery ratios (CPM, CTR, CPC) sit beside the cost per lead, MQL, SQL,
opportunity, won deal and key account engaged, pipeline and revenue per unit
of spend, and CAC. A zero denominator is *no outcome yet*: the value is missing
(NaN in frames, ``null`` in JSON), never ``inf``. The real outcome's cost
carries an interval (exact Poisson on the count) and a status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.segments import SEGMENT_MEASURES, segment_table
from kpikit.analysis.stats import MIN_OUTCOMES, cost_per_outcome_interval, wilson_interval
from kpikit.core.measures import MEASURES, Measure, safe_divide
from kpikit.core.measures import OUTCOMES as OUTCOME_NAMES
from kpikit.core.result import Result, json_safe, records

__all__ = ["OUTCOMES", "cost_per_outcome", "cost_table", "CostResult", "STATUS"]


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
