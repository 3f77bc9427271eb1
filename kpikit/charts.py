"""Altair charts for the analysis views, built from aggregated frames only.

Importing this module registers and enables the ``kpikit`` theme. Builders
take the small frames the views produce (never raw rows), so no chart comes
near Altair's 5,000-row limit, and they keep only the columns they draw.
Campaign names are untrusted: in a chart they are data, rendered as SVG text
by Vega, never as HTML.

``to_svg`` / ``to_png`` render offline through vl-convert (no CDN): use them
for static reports (see /work/shared/TOOLCHAIN.md for what works offline).

Each chart answers one question, asked in its title. Axis titles, legends and
tooltips take a measure's words from :func:`kpikit.core.measures.label` (stage,
channel, model and role names too: no snake_case reaches a client), money axes
name the ``currency``, rates print as percentages, and the d3 number format
follows the measure's kind (:data:`D3_FORMATS`), so a chart rounds a figure the
way the tables beside it do (:mod:`kpikit.core.fmt`).

Examples
--------
>>> import pandas as pd
>>> from kpikit import charts
>>> frame = pd.DataFrame({"stage": ["lead", "mql"], "count": [10.0, 4.0], "step_rate": [None, 0.4],
...                       "cumulative_rate": [1.0, 0.4]})
>>> svg = charts.to_svg(charts.funnel_chart(frame))
>>> svg.startswith("<svg") and "MQLs" in svg
True
"""

from __future__ import annotations

import math

import altair as alt
import numpy as np
import pandas as pd

from kpikit.core.measures import MEASURES, kind_of, label

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
    "forecast_chart",
    "to_svg",
    "to_png",
    "D3_FORMATS",
]

THEME = "kpikit"
PALETTE = ["#1f4e79", "#e07b39", "#5b9a68", "#c24b5a", "#8a6bb8", "#7f7f7f", "#c9a227", "#3b9ab2"]
#: Quadrant flags and their colours; the engine's empty flag gets words too (every legend entry is labelled).
_FLAG_COLORS = {
    "top by vanity, bottom by value": "#c24b5a",
    "bottom by vanity, top by value": "#5b9a68",
    "no conflict": "#7f7f7f",
}
_MAX_BARS = 25
_MAX_LABEL = 30  # characters of a point label before it is cut with "…"

#: d3 number format per kpikit.core.fmt kind (Vega formats in the browser, so it cannot call ``fmt``).
D3_FORMATS: dict[str, str] = {
    "count": ",.0f",
    "money": ",.2f",
    "rate": ".2%",
    "ratio": ",.1f",
    "number": ",.1f",
    "days": ",.0f",
    "coefficient": "+.2f",
}
# Axis tick formats: a percentage axis drops trailing zeros ("1%", "1.5%"), money ticks need no cents.
_AXIS_FORMATS: dict[str, str] = {"rate": ".1~%", "money": ",.0f", "count": ",.0f"}
# kpikit.core.fmt's rate rule as a Vega expression on ``datum.<field>``: one decimal from 10%, two from 0.1%,
# two significant digits below (fmt's extra guard against printing 99.96% as 100.0% is left out).
_RATE_EXPR = (
    "abs(datum.{f}) >= 0.1 ? format(datum.{f}, '.1%') : abs(datum.{f}) >= 0.001 ? format(datum.{f}, '.2%')"
    " : datum.{f} == 0 ? '0.0%' : format(datum.{f} * 100, '.2r') + '%'"
)


