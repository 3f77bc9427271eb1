"""Findings: every number in every sentence is a stored figure, and every figure is recomputed here.

Figures are recomputed with plain pandas from the segment table (hand formulas, not the measures
registry), from key_accounts / kpi_alignment, or from the daily table. The planted stories are checked
against the samples' own truth (kpikit/samples/_clients.py, _truth.py); the real-data age inversion
against the raw KAG file.
"""

from __future__ import annotations

import json
import re

import pandas as pd
import pytest
from _real_data import REAL, kag_model

from kpikit.analysis import findings, key_accounts, kpi_alignment, to_reporting_currency
from kpikit.analysis.findings import DETECTORS, Figure, Finding, register
from kpikit.analysis.segments import segment_table
from kpikit.core.fmt import fmt
from kpikit.core.names import NOT_SET
from kpikit.errors import KpikitError, OptionError
from kpikit.model import ClientModel
from kpikit.samples import COMPETITION_CAMPAIGN, HTML_CAMPAIGN, LADDER, SAMPLE_CLIENTS, sample_model
from kpikit.samples._clients import CLIENTS, LATE_START, PERIOD_START
from kpikit.samples._truth import build


@pytest.fixture(scope="module")
def samples():
    out = {}
    for c in SAMPLE_CLIENTS:
        model = to_reporting_currency(sample_model(c))
        out[c] = (model, findings(model))
    return out


@pytest.fixture(scope="module")
def kag():
    if not REAL.is_dir():
        pytest.skip(f"{REAL} is not beside the repo")
    raw, model = kag_model()
    return raw, model, findings(model)


def all_cases(samples, kag):
    yield from ((c, m, r) for c, (m, r) in samples.items())
    yield "kag", kag[1], kag[2]


# -- every number is a figure ------------------------------------------------------------------------------

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def labels_of(item) -> set[str]:
    out = {item["segment"], *([item["parent"]] if item["parent"] else [])}
    for g in item["groups"].values():
        out |= set(g["where"].values())
        out |= {x for row in g["rows"] or [] for x in row}
    return out


def check_sentence(item, currency):
    text, template = item["text"], item["template"]
    rendered = {name: fmt(f["value"], f["kind"], currency) for name, f in item["figures"].items()}
    # each figure, re-formatted from its stored JSON value, is in the text...
    for name, shown in rendered.items():
        assert shown in text, (name, shown, text)
    # ...and the text is exactly the template filled with the figures, words and dates
    assert text == template.format_map({**rendered, **item["words"], **item["dates"]})
    slots = set(PLACEHOLDER.findall(template))
    assert set(rendered) <= slots, "a stored figure the sentence does not cite"
    # no other number: none in the template's own words, none in words unless they are segment names
    assert not re.search(r"\d", PLACEHOLDER.sub("", template)), template
    names = labels_of(item)
    for key, word in item["words"].items():
        if re.search(r"\d", word):
            parts = word.removeprefix("among them ").split(", ")
            assert all(p in names for p in parts), (key, word)
    for key, day in item["dates"].items():
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", day), (key, day)
    assert "_" not in PLACEHOLDER.sub("", template)  # words, not snake_case
    for bad in ("nan", "True", "False", "None", "e+", "e-0"):
        assert bad not in PLACEHOLDER.sub("", template) and all(bad not in w for w in item["words"].values())


def test_every_number_in_every_sentence_is_a_stored_figure(samples, kag):
    for client, _, r in all_cases(samples, kag):
        items = r.items()
        assert items, client
        json.dumps(items, allow_nan=False)
        assert len({i["id"] for i in items}) == len(items)
        for item in items:
            check_sentence(item, r.currency)


def test_figures_survive_the_metrics_json_round_trip():
    from kpikit.analysis import metrics

    model = to_reporting_currency(sample_model("lumora"))
    m = json.loads(json.dumps(metrics(model)))
    assert m["findings"] and [i["id"] for i in m["findings"]] == [f.id for f in findings(model).findings]
    for item in m["findings"]:
        check_sentence(item, m["currency"])
        assert set(item) >= {"id", "kind", "level", "segment", "text", "figures", "money_at_stake"}
        assert item["money_at_stake"] is None or isinstance(item["money_at_stake"], float)
        assert all(set(f) >= {"value", "kind"} for f in item["figures"].values())


# -- every figure equals the metric it came from ------------------------------------------------------------


def by_hand(measure: str, s: pd.Series) -> float:
    if measure == "ctr":
        return s["clicks"] / s["impressions"]
    if measure == "cpc":
        return s["cost"] / s["clicks"]
    if measure == "cost_per_engagement":
        return s["cost"] / s["engagements"]
    if measure.startswith("cost_per_"):
        return s["cost"] / s[measure.removeprefix("cost_per_")]
    return s[measure]


