"""Plan next quarter: a lag-aware pipeline forecast from planned spend, with intervals and a backtest.

How a week of the forecast is built (everything is fitted on complete weeks before the origin):

=====================  ==========================================================================
part                   from
=====================  ==========================================================================
paid leads             planned weekly spend per platform through that platform's response curve
                       (:mod:`kpikit.analysis.response`, diminishing returns), with the curve's
                       bootstrap draws and the weekly scatter around it (gamma-Poisson noise)
organic leads          leads matched to no paid platform: their own baseline, the mean of the
                       last 13 weeks (gamma posterior, same noise)
opportunities          each lead group's conversion rate (beta posterior) spread over the observed
                       lead -> opportunity lag in weeks; leads already in the funnel keep maturing;
                       counts scatter as much as they did around that inflow in the history
won deals, revenue     opportunities (new and already open) through the opportunity -> won rate and
                       lag; revenue draws the amounts of the client's own won deals
pipeline               each simulated week's opportunities, each worth an amount drawn from the
                       client's own opportunities (deals created in the fit window)
=====================  ==========================================================================

Rates and lags come from a development triangle (:mod:`kpikit.analysis._flow`): a young cohort
is not counted as a failure, only as not yet old enough. Leads are counted in their lead week,
opportunities and pipeline in the week the deal was created, won deals and revenue in the week
they closed (every stage by its own date, as a CRM report by week shows it). Without deal amounts
pipeline and revenue are not forecast: their rows are missing values and a note says why.

The simulation draws every uncertain piece ``n_sims`` times with one seed: the same seed gives
the same figures, and two plans forecast with one seed share their random draws (a difference
between them is the plan's, not noise). Pipeline amounts come from a second stream of the same
seed, so the other stages' figures are the ones a forecast without pipeline gives. Fitting is the slow part; :func:`fit_forecast` does it
once and :meth:`Forecaster.forecast` answers a new plan in milliseconds.

Examples
--------
>>> from kpikit.samples import synthetic_model
>>> model = synthetic_model(3_000, 0, seed=1)
>>> f = forecast(model, horizon_weeks=4, n_sims=200)
>>> f.frame.columns.tolist()
['week', 'stage', 'mean', 'low80', 'high80', 'low95', 'high95']
>>> f.frame["stage"].unique().tolist()
['lead', 'opportunity', 'won', 'revenue', 'pipeline']
>>> bool((f.frame["low95"] <= f.frame["mean"]).all() and (f.frame["mean"] <= f.frame["high95"]).all())
True
>>> more = forecast(model, horizon_weeks=4, n_sims=200, scale=2.0)
>>> 1.0 < more.total("opportunity") / f.total("opportunity") < 2.0  # diminishing returns
True
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from kpikit.analysis._flow import NO_WEEK, Flow, convolve_lags, development, exposure, week_index, week_start
from kpikit.analysis._prepare import prepare
from kpikit.analysis.response import ResponseCurve, fit_response_curves
from kpikit.core.fmt import fmt, html_table
from kpikit.core.measures import STAGES, kind_of
from kpikit.core.money import to_reporting_currency
from kpikit.core.result import Result, json_safe, records
from kpikit.errors import KpikitError

__all__ = [
    "FORECAST_STAGES",
    "CHARTED_STAGES",
    "BASELINE_WEEKS",
    "ForecastResult",
    "BacktestResult",
    "Forecaster",
    "fit_forecast",
    "forecast",
    "backtest",
    "default_plan",
]

LEAD, OPPORTUNITY, WON = STAGES[0], STAGES[3], STAGES[4]
#: The stages a forecast returns (revenue: won deals' amounts; pipeline: amounts of the opportunities
#: created, last so the stages before it keep their order and their random draws).
FORECAST_STAGES: tuple[str, ...] = (LEAD, OPPORTUNITY, WON, "revenue", "pipeline")
#: The stages the workshop and the report chart week by week, in funnel order (one chart, one list).
CHARTED_STAGES: tuple[str, ...] = (OPPORTUNITY, "pipeline", WON, "revenue")
#: Weeks the default plan and the organic baseline average over.
BASELINE_WEEKS = 13
#: Simulations per forecast.
N_SIMS = 2_000
#: Bootstrap refits per response curve (each simulation picks one).
N_BOOT = 400
#: Prior weight (in leads) pulling a lead group's conversion rate towards the account's.
PRIOR_LEADS = 30.0
#: Quantiles of the 95 % and 80 % intervals.
_Q = (0.025, 0.10, 0.90, 0.975)
_STAGE_WORD = {LEAD: "lead", OPPORTUNITY: "opportunity", WON: "won deal", "revenue": "revenue", "pipeline": "pipeline"}
_PARTS = ("paid", "organic", "in funnel")


def _words(platform: str) -> str:
    # Platform ids read as the registry spells them ("Google Ads", not "google_ads").
    from kpikit.core.measures import label

    return label(str(platform))


# ---------------------------------------------------------------------------- history


@dataclass(frozen=True)
class _History:
    """The weekly facts every fit reads, as arrays of Monday-based week numbers."""

    currency: str
    first_week: int
    end_week: int  # the first week that is not complete: the forecast origin
    platforms: tuple[str, ...]
    spend: pd.DataFrame  # platform, week, cost (summed)
    lead_week: np.ndarray
    lead_group: np.ndarray  # index into platforms, len(platforms) = organic
    lead_opp_week: np.ndarray  # the contact's opportunity week, NO_WEEK if none
    opp_week: np.ndarray  # one row per opportunity (deal, or contact without deals)
    won_week: np.ndarray
    amount: np.ndarray  # per opportunity row, NaN without amounts
    contact_opps: bool  # contacts say when they reached an opportunity
    has_amounts: bool


def _history(model) -> _History:
    model = to_reporting_currency(model)
    p = prepare(model)
    if p.mode != "crm" or not len(p.contacts):
        raise KpikitError(
            "a pipeline forecast needs the CRM's contacts (leads) export",
            expected="contacts with creation dates",
            found="no contacts" if not len(p.contacts) else "per-row reported figures only",
            fix="add the CRM contacts export to the client's exports",
        )
    sp = p.spend
    cost = sp["cost"].astype("float64").fillna(0.0).to_numpy()
    sweek = week_index(sp["date"].to_numpy())
    spend = (
        pd.DataFrame({"platform": sp["platform"].astype("str").to_numpy(), "week": sweek, "cost": cost})
        .dropna(subset=["platform"])
        .groupby(["platform", "week"], sort=True)["cost"]
        .sum()
        .reset_index()
    )
    platforms = tuple(sorted(spend.loc[spend["cost"] > 0, "platform"].unique().tolist()))
    c = p.contacts
    lead_week = week_index(c["_d_lead"].to_numpy())
    plat = c["_ckey"].map(p.campaign_platform)
    code = {name: i for i, name in enumerate(platforms)}
    lead_group = plat.map(code).fillna(len(platforms)).to_numpy(dtype=np.int64)
    lead_opp_week = week_index(c["_d_opportunity"].to_numpy())
    contact_opps = bool((lead_opp_week != NO_WEEK).any()) and "contact_opportunity" not in p.unmeasured
    d = p.deals
    if p.has_deals:
        opp_week = week_index(d["created_date"].to_numpy())
        won = d["_won"].to_numpy(dtype=bool)
        close = week_index(d["close_date"].fillna(d["created_date"]).to_numpy())
        won_week = np.where(won, close, NO_WEEK)
        amount = d["amount"].astype("float64").to_numpy() if p.has_amounts else np.full(len(d), np.nan)
    else:
        opp_week = lead_opp_week[lead_opp_week != NO_WEEK]
        won_week = week_index(c["_d_won"].to_numpy())[lead_opp_week != NO_WEEK]
        amount = np.full(len(opp_week), np.nan)
    # The forecast starts at the first week the data does not cover completely: the spend
    # export and the CRM export must both have reached its Sunday.
    spend_end = sp["date_end"].fillna(sp["date"]).max() if "date_end" in sp else sp["date"].max()
    crm_end = c["created_date"].max()
    ends = [pd.Timestamp(x) for x in (spend_end, crm_end) if pd.notna(x)]
    if not ends:
        raise KpikitError("a forecast needs dated spend and contacts", fix="check the exports' date columns")
    last_day = min(ends).normalize()
    end_week = int(week_index(np.array([last_day + pd.Timedelta(days=1)], dtype="datetime64[D]"))[0])
    starts = [int(x.min()) for x in (sweek, lead_week[lead_week != NO_WEEK]) if len(x)]
    return _History(
        currency=p.currency or getattr(getattr(model, "config", None), "currency", "") or "",
        first_week=min(starts),
        end_week=end_week,
        platforms=platforms,
        spend=spend,
        lead_week=lead_week,
        lead_group=lead_group,
        lead_opp_week=lead_opp_week,
        opp_week=opp_week,
        won_week=won_week,
        amount=amount,
        contact_opps=contact_opps,
        has_amounts=bool(p.has_amounts),
    )


def _weekly_actuals(h: _History, weeks: np.ndarray) -> pd.DataFrame:
    """What happened in each of ``weeks``: leads, opportunities, won deals, revenue and pipeline."""
    lo = int(weeks.min()) if len(weeks) else 0
    n = int(weeks.max()) - lo + 1 if len(weeks) else 0

    def count(w, weights=None):
        ok = (w >= lo) & (w < lo + n)
        return np.bincount(w[ok] - lo, weights=None if weights is None else weights[ok], minlength=n)

    out = {
        LEAD: count(h.lead_week),
        OPPORTUNITY: count(h.opp_week),
        WON: count(h.won_week),
        "revenue": count(h.won_week, np.nan_to_num(h.amount)) if h.has_amounts else np.full(n, np.nan),
        # Pipeline: amounts of the opportunities created that week (as the metrics' pipeline counts them).
        "pipeline": count(h.opp_week, np.nan_to_num(h.amount)) if h.has_amounts else np.full(n, np.nan),
    }
    idx = weeks - lo
    return pd.DataFrame({"week": weeks, **{k: np.asarray(v, dtype="float64")[idx] for k, v in out.items()}})


# ---------------------------------------------------------------------------- fit


@dataclass(frozen=True)
class _LeadSource:
    alpha: float  # beta posterior of the lead -> opportunity rate
    beta: float


@dataclass(frozen=True, eq=False)
class Forecaster:
    """Everything a forecast needs, fitted once: new plans are then simulated in milliseconds.

    Build it with :func:`fit_forecast`. Attributes are read-only.

    Attributes
    ----------
    origin : pandas.Timestamp
        The Monday of the first forecast week.
    platforms : tuple of str
        Paid platforms with spend in the history.
    curves : dict of str to ResponseCurve
        Weekly leads against weekly spend, per platform.
    current_plan : dict of str to float
        Mean weekly spend per platform over the last 13 complete weeks.
    """

    currency: str
    origin: pd.Timestamp
    origin_week: int
    first_week: int
    platforms: tuple[str, ...]
    curves: dict[str, ResponseCurve]
    current_plan: dict[str, float]
    max_weekly: dict[str, float]
    dispersion: dict[str, float]
    organic: tuple[float, float, float]  # gamma shape, rate of organic leads per week, dispersion
    sources: tuple[_LeadSource, ...]  # per platform, then organic
    lead_flow: Flow
    won_flow: Flow
    opp_per_contact: float
    funnel_leads: np.ndarray  # groups × weeks: expected contact-opportunities from leads already in
    funnel_opps: np.ndarray  # weeks: opportunities already open, by week (unconditional development)
    won_amounts: np.ndarray
    seed: int
    n_sims: int
    fit_notes: tuple[str, ...] = field(default=())
    #: Weekly scatter of opportunities and won deals around what their inflow predicts (1: Poisson).
    opp_dispersion: float = 1.0
    won_dispersion: float = 1.0
    #: Amounts of the opportunities created in the fit window (empty: the deals carry no amounts).
    opp_amounts: np.ndarray = field(default_factory=lambda: np.zeros(0))
    #: Share of those opportunities without an amount (the draws come from the others only).
    opp_without_amount: float = 0.0

    @property
    def lead_to_opportunity_weeks(self) -> float:
        """Weeks by which half of a lead cohort's eventual opportunities exist (median lag)."""
        return self.lead_flow.lag_quantile(0.5)

    @property
    def organic_opportunities_per_week(self) -> float:
        """Opportunities a week from organic leads once their lag has run: what no paid spend leaves."""
        shape, rate, _ = self.organic
        s = self.sources[-1]
        return shape / rate * s.alpha / (s.alpha + s.beta) * self.opp_per_contact

    @property
    def amount_notes(self) -> tuple[str, ...]:
        """Why pipeline or revenue is not forecast (the deals carry no amounts), as sentences; empty if both are."""
        if not len(self.opp_amounts):
            return ("The deals carry no amounts: pipeline and revenue are not forecast.",)
        notes = []
        if self.opp_without_amount >= 0.05:  # a few blanks move nothing; more make the two totals differ
            notes.append(
                f"{fmt(self.opp_without_amount, 'rate')} of the opportunities have no amount in the CRM: the pipeline "
                "forecast values them like the others, while the CRM's own pipeline total counts them as nothing."
            )
        if not len(self.won_amounts):
            notes.append("No deal with an amount was won yet: revenue is not forecast.")
        return tuple(notes)

    def forecast(self, plan=None, horizon_weeks: int = 13, *, scale: float = 1.0) -> ForecastResult:
        """Simulate a plan; see :func:`forecast` for the parameters."""
        horizon_weeks = _check_horizon(horizon_weeks)
        weekly, shown = _plan_table(self, plan, horizon_weeks, scale)
        return _simulate(self, weekly, shown, horizon_weeks)


