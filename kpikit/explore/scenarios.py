"""Scenario functions: one small aggregation of a :class:`Cube` per interaction.

Pure pandas/numpy, no widgets and no charts: each function takes the cube and
the control values and returns a frozen result with ``numbers`` (the headline
figures a widget shows), ``to_frame()`` and ``to_dict()``. Tests check the
explorers against these functions, and these functions against the engine.

Examples
--------
>>> from kpikit.samples import synthetic_model
>>> from kpikit.explore.precompute import precompute
>>> from kpikit.explore.scenarios import targeting_scenario
>>> cube = precompute(synthetic_model(2_000, 6_000, seed=1))
>>> everyone = targeting_scenario(cube)
>>> everyone.after == everyone.before
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kpikit.errors import KpikitError
from kpikit.explore.precompute import OUTCOME_COLUMNS, OUTCOME_LABELS, OUTCOME_SINGULAR, VALUE_COLUMNS, Cube

__all__ = [
    "METRICS",
    "VANITY_METRICS",
    "ROLE_KPIS",
    "summarise",
    "targeting_scenario",
    "window_options",
    "TargetingResult",
    "ResponseCurve",
    "fit_response_curves",
    "budget_scenario",
    "BudgetResult",
    "outcome_ranking",
    "RankingResult",
    "incentive_scenario",
    "IncentiveResult",
    "vanity_cost_scenario",
    "VanityCostResult",
    "attribution_scenario",
    "attribution_tables",
    "AttributionResult",
]


def _div(a, b):
    """a / b, NaN where b is 0; scalars give a float, arrays an array."""
    if np.ndim(a) == 0 and np.ndim(b) == 0:
        return float(a) / float(b) if b else math.nan
    a, b = np.asarray(a, dtype="float64"), np.asarray(b, dtype="float64")
    return np.divide(a, b, out=np.full(np.broadcast_shapes(a.shape, b.shape), np.nan), where=b != 0)


def _json(v: Any) -> Any:
    if isinstance(v, dict):
        return {str(k): _json(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json(x) for x in v]
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


@dataclass(frozen=True)
class Metric:
    """A headline figure: ``kind`` drives formatting (pct, count, money)."""

    key: str
    label: str
    kind: str
    compute: Callable[[Mapping[str, float]], float]
    higher_is_better: bool = True


def _m(key, label, kind, fn, higher=True) -> Metric:
    return Metric(key, label, kind, fn, higher)


# Registry of every headline metric an explorer can show, computed from summed totals.
METRICS: dict[str, Metric] = {
    m.key: m
    for m in (
        _m("ctr", "CTR", "pct", lambda t: _div(t["clicks"], t["impressions"])),
        _m("impressions", "reach (impressions)", "count", lambda t: t["impressions"]),
        _m("clicks", "clicks", "count", lambda t: t["clicks"]),
        _m("engagements", "engagements (likes, shares)", "count", lambda t: t["engagements"]),
        _m("cost", "cost", "money", lambda t: t["cost"], False),
        _m("cpc", "cost per click", "money", lambda t: _div(t["cost"], t["clicks"]), False),
        _m("pipeline", "pipeline", "money", lambda t: t["pipeline"]),
        *(_m(o, OUTCOME_LABELS[o], "count", (lambda t, o=o: t[o])) for o in OUTCOME_COLUMNS),
        *(
            _m(
                f"cost_per_{o}",
                f"cost per {OUTCOME_SINGULAR[o]}",
                "money",
                (lambda t, o=o: _div(t["cost"], t[o])),
                False,
            )
            for o in OUTCOME_COLUMNS
        ),
    )
}

# Vanity KPIs a campaign can be ranked on (the ones roles get paid on).
VANITY_METRICS: tuple[str, ...] = ("ctr", "clicks", "impressions", "engagements", "cpc")


def summarise(totals: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
    """Compute the named :data:`METRICS` from summed value columns.

    Examples
    --------
    >>> summarise({"impressions": 1000, "clicks": 25, "cost": 50.0, "opportunity": 2}, ["ctr", "cost_per_opportunity"])
    {'ctr': 0.025, 'cost_per_opportunity': 25.0}
    """
    return {k: float(METRICS[k].compute(totals)) for k in keys}


def _totals(frame: pd.DataFrame) -> dict[str, float]:
    s = frame[list(VALUE_COLUMNS)].sum()
    return {c: float(s[c]) for c in VALUE_COLUMNS}


# ---------------------------------------------------------------- targeting


@dataclass(frozen=True)
class TargetingResult:
    """Before (every paid audience) vs after (the narrowed selection).

    ``keep`` flags each row of ``cube.audiences``; ``before``/``after`` hold
    the :attr:`metrics` values.
    """

    controls: dict[str, Any]
    keep: np.ndarray
    metrics: tuple[str, ...]
    before: dict[str, float]
    after: dict[str, float]
    currency: str
    cube: Any = None

    #: audience names listed in ``numbers`` (the count is always given)
    MAX_LISTED: ClassVar[int] = 50

    @property
    def numbers(self) -> dict[str, Any]:
        change = {k: _div(self.after[k] - self.before[k], self.before[k]) for k in self.metrics}
        kept = self.kept
        return {
            "before": self.before,
            "after": self.after,
            "change": change,
            "audiences_kept_count": len(kept),
            "audiences_kept": kept[: self.MAX_LISTED],
        }

    @property
    def kept(self) -> list[str]:
        arr = self.cube.audience_arrays()
        return arr.names[self.keep].tolist()

    @property
    def segments(self) -> pd.DataFrame:
        """Every audience with its totals, CTR and ``kept``."""
        arr = self.cube.audience_arrays()
        return self.cube.audiences.assign(ctr=arr.ctr, kept=self.keep)

    def to_frame(self) -> pd.DataFrame:
        rows = [
            {
                "metric": METRICS[k].label,
                "all audiences": self.before[k],
                "narrowed": self.after[k],
                "change": _div(self.after[k] - self.before[k], self.before[k]),
            }
            for k in self.metrics
        ]
        return pd.DataFrame(rows)

    def to_dict(self) -> dict[str, Any]:
        return _json({"controls": self.controls, **self.numbers})


def window_options(cube: Cube) -> list[tuple[str, float]]:
    """Choices for "only audiences clicked in the last N days", widest first (0 = all).

    Examples
    --------
    >>> import math, pandas as pd
    >>> from kpikit.explore.precompute import Cube
    >>> aud = pd.DataFrame({"audience": ["a", "b", "c"], "window_days": [math.inf, 30.0, 7.0]})
    >>> window_options(Cube(pd.DataFrame(), aud, "EUR"))
    [('all audiences', 0.0), ('≤ 30 days', 30.0), ('≤ 7 days', 7.0)]
    """
    windows = sorted({w for w in cube.audiences["window_days"] if math.isfinite(w)}, reverse=True)
    return [("all audiences", 0.0)] + [(f"≤ {w:g} days", float(w)) for w in windows]


def targeting_scenario(
    cube: Cube,
    *,
    clicked_within: float | None = None,
    top_k: int | None = None,
    exclude: Iterable[str] = (),
) -> TargetingResult:
    """Narrow the audience and compare with every paid audience.

    Selection, in order: keep audiences whose retargeting window is at most
    ``clicked_within`` days (prospecting audiences have an infinite window,
    so any window drops them); drop ``exclude``; keep the ``top_k`` of what is
    left by CTR (ties: more impressions first, then name).

    Parameters
    ----------
    cube : Cube
    clicked_within : float, optional
        Days; ``None`` or 0 keeps every audience.
    top_k : int, optional
        ``None`` or 0 keeps all.
    exclude : iterable of str
        Audience names to leave out.

    Returns
    -------
    TargetingResult

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> cube = precompute(synthetic_model(2_000, 6_000, seed=1))
    >>> best = targeting_scenario(cube, top_k=1)
    >>> best.after["ctr"] >= best.before["ctr"]
    True
    """
    arr = cube.audience_arrays()
    exclude = set(exclude)
    keep = np.ones(len(arr.names), dtype=bool)
    if clicked_within:
        keep &= arr.window <= float(clicked_within)
    if exclude:
        keep &= ~np.isin(arr.names, list(exclude))
    if top_k:
        order = arr.ctr_order[keep[arr.ctr_order]]
        top = np.zeros(len(arr.names), dtype=bool)
        top[order[: int(top_k)]] = True
        keep &= top
    metrics = ["ctr", "impressions", "clicks", "lead", "opportunity", "cost", "cost_per_opportunity"]
    if cube.real_outcome not in ("lead", "opportunity"):
        metrics += [cube.real_outcome, f"cost_per_{cube.real_outcome}"]
    before = summarise(arr.total(), metrics)
    after = summarise(arr.total(keep), metrics)
    controls = {"clicked_within": clicked_within or None, "top_k": top_k or 0, "exclude": sorted(exclude)}
    return TargetingResult(controls, keep, tuple(metrics), before, after, cube.currency, cube)


# ------------------------------------------------------------------- budget


def _saturating(x, a, b):
    return a * (1.0 - np.exp(-np.asarray(x, dtype="float64") / b))


@dataclass(frozen=True)
class ResponseCurve:
    """``outcome = a · (1 − exp(−spend / b))`` fitted to one platform's weekly history.

    ``draws`` are bootstrap refits (rows ``a, b``) that carry the uncertainty;
    ``method`` is ``"saturating"``, or ``"linear"`` (cost per outcome held
    constant) when the history is too short to fit a curve.
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
        return float(self.weeks["cost"].max()) if len(self.weeks) else 0.0

    @property
    def mean_spend(self) -> float:
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


