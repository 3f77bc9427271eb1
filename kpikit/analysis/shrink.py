"""Honest rankings for small B2B samples: empirical-Bayes partial pooling of outcome rates.

A campaign with 1 opportunity from EUR 300 does not cost "EUR 300 per opportunity"; next to
a campaign with 60 from EUR 40,000 it is *unknown*, and ranking it first on a raw ratio is
the noise the product warns against. Here every segment's rate is pulled towards its
parent's (account > platform > campaign > ad group) by as much as its own evidence is thin:

=====================  ==============================  =====================================
family                 data                            rate it estimates
=====================  ==============================  =====================================
``gamma-poisson``      outcomes from spend (exposure)  outcomes per unit of spend: the
                                                       inverse of cost per outcome
``beta-binomial``      outcomes out of trials          outcomes per click, or per lead
=====================  ==============================  =====================================

Each segment's prior is centred on its parent's rate *as known without the segment itself*
(the parent's own prior plus the segment's siblings: leave-one-out, so no outcome is counted
twice), widened by that centre's uncertainty and by how unevenly spend is spread over the
siblings. One strength per level (gamma shape or beta concentration, shared by the level's
segments) is fitted by marginal likelihood with a weakly-informative half-Cauchy prior
(scale 1) on the between-segment coefficient of variation, so three platforms never
"prove" that all segments are identical. Posteriors are conjugate (Gamma, Beta): the point
estimate is the posterior median, the interval the equal-tailed posterior interval, and a
cost per outcome is their inverse (the median and quantiles of ``1 / rate``).

:func:`honest_flags` is the ranking rule the vanity-vs-value view uses: no segment with no
outcome, or fewer than :data:`~kpikit.analysis.stats.MIN_OUTCOMES`, is ever "top by value",
and a segment is "bottom by value" only when it is credibly worse than the pool.

Examples
--------
>>> s = shrink_rates([1, 40, 20], [300.0, 30000.0, 30000.0])  # opportunities from spend
>>> [round(1 / r) for r in s.raw], [round(c) for c in s.cost_per()]
([300, 750, 1500], [886, 787, 1454])
>>> s.rank().tolist()  # one opportunity from EUR 300 does not make the best campaign: it is barely evidence
[2.0, 1.0, 3.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize_scalar
from scipy.special import betaincc, betaincinv, betaln, gammaincc, gammaincinv, gammaln

from kpikit.analysis.stats import MIN_OUTCOMES
from kpikit.core.measures import safe_divide
from kpikit.errors import OptionError

__all__ = [
    "FAMILIES",
    "Family",
    "ShrunkRates",
    "shrink_rates",
    "shrink_hierarchy",
    "prob_greater",
    "told_apart",
    "honest_flags",
    "MIN_PROBABILITY",
    "CV_SCALE",
]

#: Posterior probability a comparison needs before kpikit says one segment is better than another.
MIN_PROBABILITY = 0.9
#: Scale of the half-Cauchy prior on the coefficient of variation of rates between sibling segments.
CV_SCALE = 1.0
# Bounds of log(strength): a CV between about 0.1% (all alike) and 1,000% (nothing in common).
_LOG_BOUNDS = (math.log(1e-2), math.log(1e6))


@dataclass(frozen=True)
class Family:
    """A conjugate pair: prior from a centre and a strength, marginal likelihood, posterior, quantiles.

    A segment's prior has mean ``m`` and strength ``s``; ``extra`` widens it by the centre's own
    uncertainty (its squared coefficient of variation for gamma, ``var / (m (1 - m))`` for beta),
    so a child is never pulled harder than its parent is known. ``k`` outcomes are observed
    from ``n`` (spend for gamma-Poisson, trials for beta-binomial). ``centre`` turns a parent's
    prior ``(a0, b0)`` plus the siblings' outcomes and exposure into the child's centre and extra.
    """

    name: str
    prior: Callable[[float, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    loglik: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], float]
    update: Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    centre: Callable[..., tuple[np.ndarray, np.ndarray]]
    ppf: Callable[[float, np.ndarray, np.ndarray], np.ndarray]
    sf: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
    mean: Callable[[np.ndarray, np.ndarray], np.ndarray]
    cv: Callable[[float, float], float]  # between-segment coefficient of variation for (strength, mean)
    dlog_cv: Callable[[float], float]  # d log(CV) / d log(strength)


def _gp_prior(alpha: float, m: np.ndarray, extra: np.ndarray):
    # Variances add: CV^2 of the child around the parent's true rate, plus the centre's own CV^2.
    shape = 1.0 / (1.0 / alpha + extra)
    return shape, shape / m  # shape, rate


def _gp_loglik(a0, b0, k, e) -> float:
    # Negative binomial, the Poisson-gamma marginal (terms that do not depend on the prior left out).
    return float(np.sum(gammaln(k + a0) - gammaln(a0) + a0 * np.log(b0 / (b0 + e)) - k * np.log(b0 + e)))


def _gp_centre(alpha, a0p, b0p, k_sib, e_sib, spread, k, e):
    # Siblings' pooled rate varies around the parent's centre by Poisson noise *and* by their own
    # spread (1/alpha, weighted by how unevenly spend falls on them): discount them to the
    # equivalent Poisson exposure.
    m0 = (a0p + k_sib) / np.maximum(b0p + e_sib, 1e-300)
    f = 1.0 / (1.0 + spread * m0 * e_sib / alpha)
    a, b = a0p + f * k_sib, b0p + f * e_sib
    weak = (a <= 0.5) | (b <= 0)  # nothing known beside the segment: a vague prior near its own rate
    a = np.where(weak, 0.25, a)
    b = np.where(weak, 0.25 * e / (k + 0.5), b)
    return a / b, 1.0 / a


def _bb_prior(kappa: float, m: np.ndarray, extra: np.ndarray):
    inv = np.minimum(1.0 / (kappa + 1.0) + extra, 1.0 - 1e-9)
    conc = np.maximum(1.0 / inv - 1.0, 1e-6)
    return conc * m, conc * (1.0 - m)


def _bb_loglik(a0, b0, k, n) -> float:
    return float(np.sum(betaln(k + a0, n - k + b0) - betaln(a0, b0)))


def _bb_centre(kappa, a0p, b0p, k_sib, n_sib, spread, k, n):
    f = 1.0 / (1.0 + spread * n_sib / (kappa + 1.0))
    a, b = a0p + f * k_sib, b0p + f * (n_sib - k_sib)
    weak = a + b <= 1.0
    own = (k + 0.5) / (n + 1.0)
    a = np.where(weak, 0.5 * own, a)
    b = np.where(weak, 0.5 * (1.0 - own), b)
    return a / (a + b), 1.0 / (a + b + 1.0)


#: Families by name (registry: add one with ``FAMILIES[name] = Family(...)``).
FAMILIES: dict[str, Family] = {
    "gamma-poisson": Family(
        "gamma-poisson",
        _gp_prior,
        _gp_loglik,
        lambda a0, b0, k, e: (a0 + k, b0 + e),
        _gp_centre,
        lambda q, a, b: gammaincinv(a, q) / b,
        lambda x, a, b: gammaincc(a, x * b),
        lambda a, b: a / b,
        lambda s, m: 1.0 / math.sqrt(s),
        lambda s: -0.5,
    ),
    "beta-binomial": Family(
        "beta-binomial",
        _bb_prior,
        _bb_loglik,
        lambda a0, b0, k, n: (a0 + k, b0 + n - k),
        _bb_centre,
        lambda q, a, b: betaincinv(a, b, q),
        lambda x, a, b: betaincc(a, b, x),
        lambda a, b: a / (a + b),
        lambda s, m: math.sqrt((1.0 - m) / (m * (s + 1.0))),
        lambda s: -0.5 * s / (s + 1.0),
    ),
}


def _family(name: str) -> Family:
    try:
        return FAMILIES[name]
    except KeyError:
        raise OptionError("family", name, sorted(FAMILIES)) from None


def _fit_strength(fam: Family, k: np.ndarray, n: np.ndarray, prior_for: Callable, centre: float) -> float:
    """MAP strength: marginal likelihood times the half-Cauchy prior on the CV (in log-strength)."""

    def neg(u: float) -> float:
        s = math.exp(u)
        cv = fam.cv(s, centre)
        # log p(u) = log p_CV(cv) + log |d cv / d u|
        log_prior = -math.log1p((cv / CV_SCALE) ** 2) + math.log(cv) + math.log(abs(fam.dlog_cv(s)))
        a0, b0 = prior_for(s)
        return -(fam.loglik(a0, b0, k, n) + log_prior)

    res = minimize_scalar(neg, bounds=_LOG_BOUNDS, method="bounded", options={"xatol": 1e-4})
    return math.exp(float(res.x))


def _level(fam: Family, k, n, parent, a0p, b0p, *, centre=None, strength=None):
    """One level: each node's prior from its parent's prior and its siblings, the fitted strength.

    ``parent`` is each node's parent index, ``a0p``/``b0p`` each node's *parent's* prior
    parameters (0, 0 under the account: nothing is known above it). With ``centre`` (a prior
    mean per node, and no leave-one-out) the prior is fixed on it instead.

    Returns ``(strength, m, a0, b0)``: the level's strength, each node's centre and prior.
    """
    if centre is not None:
        m, extra = centre

        def prior_for(s):
            return fam.prior(s, m, extra)
    else:
        kp = np.bincount(parent, weights=k)[parent]
        np_ = np.bincount(parent, weights=n)[parent]
        n2p = np.bincount(parent, weights=n * n)[parent]
        k_sib, n_sib = kp - k, np_ - n
        with np.errstate(divide="ignore", invalid="ignore"):
            spread = np.where(n_sib > 0, (n2p - n * n) / np.where(n_sib > 0, n_sib, 1.0) ** 2, 0.0)

        def prior_for(s):
            m, extra = fam.centre(s, a0p, b0p, k_sib, n_sib, spread, k, n)
            return fam.prior(s, m, extra)

    kt, nt = float(k.sum()), float(n.sum())
    pooled = (kt if kt > 0 else 0.5) / nt
    if fam.name == "beta-binomial":
        pooled = min(pooled, 1.0 - 0.5 / nt)
    s = float(strength) if strength is not None else _fit_strength(fam, k, n, prior_for, pooled)
    a0, b0 = prior_for(s)
    return s, fam.mean(a0, b0), a0, b0


@dataclass(frozen=True)
class ShrunkRates:
    """Shrunk rates of one level of segments (arrays aligned with the input; NaN where not estimated).

    Attributes
    ----------
    family : str
        A key of :data:`FAMILIES`.
    outcomes, exposure, raw : ndarray
        Inputs and the raw rate ``outcomes / exposure``.
    prior_mean : ndarray
        The rate each segment is pulled towards: its parent's rate as known without the
        segment (the other segments', for one level).
    strength : float
        The fitted prior strength (gamma shape, beta concentration): roughly how many
        outcomes' worth of evidence the parent's rate lends each segment.
    a, b : ndarray
        Posterior parameters (gamma shape and rate, or beta alpha and beta).
    estimate, low, high : ndarray
        Posterior median and equal-tailed interval of the rate.
    confidence : float
    """

    family: str
    outcomes: np.ndarray
    exposure: np.ndarray
    raw: np.ndarray
    prior_mean: np.ndarray
    strength: float
    a: np.ndarray
    b: np.ndarray
    estimate: np.ndarray
    low: np.ndarray
    high: np.ndarray
    confidence: float

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean of the rate."""
        return FAMILIES[self.family].mean(self.a, self.b)

    @property
    def estimated(self) -> np.ndarray:
        """Segments with exposure (the others have no estimate)."""
        return ~np.isnan(self.estimate)

    def cost_per(self) -> np.ndarray:
        """Posterior median of the cost per outcome (``1 / rate``; gamma-Poisson)."""
        return safe_divide(1.0, self.estimate)

    def cost_per_interval(self) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed interval of the cost per outcome: ``1 / high`` to ``1 / low``."""
        return safe_divide(1.0, self.high), safe_divide(1.0, self.low)

    def prob_above(self, x) -> np.ndarray:
        """Posterior probability that each segment's rate is above ``x`` (a scalar or one value per segment)."""
        with np.errstate(invalid="ignore"):
            out = FAMILIES[self.family].sf(np.asarray(x, dtype="float64"), self.a, self.b)
        return np.where(self.estimated, out, np.nan)

    def prob_better_than_prior(self) -> np.ndarray:
        """Posterior probability that each segment beats the rate it is pulled towards."""
        return self.prob_above(self.prior_mean)

    def rank(self, valid=None) -> np.ndarray:
        """1 = highest shrunk rate; ties share; segments without an estimate (or outside ``valid``) are NaN."""
        ok = self.estimated if valid is None else self.estimated & np.asarray(valid, dtype=bool)
        r = pd.Series(np.where(ok, self.estimate, np.nan)).rank(ascending=False, method="min").to_numpy()
        return np.where(ok, r, np.nan)


def shrink_rates(
    outcomes,
    exposure,
    *,
    prior_mean=None,
    prior_extra=0.0,
    family: str = "gamma-poisson",
    confidence: float = 0.95,
    strength: float | None = None,
) -> ShrunkRates:
    """Partial pooling of one level of segments: each pulled towards the others (or a given rate).

    Parameters
    ----------
    outcomes, exposure : array-like
        Per segment: outcomes, and spend (``gamma-poisson``) or trials (``beta-binomial``).
        Segments with no exposure (or a missing value) get no estimate (NaN).
    prior_mean : float or array-like, optional
        A known rate to pull each segment towards. Default: the pooled rate of the *other*
        segments (leave-one-out: a segment's own outcomes are never counted twice).
    prior_extra : float or array-like
        With ``prior_mean``: its uncertainty (see :class:`Family`); 0 for a known rate.
    family : str
        A key of :data:`FAMILIES`.
    confidence : float
        Level of the posterior interval.
    strength : float, optional
        A fixed prior strength instead of the fitted one.

    Returns
    -------
    ShrunkRates

    Examples
    --------
    >>> s = shrink_rates([2, 30], [40, 1000], family="beta-binomial")  # opportunities out of leads
    >>> [round(float(r), 3) for r in s.raw], [round(float(r), 3) for r in s.estimate]
    ([0.05, 0.03], [0.034, 0.03])
    >>> bool(s.low[0] < s.estimate[0] < s.high[0])
    True
    """
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence!r}")
    fam = _family(family)
    k = np.asarray(outcomes, dtype="float64")
    n = np.asarray(exposure, dtype="float64")
    ok = (n > 0) & ~np.isnan(k) & (k >= 0)
    if family == "beta-binomial":
        ok &= k <= n
    raw = np.where(ok, safe_divide(k, n), np.nan)
    nan = np.full(len(k), np.nan)
    if not ok.any():
        return ShrunkRates(family, k, n, raw, nan, math.nan, nan, nan, nan, nan, nan, confidence)
    ko, no = k[ok], n[ok]
    zeros = np.zeros(len(ko))
    centre = None
    if prior_mean is not None:
        m = np.broadcast_to(np.asarray(prior_mean, dtype="float64"), k.shape)[ok]
        m = np.clip(m, 1e-12, 1.0 - 1e-12) if family == "beta-binomial" else np.maximum(m, 1e-300)
        centre = (m, np.broadcast_to(np.asarray(prior_extra, dtype="float64"), k.shape)[ok])
    parent = np.zeros(len(ko), dtype=np.int64)
    s, m, a0, b0 = _level(fam, ko, no, parent, zeros, zeros, centre=centre, strength=strength)
    return _posterior(fam, k, n, raw, ok, s, m, a0, b0, confidence)


