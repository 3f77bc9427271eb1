"""Workshop explorers: drive each one through its controls and check what it shows.

Numbers are checked three ways: the widget's ``numbers`` equal the pure
scenario functions; the readout HTML shows them formatted; and key figures
equal an independent DuckDB computation on the model's raw tables.
"""

from __future__ import annotations

import json
import math
import re

import duckdb
import numpy as np
import pandas as pd
import pytest
from test_explore_fixture import make_model

from kpikit import explore
from kpikit.core.fmt import fmt
from kpikit.core.result import json_safe
from kpikit.errors import OptionError
from kpikit.explore import scenarios as sc
from kpikit.explore.precompute import Cube, parse_window, precompute

LADDER = [f"Retargeting - clicked {d}d" for d in (7, 14, 30, 90)]


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return make_model(tmp_path_factory.mktemp("client"))


@pytest.fixture(scope="module")
def cube(model):
    return precompute(model)


def shown(explorer, metric: str, col: str) -> str:
    """The text a readout cell shows (what the room sees)."""
    m = re.search(
        rf'data-metric="{re.escape(metric)}" data-col="{re.escape(col)}">([^<]*)</td>', explorer.readout.value
    )
    assert m, f"no readout cell for {metric}/{col}"
    return m.group(1)


# --------------------------------------------------------------------------- precompute


@pytest.mark.parametrize(
    ("name", "days"),
    [
        ("Retargeting - clicked 7d", 7.0),
        ("retargeting: clicked in the last 30 days", 30.0),
        ("Website visitors 90 day remarketing", 90.0),
        ("RT 14d", 14.0),
        ("Prospecting - Lookalike 1%", math.inf),
        ("Prospecting - 30d lookalike", math.inf),
        ("Retargeting - all visitors", math.inf),
        (None, math.inf),
    ],
)
def test_parse_window(name, days):
    assert parse_window(name) == days


def test_cube_reconciles_with_the_model(model, cube):
    rec = cube.reconciliation
    assert rec["cost_placed"] == pytest.approx(model.spend["cost"].sum())
    assert rec["leads_placed"] + rec["leads_unattributed"] == len(model.contacts)
    assert rec["leads_unattributed"] == 1  # the fixture's organic lead
    assert set(cube.audiences["audience"]) == set(model.spend["ad_group"])
    assert precompute(model) is cube  # cached per model


def test_mixed_currencies_are_converted_with_the_configs_rates(model):
    usd = model.spend.assign(currency=np.where(model.spend["platform"] == "google_ads", "USD", "EUR"))
    usd["currency"] = usd["currency"].astype("str")
    mixed = model.replace(spend=usd)
    c = precompute(mixed)
    google = model.spend.loc[model.spend["platform"] == "google_ads", "cost"].sum()
    assert c.reconciliation["cost_placed"] == pytest.approx(model.spend["cost"].sum() - google * (1 - 0.9))


# --------------------------------------------------------------------------- targeting


def _duck_targeting(model, audiences: list[str]) -> dict[str, float]:
    """CTR, cost and opportunities of some audiences straight from the raw tables."""
    con = duckdb.connect()
    con.register(
        "spend",
        model.spend[["ad_group", "impressions", "clicks", "cost"]].astype({"impressions": "int64", "clicks": "int64"}),
    )
    con.register("contacts", model.contacts[["contact_key", "ad_group"]])
    con.register("deals", model.deals[["deal_id", "contact_key"]])
    con.register("sel", pd.DataFrame({"a": audiences}))
    ctr, cost = con.execute(
        "select sum(clicks)::double / sum(impressions), sum(cost) from spend where ad_group in (select a from sel)"
    ).fetchone()
    (opps,) = con.execute(
        "select count(*) from deals d join contacts c using (contact_key) where c.ad_group in (select a from sel)"
    ).fetchone()
    return {"ctr": ctr, "cost": cost, "opportunity": float(opps)}


