"""Precompute: reduce a ClientModel once to the small cube every explorer reads.

A workshop interaction must answer in milliseconds, so nothing here runs per
click. :func:`precompute` asks the engine once for its weekly segment table
(:func:`kpikit.analysis.segments.segment_table` by platform, campaign and ad
group) and keeps:

``facts``
    one row per ``platform × campaign × audience × week`` with ``impressions``,
    ``clicks``, ``cost``, ``engagements``, the outcome counts ``lead``,
    ``mql``, ``sql``, ``opportunity``, ``won``, ``key_account`` and the money
    ``pipeline`` and ``revenue``.
``audiences``
    one row per audience (ad group name) of paid delivery, with its
    retargeting window in days (see :func:`parse_window`) and its totals.
``campaigns``
    the engine's per-campaign table (exact distinct key accounts, which do
    not add up over audiences).

:func:`forecast_grid` does the same for the "Plan next quarter" explorer: it fits the
engine's forecast once and simulates each platform on a grid of weekly spends
(:class:`ForecastGrid`), so a slider move only interpolates and adds up.

How outcomes reach a segment (campaign matching, stage rules, deals, key
accounts, cohort weeks) is the engine's rule, documented in
:mod:`kpikit.analysis.segments`; the workshop never re-derives it. Outcomes
with no paid campaign sit under platform ``"(unattributed)"`` and are
counted in :attr:`Cube.reconciliation`, never dropped. ``key_account`` summed
over audiences counts account-audience pairs (an account reached through two
audiences counts twice); per-campaign figures use the exact table.

Examples
--------
>>> from kpikit.explore.precompute import parse_window
>>> parse_window("Retargeting - clicked 14d"), parse_window("Lookalike 1%")
(14.0, inf)
"""

from __future__ import annotations

import math
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from kpikit.core.measures import REAL_OUTCOMES
from kpikit.core.money import to_reporting_currency
from kpikit.core.names import NOT_SET, UNATTRIBUTED
from kpikit.model import n_rows

__all__ = [
    "DELIVERY_COLUMNS",
    "VALUE_COLUMNS",
    "Cube",
    "precompute",
    "remember",
    "parse_window",
    "ForecastGrid",
    "forecast_grid",
]

DELIVERY_COLUMNS: tuple[str, ...] = ("impressions", "clicks", "cost", "engagements")
#: Every summed column of the cube: delivery, the outcome counts (:data:`~kpikit.core.measures.REAL_OUTCOMES`),
#: then the money the outcomes bring.
VALUE_COLUMNS: tuple[str, ...] = (*DELIVERY_COLUMNS, *REAL_OUTCOMES, "pipeline", "revenue")

# The retargeting-window rule. An audience is a retargeting audience of N days
# when its name says "clicked|visited|engaged|viewed|retarget..." and a number
# of days: "Retargeting - clicked 7d", "clicked in last 30 days", "RT 14 days".
# Anything else (prospecting, lookalikes, interests) has an infinite window.
_WINDOW = re.compile(r"(?<![\d.])(\d{1,3})\s*(?:d|days?|day)\b", re.IGNORECASE)
_RETARGET_WORDS = re.compile(r"retarget|remarket|clicked|visited|engaged|viewed|\bRT\b", re.IGNORECASE)


def parse_window(audience: str | None) -> float:
    """Retargeting window in days parsed from an audience (ad group) name.

    Rule: the name must mention retargeting (``retarget``, ``remarket``,
    ``clicked``, ``visited``, ``engaged``, ``viewed`` or ``RT``) and a number
    of days (``7d``, ``14 days``, ``30 day``). The window is that number. Any
    other audience is *prospecting* and gets ``inf``: it is kept only when the
    explorer shows every audience.

    Parameters
    ----------
    audience : str or None
        The ad group / audience name.

    Returns
    -------
    float
        Days, or ``math.inf``.

    Examples
    --------
    >>> parse_window("Retargeting - clicked 7d")
    7.0
    >>> parse_window("Website visitors, last 90 days (remarketing)")
    90.0
    >>> parse_window("Prospecting - 30d lookalike")  # a number of days but no retargeting word
    inf
    """
    if not isinstance(audience, str) or not _RETARGET_WORDS.search(audience):
        return math.inf
    m = _WINDOW.search(audience)
    return float(m.group(1)) if m else math.inf


