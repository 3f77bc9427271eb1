"""kpikit.core.measures: one registry of stages, outcomes and measures."""

import math

import numpy as np
import pandas as pd
import pytest

from kpikit.core.measures import FUNNEL_STAGES, KINDS, MEASURES, OUTCOMES, REAL_OUTCOMES, STAGES, VANITY, kind_of, label


def test_stage_lists_are_views_of_one_order():
    assert FUNNEL_STAGES[2:] == STAGES and REAL_OUTCOMES[:-1] == STAGES
    assert set(REAL_OUTCOMES) <= set(OUTCOMES) and "customers" in OUTCOMES


def test_every_measure_has_words_a_kind_and_a_direction():
    for name, m in MEASURES.items():
        assert m.name == name and m.kind in KINDS
        assert "_" not in m.label and "_" not in m.singular, name
        assert isinstance(m.higher_is_better, bool)


def test_every_outcome_has_a_count_and_a_cost():
    for o in OUTCOMES:
        assert MEASURES[o].kind == "count"
        if o != "customers":
            assert MEASURES[f"cost_per_{o}"].kind == "money" and not MEASURES[f"cost_per_{o}"].higher_is_better


def test_one_formula_serves_totals_and_segment_tables():
    totals = {"cost": 300.0, "clicks": 30.0, "impressions": 1000.0, "opportunity": 0.0, "engagements": 150.0}
    frame = pd.DataFrame({k: [v, v * 2] for k, v in totals.items()})
    for name in ("ctr", "cpc", "cpm", "cost_per_engagement"):
        scalar = float(MEASURES[name].compute(totals))
        rows = MEASURES[name].compute(frame)
        assert rows[0] == pytest.approx(scalar)
    assert math.isnan(float(MEASURES["cost_per_opportunity"].compute(totals)))  # no outcome: unknown, not inf


def test_cost_per_outcome_without_spend_is_unknown_not_zero():
    assert np.isnan(MEASURES["cost_per_lead"].compute({"cost": 0.0, "lead": 4.0}))


def test_vanity_kpis_are_the_ones_teams_are_paid_on():
    assert {"ctr", "cpc", "clicks", "impressions", "engagements", "cost_per_engagement"} <= set(VANITY)
    assert "opportunity" not in VANITY and "won" not in VANITY


@pytest.mark.parametrize(
    "column, kind",
    [("ctr_low", "rate"), ("cost_per_real_outcome_high", "money"), ("contact_win_rate", "rate"),
     ("spend_match_rate", "rate"), ("spend_matched", "money"), ("contacts_matched", "rate"), ("pipeline", "money"), ("lead", "count"), ("campaign", None)],
)  # fmt: skip
def test_kind_of_derived_columns(column, kind):
    assert kind_of(column) == kind


def test_labels_are_words_never_identifiers():
    assert label("cost_per_key_account") == "cost per key account engaged"
    assert label("dim_job_function") == "job function"
    assert label("step_rate") == "step rate"


def test_every_attribution_model_and_platform_has_its_client_words():
    from kpikit.analysis import ATTRIBUTION_MODELS
    from kpikit.core.measures import MODEL_WORDS, PLATFORM_WORDS
    from kpikit.ingest.formats.base import FORMATS

    assert set(MODEL_WORDS) == set(ATTRIBUTION_MODELS)
    platforms = {f.constants["platform"] for f in FORMATS.values() if "platform" in f.constants}
    assert platforms <= set(PLATFORM_WORDS) and {"hubspot", "salesforce"} <= set(PLATFORM_WORDS)
    assert not set(PLATFORM_WORDS) & set(MEASURES) and not set(MODEL_WORDS) & set(MEASURES)
    assert [label(m) for m in ("first", "last", "u_shaped", "markov")] == [
        "First touch", "Last touch", "U-shaped", "Data-driven (Markov)"
    ]  # fmt: skip
    assert [label(p) for p in ("google_ads", "linkedin", "meta", "hubspot", "salesforce")] == [
        "Google Ads", "LinkedIn", "Meta", "HubSpot", "Salesforce"
    ]  # fmt: skip
    assert label("tiktok_ads") == "tiktok ads"  # a platform a column map names and the registry does not