def test_targeting_narrowing_raises_ctr_and_cuts_opportunities(model, cube):
    t = explore.targeting(model)
    assert t.controls["clicked_within"].continuous_update is False
    before = dict(t.numbers["after"])
    assert before == t.numbers["before"]

    t.controls["clicked_within"].value = 30.0
    expected = sc.targeting_scenario(cube, clicked_within=30.0)
    assert t.numbers["after"] == pytest.approx(expected.after)
    assert t.numbers["audiences_kept"] == [
        "Retargeting - clicked 30d",
        "Retargeting - clicked 14d",
        "Retargeting - clicked 7d",
    ]
    # what the room sees
    assert shown(t, "ctr", "after") == fmt(expected.after["ctr"], "rate")
    assert shown(t, "opportunity", "after") == fmt(expected.after["opportunity"], "count")
    assert shown(t, "cost_per_opportunity", "after") == fmt(expected.after["cost_per_opportunity"], "money", "EUR")
    # independent cross-check on the raw tables
    duck = _duck_targeting(model, LADDER[:3])
    assert t.numbers["after"]["ctr"] == pytest.approx(duck["ctr"])
    assert t.numbers["after"]["cost"] == pytest.approx(duck["cost"])
    assert t.numbers["after"]["opportunity"] == duck["opportunity"]
    # the seed story, as this data says it
    assert t.numbers["after"]["ctr"] > before["ctr"]
    assert t.numbers["after"]["opportunity"] < before["opportunity"]
    assert t.numbers["change"]["impressions"] < 0


def test_targeting_top_k_and_exclude(model, cube):
    t = explore.targeting(model)
    n = t.refreshes
    t.set(top_k=2, exclude=("Retargeting - clicked 7d",))
    assert t.refreshes == n + 1  # several controls, one recompute
    # best CTRs are 7d then 14d; 7d is excluded, so 14d and 30d remain
    assert t.numbers["audiences_kept"] == ["Retargeting - clicked 30d", "Retargeting - clicked 14d"]
    duck = _duck_targeting(model, ["Retargeting - clicked 30d", "Retargeting - clicked 14d"])
    assert t.numbers["after"]["ctr"] == pytest.approx(duck["ctr"])
    assert t.numbers["after"]["opportunity"] == duck["opportunity"]
    t.set(top_k=0, exclude=tuple(cube.audiences["audience"]))
    assert t.numbers["audiences_kept"] == []
    assert "no audience left" in t.notice.value


def test_targeting_chart_specs_follow_the_controls(model):
    t = explore.targeting(model)
    t.controls["clicked_within"].value = 7.0
    seg = next(v for k, v in t.specs["segments"]["datasets"].items() if v and "status" in v[0])
    kept = sorted(r["audience"] for r in seg if r["status"] == "kept")
    assert kept == ["Retargeting - clicked 7d"]
    assert t.charts["segments"].spec == t.specs["segments"]  # the JupyterChart carries the new spec


# --------------------------------------------------------------------------- budget


def _curve_cube(a: float, b: float, weeks: int = 40, seed: int = 3) -> Cube:
    rng = np.random.default_rng(seed)
    cost = rng.uniform(500, 6_000, weeks)
    out = a * (1 - np.exp(-cost / b)) + rng.normal(0, 0.5, weeks)
    facts = pd.DataFrame(
        {
            "platform": "search",
            "campaign": "c",
            "audience": "x",
            "week": pd.date_range("2024-01-01", periods=weeks, freq="W-MON"),
            "impressions": 0.0,
            "clicks": 0.0,
            "cost": cost,
            "engagements": 0.0,
            **{o: 0.0 for o in ("lead", "mql", "sql", "won", "key_account", "pipeline", "revenue")},
            "opportunity": out,
        }
    )
    return Cube(facts, pd.DataFrame(), "EUR")


def test_response_curve_recovers_a_known_curve():
    curves = sc.fit_response_curves(_curve_cube(a=60.0, b=3_000.0), "opportunity", n_boot=100)
    c = curves["search"]
    assert c.method == "saturating"
    assert c.a == pytest.approx(60.0, rel=0.1)
    assert c.b == pytest.approx(3_000.0, rel=0.15)
    low, high = np.quantile(c.predict_draws([3_000.0])[:, 0], [0.05, 0.95])
    assert low < 60 * (1 - math.exp(-1)) < high