def _check_horizon(h: Any) -> int:
    if isinstance(h, bool) or not isinstance(h, int | np.integer) or not 1 <= int(h) <= 104:
        raise KpikitError(
            "the forecast horizon must be a whole number of weeks",
            expected="1 to 104",
            found=repr(h),
            fix="e.g. horizon_weeks=13 for a quarter",
        )
    return int(h)


def _flow_beta(flow: Flow) -> tuple[float, float]:
    # Jeffreys prior on the rate; immature units count by the share of the lag they have shown.
    n = flow.effective_units
    k = flow.conversions
    return k + 0.5, max(n - k, 0.0) + 0.5


def fit_forecast(model, *, origin=None, seed: int = 0, n_sims: int = N_SIMS) -> Forecaster:
    """Fit the forecast's pieces on the complete weeks of ``model`` (or on the weeks before ``origin``).

    Parameters
    ----------
    model : ClientModel
    origin : date-like, optional
        Fit only on what was recorded before the Monday of this date's week, as a backtest does
        (an opportunity dated later is a lead still maturing). Default: the first week the data
        does not fully cover.
    seed : int
        Seed of the curve bootstrap and of every simulation.
    n_sims : int
        Simulations per forecast.

    Returns
    -------
    Forecaster

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> fc = fit_forecast(synthetic_model(3_000, 0, seed=1), n_sims=200)
    >>> sorted(fc.current_plan) == list(fc.platforms)
    True
    >>> a = fc.forecast(horizon_weeks=2)
    >>> a.to_frame().equals(fc.forecast(horizon_weeks=2).to_frame())  # same seed, same figures
    True
    >>> str(fit_forecast(synthetic_model(3_000, 0, seed=1), origin="2026-04-01", n_sims=200).origin.date())
    '2026-03-30'
    """
    h = _history(model)
    T = h.end_week
    if origin is not None:
        T = min(T, int(week_index(np.array([pd.Timestamp(origin)], dtype="datetime64[D]"))[0]))
    return _fit(h, T, seed=seed, n_sims=n_sims)


