"""Targeting explorer (seed story 1): narrow the audience, watch CTR rise while real outcomes fall.

The numbers are :func:`kpikit.explore.scenarios.targeting_scenario`; this module wires the
controls (retargeting window, top-k by CTR, exclusions) to it and formats the result.
"""

from __future__ import annotations

import ipywidgets as w
import numpy as np
import pandas as pd

from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, safe_divide
from kpikit.explore import charts as ch
from kpikit.explore import scenarios as sc
from kpikit.explore._base import Explorer, Figure, MissingData, readout_table, slider

__all__ = ["TargetingExplorer"]


class TargetingExplorer(Explorer):
    """Seed story 1: narrow the audience, watch CTR rise while real outcomes fall."""

    name = "targeting"
    title = "Targeting: narrower audiences, higher CTR, fewer real outcomes?"

    #: audiences drawn one by one in the scatter (largest reach); the rest as two aggregate points
    MAX_POINTS = 40

    def _prepare(self) -> None:
        if not self.cube.paid_totals()["impressions"]:
            raise MissingData(
                "Targeting needs ad delivery per audience (impressions per ad group or ad set); "
                "this client's ad exports have none."
            )

    def _controls(self):
        aud = self.cube.audiences
        return {
            "clicked_within": slider(
                w.SelectionSlider,
                "clicked within",
                options=sc.window_options(self.cube),
                tooltip="only audiences that clicked within N days",
            ),
            "top_k": slider(
                w.IntSlider,
                "top-k by CTR",
                min=0,
                max=len(aud),
                value=0,
                tooltip="keep the k audiences with the best CTR (0 = all)",
            ),
            "exclude": w.SelectMultiple(
                options=list(aud["audience"]),
                description="exclude",
                rows=min(8, max(len(aud), 1)),
                layout=w.Layout(width="300px"),
            ),
        }

    def compute(self, clicked_within=None, top_k=0, exclude=()):
        return sc.targeting_scenario(self.cube, clicked_within=clicked_within, top_k=top_k, exclude=exclude)

    def _readout(self, r: sc.TargetingResult) -> str:
        rows = []
        for k in r.metrics:
            m = MEASURES[k]
            rows.append(
                [
                    m.label,
                    Figure(fmt(r.before[k], m.kind, r.currency), k, "before"),
                    Figure(fmt(r.after[k], m.kind, r.currency), k, "after"),
                    Figure(fmt(r.change[k], "rate", signed=True), k, "change"),
                ]
            )
        return readout_table(["", "all audiences", f"narrowed ({len(r.kept)} audiences)", "change"], rows)

    def _warnings(self, r):
        return [] if r.kept else ["no audience left: widen the selection"]

    def _charts(self, r: sc.TargetingResult):
        # volumes and rates only: a cost per outcome that explodes would flatten every other bar
        shown = [k for k in r.metrics if not k.startswith("cost_per_")]
        idx = pd.DataFrame(
            {
                "metric": [MEASURES[k].label for k in shown],
                "index": [100 * float(safe_divide(r.after[k], r.before[k])) for k in shown],
            }
        ).dropna()
        return {
            "index": (ch.index_chart, (idx,), ()),
            "segments": (ch.segments_chart, (self._points(r),), (MEASURES[self.cube.real_outcome].label,)),
        }

    def _points(self, r: sc.TargetingResult) -> pd.DataFrame:
        arr = self.cube.audience_arrays()
        out = self.cube.real_outcome
        top = arr.reach_order[: self.MAX_POINTS]
        names = list(arr.names[top])
        imp, clicks, outcome = arr.col("impressions"), arr.col("clicks"), arr.col(out)
        rows_imp, rows_clicks, rows_out = list(imp[top]), list(clicks[top]), list(outcome[top])
        status = list(np.where(r.keep[top], "kept", "dropped"))
        rest = np.ones(len(arr.names), dtype=bool)
        rest[top] = False
        for flag, label in ((True, "kept"), (False, "dropped")):
            m = rest & (r.keep == flag)
            if m.any():
                names.append(f"{int(m.sum())} other audiences ({label})")
                rows_imp.append(imp[m].sum())
                rows_clicks.append(clicks[m].sum())
                rows_out.append(outcome[m].sum())
                status.append(label)
        i, c, o = np.array(rows_imp), np.array(rows_clicks), np.array(rows_out)
        return pd.DataFrame(
            {
                "audience": names,
                "ctr": safe_divide(c, i),
                "outcome_per_k": 1000 * safe_divide(o, i),
                "impressions": i,
                "status": status,
            }
        )

    def summary(self) -> str:
        change = self.result.change
        return (
            f"Narrowing to {len(self.result.kept)} audiences moves CTR {fmt(change['ctr'], 'rate', signed=True)} "
            f"and opportunities {fmt(change['opportunity'], 'rate', signed=True)}."
        )
