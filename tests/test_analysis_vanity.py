import json
import re

import pandas as pd
import pytest
from analysis_fixtures import XSS, tiny_model

from kpikit.analysis import VANITY_KPIS, vanity_vs_value
from kpikit.analysis.vanity import column_traps
from kpikit.errors import KpikitError, OptionError


def test_ranks_tau_and_no_flags_on_tiny():
    r = vanity_vs_value(tiny_model(), by="campaign", vanity="ctr")
    f = r.to_frame().set_index("campaign")
    # CTR: Search 5% > Likes 2% > LI 0.5%. Cost per opportunity: Search 500 < LI 1000 < Likes (none: last).
    assert f.loc[["Search - Brand", "Likes Contest", "LI - Q3 Launch"], "vanity_rank"].tolist() == [1, 2, 3]
    assert f.loc[["Search - Brand", "LI - Q3 Launch", "Likes Contest"], "value_rank"].tolist() == [1, 2, 3]
    # pairs: (S,Li) concordant, (S,LI) concordant, (Li,LI) discordant -> (2-1)/3
    assert r.kendall_tau == pytest.approx(1 / 3)
    assert (f["flag"] == "").all()
    # unmatched CRM names have no spend: not ranked
    assert pd.isna(f.loc["newsletter", "vanity_rank"])


def test_inversion_flags():
    m = tiny_model()
    # Make LI the cheapest per opportunity: three more deals on it.
    extra = m.deals.iloc[[0, 0, 0]].assign(deal_id=["e1", "e2", "e3"], contact_key=None, campaign="LI - Q3 Launch")
    r = vanity_vs_value(m.replace(deals=pd.concat([m.deals, extra], ignore_index=True)), vanity="ctr")
    f = r.to_frame().set_index("campaign")
    # LI is now the cheapest per opportunity (value rank 1), but on 4 opportunities: too few to call it
    # "top by value" (the honest-ranking rule, kpikit.analysis.shrink.honest_flags).
    assert f.loc["LI - Q3 Launch", "value_rank"] == 1 and f.loc["LI - Q3 Launch", "opportunity"] == 4
    assert f.loc["LI - Q3 Launch", "flag"] == ""
    assert f.loc["Likes Contest", "value_rank"] == 3
    assert not any("top by value" in n for n in r.notes)


def test_cpc_lower_is_better_and_pipeline_outcome():
    r = vanity_vs_value(tiny_model(), vanity="cpc", outcome="pipeline").to_frame().set_index("campaign")
    assert r.loc["Likes Contest", "vanity_rank"] == 1  # 0.20 per click
    assert r.loc["LI - Q3 Launch", "value_rank"] == 1  # 10 pipeline per unit of spend


def test_column_traps():
    t = column_traps(tiny_model()).set_index("platform")
    assert t.loc["linkedin", "inflation"] == pytest.approx(2.2)  # 220 all clicks / 100 link clicks
    assert t.loc["meta", "ctr_all_clicks"] == pytest.approx(0.09)
    assert t["trap"].all() and "google_ads" not in t.index
    notes = vanity_vs_value(tiny_model()).notes
    assert any("Column trap on meta" in n for n in notes)


def test_unknown_names_are_clear_errors():
    with pytest.raises(KpikitError, match="vanity"):
        vanity_vs_value(tiny_model(), vanity="likes_per_dollar")
    with pytest.raises(KpikitError, match="outcome"):
        vanity_vs_value(tiny_model(), outcome="happiness")
    assert {"ctr", "cpc", "engagements", "cost_per_engagement"} <= set(VANITY_KPIS)


def test_json_and_html():
    m = tiny_model()
    r = vanity_vs_value(m.replace(spend=m.spend.assign(campaign=XSS)))
    json.dumps(r.to_dict(), allow_nan=False)
    assert "<img" not in r._repr_html_()


@pytest.mark.parametrize("kpi", sorted(VANITY_KPIS))
def test_every_registered_vanity_kpi_runs(kpi):
    r = vanity_vs_value(tiny_model(), vanity=kpi)
    assert kpi in r.to_frame().columns


def test_engagement_kpis_by_hand():
    f = vanity_vs_value(tiny_model(), vanity="cost_per_engagement").to_frame().set_index("campaign")
    # only Likes Contest reports engagements: 400 / 5,000 = 0.08 per like; the others are not ranked
    assert f.loc["Likes Contest", "cost_per_engagement"] == pytest.approx(0.08)
    assert f.loc["Likes Contest", "vanity_rank"] == 1 and pd.isna(f.loc["LI - Q3 Launch", "vanity_rank"])


def test_vanity_kpis_are_the_core_vanity_measures():
    from kpikit.core.measures import MEASURES, VANITY

    assert sorted(k.measure.name for k in VANITY_KPIS.values()) == sorted(VANITY)
    assert VANITY_KPIS["leads"].measure is MEASURES["lead"]  # metrics.json and configs say "leads"
    for name, kpi in VANITY_KPIS.items():
        assert kpi.name == name and kpi.label == kpi.measure.label
        assert kpi.higher_is_better == kpi.measure.higher_is_better


def test_vanity_vs_value_uses_the_shared_agreement_rule():
    from kpikit.analysis import rank_agreement

    r = vanity_vs_value(tiny_model(), by="campaign", vanity="ctr")
    f = r.frame
    ranked = f["vanity_rank"].notna().to_numpy()
    again = rank_agreement(f["ctr"], f["cost_per_opportunity"], ranked=ranked)
    assert again.tau == r.kendall_tau
    assert again.vanity_rank.tolist() == pytest.approx(f["vanity_rank"].tolist(), nan_ok=True)
    assert again.value_rank.tolist() == pytest.approx(f["value_rank"].tolist(), nan_ok=True)


@pytest.mark.parametrize(
    "kwargs, meant",
    [({"vanity": "CPC"}, "cpc"), ({"vanity": "cost_per_leads"}, "cost_per_lead"), ({"outcome": "pipline"}, "pipeline"),
     ({"by": "platfrom"}, "platform")],
)  # fmt: skip
def test_a_mistyped_vanity_option_is_an_option_error_that_says_what_was_meant(kwargs, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        vanity_vs_value(tiny_model(), **kwargs)