@alt.theme.register(THEME, enable=True)
def _theme() -> alt.theme.ThemeConfig:
    # Measured by vl-convert and drawn by the viewer: DejaVu Sans first, the widest common sans, so text laid out
    # here never overruns where the viewer draws it in a narrower Helvetica or Arial (no clipped axis labels).
    font = "DejaVu Sans, Helvetica Neue, Arial, sans-serif"
    return {
        "config": {
            "font": font,
            "view": {"continuousWidth": 420, "continuousHeight": 260, "stroke": None},
            "range": {"category": PALETTE},
            "axis": {"labelFontSize": 11, "titleFontSize": 12, "gridColor": "#e6e6e6", "domainColor": "#999999"},
            "legend": {"labelFontSize": 11, "titleFontSize": 12, "orient": "bottom", "labelLimit": 0},
            "title": {"fontSize": 14, "anchor": "start", "color": "#222222", "subtitleColor": "#555555"},
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


def _words(values: pd.Series) -> pd.Series:
    """Engine vocabulary (stages, channels, models, roles, measures) in words: ``paid_search`` -> ``paid search``."""
    return values.map(lambda v: v if v is None or (isinstance(v, float) and math.isnan(v)) else label(str(v)))


def _segment_words(data: pd.DataFrame, by: str | None) -> pd.DataFrame:
    """Platform ids as the platforms spell them (``Google Ads``); campaigns and the rest are the client's own names."""
    if by == "platform" and by in data.columns:
        data[by] = _words(data[by])
    return data


def _title(name: str, currency: str = "") -> str:
    """An axis title: the measure's words, with the currency for money."""
    words = label(name)
    return f"{words} ({currency})" if currency and kind_of(name) == "money" else words


def _axis(name: str) -> alt.Axis:
    return alt.Axis(format=_AXIS_FORMATS.get(kind_of(name) or "", ",~r"))


def _tips(frame: pd.DataFrame, currency: str = "") -> list[alt.Tooltip]:
    """One tooltip line per column: the measure's label, and its kind's d3 format (4 significant digits if none)."""
    tips = []
    for c in frame.columns:
        if frame[c].dtype.kind in "fiu":
            fmt = D3_FORMATS.get(kind_of(c) or "", ",.4~r")
            tips.append(alt.Tooltip(f"{c}:Q", format=fmt, title=_title(c, currency)))
        else:
            tips.append(alt.Tooltip(f"{c}:N", title=label(c)))
    return tips


def _top(frame: pd.DataFrame, by: str, measure: str, n: int = _MAX_BARS) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    return frame.sort_values(measure, ascending=False, na_position="last").head(n)


def _question(text: str, subtitle: str | list[str] = "") -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle or alt.Undefined)


def funnel_chart(frame: pd.DataFrame, by: str | None = None) -> alt.Chart:
    """Where do people drop out? Bars per stage (log scale: impressions dwarf won deals), step rates labelled."""
    cols = ["stage", "count", "step_rate", "cumulative_rate"] + ([by] if by else [])
    data = _clean(frame, cols)
    data = data[data["count"].notna()]
    if by and data[by].nunique() > 6:
        keep = frame.groupby(by)["count"].max().sort_values(ascending=False).head(6).index
        data = data[data[by].isin(keep)]
    data = _segment_words(data, by)
    data["stage"] = _words(data["stage"])
    order = list(dict.fromkeys(_words(frame["stage"]).tolist()))
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
            title="count at each stage (log scale)",
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
    return chart.properties(title=_question("Where do people drop out?", "Labels: conversion from the previous stage"))


def cost_chart(
    frame: pd.DataFrame, by: str | None = None, real_outcome: str = "opportunity", currency: str = ""
) -> alt.Chart:
    """What does one real outcome cost per segment? Bars with their 95% interval; unpriced segments left out."""
    by = by or "segment"
    data = frame.copy()
    if by not in data.columns:
        data[by] = "all"
    data = data[data["cost_per_real_outcome"].notna()] if "cost_per_real_outcome" in data.columns else data
    data = _top(data, by, "cost")
    data = _clean(data, [by, "cost", "cost_per_real_outcome", "cost_per_real_outcome_low",
                         "cost_per_real_outcome_high", "real_outcome", "ctr", "status"])  # fmt: skip
    data = _segment_words(data, by)
    measure = f"cost_per_{real_outcome}"
    y = alt.Y(f"{by}:N", sort=alt.EncodingSortField("cost", order="descending"), title=None)
    bars = (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            y=y,
            x=alt.X("cost_per_real_outcome:Q", title=_title(measure, currency), axis=_axis(measure)),
            color=alt.Color("status:N", title="outcomes counted"),
            tooltip=_tips(data, currency),
        )
    )
    err = (
        alt.Chart(_data(data))
        .mark_rule(color="#222222")
        .encode(y=y, x="cost_per_real_outcome_low:Q", x2="cost_per_real_outcome_high:Q")
    )
    singular = label(real_outcome, plural=False)
    return (bars + err).properties(
        width=420,
        height=alt.Step(22),
        title=_question(
            f"What does one {singular} cost, {label(by, plural=False)} by {label(by, plural=False)}?",
            "Black line: 95% interval. Segments with no spend or no outcome yet are in the table only.",
        ),
    )