def test_budget_shift_predicts_from_the_curves_and_warns_beyond_observed(model):
    b = explore.budget_shift(model, n_boot=50)
    key = "spend:meta"
    curve = b.curves(model.config.funnel.real_outcome)["meta"]
    b.controls[key].value = 2_000.0
    spend = {k.split(":", 1)[1]: c.value for k, c in b.controls.items() if k.startswith("spend:")}
    assert spend["meta"] == 2_000.0
    r = sc.budget_scenario(b.curves("opportunity"), spend)
    assert b.numbers["outcome_scenario"] == pytest.approx(r.totals["outcome_scenario"])
    row = b.result.platforms.set_index("platform").loc["meta"]
    assert row["outcome_scenario"] == pytest.approx(float(curve.predict(2_000.0)))
    assert row["outcome_low"] <= row["outcome_scenario"] <= row["outcome_high"]
    assert shown(b, "outcome", "scenario") == fmt(r.totals["outcome_scenario"], "number")
    assert "extrapolation" not in b.notice.value

    b.controls[key].value = b.controls[key].max  # 3x the highest week ever spent
    assert any("extrapolation" in m for m in b.numbers["warnings"])
    assert "extrapolation" in b.notice.value
    assert b.result.platforms.set_index("platform").loc["meta", "range"] == "far"

    b.controls["outcome"].value = "lead"
    assert b.result.outcome == "lead"
    assert b.numbers["outcome_now"] > b.result.totals["outcome_now"] * 0.99  # leads outnumber opportunities
    assert b.numbers["outcome_now"] == pytest.approx(sum(c.predict(c.mean_spend) for c in b.curves("lead").values()))


def test_budget_shift_per_campaign(model):
    b = explore.budget_shift(model, by="campaign", n_boot=30)
    sliders = sorted(k.split(":", 1)[1] for k in b.controls if k.startswith("spend:"))
    assert sliders == sorted(model.spend["campaign"].unique())
    b.controls["spend:Prospecting ABM"].value = 0.0
    spend = {k.split(":", 1)[1]: c.value for k, c in b.controls.items() if k.startswith("spend:")}
    r = sc.budget_scenario(sc.fit_response_curves(b.cube, "opportunity", by="campaign", n_boot=30), spend)
    assert b.numbers["outcome_scenario"] == pytest.approx(r.totals["outcome_scenario"])
    assert b.result.platforms.set_index("platform").loc["Prospecting ABM", "outcome_scenario"] == 0.0


# --------------------------------------------------------------------------- outcome switch


def test_outcome_switch_reranks_campaigns(model, cube):
    o = explore.outcome_switch(model)
    ranks = {}
    for outcome in ("lead", "opportunity", "won"):
        o.controls["outcome"].value = outcome
        expected = sc.outcome_ranking(cube, outcome, "ctr")
        pd.testing.assert_frame_equal(o.result.campaigns, expected.campaigns)
        assert o.numbers["top_by_value"] == expected.numbers["top_by_value"]
        assert shown(o, "top_by_value", "value") == expected.numbers["top_by_value"]
        ranks[outcome] = list(o.result.campaigns["campaign"])
    # cheap leads and cheap opportunities come from different audiences in this data
    assert ranks["lead"][0] != ranks["opportunity"][0]
    # cost per lead per campaign, independently
    con = duckdb.connect()
    con.register("spend", model.spend[["campaign", "cost"]])
    con.register("contacts", model.contacts[["campaign"]])
    duck = dict(
        con.execute(
            "select s.campaign, s.cost / c.n from (select campaign, sum(cost) cost from spend group by 1) s "
            "join (select campaign, count(*) n from contacts group by 1) c using (campaign)"
        ).fetchall()
    )
    lead = sc.outcome_ranking(cube, "lead").campaigns.set_index("campaign")["cost_per_outcome"]
    assert lead.to_dict() == pytest.approx(duck)


def test_outcome_switch_vanity_kpi_and_quadrant(model):
    o = explore.outcome_switch(model)
    o.controls["vanity"].value = "cpc"
    c = o.result.campaigns
    assert c["vanity_rank"].tolist() == c["vanity_value"].rank(method="min").astype(int).tolist()  # low CPC ranks first
    assert set(c["quadrant"]) <= set(sc.QUADRANTS)
    assert 0.0 <= o.numbers["spend_share_vanity_only"] <= 1.0


# --------------------------------------------------------------------------- attribution


def test_attribution_switch_shows_the_engines_credit(model):
    import kpikit.analysis as engine

    a = explore.attribution_switch(model)
    credits = engine.attribution(model).credits
    seen = {}
    for name in ("first", "last", "linear"):
        a.controls["model"].value = name
        want = credits[credits["model"] == name].set_index("channel")["conversions"].to_dict()
        assert a.numbers["credit"] == pytest.approx(want)
        seen[name] = a.numbers["credit"]
        ch_ = a.result.channels.set_index("channel")
        for _channel, row in ch_.iterrows():
            if row["conversions"] > 0 and row["cost"] > 0:
                assert row["cost_per_outcome"] == pytest.approx(row["cost"] / row["conversions"])
        assert shown(a, "credit", a.numbers["top_channel"]) == fmt(max(want.values()), "number")
    assert seen["first"] != seen["last"]
    assert a.costs["cost"].sum() == pytest.approx(model.spend["cost"].sum())  # every cost lands in a channel