def group_rows(model, group) -> pd.DataFrame:
    t = segment_table(model, by=group["by"] or None)
    keep = pd.Series(True, index=t.index)
    for col, value in group["where"].items():
        keep &= t[col] == value
    if group["rows"] is not None:
        wanted = {tuple(r) for r in group["rows"]}
        keep &= pd.Series([tuple(r) in wanted for r in t[group["by"]].itertuples(index=False)], index=t.index)
    if group["paid"]:
        keep &= t["cost"] > 0
    return t[keep]


def test_every_segment_figure_is_recomputed_from_the_segment_table(samples, kag):
    checked = 0
    for _, model, r in all_cases(samples, kag):
        for item in r.items():
            figs = item["figures"]
            for name, f in figs.items():
                if f.get("measure") and f.get("of"):
                    rows = group_rows(model, item["groups"][f["of"]])
                    assert len(rows), (item["id"], name)
                    assert f["value"] == pytest.approx(by_hand(f["measure"], rows.sum(numeric_only=True)), rel=1e-9)
                    checked += 1
                if f.get("ratio_of"):
                    a, b = f["ratio_of"]
                    assert f["value"] == pytest.approx(figs[a]["value"] / figs[b]["value"], rel=1e-12)
                if name.startswith("n_"):  # counts of segments in a group
                    assert f["value"] == len(group_rows(model, item["groups"][name[2:]]))
            if "low" in figs:
                assert 0 < figs["low"]["value"] < figs["high"]["value"]
            if item["money_at_stake"] is not None:
                assert item["money_at_stake"] >= 0
    assert checked > 100


def test_key_account_alignment_and_shift_figures_are_recomputed(samples):
    for _, (model, r) in samples.items():
        for f in r.findings:
            v = {k: x.value for k, x in f.figures.items()}
            if f.kind == "key_accounts":
                ka = key_accounts(model)
                t = ka.frame.set_index("group")
                assert v["visits"] == t.loc["key accounts", "visits"]
                assert v["all_visits"] == t["visits"].sum()
                assert v["pipeline"] == pytest.approx(t.loc["key accounts", "pipeline"])
                assert v["all_pipeline"] == pytest.approx(t["pipeline"].sum())
                assert (v["engaged"], v["target_accounts"]) == (ka.coverage["engaged"], ka.coverage["target_accounts"])
            elif f.kind == "kpi_misaligned":
                row = kpi_alignment(model, "W").frame
                row = row[row["role"].str.replace("_", " ").str.lower() == f.segment.lower()].iloc[0]
                assert v["correlation"] == pytest.approx(row["correlation"])
                assert (v["periods"], v["fell"], v["moves"]) == (row["periods"], row["improved_while_outcome_fell"],
                                                                 row["periods"] - 1)  # fmt: skip
            elif f.kind == "kpi_shift":
                d = segment_table(model, period="D")
                d = d[d["period"] != NOT_SET].assign(day=lambda x: pd.to_datetime(x["period"]))
                shift, mature = pd.Timestamp(f.dates["shift"]), pd.Timestamp(f.dates["last_mature"])
                before = d[d["day"] < shift].tail(int(v["days_before"]))
                after = d[d["day"] >= shift]
                ma = after[after["day"] <= mature]
                assert v["vanity_before"] == pytest.approx(before["clicks"].sum() / before["impressions"].sum())
                assert v["vanity_after"] == pytest.approx(after["clicks"].sum() / after["impressions"].sum())
                assert v["per_week_before"] == pytest.approx(before["opportunity"].sum() / (len(before) / 7))
                assert v["per_week_after"] == pytest.approx(ma["opportunity"].sum() / (len(ma) / 7))
                assert v["pipeline_after"] == pytest.approx(ma["pipeline"].sum() / (len(ma) / 7))


# -- the planted stories, from the samples' truth -----------------------------------------------------------


def ladder_campaign(client: str) -> str:
    return next(ag.campaign for ag in CLIENTS[client].ad_groups if ag.ad_group in LADDER)


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_the_retargeting_audiences_beat_the_ctr_and_buy_the_dearest_outcomes(samples, client):
    model, r = samples[client]
    leaders = [f for f in r.findings if f.kind == "vanity_leaders" and f.level == "ad_group"]
    f = next(f for f in leaders if f.segment == ladder_campaign(client))
    assert {row[-1] for row in f.groups["leaders"].rows} == set(LADDER)
    v = {k: x.value for k, x in f.figures.items()}
    # truth: the ladder's quality (SQL -> opportunity) is far below the prospecting audiences'
    spec = {ag.ad_group: ag for ag in CLIENTS[client].ad_groups}
    assert max(spec[a].quality for a in LADDER) < min(
        spec[a].quality for a in spec if a and a not in LADDER and spec[a].campaign == f.segment
    )
    assert v["leaders_cost"] / max(v["leaders_k"], 1) > 2 * v["rest_cpo"]
    assert f.money_at_stake > 0.5 * v["leaders_cost"]
    # among the key findings (the five biggest sums at stake)
    assert f in r.findings[:5]
    if client == "ironbridge":  # Salesforce opportunities carry no ad group: the sentence says what it counts
        assert "counted in SQLs, as opportunities cannot be traced to ad groups" in f.text(r.currency)