def _posterior(fam: Family, k, n, raw, ok, s, m, a0, b0, confidence) -> ShrunkRates:
    nan = np.full(len(k), np.nan)
    a, b, mean = nan.copy(), nan.copy(), nan.copy()
    a[ok], b[ok] = fam.update(a0, b0, k[ok], n[ok])
    mean[ok] = m
    tail = (1.0 - confidence) / 2.0
    est, low, high = nan.copy(), nan.copy(), nan.copy()
    est[ok] = fam.ppf(0.5, a[ok], b[ok])
    low[ok] = fam.ppf(tail, a[ok], b[ok])
    high[ok] = fam.ppf(1.0 - tail, a[ok], b[ok])
    return ShrunkRates(fam.name, k, n, raw, mean, s, a, b, est, low, high, confidence)


def shrink_hierarchy(
    table: pd.DataFrame,
    levels: Sequence[str],
    outcome: str,
    exposure: str = "cost",
    *,
    family: str = "gamma-poisson",
    confidence: float = 0.95,
) -> pd.DataFrame:
    """Shrunk rates at every level of a hierarchy, each node pulled towards its parent.

    Parameters
    ----------
    table : DataFrame
        One row per leaf (e.g. :func:`~kpikit.analysis.segments.segment_table` by
        ``["platform", "campaign", "ad_group"]``) with the ``levels`` columns, ``outcome``
        and ``exposure``. Rows without exposure (organic, unmatched names) are left out:
        no spend, no rate.
    levels : sequence of str
        Columns from the top of the hierarchy down. The account (all rows) is the root.
    outcome, exposure : str
        Columns of outcomes and of spend (or trials for ``beta-binomial``).
    family : str
        A key of :data:`FAMILIES`.
    confidence : float
        Level of the posterior intervals.

    Returns
    -------
    DataFrame
        One row per node, top level first: ``level`` (the column of the node's depth), the
        ``levels`` columns (None below the node's depth), ``outcomes``, ``exposure``,
        ``raw``, ``prior_mean`` (the parent's rate without the node), ``estimate``
        (posterior median), ``low``, ``high``, ``prob_above_parent``, ``strength`` and the
        posterior ``a``, ``b``.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"campaign": ["A", "A", "B"], "ad_group": ["a1", "a2", "b1"],
    ...     "cost": [1000.0, 200.0, 3000.0], "opportunity": [5.0, 0.0, 4.0]})
    >>> h = shrink_hierarchy(t, ["campaign", "ad_group"], "opportunity")
    >>> h[["level", "campaign", "ad_group", "outcomes", "exposure"]]
          level campaign ad_group  outcomes  exposure
    0  campaign        A     None       5.0    1200.0
    1  campaign        B     None       4.0    3000.0
    2  ad_group        A       a1       5.0    1000.0
    3  ad_group        A       a2       0.0     200.0
    4  ad_group        B       b1       4.0    3000.0
    >>> bool((h["low"] < h["estimate"]).all() and (h["estimate"] < h["high"]).all())
    True
    """
    levels = list(levels)
    fam = _family(family)
    cols = ["level", *levels, "outcomes", "exposure", "raw", "prior_mean", "estimate", "low", "high"]
    cols += ["prob_above_parent", "strength", "a", "b"]
    k_all = table[outcome].to_numpy(dtype="float64", na_value=np.nan)
    e_all = table[exposure].to_numpy(dtype="float64", na_value=np.nan)
    use = (e_all > 0) & ~np.isnan(k_all)
    if family == "beta-binomial":
        use &= k_all <= e_all
    if not use.any() or not levels:
        return pd.DataFrame(columns=cols)
    k_leaf, e_leaf = k_all[use], e_all[use]
    labels = [table[c].to_numpy(dtype=object)[use] for c in levels]
    # Integer codes per level column; a node at depth d is a distinct row of the first d + 1 code columns.
    codes = np.column_stack([pd.factorize(v, sort=True)[0] for v in labels])
    leaf_parent = np.zeros(len(k_leaf), dtype=np.int64)  # each leaf's node at the previous depth
    leaf_a0 = leaf_b0 = np.zeros(len(k_leaf))  # that node's prior (nothing above the account)
    out: dict[str, list] = {c: [] for c in cols}
    for depth, level in enumerate(levels):
        nodes, inv = np.unique(codes[:, : depth + 1], axis=0, return_inverse=True)
        inv = inv.ravel()
        first = np.zeros(len(nodes), dtype=np.int64)
        first[inv[::-1]] = np.arange(len(inv))[::-1]  # one leaf of each node: its labels and parent
        k = np.bincount(inv, weights=k_leaf, minlength=len(nodes))
        e = np.bincount(inv, weights=e_leaf, minlength=len(nodes))
        s, m, a0, b0 = _level(fam, k, e, leaf_parent[first], leaf_a0[first], leaf_b0[first])
        r = _posterior(fam, k, e, k / e, np.ones(len(k), dtype=bool), s, m, a0, b0, confidence)
        leaf_parent, leaf_a0, leaf_b0 = inv, a0[inv], b0[inv]
        out["level"] += [level] * len(nodes)
        for j, c in enumerate(levels):
            out[c] += labels[j][first].tolist() if j <= depth else [None] * len(nodes)
        for c, v in (("outcomes", k), ("exposure", e), ("raw", r.raw), ("prior_mean", r.prior_mean),
                     ("estimate", r.estimate), ("low", r.low), ("high", r.high),
                     ("prob_above_parent", r.prob_better_than_prior()), ("a", r.a), ("b", r.b)):  # fmt: skip
            out[c] += v.tolist()
        out["strength"] += [s] * len(nodes)
    # Level columns stay object: None (above a node's depth) must not turn into NaN.
    frame = pd.DataFrame({c: pd.Series(out[c], dtype=object if c in levels else None) for c in cols})
    return frame