def test_the_room_reads_models_and_platforms_in_the_registry_words(model):
    a = explore.attribution_switch(model)
    assert list(a.controls["model"].options)[:2] == [("First touch", "first"), ("Last touch", "last")]
    assert a.controls["model"].value == "first"  # the value stays the engine's id
    assert a.summary().startswith("Under the First touch model")
    b = explore.budget_shift(model, n_boot=20)
    assert b.controls["spend:google_ads"].description == "Google Ads"  # the key stays the engine's id
    assert ">LinkedIn<" in b.readout.value and ">linkedin<" not in b.readout.value  # ids stay in data-metric


# --------------------------------------------------------------------------- incentive


def test_incentive_gaming_meets_the_target_and_loses_outcomes(model, cube):
    i = explore.incentive(model)
    assert i.controls["kpi"].value == "ctr"
    i.set(target_lift=10, conversion_lift=20)
    r = sc.incentive_scenario(cube, kpi="ctr", target_lift=0.10, conversion_lift=0.20)
    assert i.numbers == json_safe(r.numbers)
    n = i.numbers
    assert n["gaming_kpi"] >= n["kpi_target"] == pytest.approx(n["baseline_kpi"] * 1.1)
    assert n["gaming_outcome"] < n["baseline_outcome"]
    assert n["relevance_outcome"] == pytest.approx(n["baseline_outcome"] * 1.1 * 1.2)
    # gaming keeps the largest best-CTR set that still meets the target: adding the next audience breaks it
    kept = n["gaming_audiences"]
    aud = cube.audiences.set_index("audience")
    ctr_of = lambda names: aud.loc[names, "clicks"].sum() / aud.loc[names, "impressions"].sum()  # noqa: E731
    assert ctr_of(kept) >= n["kpi_target"]
    rest = aud.drop(index=kept)
    nxt = (rest["clicks"] / rest["impressions"]).idxmax()
    assert ctr_of([*kept, nxt]) < n["kpi_target"]
    assert shown(i, "outcome", "gaming") == fmt(n["gaming_outcome"], "number")


def test_incentive_unreachable_target_says_so(model, cube):
    r = sc.incentive_scenario(cube, kpi="ctr", target_lift=5.0)  # CTR x6: no audience is that good
    best = cube.audience_arrays().names[cube.audience_arrays().ctr_order[0]]
    assert r.numbers["gaming_meets_target"] is False
    assert r.numbers["gaming_audiences"] == [best]
    i = explore.incentive(model)
    assert "cannot reach" in "".join(i._warnings(r))
    assert i._warnings(i.result) == []  # the default +10% is reachable here


# --------------------------------------------------------------------------- vanity cost


def test_vanity_cost_bank_story(model, cube):
    v = explore.vanity_cost(model)
    v.set(cost=1_000_000.0, vanity_count=250_000.0, real_outcomes=1.0)
    assert v.numbers["cost_per_vanity"] == 4.0
    assert shown(v, "cost_per_vanity", "value") == "EUR 4.00"
    assert v.numbers["cost_per_real_outcome_entered"] == 1_000_000.0
    paid = cube.paid
    data_cpo = paid["cost"].sum() / paid["opportunity"].sum()
    assert v.numbers["cost_per_real_outcome_data"] == pytest.approx(data_cpo)
    assert v.numbers["real_outcomes_budget_buys"] == pytest.approx(1_000_000.0 / data_cpo)


def test_vanity_cost_from_a_campaign(model):
    v = explore.vanity_cost(model)
    n = v.refreshes
    v.controls["campaign"].value = "Retargeting Social"
    assert v.refreshes == n + 1
    rows = model.spend[model.spend["campaign"] == "Retargeting Social"]
    assert v.controls["cost"].value == pytest.approx(rows["cost"].sum())
    assert v.numbers["cost_per_vanity"] == pytest.approx(rows["cost"].sum() / rows["engagements"].sum())


# --------------------------------------------------------------------------- snapshot