def test_lumora_retargeting_7d_has_the_best_ctr_and_no_opportunity(samples):
    model, r = samples["lumora"]
    f = next(f for f in r.findings if f.kind == "vanity_without_value" and f.segment == "Retargeting - clicked 7d")
    t = segment_table(model, by=["platform", "campaign", "ad_group"])
    dg = t[(t["campaign"] == ladder_campaign("lumora")) & (t["cost"] > 0)]
    row = dg.set_index("ad_group").loc["Retargeting - clicked 7d"]
    assert (
        row["opportunity"] == 0
        and (dg["clicks"] / dg["impressions"]).idxmax() == dg.index[dg["ad_group"] == "Retargeting - clicked 7d"][0]
    )
    assert f.text(r.currency) == (
        f"Retargeting - clicked 7d (Demand Gen - Data Platform): CTR {fmt(row['clicks'] / row['impressions'], 'rate')}, "
        f"{fmt((row['clicks'] / row['impressions']) / (dg['clicks'].sum() / dg['impressions'].sum()), 'ratio')} the "
        f"campaign's {fmt(dg['clicks'].sum() / dg['impressions'].sum(), 'rate')}, but {fmt(row['cost'], 'money', 'EUR')} "
        "spent and no opportunity."
    )


def test_lumora_likes_competition_buys_cheap_engagements_and_no_pipeline(samples):
    model, r = samples["lumora"]
    f = next(f for f in r.findings if f.segment == COMPETITION_CAMPAIGN)
    assert f.kind == "vanity_volume_without_value" and f.level == "campaign"
    truth = build("lumora")
    spend = truth.spend[truth.spend["campaign"] == COMPETITION_CAMPAIGN]
    opps = truth.contacts[
        (truth.contacts["true_campaign"] == COMPETITION_CAMPAIGN) & truth.contacts["opportunity_date"].notna()
    ]
    assert f.figures["engagements"].value == int(spend["engagements"].sum()) == 444_084
    assert len(opps) == 0 and f.figures["cost"].value == pytest.approx(
        model.spend.loc[model.spend["campaign"] == COMPETITION_CAMPAIGN, "cost"].sum()
    )
    assert fmt(f.figures["cost_per_engagement"].value, "money", "EUR") == "EUR 0.02"
    text = f.text(r.currency)
    assert "444,084 engagements at EUR 0.02 each" in text and text.endswith("no opportunity, no pipeline.")


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_key_accounts_bring_most_of_the_pipeline_from_few_visits(samples, client):
    model, r = samples[client]
    f = next(f for f in r.findings if f.kind == "key_accounts")
    v = {k: x.value for k, x in f.figures.items()}
    deals = build(client).deals
    truth_share = deals.loc[deals["is_key_account"], "amount"].sum() / deals["amount"].sum()
    assert v["pipeline_share"] == pytest.approx(truth_share, abs=0.05) and v["pipeline_share"] > 0.5
    assert v["visit_share"] < 0.05 and v["times"] > 20
    assert f is r.findings[0]  # the biggest sum at stake in every sample


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_the_mid_period_shift_is_found_only_where_it_was_planted(samples, client):
    _, r = samples[client]
    shifts = [f for f in r.findings if f.kind == "kpi_shift"]
    if not CLIENTS[client].trend:
        assert shifts == []
        return
    (f,) = shifts
    planted = pd.Timestamp(PERIOD_START + LATE_START)  # 2026-05-01: budget moved to retargeting
    assert abs(pd.Timestamp(f.dates["shift"]) - planted) <= pd.Timedelta(days=7)
    v = {k: x.value for k, x in f.figures.items()}
    assert v["vanity_after"] > v["vanity_before"]  # CTR up
    assert v["per_week_after"] < 0.8 * v["per_week_before"]  # opportunities down
    assert v["pipeline_after"] < v["pipeline_before"]  # pipeline down
    assert v["share_after"] > 2 * v["share_before"]
    assert {row[-1] for row in f.groups["leaders"].rows} == set(LADDER)