def prob_greater(a1, b1, a2, b2, family: str = "gamma-poisson") -> float:
    """Posterior probability that segment 1's rate is above segment 2's.

    Gamma posteriors have an exact answer (``G1 / (G1 + G2)`` is Beta-distributed);
    Beta posteriors are integrated numerically.

    Examples
    --------
    >>> round(prob_greater(11, 1000.0, 3, 900.0), 3)  # 10 outcomes from 1,000 vs 2 from 900 (+1 prior)
    0.982
    >>> round(prob_greater(5, 95, 5, 95, "beta-binomial"), 3)
    0.5
    """
    if family == "gamma-poisson":
        # X1 > X2  <=>  G1 / (G1 + G2) > b1 / (b1 + b2)  with G_i ~ Gamma(a_i, 1).
        return float(betaincc(a1, a2, b1 / (b1 + b2)))
    if family == "beta-binomial":
        from scipy import stats
        from scipy.integrate import quad  # only a handful of comparisons: integrate f1 * F2

        val, _ = quad(lambda x: stats.beta.pdf(x, a1, b1) * stats.beta.cdf(x, a2, b2), 0.0, 1.0, limit=200)
        return float(min(max(val, 0.0), 1.0))
    raise OptionError("family", family, sorted(FAMILIES))


def told_apart(probability: float, min_probability: float = MIN_PROBABILITY) -> bool:
    """Whether a posterior probability of "better" is decisive either way (``>= 0.9`` or ``<= 0.1``).

    Examples
    --------
    >>> told_apart(0.95), told_apart(0.72), told_apart(0.04)
    (True, False, True)
    """
    return bool(probability >= min_probability or probability <= 1.0 - min_probability)


