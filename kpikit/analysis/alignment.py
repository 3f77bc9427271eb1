"""KPI alignment audit: does the KPI each role is paid on move with the business outcome?

For every role in the client config's ``kpis`` (e.g. campaign manager -> CTR,
head of digital -> clicks, CMO -> pipeline) this compares the KPI's series per
period with the real outcome's series: Pearson correlation, the best lagged
correlation (KPI now vs outcome 1..3 periods later: outcomes follow clicks),
direction agreement (share of period-to-period moves where "KPI got better"
and "outcome went up" agree) and the periods where the KPI improved while the
outcome fell, the situation a bonus should never reward.

Outcomes count on a cohort basis (the lead's period): the most recent periods
are immature and their outcome is still rising.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.costs import OUTCOMES, cost_table
from kpikit.analysis.segments import segment_table
from kpikit.analysis.vanity import VANITY_KPIS
from kpikit.core.result import Result, records

__all__ = ["kpi_alignment", "AlignmentResult", "ALIGNMENT_KPIS", "kpi_series"]

# Higher is better unless listed here.
_LOWER_BETTER = {"cpc", "cpm", "cac", "cost_per_engagement"} | {f"cost_per_{o}" for o in OUTCOMES}


def _kpi_names() -> list[str]:
    names = list(VANITY_KPIS) + list(OUTCOMES) + ["pipeline", "revenue", "cac", "spend", "cost"]
    names += [f"cost_per_{o}" for o in OUTCOMES if o != "customers"]
    names += ["pipeline_per_cost", "revenue_per_cost"]
    return list(dict.fromkeys(names))


#: KPI names a role can be measured on (vanity KPIs, outcomes, costs per outcome, value per spend).
ALIGNMENT_KPIS: tuple[str, ...] = tuple(_kpi_names())


def kpi_series(costs: pd.DataFrame, kpi: str) -> np.ndarray:
    """One KPI's values from a :func:`~kpikit.analysis.costs.cost_table` frame."""
    if kpi in VANITY_KPIS:
        return VANITY_KPIS[kpi].compute(costs)
    if kpi == "spend":
        kpi = "cost"
    return costs[kpi].to_numpy(dtype="float64")