def test_lumora_roles_paid_on_ctr_are_flagged(samples):
    _, r = samples["lumora"]
    roles = {f.segment: f for f in r.findings if f.kind == "kpi_misaligned"}
    assert "campaign manager" in roles and roles["campaign manager"].figures["correlation"].value < -0.3
    assert "CMO" not in roles  # pipeline is a real outcome, not a vanity KPI


# -- real data: the age-band inversion ----------------------------------------------------------------------


def test_kag_ctr_rises_with_age_while_the_cost_per_approved_sale_rises_from_30_88_to_99_76(kag):
    raw, _, r = kag
    g = raw.groupby("age").agg(i=("Impressions", "sum"), c=("Clicks", "sum"), s=("Spent", "sum"),
                               a=("Approved_Conversion", "sum"))  # fmt: skip
    ctr, cpa = g["c"] / g["i"], g["s"] / g["a"]
    assert ctr.is_monotonic_increasing and cpa.is_monotonic_increasing  # independently, from the raw file
    assert (round(cpa["30-34"], 2), round(cpa["45-49"], 2)) == (30.88, 99.76)
    f = next(f for f in r.findings if f.kind == "ranking_reversed" and f.level == "dim_age")
    v = {k: x.value for k, x in f.figures.items()}
    assert (f.words["seg_v"], f.words["seg_w"]) == ("45-49", "30-34")
    assert v["cpo_vanity_top"] == pytest.approx(cpa["45-49"]) and v["cpo_value_top"] == pytest.approx(cpa["30-34"])
    assert v["vanity_top"] == pytest.approx(ctr["45-49"]) and v["vanity_value_top"] == pytest.approx(ctr["30-34"])
    assert v["tau"] == -1.0 and v["n"] == 4
    text = f.text("USD")
    assert "USD 99.76 per won deal" in text and "USD 30.88 each" in text
    assert f in r.findings[:3]


# -- the registry and the result --------------------------------------------------------------------------


def test_detectors_are_a_registry_and_kinds_can_be_chosen(samples):
    model, r = samples["lumora"]
    assert list(DETECTORS)[:3] == ["vanity_leaders", "vanity_without_value", "vanity_volume_without_value"]
    assert {f.kind for f in r.findings} <= set(DETECTORS)
    only = findings(model, kinds=["key_accounts"])
    assert [f.kind for f in only.findings] == ["key_accounts"]
    with pytest.raises(KpikitError, match="finding kind"):
        findings(model, kinds=["horoscope"])

    @register("always", "a test detector")
    def _always(ctx):
        yield Finding(kind="always", level="account", segment="account", template="Spend {cost}.",
                      figures={"cost": Figure(1.5, "money", "cost")})  # fmt: skip

    try:
        assert findings(model, kinds=["always"]).texts() == ["Spend EUR 1.50."]
    finally:
        del DETECTORS["always"]


def test_findings_are_deterministic_escaped_and_json_safe(samples):
    model, r = samples["lumora"]
    again = findings(model)
    assert json.dumps(again.items(), sort_keys=True) == json.dumps(r.items(), sort_keys=True)
    m = model.replace(
        spend=model.spend.assign(campaign=model.spend["campaign"].replace(COMPETITION_CAMPAIGN, HTML_CAMPAIGN))
    )
    html = findings(m)._repr_html_()
    assert "<img" not in html and "&lt;img" in html
    json.dumps(r.to_dict(), allow_nan=False)
    money = [f.money_at_stake for f in r.findings if f.money_at_stake is not None]
    assert money == sorted(money, reverse=True)


def test_empty_and_hostile_models_do_not_break_the_sentences():
    from analysis_fixtures import XSS, tiny_model

    empty = findings(ClientModel())
    assert empty.findings == () and empty.notes and empty._repr_html_().startswith("<div")
    m = tiny_model()
    hostile = m.replace(spend=m.spend.assign(campaign=[XSS, XSS, "{cost} & <b>B</b>", "Search {0}"]))
    r = findings(hostile)
    json.dumps(r.to_dict(), allow_nan=False)
    for item in r.items():  # a brace in a name is text, never a slot
        check_sentence(item, r.currency)
    assert "<b>" not in r._repr_html_() and "<img" not in r._repr_html_()


@pytest.mark.parametrize(
    "kwargs, meant",
    [
        ({"kinds": ["vanity_leader"]}, "vanity_leaders"),
        ({"vanity": "CTR"}, "ctr"),
        ({"vanity": "cost_per_leads"}, "cost_per_lead"),
    ],
)
def test_a_mistyped_findings_option_is_an_option_error_that_says_what_was_meant(kwargs, meant):
    from analysis_fixtures import tiny_model

    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        findings(tiny_model(), **kwargs)
