"""Honest rankings: partial pooling beats raw ratios against a known truth, and its intervals cover it.

Synthetic hierarchies (platform > campaign > ad group) are drawn with known rates from numpy generators
with fixed seeds; the raw ratio and the shrunk estimate are both scored against the truth. The flag
rule is held as a property over many random segment tables (hypothesis is not a dependency).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats import kendalltau, spearmanr

from kpikit.analysis.shrink import (
    FAMILIES,
    MIN_PROBABILITY,
    honest_flags,
    prob_greater,
    shrink_hierarchy,
    shrink_rates,
)
from kpikit.analysis.stats import MIN_OUTCOMES
from kpikit.errors import OptionError

LEVELS = ["platform", "campaign", "ad_group"]


def synthetic_hierarchy(rng: np.random.Generator, family: str) -> pd.DataFrame:
    """2-4 platforms, 1-4 campaigns each, 1-5 ad groups each; every rate drawn around its parent's."""
    mu0 = 1 / rng.uniform(300, 3000) if family == "gamma-poisson" else rng.uniform(0.02, 0.2)
    cv = rng.uniform(0.2, 0.8, 3)  # spread of rates around the parent, per level

    def draw(mean: float, c: float) -> float:
        if family == "gamma-poisson":
            return rng.gamma(1 / c**2, mean * c**2)
        kappa = max((1 - mean) / (mean * c**2) - 1, 1.0)
        return rng.beta(kappa * mean, kappa * (1 - mean))

    rows = []
    for p in range(rng.integers(2, 5)):
        rp = draw(mu0, cv[0])
        for c in range(rng.integers(1, 5)):
            rc = draw(rp, cv[1])
            for a in range(rng.integers(1, 6)):
                ra = draw(rc, cv[2])
                if family == "gamma-poisson":
                    n = rng.lognormal(np.log(3000), 1.0)  # spend
                    k = rng.poisson(ra * n)
                else:
                    n = int(rng.lognormal(np.log(150), 1.0)) + 1  # clicks or leads
                    k = rng.binomial(n, ra)
                rows.append((f"p{p}", f"c{c}", f"a{a}", float(n), float(k), ra))
    return pd.DataFrame(rows, columns=[*LEVELS, "exposure", "outcomes", "truth"])


@pytest.mark.parametrize(("family", "runs"), [("gamma-poisson", 200), ("beta-binomial", 120)])
def test_shrunk_ranking_agrees_better_with_the_truth_and_intervals_cover_it(family, runs):
    rng = np.random.default_rng(20260701)
    raw_s, shr_s, raw_k, shr_k, covered = [], [], [], [], []
    for _ in range(runs):
        t = synthetic_hierarchy(rng, family)
        h = shrink_hierarchy(t, LEVELS, "outcomes", "exposure", family=family)
        leaf = h[h["level"] == "ad_group"].merge(t[[*LEVELS, "truth"]], on=LEVELS)
        assert len(leaf) == len(t)
        covered.append(((leaf["low"] <= leaf["truth"]) & (leaf["truth"] <= leaf["high"])).to_numpy())
        if len(leaf) >= 4:
            raw_s.append(spearmanr(leaf["raw"], leaf["truth"]).statistic)
            shr_s.append(spearmanr(leaf["estimate"], leaf["truth"]).statistic)
            raw_k.append(kendalltau(leaf["raw"], leaf["truth"]).statistic)
            shr_k.append(kendalltau(leaf["estimate"], leaf["truth"]).statistic)
    coverage = float(np.concatenate(covered).mean())
    assert 0.90 <= coverage <= 0.98, coverage
    assert np.nanmean(shr_s) > np.nanmean(raw_s) + 0.005, (np.nanmean(raw_s), np.nanmean(shr_s))
    assert np.nanmean(shr_k) > np.nanmean(raw_k) + 0.005, (np.nanmean(raw_k), np.nanmean(shr_k))


def test_small_segments_move_most_and_intervals_hold_the_estimate():
    s = shrink_rates([1, 40, 20], [300.0, 30000.0, 30000.0])
    moved = np.abs(np.log(s.estimate / s.raw))
    assert moved[0] > moved[1] and moved[0] > moved[2]  # one opportunity from EUR 300 is pulled hardest
    assert np.all(s.low < s.estimate) and np.all(s.estimate < s.high)
    lo, hi = s.cost_per_interval()
    assert np.allclose(s.cost_per(), 1 / s.estimate) and np.all(lo < s.cost_per()) and np.all(s.cost_per() < hi)


def test_segments_without_exposure_get_no_estimate():
    s = shrink_rates([3.0, 2.0, np.nan], [0.0, 100.0, 50.0])
    assert np.isnan(s.estimate[0]) and np.isnan(s.estimate[2]) and not np.isnan(s.estimate[1])
    assert np.isnan(shrink_rates([0], [0]).estimate).all()
    assert shrink_hierarchy(pd.DataFrame({"c": ["x"], "k": [1.0], "e": [0.0]}), ["c"], "k", "e").empty


