import json
import math
import re

import pandas as pd
import pytest
from analysis_fixtures import tiny_model

from kpikit.analysis import funnel, segment_table
from kpikit.analysis.funnel import cohorts, stage_times
from kpikit.errors import KpikitError, OptionError


def test_funnel_counts_and_rates_by_hand():
    f = funnel(tiny_model())
    got = f.to_frame().set_index("stage")
    # impressions 10k+10k+100k+5k; clicks 50+50+2000+250; 7 contacts; MQL c1 c2 c4 c5 c6; SQL c1 c5;
    # opportunities = 3 deals; won = d1, d3.
    assert got["count"].to_dict() == {
        "impressions": 125000, "clicks": 2350, "lead": 7, "mql": 5, "sql": 2, "opportunity": 3, "won": 2,
    }  # fmt: skip
    assert got.loc["clicks", "step_rate"] == pytest.approx(2350 / 125000)
    assert got.loc["mql", "step_rate"] == pytest.approx(5 / 7)
    assert got.loc["won", "cumulative_rate"] == pytest.approx(2 / 125000)
    # 3 deals from 2 SQLs: not a subset, so no interval and flagged.
    assert got.loc["opportunity", "step_rate"] == pytest.approx(1.5)
    assert not got.loc["opportunity", "nested"] and math.isnan(got.loc["opportunity", "step_low"])
    assert got.loc["sql", "step_low"] < 0.4 < got.loc["sql", "step_high"]
    assert any("not a subset" in n for n in f.notes)


def test_funnel_by_campaign_and_period():
    f = funnel(tiny_model(), by="campaign", period="M")
    w = f.wide()
    # LI - Q3 Launch in January: c1, c2 leads; c1 is SQL; d1 (via c1) is the opportunity, won.
    assert w.loc[("LI - Q3 Launch", "2024-01")].tolist() == [20000, 100, 2, 2, 1, 1, 1]
    # Search - Brand in February: d2 via c5 (created Feb) and d3 (no contact, created Feb).
    assert w.loc[("Search - Brand", "2024-02"), "opportunity"] == 2


def test_stage_times_by_hand():
    t = stage_times(tiny_model()).set_index(["from_stage", "to_stage"])
    # lead->mql: 3, 3, 1, 1, 1 days; mql->sql: 5, 1; sql->opp: c1 10 days, c5 7 days (deal d2 created 02-15);
    # opp->won: c1 from 01-20 to d1's close 03-01 = 41 days; lead->opportunity: 18 and 9 days.
    assert t.loc[("lead", "mql"), "median_days"] == 1.0
    assert t.loc[("mql", "sql"), "median_days"] == 3.0
    assert t.loc[("sql", "opportunity"), "median_days"] == 8.5
    assert t.loc[("opportunity", "won"), "median_days"] == 41.0
    assert t.loc[("lead", "opportunity"), ["n", "median_days"]].tolist() == [2, 13.5]


def test_negative_gaps_counted_not_used():
    m = tiny_model()
    c = m.contacts.copy()
    c.loc[1, "mql_date"] = pd.Timestamp("2023-12-01")  # before the lead was created
    t = stage_times(m.replace(contacts=c)).set_index(["from_stage", "to_stage"])
    assert t.loc[("lead", "mql"), ["n", "n_negative"]].tolist() == [4, 1]


def test_cohorts_maturity():
    coh = cohorts(tiny_model())
    assert coh["cohort"].tolist() == ["2024-01", "2024-02"]
    assert coh["leads"].tolist() == [4, 3]
    assert coh["opportunity"].tolist() == [1, 1]
    # lead->opportunity takes up to ~17 days (p90 of 18 and 9); data ends 2024-03-01 (d1's close).
    assert coh.attrs["maturity_days"] == pytest.approx(17.1)
    assert coh["mature"].tolist() == [True, False]


