"""Plan next quarter explorer: weekly spend per platform in, next quarter's pipeline out, week by week.

The forecast is the engine's (:func:`kpikit.analysis.forecast.fit_forecast`: response curves, funnel
rates and lags, what is already in the funnel), fitted once at start-up and simulated per platform on
a grid of spends (:func:`kpikit.explore.precompute.forecast_grid`); a slider move only interpolates
and adds up the simulations (:func:`plan_scenario`), which keeps it within the workshop's 50 ms.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import ipywidgets as w
import numpy as np
import pandas as pd

from kpikit import charts as report_charts
from kpikit.analysis.forecast import CHARTED_STAGES
from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, kind_of, label
from kpikit.errors import KpikitError
from kpikit.explore._base import Explorer, Figure, MissingData, readout_table, slider
from kpikit.explore.precompute import ForecastGrid, forecast_grid
from kpikit.explore.scenarios import ScenarioResult

__all__ = ["PlanQuarterExplorer", "PlanQuarterResult", "plan_scenario", "EXTRAPOLATED", "THIS_PLAN", "CURRENT_PLAN"]

#: What the room reads next to a platform planned above its highest week observed.
EXTRAPOLATED = "extrapolated: no evidence"
THIS_PLAN, CURRENT_PLAN = "this plan", "current plan"
#: Stages in the readout (quarter totals), and the ones charted week by week (the report's chart too).
TOTALLED: tuple[str, ...] = ("lead", "opportunity", "pipeline", "won", "revenue")
CHARTED: tuple[str, ...] = CHARTED_STAGES
_Q = (0.025, 0.10, 0.90, 0.975)
_COLUMNS = ("mean", "low80", "high80", "low95", "high95")


@dataclass(frozen=True, eq=False, kw_only=True)
class PlanQuarterResult(ScenarioResult):
    """Next quarter under a weekly spend plan, beside the current plan.

    ``frame`` (also ``weekly``): ``week, stage, plan, mean, low80, high80, low95, high95`` for
    the charted stages and both plans. ``totals``: per stage, the quarter's expected total under
    each plan and the 80% band of this plan's total (from the simulated quarters, not a sum of
    weekly bands). ``spend``: one row per platform. ``notes`` (also ``warnings``): what the room
    is warned about.
    """

    view: ClassVar[str] = "plan_quarter"
    title: ClassVar[str] = "Plan next quarter: forecast if the plan holds"

    weekly: pd.DataFrame
    totals: dict[str, dict[str, float]]
    spend: tuple[dict[str, Any], ...]
    origin: pd.Timestamp
    horizon_weeks: int
    available: bool = True

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.notes

    @property
    def extrapolated(self) -> tuple[str, ...]:
        """Platforms planned above their highest week observed."""
        return tuple(r["platform"] for r in self.spend if r["extrapolated"])

    @property
    def numbers(self) -> dict[str, Any]:
        return {
            "plan": {r["platform"]: r["planned_weekly"] for r in self.spend},
            "current_plan": {r["platform"]: r["current_weekly"] for r in self.spend},
            "extrapolated": list(self.extrapolated),
            "totals": self.totals,
            "origin": None if pd.isna(self.origin) else self.origin.date().isoformat(),
            "horizon_weeks": self.horizon_weeks,
            "warnings": list(self.notes),
        }

    def _table(self) -> pd.DataFrame:
        return self.weekly


def _stats(grid: ForecastGrid, sims: Mapping[str, np.ndarray], stages: tuple[str, ...]) -> np.ndarray:
    """``mean, low80, high80, low95, high95`` per stage and week: shape (stages, 5, weeks).

    Bands follow the engine's rule: a simulated count is spread over its unit interval before
    the quantiles (else an 80% band of whole numbers holds ~90%), never below zero; the spread is
    fixed per grid, so a slider move does not make the bands flicker.
    """
    out = []
    for stage in stages:
        x = sims[stage]
        spread = x if kind_of(stage) == "money" else x + grid.jitter
        q = np.maximum(np.quantile(spread, _Q, axis=0), 0.0)
        out.append(np.stack([x.mean(axis=0), q[1], q[2], q[0], q[3]]))
    return np.stack(out)


def _weekly(grid: ForecastGrid, plan_stats: np.ndarray, current_stats: np.ndarray, stages: tuple[str, ...]):
    # A slider move only refills the numbers of a table built once: building a frame with text
    # columns costs milliseconds, more than the simulation.
    def template() -> pd.DataFrame:
        H, n = grid.horizon_weeks, len(stages)
        return pd.DataFrame(
            {
                "week": np.tile(grid.weeks, 2 * n),
                "stage": np.tile(np.repeat(np.array(stages, dtype=object), H), 2),
                "plan": np.repeat(np.array([THIS_PLAN, CURRENT_PLAN], dtype=object), n * H),
            }
        )

    frame = grid._memo(f"plan_quarter_table:{stages}", template).copy()
    both = np.concatenate([plan_stats, current_stats])  # (2 * stages, 5, weeks)
    for j, col in enumerate(_COLUMNS):
        frame[col] = both[:, j, :].reshape(-1)
    return frame


def plan_scenario(grid: ForecastGrid, plan: Mapping[str, float]) -> PlanQuarterResult:
    """Next quarter's forecast for a weekly spend plan, next to the current plan.

    Parameters
    ----------
    grid : ForecastGrid
        From :func:`kpikit.explore.precompute.forecast_grid`.
    plan : mapping of str to float
        Weekly spend per platform (reporting currency); platforms left out keep the current plan.

    Returns
    -------
    PlanQuarterResult
    """
    fc = grid.forecaster
    cur = fc.currency
    now = {p: float(fc.current_plan.get(p, 0.0)) for p in grid.platforms}
    planned = {**now, **{p: float(v) for p, v in plan.items() if p in now}}
    sims = grid.simulate(planned)
    base = grid._memo("current_plan", lambda: grid.simulate(now))  # simulated once, beside every plan
    charted = tuple(s for s in CHARTED if not np.isnan(sims[s]).all())  # no deal amounts: no pipeline, no revenue
    current_stats = grid._memo(f"current_stats:{charted}", lambda: _stats(grid, base, charted))
    weekly = _weekly(grid, _stats(grid, sims, charted), current_stats, charted)
    totals = {}
    for stage in TOTALLED:
        q = sims[stage].sum(axis=1)
        if np.isnan(q).all():
            continue
        lo, hi = np.quantile(q, (_Q[1], _Q[2]))
        totals[stage] = {"current": float(base[stage].sum(axis=1).mean()), "plan": float(q.mean()),
                         "low80": float(lo), "high80": float(hi)}  # fmt: skip
    spend, notes = [], [*fc.fit_notes, *fc.amount_notes]
    for p in grid.platforms:
        top = float(fc.max_weekly.get(p, 0.0))
        beyond = planned[p] > top + 1e-9
        spend.append({"platform": p, "current_weekly": now[p], "planned_weekly": planned[p], "highest_week": top,
                      "extrapolated": bool(beyond)})  # fmt: skip
        if beyond:
            notes.append(
                f"{label(p)}: {fmt(planned[p], 'money', cur)} a week is above the highest week observed "
                f"({fmt(top, 'money', cur)}): {EXTRAPOLATED}."
            )
    return PlanQuarterResult(
        currency=cur,
        notes=tuple(notes),
        controls={f"spend:{p}": planned[p] for p in grid.platforms},
        weekly=weekly,
        totals=totals,
        spend=tuple(spend),
        origin=fc.origin,
        horizon_weeks=grid.horizon_weeks,
    )


def _unavailable(reason: str, currency: str) -> PlanQuarterResult:
    empty = pd.DataFrame(columns=["week", "stage", "plan", "mean", "low80", "high80", "low95", "high95"])
    return PlanQuarterResult(currency=currency, notes=(reason,), weekly=empty, totals={}, spend=(),
                             origin=pd.NaT, horizon_weeks=0, available=False)  # fmt: skip


class PlanQuarterExplorer(Explorer):
    """Set next quarter's weekly spend per platform; read the forecast opportunities, pipeline, won deals and revenue.

    Pipeline is the amount of the opportunities created that week; won revenue the amount of the
    deals won. The chart shows each week's expected figure with its 80% and 95% bands, and the current plan
    (the last 13 weeks' average spend) as a dashed line. A platform planned above the highest week
    ever observed says ``extrapolated: no evidence``. Without CRM contacts or with too little
    history the explorer shows why instead of a forecast.
    """

    name = "plan_quarter"
    title = "Plan next quarter: what this spend plan would bring, week by week"

    def __init__(self, model: Any, *, horizon_weeks: int = 13, **kwargs: Any) -> None:
        self.horizon_weeks = horizon_weeks
        self.grid: ForecastGrid | None = None
        super().__init__(model, **kwargs)

    def _prepare(self) -> None:
        try:
            self.grid = forecast_grid(self.cube, horizon_weeks=self.horizon_weeks)
        except MissingData:
            raise
        except KpikitError as exc:  # no contacts, too little history: the room reads why, no sliders
            raise MissingData(f"No forecast for this client: {exc.message}") from exc

    def _controls(self):
        if self.grid is None:
            return {}
        fc = self.grid.forecaster
        controls: dict[str, w.ValueWidget] = {}
        for p, xs in self.grid.grid.items():
            top = float(xs[-1])
            controls[f"spend:{p}"] = slider(
                w.FloatSlider,
                label(p),  # words in the room ("google ads"); the control's key keeps the id
                min=0.0,
                max=top,
                step=max(round(top / 300.0, 0), 1.0),
                value=min(round(fc.current_plan.get(p, 0.0), 0), top),
                readout_format=",.0f",
            )
        return controls

    def compute(self, **spend):
        if self.grid is None:  # _prepare raised: the base shows the notice instead
            return _unavailable(self.unavailable or "", self.cube.currency)
        plan = {k.split(":", 1)[1]: float(v) for k, v in spend.items()}
        return plan_scenario(self.grid, plan)

    def _readout(self, r: PlanQuarterResult) -> str:
        if not r.available:
            return ""
        cur = r.currency
        spend_rows = [
            [
                label(rec["platform"]),
                Figure(fmt(rec["current_weekly"], "money", cur), f"spend:{rec['platform']}", "current"),
                Figure(fmt(rec["planned_weekly"], "money", cur), f"spend:{rec['platform']}", "plan"),
                Figure(fmt(rec["highest_week"], "money", cur), f"spend:{rec['platform']}", "highest"),
                Figure(EXTRAPOLATED if rec["extrapolated"] else "", f"spend:{rec['platform']}", "flag"),
            ]
            for rec in r.spend
        ]
        spend = readout_table(["weekly spend", CURRENT_PLAN, THIS_PLAN, "highest week observed", ""], spend_rows)
        rows = []
        for stage, t in r.totals.items():
            kind = "money" if kind_of(stage) == "money" else "number"
            band = f"{fmt(t['low80'], kind, cur)} – {fmt(t['high80'], kind, cur)}"
            rows.append(
                [
                    MEASURES[stage].label,
                    Figure(fmt(t["current"], kind, cur), stage, "current"),
                    Figure(fmt(t["plan"], kind, cur), stage, "plan"),
                    Figure(band, stage, "band80"),
                ]
            )
        weeks = f"next {r.horizon_weeks} weeks from {r.origin.strftime('%d %b %Y')}"
        totals = readout_table([weeks, CURRENT_PLAN, THIS_PLAN, "80% band"], rows)
        return spend + "<div style='height:8px'></div>" + totals

    def _warnings(self, r):
        return list(r.warnings)

    def _charts(self, r: PlanQuarterResult):
        if not r.available:
            return {}
        return {"forecast": (report_charts.forecast_chart, (r.weekly,), (r.currency,))}

    def summary(self) -> str:
        r = self.result
        if not r.available:
            return r.notes[0]
        t = r.totals.get("opportunity")
        spend = sum(x["planned_weekly"] for x in r.spend)
        text = (
            f"Weekly spend {fmt(spend, 'money', r.currency)}: {fmt(t['plan'], 'number')} opportunities expected over "
            f"the next {r.horizon_weeks} weeks (80% band {fmt(t['low80'], 'number')}–{fmt(t['high80'], 'number')}; "
            f"current plan {fmt(t['current'], 'number')})."
        )
        pipe = r.totals.get("pipeline")
        if pipe is not None:
            text += f" {label('pipeline').capitalize()} expected: {fmt(pipe['plan'], 'money', r.currency)}."
        if r.extrapolated:
            text += f" {', '.join(label(p) for p in r.extrapolated)}: {EXTRAPOLATED}."
        return text
