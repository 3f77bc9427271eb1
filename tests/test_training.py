"""Exercises and checks: right answers pass, each listed mistake is recognised, blanks guide."""

from __future__ import annotations

import csv
import io
import json
import math
import re

import pandas as pd
import pytest

import kpikit
from kpikit import KpikitError, training
from kpikit.errors import OptionError
from kpikit.training import EXERCISES, MODULES, check

SEEDS = (0, 1, 2, 3, 4)
CASES = [(ex_id, seed) for ex_id in EXERCISES for seed in SEEDS]


def _first(value):
    return value[0] if isinstance(value, tuple | list) else value


def test_every_module_has_exercises():
    for module in MODULES:
        assert len(EXERCISES.module(module)) >= 3, module
    assert all(ex_id.split(".")[0] in MODULES for ex_id in EXERCISES)


@pytest.mark.parametrize(("ex_id", "seed"), CASES)
def test_expected_answer_passes_and_honest_rounding_too(ex_id, seed):
    ex = EXERCISES[ex_id]
    expected = ex.solve(seed)
    assert check(ex_id, expected, seed=seed).passed
    if ex.kind == "number":
        nudged = expected + 0.9 * ex.tolerance(expected)
        assert check(ex_id, nudged, seed=seed).passed
        assert check(ex_id, str(round(expected, 6)), seed=seed).passed
    else:
        assert check(ex_id, f"  {expected.upper()} ", seed=seed).passed  # case and spaces do not matter


@pytest.mark.parametrize(("ex_id", "seed"), CASES)
def test_each_listed_mistake_gets_its_own_feedback(ex_id, seed):
    ex = EXERCISES[ex_id]
    scenario = ex.at(seed).scenario
    assert ex.mistakes, f"{ex_id} lists no common mistake"
    for mistake in ex.mistakes:
        wrong = _first(mistake.answer(scenario))
        if wrong is None:  # a choice mistake that coincides with the right option for this seed
            continue
        result = check(ex_id, wrong, seed=seed)
        assert not result.passed, (ex_id, mistake.key, "a listed mistake must not pass")
        assert result.status == "mistake"
        assert result.matched_mistake == mistake.key, (ex_id, seed, mistake.key, result.matched_mistake)
        assert mistake.label in result.message and mistake.feedback in result.message
        assert result.hint == mistake.hint


@pytest.mark.parametrize("ex_id", list(EXERCISES))
@pytest.mark.parametrize("blank", [None, ..., "  "])
def test_blank_answers_give_guidance(ex_id, blank):
    result = check(ex_id, blank, seed=0)
    assert result.status == "blank" and not result.passed
    assert "`...`" in result.message
    assert result.hint == EXERCISES[ex_id].hint


@pytest.mark.parametrize(
    ("answer", "needle"),
    [
        (pd.DataFrame({"a": [1, 2]}), "whole table"),
        (pd.Series([1.0, 2.0]), "column of 2 values"),
        (float("nan"), "NaN"),
        (math.inf, "divide by zero"),
        ("four dollars", "not a number"),
        (True, "True/False"),
    ],
)
def test_unusable_answers_explain_themselves(answer, needle):
    result = check("m1.cost_per_like", answer, seed=0)
    assert result.status == "invalid"
    assert needle in result.message


def test_a_one_value_selection_and_text_forms_are_accepted():
    expected = EXERCISES["m1.cost_per_like"].solve(0)
    assert check("m1.cost_per_like", pd.Series([expected]), seed=0).passed
    assert check("m1.cost_per_like", f"${expected:,.2f}", seed=0).passed
    lift = EXERCISES["m1.ctr_lift"].solve(0)
    assert check("m1.ctr_lift", f"{100 * lift:.2f}%", seed=0).passed


def test_choice_accepts_a_one_value_selection_and_explains_a_column():
    expected = EXERCISES["m1.best_campaign"].solve(0)
    assert check("m1.best_campaign", pd.Series([expected]), seed=0).passed
    result = check("m1.best_campaign", pd.Series([expected, "Retargeting"]), seed=0)
    assert result.status == "invalid" and "one name" in result.message


