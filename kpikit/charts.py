"""Altair charts for the analysis views, built from aggregated frames only.

Importing this module registers and enables the ``kpikit`` theme. Builders
take the small frames the views produce (never raw rows), so no chart comes
near Altair's 5,000-row limit, and they keep only the columns they draw.
Campaign names are untrusted: in a chart they are data, rendered as SVG text
by Vega, never as HTML.

``to_svg`` / ``to_png`` render offline through vl-convert (no CDN): use them
for static reports (see /work/shared/TOOLCHAIN.md for what works offline).

Axis titles and tooltips take a measure's words from :func:`kpikit.core.measures.label`
and its d3 number format from its kind (:data:`D3_FORMATS`), so a chart names and
rounds a figure the way the tables beside it do (:mod:`kpikit.core.fmt`).

Examples
--------
>>> import pandas as pd
>>> from kpikit import charts
>>> frame = pd.DataFrame({"stage": ["lead", "mql"], "count": [10.0, 4.0], "step_rate": [None, 0.4],
...                       "cumulative_rate": [1.0, 0.4]})
>>> svg = charts.to_svg(charts.funnel_chart(frame))
>>> svg.startswith("<svg") and "mql" in svg
True
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from kpikit.core.measures import kind_of, label

__all__ = [
    "THEME",
    "PALETTE",
    "funnel_chart",
    "cost_chart",
    "vanity_chart",
    "attribution_chart",
    "alignment_chart",
    "key_accounts_chart",
    "match_chart",
    "cohort_chart",
    "to_svg",
    "to_png",
    "D3_FORMATS",
]

THEME = "kpikit"
PALETTE = ["#1f4e79", "#e07b39", "#5b9a68", "#c24b5a", "#8a6bb8", "#7f7f7f", "#c9a227", "#3b9ab2"]
_FLAG_COLORS = {
    "top by vanity, bottom by value": "#c24b5a",
    "bottom by vanity, top by value": "#5b9a68",
    "": "#7f7f7f",
}
_MAX_BARS = 25

#: d3 number format per kpikit.core.fmt kind (Vega formats in the browser, so it cannot call ``fmt``).
D3_FORMATS: dict[str, str] = {
    "count": ",.0f",
    "money": ",.2f",
    "rate": ".2%",
    "ratio": ",.1f",
    "number": ",.1f",
    "days": ",.0f",
}
# kpikit.core.fmt's rate rule as a Vega expression on ``datum.<field>``: one decimal from 10%, two from 0.1%,
# two significant digits below (fmt's extra guard against printing 99.96% as 100.0% is left out).
_RATE_EXPR = (
    "abs(datum.{f}) >= 0.1 ? format(datum.{f}, '.1%') : abs(datum.{f}) >= 0.001 ? format(datum.{f}, '.2%')"
    " : datum.{f} == 0 ? '0.0%' : format(datum.{f} * 100, '.2r') + '%'"
)


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    font = "Helvetica Neue, Arial, sans-serif"
    return {
        "config": {
            "font": font,
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6", "domainColor": "#999999"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom"},
            "title": {"fontSize": 14, "anchor": "start", "color": "#222222"},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
            "point": {"color": PALETTE[0], "size": 70, "filled": True},
        }
    }


def _clean(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    """Only the columns drawn (what reaches the chart spec, and nothing else)."""
    return frame[[c for c in cols if c in frame.columns]].copy()


def _data(frame: pd.DataFrame) -> alt.Data:
    """Inline values with NaN as null (altair's own serialiser writes NaN, which is not JSON)."""
    from kpikit.core.result import records

    return alt.Data(values=records(frame))


def _tips(frame: pd.DataFrame) -> list[alt.Tooltip]:
    """One tooltip line per column: the measure's label, and its kind's d3 format (4 significant digits if none)."""
    tips = []
    for c in frame.columns:
        if frame[c].dtype.kind in "fiu":
            fmt = D3_FORMATS.get(kind_of(c) or "", ",.4~r")
            tips.append(alt.Tooltip(f"{c}:Q", format=fmt, title=label(c)))
        else:
            tips.append(alt.Tooltip(f"{c}:N", title=label(c)))
    return tips


def _top(frame: pd.DataFrame, by: str, measure: str, n: int = _MAX_BARS) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    return frame.sort_values(measure, ascending=False, na_position="last").head(n)


def funnel_chart(frame: pd.DataFrame, by: str | None = None) -> alt.Chart:
    """Horizontal bars per stage (log scale: impressions dwarf won deals), labelled with step rates."""
    cols = ["stage", "count", "step_rate", "cumulative_rate"] + ([by] if by else [])
    data = _clean(frame, cols)
    data = data[data["count"].notna()]
    if by and data[by].nunique() > 6:
        keep = frame.groupby(by)["count"].max().sort_values(ascending=False).head(6).index
        data = data[data[by].isin(keep)]
    order = list(dict.fromkeys(frame["stage"].tolist()))
    # symlog crowds its default ticks at the top end: label powers of ten only, every other one when many.
    top = float(data["count"].max()) if len(data) else 1.0
    powers = [10**k for k in range(0, max(1, math.ceil(math.log10(max(top, 1.0)))) + 1)]
    ticks = [0, *(powers[1::2] if len(powers) > 5 else powers)]
    base = alt.Chart(_data(data)).encode(
        y=alt.Y("stage:N", sort=order, title=None),
        x=alt.X(
            "count:Q",
            scale=alt.Scale(type="symlog"),
            axis=alt.Axis(
                values=ticks,
                # Vega applies one precision to every tick ("0M"); format each power of ten on its own.
                labelExpr="datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M'"
                " : datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : format(datum.value, '~g')",
            ),
            title="count (log scale)",
        ),
        tooltip=_tips(data),
    )
    bars = base.mark_bar()
    # The first stage has no step rate: no label rather than "null".
    text = (
        base.transform_calculate(label=f"isValid(datum.step_rate) ? {_RATE_EXPR.format(f='step_rate')} : ''")
        .mark_text(align="left", dx=4, fontSize=10)
        .encode(text="label:N")
    )
    chart = (bars + text).properties(width=380, height=alt.Step(24))
    if by:
        chart = chart.facet(row=alt.Row(f"{by}:N", title=label(by)))
    return chart.properties(title="Funnel: count per stage, step conversion labelled")


def cost_chart(frame: pd.DataFrame, by: str | None = None, real_outcome: str = "opportunity") -> alt.Chart:
    """Cost per real outcome per segment with its interval; segments without an outcome listed as such."""
    by = by or "segment"
    data = frame.copy()
    if by not in data.columns:
        data[by] = "all"
    data = _top(data, by, "cost")
    data = _clean(data, [by, "cost", "cost_per_real_outcome", "cost_per_real_outcome_low",
                         "cost_per_real_outcome_high", "real_outcome", "ctr", "status"])  # fmt: skip
    y = alt.Y(f"{by}:N", sort=alt.EncodingSortField("cost", order="descending"), title=None)
    bars = (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("cost_per_real_outcome:Q", title=label(f"cost_per_{real_outcome}")),
            color=alt.Color("status:N", title="status"),
            tooltip=_tips(data),
        )
    )
    err = (
        alt.Chart(_data(data))
        .mark_rule(color="#222222")
        .encode(y=y, x="cost_per_real_outcome_low:Q", x2="cost_per_real_outcome_high:Q")
    )
    title = label(f"cost_per_{real_outcome}").capitalize()
    return (bars + err).properties(width=420, height=alt.Step(22), title=f"{title} (95% interval)")


