"""Stages, outcomes and measures: names, labels, units, direction and formula, defined once.

Every layer asks this registry what a measure is called, how it prints and which way is
better: the engine's cost table, the workshop's readouts, the report's tables, the CLI and
the training checks. A measure computes from *summed* segment values (a dict of totals or a
frame of segment rows alike), so the account total and each segment share one formula.

Examples
--------
>>> from kpikit.core.measures import MEASURES, STAGES, label
>>> STAGES
('lead', 'mql', 'sql', 'opportunity', 'won')
>>> m = MEASURES["cost_per_opportunity"]
>>> m.label, m.kind, m.higher_is_better
('cost per opportunity', 'money', False)
>>> float(m.compute({"cost": 900.0, "opportunity": 3.0}))
300.0
>>> label("ctr"), label("won"), label("won", plural=False), label("dim_age")
('CTR', 'won deals', 'won deal', 'age')
>>> label("u_shaped"), label("google_ads"), label("linkedin")
('U-shaped', 'Google Ads', 'LinkedIn')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = [
    "Measure",
    "MEASURES",
    "STAGES",
    "FUNNEL_STAGES",
    "OUTCOMES",
    "REAL_OUTCOMES",
    "VANITY",
    "MODEL_WORDS",
    "PLATFORM_WORDS",
    "KINDS",
    "kind_of",
    "label",
    "safe_divide",
]

#: How a measure prints (see :func:`kpikit.core.fmt.fmt`).
KINDS: tuple[str, ...] = ("count", "money", "rate", "ratio", "number", "days", "coefficient")

#: Stages a contact or deal reaches, in funnel order (``<stage>_date`` in contacts, deals for the last two).
STAGES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "won")
#: Every step a funnel can show, delivery first.
FUNNEL_STAGES: tuple[str, ...] = ("impressions", "clicks", *STAGES)
#: What a client can name as its real outcome: a stage, or engagement from a key account (ABM).
REAL_OUTCOMES: tuple[str, ...] = (*STAGES, "key_account")


def safe_divide(numerator, denominator):
    """``numerator / denominator`` with NaN (missing) wherever the denominator is 0 or missing; never inf.

    Scalars give a NumPy scalar, arrays an array.

    Examples
    --------
    >>> safe_divide([10.0, 5.0, 1.0], [2, 0, float("nan")]).tolist()
    [5.0, nan, nan]
    """
    num = np.asarray(numerator, dtype="float64")
    den = np.asarray(denominator, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        out = num / den
    return np.where(np.isfinite(out) & (den != 0), out, np.nan)


@dataclass(frozen=True)
class Measure:
    """One measure: what it is called, how it prints, which way is better and how it is computed.

    ``compute`` takes a mapping of summed columns (``dict`` of floats or a ``DataFrame``) and
    returns a float or an array. ``vanity`` marks the KPIs teams are paid on.
    """

    name: str
    label: str
    singular: str
    kind: str
    higher_is_better: bool
    compute: Callable[[Mapping[str, Any]], Any]
    description: str
    vanity: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"measure {self.name!r}: kind must be one of {list(KINDS)}, got {self.kind!r}")


def _col(name: str) -> Callable[[Mapping[str, Any]], Any]:
    return lambda t: np.asarray(t[name], dtype="float64")


def _ratio(num: str, den: str, scale: float = 1.0) -> Callable[[Mapping[str, Any]], Any]:
    return lambda t: safe_divide(np.asarray(t[num], dtype="float64") * scale, t[den])


def _cost_per(outcome: str) -> Callable[[Mapping[str, Any]], Any]:
    # No spend means the cost per outcome is unknown (organic or unmatched), not zero.
    def compute(t: Mapping[str, Any]) -> Any:
        cost = np.asarray(t["cost"], dtype="float64")
        return np.where(cost > 0, safe_divide(cost, t[outcome]), np.nan)

    return compute


#: Countable outcomes: name -> (plural label, singular label, description).
_OUTCOME_WORDS: dict[str, tuple[str, str, str]] = {
    "lead": ("leads", "lead", "contacts created (or reported leads without a CRM)"),
    "mql": ("MQLs", "MQL", "contacts that reached marketing-qualified (or a later stage)"),
    "sql": ("SQLs", "SQL", "contacts that reached sales-qualified (or a later stage)"),
    "opportunity": ("opportunities", "opportunity", "deals created (contacts reaching opportunity without deals)"),
    "won": ("won deals", "won deal", "deals won (or reported outcomes without a CRM, when the real outcome is won)"),
    "customers": ("new customers", "new customer", "distinct accounts with a won deal: CAC's denominator"),
    "key_account": ("key accounts engaged", "key account engaged", "distinct target accounts with a contact"),
}
#: Outcomes a cost can be computed for, in funnel order.
OUTCOMES: tuple[str, ...] = tuple(_OUTCOME_WORDS)


def _measures() -> dict[str, Measure]:
    M = Measure
    out = [
        M("impressions", "impressions", "impression", "count", True, _col("impressions"), "times shown", True),
        M("clicks", "clicks", "click", "count", True, _col("clicks"), "link clicks", True),
        M("visits", "visits", "visit", "count", True, _col("clicks"), "landing-page visits (link clicks)", True),
        M("clicks_all", "all clicks", "click", "count", True, _col("clicks_all"), "every click, any target"),
        M(
            "engagements",
            "engagements",
            "engagement",
            "count",
            True,
            _col("engagements"),
            "likes, shares, comments",
            True,
        ),  # fmt: skip
        M("cost", "spend", "spend", "money", False, _col("cost"), "paid media spend"),
        M("ctr", "CTR", "CTR", "rate", True, _ratio("clicks", "impressions"), "link clicks / impressions", True),
        M("cpc", "CPC", "CPC", "money", False, _ratio("cost", "clicks"), "cost / link click", True),
        M(
            "cpm",
            "CPM",
            "CPM",
            "money",
            False,
            _ratio("cost", "impressions", 1000.0),
            "cost per 1,000 impressions",
            True,
        ),  # fmt: skip
        M(
            "cost_per_engagement",
            "cost per engagement",
            "cost per engagement",
            "money",
            False,
            _ratio("cost", "engagements"),
            "cost / engagement (cost per like)",
            True,
        ),  # fmt: skip
        M("pipeline", "pipeline", "pipeline", "money", True, _col("pipeline"), "amount of opportunities created"),
        M("revenue", "won revenue", "won revenue", "money", True, _col("revenue"), "amount of deals won"),
        M(
            "pipeline_per_cost",
            "pipeline per unit of spend",
            "pipeline per unit of spend",
            "ratio",
            True,
            _ratio("pipeline", "cost"),
            "pipeline / spend",
        ),  # fmt: skip
        M(
            "revenue_per_cost",
            "revenue per unit of spend",
            "revenue per unit of spend",
            "ratio",
            True,
            _ratio("revenue", "cost"),
            "won revenue / spend",
        ),  # fmt: skip
        M("cac", "CAC", "CAC", "money", False, _cost_per("customers"), "spend / new customer"),
    ]
    for name, (plural, singular, description) in _OUTCOME_WORDS.items():
        vanity = name == "lead"  # leads, qualified or not, are what many teams are paid on
        out.append(M(name, plural, singular, "count", True, _col(name), description, vanity))
        if name != "customers":
            out.append(M(f"cost_per_{name}", f"cost per {singular}", f"cost per {singular}", "money", False,
                         _cost_per(name), f"spend / {singular}", vanity))  # fmt: skip
    return {m.name: m for m in out}


#: Every measure by name (registry: add one with ``MEASURES[name] = Measure(...)``).
MEASURES: dict[str, Measure] = _measures()
#: The vanity KPIs, in the order pickers list them.
VANITY: tuple[str, ...] = tuple(m.name for m in MEASURES.values() if m.vanity)

#: Attribution models as a client reads them (keys: :data:`kpikit.analysis.ATTRIBUTION_MODELS`).
MODEL_WORDS: dict[str, str] = {
    "first": "First touch",
    "last": "Last touch",
    "linear": "Linear",
    "time_decay": "Time decay",
    "u_shaped": "U-shaped",
    "w_shaped": "W-shaped",
    "full_path": "Full path",
    "markov": "Data-driven (Markov)",
}
#: Ad platforms and CRMs as each spells its own name (keys: the model's ``platform`` values and sources).
PLATFORM_WORDS: dict[str, str] = {
    "google_ads": "Google Ads",
    "linkedin": "LinkedIn",
    "meta": "Meta",
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
}
# Names the measures do not cover but the client reads as words (model and platform ids).
_WORDS: dict[str, str] = {**MODEL_WORDS, **PLATFORM_WORDS}

# Column-name suffixes and prefixes whose kind follows from the measure they qualify.
_RATE_WORDS = ("rate", "share", "ctr")
_MONEY_WORDS = ("cpc", "cpm", "cac", "pipeline", "revenue", "spend", "amount")


def kind_of(column: str, value: float | None = None) -> str | None:
    """The print kind of a measure or a derived column (``ctr_low``, ``cost_per_x_high``, ``win_rate``).

    A name hint alone ("matched", "share") is no proof of a rate: given a ``value`` above 1.5
    the hint is not taken (25 matched rows is not 2,500%).

    Examples
    --------
    >>> kind_of("ctr"), kind_of("ctr_low"), kind_of("cost_per_real_outcome_high"), kind_of("win_rate"), kind_of("x")
    ('rate', 'rate', 'money', 'rate', None)
    """
    name = str(column)
    if name in MEASURES:
        return MEASURES[name].kind
    for suffix in ("_low", "_high", "_now", "_scenario", "_before", "_after"):
        if name.endswith(suffix) and name[: -len(suffix)] in MEASURES:
            return MEASURES[name[: -len(suffix)]].kind
    lower = name.lower()
    plausible_rate = value is None or abs(value) <= 1.5
    money_word = lower.startswith("cost") or any(w in lower for w in _MONEY_WORDS)
    # "rate"/"share"/"ctr" name a rate outright; "match" only when nothing says money ("spend_matched").
    rate_word = any(w in lower for w in _RATE_WORDS) or ("match" in lower and not money_word)
    if rate_word and not lower.startswith("cost") and plausible_rate:
        return "rate"
    if money_word:
        return "money"
    return None


def label(column: str, *, plural: bool = True) -> str:
    """Words for a measure, an attribution model, a platform or a segment column, for headers and sentences.

    Models and platforms read as :data:`MODEL_WORDS` and :data:`PLATFORM_WORDS` spell them;
    ``dim_<x>`` segmentations print as ``x``; an unknown name is returned with its
    underscores as spaces (never as a snake_case identifier).
    """
    name = str(column)
    if name in MEASURES:
        m = MEASURES[name]
        return m.label if plural else m.singular
    if name in _WORDS:
        return _WORDS[name]
    if name.startswith("dim_"):
        name = name[4:]
    return name.replace("_", " ")
