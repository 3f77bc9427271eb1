"""Attribution switch explorer: flip the attribution model; channel credit and cost per outcome move.

The engine computes every model once at start-up (:func:`kpikit.analysis.attribution`);
a switch only selects a model's rows (:func:`kpikit.explore.scenarios.attribution_tables`).
"""

from __future__ import annotations

import ipywidgets as w

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, label
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, MissingData, readout_table

__all__ = ["AttributionExplorer"]


class AttributionExplorer(Explorer):
    """Flip between attribution models; channel credit and cost per outcome move.

    The engine computes every model once at start-up (:func:`kpikit.attribution`);
    a switch only selects a model's rows.
    """

    name = "attribution_switch"
    title = "Attribution: who gets the credit depends on the rule"

    def _prepare(self) -> None:
        from kpikit.explore._engine import channel_costs, engine_attribution

        cube = self.cube
        if not cube.touchpoints:
            raise MissingData(
                "Attribution splits each outcome's credit between the touches before it. This client's "
                "data has no touchpoint export (web visits and clicks per contact), so there is nothing "
                "to split yet. Add the touchpoint export to client.yaml to open this explorer."
            )
        source = cube.model
        self.credits, self.totals, self.engine_notes = engine_attribution(source)
        if not self.totals.get("conversions"):
            outcome = str(self.totals.get("outcome"))
            label = MEASURES[outcome].label if outcome in MEASURES else "outcomes"
            raise MissingData(f"No contact in this client's data reached {label}: there is no credit to split.")
        self.costs = channel_costs(source)
        self.tables = sc.attribution_tables(self.credits, self.costs, currency=cube.currency)

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
