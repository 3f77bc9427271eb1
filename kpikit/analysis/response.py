"""Response curves: how weekly outcomes answer weekly spend, with diminishing returns.

Each segment's (platform's, campaign's) weekly ``(spend, outcome)`` points are fitted to

    outcome = a · (1 − exp(−spend / b))

``a`` is the ceiling of weekly outcomes and ``b`` the weekly spend at which about 63 % of it
is reached. The uncertainty comes from refitting on weeks resampled with replacement
(bootstrap): :data:`BAND` gives the quantiles of those refits that a prediction's band shows.
With fewer than :data:`MIN_WEEKS` weeks (or fewer than three weeks with an outcome) no curve
can be told apart from a line: the fit is then *linear* (the observed cost per outcome,
bootstrapped the same way) and says so in :attr:`ResponseCurve.method`.

A weekly curve needs weekly (or daily) spend. Rows that each cover more than
:data:`WEEK_DAYS` days (a monthly or quarterly export of totals) have no weekly shape:
:func:`summary_segments` finds the segments made of such rows, so a caller can leave them out
instead of reading a month's spend as one week's.

The workshop's budget explorer shows these curves; a forecast can predict from them too.

Examples
--------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(3)
>>> spend = rng.uniform(500, 6_000, 40)
>>> weekly = pd.DataFrame({"platform": "search", "week": range(40), "cost": spend,
...                        "opportunity": 60 * (1 - np.exp(-spend / 3_000)) + rng.normal(0, 0.5, 40)})
>>> curve = fit_response_curves(weekly, "opportunity", n_boot=50)["search"]
>>> curve.method, round(curve.a), round(curve.b, -2)
('saturating', 60, 3000.0)
>>> round(float(curve.predict(3_000.0)), 1)  # 60 · (1 − 1/e) = 37.9
37.8
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpikit.core.measures import safe_divide
from kpikit.errors import KpikitError

__all__ = ["ResponseCurve", "fit_response_curves", "summary_segments", "period_words", "MIN_WEEKS", "BAND", "WEEK_DAYS"]

#: Fewer weeks with spend than this: the curve is linear (cost per outcome held constant).
MIN_WEEKS = 6
#: Quantiles of the bootstrap predictions a band shows (a 90 % band).
BAND = (0.05, 0.95)
#: A spend row covering more days than this is a summary (monthly, quarterly totals), not a week.
WEEK_DAYS = 7


def summary_segments(spend: pd.DataFrame, by: str = "platform") -> dict[str, int]:
    """Segments whose spend rows cover more than a week: segment -> the longest row, in days.

    A row covers ``date`` .. ``date_end`` (``date`` alone when ``date_end`` is empty).

    Examples
    --------
    >>> spend = pd.DataFrame({"platform": ["meta", "google_ads"],
    ...     "date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
    ...     "date_end": pd.to_datetime(["2026-01-31", None])})
    >>> summary_segments(spend)
    {'meta': 31}
    """
    if not len(spend) or by not in spend:
        return {}
    start = spend["date"]
    end = spend["date_end"].fillna(start) if "date_end" in spend else start
    days = (end - start).dt.days + 1
    longest = days.groupby(spend[by].astype("str"), observed=True).max()
    return {str(k): int(v) for k, v in longest.items() if v > WEEK_DAYS}


def period_words(days: int) -> str:
    """How a consultant names a row of ``days`` days: ``"monthly"``, ``"quarterly"``, ...

    Examples
    --------
    >>> [period_words(d) for d in (31, 91, 181, 14)]
    ['monthly', 'quarterly', 'half-yearly', '14-day']
    """
    for limit, words in ((31, "monthly"), (92, "quarterly"), (184, "half-yearly"), (366, "yearly")):
        if 28 <= days <= limit:
            return words
    return f"{days}-day"


def _saturating(x, a, b):
    return a * (1.0 - np.exp(-np.asarray(x, dtype="float64") / b))


@dataclass(frozen=True)
class ResponseCurve:
    """``outcome = a · (1 − exp(−spend / b))`` fitted to one segment's weekly history.

    Attributes
    ----------
    platform : str
        The segment (a platform, or a campaign when fitted per campaign).
    outcome : str
        The outcome column that was fitted.
    a, b : float
        The fitted ceiling and scale (``b`` is ``inf`` for a linear curve, whose ``a`` is
        outcomes per unit of spend).
    draws : ndarray
        Bootstrap refits, one row ``(a, b)`` each: they carry the uncertainty.
    weeks : DataFrame
        The fitted points: ``week, cost, outcome``.
    method : str
        ``"saturating"``, or ``"linear"`` when the history is too short for a curve.
    """

    platform: str
    outcome: str
    a: float
    b: float
    draws: np.ndarray
    weeks: pd.DataFrame
    method: str = "saturating"

    @property
    def max_observed(self) -> float:
        """The highest weekly spend in the history (beyond it a prediction extrapolates)."""
        return float(self.weeks["cost"].max()) if len(self.weeks) else 0.0

    @property
    def mean_spend(self) -> float:
        """The mean weekly spend: the current plan."""
        return float(self.weeks["cost"].mean()) if len(self.weeks) else 0.0

    def predict(self, spend) -> np.ndarray:
        """Point prediction of weekly outcomes at weekly ``spend``."""
        if self.method == "linear":
            return self.a * np.asarray(spend, dtype="float64")
        return _saturating(spend, self.a, self.b)

    def predict_draws(self, spend) -> np.ndarray:
        """Predictions under every bootstrap draw: shape ``(n_draws, len(spend))``."""
        x = np.atleast_1d(np.asarray(spend, dtype="float64"))
        a = self.draws[:, :1]
        if self.method == "linear":
            return a * x[None, :]
        return a * (1.0 - np.exp(-x[None, :] / self.draws[:, 1:2]))


def _profile_fit(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least squares over a grid of ``b`` with ``a`` solved exactly; vectorised over rows.

    ``x``, ``y`` are ``(n_fits, n_weeks)``; returns the best ``a`` and ``b`` per fit.
    """
    f = 1.0 - np.exp(-x[:, None, :] / grid[None, :, None])  # fits × grid × weeks
    ff = (f * f).sum(axis=2)
    fy = (f * y[:, None, :]).sum(axis=2)
    a = np.where(ff > 0, fy / np.where(ff > 0, ff, 1.0), 0.0)
    sse = (y * y).sum(axis=1)[:, None] - 2 * a * fy + a * a * ff
    best = sse.argmin(axis=1)
    rows = np.arange(len(x))
    return np.maximum(a[rows, best], 0.0), grid[best]