@dataclass(frozen=True, eq=False)
class AudienceArrays:
    """Audience totals as arrays: ``values[i, j]`` is audience ``i``'s ``columns[j]``."""

    names: np.ndarray
    window: np.ndarray
    values: np.ndarray
    columns: tuple[str, ...]
    ctr: np.ndarray
    ctr_order: np.ndarray
    reach_order: np.ndarray

    @classmethod
    def from_frame(cls, aud: pd.DataFrame) -> AudienceArrays:
        names = aud["audience"].to_numpy(dtype=object)
        values = aud[list(VALUE_COLUMNS)].to_numpy(dtype="float64")
        imp = values[:, VALUE_COLUMNS.index("impressions")]
        clicks = values[:, VALUE_COLUMNS.index("clicks")]
        ctr = np.divide(clicks, imp, out=np.full(len(aud), np.nan), where=imp > 0)
        # best CTR first; ties: more impressions, then name; no impressions last
        order = np.lexsort((names.astype(str), -imp, -np.nan_to_num(ctr, nan=-1.0)))
        reach = np.lexsort((names.astype(str), -imp))
        return cls(names, aud["window_days"].to_numpy(dtype="float64"), values, VALUE_COLUMNS, ctr, order, reach)

    def col(self, name: str) -> np.ndarray:
        return self.values[:, self.columns.index(name)]

    def total(self, mask: np.ndarray | None = None) -> dict[str, float]:
        v = self.values if mask is None else self.values[mask]
        return dict(zip(self.columns, v.sum(axis=0).tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class Cube:
    """The small, precomputed view of one client that the explorers aggregate.

    Attributes
    ----------
    facts : DataFrame
        ``platform, campaign, audience, week`` plus value columns (see module doc).
    audiences : DataFrame
        Per audience: ``audience, window_days, paid`` and totals.
    currency : str
        Reporting currency of every money column.
    real_outcome : str
        The client's configured real outcome (e.g. ``"opportunity"``).
    client : str
        Client id (``"client"`` when the model has no config).
    base_dir : str or None
        The client's folder (snapshots go to ``<base_dir>/snapshots``).
    kpis : dict
        Role -> KPI from the client config.
    reconciliation : dict
        Rows and money in vs placed, and what could not be placed.
    summaries : dict
        ``"platform"`` / ``"campaign"`` -> segments whose spend rows are totals longer than a
        week (monthly, quarterly exports), with the longest row in days
        (:func:`kpikit.analysis.response.summary_segments`): no weekly history.
    touchpoints : int
        Touchpoint rows in the model (attribution needs some).
    model : ClientModel or None
        The model the cube came from, for engine calls made once at start-up.
    """

    facts: pd.DataFrame
    audiences: pd.DataFrame
    currency: str
    real_outcome: str = "opportunity"
    client: str = "client"
    base_dir: str | None = None
    kpis: dict[str, str] = field(default_factory=dict)
    reconciliation: dict[str, Any] = field(default_factory=dict)
    measured: tuple[str, ...] = VALUE_COLUMNS
    campaigns: pd.DataFrame | None = None
    summaries: dict[str, dict[str, int]] = field(default_factory=dict)
    touchpoints: int = 0
    model: Any = field(default=None, repr=False)
    # Derived views, built on first use and kept: interactions then only index arrays.
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def _memo(self, key: str, build):
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    @property
    def paid(self) -> pd.DataFrame:
        """Facts of paid delivery only (platform known, impressions or cost recorded)."""
        return self._memo("paid", lambda: self.facts[self.facts["platform"] != UNATTRIBUTED])

    def paid_totals(self) -> dict[str, float]:
        """Every value column summed over paid delivery."""

        def build():
            s = self.paid[list(VALUE_COLUMNS)].sum()
            return {c: float(s[c]) for c in VALUE_COLUMNS}

        return self._memo("paid_totals", build)

    def campaign_totals(self) -> pd.DataFrame:
        """Paid totals per campaign; ``key_account`` is the engine's exact distinct count."""

        def build():
            g = self.totals("campaign", facts=self.paid)
            if self.campaigns is not None and "key_account" in self.campaigns:
                exact = self.campaigns.set_index("campaign")["key_account"]
                g["key_account"] = g["campaign"].map(exact).fillna(0.0).to_numpy(dtype="float64")
            return g

        return self._memo("campaign_totals", build)

    def audience_arrays(self) -> AudienceArrays:
        """The audiences as numpy arrays, with their CTR order (best first) precomputed."""
        return self._memo("audience_arrays", lambda: AudienceArrays.from_frame(self.audiences))

    def totals(self, by: str | list[str] | None = None, facts: pd.DataFrame | None = None) -> pd.DataFrame:
        """Sum the value columns, optionally grouped (``by`` one or more key columns)."""
        f = self.facts if facts is None else facts
        if by is None:
            return f[list(VALUE_COLUMNS)].sum().to_frame().T
        return f.groupby(by, sort=True, observed=True)[list(VALUE_COLUMNS)].sum().reset_index()


# Cubes are cached per model object so several explorers on one model
# precompute once. Keyed by id with a weakref so a dropped model frees its cube.
_CACHE: dict[int, tuple[weakref.ref, Cube]] = {}


def precompute(model: Any) -> Cube:
    """Reduce a :class:`~kpikit.model.ClientModel` to a :class:`Cube` (cached per model).

    Parameters
    ----------
    model : ClientModel or Cube
        A cube is returned unchanged.

    Returns
    -------
    Cube

    Raises
    ------
    CurrencyError
        when spend or deals hold a currency the config has no rate for.

    Examples
    --------
    >>> from kpikit.explore.precompute import precompute
    >>> from kpikit.samples import synthetic_model
    >>> cube = precompute(synthetic_model(2_000, 6_000, seed=1))
    >>> rec = cube.reconciliation
    >>> round(rec["cost_in"], 2) == round(rec["cost_placed"], 2)
    True
    >>> rec["contacts_in"] == rec["leads_placed"] + rec["leads_unattributed"]  # every contact is a lead
    True
    """
    if isinstance(model, Cube):
        return model
    hit = _CACHE.get(id(model))
    if hit is not None and hit[0]() is model:
        return hit[1]
    return remember(model, _build(model))


def remember(model: Any, cube: Cube) -> Cube:
    """Keep ``cube`` as ``model``'s precomputed cube (e.g. one built in another process); returns it."""
    key = id(model)
    try:
        _CACHE[key] = (weakref.ref(model, lambda _r, k=key, c=_CACHE: c.pop(k, None)), cube)
    except TypeError:  # not weak-referenceable: just do not cache
        pass
    return cube


def _build(model: Any) -> Cube:
    # Models built in memory may mix currencies; loaded ones are converted already (then no copy).
    model = to_reporting_currency(model)
    # The engine owns how outcomes reach a segment (campaign-name matching,
    # stage rules, deals, key accounts): take its weekly segment table as is.
    from kpikit.analysis.segments import segment_table

    config = getattr(model, "config", None)
    seg = segment_table(model, by=["platform", "campaign", "ad_group"], period="W")
    facts = pd.DataFrame(
        {
            "platform": seg["platform"].astype("str"),
            "campaign": seg["campaign"].astype("str"),
            "audience": seg["ad_group"].astype("str"),
            "week": pd.to_datetime(seg["period"].where(seg["period"] != NOT_SET), format="%Y-%m-%d").astype(
                "datetime64[us]"
            ),
        }
    )
    measured = tuple(c for c in VALUE_COLUMNS if seg[c].notna().any())
    for c in VALUE_COLUMNS:
        facts[c] = seg[c].fillna(0.0).astype("float64").to_numpy()
    # An ad group the spend export did not name is still an audience: its campaign's.
    facts.loc[facts["audience"] == NOT_SET, "audience"] = facts["campaign"]
    facts.loc[facts["platform"] == NOT_SET, "platform"] = UNATTRIBUTED

    paid = facts[facts["platform"] != UNATTRIBUTED]
    audiences = paid.groupby("audience", observed=True)[list(VALUE_COLUMNS)].sum().reset_index()
    audiences.insert(1, "window_days", [parse_window(a) for a in audiences["audience"]])
    audiences = audiences.sort_values(["window_days", "audience"], ascending=[False, True]).reset_index(drop=True)
    # Distinct key accounts are not additive over segments: take them per campaign from the engine.
    campaigns = segment_table(model, by="campaign")

    cost_in = float(model.spend["cost"].astype("float64").fillna(0.0).sum())
    recon = {
        "spend_rows_in": len(model.spend),
        "cost_in": cost_in,
        "cost_placed": float(facts["cost"].sum()),
        "contacts_in": len(model.contacts),
        "leads_placed": float(paid["lead"].sum()),
        "leads_unattributed": float(facts.loc[facts["platform"] == UNATTRIBUTED, "lead"].sum()),
        "deals_in": len(model.deals),
        "opportunities_placed": float(paid["opportunity"].sum()),
        "opportunities_unattributed": float(facts.loc[facts["platform"] == UNATTRIBUTED, "opportunity"].sum()),
    }
    from kpikit.analysis.response import summary_segments

    summaries = {by: summary_segments(model.spend, by=by) for by in ("platform", "campaign")}
    base_dir = getattr(config, "base_dir", None)
    currency = getattr(config, "currency", None) or (
        str(model.spend["currency"].dropna().iloc[0]) if model.spend["currency"].notna().any() else "USD"
    )
    return Cube(
        facts=facts,
        audiences=audiences,
        currency=currency,
        real_outcome=getattr(getattr(config, "funnel", None), "real_outcome", "opportunity"),
        client=getattr(config, "client", "client"),
        base_dir=None if base_dir is None else str(base_dir),
        kpis=dict(getattr(config, "kpis", {}) or {}),
        reconciliation=recon,
        measured=measured,
        campaigns=campaigns,
        summaries=summaries,
        touchpoints=n_rows(model, "touchpoints"),
        model=model,
    )


# --------------------------------------------------------------------------- forecast grid

#: Simulations behind the workshop's forecast (the report's forecast uses the engine's default).
FORECAST_SIMS = 1_000
#: Spend points per platform the lead paths are simulated at (linear interpolation between them).
FORECAST_POINTS = 31
#: Deals per simulated week whose amounts are drawn one by one; above it, the sum's normal limit.
_AMOUNT_CAP = 32
#: Means below this are counted by their exact distribution; above it the normal limit is used.
_SMALL_MEAN = 40.0


def _count_quantile(u: np.ndarray, z: np.ndarray, mean: np.ndarray, phi: float = 1.0) -> np.ndarray:
    """The ``u``-quantile of a count with mean ``mean`` and variance ``phi * mean``.

    Poisson when ``phi`` is 1, negative binomial (the engine's gamma-Poisson) above. One
    uniform ``u`` per cell, reused for every mean: a count then moves monotonically with its
    mean, so counts simulated at two spends can be interpolated between (common random
    numbers). Small means walk the exact CDF; large ones take ``mean + sqrt(phi mean) z``
    (``z`` is ``u``'s normal quantile).
    """
    mean = np.maximum(np.asarray(mean, dtype="float64"), 0.0)
    out = np.maximum(np.floor(mean + np.sqrt(phi * mean) * z + 0.5), 0.0)
    small = mean < _SMALL_MEAN
    if not small.any():
        return out
    m, us = mean[small], u[small]
    if phi > 1.0 + 1e-9:
        r, q = m / (phi - 1.0), 1.0 / phi
        p = q**r
        step = lambda k, p: p * (r + k - 1.0) / k * (1.0 - q)  # noqa: E731 - the NB pmf recursion
    else:
        p = np.exp(-m)
        step = lambda k, p: p * m / k  # noqa: E731 - the Poisson pmf recursion
    cdf, n = p.copy(), np.zeros(len(m))
    for k in range(1, 400):
        more = us > cdf
        if not more.any():
            break
        n += more
        p = step(k, p)
        cdf += p
    out[small] = n
    return out


@dataclass(frozen=True, eq=False)
class ForecastGrid:
    """The engine's forecast, simulated once per platform on a grid of weekly spends.

    A slider move must answer in milliseconds, and one engine forecast of a new plan (2,000
    simulations, then its tables) takes about 60 ms on the 1M-contact benchmark client: more
    than the workshop's whole 50 ms budget, before any chart. Given the simulated rates, the funnel is linear in leads: opportunities from a
    platform's leads are those leads spread over the lead -> opportunity lag times the
    platform's conversion rate. So each platform's lead paths and their opportunity means are
    simulated here at :data:`FORECAST_POINTS` spends with common random numbers, and a plan
    only interpolates them, adds them up, and draws the counts of opportunities, won deals,
    revenue and pipeline (:meth:`simulate`). Every fitted piece (curves, dispersion, rates, lags, what is
    already in the funnel, deal amounts) is the engine's :class:`~kpikit.analysis.forecast.Forecaster`;
    only the sampling differs, so figures agree with ``kpikit.forecast`` within simulation noise.

    Attributes
    ----------
    forecaster : Forecaster
        The engine's fit on the client's complete weeks.
    horizon_weeks : int
        Weeks simulated from ``forecaster.origin``.
    weeks : ndarray
        The Monday of each forecast week (``datetime64[us]``).
    grid : dict of str to ndarray
        Weekly spend points per platform, from 0 to the slider's top.
    """

    forecaster: Any
    horizon_weeks: int
    weeks: np.ndarray
    grid: dict[str, np.ndarray]
    leads: dict[str, np.ndarray]  # points × sims × weeks
    opp_mean: dict[str, np.ndarray]  # points × sims × weeks
    fixed_leads: np.ndarray  # sims × weeks: organic leads
    fixed_opp_mean: np.ndarray  # sims × weeks: from organic leads and leads already in the funnel
    won_rate: np.ndarray  # sims × 1
    won_open: np.ndarray  # sims × weeks: won deals expected from opportunities already open
    uniforms: dict[str, tuple[np.ndarray, np.ndarray]]  # stage -> (u, z), sims × weeks
    amount_prefix: np.ndarray  # sims × weeks × (cap + 1): sums of the first k drawn won amounts
    amount_mean: float
    amount_sd: float
    # The same for pipeline: the amounts of opportunities created (an own stream: see _forecast_grid).
    opp_amount_prefix: np.ndarray
    opp_amount_mean: float
    opp_amount_sd: float
    jitter: np.ndarray  # sims × weeks, uniform on (-0.5, 0.5): spreads counts for their bands, as the engine does
    # Derived views (e.g. the current plan's simulation, table templates), built on first use.
    memo: dict[str, Any] = field(default_factory=dict, repr=False)

    def _memo(self, key: str, build):
        if key not in self.memo:
            self.memo[key] = build()
        return self.memo[key]

    @property
    def platforms(self) -> tuple[str, ...]:
        return tuple(self.grid)

    def simulate(self, plan: dict[str, float]) -> dict[str, np.ndarray]:
        """Simulated weekly ``lead``, ``opportunity``, ``won``, ``revenue`` and ``pipeline`` (sims × weeks).

        ``plan`` maps platforms to weekly spend; a platform left out spends nothing. Spend beyond
        a platform's grid continues its last grid step (the sliders stop at the grid's top).
        """
        fc = self.forecaster
        leads = self.fixed_leads.copy()
        opp = self.fixed_opp_mean.copy()
        for pl, g in self.grid.items():
            x = float(plan.get(pl, 0.0))
            k = int(np.clip(np.searchsorted(g, x, side="right") - 1, 0, len(g) - 2))
            w = (x - g[k]) / (g[k + 1] - g[k])
            leads += (1.0 - w) * self.leads[pl][k] + w * self.leads[pl][k + 1]
            opp += (1.0 - w) * self.opp_mean[pl][k] + w * self.opp_mean[pl][k + 1]
        # The engine's weekly scatter of opportunities and won deals around their inflow (1: Poisson).
        opps = _count_quantile(*self.uniforms["opportunity"], opp, getattr(fc, "opp_dispersion", 1.0))
        from kpikit.analysis._flow import convolve_lags

        won_mean = convolve_lags(opps, fc.won_flow.pmf, self.horizon_weeks) * self.won_rate + self.won_open
        won = _count_quantile(*self.uniforms["won"], won_mean, getattr(fc, "won_dispersion", 1.0))
        revenue = _deal_sums(won, self.amount_prefix, self.amount_mean, self.amount_sd, self.uniforms["revenue"][1])
        pipeline = _deal_sums(
            opps, self.opp_amount_prefix, self.opp_amount_mean, self.opp_amount_sd, self.uniforms["pipeline"][1]
        )
        return {"lead": leads, "opportunity": opps, "won": won, "revenue": revenue, "pipeline": pipeline}


def _deal_sums(deals: np.ndarray, prefix: np.ndarray, mean: float, sd: float, z: np.ndarray) -> np.ndarray:
    """Each simulated week's ``deals`` worth their drawn amounts: the first ``cap`` exactly, the rest by the normal limit.

    ``prefix[..., k]`` is the sum of the first ``k`` amounts drawn for that simulated week; a prefix
    of width 1 means there are no amounts (NaN: not forecast).
    """
    if prefix.shape[-1] <= 1:
        return np.full(deals.shape, np.nan)
    cap = prefix.shape[-1] - 1
    n = deals.astype(np.int64)
    first = np.take_along_axis(prefix, np.minimum(n, cap)[..., None], axis=-1)[..., 0]
    rest = np.maximum(n - cap, 0).astype("float64")
    return first + rest * mean + np.sqrt(rest) * sd * z


def forecast_grid(
    model: Any, *, horizon_weeks: int = 13, top: dict[str, float] | None = None, n_sims: int = FORECAST_SIMS
) -> ForecastGrid:
    """Fit the engine's forecast once and simulate each platform on a spend grid (cached per cube).

    Parameters
    ----------
    model : ClientModel or Cube
    horizon_weeks : int
        Weeks to simulate.
    top : dict of str to float, optional
        Highest weekly spend per platform the grid must reach (default: three times the
        larger of the current plan and the highest week observed).
    n_sims : int
        Simulations.

    Returns
    -------
    ForecastGrid

    Raises
    ------
    KpikitError
        when the engine cannot forecast this client (no CRM contacts, too little history).
    """
    cube = precompute(model)
    key = f"forecast_grid:{horizon_weeks}:{n_sims}:{sorted((top or {}).items())}"
    return cube._memo(key, lambda: _forecast_grid(cube, horizon_weeks, top, n_sims))


def _forecast_grid(cube: Cube, H: int, top: dict[str, float] | None, S: int) -> ForecastGrid:
    from scipy.special import ndtri

    from kpikit.analysis._flow import convolve_lags, week_start
    from kpikit.analysis.forecast import fit_forecast

    fc = fit_forecast(cube.model, n_sims=S)
    rng = np.random.default_rng(fc.seed)

    def uniforms(shape):
        u = rng.random(shape)
        return u, ndtri(u)

    pmf, ratio = fc.lead_flow.pmf, fc.opp_per_contact
    rates = np.column_stack([rng.beta(s.alpha, s.beta, S) for s in fc.sources])  # sims × (platforms + organic)
    grid, leads, opp_mean = {}, {}, {}
    for i, pl in enumerate(fc.platforms):
        hi = (top or {}).get(pl) or 3.0 * max(fc.current_plan.get(pl, 0.0), fc.max_weekly.get(pl, 0.0), 1.0)
        xs = np.linspace(0.0, float(hi), FORECAST_POINTS)
        curve = fc.curves.get(pl)
        u, z = uniforms((S, H))
        if curve is None:
            paths = np.zeros((len(xs), S, H))
        else:
            mu = curve.predict_draws(xs)[rng.integers(0, len(curve.draws), S)]  # sims × points
            paths = np.stack([_count_quantile(u, z, mu[:, k, None] * np.ones((1, H)), fc.dispersion[pl])
                              for k in range(len(xs))])  # fmt: skip
        grid[pl] = xs
        leads[pl] = paths
        opp_mean[pl] = convolve_lags(paths, pmf, H) * rates[None, :, i, None] * ratio
    G = len(fc.platforms)
    shape, rate, phi = fc.organic
    lam = rng.gamma(shape, 1.0 / rate, S)[:, None] * np.ones((1, H))
    organic = _count_quantile(*uniforms((S, H)), lam, phi)
    in_funnel = (fc.funnel_leads[None, :, :H] * rates[:, :, None]).sum(axis=1) * ratio
    fixed_opp = convolve_lags(organic, pmf, H) * rates[:, G, None] * ratio + in_funnel
    from kpikit.analysis.forecast import _flow_beta  # the engine's posterior of the opportunity -> won rate

    won_rate = rng.beta(*_flow_beta(fc.won_flow), S)[:, None]
    amounts = np.asarray(fc.won_amounts, dtype="float64")
    prefix = _amount_prefix(rng, amounts, S, H)
    stages = {s: uniforms((S, H)) for s in ("opportunity", "won", "revenue")}
    # Pipeline draws from the engine's second stream of the seed: the other stages' grid stays as it was.
    side = np.random.default_rng([fc.seed, 1])
    opp_amounts = np.asarray(fc.opp_amounts, dtype="float64")
    opp_prefix = _amount_prefix(side, opp_amounts, S, H)
    u = side.random((S, H))
    stages["pipeline"] = (u, ndtri(u))
    return ForecastGrid(
        forecaster=fc,
        horizon_weeks=H,
        weeks=pd.to_datetime(week_start(fc.origin_week + np.arange(H))).to_numpy(dtype="datetime64[us]"),
        grid=grid,
        leads=leads,
        opp_mean=opp_mean,
        fixed_leads=organic,
        fixed_opp_mean=fixed_opp,
        won_rate=won_rate,
        won_open=fc.funnel_opps[None, :H] * won_rate,
        uniforms=stages,
        amount_prefix=prefix,
        amount_mean=float(amounts.mean()) if len(amounts) else float("nan"),
        amount_sd=float(amounts.std()) if len(amounts) > 1 else 0.0,
        jitter=rng.uniform(-0.5, 0.5, (S, H)),
        opp_amount_prefix=opp_prefix,
        opp_amount_mean=float(opp_amounts.mean()) if len(opp_amounts) else float("nan"),
        opp_amount_sd=float(opp_amounts.std()) if len(opp_amounts) > 1 else 0.0,
    )


def _amount_prefix(rng: np.random.Generator, amounts: np.ndarray, S: int, H: int) -> np.ndarray:
    """Sums of the first ``k`` of :data:`_AMOUNT_CAP` amounts drawn per simulated week (width 1: no amounts)."""
    if not len(amounts):
        return np.zeros((S, H, 1))
    drawn = rng.choice(amounts, size=(S, H, _AMOUNT_CAP))
    return np.concatenate([np.zeros((S, H, 1)), np.cumsum(drawn, axis=-1)], axis=-1)