def _corr(a: np.ndarray, b: np.ndarray) -> float | None:
    ok = ~np.isnan(a) & ~np.isnan(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return None
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


@dataclass(frozen=True, eq=False, kw_only=True)
class AlignmentResult(Result):
    """``frame``: one row per role/KPI; ``series``: per period each KPI and the outcome (for the chart)."""

    view = "alignment"
    title = "KPI alignment audit"

    outcome: str
    period: str
    series: pd.DataFrame

    def _extra(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "period": self.period, "series": records(self.series)}

    def chart(self):
        from kpikit import charts

        return charts.alignment_chart(self.series, outcome=self.outcome)


def kpi_alignment(model, period: str = "W", *, kpis: dict[str, str] | None = None, max_lag: int = 3):
    """Per role, whether its KPI moves with the real outcome over time.

    Parameters
    ----------
    model : ClientModel
    period : str
        ``'D'``, ``'W'``, ``'M'``, ``'Q'`` or ``'Y'``.
    kpis : dict, optional
        Role -> KPI; default the config's ``kpis``
        (``campaign_manager: ctr``, ``head_of_digital: clicks``, ``cmo: pipeline`` when none).
    max_lag : int
        Largest lag (periods) tried for the lagged correlation.

    Returns
    -------
    AlignmentResult
        ``frame`` columns: ``role``, ``kpi``, ``periods``, ``correlation``,
        ``best_lag``, ``lagged_correlation``, ``direction_agreement``,
        ``improved_while_outcome_fell`` (count of periods), ``flag``.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> from kpikit.config import ClientConfig
    >>> days = pd.date_range("2024-01-01", periods=4, freq="MS")
    >>> spend = conform("spend", pd.DataFrame({"date": days, "platform": "meta", "campaign": "A",
    ...     "impressions": [1000] * 4, "clicks": [10, 20, 30, 40], "cost": [100.0] * 4, "currency": "EUR",
    ...     "reported_leads": [9, 7, 5, 3], "reported_outcomes": [8, 6, 4, 2]}))
    >>> cfg = ClientConfig.from_dict({"client": "x", "currency": "EUR", "kpis": {"campaign_manager": "ctr"},
    ...     "funnel": {"real_outcome": "won"}})
    >>> r = kpi_alignment(ClientModel(spend=spend, config=cfg), period="M")
    >>> row = r.to_dict()["rows"][0]
    >>> row["kpi"], row["correlation"], row["improved_while_outcome_fell"], row["flag"]
    ('ctr', -1.0, 3, 'KPI improved while the outcome fell')
    """
    p = prepare(model)
    config = getattr(model, "config", None)
    roles = dict(kpis or getattr(config, "kpis", None) or {})
    if not roles:
        roles = {"campaign_manager": "ctr", "head_of_digital": "clicks", "cmo": "pipeline"}
    from kpikit.errors import OptionError

    bad = [k for k in roles.values() if k not in ALIGNMENT_KPIS]
    if bad:
        raise OptionError("kpis", bad[0], ALIGNMENT_KPIS, what="KPI for a role (not one kpikit can compute)",
                          fix="fix the kpis section of the client config")  # fmt: skip
    table = segment_table(model, by="period", period=period)
    costs = cost_table(table, p.real_outcome)
    outcome = p.real_outcome
    y = costs[outcome].to_numpy(dtype="float64") if outcome in costs.columns else np.full(len(costs), np.nan)
    series = pd.DataFrame({"period": costs["period"], outcome: y})
    rows = []
    dy = np.diff(y)
    for role, kpi in roles.items():
        x = kpi_series(costs, kpi)
        series[kpi] = x
        sign = -1.0 if kpi in _LOWER_BETTER else 1.0
        dx = np.diff(x) * sign
        both = ~np.isnan(dx) & ~np.isnan(dy) & (dx != 0) & (dy != 0)
        agree = float(np.mean(np.sign(dx[both]) == np.sign(dy[both]))) if both.any() else None
        fell = int(((dx > 0) & (dy < 0)).sum())
        best_lag, best_corr = None, None
        for lag in range(1, max_lag + 1):
            if len(x) - lag < 3:
                break
            r = _corr(x[:-lag] * sign, y[lag:])
            if r is not None and (best_corr is None or abs(r) > abs(best_corr)):
                best_lag, best_corr = lag, r
        corr = _corr(x * sign, y)
        flag = ""
        if fell:
            flag = "KPI improved while the outcome fell"
        if corr is not None and corr < -0.3:
            flag = flag or "KPI moves against the outcome"
        rows.append(
            {
                "role": role,
                "kpi": kpi,
                "periods": int((~np.isnan(x) & ~np.isnan(y)).sum()),
                "correlation": corr,
                "best_lag": best_lag,
                "lagged_correlation": best_corr,
                "direction_agreement": agree,
                "improved_while_outcome_fell": fell,
                "flag": flag,
            }
        )
    frame = pd.DataFrame(rows)
    notes = list(p.notes)
    notes.append(
        f"Correlations are oriented so that + means 'KPI better goes with more {outcome}' "
        "(for cost KPIs, lower is better)."
    )
    for r in rows:
        if r["improved_while_outcome_fell"]:
            notes.append(
                f"{r['role']}: {r['kpi']} improved while {outcome} fell in {r['improved_while_outcome_fell']} "
                f"of {max(r['periods'] - 1, 0)} period-to-period moves."
            )
    notes.append("Recent periods are immature cohorts: their outcome may still rise.")
    return AlignmentResult(
        frame=frame, currency=p.currency, outcome=outcome, period=str(period), series=series, notes=tuple(notes)
    )