def _cohort(week: np.ndarray, mask, first: int, n_weeks: int) -> np.ndarray:
    """Units per week ``first .. first + n_weeks - 1`` (``mask`` selects units; None: all)."""
    w = week if mask is None else week[mask]
    w = w[(w >= first) & (w < first + n_weeks)]
    return np.bincount(w - first, minlength=n_weeks).astype("float64")


def _dispersion(actual: np.ndarray, fitted: np.ndarray, flow: Flow, *, n_params: int) -> float:
    """Pearson dispersion of weekly counts around their fit, at least 1 (Poisson).

    The first weeks are left out until 90 % of the lag is in view (their inflow began before the data).
    """
    skip = int(flow.lag_quantile(0.9)) + 1
    y, mu = actual[skip:], fitted[skip:]
    ok = mu > 0
    n = int(ok.sum())
    if n <= n_params + 2:
        return 1.0
    phi = float(((y[ok] - mu[ok]) ** 2 / mu[ok]).sum()) / (n - n_params)
    return max(phi, 1.0)


def _fit(h: _History, T: int, *, seed: int, n_sims: int) -> Forecaster:
    """:func:`fit_forecast` on prepared history, seeing only weeks before ``T``."""
    first = h.first_week
    if T - first < 4:
        raise KpikitError(
            "too little history to forecast from",
            expected="at least 4 complete weeks",
            found=f"{max(T - first, 0)} week(s)",
            fix="load a longer export",
        )
    notes: list[str] = []
    G = len(h.platforms)
    spend = h.spend[(h.spend["week"] < T) & (h.spend["week"] >= first)]
    # Paid leads per platform and week, next to that week's spend (weeks with spend and no lead count as 0).
    seen = (h.lead_week < T) & (h.lead_week >= first)
    paid = seen & (h.lead_group < G)
    leads = pd.DataFrame({"week": h.lead_week[paid], "g": h.lead_group[paid]})
    leads = leads.groupby(["g", "week"]).size().rename("lead").reset_index()
    leads["platform"] = np.asarray(h.platforms, dtype=object)[leads["g"].to_numpy()] if len(leads) else []
    weekly = spend.merge(leads[["platform", "week", "lead"]], on=["platform", "week"], how="left")
    weekly["lead"] = weekly["lead"].fillna(0.0).astype("float64")
    curves = fit_response_curves(weekly, LEAD, n_boot=N_BOOT, seed=seed)
    current = _current_plan(h, T)
    max_weekly, dispersion = {}, {}
    for pl in h.platforms:
        curve = curves.get(pl)
        if curve is None:
            max_weekly[pl], dispersion[pl] = 0.0, 1.0
            continue
        max_weekly[pl] = curve.max_observed
        w = curve.weeks
        fit = curve.predict(w["cost"].to_numpy())
        y = w["outcome"].to_numpy(dtype="float64")
        n = len(w)
        # Weekly scatter around the curve beyond Poisson noise (seasonality, bursts): Pearson dispersion.
        phi = float(((y - fit) ** 2).sum() / max(fit.sum(), 1e-9)) * n / max(n - 2, 1)
        dispersion[pl] = max(phi, 1.0)
        if curve.method == "linear":
            notes.append(
                f"{_words(pl).capitalize()} has too few weeks with spend for a curve: its leads follow its average "
                "cost per lead, without diminishing returns."
            )
    # Organic leads: their own baseline over the last weeks.
    org_weeks = np.arange(max(first, T - BASELINE_WEEKS), T)
    org = seen & (h.lead_group == G) & (h.lead_week >= org_weeks[0])
    counts = np.bincount(h.lead_week[org] - org_weeks[0], minlength=len(org_weeks)).astype("float64")
    m = float(counts.mean())
    org_phi = max(float(counts.var(ddof=1)) / m, 1.0) if m > 0 and len(counts) > 1 else 1.0
    organic = (float(counts.sum()) + 0.5, float(len(counts)), org_phi)

    # Lead -> opportunity: one lag shape for the account, a rate per lead group.
    if h.contact_opps:
        lead_flow = development(h.lead_week, h.lead_opp_week, before=T, first_week=first)
    else:
        lead_flow = Flow(q=np.zeros(1), units=int(seen.sum()), conversions=0)
        notes.append(
            "The CRM export does not say which leads became opportunities: opportunities from new leads "
            "are not forecast, only those already open."
        )
    pmf = lead_flow.pmf
    pooled = lead_flow.rate
    sources = []
    n_weeks = T - first
    horizon_max = 104
    funnel = np.zeros((G + 1, horizon_max))
    for g in range(G + 1):
        mine = seen & (h.lead_group == g)
        cohort = np.bincount(h.lead_week[mine] - first, minlength=n_weeks).astype("float64")[:n_weeks]
        conv = int((h.lead_opp_week[mine] < T).sum())
        e = exposure(cohort, pmf)
        prior = PRIOR_LEADS if pooled > 0 else 0.0
        sources.append(_LeadSource(conv + prior * pooled + 0.5, max(e - conv, 0.0) + prior * (1 - pooled) + 0.5))
        # Leads already in the funnel: the part of their lag still ahead of them, week by week.
        full = np.convolve(cohort, pmf)  # index i: weeks first + i
        ahead = full[n_weeks : n_weeks + horizon_max]
        funnel[g, : len(ahead)] = ahead
    if lead_flow.beyond:
        notes.append(
            f"{lead_flow.beyond:,} opportunities came later after their lead than the history can follow "
            "for most leads: the conversion rate may be a little low."
        )
    opp_per_contact = 1.0
    if h.contact_opps:
        n_contact = int(((h.lead_opp_week < T) & (h.lead_opp_week >= first)).sum())
        n_opp = int(((h.opp_week < T) & (h.opp_week >= first)).sum())
        opp_per_contact = n_opp / n_contact if n_contact else 1.0

    # Opportunity -> won, with opportunities already open maturing.
    won_flow = development(h.opp_week, h.won_week, before=T, first_week=first)
    ocohort = np.bincount(
        np.clip(h.opp_week[(h.opp_week < T) & (h.opp_week >= first)] - first, 0, None), minlength=n_weeks
    ).astype("float64")[:n_weeks]
    ofull = np.convolve(ocohort, won_flow.pmf)
    funnel_opps = np.zeros(horizon_max)
    ahead = ofull[n_weeks : n_weeks + horizon_max]
    funnel_opps[: len(ahead)] = ahead
    won_seen = (h.won_week < T) & (h.won_week >= first) & np.isfinite(h.amount)
    # How far weekly counts scattered around what their inflow predicted, in the weeks old enough
    # to have every lag's inflow in view: rates that move from week to week widen the bands.
    rates = np.array([s.alpha / (s.alpha + s.beta) for s in sources])
    opp_fit = opp_per_contact * sum(
        rates[g] * np.convolve(_cohort(h.lead_week, h.lead_group == g, first, n_weeks), pmf)[:n_weeks]
        for g in range(G + 1)
    )
    opp_dispersion = _dispersion(_cohort(h.opp_week, None, first, n_weeks), opp_fit, lead_flow, n_params=G + 2)
    won_fit = won_flow.rate * np.convolve(ocohort, won_flow.pmf)[:n_weeks]
    won_dispersion = _dispersion(_cohort(h.won_week, None, first, n_weeks), won_fit, won_flow, n_params=2)
    won_amounts = h.amount[won_seen] if h.has_amounts else np.zeros(0)
    # Pipeline draws from the opportunities created in the same window the rates are fitted on.
    in_window = (h.opp_week < T) & (h.opp_week >= first)
    opp_seen = in_window & np.isfinite(h.amount)
    opp_amounts = h.amount[opp_seen] if h.has_amounts else np.zeros(0)
    opp_without_amount = 1.0 - len(opp_amounts) / int(in_window.sum()) if len(opp_amounts) else 0.0

    return Forecaster(
        currency=h.currency,
        origin=pd.Timestamp(week_start(np.array([T]))[0]),
        origin_week=T,
        first_week=first,
        platforms=h.platforms,
        curves=curves,
        current_plan=current,
        max_weekly=max_weekly,
        dispersion=dispersion,
        organic=organic,
        sources=tuple(sources),
        lead_flow=lead_flow,
        won_flow=won_flow,
        opp_per_contact=opp_per_contact,
        opp_dispersion=opp_dispersion,
        won_dispersion=won_dispersion,
        funnel_leads=funnel,
        funnel_opps=funnel_opps,
        won_amounts=won_amounts,
        opp_amounts=opp_amounts,
        opp_without_amount=opp_without_amount,
        seed=seed,
        n_sims=int(n_sims),
        fit_notes=tuple(notes),
    )