def vanity_chart(frame: pd.DataFrame, by: str = "campaign", vanity: str = "ctr") -> alt.Chart:
    """Quadrant scatter: vanity KPI across, cost per real outcome up; median rules split the quadrants."""
    value_col = next((c for c in frame.columns if c.startswith("cost_per_") or c.endswith("_per_cost")), None)
    data = frame[frame["vanity_rank"].notna()].copy() if "vanity_rank" in frame.columns else frame.copy()
    if by not in data.columns:
        data[by] = "all"
    data = _clean(data, [by, vanity, value_col, "vanity_rank", "value_rank", "flag", "cost", "small_sample"])
    data["flag"] = data.get("flag", pd.Series("", index=data.index)).fillna("")
    domain = list(_FLAG_COLORS)
    points = (
        alt.Chart(_data(data))
        .mark_point(filled=True, size=90)
        .encode(
            x=alt.X(f"{vanity}:Q", title=label(vanity), scale=alt.Scale(zero=False)),
            y=alt.Y(f"{value_col}:Q", title=label(value_col or ""), scale=alt.Scale(zero=False)),
            color=alt.Color("flag:N", scale=alt.Scale(domain=domain, range=list(_FLAG_COLORS.values())), title=None),
            tooltip=_tips(data),
        )
    )
    labels = points.mark_text(align="left", dx=7, fontSize=10).encode(text=f"{by}:N", color=alt.value("#333333"))
    xs = pd.to_numeric(data[vanity], errors="coerce").dropna()
    ys = pd.to_numeric(data[value_col], errors="coerce").dropna() if value_col else pd.Series(dtype=float)
    layers = [points, labels]
    if len(xs):
        layers.append(
            alt.Chart(pd.DataFrame({"x": [float(np.median(xs))]})).mark_rule(strokeDash=[4, 4]).encode(x="x:Q")
        )
    if len(ys):
        layers.append(
            alt.Chart(pd.DataFrame({"y": [float(np.median(ys))]})).mark_rule(strokeDash=[4, 4]).encode(y="y:Q")
        )
    return alt.layer(*layers).properties(
        width=420, height=300, title=f"Vanity ({label(vanity)}) vs value: top-left of the quadrant is what pays"
    )


