"""The pipeline forecast against a world whose truth is known, its two properties, and its CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from forecast_world import world

import kpikit
from kpikit.analysis._flow import NO_WEEK, development
from kpikit.analysis.forecast import backtest, default_plan, fit_forecast
from kpikit.analysis.forecast_cli import main as forecast_main
from kpikit.errors import ConfigError, KpikitError

ROOT = Path(__file__).parents[1]
LUMORA = ROOT / "data_samples" / "lumora" / "client.yaml"
needs_samples = pytest.mark.skipif(not LUMORA.is_file(), reason="data_samples/ not generated")
SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


@pytest.fixture(scope="module")
def worlds():
    return [world(seed) for seed in (0, 1, 2)]


@pytest.fixture(scope="module")
def fitted(worlds):
    model, truth, spend = worlds[0]
    return model, truth, spend, fit_forecast(model, n_sims=1_000)


# ------------------------------------------------------------------ the synthetic world


def assert_pooled_bands_hold(results):
    """Over every origin-week of ``results``, 70-90 % of actuals inside the 80 % band and 88-99 % inside the 95 %."""
    frames = pd.concat([bt.frame for bt in results])
    a = frames["actual"]
    cover80 = ((a >= frames["low80"]) & (a <= frames["high80"])).mean()
    cover95 = ((a >= frames["low95"]) & (a <= frames["high95"])).mean()
    assert 0.70 <= cover80 <= 0.90, cover80
    assert 0.88 <= cover95 <= 0.99, cover95


def test_backtest_bands_hold_as_often_as_they_say_and_beat_the_13_week_average(worlds):
    # Three independent clients from one world: bands judged on every origin-week of all three.
    results = [backtest(m, n_sims=1_000) for m, _, _ in worlds]
    for bt in results:
        assert bt.origins >= 10
        assert bt.wape < bt.baseline_wape, bt.summary()
    assert_pooled_bands_hold(results)
    # The summary figures are these shares, origin by origin.
    first = results[0]
    inside = (first.frame["actual"] >= first.frame["low80"]) & (first.frame["actual"] <= first.frame["high80"])
    assert first.coverage80 == pytest.approx(inside.mean())


def test_fit_recovers_the_worlds_rates_lag_and_curves(fitted):
    _, truth, _, fc = fitted
    for i, source in enumerate([*fc.platforms, "organic"]):
        s = fc.sources[i]
        mean = s.alpha / (s.alpha + s.beta)
        sd = np.sqrt(mean * (1 - mean) / (s.alpha + s.beta))
        assert abs(mean - truth.opp_rate[source]) < 4 * sd, source
    assert fc.won_flow.rate == pytest.approx(truth.won_rate, abs=0.04)
    # Gamma(2, 7) days: the median lag is 11.7 days, i.e. one or two calendar weeks later.
    assert fc.lead_to_opportunity_weeks in (1.0, 2.0)
    for platform in truth.curves:
        curve = fc.curves[platform]
        for spend in (1_000.0, 5_000.0):
            assert curve.predict(spend) == pytest.approx(truth.expected_leads(platform, spend), rel=0.12)


def test_rates_that_move_week_to_week_widen_the_bands(fitted):
    from forecast_world import Truth

    *_, steady = fitted
    model, _, _ = world(0, Truth(rate_jitter=0.3))
    moving = fit_forecast(model, n_sims=1_000)
    assert steady.opp_dispersion < 1.3 < moving.opp_dispersion

    def width(fc):
        f = fc.forecast({"search": 3_000.0, "social": 5_000.0}).frame
        f = f[f["stage"] == "opportunity"]
        return float((f["high80"] - f["low80"]).mean() / f["mean"].mean())

    assert width(moving) > 1.2 * width(steady)


def test_development_counts_young_cohorts_as_maturing_not_as_failures():
    # 100 leads a week for 20 weeks, 10 % convert exactly 3 weeks later: naive share of recent leads is lower.
    start = np.repeat(np.arange(20), 100)
    event = np.where(np.tile(np.arange(100), 20) < 10, start + 3, NO_WEEK)
    flow = development(start, event, before=20, first_week=0)
    naive = (event < 20).mean()
    assert naive < 0.09
    assert flow.rate == pytest.approx(0.10)
    assert flow.pmf.argmax() == 3


def test_fit_at_an_origin_sees_nothing_recorded_after_it(worlds):
    # The same fit from the full data at origin T and from the data as it stood at T.
    model, _, _ = worlds[0]
    origin = pd.Timestamp("2025-09-01")
    full = fit_forecast(model, origin=origin + pd.Timedelta(days=3), n_sims=300)  # a Thursday: its Monday
    c = model.contacts[model.contacts["created_date"] < origin].copy()
    c["opportunity_date"] = c["opportunity_date"].where(c["opportunity_date"] < origin)
    d = model.deals[model.deals["created_date"] < origin].copy()
    later = d["close_date"] >= origin
    d.loc[later, "is_won"] = False
    d.loc[later, "is_closed"] = False
    then = model.replace(spend=model.spend[model.spend["date"] < origin], contacts=c, deals=d)
    past = fit_forecast(then, n_sims=300)
    assert past.origin == full.origin == origin
    plan = {"search": 2_000.0, "social": 4_000.0}
    pd.testing.assert_frame_equal(past.forecast(plan).to_frame(), full.forecast(plan).to_frame())


# ------------------------------------------------------------------ pipeline (amounts of the opportunities created)


def test_pipeline_is_the_forecast_opportunities_times_the_worlds_mean_amount(fitted):
    _, truth, _, fc = fitted
    res = fc.forecast({"search": 3_000.0, "social": 5_000.0})
    true_mean = float(np.exp(truth.amount[0] + truth.amount[1] ** 2 / 2))  # log-normal: about EUR 24,959
    # The client's own amounts recover the world's mean (about 2,700 opportunities, ~1 % standard error) ...
    assert fc.opp_amounts.mean() == pytest.approx(true_mean, rel=0.05)
    # ... and each simulated opportunity is worth one of them: pipeline = opportunities × mean amount.
    assert res.total("pipeline") / res.total("opportunity") == pytest.approx(fc.opp_amounts.mean(), rel=0.01)
    assert res.total("pipeline") / res.total("opportunity") == pytest.approx(true_mean, rel=0.06)
    f = res.frame
    pipe, opp = f[f["stage"] == "pipeline"], f[f["stage"] == "opportunity"]
    assert np.allclose(pipe["mean"].to_numpy(), opp["mean"].to_numpy() * true_mean, rtol=0.08)
    assert ((pipe["low95"] <= pipe["low80"]) & (pipe["low80"] <= pipe["mean"]) & (pipe["mean"] <= pipe["high80"])
            & (pipe["high80"] <= pipe["high95"])).all()  # fmt: skip
    # Where it comes from: the opportunities' parts, at the mean amount.
    parts = res.parts[res.parts["stage"] == "pipeline"].groupby("week")["mean"].sum().to_numpy()
    assert parts == pytest.approx(opp["mean"].to_numpy() * fc.opp_amounts.mean(), rel=0.08)


def test_adding_pipeline_leaves_every_other_stage_bit_identical(fitted):
    import dataclasses

    *_, fc = fitted
    plan = {"search": 2_500.0, "social": 7_000.0}
    with_pipeline = fc.forecast(plan).frame
    # The same fit without opportunity amounts draws nothing for pipeline: the other stages must not move.
    without = dataclasses.replace(fc, opp_amounts=np.zeros(0)).forecast(plan).frame
    others = (with_pipeline["stage"] != "pipeline").to_numpy()
    pd.testing.assert_frame_equal(with_pipeline[others], without[others])
    assert without.loc[~others, "mean"].isna().all() and with_pipeline.loc[~others, "mean"].notna().all()
    pd.testing.assert_frame_equal(with_pipeline, fc.forecast(plan).frame)  # and the same seed, the same pipeline


def test_pipeline_bands_hold_in_a_backtest_and_beat_the_13_week_average(worlds):
    # Pooled over three independent clients (51 origins, 600 origin-weeks), measured: 77.7 % inside
    # the 80 % band, 94.3 % inside the 95 % band; WAPE 16.4 % against 24.8 % for the 13-week average.
    results = [backtest(m, stage="pipeline", n_sims=1_000) for m, _, _ in worlds]
    for bt in results:
        assert bt.stage == "pipeline" and bt.origins >= 10
        assert bt.wape < bt.baseline_wape, bt.summary()
    assert_pooled_bands_hold(results)
    assert "weekly pipeline forecast" in results[0].sentence()


def test_without_amounts_pipeline_and_revenue_are_not_forecast_and_a_note_says_so(worlds):
    model, _, _ = worlds[0]
    bare = model.replace(deals=model.deals.assign(amount=np.nan))
    res = fit_forecast(bare, n_sims=200).forecast(None, 4)
    f = res.frame
    money = f["stage"].isin(["pipeline", "revenue"])
    assert f.loc[money, ["mean", "low80", "high80", "low95", "high95"]].isna().all().all()
    assert f.loc[~money, "mean"].notna().all()
    assert "The deals carry no amounts: pipeline and revenue are not forecast." in res.warnings
    bt = backtest(bare, stage="pipeline", n_sims=100)
    assert bt.frame["actual"].isna().all() and np.isnan(bt.wape)
    assert np.isnan(res.total("pipeline")) and np.isnan(res.total("revenue"))  # not forecast is not 0
    # Half the deals without an amount: drawn from the other half, and the room is told.
    half = model.replace(
        deals=model.deals.assign(amount=model.deals["amount"].where(np.arange(len(model.deals)) % 2 == 0))
    )
    fc = fit_forecast(half, n_sims=200)
    assert fc.opp_without_amount == pytest.approx(0.5, abs=0.01) and np.isfinite(fc.opp_amounts).all()
    assert any(n.startswith("50.") and "have no amount in the CRM" in n for n in fc.forecast(None, 2).warnings)


# ------------------------------------------------------------------ the two properties


def test_twice_the_spend_gives_fewer_than_twice_the_opportunities(fitted):
    *_, fc = fitted
    one, two = fc.forecast(None), fc.forecast(None, scale=2.0)
    assert 1.0 < two.total("opportunity") / one.total("opportunity") < 2.0
    # Not only because organic leads and the open funnel do not scale: paid leads saturate too.
    paid = {r: f.parts[(f.parts["stage"] == "lead") & (f.parts["part"] == "paid")]["mean"].sum()
            for r, f in (("one", one), ("two", two))}  # fmt: skip
    assert 1.0 < paid["two"] / paid["one"] < 1.9


def test_no_paid_spend_keeps_the_funnel_running_then_falls_to_organic_after_the_lag(fitted):
    _, truth, _, fc = fitted
    now, stop = fc.forecast(None, 13), fc.forecast(None, 13, scale=0.0)
    opp_now = now.frame[now.frame["stage"] == "opportunity"]["mean"].to_numpy()
    opp_stop = stop.frame[stop.frame["stage"] == "opportunity"]["mean"].to_numpy()
    organic = truth.organic_per_week * truth.opp_rate["organic"]
    lag = fc.lead_to_opportunity_weeks
    # First week: the leads already in the funnel still convert (most of week 0's opportunities).
    assert opp_stop[0] > 0 and opp_stop[0] > 0.7 * opp_now[0] and opp_stop[0] > 3 * organic
    # Before the median lag the paid opportunities have not run out yet ...
    assert (opp_stop[: int(lag)] > 2 * organic).all()
    # ... after nearly all of the lag has passed, what is left is the organic baseline.
    settled = int(fc.lead_flow.lag_quantile(0.97)) + 1
    assert settled < 13
    assert opp_stop[settled:] == pytest.approx(np.full(13 - settled, organic), rel=0.2)
    assert fc.organic_opportunities_per_week == pytest.approx(organic, rel=0.2)
    assert (np.diff(opp_stop[1 : settled + 1]) <= 0.5).all()  # falling, give or take simulation noise
    paid_stop = stop.parts[(stop.parts["stage"] == "opportunity") & (stop.parts["part"] == "paid")]["mean"]
    assert (paid_stop == 0).all()


# ------------------------------------------------------------------ plans and results


def test_plan_mapping_weekly_table_and_extrapolation_flag(fitted):
    *_, fc = fitted
    top = fc.max_weekly["search"]
    res = fc.forecast({"search": 2 * top})
    assert res.plan["search"] == pytest.approx(2 * top) and res.plan["social"] == pytest.approx(
        fc.current_plan["social"]
    )
    assert res.extrapolated == ("search",)
    assert any("extrapolated: no evidence" in w and "search" in w for w in res.warnings)
    assert not any(SNAKE.search(w) for w in res.warnings)
    wide = pd.DataFrame({"search": [1_000.0, 2_000.0], "social": [0.0, 0.0]})
    long = pd.DataFrame({"platform": ["search", "search", "social", "social"], "week": [0, 1, 0, 1],
                         "spend": [1_000.0, 2_000.0, 0.0, 0.0]})  # fmt: skip
    a, b = fc.forecast(wide, 2), fc.forecast(long, 2)
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())
    assert a.plan == {"search": 1_500.0, "social": 0.0}
    with pytest.raises(KpikitError, match="platform without spend") as e:
        fc.forecast({"tiktok": 10.0})
    assert "search" in str(e.value)
    with pytest.raises(KpikitError, match="negative"):
        fc.forecast({"search": -1.0})


def test_result_renders_and_converts(fitted):
    *_, fc = fitted
    res = fc.forecast(None, 3)
    d = res.to_dict()
    json.dumps(d)
    assert d["view"] == "forecast" and d["horizon_weeks"] == 3 and set(d["plan"]) == set(fc.platforms)
    assert res.frame.columns.tolist() == ["week", "stage", "mean", "low80", "high80", "low95", "high95"]
    assert res.frame["stage"].unique().tolist() == ["lead", "opportunity", "won", "revenue", "pipeline"]
    f = res.frame
    assert ((f["low95"] <= f["low80"]) & (f["low80"] <= f["mean"]) & (f["mean"] <= f["high80"])
            & (f["high80"] <= f["high95"])).all()  # fmt: skip
    html = res._repr_html_()
    assert "Forecast if the plan holds" in html and "EUR" in html
    copy = res.to_frame()
    copy.loc[0, "mean"] = -1
    assert res.frame.loc[0, "mean"] != -1


def test_labels_from_the_data_are_escaped_in_html(worlds):
    model, _, _ = worlds[1]
    bad = "<img src=x onerror=alert(1)>"
    spend = model.spend.assign(platform=model.spend["platform"].replace("search", bad))
    res = kpikit.forecast(model.replace(spend=spend), {bad: 1e9}, horizon_weeks=2, n_sims=100)
    assert bad in res.plan and res.extrapolated == (bad,)
    assert bad not in res._repr_html_() and "&lt;img" in res._repr_html_()


# ------------------------------------------------------------------ sample clients: cross-checks


@needs_samples
def test_default_plan_is_the_last_13_complete_weeks_of_spend_by_hand_in_duckdb():
    duckdb = pytest.importorskip("duckdb")
    model = kpikit.load_client(LUMORA)
    spend, contacts = model.spend, model.contacts  # noqa: F841 - read by DuckDB
    want = duckdb.sql(
        """
        WITH ends AS (
          SELECT date_trunc('week', least((SELECT max(date) FROM spend),
                                          (SELECT max(created_date) FROM contacts)) + INTERVAL 1 DAY) AS origin)
        SELECT platform, sum(cost) / 13 AS weekly FROM spend, ends
        WHERE date >= origin - INTERVAL 13 WEEK AND date < origin GROUP BY platform
        """
    ).df()
    got = default_plan(model)
    assert set(got) == set(want["platform"])
    for platform, weekly in zip(want["platform"], want["weekly"], strict=True):
        assert got[platform] == pytest.approx(weekly, rel=1e-9)
    assert kpikit.forecast(model, horizon_weeks=1, n_sims=50).plan == pytest.approx(got)


@needs_samples
def test_pipeline_actuals_are_amounts_of_deals_created_per_week_by_hand_in_duckdb():
    duckdb = pytest.importorskip("duckdb")
    model = kpikit.load_client(LUMORA)
    deals = model.deals  # noqa: F841 - read by DuckDB
    bt = backtest(model, stage="pipeline", n_sims=200)
    assert bt.origins >= 3
    want = duckdb.sql(
        "SELECT date_trunc('week', created_date) AS week, sum(amount) AS pipeline FROM deals GROUP BY 1"
    ).df()
    by_week = dict(zip(pd.to_datetime(want["week"]), want["pipeline"].fillna(0.0), strict=True))
    assert bt.frame["actual"].sum() > 0
    for week, actual in zip(bt.frame["week"], bt.frame["actual"], strict=True):
        assert actual == pytest.approx(by_week.get(pd.Timestamp(week), 0.0), rel=1e-9, abs=1e-6)


@needs_samples
def test_backtest_actuals_are_deals_created_per_week_by_hand_in_duckdb():
    duckdb = pytest.importorskip("duckdb")
    model = kpikit.load_client(LUMORA)
    deals = model.deals  # noqa: F841 - read by DuckDB
    bt = backtest(model, n_sims=200)
    assert bt.origins >= 3
    want = duckdb.sql("SELECT date_trunc('week', created_date) AS week, count(*) AS n FROM deals GROUP BY 1").df()
    by_week = dict(zip(pd.to_datetime(want["week"]), want["n"], strict=True))
    for week, actual in zip(bt.frame["week"], bt.frame["actual"], strict=True):
        assert actual == by_week.get(pd.Timestamp(week), 0)


# ------------------------------------------------------------------ CLI


@needs_samples
def test_cli_json_has_exactly_the_issues_shape(capsys):
    assert forecast_main([str(LUMORA), "--json", "--horizon", "4", "--backtest"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"client", "currency", "horizon_weeks", "plan", "forecast", "warnings", "backtest"}
    assert doc["client"] == "lumora" and doc["currency"] == "EUR" and doc["horizon_weeks"] == 4
    assert len(doc["forecast"]) == 5 * 4  # lead, opportunity, won, revenue, pipeline
    pipeline = [r for r in doc["forecast"] if r["stage"] == "pipeline"]
    assert len(pipeline) == 4 and all(0 <= r["low95"] <= r["low80"] <= r["high80"] <= r["high95"] for r in pipeline)
    assert all(r["mean"] > 0 for r in pipeline)
    assert set(doc["forecast"][0]) == {"week", "stage", "mean", "low80", "high80", "low95", "high95"}
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc["forecast"][0]["week"])
    assert set(doc["backtest"]) == {"stage", "origins", "wape", "baseline_wape", "coverage80", "coverage95"}
    assert doc["backtest"]["stage"] == "opportunity"


@needs_samples
def test_cli_backtests_the_stage_asked_for_and_prints_pipeline(capsys):
    assert forecast_main([str(LUMORA), "--json", "--horizon", "2", "--backtest", "--stage", "pipeline"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["backtest"]["stage"] == "pipeline" and doc["backtest"]["origins"] >= 3
    assert 0 <= doc["backtest"]["coverage80"] <= 1
    assert forecast_main([str(LUMORA), "--horizon", "2"]) == 0
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("week"))
    assert "pipeline" in header and "revenue" in header
    assert re.search(r"^\s+pipeline\s+EUR [\d,]+\.\d\d", out, flags=re.M)  # the horizon total, in money


@needs_samples
def test_cli_shows_both_properties(capsys):
    assert forecast_main([str(LUMORA), "--scale", "2"]) == 0
    out = capsys.readouterr().out
    ratio = float(re.search(r"opportunities .*current plan .*\((\d+\.\d)×\)", out).group(1))
    assert 1.0 <= ratio < 2.0
    assert "extrapolated: no evidence" in out
    assert forecast_main([str(LUMORA), "--scale", "0", "--json"]) == 0
    rows = [r for r in json.loads(capsys.readouterr().out)["forecast"] if r["stage"] == "opportunity"]
    assert rows[0]["mean"] > 0 and rows[-1]["mean"] < rows[0]["mean"] / 2


def _client_copy(tmp_path: Path) -> Path:
    import shutil

    dst = tmp_path / "lumora"
    shutil.copytree(LUMORA.parent, dst)
    return dst


@needs_samples
def test_plan_yaml_is_read_inside_the_client_folder_only(tmp_path, capsys):
    from kpikit.cli import main as kpikit_main

    folder = _client_copy(tmp_path)
    (folder / "plan.yaml").write_text("linkedin: 9000\ngoogle_ads: 0\n")
    assert forecast_main([str(folder / "client.yaml"), "--plan", str(folder / "plan.yaml"), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["plan"]["linkedin"] == 9000.0 and doc["plan"]["google_ads"] == 0.0
    (tmp_path / "outside.yaml").write_text("linkedin: 1\n")
    assert kpikit_main(["forecast", str(folder / "client.yaml"), "--plan", str(tmp_path / "outside.yaml")]) == 1
    assert "outside the client folder" in capsys.readouterr().err
    (folder / "bomb.yaml").write_text("a: &x 1\nlinkedin: *x\n")
    with pytest.raises(ConfigError, match="aliases"):
        forecast_main([str(folder / "client.yaml"), "--plan", str(folder / "bomb.yaml")])
    (folder / "bad.yaml").write_text("linkedin: lots\nmeta: -5\n")
    with pytest.raises(ConfigError) as e:
        forecast_main([str(folder / "client.yaml"), "--plan", str(folder / "bad.yaml")])
    assert "linkedin" in str(e.value) and "meta" in str(e.value)


def test_bad_inputs_are_refused_with_what_is_allowed(fitted):
    model, *_, fc = fitted
    with pytest.raises(KpikitError, match="whole number of weeks"):
        fc.forecast(None, 0)
    with pytest.raises(KpikitError, match="scale"):
        fc.forecast(None, 4, scale=-1)
    with pytest.raises(KpikitError, match="unknown forecast stage") as e:
        backtest(model, stage="mql")
    assert "opportunity" in str(e.value)
    with pytest.raises(KpikitError, match="contacts"):
        kpikit.forecast(model.replace(contacts=model.contacts.iloc[:0], deals=model.deals.iloc[:0]))
