import pandas as pd
import pytest
from analysis_fixtures import XSS, tiny_model

from kpikit.analysis import match_campaigns
from kpikit.analysis.joins import map_keys, normalise_domains, normalise_names


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("LI - Q3 Launch", "q3 launch"),
        ("li-q3 launch", "q3 launch"),
        ("FB_Spring Promo", "spring promo"),
        ("gads: Search - Brand", "search brand"),
        ("Google Ads | Search_Brand", "search brand"),
        ("GA - Search - Brand", "search brand"),
        ("  SEARCH   brand ", "search brand"),
        ("Search – Brand", "search – brand"),  # an en dash is not a separator: kept, visible in unmatched names
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_normalise_names(raw, key):
    out = normalise_names(pd.Series([raw], dtype="str"))[0]
    assert (pd.isna(out) and key is None) or out == key


def test_normalise_keeps_index_and_handles_repeats():
    s = pd.Series(["A", "a ", None, "A"], index=[10, 11, 12, 13], dtype="str")
    out = normalise_names(s)
    assert list(out.index) == [10, 11, 12, 13]
    assert out.tolist()[:2] == ["a", "a"] and pd.isna(out[12])


def test_domains():
    s = pd.Series(["HTTP://www.Acme.com:443/x", "acme.com", None, "sub.acme.com"])
    assert normalise_domains(s).tolist()[:2] == ["acme.com", "acme.com"]
    assert normalise_domains(s).tolist()[3] == "sub.acme.com"


def test_campaign_map_applied_after_normalisation():
    keys = normalise_names(pd.Series(["dp_search_q1", "other"]))
    out = map_keys(keys, {"DP_Search_Q1": "Search - Data Platform"})
    assert out.tolist() == ["search data platform", "other"]


def test_match_campaigns_tiny():
    r = match_campaigns(tiny_model())
    f = r.to_frame().set_index("key")
    # q3 launch: contacts c1, c2; deal d1 via c1. likes contest: c3, c4. search brand: c5 + d2 (via c5) + d3 (own).
    assert f.loc["q3 launch", ["contacts", "deals"]].tolist() == [2, 1]
    assert f.loc["likes contest", ["contacts", "deals"]].tolist() == [2, 0]
    assert f.loc["search brand", ["contacts", "deals", "pipeline"]].tolist() == [1, 2, 7000.0]
    assert f.loc["newsletter", "status"] == "outcomes without spend"
    s = r.summary
    assert s["spend_total"] == 2400.0 and s["spend_match_rate"] == 1.0
    assert (s["contacts_total"], s["contacts_matched"], s["contacts_without_campaign"]) == (7, 5, 1)
    assert s["unmatched_crm_names"] == ["newsletter"]
    assert s["deals_matched"] == 3


def test_match_reports_spend_without_outcomes_and_escapes():
    m = tiny_model()
    spend = pd.concat([m.spend, m.spend.iloc[[0]].assign(campaign=XSS, cost=50.0)], ignore_index=True)
    r = match_campaigns(m.replace(spend=spend))
    assert r.summary["spend_without_outcomes"] == [XSS]
    assert r.summary["spend_match_rate"] == pytest.approx(2400 / 2450)
    html = r._repr_html_()
    assert XSS not in html and "&lt;img src=x onerror=alert(1)&gt;" in html


def _with_contact_campaigns(m, campaigns):
    from kpikit.model import conform

    return m.replace(contacts=conform("contacts", m.contacts.assign(campaign=pd.Series(campaigns, dtype="str"))))


def test_a_crm_campaign_naming_an_ad_group_matches_its_campaign():
    from kpikit.analysis import segment_table

    # c6's utm_campaign names the LinkedIn campaign "CFOs" (kpikit's ad group) of "LI - Q3 Launch"
    m = _with_contact_campaigns(tiny_model(), ["q3_launch", "LI-Q3 Launch", "likes contest", "Likes Contest",
                                               "search - brand", "li_cfos", None])  # fmt: skip
    r = match_campaigns(m)
    f = r.to_frame().set_index("key")
    assert f.loc["q3 launch", "contacts"] == 3 and r.summary["unmatched_crm_names"] == []
    assert r.summary["contacts_matched"] == 6
    by_ag = segment_table(m, by="ad_group").set_index("ad_group")["lead"]
    assert by_ag["CFOs"] == 1  # the contact counts for the ad group its campaign named
    from kpikit.analysis._prepare import prepare

    assert any("name an ad group, not a campaign" in n and "'CFOs' -> 'LI - Q3 Launch'" in n for n in prepare(m).notes)


def test_an_ad_group_name_under_several_campaigns_matches_none():
    from kpikit.analysis._prepare import prepare
    from kpikit.model import conform

    m = tiny_model()
    extra = m.spend.iloc[[3]].assign(ad_group="Broad")  # "Broad" now runs under Likes Contest and Search - Brand
    m = _with_contact_campaigns(m.replace(spend=conform("spend", pd.concat([m.spend, extra], ignore_index=True))),
                                ["q3_launch", "LI-Q3 Launch", "likes contest", "Likes Contest", "search - brand",
                                 "broad", None])  # fmt: skip
    r = match_campaigns(m)
    assert r.summary["unmatched_crm_names"] == ["broad"]
    note = "CRM campaign 'Broad' names ad groups of 2 campaigns ('Likes Contest', 'Search - Brand'): not matched"
    assert any(n.startswith(note) for n in prepare(m).notes)


def test_campaign_map_values_that_name_nothing_are_reported_with_the_closest_names():
    from kpikit.analysis import cost_per_outcome
    from kpikit.analysis._prepare import prepare

    m = tiny_model(campaign_map={"newsletter": "Likes Contst", "q3_launch": "CFOs"})
    (miss,) = prepare(m).map_misses
    assert (miss.key, miss.value, miss.closest[0]) == ("newsletter", "Likes Contst", "Likes Contest")
    # before: ignored without a word; now every view's notes say it
    assert any(n.startswith("campaign_map maps 'newsletter' to 'Likes Contst', which names no campaign")
               for n in cost_per_outcome(m).notes)  # fmt: skip
    # a value naming the ad group of one campaign matches that campaign
    assert match_campaigns(m).to_frame().set_index("key").loc["q3 launch", "contacts"] == 2