def honest_flags(
    vanity_rank,
    outcomes,
    exposure,
    ranked,
    *,
    value_rank=None,
    min_outcomes: int = MIN_OUTCOMES,
    min_probability: float = MIN_PROBABILITY,
) -> np.ndarray:
    """Vanity-vs-value flags that never call a segment without enough outcomes "top by value".

    The rule, by thirds of the ``n`` ranked segments (as :func:`~kpikit.analysis.vanity.rank_agreement`):

    * value is ranked on the *shrunk* rate (outcomes per unit of spend, gamma-Poisson, each
      segment pulled towards the others), not on the raw ratio;
    * **top by value**: in the top third, at least ``min_outcomes`` outcomes, and told apart
      from the typical other segment, the spend-weighted median of the others (posterior
      probability of a higher rate of at least ``min_probability``);
    * **bottom by value**: in the bottom third and told apart from that typical segment (the
      same probability of a lower rate). A zero on a small spend is not evidence: no flag;
    * vanity thirds come from ``vanity_rank`` as given (delivery counts are large).

    Parameters
    ----------
    vanity_rank : array-like
        1 = best; NaN for segments not ranked.
    outcomes, exposure : array-like
        Per segment: outcome count (the deals behind a pipeline or revenue value) and spend.
    ranked : array-like of bool
        The segments ranked.
    value_rank : array-like, optional
        Ranks to take the value thirds from instead of the shrunk rate (money values such as
        pipeline per unit of spend); the credibility rules still use the counts.
    min_outcomes : int
        Fewest outcomes a "top by value" segment needs.
    min_probability : float
        Posterior probability that tells two segments apart.

    Returns
    -------
    ndarray of str
        ``'top by vanity, bottom by value'``, ``'bottom by vanity, top by value'`` or ``''``.

    Examples
    --------
    >>> # CTR ranks 1..6; opportunities and spend. The third has none, but from EUR 200 only: no flag.
    >>> honest_flags([1, 2, 3, 4, 5, 6], [1, 20, 0, 25, 30, 40], [9000, 9000, 200, 9000, 9000, 3000],
    ...              [True] * 6).tolist()
    ['top by vanity, bottom by value', '', '', '', 'bottom by vanity, top by value', 'bottom by vanity, top by value']
    >>> # The same, with the fifth on 6 outcomes from EUR 1,800: as cheap, but too few to be "top by value".
    >>> honest_flags([1, 2, 3, 4, 5, 6], [1, 20, 0, 25, 6, 40], [9000, 9000, 200, 9000, 1800, 3000],
    ...              [True] * 6).tolist()[4]
    ''
    """
    vr = np.asarray(vanity_rank, dtype="float64")
    k = np.asarray(outcomes, dtype="float64")
    e = np.asarray(exposure, dtype="float64")
    is_ranked = np.asarray(ranked, dtype=bool)
    ok = is_ranked & (e > 0) & ~np.isnan(k)
    flag = np.full(len(vr), "", dtype=object)
    n = int(is_ranked.sum())
    third = max(1, math.ceil(n / 3)) if n >= 2 else 0
    if not third or ok.sum() < 2:
        return flag.astype(str)
    s = shrink_rates(np.where(ok, k, np.nan), np.where(ok, e, 0.0))
    wr = s.rank(ok) if value_rank is None else np.where(ok, np.asarray(value_rank, dtype="float64"), np.nan)
    # Order by value rank (ties: the higher shrunk rate first). A flagged segment must be told apart
    # from the *typical* other segment: the spend-weighted median of the others, so that neither a
    # star campaign nor a EUR 10 test (whose estimate is all prior) sets the bar.
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((-s.estimate[idx], wr[idx]))]

    def typical(i: int) -> int:
        others = order[order != i]
        cum = np.cumsum(e[others])
        return int(others[np.searchsorted(cum, cum[-1] / 2.0)])

    top_w = np.zeros(len(vr), dtype=bool)
    bot_w = np.zeros(len(vr), dtype=bool)
    for i in order[:third]:
        if k[i] >= min_outcomes:
            j = typical(i)
            top_w[i] = prob_greater(s.a[i], s.b[i], s.a[j], s.b[j]) >= min_probability
    for i in order[len(order) - third :]:
        j = typical(i)
        bot_w[i] = prob_greater(s.a[j], s.b[j], s.a[i], s.b[i]) >= min_probability
    with np.errstate(invalid="ignore"):
        top_v, bot_v = vr <= third, vr > n - third
    flag[top_v & bot_w] = "top by vanity, bottom by value"
    flag[bot_v & top_w] = "bottom by vanity, top by value"
    return flag.astype(str)
