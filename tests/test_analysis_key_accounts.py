import json

import pandas as pd
import pytest
from analysis_fixtures import tiny_model

from kpikit.analysis import key_accounts
from kpikit.model import conform


def test_key_accounts_by_hand():
    m = tiny_model()
    tp = conform("touchpoints", pd.DataFrame({
        "contact_key": ["c1", "c5", "c2", "c3", "c3", "anon", "anon"],
        "timestamp": pd.to_datetime(["2024-01-01"] * 7), "channel": ["web"] * 7,
    }))  # fmt: skip
    r = key_accounts(m.replace(touchpoints=tp))
    f = r.to_frame().set_index("group")
    k, o = f.loc["key accounts"], f.loc["everyone else"]
    # c1 (bigco.com) and c5 (www.BigCo.com) are BigCo; d1 (10,000 won) and d2 (5,000 open) are BigCo's.
    assert (k["accounts"], k["visits"], k["contacts"], k["opportunities"], k["won"]) == (1, 2, 2, 2, 1)
    assert (k["pipeline"], k["revenue"], k["pipeline_per_visit"]) == (15000.0, 10000.0, 7500.0)
    # everyone else: 5 visits (c2, c3 x2, two anonymous), 5 contacts, d3 (2,000 won, Other Co)
    assert (o["visits"], o["contacts"], o["pipeline"], o["pipeline_per_visit"]) == (5, 5, 2000.0, 400.0)
    assert r.coverage == {"target_accounts": 2, "engaged": 1, "with_pipeline": 1}
    tiers = r.tiers.set_index("tier")
    assert tiers.loc["tier 1", ["accounts", "engaged", "pipeline"]].tolist() == [1, 1, 15000.0]
    assert tiers.loc["tier 2", "engaged"] == 0
    assert any("18.8x" in n for n in r.notes)  # 7,500 / 400
    json.dumps(r.to_dict(), allow_nan=False)


def test_no_target_list():
    m = tiny_model()
    r = key_accounts(m.replace(target_accounts=m.target_accounts.iloc[0:0]))
    assert r.to_frame().set_index("group").loc["key accounts", "contacts"] == 0
    assert any("No target-account list" in n for n in r.notes)


def test_match_by_company_name_when_no_domain():
    m = tiny_model()
    c = m.contacts.assign(company_domain=None, company=["BigCo", None, None, None, "bigco", None, None])
    r = key_accounts(m.replace(contacts=c))
    assert r.to_frame().set_index("group").loc["key accounts", "contacts"] == pytest.approx(2)


def _deals_without_contacts(m):
    """tiny_model's deals as a Salesforce opportunities report has them: an account, never a contact."""
    return m.replace(deals=conform("deals", m.deals.assign(contact_key=pd.Series([None] * 3, dtype="str"))))


def test_contact_win_rate_is_not_measured_when_no_deal_names_a_contact():
    linked = key_accounts(tiny_model()).to_frame().set_index("group")
    # c1 (BigCo) is the contact of the won d1: 1 of the 2 key-account contacts won
    assert (linked.loc["key accounts", "won_contacts"], linked.loc["key accounts", "contact_win_rate"]) == (1, 0.5)
    r = key_accounts(_deals_without_contacts(tiny_model()))
    f = r.to_frame().set_index("group")
    cols = ["won_contacts", "contact_win_rate", "contact_win_rate_low", "contact_win_rate_high"]
    assert f[cols].isna().all().all()  # not 0 (and not a 0-40% interval): the export cannot say
    # the deals' own figures stay: d1 and d2 are BigCo's by account domain and name
    assert (f.loc["key accounts", "won"], f.loc["key accounts", "revenue"]) == (1, 10000.0)
    assert "Won deals are not linked to contacts in this CRM export: the contacts' win rate is not measured." in r.notes
    assert all(row["contact_win_rate"] is None for row in r.to_dict()["rows"])
    json.dumps(r.to_dict(), allow_nan=False)