# ---------------------------------------------------------------------------- plans


def default_plan(model) -> dict[str, float]:
    """The current plan: mean weekly spend per platform over the last 13 complete weeks.

    Weeks without spend count as zero (a paused platform lowers its average). Money is in the
    reporting currency.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> plan = default_plan(synthetic_model(3_000, 0, seed=1))
    >>> sorted(plan) == sorted(set(synthetic_model(3_000, 0, seed=1).spend["platform"]))
    True
    """
    h = _history(model)
    return _current_plan(h, h.end_week)


def _current_plan(h: _History, T: int) -> dict[str, float]:
    recent = h.spend[(h.spend["week"] >= T - BASELINE_WEEKS) & (h.spend["week"] < T)]
    n = min(BASELINE_WEEKS, T - h.first_week)
    return {pl: float(recent.loc[recent["platform"] == pl, "cost"].sum()) / n for pl in h.platforms}


def _plan_table(fc: Forecaster, plan, horizon: int, scale: float) -> tuple[np.ndarray, dict[str, float]]:
    """Planned spend as a (platforms × weeks) array, and the mean weekly spend per platform."""
    if isinstance(scale, bool) or not isinstance(scale, int | float | np.number) or not (scale >= 0):
        raise KpikitError("scale must be a number of at least 0", found=repr(scale), fix="e.g. scale=1.5")
    if not math.isfinite(float(scale)):
        raise KpikitError("scale must be a finite number", found=repr(scale), fix="e.g. scale=1.5")
    base = np.array([fc.current_plan[p] for p in fc.platforms], dtype="float64")
    weekly = np.repeat(base[:, None], horizon, axis=1)
    if plan is None:
        pass
    elif isinstance(plan, Mapping):
        _check_platforms(fc, list(plan))
        for name, value in plan.items():
            v = _money_value(value, name)
            weekly[fc.platforms.index(str(name)), :] = v
    elif isinstance(plan, pd.DataFrame):
        weekly = _weekly_plan(fc, plan, horizon, weekly)
    else:
        raise KpikitError(
            "a plan is a mapping of platform to weekly spend, or a weekly table",
            found=type(plan).__name__,
            fix="e.g. plan={'linkedin': 5000}",
        )
    weekly = weekly * float(scale)
    shown = {p: float(weekly[i].mean()) for i, p in enumerate(fc.platforms)}
    return weekly, shown