def _label_offsets(px: np.ndarray, py: np.ndarray, widths: np.ndarray, right: np.ndarray, gap: float = 12.0):
    """Label y positions (pixels) that keep each label clear of other labels and of other points.

    Labels are placed top to bottom; one whose horizontal extent meets a placed label's (or another
    point's) and sits closer than ``gap`` moves down below it. Returns the new pixel y of every label.
    """
    x0 = np.where(right, px + 7, px - 7 - widths)
    x1 = np.where(right, px + 7 + widths, px - 7)
    points = [(float(a) - 5, float(a) + 5, float(b), i) for i, (a, b) in enumerate(zip(px, py, strict=True))]
    placed: list[tuple[float, float, float]] = []
    out = py.astype("float64").copy()
    for i in np.argsort(py, kind="stable"):
        y = float(py[i])
        obstacles = placed + [(a0, a1, b) for a0, a1, b, j in points if j != i]
        moved = True
        while moved:
            moved = False
            for a0, a1, b in obstacles:
                if x0[i] < a1 and a0 < x1[i] and abs(y - b) < gap:
                    y, moved = b + gap, True
        placed.append((float(x0[i]), float(x1[i]), y))
        out[i] = y
    return out


def _domain(values: pd.Series, from_zero: bool) -> tuple[float, float]:
    lo, hi = float(values.min()), float(values.max())
    pad = (hi - lo) * 0.08 or abs(hi) * 0.1 or 1.0
    low = 0.0 if from_zero else lo - pad
    return (max(low, 0.0) if lo >= 0 else low), hi + pad


def vanity_chart(frame: pd.DataFrame, by: str = "campaign", vanity: str = "ctr", currency: str = "") -> alt.Chart:
    """Does a better vanity KPI buy a better value? Scatter with median rules; better value is always up.

    A cost axis (cost per outcome: lower is better) is reversed, so the top of the chart is the cheap end
    and the title's promise holds whichever value measure the view ranked on.
    """
    value_col = next((c for c in frame.columns if c.startswith("cost_per_") or c.endswith("_per_cost")), None)
    data = frame[frame["vanity_rank"].notna()].copy() if "vanity_rank" in frame.columns else frame.copy()
    if by not in data.columns:
        data[by] = "all"
    data = _clean(data, [by, vanity, value_col, "vanity_rank", "value_rank", "flag", "cost", "small_sample"])
    data = _segment_words(data, by)
    data["flag"] = data.get("flag", pd.Series("", index=data.index)).fillna("").replace("", "no conflict")
    drawn = data[data[vanity].notna() & data[value_col].notna()] if value_col else data.iloc[0:0]
    measure = MEASURES.get(value_col or "")
    reverse = measure is not None and not measure.higher_is_better
    width, height = 420, 300
    x0, x1 = _domain(drawn[vanity], from_zero=True) if len(drawn) else (0.0, 1.0)
    y0, y1 = _domain(drawn[value_col], from_zero=False) if len(drawn) else (0.0, 1.0)
    drawn = drawn.copy()
    if len(drawn):
        # Place the names in Python (Vega-Lite has no label collision avoidance): right of the point,
        # left of it in the right third of the chart, pushed apart where they would overlap.
        names = drawn[by].astype(str).map(lambda s: s if len(s) <= _MAX_LABEL else s[: _MAX_LABEL - 1] + "…")
        px = (drawn[vanity].to_numpy(float) - x0) / (x1 - x0) * width
        frac = (drawn[value_col].to_numpy(float) - y0) / (y1 - y0)
        py = (frac if reverse else 1 - frac) * height
        right = px < width * 0.62
        ly = _label_offsets(px, py, names.str.len().to_numpy() * 5.6, right)
        back = ly / height
        drawn["name"] = names
        drawn["label_y"] = y0 + (back if reverse else 1 - back) * (y1 - y0)
        drawn["align"] = np.where(right, "left", "right")
    x = alt.X(f"{vanity}:Q", title=label(vanity), scale=alt.Scale(domain=[x0, x1], nice=False), axis=_axis(vanity))
    y_scale = alt.Scale(domain=[y0, y1], nice=False, reverse=reverse)
    y_title = _title(value_col or "", currency) + (", cheaper at the top" if reverse else "")
    y = alt.Y(f"{value_col}:Q", title=y_title, scale=y_scale, axis=_axis(value_col or ""))
    tips = _tips(drawn.drop(columns=["name", "label_y", "align"], errors="ignore"), currency)
    points = (
        alt.Chart(_data(drawn))
        .mark_point(filled=True, size=90)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "flag:N",
                scale=alt.Scale(domain=list(_FLAG_COLORS), range=list(_FLAG_COLORS.values())),
                legend=alt.Legend(title=None, columns=1),
            ),
            tooltip=tips,
        )
    )
    layers = [points]
    if len(drawn):
        label_y = alt.Y("label_y:Q", scale=y_scale)
        for side, dx in (("left", 7), ("right", -7)):
            layers.append(
                alt.Chart(_data(drawn[drawn["align"] == side][[vanity, "label_y", "name"]]))
                .mark_text(align=side, baseline="middle", dx=dx, fontSize=10, color="#333333")
                .encode(x=x, y=label_y, text="name:N")
            )
        # A label pushed away from its point gets a thin leader line back to it.
        moved = drawn[(drawn["label_y"] - drawn[value_col]).abs() > (y1 - y0) * 0.02]
        if len(moved):
            layers.append(
                alt.Chart(_data(moved[[vanity, value_col, "label_y"]]))
                .mark_rule(color="#bbbbbb", strokeWidth=0.8)
                .encode(x=x, y=y, y2="label_y:Q")
            )
        layers.append(
            alt.Chart(_data(pd.DataFrame({"x": [float(drawn[vanity].median())]})))
            .mark_rule(strokeDash=[4, 4], color="#999999")
            .encode(x=alt.X("x:Q", scale=alt.Scale(domain=[x0, x1], nice=False)))
        )
        layers.append(
            alt.Chart(_data(pd.DataFrame({"y": [float(drawn[value_col].median())]})))
            .mark_rule(strokeDash=[4, 4], color="#999999")
            .encode(y=alt.Y("y:Q", scale=y_scale))
        )
    left_out = len(data) - len(drawn)
    subtitle = ["Up is better value, right is a better " + label(vanity) + ". Dashed lines: the medians."]
    outcome = (value_col or "value").removeprefix("cost_per_").removesuffix("_per_cost")
    what = label(outcome, plural=False)
    if left_out:
        subtitle.append(f"Not drawn: {left_out} with no {what} yet (see the table).")
    return alt.layer(*layers).properties(
        width=width,
        height=height,
        title=_question(
            f"Does a better {label(vanity)} come with "
            + (f"cheaper {label(outcome)}?" if reverse else f"more {label(value_col or 'value')}?"),
            subtitle,
        ),
    )