def test_reported_mode_uses_spend_outcomes():
    m = tiny_model(funnel={"real_outcome": "won", "stages": ["impressions", "clicks", "lead", "won"]})
    spend = m.spend.assign(reported_leads=[3, 4, 50, 5], reported_outcomes=[1, 1, 0, 2])
    r = funnel(m.replace(spend=spend, contacts=m.contacts.iloc[0:0], deals=m.deals.iloc[0:0]))
    got = r.to_frame().set_index("stage")["count"].to_dict()
    assert got == {"impressions": 125000, "clicks": 2350, "lead": 62, "won": 4}


def test_bad_by_is_a_clear_error():
    with pytest.raises(KpikitError, match="cannot segment") as e:
        funnel(tiny_model(), by="email")
    assert "dim_" in str(e.value)
    with pytest.raises(KpikitError, match="period"):
        segment_table(tiny_model(), period="fortnight")


def test_to_dict_json_safe():
    d = funnel(tiny_model(), by="platform").to_dict()
    text = json.dumps(d, allow_nan=False)
    assert "NaN" not in text and d["view"] == "funnel"


def test_funnel_recomputed_from_the_precomputed_aggregate():
    from kpikit.analysis import funnel_table

    m = tiny_model()
    table = segment_table(m, by="campaign")
    f = funnel(m, by="campaign")
    again = funnel_table(table, f.stages)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), f.frame.reset_index(drop=True), check_dtype=False)


def test_open_deal_forecast_does_not_age_cohorts():
    # An open deal expected to close in 2025 says nothing about how far the data reaches:
    # the data still ends 2024-03-01 (d1's real close), so February stays immature.
    m = tiny_model()
    deals = m.deals.copy()
    deals.loc[1, "close_date"] = pd.Timestamp("2025-06-30")
    deals["is_closed"] = pd.array([True, False, True], dtype="boolean")
    coh = cohorts(m.replace(deals=deals))
    assert coh["mature"].tolist() == [True, False]


def _deals_without_contacts(m):
    """tiny_model's deals as a Salesforce opportunities report has them: an account, never a contact."""
    from kpikit.model import conform

    return m.replace(deals=conform("deals", m.deals.assign(contact_key=pd.Series([None] * 3, dtype="str"))))


def test_cohort_won_counts_are_not_measured_when_no_deal_names_a_contact():
    linked = cohorts(tiny_model()).set_index("cohort")
    assert linked["won"].tolist() == [1, 0]  # c1 (January) is the contact of the won d1
    m = _deals_without_contacts(tiny_model())
    coh = cohorts(m).set_index("cohort")
    assert coh["won"].isna().all()  # not 0: the export cannot say which lead won
    assert coh["opportunity"].tolist() == [1, 0]  # c1's own opportunity date is still measured
    assert coh["rate"].notna().all()  # the real outcome (opportunity) is measured per contact
    f = funnel(m)
    assert (
        "Won deals are not linked to contacts in this CRM export: lead cohorts' won counts are not measured." in f.notes
    )
    assert f.to_frame().set_index("stage").loc["won", "count"] == 2  # the deals themselves: 2 won
    json.dumps(f.to_dict(), allow_nan=False)


def test_cohort_rate_is_not_measured_when_the_real_outcome_is_won_and_deals_name_no_contact():
    m = _deals_without_contacts(tiny_model(funnel={"real_outcome": "won"}))
    coh = cohorts(m)
    assert coh[["won", "rate", "rate_low", "rate_high"]].isna().all().all()
    # no "not mature: leads take up to – days" claim about an outcome the data cannot follow
    assert not any("not mature" in n for n in funnel(m).notes)


@pytest.mark.parametrize(
    "kwargs, meant",
    [({"period": "mnth"}, "month"), ({"period": "Weeks"}, "week"), ({"by": "campain"}, "campaign")],
)
def test_a_mistyped_segment_option_is_an_option_error_that_says_what_was_meant(kwargs, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        segment_table(tiny_model(), **kwargs)
