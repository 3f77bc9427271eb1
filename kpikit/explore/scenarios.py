"""Scenario functions: one small aggregation of a :class:`Cube` per interaction.

Pure pandas/numpy, no widgets and no charts: each function takes the cube and the control
values and returns a :class:`ScenarioResult` (a :class:`kpikit.core.result.Result`) with
``numbers`` (the headline figures a widget shows), ``frame`` (its table), ``to_frame()``,
``to_dict()`` and ``_repr_html_``. Tests check the explorers against these functions, and
these functions against the engine.

The scenarios compute nothing the engine or the core already defines: measures, labels and
directions come from :data:`kpikit.core.measures.MEASURES`, vanity KPIs from
:data:`kpikit.analysis.vanity.VANITY_KPIS`, the rank agreement from
:func:`kpikit.analysis.vanity.rank_agreement` (the report's Kendall tau-b), the KPI ladder from
:func:`kpikit.analysis.vanity.kpi_ladder` and the response curves from
:mod:`kpikit.analysis.response`.

============================  ================================  ======================
scenario                      result                            explorer
============================  ================================  ======================
:func:`targeting_scenario`    :class:`TargetingResult`          ``targeting``
:func:`budget_scenario`       :class:`BudgetResult`             ``budget_shift``
:func:`outcome_ranking`       :class:`RankingResult`            ``outcome_switch``
:func:`attribution_scenario`  :class:`AttributionSwitchResult`  ``attribution_switch``
:func:`incentive_scenario`    :class:`IncentiveResult`          ``incentive``
:func:`vanity_cost_scenario`  :class:`VanityCostResult`         ``vanity_cost``
============================  ================================  ======================

Examples
--------
>>> from kpikit.samples import synthetic_model
>>> from kpikit.explore.precompute import precompute
>>> from kpikit.explore.scenarios import targeting_scenario
>>> cube = precompute(synthetic_model(2_000, 6_000, seed=1))
>>> everyone = targeting_scenario(cube)
>>> everyone.after == everyone.before
True
>>> everyone.to_frame().columns.tolist()
['metric', 'all audiences', 'narrowed', 'change']
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kpikit.analysis import response
from kpikit.analysis.response import BAND, ResponseCurve
from kpikit.analysis.vanity import VANITY_KPIS, kpi_ladder, rank_agreement, rank_values
from kpikit.core.measures import MEASURES, REAL_OUTCOMES, safe_divide
from kpikit.core.result import Result
from kpikit.errors import OptionError
from kpikit.explore.precompute import VALUE_COLUMNS, Cube

__all__ = [
    "ScenarioResult",
    "ROLE_KPIS",
    "QUADRANTS",
    "FAR_BEYOND",
    "summarise",
    "targeting_scenario",
    "window_options",
    "TargetingResult",
    "fit_response_curves",
    "summary_notes",
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
    "AttributionSwitchResult",
]


@dataclass(frozen=True, eq=False, kw_only=True)
class ScenarioResult(Result):
    """A workshop scenario: the control values, the headline ``numbers`` and the detail ``frame``.

    ``to_dict()`` holds ``view``, ``currency``, ``rows`` (the frame), ``controls``, every
    headline number and ``notes``: what a snapshot saves as its ``result``.
    """

    view: ClassVar[str] = "scenario"
    title: ClassVar[str] = "Workshop scenario"

    #: The detail table, built by :meth:`_table` on first use (see ``__getattr__``).
    frame: pd.DataFrame = field(init=False, repr=False)
    controls: dict[str, Any] = field(default_factory=dict)

    @property
    def numbers(self) -> dict[str, Any]:
        """The headline figures the explorer shows (plain values; rates as fractions)."""
        raise NotImplementedError

    def _table(self) -> pd.DataFrame:
        """The detail table (subclasses build it from their fields)."""
        raise NotImplementedError

    def __getattr__(self, name: str) -> Any:
        # Only called when ``frame`` is not built yet (or for a missing name). An interaction reads
        # ``numbers``; a DataFrame per slider move would cost more than the scenario itself.
        if name != "frame":
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        frame = self._table()
        object.__setattr__(self, "frame", frame)  # frozen: set once, the table never changes after
        return frame

    def _extra(self) -> dict[str, Any]:
        return {"controls": self.controls, **self.numbers}


def _ratio(a: float, b: float) -> float:
    # The one division rule (NaN, never inf, for a zero denominator) on two totals.
    return float(safe_divide(a, b))


def _check_outcome(outcome: str) -> None:
    if outcome not in REAL_OUTCOMES:
        raise OptionError("outcome", outcome, REAL_OUTCOMES)


def summarise(totals: Mapping[str, float], keys: Iterable[str]) -> dict[str, float]:
    """Compute the named :data:`~kpikit.core.measures.MEASURES` from summed value columns.

    Examples
    --------
    >>> summarise({"impressions": 1000, "clicks": 25, "cost": 50.0, "opportunity": 2}, ["ctr", "cost_per_opportunity"])
    {'ctr': 0.025, 'cost_per_opportunity': 25.0}
    """
    return {k: float(MEASURES[k].compute(totals)) for k in keys}


# ---------------------------------------------------------------- targeting


@dataclass(frozen=True, eq=False, kw_only=True)
class TargetingResult(ScenarioResult):
    """Before (every paid audience) vs after (the narrowed selection).

    ``keep`` flags each row of ``cube.audiences``; ``before``/``after``/``change`` hold the
    :attr:`metrics` values; ``frame`` is one row per metric.
    """

    view: ClassVar[str] = "targeting"
    title: ClassVar[str] = "Targeting: every paid audience vs the narrowed selection"
    #: audience names listed in ``numbers`` (the count is always given)
    MAX_LISTED: ClassVar[int] = 50

    keep: np.ndarray
    metrics: tuple[str, ...]
    before: dict[str, float]
    after: dict[str, float]
    change: dict[str, float]
    cube: Any = field(default=None, repr=False)

    @property
    def numbers(self) -> dict[str, Any]:
        kept = self.kept
        return {
            "before": self.before,
            "after": self.after,
            "change": self.change,
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

    def _table(self) -> pd.DataFrame:
        k = self.metrics
        return pd.DataFrame(
            {
                "metric": [MEASURES[m].label for m in k],
                "all audiences": [self.before[m] for m in k],
                "narrowed": [self.after[m] for m in k],
                "change": [self.change[m] for m in k],
            }
        )


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
    # Before and after in one pass: each measure computes on two-row arrays (totals of all, of the kept).
    both = np.vstack([arr.values.sum(axis=0), arr.values[keep].sum(axis=0)])
    totals = {c: both[:, j] for j, c in enumerate(arr.columns)}
    values = np.array([MEASURES[k].compute(totals) for k in metrics], dtype="float64")
    change = safe_divide(values[:, 1] - values[:, 0], values[:, 0])
    before = dict(zip(metrics, values[:, 0].tolist(), strict=True))
    after = dict(zip(metrics, values[:, 1].tolist(), strict=True))
    controls = {"clicked_within": clicked_within or None, "top_k": top_k or 0, "exclude": sorted(exclude)}
    return TargetingResult(
        currency=cube.currency,
        controls=controls,
        keep=keep,
        metrics=tuple(metrics),
        before=before,
        after=after,
        change=dict(zip(metrics, change.tolist(), strict=True)),
        cube=cube,
    )


# ------------------------------------------------------------------- budget


def fit_response_curves(
    cube: Cube, outcome: str | None = None, *, by: str = "platform", n_boot: int = 200, seed: int = 0
) -> dict[str, ResponseCurve]:
    """The cube's paid weekly history per platform (or campaign) fitted by :mod:`kpikit.analysis.response`.

    Only picks the data: the fit, its bootstrap band and the linear fallback for short
    histories are :func:`kpikit.analysis.response.fit_response_curves`. Segments whose spend
    comes as monthly or quarterly totals (:attr:`Cube.summaries`) have no weekly history and
    get no curve (:func:`summary_notes` says which).

    Parameters
    ----------
    cube : Cube
    outcome : str, optional
        Default: the client's real outcome.
    by : {"platform", "campaign"}
    n_boot, seed : int
        Bootstrap refits per curve, and their seed.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> curves = fit_response_curves(precompute(synthetic_model(2_000, 6_000, seed=1)), "lead", n_boot=20)
    >>> {c.method for c in curves.values()} <= {"linear", "saturating"}
    True
    """
    outcome = outcome or cube.real_outcome
    _check_outcome(outcome)
    if by not in ("platform", "campaign"):
        raise OptionError("by", by, ("platform", "campaign"), what="level for budget curves", fix="by='campaign'")
    paid = cube.paid
    coarse = cube.summaries.get(by, {})
    if coarse:
        paid = paid[~paid[by].isin(list(coarse))]
    return response.fit_response_curves(paid, outcome, by=by, n_boot=n_boot, seed=seed)


def summary_notes(cube: Cube, by: str = "platform") -> list[str]:
    """One line per segment left out of the weekly curves because its spend is monthly or quarterly totals.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> summary_notes(precompute(synthetic_model(2_000, 6_000, seed=1)))  # daily spend: nothing left out
    []
    """
    return [
        f"{segment}: {response.period_words(days)} totals, not weeks, so it has no curve here"
        for segment, days in sorted(cube.summaries.get(by, {}).items())
    ]


# Scenario spend beyond the highest observed week: > 1× is extrapolation (note),
# > FAR_BEYOND× is far beyond anything the client has tried (warning on screen).
FAR_BEYOND = 1.5


@dataclass(frozen=True, eq=False, kw_only=True)
class BudgetResult(ScenarioResult):
    """Weekly spend per platform now vs in the scenario, with predicted outcomes and a 90 % band.

    ``frame`` (also ``platforms``): one row per platform; ``notes`` (also ``warnings``): what
    the explorer warns about (spend beyond the observed weeks, linear curves).
    """

    view: ClassVar[str] = "budget_shift"
    title: ClassVar[str] = "Budget shift: weekly spend and predicted outcomes"

    rows: tuple[dict[str, Any], ...]
    outcome: str
    totals: dict[str, float]

    @property
    def warnings(self) -> tuple[str, ...]:
        return self.notes

    @property
    def platforms(self) -> pd.DataFrame:
        """One row per platform: spend now / scenario, predictions, band, ``range`` (observed, beyond, far)."""
        return self.frame

    @property
    def numbers(self) -> dict[str, Any]:
        return {**self.totals, "warnings": list(self.notes)}

    def _table(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))


def budget_scenario(
    curves: Mapping[str, ResponseCurve], spend: Mapping[str, float], *, currency: str = ""
) -> BudgetResult:
    """Predict weekly outcomes when weekly spend per platform is ``spend``.

    Platforms missing from ``spend`` keep their observed mean weekly spend.
    The current plan is the observed mean weekly spend. A platform above its
    highest observed week is flagged; above :data:`FAR_BEYOND` times that, a
    warning says the prediction is an extrapolation.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from kpikit.analysis.response import ResponseCurve
    >>> w = pd.DataFrame({"week": range(3), "cost": [100.0, 200.0, 300.0], "outcome": [1.0, 2.0, 3.0]})
    >>> c = ResponseCurve("search", "lead", 0.01, np.inf, np.array([[0.01, np.inf]] * 5), w, "linear")
    >>> r = budget_scenario({"search": c}, {"search": 600.0})
    >>> r.totals["outcome_scenario"], r.warnings[0][:40]
    (6.0, 'search: 600 a week is 2.0× the highest w')
    """
    rows = []
    draws_new = 0.0
    warnings = []
    for name, c in curves.items():
        now = c.mean_spend
        new = float(spend.get(name, now))
        d_new = c.predict_draws([new])[:, 0]
        draws_new = draws_new + d_new
        ratio = _ratio(new, c.max_observed)
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
    tot = {
        "spend_now": float(sum(r["spend_now"] for r in rows)),
        "spend_scenario": float(sum(r["spend_scenario"] for r in rows)),
        "outcome_now": float(sum(r["outcome_now"] for r in rows)),
        "outcome_scenario": float(sum(r["outcome_scenario"] for r in rows)),
        "outcome_low": float(np.quantile(draws_new, BAND[0])) if rows else 0.0,
        "outcome_high": float(np.quantile(draws_new, BAND[1])) if rows else 0.0,
    }
    tot["cost_per_outcome_now"] = _ratio(tot["spend_now"], tot["outcome_now"])
    tot["cost_per_outcome_scenario"] = _ratio(tot["spend_scenario"], tot["outcome_scenario"])
    controls = {"spend": {k: float(spend.get(k, curves[k].mean_spend)) for k in curves}}
    return BudgetResult(
        currency=currency,
        notes=tuple(warnings),
        controls=controls,
        rows=tuple(rows),
        outcome=outcome,
        totals=tot,
    )


# ---------------------------------------------------------- outcome switch


@dataclass(frozen=True, eq=False, kw_only=True)
class RankingResult(ScenarioResult):
    """Campaigns ranked by a vanity KPI and by cost per real outcome, with the quadrant.

    ``frame`` (also ``campaigns``): one row per campaign, best value first.
    """

    view: ClassVar[str] = "outcome_switch"
    title: ClassVar[str] = "Campaigns by vanity KPI and by cost per real outcome"

    campaigns: pd.DataFrame
    outcome: str
    vanity: str
    headline: dict[str, Any]

    @property
    def numbers(self) -> dict[str, Any]:
        return dict(self.headline)

    def _table(self) -> pd.DataFrame:
        return self.campaigns


QUADRANTS = ("both", "vanity only", "value only", "neither")


def outcome_ranking(cube: Cube, outcome: str | None = None, vanity: str = "ctr", by: str = "campaign") -> RankingResult:
    """Rank campaigns by a vanity KPI and by cost per ``outcome``; place each in a quadrant.

    ``value`` is outcomes per unit of cost (the inverse of cost per outcome);
    the quadrant compares a campaign with all paid campaigns together (total
    vanity KPI, total outcomes per cost): "vanity only" campaigns look good on
    the KPI and buy fewer real outcomes per euro than average. Ranks
    (:func:`~kpikit.analysis.vanity.rank_values`): 1 is best; ties share the
    best rank; a campaign without outcomes (or without spend) ranks last on
    value. ``key_account`` per campaign is the engine's distinct count.

    ``numbers["rank_correlation"]`` is the report's agreement figure
    (:func:`~kpikit.analysis.vanity.rank_agreement`, Kendall tau-b over the
    campaigns with spend), so a snapshot and ``metrics.json``
    (``vanity.kendall_tau``) agree for the same outcome and KPI.

    Parameters
    ----------
    cube : Cube
    outcome : str, optional
        Default: the client's real outcome.
    vanity : str
        A key of :data:`kpikit.analysis.vanity.VANITY_KPIS`.
    by : str
        The segment column (``campaign``; ``platform``, ``audience``...).

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> from kpikit.explore.precompute import precompute
    >>> r = outcome_ranking(precompute(synthetic_model(2_000, 6_000, seed=1)), "lead", "ctr")
    >>> set(r.campaigns["quadrant"]) <= {"both", "vanity only", "value only", "neither"}
    True
    """
    outcome = outcome or cube.real_outcome
    _check_outcome(outcome)
    if vanity not in VANITY_KPIS:
        raise OptionError("vanity", vanity, VANITY_KPIS, what="vanity KPI")

    def arrays():
        g = cube.campaign_totals() if by == "campaign" else cube.totals(by, facts=cube.paid)
        g = g[(g["cost"] > 0) | (g["impressions"] > 0)]
        return g[by].astype("str").to_numpy(dtype=object), {c: g[c].to_numpy(dtype="float64") for c in VALUE_COLUMNS}

    def build() -> RankingResult:
        names, cols = cube._memo(f"ranking:{by}", arrays)
        kpi = VANITY_KPIS[vanity]
        vals = kpi.compute(cols)
        out, cost = cols[outcome], cols["cost"]
        cpo = np.asarray(MEASURES[f"cost_per_{outcome}"].compute(cols), dtype="float64")
        rate = safe_divide(out, cost)
        vanity_rank = rank_values(vals, kpi.higher_is_better).astype(int)
        value_rank = rank_values(cpo, higher_is_better=False).astype(int)
        totals = {c: float(v.sum()) for c, v in cols.items()}
        overall = float(kpi.compute(totals))
        overall_rate = _ratio(totals[outcome], totals["cost"])
        good_v = vals >= overall if kpi.higher_is_better else vals <= overall
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
        # The report's agreement rule, on the report's segments: campaigns with spend and a KPI value.
        measured = outcome in cube.measured
        agree = rank_agreement(
            vals,
            cpo,
            vanity_higher_is_better=kpi.higher_is_better,
            value_higher_is_better=False,
            ranked=(cost > 0) & ~np.isnan(vals) & measured,
        )
        has_value = ~np.isnan(cpo)
        headline = {
            "top_by_vanity": str(names[np.lexsort((names.astype(str), vanity_rank))[0]]) if len(names) else None,
            "top_by_value": str(names[order[0]]) if has_value.any() else None,
            "outcomes": totals[outcome],
            "cost_per_outcome": float(MEASURES[f"cost_per_{outcome}"].compute(totals)),
            "rank_correlation": agree.tau,
            "spend_share_vanity_only": _ratio(float(cost[quadrant == "vanity only"].sum()), totals["cost"]),
        }
        return RankingResult(
            campaigns=frame,
            currency=cube.currency,
            controls={"outcome": outcome, "vanity": vanity},
            outcome=outcome,
            vanity=vanity,
            headline=headline,
        )

    # A ranking depends on the controls only: a switch back to a pair already shown is a lookup.
    return cube._memo(f"ranking:{by}:{outcome}:{vanity}", build)


# ---------------------------------------------------------------- incentive

# KPIs a role can be paid on that the simulator can game by narrowing, with the
# click multiplier the relevance path needs to hit a target lift on them.
ROLE_KPIS: dict[str, Callable[[float], float]] = {
    "ctr": lambda lift: 1.0 + lift,  # same impressions, more clicks
    "clicks": lambda lift: 1.0 + lift,
    "cpc": lambda lift: 1.0 / max(1.0 - lift, 1e-9),  # same cost, more clicks
}


@dataclass(frozen=True, eq=False, kw_only=True)
class IncentiveResult(ScenarioResult):
    """Baseline, gaming path (narrow targeting) and relevance path for one KPI target.

    ``frame`` (also ``paths``): one row per path.
    """

    view: ClassVar[str] = "incentive"
    title: ClassVar[str] = "Incentives: two ways to hit a KPI target"
    #: audience names listed in ``numbers`` (the count is always given)
    MAX_LISTED: ClassVar[int] = 50

    rows: tuple[dict[str, Any], ...]
    kpi: str
    outcome: str
    target: float
    gaming_audiences: tuple[str, ...]

    @property
    def paths(self) -> pd.DataFrame:
        """One row per path: baseline, gaming, relevance."""
        return self.frame

    def _table(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows))

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
    while the KPI reaches it; :func:`~kpikit.analysis.vanity.kpi_ladder`): their
    observed delivery and outcomes, as the data gives them. If no cut reaches
    the target, the best single audience is shown with ``meets_target`` False.

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
        raise OptionError(
            "kpi", kpi, ROLE_KPIS, what="KPI for the incentive simulator (it games click-based KPIs only)",
            fix="pick a click-based KPI; outcome KPIs are aligned with the business already",
        )  # fmt: skip
    outcome = outcome or cube.real_outcome
    metric = MEASURES[kpi]
    arr = cube.audience_arrays()
    order, cum, kpis = cube._memo(f"incentive:{kpi}", lambda: kpi_ladder(arr.values, arr.columns, kpi))
    base_t = dict(zip(arr.columns, cum[-1].tolist(), strict=True)) if len(cum) else arr.total()
    base_kpi = float(metric.compute(base_t))
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
            "kpi": float(metric.compute(t)),
            "meets_target": meets_target,
            "impressions": t["impressions"],
            "clicks": t["clicks"],
            "cost": t["cost"],
            "outcome": out,
            "cost_per_outcome": _ratio(t["cost"], out),
        }

    paths = (
        row("baseline", base_t, base_t[outcome], False),
        row("gaming", gam_t, gam_t[outcome], met),
        row("relevance", rel_t, rel_outcome, True),
    )
    controls = {"kpi": kpi, "target_lift": target_lift, "conversion_lift": conversion_lift, "outcome": outcome}
    return IncentiveResult(
        currency=cube.currency,
        controls=controls,
        rows=paths,
        kpi=kpi,
        outcome=outcome,
        target=float(target),
        gaming_audiences=tuple(kept_names.tolist()),
    )


# -------------------------------------------------------------- vanity cost


@dataclass(frozen=True, eq=False, kw_only=True)
class VanityCostResult(ScenarioResult):
    """Cost per vanity unit next to the cost per real outcome the client's data gives.

    ``frame`` (also ``units``): the cost of one unit, entered and from the client's data.
    """

    view: ClassVar[str] = "vanity_cost"
    title: ClassVar[str] = "The cost of a vanity KPI"

    units: pd.DataFrame
    headline: dict[str, float]

    @property
    def numbers(self) -> dict[str, Any]:
        return dict(self.headline)

    def _table(self) -> pd.DataFrame:
        return self.units


# The client's data, per unit: the count and the measure that is its cost.
_UNIT_COSTS: tuple[tuple[str, str], ...] = (
    ("engagements", "cost_per_engagement"),
    ("clicks", "cpc"),
    *((o, f"cost_per_{o}") for o in REAL_OUTCOMES),
)


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
    per_vanity = _ratio(cost, vanity_count)
    per_entered = _ratio(cost, real_outcomes) if real_outcomes else math.nan
    rows = [{"unit": f"{vanity_unit} (entered)", "source": "entered", "cost_per_unit": per_vanity}]
    if real_outcomes:
        rows.append(
            {"unit": f"{MEASURES[outcome].singular} (entered)", "source": "entered", "cost_per_unit": per_entered}
        )
    # The data's unit costs depend on the cube only: computed once, then every interaction reads them.
    data = cube._memo("unit_costs", lambda: {count: float(MEASURES[per].compute(t)) for count, per in _UNIT_COSTS})
    rows += [{"unit": MEASURES[c].singular, "source": "client data", "cost_per_unit": v} for c, v in data.items()]
    headline = {
        "cost_per_vanity": per_vanity,
        "cost_per_real_outcome_entered": per_entered,
        "cost_per_real_outcome_data": data[outcome],
        "real_outcomes_budget_buys": _ratio(cost, data[outcome]),
        "vanity_per_real_outcome_entered": _ratio(vanity_count, real_outcomes) if real_outcomes else math.nan,
    }
    controls = {
        "cost": cost,
        "vanity_count": vanity_count,
        "vanity_unit": vanity_unit,
        "real_outcomes": real_outcomes,
        "outcome": outcome,
    }
    return VanityCostResult(units=pd.DataFrame(rows), currency=cube.currency, controls=controls, headline=headline)


# -------------------------------------------------------------- attribution


@dataclass(frozen=True, eq=False, kw_only=True)
class AttributionSwitchResult(ScenarioResult):
    """Channel credit and cost per credited outcome under one attribution model.

    ``frame`` (also ``channels``): one row per channel, most credit first. Not to be confused
    with :class:`kpikit.analysis.AttributionResult`, the engine's view of every model at once
    that this scenario selects from.
    """

    view: ClassVar[str] = "attribution_switch"
    title: ClassVar[str] = "Attribution: channel credit under one model"

    channels: pd.DataFrame
    model_name: str

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

    def _table(self) -> pd.DataFrame:
        return self.channels


def attribution_scenario(
    credits: pd.DataFrame, costs: pd.DataFrame, model_name: str, *, currency: str = ""
) -> AttributionSwitchResult:
    """Select one model from the engine's precomputed credits; add each channel's cost per credited outcome.

    Parameters
    ----------
    credits : DataFrame
        ``model, channel, conversions, revenue, share`` (the engine's long table).
    costs : DataFrame
        ``channel, cost``.
    model_name : str
    currency : str
        Currency of ``costs``.

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
        raise OptionError("model_name", model_name, dict.fromkeys(credits["model"]), what="attribution model")
    sel = credits[credits["model"] == model_name]
    ch = sel[["channel", "conversions", "share", "revenue"]].merge(costs, on="channel", how="left")
    ch["cost"] = ch["cost"].fillna(0.0)
    # The engine's rule: no spend (organic channels) means no cost per outcome, not zero.
    ch["cost_per_outcome"] = np.where(ch["cost"] > 0, safe_divide(ch["cost"], ch["conversions"]), np.nan)
    ch = ch.sort_values(["conversions", "channel"], ascending=[False, True]).reset_index(drop=True)
    return AttributionSwitchResult(
        channels=ch, currency=currency, controls={"model": model_name}, model_name=model_name
    )


def attribution_tables(
    credits: pd.DataFrame, costs: pd.DataFrame, *, currency: str = ""
) -> dict[str, AttributionSwitchResult]:
    """Every model's :func:`attribution_scenario`, computed once (a switch then only looks one up)."""
    return {m: attribution_scenario(credits, costs, m, currency=currency) for m in dict.fromkeys(credits["model"])}
