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
