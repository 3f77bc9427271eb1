"""Incentive simulator (seed story 1, the bonus): hit a KPI target by gaming (narrowing) or by relevance.

The paths are :func:`kpikit.explore.scenarios.incentive_scenario`; the gaming path climbs
:func:`kpikit.analysis.vanity.kpi_ladder`.
"""

from __future__ import annotations

import ipywidgets as w

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, MissingData, outcome_options, readout_table, slider

__all__ = ["IncentiveExplorer"]


class IncentiveExplorer(Explorer):
    """Seed story 1, the bonus: hit a KPI target by gaming (narrowing) or by relevance."""

    name = "incentive"
    title = "Incentives: two ways to hit a KPI target, and what each does to the business"

    def _prepare(self) -> None:
        if not self.cube.paid_totals()["impressions"]:
            raise MissingData(
                "The incentive simulator needs ad delivery per audience (impressions and clicks per ad "
                "group or ad set); this client's ad exports have none."
            )

    def _controls(self):
        roles = [(f"{r} ({k.upper()})", k) for r, k in self.cube.kpis.items() if k in sc.ROLE_KPIS]
        if not roles:
            roles = [("campaign manager (CTR)", "ctr")]
        roles = list(dict.fromkeys(roles))
        return {
            "kpi": w.Dropdown(options=roles, value=roles[0][1], description="role"),
            "target_lift": slider(
                w.IntSlider, "KPI target +%", min=1, max=50, value=10, tooltip="improve the role's KPI by this much"
            ),
            "conversion_lift": slider(
                w.IntSlider,
                "conversion lift %",
                min=-20,
                max=50,
                value=10,
                tooltip="relevance path: outcomes per click improve by this much",
            ),
            "outcome": w.Dropdown(
                options=outcome_options(self.cube), value=self.cube.real_outcome, description="outcome"
            ),
        }

    def compute(self, kpi="ctr", target_lift=10, conversion_lift=10, outcome=None):
        return sc.incentive_scenario(
            self.cube,
            kpi=kpi,
            target_lift=target_lift / 100.0,
            conversion_lift=conversion_lift / 100.0,
            outcome=outcome,
        )

    def _readout(self, r: sc.IncentiveResult) -> str:
        cur = self.cube.currency
        kind = MEASURES[r.kpi].kind
        rows = []
        for rec in r.rows:
            p = rec["path"]
            met = "" if p == "baseline" else ("yes" if rec["meets_target"] else "no")
            rows.append(
                [
                    p,
                    Figure(fmt(rec["kpi"], kind, cur), "kpi", p),
                    met,
                    Figure(fmt(rec["impressions"], "count"), "impressions", p),
                    Figure(fmt(rec["outcome"], "number"), "outcome", p),
                    Figure(fmt(rec["cost_per_outcome"], "money", cur), "cost_per_outcome", p),
                ]
            )
        head = [
            "path",
            f"{r.kpi.upper()} (target {fmt(r.target, kind, cur)})",
            "meets target",
            "reach",
            MEASURES[r.outcome].label,
            "cost per outcome",
        ]
        return readout_table(head, rows)

    def _warnings(self, r):
        if not r.numbers["gaming_meets_target"]:
            return ["narrowing alone cannot reach this target: the best single audience falls short"]
        return []

    def _charts(self, r: sc.IncentiveResult):
        return {"paths": (ch.paths_chart, (r.paths,), (MEASURES[r.outcome].label,))}

    def summary(self) -> str:
        n = self.result.numbers
        kind = MEASURES[self.result.kpi].kind
        return (
            f"{self.result.kpi.upper()} target {fmt(n['kpi_target'], kind)}: gaming gives "
            f"{fmt(n['gaming_outcome'], 'count')} {MEASURES[self.result.outcome].label}, relevance "
            f"{fmt(n['relevance_outcome'], 'count')} (baseline {fmt(n['baseline_outcome'], 'count')})."
        )