MIN_WEEKS = 6
BAND = (0.05, 0.95)


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
    from scipy.optimize import curve_fit

    a0, b0 = _profile_fit(x[None, :], y[None, :], grid)
    try:
        (a, b), _ = curve_fit(
            _saturating, x, y, p0=(max(a0[0], 1e-9), b0[0]), bounds=([0.0, grid[0]], [np.inf, grid[-1]]), maxfev=500
        )
        return float(a), float(b)
    except (RuntimeError, ValueError):
        return float(a0[0]), float(b0[0])


def fit_response_curves(
    cube: Cube, outcome: str | None = None, *, by: str = "platform", n_boot: int = 200, seed: int = 0
) -> dict[str, ResponseCurve]:
    """Fit a diminishing-returns curve per platform (or per campaign: ``by="campaign"``) on weekly history.

    Each platform's (campaign's) weekly ``(cost, outcome)`` points (weeks with spend) are
    fitted by least squares to ``a · (1 − exp(−spend / b))``: ``a`` is the
    ceiling of weekly outcomes, ``b`` the spend at which ~63 % of it is
    reached (searched between 1/20 and 50 times the highest observed week,
    then polished with :func:`scipy.optimize.curve_fit`). Uncertainty:
    ``n_boot`` refits on weeks resampled with replacement (profiled least
    squares, vectorised); the explorer shows the 5–95 % band of their
    predictions. With fewer than six weeks with spend and outcomes the curve
    is *linear* (the observed cost per outcome, bootstrapped the same way) and
    says so.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> curves = fit_response_curves(precompute(synthetic_model(2_000, 6_000, seed=1)), "lead", n_boot=20)
    >>> {c.method for c in curves.values()} <= {"linear", "saturating"}
    True
    """
    outcome = outcome or cube.real_outcome
    if outcome not in OUTCOME_COLUMNS:
        raise KpikitError(
            f"unknown outcome {outcome!r}", expected=f"one of {list(OUTCOME_COLUMNS)}", found=repr(outcome)
        )
    if by not in ("platform", "campaign"):
        raise KpikitError("budget curves are fitted per platform or per campaign", found=repr(by), fix="by='campaign'")
    weekly = cube.paid.groupby([by, "week"], observed=True)[["cost", outcome]].sum().reset_index()
    weekly = weekly[weekly["cost"] > 0]
    rng = np.random.default_rng(seed)
    curves: dict[str, ResponseCurve] = {}
    for platform, w in weekly.groupby(by, sort=True, observed=True):
        w = w.rename(columns={outcome: "outcome"})[["week", "cost", "outcome"]].reset_index(drop=True)
        x, y = w["cost"].to_numpy(), w["outcome"].to_numpy()
        idx = rng.integers(0, len(w), size=(n_boot, len(w)))
        if len(w) < MIN_WEEKS or (y > 0).sum() < 3:
            rate = _div(y.sum(), x.sum())
            boot = y[idx].sum(axis=1) / np.maximum(x[idx].sum(axis=1), 1e-12)
            draws = np.column_stack([boot, np.full(n_boot, np.inf)])
            curves[str(platform)] = ResponseCurve(str(platform), outcome, rate, math.inf, draws, w, "linear")
            continue
        grid = np.geomspace(x.max() / 20.0, x.max() * 50.0, 120)
        a, b = _fit_point(x, y, grid)
        ba, bb = _profile_fit(x[idx], y[idx], grid)
        curves[str(platform)] = ResponseCurve(str(platform), outcome, a, b, np.column_stack([ba, bb]), w)
    return curves