def test_snapshot_writes_json_and_images_into_the_client_folder(model):
    t = explore.targeting(model)
    t.controls["clicked_within"].value = 14.0
    t.snapshot_button.click()
    path = t.last_snapshot
    assert path.parent == model.config.base_dir / "snapshots"
    doc = json.loads(path.read_text())
    assert doc["schema"] == explore.SCHEMA
    assert doc["explorer"] == "targeting" and doc["client"] == "fixture"
    assert doc["controls"]["clicked_within"] == 14.0
    assert doc["numbers"]["after"]["ctr"] == pytest.approx(t.numbers["after"]["ctr"])
    assert "CTR" in doc["summary"]
    for chart in doc["charts"]:
        svg = (path.parent / chart["svg"]).read_text()
        assert svg.startswith("<svg")
        if chart["name"] == "segments":
            assert "Retargeting - clicked 14d" in svg
        assert (path.parent / chart["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "saved" in t.snapshot_status.value
    # a second snapshot never overwrites the first; a named one is deterministic
    second = t.snapshot(images=False)
    assert second != path and second.exists()
    named = t.snapshot(name="targeting-agreed", images=False)
    assert named.name == "targeting-agreed.json"
    assert [d["name"] for d in explore.read_snapshots(path.parent)][-1] in {"targeting-agreed", second.stem}
    with pytest.raises(Exception, match="snapshot name"):
        t.snapshot(name="../escape")


def test_snapshot_without_a_client_folder_is_a_clear_error(model):
    t = explore.targeting(model.replace(config=None))
    t.snapshot_button.click()
    assert "no client folder" in t.snapshot_status.value


# --------------------------------------------------------------------------- CLI and workbook


def test_workshop_cli_dry_run(tmp_path, capsys):
    from kpikit.cli import main

    cfg = tmp_path / "client.yaml"
    cfg.write_text("client: demo\ncurrency: EUR\n")
    assert main(["workshop", str(cfg), "--port", "8765", "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "http://127.0.0.1:8765/"
    assert "voila" in out[1] and "--Voila.ip=127.0.0.1" in out[1] and "--port=8765" in out[1]


def test_workshop_cli_bad_config(tmp_path, capsys):
    from kpikit.cli import main

    assert main(["workshop", str(tmp_path / "missing.yaml")]) == 1
    assert "client config not found" in capsys.readouterr().err


def test_workshop_workbook_is_clean_source():
    import nbformat
    import papermill

    from kpikit.explore.cli import WORKBOOK

    nb = nbformat.read(WORKBOOK, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "commit the workbook with outputs stripped"
    params = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert all(len(c.source.strip().splitlines()) <= 2 for c in code)
    info = papermill.inspect_notebook(str(WORKBOOK))
    assert info["client_config"]["inferred_type_name"] == "str"
    assert info["client_config"]["help"]
    md = [c for c in nb.cells if c.cell_type == "markdown"]
    assert len(md) >= 6  # one per trade-off
    for name in ("targeting", "incentive", "outcome_switch", "vanity_cost", "attribution_switch", "budget_shift"):
        assert any(f"explore.{name}(model)" in c.source for c in code)


def test_charts_are_served_offline(model):
    import altair as alt

    explore.vanity_cost(model)
    assert alt.JupyterChart._is_offline
    assert "https://cdn" not in alt.JupyterChart._esm  # the JavaScript comes from vl-convert, not a CDN


def test_explorers_show_escaped_untrusted_names(model, cube):
    evil = "<img src=x onerror=alert(1)>"
    spend = model.spend.copy()
    spend.loc[spend["campaign"] == "Prospecting ABM", "campaign"] = evil
    spend["campaign"] = spend["campaign"].astype("str")
    o = explore.outcome_switch(model.replace(spend=spend))
    assert evil not in o.readout.value
    assert "&lt;img src=x onerror=alert(1)&gt;" in o.readout.value


_CREDITS = pd.DataFrame({"model": ["linear", "markov"], "channel": ["email"] * 2, "conversions": [1.0] * 2,
                         "revenue": [0.0] * 2, "share": [1.0] * 2})  # fmt: skip


@pytest.mark.parametrize(
    "call, meant",
    [
        (lambda cube: sc.outcome_ranking(cube, "opportunites"), "opportunity"),
        (lambda cube: sc.outcome_ranking(cube, "lead", vanity="CTR"), "ctr"),
        (lambda cube: sc.fit_response_curves(cube, "lead", by="platfrom"), "platform"),
        (lambda cube: sc.incentive_scenario(cube, kpi="click"), "clicks"),
        (lambda cube: sc.attribution_scenario(_CREDITS, _CREDITS[["channel"]].assign(cost=1.0), "Linear"), "linear"),
    ],
)
def test_a_mistyped_scenario_option_is_an_option_error_that_says_what_was_meant(cube, call, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        call(cube)
