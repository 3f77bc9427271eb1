"""Chart builders for the explorers: small aggregated frames in, Altair charts out.

Each builder takes the frame a scenario result already holds (a handful of
rows: audiences, platforms, campaigns) and never a raw table, so a chart spec
is a few kilobytes and rebuilding it on every interaction is cheap. Campaign
and audience names are data (rendered as SVG text), never HTML.

Examples
--------
>>> import pandas as pd
>>> from kpikit.explore.charts import index_chart
>>> frame = pd.DataFrame({"metric": ["CTR", "opportunities"], "index": [140.0, 60.0]})
>>> [layer["mark"]["type"] for layer in index_chart(frame).to_dict()["layer"]]
['bar', 'text', 'rule']
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from kpikit.explore.scenarios import QUADRANTS

__all__ = [
    "index_chart",
    "segments_chart",
    "response_chart",
    "quadrant_chart",
    "attribution_chart",
    "paths_chart",
    "unit_cost_chart",
]

GOOD, BAD, NEUTRAL, MUTED = "#1f4e79", "#e07b39", "#7f7f7f", "#c7c7c7"
WIDTH = 420


def index_chart(frame: pd.DataFrame, title: str = "Narrowed vs all audiences (all = 100)") -> alt.Chart:
    """Bars of ``index`` per ``metric`` around a rule at 100 (above: the scenario raises it)."""
    base = alt.Chart(frame).encode(y=alt.Y("metric:N", sort=None, title=None))
    bars = base.mark_bar().encode(
        x=alt.X("index:Q", title="index (all audiences = 100)", scale=alt.Scale(domainMin=0)),
        color=alt.condition(alt.datum.index >= 100, alt.value(GOOD), alt.value(BAD)),
        tooltip=["metric:N", alt.Tooltip("index:Q", format=".0f")],
    )
    text = base.mark_text(align="left", dx=3).encode(x="index:Q", text=alt.Text("index:Q", format=".0f"))
    rule = alt.Chart(pd.DataFrame({"x": [100]})).mark_rule(color=NEUTRAL, strokeDash=[4, 3]).encode(x="x:Q")
    return (bars + text + rule).properties(width=WIDTH, height=28 * max(len(frame), 1), title=title)


def segments_chart(frame: pd.DataFrame, outcome_label: str = "opportunities") -> alt.Chart:
    """Audiences: CTR against outcomes per 1,000 impressions, size = reach, colour = kept."""
    return (
        alt.Chart(frame)
        .mark_circle(opacity=0.85, stroke="white")
        .encode(
            x=alt.X("ctr:Q", title="CTR", axis=alt.Axis(format=".1%")),
            y=alt.Y("outcome_per_k:Q", title=f"{outcome_label} per 1,000 impressions"),
            size=alt.Size("impressions:Q", title="reach", legend=None, scale=alt.Scale(range=[60, 900])),
            color=alt.Color("status:N", scale=alt.Scale(domain=["kept", "dropped"], range=[GOOD, MUTED]), title=None),
            tooltip=[
                "audience:N",
                alt.Tooltip("ctr:Q", format=".2%"),
                alt.Tooltip("outcome_per_k:Q", format=".3f"),
                alt.Tooltip("impressions:Q", format=","),
            ],
        )
        .properties(width=WIDTH, height=260, title="Audiences: CTR vs real outcome rate")
    )


def response_chart(
    curves: pd.DataFrame, observed: pd.DataFrame, scenario: pd.DataFrame, outcome_label: str
) -> alt.Chart:
    """Fitted response curves with their band, the observed weeks, and the scenario's points.

    ``curves``: platform, spend, mean, low, high. ``observed``: platform, cost,
    outcome. ``scenario``: platform, spend, outcome, range.
    """
    color = alt.Color("platform:N", title="platform")
    band = alt.Chart(curves).mark_area(opacity=0.18).encode(x="spend:Q", y="low:Q", y2="high:Q", color=color)
    line = (
        alt.Chart(curves)
        .mark_line()
        .encode(
            x=alt.X("spend:Q", title="weekly spend"),
            y=alt.Y("mean:Q", title=f"weekly {outcome_label}"),
            color=color,
        )
    )
    dots = alt.Chart(observed).mark_circle(size=22, opacity=0.5).encode(x="cost:Q", y="outcome:Q", color=color)
    now = (
        alt.Chart(scenario)
        .mark_point(size=180, filled=True, stroke="black", strokeWidth=1)
        .encode(
            x="spend:Q",
            y="outcome:Q",
            color=color,
            shape=alt.Shape(
                "range:N",
                scale=alt.Scale(domain=["observed", "beyond", "far"], range=["circle", "triangle-up", "cross"]),
                title="scenario spend",
            ),
            tooltip=["platform:N", alt.Tooltip("spend:Q", format=",.0f"), alt.Tooltip("outcome:Q", format=".1f")],
        )
    )
    return (band + line + dots + now).properties(
        width=WIDTH, height=280, title="Diminishing returns fitted to this client's weeks (band: 90%)"
    )


def quadrant_chart(frame: pd.DataFrame, vanity_label: str, outcome_label: str, vanity_format: str = ".2%") -> alt.Chart:
    """Vanity KPI (x) against outcomes per 1,000 spent (y), one point per campaign, coloured by quadrant."""
    return (
        alt.Chart(frame)
        .mark_circle(opacity=0.85, stroke="white")
        .encode(
            x=alt.X("vanity_value:Q", title=vanity_label, axis=alt.Axis(format=vanity_format)),
            y=alt.Y("value_per_k:Q", title=f"{outcome_label} per 1,000 spent"),
            size=alt.Size("cost:Q", legend=None, scale=alt.Scale(range=[60, 900])),
            color=alt.Color(
                "quadrant:N", scale=alt.Scale(domain=list(QUADRANTS), range=[GOOD, BAD, "#2ca02c", MUTED]), title=None
            ),
            tooltip=[
                "campaign:N",
                alt.Tooltip("vanity_value:Q", format=vanity_format),
                alt.Tooltip("outcome:Q", format=",.0f"),
                alt.Tooltip("cost_per_outcome:Q", format=",.0f"),
                "value_rank:Q",
                "vanity_rank:Q",
            ],
        )
        .properties(width=WIDTH, height=280, title="Vanity vs value: what the KPI rewards and what it buys")
    )


def attribution_chart(frame: pd.DataFrame, model_label: str) -> alt.Chart:
    """Share of credit per channel under one attribution model (``channel``, ``share``)."""
    return (
        alt.Chart(frame)
        .mark_bar(color=GOOD)
        .encode(
            y=alt.Y("channel:N", sort="-x", title=None),
            x=alt.X("share:Q", title="share of credit", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=["channel:N", alt.Tooltip("share:Q", format=".1%"), alt.Tooltip("conversions:Q", format=",.1f")],
        )
        .properties(width=WIDTH, height=28 * max(len(frame), 1), title=f"Channel credit: {model_label}")
    )


def paths_chart(frame: pd.DataFrame, outcome_label: str) -> alt.Chart:
    """Real outcome per path (baseline, gaming, relevance)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("path:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y("outcome:Q", title=outcome_label),
            color=alt.Color(
                "path:N",
                scale=alt.Scale(domain=["baseline", "gaming", "relevance"], range=[MUTED, BAD, GOOD]),
                legend=None,
            ),
            tooltip=["path:N", alt.Tooltip("outcome:Q", format=",.1f"), alt.Tooltip("kpi:Q", format=".4f")],
        )
        .properties(width=WIDTH, height=240, title="What each way of hitting the target does to the business")
    )


def unit_cost_chart(frame: pd.DataFrame, currency: str) -> alt.Chart:
    """Cost of one unit on a log scale: the entered vanity result next to the data's real outcomes.

    Dots, not bars: a log scale has no zero for a bar to start from.
    """
    base = alt.Chart(frame).encode(
        y=alt.Y("unit:N", sort=None, title=None),
        x=alt.X("cost_per_unit:Q", title=f"cost of one ({currency}, log scale)", scale=alt.Scale(type="log")),
    )
    dots = base.mark_circle(size=160, opacity=1).encode(
        color=alt.Color("source:N", scale=alt.Scale(domain=["entered", "client data"], range=[BAD, GOOD]), title=None),
        tooltip=["unit:N", alt.Tooltip("cost_per_unit:Q", format=",.2f")],
    )
    labels = base.mark_text(align="left", dx=9, fontSize=11).encode(text=alt.Text("cost_per_unit:Q", format=",.2f"))
    return (dots + labels).properties(width=WIDTH, height=26 * max(len(frame), 1), title="What one unit costs")
