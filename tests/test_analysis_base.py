import json

import pandas as pd
import pytest
from analysis_fixtures import XSS, tiny_model

from kpikit.analysis import (
    attribution,
    cost_per_outcome,
    funnel,
    key_accounts,
    kpi_alignment,
    match_campaigns,
    metrics,
    vanity_vs_value,
)
from kpikit.model import ClientModel, conform

VIEWS = {
    "funnel": lambda m: funnel(m, by="campaign"),
    "costs": lambda m: cost_per_outcome(m, by="campaign"),
    "vanity": lambda m: vanity_vs_value(m, by="campaign"),
    "attribution": lambda m: attribution(m),
    "alignment": lambda m: kpi_alignment(m),
    "key_accounts": lambda m: key_accounts(m),
    "match": lambda m: match_campaigns(m),
}


@pytest.fixture(scope="module")
def hostile():
    m = tiny_model()
    spend = m.spend.assign(campaign=[XSS, XSS, "A & <b>B</b>", "Search - Brand"])
    contacts = m.contacts.assign(campaign=[XSS, XSS, "a & <b>b</b>", "<script>x</script>", None, None, None])
    tp = conform("touchpoints", pd.DataFrame({"contact_key": ["c1", "c1"], "channel": [XSS, "<svg onload=1>"],
                                              "timestamp": pd.to_datetime(["2024-01-01", "2024-01-03"])}))  # fmt: skip
    ta = m.target_accounts.assign(tier=["<i>tier</i>", "t2"])
    return m.replace(spend=spend, contacts=contacts, touchpoints=tp, target_accounts=ta)


@pytest.mark.parametrize("view", list(VIEWS))
def test_repr_html_escapes_every_label(hostile, view):
    html = VIEWS[view](hostile)._repr_html_()
    for raw in ("<img", "<b>", "<script", "<svg", "<i>"):
        assert raw not in html, raw
    if view in ("costs", "vanity", "match", "funnel", "attribution"):
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


@pytest.mark.parametrize("view", list(VIEWS))
def test_to_dict_is_plain_json(hostile, view):
    d = VIEWS[view](hostile).to_dict()
    text = json.dumps(d, allow_nan=False)  # no NaN, no numpy types
    assert json.loads(text) == d


@pytest.mark.parametrize("view", list(VIEWS))
def test_empty_model_does_not_crash(view):
    r = VIEWS[view](ClientModel())
    json.dumps(r.to_dict(), allow_nan=False)
    assert r._repr_html_().startswith("<div")


def test_metrics_of_empty_model():
    m = metrics(ClientModel())
    assert m["totals"]["spend"] == 0.0 and m["totals"]["ctr"] is None and m["attribution"] is None
    assert m["cost_per_stage"]["lead"] is None