def test_no_outcome_anywhere_stays_uncertain_not_certainly_zero():
    s = shrink_rates([0, 0, 0], [1000.0, 2000.0, 500.0])
    assert np.all(s.estimate > 0) and np.all(s.high > 3 * s.estimate)


def test_prob_greater_matches_monte_carlo():
    rng = np.random.default_rng(3)
    x, y = rng.gamma(11, 1 / 1000.0, 200_000), rng.gamma(3, 1 / 900.0, 200_000)
    assert prob_greater(11, 1000.0, 3, 900.0) == pytest.approx(float((x > y).mean()), abs=0.005)
    a, b = rng.beta(12, 88, 200_000), rng.beta(8, 92, 200_000)
    assert prob_greater(12, 88, 8, 92, "beta-binomial") == pytest.approx(float((a > b).mean()), abs=0.005)


def test_unknown_family_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="beta-binomial"):
        shrink_rates([1], [2], family="normal")
    assert set(FAMILIES) == {"gamma-poisson", "beta-binomial"}


def random_table(rng: np.random.Generator):
    """A random segment table: sizes, spends (some tiny), true rates and outcomes (many zeros)."""
    n = int(rng.integers(2, 30))
    spend = np.round(rng.lognormal(np.log(2000), 1.6, n), 2)
    spend[rng.random(n) < 0.15] = 0.0  # no spend: not ranked
    rate = rng.gamma(0.8, 1 / 800.0 / 0.8, n) * (rng.random(n) > 0.25)  # a quarter buy nothing real
    outcomes = rng.poisson(rate * spend).astype(float)
    vanity = rng.lognormal(np.log(0.01), 0.8, n)
    return spend, outcomes, vanity


def test_property_no_segment_with_too_few_outcomes_is_ever_top_by_value():
    from kpikit.analysis.vanity import rank_values

    rng = np.random.default_rng(16)
    flagged_top = flagged_bottom = 0
    for _ in range(600):
        spend, k, vanity = random_table(rng)
        ranked = spend > 0
        vr = rank_values(vanity, True, ranked)
        flags = honest_flags(vr, k, spend, ranked)
        top = flags == "bottom by vanity, top by value"
        bottom = flags == "top by vanity, bottom by value"
        assert (k[top] >= MIN_OUTCOMES).all() and (k[top] > 0).all()
        assert not (flags[~ranked] != "").any()  # nothing without spend is flagged
        # A flagged segment is told apart from the typical other segment (spend-weighted median).
        ok = np.flatnonzero(ranked)
        if bottom.any() or top.any():
            s = shrink_rates(np.where(ranked, k, np.nan), np.where(ranked, spend, 0.0))
            order = ok[np.lexsort((-s.estimate[ok], s.rank(ranked)[ok]))]
            for i in np.flatnonzero(bottom | top):
                others = order[order != i]
                cum = np.cumsum(spend[others])
                j = others[np.searchsorted(cum, cum[-1] / 2)]  # the spend-weighted median of the others
                hi, lo = (j, i) if bottom[i] else (i, j)  # the one with the higher rate first
                assert prob_greater(s.a[hi], s.b[hi], s.a[lo], s.b[lo]) >= MIN_PROBABILITY
        flagged_top += int(top.sum())
        flagged_bottom += int(bottom.sum())
    assert flagged_top > 20 and flagged_bottom > 20  # the rule still flags real inversions


def test_property_through_vanity_vs_value_on_random_models():
    from kpikit.analysis import vanity_vs_value
    from kpikit.config import ClientConfig
    from kpikit.model import ClientModel, conform

    rng = np.random.default_rng(1601)
    cfg = ClientConfig.from_dict({"client": "x", "currency": "EUR", "funnel": {"real_outcome": "won"}})
    for _ in range(30):
        spend, k, vanity = random_table(rng)
        n = len(spend)
        impressions = rng.integers(2_000, 200_000, n)
        clicks = np.minimum(np.rint(impressions * vanity), impressions)
        frame = pd.DataFrame({"date": pd.Timestamp("2024-01-01"), "platform": "meta",
                              "campaign": [f"Campaign {i}" for i in range(n)], "impressions": impressions,
                              "clicks": clicks, "cost": spend, "currency": "EUR",
                              "reported_leads": k * 3, "reported_outcomes": k})  # fmt: skip
        f = vanity_vs_value(ClientModel(spend=conform("spend", frame), config=cfg), vanity="ctr").frame
        top = f[f["flag"] == "bottom by vanity, top by value"]
        assert (top["won"] >= MIN_OUTCOMES).all()
        assert (f.loc[f["cost"] <= 0, "flag"] == "").all()


@pytest.mark.parametrize("family, meant", [("gamma_poisson", "gamma-poisson"), ("Beta-Binomial", "beta-binomial")])
def test_a_mistyped_family_is_an_option_error_that_says_what_was_meant(family, meant):
    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        shrink_rates([1], [2], family=family)
    with pytest.raises(ValueError, match=re.escape(f"did you mean {meant!r}?")):  # still a ValueError
        prob_greater(1, 2, 1, 2, family)