def _money_value(value: Any, name: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not math.isfinite(float(value)):
        raise KpikitError(
            f"planned spend for {name!r} must be a number",
            found=repr(value),
            fix="write the weekly spend in the reporting currency, e.g. 2500",
        )
    if value < 0:
        raise KpikitError(f"planned spend for {name!r} cannot be negative", found=repr(value), fix="use 0 to pause it")
    return float(value)


def _check_platforms(fc: Forecaster, names: list) -> None:
    bad = [n for n in names if str(n) not in fc.platforms]
    if bad:
        raise KpikitError(
            "the plan names a platform without spend in the history",
            expected=f"one of {list(fc.platforms)}",
            found=repr(bad[0]),
            fix="use the platform names of the spend exports",
        )


def _weekly_plan(fc: Forecaster, table: pd.DataFrame, horizon: int, weekly: np.ndarray) -> np.ndarray:
    """A weekly table: long (``platform``, ``week``, ``spend`` or ``cost``) or wide (a column per platform)."""
    out = weekly.copy()
    if "platform" in table.columns:
        money = "spend" if "spend" in table.columns else "cost"
        if money not in table.columns or "week" not in table.columns:
            raise KpikitError(
                "a long weekly plan needs the columns platform, week and spend",
                found=repr(list(table.columns)),
                fix="add the missing column",
            )
        _check_platforms(fc, table["platform"].astype(str).unique().tolist())
        weeks = table["week"]
        if pd.api.types.is_datetime64_any_dtype(weeks):
            pos = week_index(weeks.to_numpy()) - fc.origin_week
        else:
            pos = weeks.to_numpy(dtype=np.int64)
        for pl, w, v in zip(table["platform"].astype(str), pos, table[money], strict=True):
            if 0 <= w < horizon:
                out[fc.platforms.index(pl), int(w)] = _money_value(v, pl)
        return out
    _check_platforms(fc, [c for c in table.columns if c != "week"])
    for c in table.columns:
        if c == "week":
            continue
        vals = [_money_value(v, c) for v in table[c].tolist()[:horizon]]
        row = out[fc.platforms.index(str(c))]
        row[: len(vals)] = vals
        if len(vals) < horizon and len(vals):
            row[len(vals) :] = vals[-1]  # the last planned week carries on
    return out


# ---------------------------------------------------------------------------- simulate


def _gamma_poisson(rng, mean: np.ndarray, phi: float) -> np.ndarray:
    """Counts with mean ``mean`` and variance ``phi · mean`` (Poisson when ``phi`` is 1)."""
    mean = np.maximum(mean, 0.0)
    if phi > 1.0 + 1e-9:
        lam = rng.gamma(np.maximum(mean / (phi - 1.0), 1e-12), phi - 1.0)
        lam = np.where(mean > 0, lam, 0.0)
    else:
        lam = mean
    return rng.poisson(lam).astype("float64")


#: Above this many deals in a simulated week, their amounts' sum is drawn from its normal limit.
_EXACT_DEALS = 30


def _deal_sums(rng, deals: np.ndarray, amounts: np.ndarray) -> np.ndarray:
    """Each simulated week's deals, each worth an amount drawn from ``amounts`` (NaN when there are none).

    Revenue: won deals and the amounts of won deals; pipeline: opportunities and theirs.
    """
    if not len(amounts):
        return np.full(deals.shape, np.nan)
    n = deals.astype(np.int64)
    out = np.zeros(deals.shape)
    few = n <= _EXACT_DEALS
    k = np.where(few, n, 0).ravel()
    if k.sum():
        draws = rng.choice(amounts, size=int(k.sum()), replace=True)
        cell = np.repeat(np.arange(k.size), k)
        out += np.bincount(cell, weights=draws, minlength=k.size).reshape(deals.shape)
    if (~few).any():
        # Many deals: the sum of n draws is n·mean ± sqrt(n)·sd (a large client's week, in microseconds).
        m = n[~few].astype("float64")
        mu, sd = float(amounts.mean()), float(amounts.std())
        out[~few] = np.maximum(m * mu + np.sqrt(m) * sd * rng.standard_normal(m.shape), 0.0)
    return out


def _simulate(fc: Forecaster, weekly: np.ndarray, shown: dict[str, float], H: int) -> ForecastResult:
    rng = np.random.default_rng(fc.seed)
    S = fc.n_sims
    G = len(fc.platforms)
    leads = np.zeros((S, G + 1, H))
    for i, pl in enumerate(fc.platforms):
        curve = fc.curves.get(pl)
        if curve is None:
            continue
        j = rng.integers(0, len(curve.draws), S)
        a = curve.draws[j, 0][:, None]
        b = curve.draws[j, 1][:, None]
        x = weekly[i][None, :]
        mu = a * x if curve.method == "linear" else a * (1.0 - np.exp(-x / b))
        leads[:, i, :] = _gamma_poisson(rng, mu, fc.dispersion[pl])
    shape, rate, phi = fc.organic
    lam = rng.gamma(shape, 1.0 / rate, S)[:, None] * np.ones((1, H))
    leads[:, G, :] = _gamma_poisson(rng, lam, phi)
    p = np.column_stack([rng.beta(s.alpha, s.beta, S) for s in fc.sources])  # S × groups
    pmf = fc.lead_flow.pmf
    ratio = fc.opp_per_contact
    new_opp = convolve_lags(leads, pmf, H) * p[:, :, None] * ratio  # S × groups × H
    old_opp = fc.funnel_leads[None, :, :H] * p[:, :, None] * ratio
    opp_mean = {
        "paid": new_opp[:, :G].sum(axis=1),
        "organic": new_opp[:, G],
        "in funnel": old_opp.sum(axis=1),
    }
    opps = _gamma_poisson(rng, opp_mean["paid"] + opp_mean["organic"] + opp_mean["in funnel"], fc.opp_dispersion)
    a_w, b_w = _flow_beta(fc.won_flow)
    pw = rng.beta(a_w, b_w, S)[:, None]
    rho = fc.won_flow.pmf
    won_mean_new = convolve_lags(opps, rho, H) * pw
    won_mean_old = fc.funnel_opps[None, :H] * pw
    won = _gamma_poisson(rng, won_mean_new + won_mean_old, fc.won_dispersion)
    revenue = _deal_sums(rng, won, fc.won_amounts)
    # A stream of its own: adding pipeline leaves every draw of the stages before it as it was.
    pipeline = _deal_sums(np.random.default_rng([fc.seed, 1]), opps, fc.opp_amounts)
    sims = {LEAD: leads.sum(axis=1), OPPORTUNITY: opps, WON: won, "revenue": revenue, "pipeline": pipeline}
    weeks = pd.to_datetime(week_start(fc.origin_week + np.arange(H))).astype("datetime64[us]")
    stats = np.full((len(FORECAST_STAGES), 5, H), np.nan)  # stage × (mean, low95, low80, high80, high95) × week
    for i, stage in enumerate(FORECAST_STAGES):
        x = sims[stage]
        if np.isnan(x).all():
            continue
        # Counts are whole numbers: spread each simulated count over its unit interval so a band's
        # ends are not pushed out to whole numbers (which would make an 80 % band hold ~90 %).
        smooth = x if kind_of(stage) == "money" else x + rng.uniform(-0.5, 0.5, x.shape)
        stats[i, 0] = x.mean(axis=0)
        stats[i, 1:] = np.maximum(np.quantile(smooth, _Q, axis=0), 0.0)
    n_st = len(FORECAST_STAGES)
    frame = pd.DataFrame(
        {
            "week": np.tile(weeks, n_st),
            "stage": np.repeat(FORECAST_STAGES, H),
            "mean": stats[:, 0].ravel(),
            "low80": stats[:, 2].ravel(),
            "high80": stats[:, 3].ravel(),
            "low95": stats[:, 1].ravel(),
            "high95": stats[:, 4].ravel(),
        }
    )
    # Expected values by where they come from: new paid leads, organic leads, what is already in the funnel.
    mean_amount = float(fc.won_amounts.mean()) if len(fc.won_amounts) else np.nan
    mean_opp_amount = float(fc.opp_amounts.mean()) if len(fc.opp_amounts) else np.nan
    won_parts = {part: convolve_lags(opp_mean[part], rho, H) * pw for part in _PARTS}
    won_parts["in funnel"] = won_parts["in funnel"] + won_mean_old
    by_stage = {
        LEAD: [leads[:, :G].sum(axis=1).mean(axis=0), leads[:, G].mean(axis=0), np.zeros(H)],
        OPPORTUNITY: [opp_mean[part].mean(axis=0) for part in _PARTS],
        WON: [won_parts[part].mean(axis=0) for part in _PARTS],
    }
    by_stage["revenue"] = [m * mean_amount for m in by_stage[WON]]
    by_stage["pipeline"] = [m * mean_opp_amount for m in by_stage[OPPORTUNITY]]
    parts_frame = pd.DataFrame(
        {
            "week": np.tile(weeks, n_st * len(_PARTS)),
            "stage": np.repeat(FORECAST_STAGES, H * len(_PARTS)),
            "part": np.tile(np.repeat(_PARTS, H), n_st),
            "mean": np.concatenate([m for stage in FORECAST_STAGES for m in by_stage[stage]]),
        }
    )
    warnings = list(fc.fit_notes)
    extrapolated = tuple(p for p in fc.platforms if weekly[fc.platforms.index(p)].max() > fc.max_weekly[p] + 1e-9)
    for pl in extrapolated:
        i = fc.platforms.index(pl)
        warnings.append(
            f"Planned spend on {_words(pl)} ({fmt(weekly[i].max(), 'money', fc.currency)} a week) is above the "
            f"highest week observed ({fmt(fc.max_weekly[pl], 'money', fc.currency)}); extrapolated: no evidence "
            "that the response curve holds there."
        )
    won_lag = fc.won_flow.lag_quantile(0.5) + fc.lead_to_opportunity_weeks
    if won_lag >= H:
        warnings.append(
            f"A lead usually takes about {fmt(won_lag * 7, 'days')} to become a won deal: over "
            f"{H} weeks the won deals come mostly from opportunities already open."
        )
    warnings.extend(fc.amount_notes)
    return ForecastResult(
        frame=frame,
        currency=fc.currency,
        notes=tuple(warnings),
        plan=shown,
        extrapolated=extrapolated,
        warnings=warnings,
        horizon_weeks=H,
        origin=fc.origin,
        parts=parts_frame,
        max_weekly=dict(fc.max_weekly),
        current_plan=dict(fc.current_plan),
    )


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False, kw_only=True)
class ForecastResult(Result):
    """A forecast: ``frame`` has ``week, stage, mean, low80, high80, low95, high95``.

    Attributes
    ----------
    plan : dict of str to float
        Mean planned weekly spend per platform (reporting currency).
    extrapolated : tuple of str
        Platforms whose planned weekly spend exceeds the highest week observed.
    warnings : list of str
        Sentences for the client (also the result's ``notes``).
    parts : DataFrame
        ``week, stage, part, mean``: expected values from new paid leads, organic leads and
        what is already in the funnel.
    """

    view: ClassVar[str] = "forecast"
    title: ClassVar[str] = "Forecast if the plan holds"

    plan: dict[str, float]
    extrapolated: tuple[str, ...]
    warnings: list[str]
    horizon_weeks: int
    origin: pd.Timestamp
    parts: pd.DataFrame
    max_weekly: dict[str, float] = field(default_factory=dict)
    current_plan: dict[str, float] = field(default_factory=dict)

    def total(self, stage: str, column: str = "mean") -> float:
        """``column`` summed over the horizon for ``stage`` (a band's sum is not a band: means only).

        NaN when the stage is not forecast (pipeline and revenue without deal amounts), never 0.
        """
        return float(self.frame.loc[self.frame["stage"] == stage, column].sum(min_count=1))

    def wide(self) -> pd.DataFrame:
        """Mean per week with one column per stage."""
        return self.frame.pivot(index="week", columns="stage", values="mean").reindex(columns=list(FORECAST_STAGES))

    def plan_frame(self) -> pd.DataFrame:
        """Per platform: planned and current weekly spend, the highest week observed, and the flag."""
        rows = [
            {
                "platform": p,
                "planned_weekly": v,
                "current_weekly": self.current_plan.get(p, np.nan),
                "highest_week": self.max_weekly.get(p, np.nan),
                "extrapolated": "extrapolated: no evidence" if p in self.extrapolated else "",
            }
            for p, v in self.plan.items()
        ]
        return pd.DataFrame(rows)

    def _extra(self) -> dict[str, Any]:
        return {
            "horizon_weeks": self.horizon_weeks,
            "origin": self.origin,
            "plan": self.plan,
            "extrapolated": list(self.extrapolated),
            "warnings": list(self.warnings),
            "parts": records(self.parts),
        }

    def _repr_html_(self) -> str:
        cur = self.currency
        parts = [f'<div class="kpikit-result kpikit-{self.view}">']
        parts.append(f"<h4>{html.escape(self.title)} ({html.escape(cur)})</h4>")
        plan = self.plan_frame()
        kinds = {"planned_weekly": "money", "current_weekly": "money", "highest_week": "money"}
        headers = {
            "planned_weekly": "planned a week",
            "current_weekly": "last 13 weeks",
            "highest_week": "highest week",
            "extrapolated": "",
        }
        parts.append(html_table(plan, kinds=kinds, headers=headers, currency=cur))
        table = pd.DataFrame({"week": self.frame.loc[self.frame["stage"] == LEAD, "week"].to_numpy()})
        for stage in FORECAST_STAGES:
            f = self.frame[self.frame["stage"] == stage]
            kind = "money" if kind_of(stage) == "money" else "number"
            table[stage] = [
                f"{fmt(m, kind, cur)} ({fmt(lo, kind, cur)} – {fmt(hi, kind, cur)})"
                for m, lo, hi in zip(f["mean"], f["low80"], f["high80"], strict=True)
            ]
        parts.append("<h5>Per week: expected (80% interval)</h5>")
        heads = {
            s: ("won deals" if s == WON else "opportunities" if s == OPPORTUNITY else s + "s" if s == LEAD else s)
            for s in FORECAST_STAGES
        }
        parts.append(html_table(table, headers=heads, max_rows=110))
        if self.warnings:
            items = "".join(f"<li>{html.escape(n)}</li>" for n in self.warnings)
            parts.append(f'<ul class="kpikit-notes">{items}</ul>')
        parts.append("</div>")
        return "".join(parts)

    def chart(self):
        import altair as alt  # altair costs ~1 s to import: only when a chart is drawn

        f = self.frame[self.frame["stage"].isin([OPPORTUNITY, WON])]
        base = alt.Chart(f).encode(x=alt.X("week:T", title="week"))
        band = base.mark_area(opacity=0.25).encode(y="low80:Q", y2="high80:Q")
        line = base.mark_line().encode(y=alt.Y("mean:Q", title="per week"))
        return (band + line).facet(row=alt.Row("stage:N", title=None)).resolve_scale(y="independent")


