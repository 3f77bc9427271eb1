import json
import math

import numpy as np
import pandas as pd
import pytest
from analysis_fixtures import XSS, tiny_model

from kpikit.analysis import cost_per_outcome, cost_table, segment_table
from kpikit.errors import CurrencyError


def test_cost_per_outcome_by_campaign_by_hand():
    r = cost_per_outcome(tiny_model(), by="campaign")
    f = r.to_frame().set_index("campaign")
    li = f.loc["LI - Q3 Launch"]
    assert (li["cost"], li["ctr"], li["cpc"], li["cpm"]) == (1000.0, 0.005, 10.0, 50.0)
    assert (li["cost_per_lead"], li["cost_per_mql"], li["cost_per_sql"], li["cost_per_opportunity"]) == (
        500.0, 500.0, 1000.0, 1000.0,
    )  # fmt: skip
    assert li["pipeline_per_cost"] == 10.0 and li["revenue_per_cost"] == 10.0 and li["cac"] == 1000.0
    likes = f.loc["Likes Contest"]
    assert likes["ctr"] == 0.02 and likes["cpc"] == 0.2 and likes["cost_per_lead"] == 200.0
    assert math.isnan(likes["cost_per_opportunity"]) and likes["status"] == "no outcome yet"
    brand = f.loc["Search - Brand"]
    assert brand["cost_per_opportunity"] == 500.0 and brand["pipeline"] == 7000.0 and brand["revenue"] == 2000.0
    assert f.loc["newsletter", "status"] == "no spend" and math.isnan(f.loc["newsletter", "cost_per_lead"])
    assert f.loc["(not set)", "lead"] == 1
    assert f["cost"].sum() == 2400.0  # spend in = spend out


def test_totals_by_hand():
    t = cost_per_outcome(tiny_model()).totals
    assert t["cost"] == 2400.0 and t["lead"] == 7 and t["opportunity"] == 3 and t["won"] == 2
    assert t["cost_per_lead"] == pytest.approx(2400 / 7)
    assert t["customers"] == 2 and t["cac"] == 1200.0  # BigCo and Other Co
    assert t["key_account"] == 1 and t["cost_per_key_account"] == 2400.0  # c1 and c5 are both BigCo
    assert t["pipeline"] == 17000.0 and t["revenue"] == 12000.0


def test_division_by_zero_is_missing_never_inf():
    t = pd.DataFrame({"campaign": ["a", "b", "c"], "impressions": [0.0, 100.0, 0.0], "clicks": [0.0, 0.0, 0.0],
                      "cost": [10.0, 0.0, 0.0], "lead": [0.0, 2.0, 0.0], "opportunity": [0.0, 0.0, np.nan]})  # fmt: skip
    out = cost_table(t, "opportunity")
    num = out.select_dtypes("number")
    assert not np.isinf(num.to_numpy()).any()
    assert out["status"].tolist() == ["no outcome yet", "no spend", "not measured"]
    assert math.isnan(out.loc[0, "cpm"]) and math.isnan(out.loc[0, "cpc"])
    json.dumps(cost_per_outcome(tiny_model()).to_dict(), allow_nan=False)


def test_interval_and_small_sample_status():
    r = cost_per_outcome(tiny_model(), by="campaign").to_frame().set_index("campaign")
    row = r.loc["Search - Brand"]
    assert row["cost_per_real_outcome_low"] < 500 < row["cost_per_real_outcome_high"]
    assert row["status"] == "too few outcomes"


def test_segment_table_by_ad_group_and_dim():
    m = tiny_model()
    spend = m.spend.assign(dim_audience=["cfo", "cfo", "broad", None])
    t = segment_table(m.replace(spend=spend), by="dim_audience").set_index("dim_audience")
    assert t.loc["cfo", "cost"] == 1000.0 and t.loc["(not set)", "cost"] == 1000.0
    # contacts carry no audience: their outcomes are "(not set)", counted, not dropped
    assert t["lead"].sum() == 7
    ag = segment_table(m, by="ad_group").set_index("ad_group")
    assert ag.loc["CFOs", "cost"] == 1000.0 and ag["lead"].sum() == 7


def test_more_than_one_currency_raises():
    m = tiny_model()
    spend = m.spend.assign(currency=["EUR", "EUR", "USD", "EUR"])
    with pytest.raises(CurrencyError) as e:
        cost_per_outcome(m.replace(spend=spend))
    assert "USD" in str(e.value) and "to_reporting_currency" in str(e.value)


def test_to_reporting_currency():
    from kpikit.analysis import to_reporting_currency

    m = tiny_model(fx_rates={"USD": 0.5})
    spend = m.spend.assign(currency=["EUR", "EUR", "USD", "EUR"])
    conv = to_reporting_currency(m.replace(spend=spend))
    assert conv.spend["cost"].tolist() == [500.0, 500.0, 200.0, 1000.0]
    assert set(conv.spend["currency"]) == {"EUR"}
    with pytest.raises(CurrencyError, match="GBP"):
        to_reporting_currency(m.replace(spend=spend.assign(currency="GBP")))


def test_html_escapes_campaign_names():
    m = tiny_model()
    spend = m.spend.assign(campaign=[XSS, XSS, "Likes & <b>Shares</b>", "Search - Brand"])
    html = cost_per_outcome(m.replace(spend=spend))._repr_html_()
    assert "<img" not in html and "<b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "Likes &amp; &lt;b&gt;Shares&lt;/b&gt;" in html
