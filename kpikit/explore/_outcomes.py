"""What counts as a real outcome: the outcome switch and the cost of a vanity KPI.

:class:`OutcomeExplorer` re-ranks campaigns when the real outcome or the vanity KPI changes
(:func:`kpikit.explore.scenarios.outcome_ranking`); :class:`VanityCostExplorer` puts the cost
per vanity unit beside the cost per real outcome
(:func:`kpikit.explore.scenarios.vanity_cost_scenario`). Vanity KPIs are the report's
(:data:`kpikit.analysis.vanity.VANITY_KPIS`), and so is the rank agreement the switch shows.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np

from kpikit.analysis.vanity import VANITY_KPIS
from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, MissingData, outcome_options, readout_table

__all__ = ["OutcomeExplorer", "VanityCostExplorer"]

# Vega-Lite axis formats of a vanity KPI, by its print kind.
_AXIS_FORMAT = {"rate": ".2%", "money": ",.2f"}


class OutcomeExplorer(Explorer):
    """Switch what counts as a real outcome; campaigns re-rank; vanity-vs-value quadrant."""

    name = "outcome_switch"
    title = "What counts as a real outcome? Campaigns re-rank"

    def _prepare(self) -> None:
        if not self.cube.paid_totals()["cost"]:
            raise MissingData("There is no paid campaign with spend in this client's ad exports to rank.")

    def _controls(self):
        return {
            "outcome": w.ToggleButtons(
                options=outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
            "vanity": w.Dropdown(
                options=[(k.label, name) for name, k in VANITY_KPIS.items()], value="ctr", description="vanity KPI"
            ),
        }

    def compute(self, outcome=None, vanity="ctr"):
        return sc.outcome_ranking(self.cube, outcome, vanity)

    def _readout(self, r: sc.RankingResult) -> str:
        cur = self.cube.currency
        n = r.numbers
        kpi = VANITY_KPIS[r.vanity]
        head = readout_table(
            ["", "value"],
            [
                [f"best campaign on {kpi.label}", Figure(str(n["top_by_vanity"]), "top_by_vanity", "value")],
                [
                    f"best campaign on cost per {MEASURES[r.outcome].singular}",
                    Figure(str(n["top_by_value"]), "top_by_value", "value"),
                ],
                [
                    "cost per outcome (all paid)",
                    Figure(fmt(n["cost_per_outcome"], "money", cur), "cost_per_outcome", "value"),
                ],
                [
                    "spend on 'vanity only' campaigns",
                    Figure(fmt(n["spend_share_vanity_only"], "rate"), "spend_share_vanity_only", "value"),
                ],
            ],
        )
        rows = []
        for rec in r.campaigns.head(12).to_dict(orient="records"):
            camp = str(rec["campaign"])
            rows.append(
                [
                    camp,
                    Figure(str(rec["value_rank"]), "value_rank", camp),
                    Figure(str(rec["vanity_rank"]), "vanity_rank", camp),
                    Figure(fmt(rec["vanity_value"], kpi.kind, cur), "vanity_value", camp),
                    Figure(fmt(rec["outcome"], "count"), "outcome", camp),
                    Figure(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", camp),
                    rec["quadrant"],
                ]
            )
        cols = ["campaign", "value rank", "vanity rank", kpi.label, MEASURES[r.outcome].label, "cost per", "quadrant"]
        return head + "<br>" + readout_table(cols, rows)

    def _charts(self, r: sc.RankingResult):
        frame = r.campaigns.assign(value_per_k=r.campaigns["value_rate"] * 1000)
        kpi = VANITY_KPIS[r.vanity]
        args = (kpi.label, MEASURES[r.outcome].label, _AXIS_FORMAT.get(kpi.kind, ",.0f"))
        return {"quadrant": (ch.quadrant_chart, (frame,), args)}

    def summary(self) -> str:
        n = self.result.numbers
        return (
            f"On {MEASURES[self.result.outcome].label}, the best campaign is {n['top_by_value']}; "
            f"on {VANITY_KPIS[self.result.vanity].label} it is {n['top_by_vanity']}."
        )


_OWN = "(enter your own)"


class VanityCostExplorer(Explorer):
    """Seed story 2: $1M for 250K likes is $4 a like; what is the cost per real outcome?"""

    name = "vanity_cost"
    title = "The cost of a vanity KPI"

    def _controls(self):
        camps = self.cube.totals("campaign", facts=self.cube.paid)
        self._campaigns = camps.set_index("campaign")
        text = {
            "continuous_update": False,
            "style": {"description_width": "initial"},
            "layout": w.Layout(width="300px"),
        }
        controls = {
            "campaign": w.Dropdown(options=[_OWN, *camps["campaign"]], value=_OWN, description="campaign"),
            "cost": w.FloatText(value=1_000_000.0, description=f"cost ({self.cube.currency})", **text),
            "vanity_count": w.FloatText(value=250_000.0, description="vanity result", **text),
            "vanity_unit": w.Dropdown(
                options=["like", "engagement", "click", "visit", "follower", "impression"],
                value="like",
                description="unit",
            ),
            "real_outcomes": w.FloatText(value=1.0, description="real outcomes it produced", **text),
            "outcome": w.Dropdown(
                options=outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
        }
        controls["campaign"].observe(self._fill_from_campaign, names="value")
        return controls

    def _on_change(self, change: dict) -> None:
        # Picking a campaign only fills the other fields; their update refreshes once.
        if change["owner"] is not self.controls["campaign"]:
            super()._on_change(change)

    def _fill_from_campaign(self, change: dict) -> None:
        name = change["new"]
        if name == _OWN:
            return
        row = self._campaigns.loc[name]
        outcome = self.controls["outcome"].value
        self.set(
            cost=float(row["cost"]),
            vanity_count=float(row["engagements"] if row["engagements"] > 0 else row["clicks"]),
            vanity_unit="engagement" if row["engagements"] > 0 else "click",
            real_outcomes=float(row[outcome]),
        )

    def compute(self, campaign=_OWN, cost=0.0, vanity_count=0.0, vanity_unit="like", real_outcomes=0.0, outcome=None):
        return sc.vanity_cost_scenario(
            self.cube,
            cost=float(cost),
            vanity_count=float(vanity_count),
            vanity_unit=vanity_unit,
            real_outcomes=float(real_outcomes) or None,
            outcome=outcome,
        )

    def _readout(self, r: sc.VanityCostResult) -> str:
        cur = self.cube.currency
        h = r.headline
        outcome = MEASURES[r.controls["outcome"]]
        rows = [
            [
                f"cost per {r.controls['vanity_unit']}",
                Figure(fmt(h["cost_per_vanity"], "money", cur), "cost_per_vanity", "value"),
            ],
            [
                "cost per real outcome (entered)",
                Figure(fmt(h["cost_per_real_outcome_entered"], "money", cur), "cost_per_real_outcome_entered", "value"),
            ],
            [
                f"cost per {outcome.singular} in this client's data",
                Figure(fmt(h["cost_per_real_outcome_data"], "money", cur), "cost_per_real_outcome_data", "value"),
            ],
            [
                f"{outcome.label} this budget buys at that rate",
                Figure(fmt(h["real_outcomes_budget_buys"], "number"), "real_outcomes_budget_buys", "value"),
            ],
        ]
        return readout_table(["", "value"], rows)

    def _charts(self, r: sc.VanityCostResult):
        units = r.units[np.isfinite(r.units["cost_per_unit"]) & (r.units["cost_per_unit"] > 0)]
        return {"units": (ch.unit_cost_chart, (units,), (self.cube.currency,))}

    def summary(self) -> str:
        h = self.result.headline
        c = self.cube.currency
        return (
            f"{fmt(h['cost_per_vanity'], 'money', c)} per {self.result.controls['vanity_unit']}; "
            f"the data's cost per {self.result.controls['outcome']} is {fmt(h['cost_per_real_outcome_data'], 'money', c)}."
        )
