import re

import altair as alt
import pandas as pd
import pytest
from analysis_fixtures import XSS, tiny_model

from kpikit import charts
from kpikit.analysis import (
    attribution,
    cost_per_outcome,
    funnel,
    key_accounts,
    kpi_alignment,
    match_campaigns,
    vanity_vs_value,
)
from kpikit.model import conform


@pytest.fixture(scope="module")
def model():
    m = tiny_model()
    spend = m.spend.assign(campaign=[XSS, XSS, "Likes Contest", "Search - Brand"])
    contacts = m.contacts.assign(campaign=[XSS, XSS, "likes contest", "Likes Contest", "search - brand", None, None])
    tp = conform("touchpoints", pd.DataFrame({
        "contact_key": ["c1", "c1", "c5", "c2"], "channel": ["paid_social", "email", "paid_search", "paid_social"],
        "timestamp": pd.to_datetime(["2024-01-01", "2024-01-15", "2024-02-06", "2024-01-03"]),
    }))  # fmt: skip
    return m.replace(spend=spend, contacts=contacts, touchpoints=tp)


def test_theme_registered_and_enabled():
    assert alt.theme.active == "kpikit"
    assert "kpikit" in alt.theme.names()


VIEWS = {
    "funnel": lambda m: funnel(m),
    "funnel_by": lambda m: funnel(m, by="platform"),
    "costs": lambda m: cost_per_outcome(m),
    "vanity": lambda m: vanity_vs_value(m),
    "attribution": lambda m: attribution(m),
    "alignment": lambda m: kpi_alignment(m, period="W"),
    "key_accounts": lambda m: key_accounts(m),
    "match": lambda m: match_campaigns(m),
}


@pytest.mark.parametrize("view", list(VIEWS))
def test_every_view_renders_svg_offline_with_names_as_text(model, view):
    chart = VIEWS[view](model).chart()
    spec = chart.to_dict()
    assert "$schema" in spec
    svg = charts.to_svg(chart)
    assert svg.lstrip().startswith("<svg")
    assert "<img" not in svg  # the hostile campaign name is SVG text, escaped
    if view in ("costs", "vanity", "match"):
        assert "&lt;img src=x onerror=alert(1)&gt;" in svg or view == "match"


def test_cohort_chart_and_png(model):
    f = funnel(model)
    png = charts.to_png(charts.cohort_chart(f.cohorts))
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_charts_only_carry_drawn_columns(model):
    spec = cost_per_outcome(model).chart().to_dict()

    def rows(node):
        if isinstance(node, dict):
            if isinstance(node.get("values"), list):
                yield from node["values"]
            for v in node.values():
                yield from rows(v)
        elif isinstance(node, list):
            for v in node:
                yield from rows(v)

    values = list(rows(spec))
    assert values
    assert set().union(*values) <= {"campaign", "cost", "cost_per_real_outcome", "cost_per_real_outcome_low",
                              "cost_per_real_outcome_high", "real_outcome", "ctr", "status"}  # fmt: skip


def test_funnel_chart_labels_no_null_and_distinct_ticks():
    svg = charts.to_svg(funnel(tiny_model()).chart())
    assert ">null<" not in svg  # no visible label; the aria-label may still say step_rate: null
    ticks = [t for t in ("0", "10", "100", "1k", "10k", "100k") if f">{t}</text>" in svg]
    assert len(ticks) >= 3, svg


def _axes(spec):
    """Every encoding channel's (title, scale, axis) in a (layered) spec."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            enc = node.get("encoding")
            if isinstance(enc, dict):
                for ch in enc.values():
                    if isinstance(ch, dict):
                        out.append(ch)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return out


def test_quadrant_puts_better_value_up_and_keeps_its_promise(model):
    v = vanity_vs_value(model)
    spec = charts.vanity_chart(v.frame, vanity=v.vanity, currency="EUR").to_dict()
    title = spec["title"]
    assert "top-left" not in str(title) and str(title["text"]).endswith("?")  # one question
    cost_axis = next(ch for ch in _axes(spec) if str(ch.get("field", "")).startswith("cost_per_"))
    assert cost_axis["scale"]["reverse"] is True  # cheaper is higher: "up is better" holds
    assert "(EUR)" in cost_axis["title"]
    ctr_axis = next(ch for ch in _axes(spec) if ch.get("field") == "ctr" and "axis" in ch)
    assert ctr_axis["axis"]["format"].endswith("%")  # CTR as a percentage
    colours = next(ch for ch in _axes(spec) if ch.get("field") == "flag")
    assert all(colours["scale"]["domain"])  # every legend entry has words


def test_point_labels_are_pushed_apart_and_clear_of_other_points():
    import numpy as np

    px = np.array([100.0, 110.0, 120.0, 300.0])
    py = np.array([50.0, 52.0, 54.0, 52.0])
    widths = np.array([80.0, 80.0, 80.0, 80.0])
    ys = charts._label_offsets(px, py, widths, np.array([True] * 4), gap=12.0)
    near = sorted(ys[:3])
    assert all(b - a >= 12.0 for a, b in zip(near, near[1:], strict=False))
    assert ys[3] == 52.0  # far away: stays level with its point


def test_money_axes_name_the_currency_and_vocabulary_reads_in_words(model):
    costs = cost_per_outcome(model)
    spec = charts.cost_chart(costs.frame, by="campaign", real_outcome=costs.real_outcome, currency="EUR").to_dict()
    assert any("(EUR)" in str(ch.get("title", "")) for ch in _axes(spec))
    ka = charts.key_accounts_chart(key_accounts(model).frame, currency="EUR").to_dict()
    assert any("(EUR)" in str(ch.get("title", "")) for ch in _axes(ka))
    match = charts.match_chart(match_campaigns(model).frame, currency="EUR").to_dict()
    assert any(ch.get("title") == "spend (EUR)" for ch in _axes(match))
    for chart in (funnel(model).chart(), attribution(model).chart(), kpi_alignment(model, period="W").chart()):
        svg = charts.to_svg(chart)
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
        assert texts and not [t for t in texts if re.search(r"\b[a-z]+_[a-z_]+\b", t)], texts


def test_models_and_platforms_read_as_the_registry_words_them(model):
    spec = attribution(model).chart().to_dict()
    drawn = {row["model"] for data in spec["datasets"].values() for row in data} if "datasets" in spec else set()
    drawn |= {row["model"] for row in spec.get("data", {}).get("values", [])}
    assert {"First touch", "Last touch", "U-shaped", "Data-driven (Markov)"} <= drawn
    costs = cost_per_outcome(model, by="platform")
    svg = charts.to_svg(charts.cost_chart(costs.frame, by="platform", real_outcome=costs.real_outcome))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert {"Google Ads", "LinkedIn", "Meta"} & set(texts) and not {"google_ads", "linkedin", "meta"} & set(texts)