# ---------------------------------------------------------------------------- public entry


def forecast(
    model, plan=None, horizon_weeks: int = 13, *, scale: float = 1.0, seed: int = 0, n_sims: int = N_SIMS
) -> ForecastResult:
    """Forecast leads, opportunities, won deals, revenue and pipeline per week if a spend plan holds.

    Parameters
    ----------
    model : ClientModel
    plan : None, mapping or DataFrame
        None: every platform keeps its mean weekly spend of the last 13 complete weeks.
        A mapping ``{platform: weekly spend}`` sets those platforms (the others keep the
        current plan). A weekly table sets spend week by week: long (``platform``, ``week``
        as 0-based week of the horizon or a date, ``spend``) or wide (a column per platform,
        one row per week; the last row carries on). Money in the reporting currency.
    horizon_weeks : int
        Weeks to forecast, from the first week the data does not fully cover.
    scale : float
        Multiplies the plan (2.0: twice the spend everywhere; 0: stop all paid spend).
    seed : int
        Seed of every random draw: the same seed gives the same forecast.
    n_sims : int
        Simulations (more: smoother bands, slower).

    Returns
    -------
    ForecastResult

    Raises
    ------
    KpikitError
        when the model has no contacts, too little history, or the plan names an unknown
        platform or a negative spend.
    """
    return fit_forecast(model, seed=seed, n_sims=n_sims).forecast(plan, horizon_weeks, scale=scale)