# Scenario spend beyond the highest observed week: > 1× is extrapolation (note),
# > FAR_BEYOND× is far beyond anything the client has tried (warning on screen).
FAR_BEYOND = 1.5


@dataclass(frozen=True)
class BudgetResult:
    """Weekly spend per platform now vs in the scenario, with predicted outcomes and a 90 % band."""

    controls: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    outcome: str
    currency: str
    totals: dict[str, float]
    warnings: tuple[str, ...]

    @property
    def numbers(self) -> dict[str, Any]:
        return {**self.totals, "warnings": list(self.warnings)}

    @cached_property
    def platforms(self) -> pd.DataFrame:
        """One row per platform: spend now / scenario, predictions, band, ``range`` (observed, beyond, far)."""
        return pd.DataFrame(list(self.rows))

    def to_frame(self) -> pd.DataFrame:
        return self.platforms.copy()

    def to_dict(self) -> dict[str, Any]:
        return _json({"controls": self.controls, **self.numbers, "platforms": list(self.rows)})


def budget_scenario(curves: Mapping[str, ResponseCurve], spend: Mapping[str, float]) -> BudgetResult:
    """Predict weekly outcomes when weekly spend per platform is ``spend``.

    Platforms missing from ``spend`` keep their observed mean weekly spend.
    The current plan is the observed mean weekly spend. A platform above its
    highest observed week is flagged; above :data:`FAR_BEYOND` times that, a
    warning says the prediction is an extrapolation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> w = pd.DataFrame({"week": range(3), "cost": [100.0, 200.0, 300.0], "outcome": [1.0, 2.0, 3.0]})
    >>> c = ResponseCurve("search", "lead", 0.01, np.inf, np.array([[0.01, np.inf]] * 5), w, "linear")
    >>> r = budget_scenario({"search": c}, {"search": 600.0})
    >>> r.totals["outcome_scenario"], r.warnings[0][:40]
    (6.0, 'search: 600 a week is 2.0× the highest w')
    """
    rows = []
    draws_now, draws_new = 0.0, 0.0
    warnings = []
    for name, c in curves.items():
        now = c.mean_spend
        new = float(spend.get(name, now))
        d_now, d_new = c.predict_draws([now])[:, 0], c.predict_draws([new])[:, 0]
        draws_now = draws_now + d_now
        draws_new = draws_new + d_new
        ratio = _div(new, c.max_observed)
        level = "far" if ratio > FAR_BEYOND else "beyond" if ratio > 1.0 else "observed"
        if level == "far":
            warnings.append(
                f"{name}: {new:,.0f} a week is {ratio:.1f}× the highest week ever observed "
                f"({c.max_observed:,.0f}); this prediction is an extrapolation, not evidence"
            )
        elif level == "beyond":
            warnings.append(f"{name}: above the highest observed week ({c.max_observed:,.0f}); treat with care")
        if c.method == "linear":
            warnings.append(f"{name}: too little history to fit diminishing returns; cost per outcome held constant")
        rows.append(
            {
                "platform": name,
                "spend_now": now,
                "spend_scenario": new,
                "max_observed": c.max_observed,
                "spend_ratio_to_max": ratio,
                "outcome_now": float(c.predict(now)),
                "outcome_scenario": float(c.predict(new)),
                "outcome_low": float(np.quantile(d_new, BAND[0])),
                "outcome_high": float(np.quantile(d_new, BAND[1])),
                "range": level,
                "method": c.method,
            }
        )
    outcome = next(iter(curves.values())).outcome if curves else ""
    currency = ""
    tot = {
        "spend_now": float(sum(r["spend_now"] for r in rows)),
        "spend_scenario": float(sum(r["spend_scenario"] for r in rows)),
        "outcome_now": float(sum(r["outcome_now"] for r in rows)),
        "outcome_scenario": float(sum(r["outcome_scenario"] for r in rows)),
        "outcome_low": float(np.quantile(draws_new, BAND[0])) if rows else 0.0,
        "outcome_high": float(np.quantile(draws_new, BAND[1])) if rows else 0.0,
    }
    tot["cost_per_outcome_now"] = _div(tot["spend_now"], tot["outcome_now"])
    tot["cost_per_outcome_scenario"] = _div(tot["spend_scenario"], tot["outcome_scenario"])
    controls = {"spend": {k: float(spend.get(k, curves[k].mean_spend)) for k in curves}}
    return BudgetResult(controls, tuple(rows), outcome, currency, tot, tuple(warnings))


