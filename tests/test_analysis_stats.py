import math

import numpy as np
import pytest
from scipy.stats import binomtest, chi2

from kpikit.analysis.stats import (
    cost_per_outcome_interval,
    poisson_interval,
    safe_divide,
    small_sample,
    wilson_interval,
)


@pytest.mark.parametrize(("k", "n"), [(0, 1), (1, 1), (2, 5), (17, 400), (399, 400), (0, 50), (50, 50)])
def test_wilson_matches_scipy(k, n):
    lo, hi = wilson_interval(k, n)
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert lo == pytest.approx(ref.low, abs=1e-12)
    assert hi == pytest.approx(ref.high, abs=1e-12)


def test_wilson_vectorised_and_degenerate():
    lo, hi = wilson_interval(np.array([0, 3, 5, 2]), np.array([0, 10, 4, 4]))
    assert math.isnan(lo[0]) and math.isnan(hi[0])  # no trials
    assert math.isnan(lo[2]) and math.isnan(hi[2])  # more successes than trials: not a proportion
    assert 0 < lo[1] < 0.3 < hi[1] < 1
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(1, 2, confidence=1.5)


def test_poisson_interval_matches_chi2():
    for k in (1, 3, 10, 250):
        lo, hi = poisson_interval(k)
        assert lo == pytest.approx(chi2.ppf(0.025, 2 * k) / 2, rel=1e-10)
        assert hi == pytest.approx(chi2.ppf(0.975, 2 * k + 2) / 2, rel=1e-10)


def test_cost_interval_brackets_point_estimate_and_zero_is_missing():
    lo, hi = cost_per_outcome_interval(1200.0, 12)
    assert lo < 100.0 < hi
    assert lo == pytest.approx(1200.0 / (chi2.ppf(0.975, 26) / 2))
    assert all(math.isnan(x) for x in cost_per_outcome_interval(1200.0, 0))


def test_safe_divide_never_inf():
    out = safe_divide([1.0, 0.0, -1.0, 5.0], [0.0, 0.0, 0.0, 2.0])
    assert np.isnan(out[:3]).all() and out[3] == 2.5
    assert not np.isinf(out).any()


def test_small_sample():
    assert small_sample([0, 9, 10, float("nan")]).tolist() == [True, True, False, True]
