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

__all__ = [
    "DELIVERY_COLUMNS",
    "VALUE_COLUMNS",
    "Cube",
    "precompute",
    "remember",
    "parse_window",
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
        touchpoints=len(model.touchpoints),
        model=model,
    )