# ---------------------------------------------------------- outcome switch


@dataclass(frozen=True)
class RankingResult:
    """Campaigns ranked by a vanity KPI and by cost per real outcome, with the quadrant."""

    controls: dict[str, Any]
    campaigns: pd.DataFrame
    outcome: str
    vanity: str
    currency: str
    numbers: dict[str, Any]

    def to_frame(self) -> pd.DataFrame:
        return self.campaigns.copy()

    def to_dict(self) -> dict[str, Any]:
        cols = ["campaign", "vanity_value", "outcome", "cost_per_outcome", "vanity_rank", "value_rank", "quadrant"]
        return _json(
            {"controls": self.controls, **self.numbers, "campaigns": self.campaigns[cols].to_dict(orient="records")}
        )


QUADRANTS = ("both", "vanity only", "value only", "neither")


def _min_rank(key: np.ndarray) -> np.ndarray:
    """1-based ranks, ties share the lowest rank (pandas ``method="min"``), NaN last."""
    from scipy.stats import rankdata

    return rankdata(np.where(np.isnan(key), np.inf, key), method="min").astype(int)


def outcome_ranking(cube: Cube, outcome: str | None = None, vanity: str = "ctr", by: str = "campaign") -> RankingResult:
    """Rank campaigns by a vanity KPI and by cost per ``outcome``; place each in a quadrant.

    ``value`` is outcomes per unit of cost (the inverse of cost per outcome);
    the quadrant compares a campaign with all paid campaigns together (total
    vanity KPI, total outcomes per cost): "vanity only" campaigns look good on
    the KPI and buy fewer real outcomes per euro than average. Ranks: 1 is
    best; ties share the best rank; a campaign without outcomes ranks last on
    value. ``key_account`` per campaign is the engine's distinct count.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> r = outcome_ranking(precompute(synthetic_model(2_000, 6_000, seed=1)), "lead", "ctr")
    >>> set(r.campaigns["quadrant"]) <= {"both", "vanity only", "value only", "neither"}
    True
    """
    outcome = outcome or cube.real_outcome
    if outcome not in OUTCOME_COLUMNS:
        raise KpikitError(
            f"unknown outcome {outcome!r}", expected=f"one of {list(OUTCOME_COLUMNS)}", found=repr(outcome)
        )
    if vanity not in VANITY_METRICS:
        raise KpikitError(
            f"unknown vanity KPI {vanity!r}", expected=f"one of {list(VANITY_METRICS)}", found=repr(vanity)
        )

    def arrays():
        g = cube.campaign_totals() if by == "campaign" else cube.totals(by, facts=cube.paid)
        g = g[(g["cost"] > 0) | (g["impressions"] > 0)]
        return g[by].astype("str").to_numpy(dtype=object), {c: g[c].to_numpy(dtype="float64") for c in VALUE_COLUMNS}

    names, cols = cube._memo(f"ranking:{by}", arrays)
    metric = METRICS[vanity]
    vals = np.asarray(metric.compute(cols), dtype="float64")
    out, cost = cols[outcome], cols["cost"]
    cpo = _div(cost, np.where(out > 0, out, 0.0))
    rate = _div(out, cost)
    vanity_rank = _min_rank(-vals if metric.higher_is_better else vals)
    value_rank = _min_rank(cpo)
    totals = {c: float(v.sum()) for c, v in cols.items()}
    overall = metric.compute(totals)
    overall_rate = _div(totals[outcome], totals["cost"])
    good_v = vals >= overall if metric.higher_is_better else vals <= overall
    good_o = np.nan_to_num(rate, nan=0.0) >= overall_rate
    quadrant = np.select(
        [good_v & good_o, good_v & ~good_o, ~good_v & good_o], ["both", "vanity only", "value only"], "neither"
    )
    order = np.lexsort((names.astype(str), vanity_rank, value_rank))
    frame = pd.DataFrame(
        {
            "campaign": names[order],
            "impressions": cols["impressions"][order],
            "clicks": cols["clicks"][order],
            "cost": cost[order],
            "vanity_value": vals[order],
            "outcome": out[order],
            "cost_per_outcome": cpo[order],
            "value_rate": rate[order],
            "vanity_rank": vanity_rank[order],
            "value_rank": value_rank[order],
            "quadrant": quadrant[order],
        }
    )
    n = len(names)
    has_value = ~np.isnan(cpo)
    if n > 2 and has_value.sum() > 2:
        from scipy.stats import rankdata

        rho = float(np.corrcoef(rankdata(vanity_rank), rankdata(value_rank))[0, 1])
    else:
        rho = math.nan
    numbers = {
        "top_by_vanity": str(names[np.lexsort((names.astype(str), vanity_rank))[0]]) if n else None,
        "top_by_value": str(names[order[0]]) if has_value.any() else None,
        "outcomes": totals[outcome],
        "cost_per_outcome": _div(totals["cost"], totals[outcome]),
        "rank_correlation": rho,
        "spend_share_vanity_only": _div(float(cost[quadrant == "vanity only"].sum()), totals["cost"]),
    }
    return RankingResult({"outcome": outcome, "vanity": vanity}, frame, outcome, vanity, cube.currency, numbers)