def attribution_chart(credits: pd.DataFrame) -> alt.Chart:
    """How much credit does each channel get under each attribution model?"""
    data = _clean(credits, ["model", "channel", "conversions", "revenue", "share"])
    order = list(dict.fromkeys(_words(credits["model"]).tolist()))
    data["model"] = _words(data["model"])
    data["channel"] = _words(data["channel"])
    return (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            y=alt.Y("channel:N", title=None),
            x=alt.X("conversions:Q", title="conversions credited"),
            color=alt.Color("model:N", sort=order, title="attribution model"),
            yOffset=alt.YOffset("model:N", sort=order),
            tooltip=_tips(data),
        )
        .properties(width=420, height=alt.Step(7), title=_question("Which channels get the credit, model by model?"))
    )


def alignment_chart(series: pd.DataFrame, outcome: str) -> alt.Chart:
    """Do the KPIs move with the real outcome? Each series per period, indexed to its own mean (= 100)."""
    long = series.melt(id_vars="period", var_name="measure", value_name="value")
    means = long.groupby("measure")["value"].transform("mean")
    long["index"] = np.where(means > 0, long["value"] / means * 100, np.nan)
    long["is_outcome"] = long["measure"] == outcome
    long["measure"] = _words(long["measure"])
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
        .properties(
            width=460,
            height=240,
            title=_question(
                f"Do the KPIs move with {label(outcome)}?", f"Solid line: {label(outcome)}; each indexed to its mean"
            ),
        )
    )


def key_accounts_chart(frame: pd.DataFrame, currency: str = "") -> alt.Chart:
    """What is one visit worth in pipeline: key accounts vs everyone else?"""
    data = _clean(frame, ["group", "visits", "contacts", "pipeline", "pipeline_per_visit", "pipeline_per_contact"])
    return (
        alt.Chart(_data(data))
        .mark_bar()
        .encode(
            x=alt.X(
                "pipeline_per_visit:Q", title=_title("pipeline_per_visit", currency), axis=_axis("pipeline_per_visit")
            ),
            y=alt.Y("group:N", title=None),
            color=alt.Color("group:N", legend=None),
            tooltip=_tips(data, currency),
        )
        .properties(width=420, height=alt.Step(30), title=_question("What is one visit worth in pipeline?"))
    )


