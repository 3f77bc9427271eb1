"""Small-sample honesty: interval estimates on rates and on cost per outcome.

Marketing segments are small. A 2-out-of-5 conversion rate is not "40%": it is
"somewhere between 12% and 77%". Every rate kpikit shows carries a Wilson
score interval, and every cost per outcome an interval derived from the exact
Poisson interval on the outcome count. Segments with fewer than
:data:`MIN_OUTCOMES` outcomes are flagged as too small to rank.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np
from scipy.special import gammaincinv

from kpikit.core.measures import safe_divide

__all__ = [
    "MIN_OUTCOMES",
    "MIN_MARKOV_CONVERSIONS",
    "wilson_interval",
    "poisson_interval",
    "cost_per_outcome_interval",
    "safe_divide",
    "small_sample",
]

#: Below this many outcomes a segment is flagged "too few outcomes to rank".
MIN_OUTCOMES = 10
#: Below this many converting paths the Markov model is flagged as unreliable.
MIN_MARKOV_CONVERSIONS = 30


def _z(confidence: float) -> float:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes, trials, confidence: float = 0.95):
    """Wilson score interval for a binomial proportion.

    Parameters
    ----------
    successes, trials : int or array-like
        Counts; vectorised over arrays. ``trials == 0`` gives ``(nan, nan)``.
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (low, high) : tuple of floats, or of numpy arrays for array input.

    Examples
    --------
    >>> low, high = wilson_interval(2, 5)
    >>> round(low, 4), round(high, 4)
    (0.1176, 0.7693)
    >>> wilson_interval(0, 0)
    (nan, nan)
    >>> lo, hi = wilson_interval([0, 10], [10, 10])
    >>> lo.round(4).tolist(), hi.round(4).tolist()
    ([0.0, 0.7225], [0.2775, 1.0])
    """
    scalar = np.ndim(successes) == 0 and np.ndim(trials) == 0
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    z = _z(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low = np.clip(centre - half, 0.0, 1.0)
        high = np.clip(centre + half, 0.0, 1.0)
    bad = ~(n > 0) | ~(k >= 0) | (k > n)
    # Exact bounds at the edges (the formula leaves 1e-17 noise there).
    low = np.where(bad, np.nan, np.where(k == 0, 0.0, low))
    high = np.where(bad, np.nan, np.where(k == n, 1.0, high))
    if scalar:
        return float(low), float(high)
    return low, high


def poisson_interval(count, confidence: float = 0.95):
    """Exact (Garwood) interval on a Poisson count; vectorised.

    Examples
    --------
    >>> lo, hi = poisson_interval(10)
    >>> round(lo, 3), round(hi, 3)
    (4.795, 18.39)
    >>> poisson_interval(0)[0]
    0.0
    """
    scalar = np.ndim(count) == 0
    k = np.asarray(count, dtype="float64")
    alpha = 1 - confidence
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, gammaincinv(np.maximum(k, 1e-300), alpha / 2), 0.0)
        high = gammaincinv(k + 1, 1 - alpha / 2)
    low = np.where(np.isnan(k), np.nan, low)
    if scalar:
        return float(low), float(high)
    return low, high


def cost_per_outcome_interval(cost, outcomes, confidence: float = 0.95):
    """Interval on cost per outcome: cost divided by the exact Poisson bounds of the count.

    Spend is known exactly; the uncertainty is in how many outcomes that spend
    "should" have produced. Zero outcomes gives ``(nan, nan)`` (no outcome yet:
    any cost per outcome down to ``cost / 3.7`` is plausible, with no upper bound).

    Examples
    --------
    >>> lo, hi = cost_per_outcome_interval(1000.0, 10)
    >>> round(lo, 2), round(hi, 2)
    (54.38, 208.53)
    >>> cost_per_outcome_interval(1000.0, 0)
    (nan, nan)
    """
    scalar = np.ndim(cost) == 0 and np.ndim(outcomes) == 0
    c = np.asarray(cost, dtype="float64")
    k = np.asarray(outcomes, dtype="float64")
    lo_k, hi_k = poisson_interval(k, confidence)
    low = safe_divide(c, hi_k)
    high = safe_divide(c, lo_k)
    low = np.where(k > 0, low, np.nan)
    high = np.where(k > 0, high, np.nan)
    if scalar:
        return float(low), float(high)
    return low, high


def small_sample(outcomes, minimum: int = MIN_OUTCOMES):
    """True where there are too few outcomes to rank or compare a segment.

    Examples
    --------
    >>> small_sample([0, 9, 10]).tolist()
    [True, True, False]
    """
    k = np.asarray(outcomes, dtype="float64")
    return ~(k >= minimum)
