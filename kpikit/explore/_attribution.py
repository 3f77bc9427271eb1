"""Attribution switch explorer: flip the attribution model; channel credit and cost per outcome move.

The engine computes every model once at start-up (:func:`kpikit.analysis.attribution`);
a switch only selects a model's rows (:func:`kpikit.explore.scenarios.attribution_tables`).
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, label
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, readout_table
from kpikit.explore.precompute import precompute

__all__ = ["AttributionExplorer"]


class AttributionExplorer(Explorer):
    """Flip between attribution models; channel credit and cost per outcome move.

    The engine computes every model once at start-up (:func:`kpikit.attribution`);
    a switch only selects a model's rows.
    """

    name = "attribution_switch"
    title = "Attribution: who gets the credit depends on the rule"

    def __init__(self, model: Any, **kwargs: Any) -> None:
        from kpikit.explore._engine import channel_costs, engine_attribution

        cube = precompute(model)
        source = cube.model if cube.model is not None else model
        self.credits, self.totals, self.engine_notes = engine_attribution(source)
        self.costs = channel_costs(source)
        self.tables = sc.attribution_tables(self.credits, self.costs, currency=cube.currency)
        super().__init__(cube, **kwargs)

    def _controls(self):
        models = list(dict.fromkeys(self.credits["model"]))
        options = [(label(m), m) for m in models]  # the room reads "First touch", the engine keeps "first"
        return {"model": w.ToggleButtons(options=options, value=models[0] if models else None, description="model")}

    def compute(self, model=None):
        if model not in self.tables:
            return sc.attribution_scenario(self.credits, self.costs, model)  # raises the clear error
        return self.tables[model]

    def _readout(self, r: sc.AttributionSwitchResult) -> str:
        cur = self.cube.currency
        rows = []
        for rec in r.channels.to_dict(orient="records"):
            channel = str(rec["channel"])
            rows.append(
                [
                    channel,
                    Figure(fmt(rec["share"], "rate"), "share", channel),
                    Figure(fmt(rec["conversions"], "number"), "credit", channel),
                    Figure(fmt(rec["cost"], "money", cur), "cost", channel),
                    Figure(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", channel),
                ]
            )
        outcome = str(self.totals.get("outcome"))
        credited = MEASURES[outcome].label if outcome in MEASURES else "conversions"
        return readout_table(
            ["channel", "share of credit", f"credited {credited}", "paid cost", "cost per credited"], rows
        )

    def _warnings(self, r):
        return list(self.engine_notes)

    def _charts(self, r: sc.AttributionSwitchResult):
        return {
            "channels": (
                ch.attribution_chart,
                (r.channels[["channel", "share", "conversions"]],),
                (label(r.model_name),),
            )
        }

    def summary(self) -> str:
        return (
            f"Under the {label(self.result.model_name)} model, {self.result.numbers['top_channel']} gets most credit."
        )