def test_choice_outside_the_options_is_invalid_and_lists_them():
    result = check("m1.best_campaign", "The one with the nice logo", seed=0)
    assert result.status == "invalid"
    assert "ABM - Key Accounts" in result.message


def test_an_unlisted_wrong_answer_says_which_way_it_is_off():
    expected = EXERCISES["m1.cost_per_like"].solve(0)
    result = check("m1.cost_per_like", expected * 1.37, seed=0)
    assert result.status == "wrong" and "too high" in result.message


def test_unknown_exercise_lists_the_ids():
    with pytest.raises(KpikitError, match="m1.cost_per_like"):
        check("m1.cost_per_lik", 1.0)


@pytest.mark.parametrize("ex_id", list(EXERCISES))
def test_seeds_give_different_numbers_and_answers_follow(ex_id):
    ex = EXERCISES[ex_id]
    a, b = ex.at(0), ex.at(1)
    assert any(not _same(a.data[k], b.data[k]) for k in a.data), "seed does not change the data"
    if ex.kind == "number":
        assert not check(ex_id, ex.solve(0), seed=1).passed, "seed 0's answer passes for seed 1"
        assert not math.isclose(ex.solve(0), ex.solve(1))


def _same(x, y) -> bool:
    if isinstance(x, pd.DataFrame):
        return x.equals(y)
    if isinstance(x, training.practice_model(0).__class__):
        return x.spend.equals(y.spend) and x.contacts.equals(y.contacts)
    return x == y


def test_a_trainee_editing_the_data_cannot_move_the_expected_answer():
    ex = training.exercise("m1.cost_per_like", seed=0)
    expected = ex.exercise.solve(0)
    ex.data["campaigns"]["cost"] = 0.0
    assert training.exercise("m1.cost_per_like", seed=0).data["campaigns"]["cost"].sum() > 0
    assert ex.exercise.solve(0) == expected


# -- answers against independent computations -------------------------------------------------------------------


def test_m1_answers_match_duckdb_over_the_practice_model():
    duckdb = pytest.importorskip("duckdb")
    model = training.practice_model(3)
    spend, contacts = model.spend, model.contacts  # noqa: F841  (read by DuckDB)
    like_cost, likes, opps = duckdb.sql(
        """
        select sum(cost), sum(engagements),
               (select count(opportunity_date) from contacts where campaign = 'Like & Share Competition')
        from spend where campaign = 'Like & Share Competition'
        """
    ).fetchall()[0]
    assert check("m1.cost_per_like", like_cost / likes, seed=3).passed
    assert math.isclose(EXERCISES["m1.cost_per_real_outcome"].solve(3), like_cost / opps, rel_tol=1e-12)
    before, after = duckdb.sql(
        """
        select sum(clicks) filter (where date < '2026-02-16') / sum(impressions) filter (where date < '2026-02-16'),
               sum(clicks) filter (where date >= '2026-02-16') / sum(impressions) filter (where date >= '2026-02-16')
        from spend where campaign in ('Prospecting - Broad', 'Retargeting')
        """
    ).fetchall()[0]
    assert math.isclose(EXERCISES["m1.ctr_lift"].solve(3), after / before - 1, rel_tol=1e-12)


def test_m2_answers_match_a_plain_csv_reading_of_the_raw_files():
    files = training.exercise("m2.total_spend", seed=4).data
    rows = list(csv.reader(io.StringIO(files["google_ads.csv"].decode("utf-8"))))
    header = rows[2]
    data = [dict(zip(header, r, strict=True)) for r in rows[3:] if r and not r[0].startswith("Total")]
    google = sum(float(r["Cost"].replace(",", "")) for r in data)
    assert math.isclose(EXERCISES["m2.total_spend"].solve(4), google, abs_tol=1e-6)
    meta_rows = list(csv.DictReader(io.StringIO(files["meta_ads.csv"].decode("utf-16")), delimiter="\t"))
    usd = sum(float(r["Amount spent (USD)"]) for r in meta_rows)
    assert math.isclose(EXERCISES["m2.spend_in_eur"].solve(4), google + usd * files["fx_usd_to_eur"], rel_tol=1e-9)
    ctr = sum(int(r["Link clicks"]) for r in meta_rows) / sum(int(r["Impressions"]) for r in meta_rows)
    assert math.isclose(EXERCISES["m2.meta_ctr"].solve(4), ctr, rel_tol=1e-12)