def attribution_chart(credits: pd.DataFrame) -> alt.Chart:
    """Grouped bars: each channel's conversion credit under every model."""
    data = _clean(credits, ["model", "channel", "conversions", "revenue", "share"])
    order = list(dict.fromkeys(credits["model"].tolist()))
    return (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None),
            x=alt.X("conversions:Q", title="conversions credited"),
            color=alt.Color("model:N", sort=order, title="model"),
            yOffset=alt.YOffset("model:N", sort=order),
            tooltip=_tips(data),
        )
        .properties(width=420, height=alt.Step(7), title="Channel credit by attribution model")
    )


def alignment_chart(series: pd.DataFrame, outcome: str) -> alt.Chart:
    """Each role's KPI and the outcome per period, indexed to their own mean (= 100)."""
    long = series.melt(id_vars="period", var_name="measure", value_name="value")
    means = long.groupby("measure")["value"].transform("mean")
    long["index"] = np.where(means > 0, long["value"] / means * 100, np.nan)
    long["is_outcome"] = long["measure"] == outcome
    data = _clean(long, ["period", "measure", "value", "index", "is_outcome"])
    return (
        alt.Chart(_data(data))
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title=None),
            y=alt.Y("index:Q", title="index (mean = 100)"),
            color=alt.Color("measure:N", title=None),
            strokeDash=alt.StrokeDash("is_outcome:N", legend=None, sort="descending"),
            tooltip=_tips(data[["period", "measure", "value"]]),
        )
        .properties(width=460, height=240, title=f"KPIs vs {label(outcome)} per period")
    )


def key_accounts_chart(frame: pd.DataFrame) -> alt.Chart:
    """Pipeline per visit: key accounts vs everyone else."""
    data = _clean(frame, ["group", "visits", "contacts", "pipeline", "pipeline_per_visit", "pipeline_per_contact"])
    return (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            x=alt.X("pipeline_per_visit:Q", title=label("pipeline_per_visit")),
            y=alt.Y("group:N", title=None),
            color=alt.Color("group:N", legend=None),
            tooltip=_tips(data),
        )
        .properties(width=420, height=alt.Step(30), title="What one visit is worth")
    )


def match_chart(frame: pd.DataFrame) -> alt.Chart:
    """Spend by match status."""
    g = frame.groupby("status", as_index=False).agg(spend=("spend", "sum"), campaigns=("key", "size"))
    return (
        alt.Chart(_data(g))
        .mark_bar()
        .encode(
            x=alt.X("spend:Q", title=label("cost")),
            y=alt.Y("status:N", title=None),
            tooltip=_tips(g),
        )
        .properties(width=420, height=alt.Step(28), title="Spend matched to CRM outcomes")
    )


def cohort_chart(cohorts: pd.DataFrame) -> alt.Chart:
    """Conversion rate per lead cohort with its interval; immature cohorts drawn hollow."""
    data = _clean(cohorts, ["cohort", "leads", "rate", "rate_low", "rate_high", "mature"])
    base = alt.Chart(_data(data)).encode(x=alt.X("cohort:O", title="lead cohort"))
    pts = base.mark_point(size=70).encode(
        y=alt.Y("rate:Q", axis=alt.Axis(format="%"), title="conversion to real outcome"),
        fill=alt.condition("datum.mature", alt.value(PALETTE[0]), alt.value("white")),
        tooltip=_tips(data),
    )
    err = base.mark_rule().encode(y="rate_low:Q", y2="rate_high:Q")
    return (err + pts).properties(width=460, height=240, title="Cohorts (hollow: not mature yet)")


def to_svg(chart: alt.TopLevelMixin) -> str:
    """Render a chart to SVG text offline (vl-convert, no network)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_json(), vl_version=_vl_version())


def to_png(chart: alt.TopLevelMixin, scale: float = 2.0) -> bytes:
    """Render a chart to PNG bytes offline (vl-convert)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_json(), vl_version=_vl_version(), scale=scale)


def _vl_version() -> str:
    # altair's schema is e.g. "v6.1.0"; vl-convert wants "6.1" style or "v6_1".
    major_minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return "_".join(major_minor)
