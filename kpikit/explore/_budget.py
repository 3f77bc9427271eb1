"""Budget shift explorer: move weekly spend between platforms (or campaigns) and read what it buys.

Outcomes come from the diminishing-returns curves of :mod:`kpikit.analysis.response`, fitted
once per outcome at start-up (:func:`kpikit.explore.scenarios.fit_response_curves`); an
interaction only evaluates them (:func:`kpikit.explore.scenarios.budget_scenario`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from kpikit.analysis.response import BAND, ResponseCurve, period_words
from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, REAL_OUTCOMES, label
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, MissingData, outcome_options, readout_table, slider

__all__ = ["BudgetExplorer"]


def _totals(longest: dict[str, int]) -> str:
    """``{"meta": 31, "google_ads": 91}`` -> ``"monthly totals (meta) and quarterly totals (google_ads)"``."""
    by_words: dict[str, list[str]] = {}
    for segment, days in sorted(longest.items()):
        by_words.setdefault(period_words(days), []).append(segment)
    parts = [f"{words} totals ({', '.join(segs)})" for words, segs in by_words.items()]
    return " and ".join(parts) if parts else "totals"


class BudgetExplorer(Explorer):
    """Move weekly spend between platforms; outcomes from fitted diminishing-returns curves."""

    name = "budget_shift"
    title = "Budget shift: what more (or less) spend per platform would buy"

    def __init__(self, model: Any, *, by: str = "platform", n_boot: int = 200, **kwargs: Any) -> None:
        self._n_boot = n_boot
        self.by = by
        self.title = f"Budget shift: what more (or less) spend per {by} would buy"
        self._curves: dict[str, dict[str, ResponseCurve]] = {}
        self._grids: dict[str, pd.DataFrame] = {}
        super().__init__(model, **kwargs)

    def _prepare(self) -> None:
        if not self.curves(self.cube.real_outcome):
            coarse = sc.summary_notes(self.cube, by=self.by)
            if coarse:
                raise MissingData(
                    f"The budget curves are fitted to this client's weeks, and its ad exports hold "
                    f"{_totals(self.cube.summaries.get(self.by, {}))} instead of days or weeks. Export the ad "
                    "reports by day (or week) to open this explorer."
                )
            raise MissingData("There is no paid spend in this client's ad exports to fit budget curves to.")
        for outcome in self.cube.measured:  # fit every outcome now, so switching never stalls the room
            if outcome in REAL_OUTCOMES:
                self.curves(outcome)

    def curves(self, outcome: str) -> dict[str, ResponseCurve]:
        """Fitted curves for ``outcome`` (fitted once, then cached)."""
        if outcome not in self._curves:
            self._curves[outcome] = sc.fit_response_curves(self.cube, outcome, by=self.by, n_boot=self._n_boot)
        return self._curves[outcome]

    def _shown(self, name: str) -> str:
        """A curve's name on screen: platforms as they spell themselves, campaigns as they are."""
        return label(name) if self.by == "platform" else name

    def _controls(self):
        out = self.cube.real_outcome
        controls: dict[str, w.ValueWidget] = {
            "outcome": w.Dropdown(options=outcome_options(self.cube), value=out, description="outcome")
        }
        for p, c in self.curves(out).items():
            top = max(c.max_observed * 3.0, 1.0)
            controls[f"spend:{p}"] = slider(
                w.FloatSlider,
                self._shown(p),
                min=0.0,
                max=round(top, 0),
                step=max(round(top / 300.0, 0), 1.0),
                value=round(c.mean_spend, 0),
                readout_format=",.0f",
            )
        return controls

    def compute(self, outcome=None, **spend):
        curves = self.curves(outcome or self.cube.real_outcome)
        spend = {k.split(":", 1)[1]: float(v) for k, v in spend.items()}
        return sc.budget_scenario(curves, spend, currency=self.cube.currency)

    def _readout(self, r: sc.BudgetResult) -> str:
        cur = self.cube.currency

        def band(low: float, high: float) -> str:
            return f"{fmt(low, 'number')} – {fmt(high, 'number')}"

        rows = [
            [
                self._shown(rec["platform"]),
                Figure(fmt(rec["spend_now"], "money", cur), f"spend:{rec['platform']}", "now"),
                Figure(fmt(rec["spend_scenario"], "money", cur), f"spend:{rec['platform']}", "scenario"),
                Figure(fmt(rec["outcome_now"], "number"), f"outcome:{rec['platform']}", "now"),
                Figure(fmt(rec["outcome_scenario"], "number"), f"outcome:{rec['platform']}", "scenario"),
                Figure(band(rec["outcome_low"], rec["outcome_high"]), f"band:{rec['platform']}", "scenario"),
            ]
            for rec in r.rows
        ]
        t = r.totals
        rows.append(
            [
                "total",
                Figure(fmt(t["spend_now"], "money", cur), "spend", "now"),
                Figure(fmt(t["spend_scenario"], "money", cur), "spend", "scenario"),
                Figure(fmt(t["outcome_now"], "number"), "outcome", "now"),
                Figure(fmt(t["outcome_scenario"], "number"), "outcome", "scenario"),
                Figure(band(t["outcome_low"], t["outcome_high"]), "band", "scenario"),
            ]
        )
        rows.append(
            [
                "cost per outcome",
                "",
                "",
                Figure(fmt(t["cost_per_outcome_now"], "money", cur), "cost_per_outcome", "now"),
                Figure(fmt(t["cost_per_outcome_scenario"], "money", cur), "cost_per_outcome", "scenario"),
                "",
            ]
        )
        words = MEASURES[r.outcome].label
        head = ["weekly", "spend now", "spend scenario", f"{words} now", f"{words} scenario", "90% band"]
        return readout_table(head, rows, bold=(len(rows) - 2,))

    def _warnings(self, r):
        return [*r.warnings, *sc.summary_notes(self.cube, by=self.by)]

    def _grid(self, outcome: str) -> pd.DataFrame:
        if outcome not in self._grids:
            parts = []
            for p, c in self.curves(outcome).items():
                top = self.controls.get(f"spend:{p}")
                xs = np.linspace(0.0, top.max if top is not None else c.max_observed * 3, 40)
                d = c.predict_draws(xs)
                parts.append(
                    pd.DataFrame(
                        {
                            "platform": self._shown(p),
                            "spend": xs,
                            "mean": c.predict(xs),
                            "low": np.quantile(d, BAND[0], axis=0),
                            "high": np.quantile(d, BAND[1], axis=0),
                        }
                    )
                )
            self._grids[outcome] = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        return self._grids[outcome]

    def _charts(self, r: sc.BudgetResult):
        key = f"observed:{r.outcome}"
        if key not in self._grids:
            self._grids[key] = pd.concat(
                [
                    c.weeks.assign(platform=self._shown(p))[["platform", "cost", "outcome"]]
                    for p, c in self.curves(r.outcome).items()
                ],
                ignore_index=True,
            )
        observed = self._grids[key]
        scen = pd.DataFrame(
            {
                "platform": [self._shown(x["platform"]) for x in r.rows],
                "spend": [x["spend_scenario"] for x in r.rows],
                "outcome": [x["outcome_scenario"] for x in r.rows],
                "range": [x["range"] for x in r.rows],
            }
        )
        return {"curves": (ch.response_chart, (self._grid(r.outcome), observed, scen), (MEASURES[r.outcome].label,))}

    def summary(self) -> str:
        t = {k: fmt(v, "number") for k, v in self.result.totals.items()}
        spend = {k: fmt(self.result.totals[k], "count") for k in ("spend_now", "spend_scenario")}
        return (
            f"Weekly spend {spend['spend_now']} -> {spend['spend_scenario']} {self.cube.currency}: "
            f"{MEASURES[self.result.outcome].label} {t['outcome_now']} -> {t['outcome_scenario']} a week "
            f"(90% band {t['outcome_low']}–{t['outcome_high']})."
        )
