"""Weekly flow statistics for the forecast: week numbers, lag development and convolution.

Pure numpy, no model: :mod:`kpikit.analysis.forecast` feeds it arrays.

A *flow* is one funnel step (lead -> opportunity, opportunity -> won) seen as a development
triangle: every unit (a lead, an opportunity) belongs to the cohort of the week it started
in, and may convert ``k`` weeks later. Data observed before week ``T`` shows lag ``k`` only
for cohorts at least ``k + 1`` weeks old, so the chance of converting at lag ``k`` is

    q_k = conversions at lag k / units in cohorts old enough to show lag k

(the chain-ladder estimator). Young cohorts are not counted as failures: that is what
respects cohort maturity. ``rate = Σ q_k`` and the lag distribution is ``q / rate``.

Examples
--------
>>> import numpy as np
>>> start = np.array([0, 0, 0, 0, 1, 1, 1, 1])
>>> event = np.array([0, 1, NO_WEEK, NO_WEEK, 1, NO_WEEK, NO_WEEK, NO_WEEK])
>>> f = development(start, event, before=2, first_week=0)
>>> f.q.tolist()  # lag 0: 2 of 8 leads; lag 1: 1 of the 4 leads old enough to show it
[0.25, 0.25]
>>> round(f.rate, 2), f.pmf.tolist(), f.conversions
(0.5, [0.5, 0.5], 3)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["NO_WEEK", "week_index", "week_start", "development", "Flow", "exposure", "convolve_lags"]

#: Week number of "never happened" (later than any real week, so ``event < T`` is False).
NO_WEEK = 1 << 40
#: Lags observed in fewer cohort units than this share of all units are not estimated (too noisy).
MIN_AT_RISK_SHARE = 0.1


def week_index(dates) -> np.ndarray:
    """Monday-based week numbers (week 0 starts Monday 1969-12-29); missing dates give :data:`NO_WEEK`.

    Examples
    --------
    >>> import numpy as np
    >>> week_index(np.array(["2024-01-07", "2024-01-08", "NaT"], dtype="datetime64[D]")).tolist()
    [2818, 2819, 1099511627776]
    """
    d = np.asarray(dates).astype("datetime64[D]")
    days = d.astype(np.int64)
    return np.where(np.isnat(d), NO_WEEK, (days + 3) // 7).astype(np.int64)


def week_start(week) -> np.ndarray:
    """The Monday a week number starts on (``datetime64[D]``)."""
    return (np.asarray(week, dtype=np.int64) * 7 - 3).astype("datetime64[D]")


@dataclass(frozen=True)
class Flow:
    """One funnel step estimated from a development triangle.

    Attributes
    ----------
    q : ndarray
        Chance of converting at lag 0, 1, ... weeks (unconditional, per unit).
    units : int
        Units (cohort members) the estimate saw.
    conversions : int
        Conversions observed within the estimated lags.
    beyond : int
        Conversions observed at lags too long to estimate (left out: the rate is a lower bound).
    """

    q: np.ndarray
    units: int
    conversions: int
    beyond: int = 0

    @property
    def rate(self) -> float:
        """The share of units that ever convert (within the estimated lags)."""
        return float(self.q.sum())

    @property
    def pmf(self) -> np.ndarray:
        """The lag distribution in weeks (sums to 1; a point at lag 0 when nothing converted)."""
        r = self.rate
        if r > 0:
            return self.q / r
        out = np.zeros(max(len(self.q), 1))
        out[0] = 1.0
        return out

    @property
    def effective_units(self) -> float:
        """Units with the immature ones counted by the share of the lag they have had time for."""
        r = self.rate
        return self.conversions / r if r > 0 and self.conversions else float(self.units)

    def lag_quantile(self, share: float) -> float:
        """The lag (weeks) by which ``share`` of eventual conversions have happened."""
        cdf = np.cumsum(self.pmf)
        return float(np.searchsorted(cdf, share - 1e-12))


def development(start: np.ndarray, event: np.ndarray, *, before: int, first_week: int) -> Flow:
    """Estimate a flow from units starting in week ``start`` and converting in week ``event``.

    Only what was observable before week ``before`` is used: units with ``start < before``,
    conversions with ``event < before``. Conversions dated before their start count at lag 0.

    Parameters
    ----------
    start, event : ndarray of int
        Week numbers (:func:`week_index`); ``event`` is :data:`NO_WEEK` when it never happened.
    before : int
        The first week not observed (the forecast origin).
    first_week : int
        The first week of history.
    """
    start = np.asarray(start, dtype=np.int64)
    event = np.asarray(event, dtype=np.int64)
    keep = (start < before) & (start >= first_week)
    start, event = start[keep], event[keep]
    n_weeks = max(before - first_week, 1)
    cohort = np.bincount(start - first_week, minlength=n_weeks).astype("float64")
    # Units old enough to show lag k: cohorts up to week before-1-k.
    at_risk = np.cumsum(cohort)[::-1]  # at_risk[k] = units in cohorts w <= before-1-k
    total = float(cohort.sum())
    ok = at_risk >= max(MIN_AT_RISK_SHARE * total, 1.0)
    max_lag = int(np.flatnonzero(ok).max()) if ok.any() else 0
    seen = event < before
    lag = np.maximum(event[seen] - start[seen], 0)
    counts = np.bincount(lag, minlength=n_weeks).astype("float64")
    q = np.where(at_risk[: max_lag + 1] > 0, counts[: max_lag + 1] / np.maximum(at_risk[: max_lag + 1], 1.0), 0.0)
    return Flow(
        q=q,
        units=int(total),
        conversions=int(counts[: max_lag + 1].sum()),
        beyond=int(counts[max_lag + 1 :].sum()),
    )


def exposure(cohort_counts: np.ndarray, pmf: np.ndarray) -> float:
    """Units weighted by the share of the lag distribution each cohort has had time to show.

    ``cohort_counts`` are cohort sizes in week order, oldest first, the last one being the week
    just before the origin (it has shown lag 0 only).

    Examples
    --------
    >>> exposure([10, 10], [0.5, 0.5])  # the old cohort counts fully, the newest for half
    15.0
    """
    cohort_counts = np.asarray(cohort_counts, dtype="float64")
    n = len(cohort_counts)
    cdf = np.cumsum(pmf)
    age = np.arange(n)[::-1]  # the newest cohort has shown lag 0 only
    shown = cdf[np.minimum(age, len(cdf) - 1)]
    return float((cohort_counts * shown).sum())


def convolve_lags(x: np.ndarray, pmf: np.ndarray, horizon: int) -> np.ndarray:
    """Spread weekly inflows ``x[..., t]`` over later weeks with lag probabilities ``pmf``.

    Returns the first ``horizon`` weeks of the result, same leading shape as ``x``.

    Examples
    --------
    >>> import numpy as np
    >>> convolve_lags(np.array([10.0, 0.0, 0.0]), np.array([0.5, 0.5]), 3).tolist()
    [5.0, 5.0, 0.0]
    """
    x = np.asarray(x, dtype="float64")
    out = np.zeros((*x.shape[:-1], horizon))
    n = min(x.shape[-1], horizon)
    for k, w in enumerate(np.asarray(pmf, dtype="float64")[:horizon]):
        if w == 0.0 or k >= horizon:
            continue
        m = min(n, horizon - k)
        out[..., k : k + m] += w * x[..., :m]
    return out