# ---------------------------------------------------------------------------- backtest


@dataclass(frozen=True, eq=False, kw_only=True)
class BacktestResult(Result):
    """Rolling-origin accuracy: ``frame`` has one row per origin and forecast week.

    Columns: ``origin, week, step, actual, mean, low80, high80, low95, high95, baseline``.
    """

    view: ClassVar[str] = "backtest"
    title: ClassVar[str] = "Backtest: forecasts against what happened"

    stage: str
    origins: int
    wape: float
    baseline_wape: float
    coverage80: float
    coverage95: float

    def summary(self) -> dict[str, Any]:
        """The figures the CLI prints under ``"backtest"``."""
        return json_safe(
            {
                "stage": self.stage,
                "origins": self.origins,
                "wape": self.wape,
                "baseline_wape": self.baseline_wape,
                "coverage80": self.coverage80,
                "coverage95": self.coverage95,
            }
        )

    def sentence(self) -> str:
        """One sentence on the accuracy, for the report.

        Examples
        --------
        >>> import pandas as pd
        >>> BacktestResult(frame=pd.DataFrame(), stage="opportunity", origins=12, wape=0.18, baseline_wape=0.27,
        ...                coverage80=0.81, coverage95=0.96).sentence()  # doctest: +NORMALIZE_WHITESPACE
        "Tested from 12 past starting points, the weekly opportunity forecast was off by 18.0% of the actual
        total (better than repeating the last 13 weeks' average, 27.0%); 81.0% of actual weeks fell inside
        the 80% band and 96.0% inside the 95% band."
        """
        if not self.origins:
            return "There is too little history to test the forecast against what happened."
        better = "better than" if self.wape < self.baseline_wape else "no better than"
        return (
            f"Tested from {self.origins} past starting points, the weekly {_STAGE_WORD[self.stage]} forecast was off by "
            f"{fmt(self.wape, 'rate')} of the actual total ({better} repeating the last 13 weeks' average, "
            f"{fmt(self.baseline_wape, 'rate')}); {fmt(self.coverage80, 'rate')} of actual weeks fell inside "
            f"the 80% band and {fmt(self.coverage95, 'rate')} inside the 95% band."
        )

    def _extra(self) -> dict[str, Any]:
        return self.summary()