@pytest.mark.parametrize("seed", [0, 5])
def test_m2_answers_match_what_kpikit_load_file_reads_from_the_same_bytes(tmp_path, seed):
    files = training.exercise("m2.total_spend", seed=seed).data
    for name in ("google_ads.csv", "meta_ads.csv"):
        (tmp_path / name).write_bytes(files[name])
    google = kpikit.load_file(tmp_path / "google_ads.csv")
    meta = kpikit.load_file(tmp_path / "meta_ads.csv")
    assert google.report.dropped == {"footer": 1}  # the Total row, counted, not loaded
    assert math.isclose(google.report.spend["EUR"], EXERCISES["m2.total_spend"].solve(seed), abs_tol=0.005)
    eur = google.report.spend["EUR"] + meta.report.spend["USD"] * files["fx_usd_to_eur"]
    assert math.isclose(eur, EXERCISES["m2.spend_in_eur"].solve(seed), rel_tol=1e-9, abs_tol=0.01)
    ctr = meta.frame["clicks"].sum() / meta.frame["impressions"].sum()
    assert math.isclose(ctr, EXERCISES["m2.meta_ctr"].solve(seed), rel_tol=1e-12)


# -- result objects ------------------------------------------------------------------------------------------------


def test_check_result_renders_escaped_html_and_plain_json():
    result = check("m1.best_campaign", "<script>alert(1)</script>", seed=0)
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    bundle = result._repr_mimebundle_()
    assert json.loads(json.dumps(bundle["application/vnd.kpikit.check+json"])) == result.to_dict()
    assert result.to_dict()["passed"] is False


def test_progress_summarises_the_latest_check_of_each_exercise():
    training.reset_progress()
    ex_ids = [e.id for e in EXERCISES.module("m1")]
    check(ex_ids[0], EXERCISES[ex_ids[0]].solve(0), seed=0)
    check(ex_ids[1], 1.0, seed=0)
    check(ex_ids[2], None, seed=0)
    p = training.progress("m1")
    statuses = dict(zip(p.to_frame()["exercise_id"], p.to_frame()["status"], strict=True))
    assert statuses[ex_ids[0]] == "correct"
    assert statuses[ex_ids[1]] in {"wrong", "mistake"}
    assert statuses[ex_ids[2]] == "blank"
    assert statuses[ex_ids[3]] == "not tried"
    assert (p.passed, p.total, p.complete) == (1, len(ex_ids), False)
    assert p.to_frame().loc[p.to_frame()["exercise_id"] == ex_ids[2], "attempts"].item() == 0
    assert "1 of" in p._repr_html_()
    assert training.progress().total == len(EXERCISES)


# Mistakes that a scenario seed can bring within a few tolerances of the right answer; see
# the closing note of issue 3's session: the practice model's cohorts need reworking for these.
_CLOSE_BY_CHANCE = {("m3.mature_cohort", "latest"), ("m3.mature_cohort", "all_cohorts")}


@pytest.mark.parametrize("ex_id", [e for e, ex in EXERCISES.items() if ex.kind == "number"])
def test_a_mistaken_answer_is_never_within_a_rounding_of_the_right_one(ex_id):
    # at least 3 tolerances apart on 40 seeds: rounding a mistaken answer cannot pass as right
    ex = EXERCISES[ex_id]
    for seed in range(40):
        scenario = ex.scenario(seed)
        expected = ex.answer(scenario)
        for mistake in ex.mistakes:
            wrong = _first(mistake.answer(scenario))
            if wrong is None or (ex_id, mistake.key) in _CLOSE_BY_CHANCE:
                continue
            assert abs(float(wrong) - expected) >= 3 * ex.tolerance(expected), (ex_id, mistake.key, seed)


@pytest.mark.parametrize(
    "call, meant",
    [
        (lambda: check("m1.cost_per_lik", 1.0), "m1.cost_per_like"),
        (lambda: EXERCISES["m1.cost_per_like"].mistake("link_click"), "link_clicks"),
    ],
)
def test_a_mistyped_training_option_is_an_option_error_that_says_what_was_meant(call, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        call()
