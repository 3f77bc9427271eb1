"""The engine on real public exports (../shared/real_data, see its PROVENANCE.md).

The model frames are built here with pandas straight from the CSVs (mirroring the column maps in
templates/column_maps/), so these tests do not depend on the loaders; expected figures are
recomputed independently with plain pandas group-bys.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _real_data import REAL, kag_model, require_real_data
from scipy.stats import binomtest

from kpikit.analysis import cost_per_outcome, funnel, vanity_vs_value
from kpikit.analysis.funnel import cohorts, stage_times
from kpikit.config import ClientConfig
from kpikit.model import ClientModel, conform
from kpikit.privacy import hash_emails

require_real_data()


@pytest.fixture(scope="module")
def kag():
    return kag_model()


@pytest.mark.parametrize(("by", "col"), [("dim_age", "age"), ("dim_gender", "gender"), ("campaign", "xyz_campaign_id")])
def test_kag_ctr_and_cost_per_approved(kag, by, col):
    raw, model = kag
    got = cost_per_outcome(model, by=by).to_frame().set_index(by)
    g = raw.groupby(raw[col].astype(str)).agg(i=("Impressions", "sum"), c=("Clicks", "sum"), s=("Spent", "sum"),
                                              t=("Total_Conversion", "sum"), a=("Approved_Conversion", "sum"))  # fmt: skip
    assert sorted(got.index) == sorted(g.index)
    for key, e in g.iterrows():
        r = got.loc[key]
        assert r["ctr"] == pytest.approx(e["c"] / e["i"], rel=1e-12)
        assert r["cost_per_lead"] == pytest.approx(e["s"] / e["t"], rel=1e-12)  # per enquiry (Total_Conversion)
        assert r["cost_per_won"] == pytest.approx(e["s"] / e["a"], rel=1e-12)  # per approved conversion
        assert r["cost_per_real_outcome_low"] < r["cost_per_won"] < r["cost_per_real_outcome_high"]
    assert got["cost"].sum() == pytest.approx(raw["Spent"].sum(), abs=1e-6)  # spend in = spend out


def test_kag_vanity_inversion_by_age(kag):
    _, model = kag
    v = vanity_vs_value(model, by="dim_age", vanity="ctr")
    f = v.to_frame().set_index("dim_age")
    # The older the audience, the higher the CTR and the dearer each approved conversion: fully reversed.
    assert v.kendall_tau == pytest.approx(-1.0)
    assert f["vanity_rank"].to_dict() == {"45-49": 1, "40-44": 2, "35-39": 3, "30-34": 4}
    assert f["value_rank"].to_dict() == {"30-34": 1, "35-39": 2, "40-44": 3, "45-49": 4}
    assert f.loc["45-49", "flag"] == "top by vanity, bottom by value"
    assert f.loc["30-34", "flag"] == "bottom by vanity, top by value"
    assert f.loc["45-49", "cost_per_won"] / f.loc["30-34", "cost_per_won"] == pytest.approx(3.23, abs=0.01)


def test_kag_gender_and_campaign(kag):
    _, model = kag
    g = vanity_vs_value(model, by="dim_gender", vanity="ctr").to_frame().set_index("dim_gender")
    assert g.loc["F", "ctr"] > g.loc["M", "ctr"] and g.loc["F", "cost_per_won"] > g.loc["M", "cost_per_won"]
    assert g.loc["F", "flag"] == "top by vanity, bottom by value"
    c = vanity_vs_value(model, by="campaign", vanity="ctr").to_frame().set_index("campaign")
    assert c.loc["936", "vanity_rank"] == 1 and c.loc["916", "value_rank"] == 1
    assert c.loc["1178", ["vanity_rank", "value_rank"]].tolist() == [3, 3]


@pytest.fixture(scope="module")
def olist():
    mql = pd.read_csv(REAL / "olist_marketing_qualified_leads_dataset.csv", dtype=str, keep_default_na=False)
    closed = pd.read_csv(REAL / "olist_closed_deals_dataset.csv", dtype=str, keep_default_na=False)
    first = pd.to_datetime(mql["first_contact_date"], format="%Y-%m-%d")
    contacts = conform("contacts", pd.DataFrame({
        "contact_key": hash_emails(mql["mql_id"], "t"), "created_date": first, "mql_date": first,
        # an empty origin is "not recorded" (NA); the literal "unknown" stays a value of its own
        "source": mql["origin"].replace("", pd.NA),
    }))  # fmt: skip
    won = pd.to_datetime(closed["won_date"], format="%Y-%m-%d %H:%M:%S")
    deals = conform("deals", pd.DataFrame({
        "deal_id": closed["seller_id"], "contact_key": hash_emails(closed["mql_id"], "t"), "created_date": won,
        "close_date": won, "is_won": True,
    }))  # fmt: skip
    cfg = ClientConfig.from_dict({"client": "olist", "currency": "BRL",
                                  "funnel": {"stages": ["mql", "won"], "real_outcome": "won"}})  # fmt: skip
    return mql, closed, ClientModel(contacts=contacts, deals=deals, config=cfg)


def test_olist_mql_to_won_by_origin_with_wilson(olist):
    mql, closed, model = olist
    w = funnel(model, by="source").wide()
    origin = mql["origin"].replace("", "(not set)")
    won = origin[mql["mql_id"].isin(closed["mql_id"])].value_counts()
    n = origin.value_counts()
    assert w["mql"].to_dict() == n.to_dict()
    assert w["won"].to_dict() == won.reindex(n.index, fill_value=0).to_dict()
    f = funnel(model, by="source").to_frame().query("stage == 'won'").set_index("source")
    for o in n.index:
        ci = binomtest(int(won.get(o, 0)), int(n[o])).proportion_ci(method="wilson")
        assert (f.loc[o, "step_low"], f.loc[o, "step_high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)
    # the two kinds of missing stay apart: 60 empty ("(not set)") and 1,099 literal "unknown"
    assert (w.loc["(not set)", "mql"], w.loc["unknown", "mql"]) == (60, 1099)
    assert (w.loc["(not set)", "won"], w.loc["unknown", "won"]) == (14, 179)


def test_olist_time_to_close_and_cohorts(olist):
    mql, closed, model = olist
    t = stage_times(model).set_index(["from_stage", "to_stage"]).loc[("mql", "won")]
    first = mql.set_index("mql_id")["first_contact_date"].pipe(pd.to_datetime)
    days = (pd.to_datetime(closed["won_date"]) - first.reindex(closed["mql_id"]).to_numpy()).dt.total_seconds() / 86400
    good = days[days >= 0]
    assert t["n_negative"] == 1 == int((days < 0).sum())  # the deal won 2 days before its first contact
    assert t["median_days"] == pytest.approx(float(np.median(good)))
    assert (t["p25_days"], t["p75_days"]) == pytest.approx(tuple(np.percentile(good, [25, 75])))
    coh = cohorts(model)
    assert coh["leads"].sum() == 8000 and coh["won"].sum() == 842
    assert coh.attrs["maturity_days"] == pytest.approx(float(np.percentile(good, 90)))


def test_olist_deals_without_amounts_have_no_pipeline_rather_than_zero(olist):
    _, _, model = olist
    totals = cost_per_outcome(model, by="source").totals
    assert totals["won"] == 842 and totals["pipeline"] is None and totals["revenue"] is None
    assert totals["status"] == "no spend"  # Olist exports carry no cost: cost per outcome cannot be computed