def _fit_point(x: np.ndarray, y: np.ndarray, grid: np.ndarray) -> tuple[float, float]:
    """Grid start, then scipy's least squares to polish ``(a, b)`` within the grid's range."""
    from scipy.optimize import curve_fit  # scipy.optimize costs ~0.3 s to import: only when a curve is fitted

    a0, b0 = _profile_fit(x[None, :], y[None, :], grid)
    try:
        (a, b), _ = curve_fit(
            _saturating, x, y, p0=(max(a0[0], 1e-9), b0[0]), bounds=([0.0, grid[0]], [np.inf, grid[-1]]), maxfev=500
        )
        return float(a), float(b)
    except (RuntimeError, ValueError):
        return float(a0[0]), float(b0[0])


def fit_response_curves(
    weekly: pd.DataFrame, outcome: str, *, by: str = "platform", n_boot: int = 200, seed: int = 0
) -> dict[str, ResponseCurve]:
    """Fit a diminishing-returns curve per segment on weekly history.

    Weeks without spend carry no information on the curve and are left out. ``b`` is searched
    between 1/20 and 50 times the highest observed week (profiled least squares on a grid,
    then polished with :func:`scipy.optimize.curve_fit`). ``n_boot`` refits on weeks resampled
    with replacement (profiled, vectorised) give :attr:`ResponseCurve.draws`.

    Parameters
    ----------
    weekly : DataFrame
        Rows with the segment column ``by``, ``week``, ``cost`` and ``outcome``; rows of one
        segment and week are summed (any finer split, e.g. audiences, is fine).
    outcome : str
        The outcome column to fit.
    by : str
        The segment column: one curve per value.
    n_boot : int
        Bootstrap refits per segment.
    seed : int
        Seed of the resampling (the same seed gives the same draws).

    Returns
    -------
    dict of str to ResponseCurve
        Segment -> curve, segments in sorted order.

    Raises
    ------
    KpikitError
        when ``weekly`` lacks one of the columns named.
    """
    missing = [c for c in (by, "week", "cost", outcome) if c not in weekly.columns]
    if missing:
        raise KpikitError(
            f"cannot fit response curves without the column(s) {missing}",
            expected=f"columns {[by, 'week', 'cost', outcome]}",
            found=repr(list(weekly.columns)),
        )
    weekly = weekly.groupby([by, "week"], observed=True)[["cost", outcome]].sum().reset_index()
    weekly = weekly[weekly["cost"] > 0]
    rng = np.random.default_rng(seed)
    curves: dict[str, ResponseCurve] = {}
    for segment, w in weekly.groupby(by, sort=True, observed=True):
        name = str(segment)
        w = w.rename(columns={outcome: "outcome"})[["week", "cost", "outcome"]].reset_index(drop=True)
        x, y = w["cost"].to_numpy(), w["outcome"].to_numpy()
        idx = rng.integers(0, len(w), size=(n_boot, len(w)))
        if len(w) < MIN_WEEKS or (y > 0).sum() < 3:
            rate = float(safe_divide(y.sum(), x.sum()))
            boot = y[idx].sum(axis=1) / np.maximum(x[idx].sum(axis=1), 1e-12)
            draws = np.column_stack([boot, np.full(n_boot, np.inf)])
            curves[name] = ResponseCurve(name, outcome, rate, math.inf, draws, w, "linear")
            continue
        grid = np.geomspace(x.max() / 20.0, x.max() * 50.0, 120)
        a, b = _fit_point(x, y, grid)
        ba, bb = _profile_fit(x[idx], y[idx], grid)
        curves[name] = ResponseCurve(name, outcome, a, b, np.column_stack([ba, bb]), w)
    return curves