# ---------------------------------------------------------------- incentive

# KPIs a role can be paid on that the simulator can game by narrowing, with the
# click multiplier the relevance path needs to hit a target lift on them.
ROLE_KPIS: dict[str, Callable[[float], float]] = {
    "ctr": lambda lift: 1.0 + lift,  # same impressions, more clicks
    "clicks": lambda lift: 1.0 + lift,
    "cpc": lambda lift: 1.0 / max(1.0 - lift, 1e-9),  # same cost, more clicks
}


@dataclass(frozen=True)
class IncentiveResult:
    """Baseline, gaming path (narrow targeting) and relevance path for one KPI target."""

    controls: dict[str, Any]
    rows: tuple[dict[str, Any], ...]
    kpi: str
    outcome: str
    target: float
    gaming_audiences: tuple[str, ...]

    #: audience names listed in ``numbers`` (the count is always given)
    MAX_LISTED: ClassVar[int] = 50

    @property
    def numbers(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kpi_target": self.target}
        for r in self.rows:
            for col in ("kpi", "outcome", "cost", "impressions"):
                out[f"{r['path']}_{col}"] = float(r[col])
        out["gaming_meets_target"] = bool(self.rows[1]["meets_target"])
        out["gaming_audiences_count"] = len(self.gaming_audiences)
        out["gaming_audiences"] = list(self.gaming_audiences[: self.MAX_LISTED])
        return out

    @cached_property
    def paths(self) -> pd.DataFrame:
        """One row per path: baseline, gaming, relevance."""
        return pd.DataFrame(list(self.rows))

    def to_frame(self) -> pd.DataFrame:
        return self.paths.copy()

    def to_dict(self) -> dict[str, Any]:
        return _json({"controls": self.controls, **self.numbers})


def incentive_scenario(
    cube: Cube,
    *,
    kpi: str = "ctr",
    target_lift: float = 0.10,
    conversion_lift: float = 0.10,
    outcome: str | None = None,
) -> IncentiveResult:
    """What a KPI target (e.g. CTR +10 %) does to the real outcome, by two paths.

    *Gaming*: narrow targeting. Audiences are ranked best-first on the KPI and
    the smallest cut that meets the target is taken (the most audiences kept
    while the KPI reaches it): their observed delivery and outcomes, as the
    data gives them. If no cut reaches the target, the best single audience
    is shown with ``meets_target`` False.

    *Relevance*: same audiences and budget; better creative lifts clicks just
    enough to meet the target (``ROLE_KPIS`` gives the multiplier), and the
    consultant's ``conversion_lift`` raises outcomes per click. Outcomes scale
    with clicks × (1 + conversion_lift).

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> r = incentive_scenario(precompute(synthetic_model(2_000, 6_000, seed=1)), kpi="ctr", target_lift=0.1)
    >>> list(r.paths["path"])
    ['baseline', 'gaming', 'relevance']
    """
    if kpi not in ROLE_KPIS:
        raise KpikitError(
            f"the incentive simulator cannot game {kpi!r}",
            expected=f"one of {list(ROLE_KPIS)}",
            found=repr(kpi),
            fix="pick a click-based KPI; outcome KPIs are aligned with the business already",
        )
    outcome = outcome or cube.real_outcome
    metric = METRICS[kpi]
    order, cum, kpis = cube._memo(f"incentive:{kpi}", lambda: _kpi_ladder(cube, kpi))
    arr = cube.audience_arrays()
    base_t = dict(zip(arr.columns, cum[-1].tolist(), strict=True)) if len(cum) else arr.total()
    base_kpi = metric.compute(base_t)
    target = base_kpi * (1 + target_lift) if metric.higher_is_better else base_kpi * (1 - target_lift)
    meets = kpis >= target if metric.higher_is_better else kpis <= target
    k = int(np.nonzero(meets)[0].max()) + 1 if meets.any() else 1
    met = bool(meets.any())
    gam_t = dict(zip(arr.columns, cum[k - 1].tolist(), strict=True))
    kept_names = arr.names[order[:k]]

    mult = ROLE_KPIS[kpi](target_lift)
    rel_t = dict(base_t)
    rel_t["clicks"] = base_t["clicks"] * mult
    rel_outcome = base_t[outcome] * mult * (1 + conversion_lift)

    def row(path, t, out, meets_target):
        return {
            "path": path,
            "kpi": metric.compute(t),
            "meets_target": meets_target,
            "impressions": t["impressions"],
            "clicks": t["clicks"],
            "cost": t["cost"],
            "outcome": out,
            "cost_per_outcome": _div(t["cost"], out),
        }

    paths = (
        row("baseline", base_t, base_t[outcome], False),
        row("gaming", gam_t, gam_t[outcome], met),
        row("relevance", rel_t, rel_outcome, True),
    )
    controls = {"kpi": kpi, "target_lift": target_lift, "conversion_lift": conversion_lift, "outcome": outcome}
    return IncentiveResult(controls, paths, kpi, outcome, float(target), tuple(kept_names.tolist()))


def _kpi_ladder(cube: Cube, kpi: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Audiences with impressions, best first on ``kpi``; cumulative totals and the KPI of each top-k."""
    metric = METRICS[kpi]
    arr = cube.audience_arrays()
    idx = np.nonzero(arr.col("impressions") > 0)[0]
    seg = np.asarray(metric.compute({c: arr.values[idx, j] for j, c in enumerate(arr.columns)}), dtype="float64")
    bad = -np.inf if metric.higher_is_better else np.inf
    key = np.where(np.isnan(seg), bad, seg)
    order = idx[np.argsort(-key if metric.higher_is_better else key, kind="stable")]
    cum = np.cumsum(arr.values[order], axis=0)
    kpis = np.asarray(metric.compute({c: cum[:, j] for j, c in enumerate(arr.columns)}), dtype="float64")
    return order, cum, kpis


# -------------------------------------------------------------- vanity cost


@dataclass(frozen=True)
class VanityCostResult:
    """Cost per vanity unit next to the cost per real outcome the client's data gives."""

    controls: dict[str, Any]
    units: pd.DataFrame
    currency: str
    headline: dict[str, float]

    @property
    def numbers(self) -> dict[str, Any]:
        return dict(self.headline)

    def to_frame(self) -> pd.DataFrame:
        return self.units.copy()

    def to_dict(self) -> dict[str, Any]:
        return _json({"controls": self.controls, **self.numbers, "units": self.units.to_dict(orient="records")})


def vanity_cost_scenario(
    cube: Cube,
    *,
    cost: float,
    vanity_count: float,
    vanity_unit: str = "like",
    real_outcomes: float | None = None,
    outcome: str | None = None,
) -> VanityCostResult:
    """Cost per vanity unit vs cost per real outcome (entered, and from the client's data).

    ``units`` lists, per unit, the cost of one: the entered vanity unit, the
    entered real outcomes (if any), and from the client's paid data each
    funnel outcome (total paid cost / count). ``headline`` adds how many real
    outcomes the entered budget would buy at the data's cost per outcome.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> r = vanity_cost_scenario(precompute(synthetic_model(2_000, 6_000, seed=1)),
    ...                          cost=1_000_000, vanity_count=250_000, real_outcomes=1)
    >>> r.headline["cost_per_vanity"], r.headline["cost_per_real_outcome_entered"]
    (4.0, 1000000.0)
    """
    outcome = outcome or cube.real_outcome
    t = cube.paid_totals()
    rows = [{"unit": f"{vanity_unit} (entered)", "source": "entered", "cost_per_unit": _div(cost, vanity_count)}]
    if real_outcomes:
        rows.append(
            {
                "unit": f"{OUTCOME_SINGULAR[outcome]} (entered)",
                "source": "entered",
                "cost_per_unit": _div(cost, real_outcomes),
            }
        )
    for key, label in [
        ("engagements", "engagement"),
        ("clicks", "click"),
        *[(o, OUTCOME_SINGULAR[o]) for o in OUTCOME_COLUMNS],
    ]:
        rows.append({"unit": label, "source": "client data", "cost_per_unit": _div(t["cost"], t[key])})
    units = pd.DataFrame(rows)
    data_cpo = _div(t["cost"], t[outcome])
    headline = {
        "cost_per_vanity": _div(cost, vanity_count),
        "cost_per_real_outcome_entered": _div(cost, real_outcomes) if real_outcomes else math.nan,
        "cost_per_real_outcome_data": data_cpo,
        "real_outcomes_budget_buys": _div(cost, data_cpo),
        "vanity_per_real_outcome_entered": _div(vanity_count, real_outcomes) if real_outcomes else math.nan,
    }
    controls = {
        "cost": cost,
        "vanity_count": vanity_count,
        "vanity_unit": vanity_unit,
        "real_outcomes": real_outcomes,
        "outcome": outcome,
    }
    return VanityCostResult(controls, units, cube.currency, headline)


# -------------------------------------------------------------- attribution


@dataclass(frozen=True)
class AttributionResult:
    """Channel credit and cost per credited outcome under one attribution model."""

    controls: dict[str, Any]
    channels: pd.DataFrame
    model_name: str
    currency: str

    @property
    def numbers(self) -> dict[str, Any]:
        ch = self.channels
        return {
            "model": self.model_name,
            "credit": dict(zip(ch["channel"], ch["conversions"], strict=True)),
            "share": dict(zip(ch["channel"], ch["share"], strict=True)),
            "top_channel": ch["channel"].iloc[0] if len(ch) else None,
            "cost_per_outcome": dict(zip(ch["channel"], ch["cost_per_outcome"], strict=True)),
        }

    def to_frame(self) -> pd.DataFrame:
        return self.channels.copy()

    def to_dict(self) -> dict[str, Any]:
        return _json({"controls": self.controls, **self.numbers})


def attribution_scenario(credits: pd.DataFrame, costs: pd.DataFrame, model_name: str) -> AttributionResult:
    """Select one model from the engine's precomputed credits; add each channel's cost per credited outcome.

    Parameters
    ----------
    credits : DataFrame
        ``model, channel, conversions, revenue, share`` (the engine's long table).
    costs : DataFrame
        ``channel, cost``.
    model_name : str

    Examples
    --------
    >>> import pandas as pd
    >>> credits = pd.DataFrame({"model": ["linear"] * 2, "channel": ["paid_search", "email"],
    ...                         "conversions": [3.0, 1.0], "revenue": [0.0, 0.0], "share": [0.75, 0.25]})
    >>> costs = pd.DataFrame({"channel": ["paid_search"], "cost": [300.0]})
    >>> r = attribution_scenario(credits, costs, "linear")
    >>> r.numbers["cost_per_outcome"]
    {'paid_search': 100.0, 'email': nan}
    """
    if model_name not in set(credits["model"]):
        raise KpikitError(
            f"unknown attribution model {model_name!r}",
            expected=f"one of {list(dict.fromkeys(credits['model']))}",
            found=repr(model_name),
        )
    sel = credits[credits["model"] == model_name]
    ch = sel[["channel", "conversions", "share", "revenue"]].merge(costs, on="channel", how="left")
    ch["cost"] = ch["cost"].fillna(0.0)
    ch["cost_per_outcome"] = np.where(
        (ch["cost"] > 0) & (ch["conversions"] > 0), ch["cost"] / ch["conversions"].where(ch["conversions"] > 0), np.nan
    )
    ch = ch.sort_values(["conversions", "channel"], ascending=[False, True]).reset_index(drop=True)
    return AttributionResult({"model": model_name}, ch, model_name, "")


def attribution_tables(credits: pd.DataFrame, costs: pd.DataFrame) -> dict[str, AttributionResult]:
    """Every model's :func:`attribution_scenario`, computed once (a switch then only looks one up)."""
    return {m: attribution_scenario(credits, costs, m) for m in dict.fromkeys(credits["model"])}