def backtest(
    model,
    *,
    stage: str = OPPORTUNITY,
    every_weeks: int = 4,
    min_history_weeks: int = 12,
    horizon_weeks: int = 13,
    seed: int = 0,
    n_sims: int = 1_000,
) -> BacktestResult:
    """Forecast from past origins with only the data before each one, and compare with what happened.

    Origins start once ``min_history_weeks`` complete weeks exist and repeat every
    ``every_weeks``; each forecasts up to ``horizon_weeks`` weeks that the data covers. The plan
    of each forecast is the spend that actually happened (the test is of the model, not of the
    plan). A week's actual count is final once the week is over (every stage is dated by its own
    event); what the fit sees is only what was recorded before the origin, so leads whose
    opportunity came later count as still maturing. The baseline repeats the mean of the 13
    weeks before the origin.

    Parameters
    ----------
    model : ClientModel
    stage : {"lead", "opportunity", "won", "revenue", "pipeline"}
    every_weeks, min_history_weeks, horizon_weeks : int
    seed, n_sims : int

    Returns
    -------
    BacktestResult
        ``wape`` = Σ|actual − mean| / Σ actual over every origin and week; ``baseline_wape``
        the same for the baseline; ``coverage80`` / ``coverage95`` the share of actual weeks
        inside each interval.

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> bt = backtest(synthetic_model(3_000, 0, seed=1), n_sims=200)
    >>> bt.origins >= 1 and 0 <= bt.coverage80 <= 1
    True
    """
    if stage not in FORECAST_STAGES:
        raise KpikitError(
            "unknown forecast stage",
            expected=f"one of {list(FORECAST_STAGES)}",
            found=repr(stage),
            fix="stage='opportunity'",
        )
    h = _history(model)
    end = h.end_week
    rows = []
    actual_all = _weekly_actuals(h, np.arange(h.first_week, end))
    series = dict(zip(actual_all["week"].to_numpy(), actual_all[stage].to_numpy(), strict=True))
    origins = list(range(h.first_week + int(min_history_weeks), end, int(every_weeks)))
    used = 0
    for T in origins:
        H = min(int(horizon_weeks), end - T)
        if H < 1:
            continue
        fc = _fit(h, T, seed=seed, n_sims=n_sims)
        spend = h.spend[(h.spend["week"] >= T) & (h.spend["week"] < T + H)]
        table = pd.DataFrame({"platform": spend["platform"], "week": spend["week"] - T, "spend": spend["cost"]})
        table = table[table["platform"].isin(fc.platforms)]
        # Weeks without a spend row had no spend: the plan is zero there.
        zero = pd.DataFrame({p: np.zeros(H) for p in fc.platforms})
        plan = zero.copy()
        for r in table.itertuples(index=False):
            plan.loc[int(r.week), r.platform] = float(r.spend)
        res = fc.forecast(plan, H)
        f = res.frame[res.frame["stage"] == stage].reset_index(drop=True)
        prev = [series.get(w, 0.0) for w in range(max(h.first_week, T - BASELINE_WEEKS), T)]
        base = float(np.mean(prev)) if prev else np.nan
        actual = np.array([series.get(T + i, 0.0) for i in range(H)])
        f = f.assign(origin=pd.Timestamp(week_start(np.array([T]))[0]), step=np.arange(H), actual=actual, baseline=base)
        rows.append(f)
        used += 1
    cols = ["origin", "week", "step", "actual", "mean", "low80", "high80", "low95", "high95", "baseline"]
    frame = pd.concat(rows, ignore_index=True)[cols] if rows else pd.DataFrame(columns=cols)
    a = frame["actual"].to_numpy(dtype="float64")
    total = a.sum()
    wape = float(np.abs(a - frame["mean"].to_numpy(dtype="float64")).sum() / total) if total > 0 else np.nan
    bw = float(np.abs(a - frame["baseline"].to_numpy(dtype="float64")).sum() / total) if total > 0 else np.nan
    inside80 = (a >= frame["low80"].to_numpy(dtype="float64")) & (a <= frame["high80"].to_numpy(dtype="float64"))
    inside95 = (a >= frame["low95"].to_numpy(dtype="float64")) & (a <= frame["high95"].to_numpy(dtype="float64"))
    n = len(frame)
    return BacktestResult(
        frame=frame,
        currency=h.currency,
        stage=stage,
        origins=used,
        wape=wape,
        baseline_wape=bw,
        coverage80=float(inside80.mean()) if n else np.nan,
        coverage95=float(inside95.mean()) if n else np.nan,
    )
