"""Plan next quarter explorer: builds on a sample client, follows its sliders, agrees with the engine.

The engine (:func:`kpikit.forecast`) is the reference: the explorer's precomputed grid must give its
figures within simulation noise, and the extrapolation flag must follow the engine's highest week.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import kpikit
from kpikit import explore
from kpikit.core.result import Result
from kpikit.explore._forecast import EXTRAPOLATED, plan_scenario
from kpikit.explore.precompute import _count_quantile, forecast_grid
from kpikit.samples import sample_model


@pytest.fixture(scope="module")
def model():
    return sample_model("veldmark")


@pytest.fixture(scope="module")
def ex(model):
    return explore.plan_quarter(model)


def shown(explorer, metric: str, col: str) -> str:
    m = re.search(
        rf'data-metric="{re.escape(metric)}" data-col="{re.escape(col)}">([^<]*)</td>', explorer.readout.value
    )
    assert m, f"no readout cell for {metric}/{col}"
    return m.group(1)


def test_one_slider_per_platform_starting_at_the_current_plan(model, ex):
    fc = ex.grid.forecaster
    assert sorted(ex.controls) == [f"spend:{p}" for p in sorted(set(model.spend["platform"]))]
    for p, v in fc.current_plan.items():
        assert ex.controls[f"spend:{p}"].value == pytest.approx(v, abs=0.5)
        assert ex.controls[f"spend:{p}"].max > fc.max_weekly[p]  # room to go past the evidence
    t = ex.numbers["totals"]["opportunity"]
    assert t["plan"] == pytest.approx(t["current"], rel=0.01)
    assert t["low80"] < t["plan"] < t["high80"]
    assert ex.numbers["extrapolated"] == [] and "extrapolated" not in ex.notice.value
    assert shown(ex, "opportunity", "plan") == kpikit.core.fmt.fmt(t["plan"], "number")


def test_a_slider_past_the_highest_week_says_extrapolated_no_evidence(ex):
    fc = ex.grid.forecaster
    try:
        ex.controls["spend:linkedin"].value = fc.max_weekly["linkedin"] * 1.5
        assert ex.numbers["extrapolated"] == ["linkedin"]
        assert EXTRAPOLATED in ex.notice.value and "LinkedIn" in ex.notice.value
        assert shown(ex, "spend:linkedin", "flag") == EXTRAPOLATED
        assert shown(ex, "spend:google_ads", "flag") == ""
        ex.controls["spend:linkedin"].value = fc.max_weekly["linkedin"] * 0.9
        assert ex.numbers["extrapolated"] == [] and EXTRAPOLATED not in ex.notice.value
    finally:
        ex.controls["spend:linkedin"].value = round(fc.current_plan["linkedin"])


def test_more_spend_buys_more_opportunities_with_diminishing_returns(ex):
    fc = ex.grid.forecaster
    now = fc.current_plan["linkedin"]
    opps = [plan_scenario(ex.grid, {"linkedin": k * now}).totals["opportunity"]["plan"] for k in (0, 1, 2, 3)]
    assert opps[0] < opps[1] < opps[2] < opps[3]
    assert opps[3] - opps[2] < opps[2] - opps[1] < opps[1] - opps[0]
    stop = plan_scenario(ex.grid, dict.fromkeys(fc.platforms, 0.0))
    first = stop.weekly[(stop.weekly["stage"] == "opportunity") & (stop.weekly["plan"] == "this plan")]
    assert first["mean"].iloc[0] > 0  # leads already in the funnel still become opportunities


def test_the_explorer_gives_the_engines_figures_within_simulation_noise(model, ex):
    fc = ex.grid.forecaster
    plan = {p: 1.3 * v for p, v in fc.current_plan.items()}
    mine = plan_scenario(ex.grid, plan)
    engine = kpikit.forecast(model, plan)
    assert engine.horizon_weeks == mine.horizon_weeks and engine.origin == mine.origin
    for stage, tol in (("lead", 0.03), ("opportunity", 0.05), ("won", 0.08), ("revenue", 0.12), ("pipeline", 0.08)):
        assert mine.totals[stage]["plan"] == pytest.approx(engine.total(stage), rel=tol), stage
    w = mine.weekly[mine.weekly["plan"] == "this plan"].set_index(["stage", "week"])
    e = engine.frame.set_index(["stage", "week"]).loc[w.index]
    opp = (w.loc["opportunity"], e.loc["opportunity"])
    assert np.allclose(opp[0]["mean"], opp[1]["mean"], rtol=0.08)
    # the same bands, to simulation noise (about half an opportunity a week here)
    assert np.abs((opp[0]["high80"] - opp[0]["low80"]) - (opp[1]["high80"] - opp[1]["low80"])).max() <= 1.0
    assert np.abs(opp[0]["high95"] - opp[1]["high95"]).max() <= 1.0
    assert np.abs(opp[0]["low80"] - opp[1]["low80"]).max() <= 1.0


def test_the_grids_pipeline_is_the_engines_week_by_week(model, ex):
    # Same plan, same fit: the grid's pipeline (opportunities worth the client's own amounts) against the
    # engine's, to Monte Carlo noise. Veldmark's amounts are skewed (about EUR 43,000 a deal, an 80% band of
    # EUR 27,000 - 600,000 a week), so a week's mean from 1,000 simulations moves by ~5 %.
    fc = ex.grid.forecaster
    plan = {p: 0.7 * v for p, v in fc.current_plan.items()}
    mine = plan_scenario(ex.grid, plan)
    engine = kpikit.forecast(model, plan).frame
    e = engine[engine["stage"] == "pipeline"].reset_index(drop=True)
    w = mine.weekly[(mine.weekly["plan"] == "this plan") & (mine.weekly["stage"] == "pipeline")].reset_index(drop=True)
    assert (w["week"].to_numpy() == e["week"].to_numpy()).all()
    assert np.allclose(w["mean"], e["mean"], rtol=0.15)
    assert np.allclose(w["high80"], e["high80"], rtol=0.15) and np.allclose(w["high95"], e["high95"], rtol=0.2)
    assert w["mean"].sum() == pytest.approx(e["mean"].sum(), rel=0.06)
    t = mine.totals["pipeline"]
    assert t["low80"] < t["plan"] < t["high80"] and t["plan"] == pytest.approx(w["mean"].sum())
    # The readout shows it in money, in words.
    assert "pipeline" in ex.readout.value and shown(ex, "pipeline", "plan").startswith("EUR ")


def test_a_client_without_amounts_gets_no_pipeline_or_revenue_in_the_explorer(model):
    bare = model.replace(deals=model.deals.assign(amount=np.nan))
    r = explore.plan_quarter(bare).result
    assert set(r.weekly["stage"]) == {"opportunity", "won"}
    assert set(r.totals) == {"lead", "opportunity", "won"}
    assert any("pipeline and revenue are not forecast" in n for n in r.notes)


def test_the_chart_shows_both_plans_with_bands_and_follows_the_sliders(ex):
    spec = ex.specs["forecast"]
    (values,) = [v for v in spec["datasets"].values() if isinstance(v, list) and len(v) == len(ex.result.weekly)]
    assert {(r["stage"], r["plan"]) for r in values} == {
        (s, p) for s in ("opportunity", "pipeline", "won", "revenue") for p in ("this plan", "current plan")
    }
    assert list(dict.fromkeys(r["stage"] for r in values)) == ["opportunity", "pipeline", "won", "revenue"]
    assert all(r["low95"] <= r["low80"] <= r["mean"] <= r["high80"] <= r["high95"] for r in values)
    before = [r["mean"] for r in values if r["plan"] == "this plan"]
    ex.controls["spend:linkedin"].value = ex.controls["spend:linkedin"].max
    after = [
        r["mean"] for r in ex.specs["forecast"]["datasets"][next(iter(spec["datasets"]))] if r["plan"] == "this plan"
    ]
    ex.controls["spend:linkedin"].value = round(ex.grid.forecaster.current_plan["linkedin"])
    assert sum(after) > sum(before)


def test_the_result_is_a_core_result():
    r = explore.plan_quarter(sample_model("veldmark")).result
    assert isinstance(r, Result) and r.view == "plan_quarter" and r.currency == "EUR"
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["controls"] == r.controls and len(d["rows"]) == len(r.frame)
    assert "<table" in r._repr_html_()
    assert r.to_frame() is not r.frame and r.to_frame().equals(r.frame)


def test_without_contacts_the_explorer_says_why_instead_of_forecasting(model):
    bare = model.replace(contacts=model.contacts.iloc[0:0], deals=model.deals.iloc[0:0])
    ex = explore.plan_quarter(bare)
    assert ex.controls == {} and ex.charts == {}
    assert "No forecast for this client" in ex.notice.value and "contacts" in ex.notice.value
    assert ex.reason == "data" and ex.unavailable.startswith("No forecast") and ex.result is None


@pytest.mark.parametrize("phi", [1.0, 2.5])
def test_count_quantiles_are_the_poisson_and_negative_binomial_quantiles(phi):
    rng = np.random.default_rng(3)
    u = rng.random(4000)
    mean = rng.uniform(0.0, 39.0, 4000)
    got = _count_quantile(u, stats.norm.ppf(u), mean, phi)
    if phi == 1.0:
        want = stats.poisson.ppf(u, mean)
    else:
        want = stats.nbinom.ppf(u, mean / (phi - 1.0), 1.0 / phi)
    assert np.mean(got == np.nan_to_num(want)) > 0.999  # float round-off at a CDF step may move one


def test_the_grid_is_built_once_per_client(model, ex):
    assert forecast_grid(model) is ex.grid
    assert isinstance(ex.grid.weeks[0], np.datetime64) and len(ex.grid.weeks) == 13
    assert pd.Timestamp(ex.grid.weeks[0]) == ex.grid.forecaster.origin


def test_the_explorer_scatters_opportunities_as_widely_as_the_engine():
    # A generated client whose weekly opportunities scatter about twice as much as Poisson noise.
    from kpikit.samples import synthetic_model

    m = synthetic_model(20_000, 0, seed=2)
    grid = forecast_grid(m)
    assert grid.forecaster.opp_dispersion > 1.5
    mine = plan_scenario(grid, {})
    w = mine.weekly[(mine.weekly["plan"] == "this plan") & (mine.weekly["stage"] == "opportunity")]
    e = kpikit.forecast(m).frame
    e = e[e["stage"] == "opportunity"]
    width = (w["high80"] - w["low80"]).to_numpy(), (e["high80"] - e["low80"]).to_numpy()
    assert np.allclose(width[0], width[1], rtol=0.1)
    assert np.allclose(w["mean"].to_numpy(), e["mean"].to_numpy(), rtol=0.05)