def match_chart(frame: pd.DataFrame, currency: str = "") -> alt.Chart:
    """How much of the spend can be tied to CRM outcomes?"""
    g = frame.groupby("status", as_index=False).agg(spend=("spend", "sum"), campaigns=("key", "size"))
    return (
        alt.Chart(_data(g))
        .mark_bar()
        .encode(
            x=alt.X("spend:Q", title=_title("cost", currency), axis=_axis("cost")),
            y=alt.Y("status:N", title=None),
            tooltip=_tips(g, currency),
        )
        .properties(
            width=420, height=alt.Step(28), title=_question("How much of the spend can be tied to CRM outcomes?")
        )
    )


def cohort_chart(cohorts: pd.DataFrame) -> alt.Chart:
    """Do newer lead cohorts convert as well? Rate per cohort with its interval; immature cohorts drawn hollow."""
    data = _clean(cohorts, ["cohort", "leads", "rate", "rate_low", "rate_high", "mature"])
    base = alt.Chart(_data(data)).encode(x=alt.X("cohort:O", title="lead cohort"))
    pts = base.mark_point(size=70).encode(
        y=alt.Y("rate:Q", axis=alt.Axis(format=_AXIS_FORMATS["rate"]), title="conversion to real outcome"),
        fill=alt.condition("datum.mature", alt.value(PALETTE[0]), alt.value("white")),
        tooltip=_tips(data),
    )
    err = base.mark_rule().encode(y="rate_low:Q", y2="rate_high:Q")
    return (err + pts).properties(
        width=460, height=240, title=_question("Do newer lead cohorts convert as well?", "Hollow: not mature yet")
    )


def forecast_chart(frame: pd.DataFrame, currency: str = "") -> alt.FacetChart:
    """What will the plan bring, week by week? One panel per stage: the mean with its 80% and 95% bands.

    ``frame``: ``week, stage, plan, mean, low80, high80, low95, high95``, one row per week, stage
    and plan (stages in the order drawn, e.g. opportunity, won, revenue; no missing values).
    Bands are drawn for the frame's first plan; any other plan (the current one) is a dashed line
    beside it. The workshop and the report draw the same chart.
    """
    import json

    stages = list(dict.fromkeys(frame["stage"]))
    plans = list(dict.fromkeys(frame["plan"]))
    names = [_title(s, currency) for s in stages]
    measure = "".join(
        f"datum.stage == {json.dumps(s)} ? {json.dumps(n)} : " for s, n in zip(stages, names, strict=True)
    )
    first = alt.datum.plan == plans[0]
    base = alt.Chart().encode(x=alt.X("week:T", title=None, axis=alt.Axis(format="%d %b", labelAngle=0)))
    y = alt.Y("mean:Q", title=None, axis=alt.Axis(format=",~r"))
    band95 = base.mark_area(opacity=0.14, color=PALETTE[0]).encode(y=y, y2="high95:Q").transform_filter(first)
    band95 = band95.encode(y=alt.Y("low95:Q", title=None, axis=alt.Axis(format=",~r")))
    band80 = base.mark_area(opacity=0.28, color=PALETTE[0]).encode(y="low80:Q", y2="high80:Q").transform_filter(first)
    line = base.mark_line().encode(
        y=y,
        color=alt.Color(
            "plan:N",
            scale=alt.Scale(domain=plans, range=[PALETTE[0], "#7f7f7f"]),
            title=None,
            legend=alt.Legend(orient="top"),
        ),
        strokeDash=alt.StrokeDash("plan:N", scale=alt.Scale(domain=plans, range=[[1, 0], [5, 4]]), legend=None),
        tooltip=[
            alt.Tooltip("week:T", title="week of", format="%d %b %Y"),
            alt.Tooltip("plan:N", title="plan"),
            alt.Tooltip("mean:Q", title="expected", format=",.1f"),
            alt.Tooltip("low80:Q", title="80% low", format=",.1f"),
            alt.Tooltip("high80:Q", title="80% high", format=",.1f"),
        ],
    )
    return (
        alt.layer(band95, band80, line)
        .properties(width=420, height=120)
        .facet(
            data=frame,
            row=alt.Row(
                "measure:N",
                sort=names,
                title=None,
                header=alt.Header(labelAngle=0, labelAnchor="start", labelOrient="top", labelFontSize=12),
            ),
        )
        .transform_calculate(measure=measure + "datum.stage")
        .resolve_scale(y="independent")
        .properties(title=_question("What would the plan bring, week by week?", "Bands: 80% and 95% of outcomes"))
    )


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
