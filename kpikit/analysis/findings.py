"""Findings: what the data says, in sentences whose every number can be traced.

The engine looks everywhere vanity and value can part ways, and writes one sentence per
divergence for a marketing director, ranked by the money at stake:

===============================  ======================================================
kind                             what it finds
===============================  ======================================================
``vanity_leaders``               inside a platform, campaign or the account: the segments
                                 that beat their parent's CTR, pooled, buy their real
                                 outcomes dearer than the others (the retargeting ladder)
``vanity_without_value``         one segment with a CTR well above its parent's and a real
                                 outcome rate credibly below it
``vanity_volume_without_value``  engagements (likes) or clicks bought in volume with no
                                 real outcome behind them (the likes competition)
``ranking_reversed``             a whole level ranked by CTR comes out in the reverse order
                                 of its cost per real outcome (age bands on real data)
``key_accounts``                 target accounts bring most of the pipeline from few visits
``kpi_shift``                    a date after which CTR rose while the real outcome and
                                 pipeline fell (a budget moved to what flatters the KPI)
``kpi_misaligned``               a role's KPI that does not move with the real outcome
                                 week by week (:func:`~kpikit.analysis.alignment.kpi_alignment`)
===============================  ======================================================

Levels: ``platform``, ``campaign`` (within its platform), ``ad_group`` (within its
campaign) and every ``dim_*`` segmentation (within the account). Rates are compared on the
shrunk estimates of :mod:`kpikit.analysis.shrink` (outcomes per unit of spend, pooled over
the hierarchy): a segment is said to buy its outcomes dearer only when it is credibly so
(posterior probability at least :data:`~kpikit.analysis.shrink.MIN_PROBABILITY`), and "likely
between X and Y" in a sentence is the 95% posterior interval of a cost per outcome. When a
level cannot trace the real outcome (Salesforce opportunities carry no ad group) the latest
stage it can trace is used, and the sentence says so.

Every sentence is a template filled with named :class:`Figure` objects, each printed by
:func:`kpikit.core.fmt.fmt` and stored with the finding (value, kind, the measure of
:data:`kpikit.core.measures.MEASURES` it was computed with, and the rows it was summed over),
so a test or a reader can recompute every number. Money at stake is in the reporting
currency: spend beyond what the same outcomes cost elsewhere, or pipeline a vanity KPI
does not see.

Detectors are registered by name (:func:`register`, :data:`DETECTORS`), not branched.

Examples
--------
>>> import pandas as pd
>>> from kpikit.model import ClientModel, conform
>>> from kpikit.config import ClientConfig
>>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01"] * 3),
...     "platform": ["meta"] * 3, "campaign": ["Likes"] * 3, "ad_group": ["Win a trip", "Broad", "Lookalike"],
...     "impressions": [100000, 50000, 50000], "clicks": [3000, 400, 450], "cost": [3000.0, 2000.0, 2000.0],
...     "currency": ["EUR"] * 3, "reported_leads": [40, 60, 70], "reported_outcomes": [0, 12, 15]}))
>>> cfg = ClientConfig.from_dict({"client": "x", "currency": "EUR", "funnel": {"real_outcome": "won"}})
>>> r = findings(ClientModel(spend=spend, config=cfg))
>>> for text in r.texts():
...     print(text)
Likes: the 1 ad group that beat the campaign's CTR of 1.93% (Win a trip) spent EUR 3,000.00 and brought no won deal; the other 2 spent EUR 4,000.00 for 27 won deals, EUR 148.15 each.
Win a trip (Likes): CTR 3.00%, 1.6× the campaign's 1.93%, but EUR 3,000.00 spent and no won deal.
>>> f = r.findings[1]
>>> f.id, f.figures["cost"].value, f.figures["cost"].measure, f.money_at_stake
('vanity-without-value/ad-group/likes/win-a-trip', 3000.0, 'cost', 3000.0)
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import prepare
from kpikit.analysis.segments import SEGMENT_MEASURES, segment_table
from kpikit.analysis.shrink import MIN_PROBABILITY, prob_greater, shrink_hierarchy
from kpikit.core.fmt import fmt
from kpikit.core.measures import MEASURES, STAGES, label
from kpikit.core.names import NOT_SET
from kpikit.core.result import Result, json_safe

__all__ = [
    "Figure",
    "Group",
    "Finding",
    "Detector",
    "DETECTORS",
    "register",
    "findings",
    "FindingsResult",
    "LEVELS",
    "KEY_FINDINGS",
    "key_findings",
]

#: How many findings the report opens with and the workshop's intro lists.
KEY_FINDINGS = 7

#: How much better a segment's vanity KPI must be than its parent's to count as "beating" it.
VANITY_MARGIN = 1.2
#: Days before a shift date that the "before" figures cover (eight weeks).
BEFORE_DAYS = 56
#: Below this share of its parent's outcomes traced to the level's segments, a level uses an earlier stage.
MIN_TRACED = 0.8


# -- figures, groups, findings -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """Rows of a :func:`~kpikit.analysis.segments.segment_table` a figure is summed over.

    ``by`` are the table's segment columns; a row belongs when every ``where`` column has
    that value, its segment path is in ``rows`` (when given) and, with ``paid``, it has spend.
    """

    by: tuple[str, ...]
    where: Mapping[str, str] = field(default_factory=dict)
    rows: tuple[tuple[str, ...], ...] | None = None
    paid: bool = True

    def select(self, table: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``table`` (a segment table by ``by``) in the group."""
        keep = np.ones(len(table), dtype=bool)
        for col, value in self.where.items():
            keep &= (table[col].astype("str") == value).to_numpy()
        if self.rows is not None:
            paths = set(self.rows)
            keep &= np.array([tuple(r) in paths for r in table[list(self.by)].astype("str").itertuples(index=False)])
        if self.paid:
            keep &= (table["cost"] > 0).to_numpy()
        return table[keep]

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": list(self.by),
            "where": dict(self.where),
            "rows": None if self.rows is None else [list(r) for r in self.rows],
            "paid": self.paid,
        }


@dataclass(frozen=True)
class Figure:
    """One number a sentence cites, with where it came from.

    ``measure`` (a key of :data:`~kpikit.core.measures.MEASURES`) computed over the summed rows of
    the finding's group ``of``; or ``ratio_of`` (two other figures' names: this one is their ratio);
    or ``source``, a short description of another origin (a shrunk estimate, key accounts, a weekly
    series).
    """

    value: float
    kind: str
    measure: str | None = None
    of: str | None = None
    ratio_of: tuple[str, str] | None = None
    source: str | None = None

    def render(self, currency: str = "") -> str:
        """The figure as the sentence prints it (:func:`kpikit.core.fmt.fmt`)."""
        return fmt(self.value, self.kind, currency)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"value": json_safe(self.value), "kind": self.kind}
        for name in ("measure", "of", "source"):
            if getattr(self, name) is not None:
                out[name] = getattr(self, name)
        if self.ratio_of is not None:
            out["ratio_of"] = list(self.ratio_of)
        return out


def slug(text: str) -> str:
    """A stable id part: ASCII, lower case, runs of other characters as ``-``.

    Examples
    --------
    >>> slug("Expo Hidráulica México 2026"), slug("<img src=x onerror=alert(1)>")
    ('expo-hidraulica-mexico-2026', 'img-src-x-onerror-alert-1')
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


@dataclass(frozen=True)
class Finding:
    """One divergence: a sentence template, the figures it cites, and the money at stake.

    ``template`` names figures, ``words`` (labels, never numbers computed here) and ``dates``
    (ISO days) in ``{braces}``. ``text(currency)`` fills it: every figure through
    :func:`kpikit.core.fmt.fmt`.
    """

    kind: str
    level: str
    segment: str
    template: str
    figures: Mapping[str, Figure]
    money_at_stake: float | None = None
    parent: str | None = None
    groups: Mapping[str, Group] = field(default_factory=dict)
    words: Mapping[str, str] = field(default_factory=dict)
    dates: Mapping[str, str] = field(default_factory=dict)
    suffix: int = 0  # set when two findings' names slug alike

    @property
    def id(self) -> str:
        """Stable slug: kind, level, parent and segment."""
        parts = [self.kind, self.level, *([] if self.parent is None else [self.parent]), self.segment]
        return "/".join(slug(p) for p in parts) + (f"-{self.suffix}" if self.suffix else "")

    def text(self, currency: str = "") -> str:
        """The sentence, every figure printed with :func:`kpikit.core.fmt.fmt`."""
        slots = {name: f.render(currency) for name, f in self.figures.items()}
        slots.update(self.words)
        slots.update(self.dates)
        return self.template.format_map(slots)

    def to_dict(self, currency: str = "") -> dict[str, Any]:
        """The metrics.json item: ``id``, ``kind``, ``level``, ``segment``, ``text``, ``figures``,
        ``money_at_stake`` (rounded to the cent, or None), plus ``parent``, ``template``, ``words``,
        ``groups`` and ``dates``: ``text == template.format(**rendered figures, **words, **dates)``."""
        money = None if self.money_at_stake is None else round(float(self.money_at_stake), 2)
        return {
            "id": self.id,
            "kind": self.kind,
            "level": self.level,
            "segment": self.segment,
            "parent": self.parent,
            "text": self.text(currency),
            "template": self.template,
            "words": dict(self.words),
            "figures": {name: f.to_dict() for name, f in self.figures.items()},
            "money_at_stake": money,
            "groups": {name: g.to_dict() for name, g in self.groups.items()},
            "dates": dict(self.dates),
        }


# -- registry ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Detector:
    """A finding kind: its name, what it looks for, and the function that finds it."""

    name: str
    description: str
    find: Callable[[_Context], Iterable[Finding]]


#: Detectors by name, in priority order (a segment found by an earlier one is not repeated by a later one).
DETECTORS: dict[str, Detector] = {}


def register(name: str, description: str) -> Callable:
    """Register a detector function ``fn(context) -> iterable of Finding`` under ``name``."""

    def wrap(fn: Callable[[_Context], Iterable[Finding]]) -> Callable[[_Context], Iterable[Finding]]:
        DETECTORS[name] = Detector(name, description, fn)
        return fn

    return wrap


# -- levels and context ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Level:
    """Where segments sit: the level's column, its segment-table columns, its parent's columns."""

    name: str
    dims: tuple[str, ...]
    parent_dims: tuple[str, ...]
    parent_word: str  # "account", "platform", "campaign"
    plural: str  # "ad groups", "age segments"


#: The hierarchy of the paid platforms (``dim_*`` levels are added per model).
LEVELS: tuple[Level, ...] = (
    Level("platform", ("platform",), (), "account", "platforms"),
    Level("campaign", ("platform", "campaign"), ("platform",), "platform", "campaigns"),
    Level("ad_group", ("platform", "campaign", "ad_group"), ("platform", "campaign"), "campaign", "ad groups"),
)


def _dim_levels(model) -> tuple[Level, ...]:
    dims: set[str] = set()
    for t in (model.spend, model.contacts, model.deals):
        dims |= {c for c in t.columns if isinstance(c, str) and c.startswith("dim_")}
    return tuple(Level(d, (d,), (), "account", f"{label(d)} segments") for d in sorted(dims))


def _plural(outcome: str, n: float) -> str:
    return label(outcome, plural=n != 1)


class _Context:
    """Everything the detectors share, computed once: level tables, traced stages, shrunk rates."""

    def __init__(self, model, vanity: str, min_probability: float) -> None:
        self.model = model
        self.p = prepare(model)
        self.currency = self.p.currency
        self.outcome = self.p.real_outcome
        self.vanity = MEASURES[vanity]
        self.vanity_name = vanity
        self.min_probability = min_probability
        self.levels = (*LEVELS, *_dim_levels(model))
        self._tables: dict[tuple[str, ...], pd.DataFrame] = {}
        self._cache: dict[tuple[str, str], pd.DataFrame] = {}

    def table(self, dims: tuple[str, ...]) -> pd.DataFrame:
        if dims not in self._tables:
            self._tables[dims] = segment_table(self.model, by=list(dims) if dims else None)
        return self._tables[dims]

    def paid_outcomes(self, parent_dims: tuple[str, ...], outcome: str) -> pd.Series:
        """Outcomes of each parent with spend (its campaign-level attribution), indexed by parent path."""
        dims = ("platform", "campaign") if parent_dims == ("platform", "campaign") else ("platform",)
        t = self.table(dims)
        t = t[(t["platform"] != NOT_SET) & (t["cost"] > 0)] if parent_dims else t[t["platform"] != NOT_SET]
        if not parent_dims:
            return pd.Series({(): float(t[outcome].sum())})
        return t.groupby(list(parent_dims))[outcome].sum()

    def traced_outcome(self, level: Level) -> str | None:
        """The real outcome, or the latest earlier stage, that the level's segments with spend hold.

        Platforms and campaigns always trace it (an outcome without a matched campaign is
        unattributed, not lost). Ad groups and ``dim_*`` columns trace a stage when their rows with
        spend hold at least :data:`MIN_TRACED` of the outcomes of the parents they sit in.
        """
        if level.name in ("platform", "campaign"):
            return self.outcome
        candidates = [self.outcome]
        if self.outcome in STAGES:
            candidates += list(reversed(STAGES[: STAGES.index(self.outcome)]))
        t = self.table(level.dims)
        paid = t[t["cost"] > 0]
        for stage in candidates:
            if stage not in t.columns or t[stage].isna().all():
                continue
            total = float(self.paid_outcomes(level.parent_dims, stage).sum())
            placed = float(paid[stage].sum())
            if total > 0 and placed / total >= MIN_TRACED:
                return stage
        return None

    def traced(self) -> Iterator[tuple[Level, str]]:
        """Each level with the outcome it is judged on (:meth:`traced_outcome`); levels tracing none are left out."""
        for level in self.levels:
            outcome = self.traced_outcome(level)
            if outcome is not None:
                yield level, outcome

    def outcome_words(self, level: Level, outcome: str) -> dict[str, str]:
        """The words every segment finding fills in: one outcome, and the note when a stage stands in for it."""
        return {"outcome_one": label(outcome, plural=False), "trace": _trace_note(self, outcome, level)}

    def shrunk(self, level: Level, outcome: str) -> pd.DataFrame:
        """Shrunk outcome rates of the level's segments with spend, one row per segment path (``_path``)."""
        key = (level.name, outcome)
        if key not in self._cache:
            if level.name in ("platform", "campaign"):
                # Campaign rows hold every outcome of their campaign (ad-group rows may not): pool from them.
                h = shrink_hierarchy(self.table(("platform", "campaign")), ["platform", "campaign"], outcome)
            else:
                h = shrink_hierarchy(self.table(level.dims), list(level.dims), outcome)
            h = h[h["level"] == level.name].copy()
            h["_path"] = list(h[list(level.dims)].astype("str").itertuples(index=False, name=None))
            self._cache[key] = h
        return self._cache[key]

    def frame(self, level: Level, outcome: str) -> pd.DataFrame:
        """The level's segments with spend, with their parent's totals and their shrunk rate.

        Columns added to the segment table: ``_path``, ``_parent``, ``_siblings`` (segments with spend
        in the parent), ``_vanity`` and ``_parent_vanity`` (the vanity KPI), ``_parent_k`` and
        ``_parent_cost`` (the parent's outcomes and spend over those segments) and, from
        :func:`~kpikit.analysis.shrink.shrink_hierarchy`, ``_prob_above_parent``, ``_low``, ``_high``,
        ``_a``, ``_b``, ``_estimate`` (NaN where not estimated).
        """
        key = ("frame", level.name, outcome)
        if key not in self._cache:
            kids = self.children(level)
            measures = [c for c in SEGMENT_MEASURES if c in kids.columns]
            sums = kids.groupby("_parent", sort=False)[measures].sum(min_count=1)
            pv = pd.Series(np.asarray(self.vanity.compute(sums), dtype="float64"), index=sums.index)
            kids["_siblings"] = kids.groupby("_parent", sort=False)["_path"].transform("size").to_numpy()
            kids["_vanity"] = np.asarray(self.vanity.compute(kids), dtype="float64")
            kids["_parent_vanity"] = kids["_parent"].map(pv).to_numpy(dtype="float64")
            kids["_parent_k"] = kids["_parent"].map(sums[outcome]).to_numpy(dtype="float64")
            kids["_parent_cost"] = kids["_parent"].map(sums["cost"]).to_numpy(dtype="float64")
            h = self.shrunk(level, outcome).set_index("_path")
            for c in ("prob_above_parent", "low", "high", "a", "b", "estimate"):
                kids[f"_{c}"] = kids["_path"].map(h[c]).to_numpy(dtype="float64")
            self._cache[key] = kids
        return self._cache[key]

    def children(self, level: Level) -> pd.DataFrame:
        """The level's rows with spend, plus ``_parent`` (path tuple) and ``_path``."""
        t = self.table(level.dims)
        t = t[t["cost"] > 0].copy()
        t["_path"] = list(t[list(level.dims)].astype("str").itertuples(index=False, name=None))
        t["_parent"] = [p[: len(level.parent_dims)] for p in t["_path"]]
        return t

    def where(self, level: Level, path: tuple[str, ...]) -> dict[str, str]:
        return dict(zip(level.dims, path, strict=True))

    def parent_where(self, level: Level, parent: tuple[str, ...]) -> dict[str, str]:
        return dict(zip(level.parent_dims, parent, strict=True))


def _sums(rows: pd.DataFrame) -> dict[str, float]:
    return {c: float(rows[c].sum(min_count=1)) if c in rows.columns else math.nan for c in SEGMENT_MEASURES}


def _value(measure: str, rows: pd.DataFrame) -> float:
    return float(MEASURES[measure].compute(_sums(rows)))


def _gamma_post(k: float, e: float) -> tuple[float, float]:
    # Pooled groups compared on their own data: Jeffreys-like Gamma(k + 1/2, e).
    return k + 0.5, e


def _display(level: Level, path: tuple[str, ...]) -> str:
    """How a segment is named in a sentence: its own label (platform ids as words)."""
    name = path[-1]
    return label(name) if level.name == "platform" else name


def _parent_display(level: Level, parent: tuple[str, ...]) -> str | None:
    if not parent:
        return None
    return label(parent[-1]) if len(parent) == 1 else parent[-1]


#: Names listed in a sentence before the rest are left out.
MAX_NAMES = 4


def _names(names: list[str]) -> str:
    """A list of segment names for a sentence; a long one names the first few ("among them ...").

    No count is printed here: a sentence's numbers are all figures.
    """
    if len(names) <= MAX_NAMES:
        return ", ".join(names)
    return "among them " + ", ".join(names[:MAX_NAMES])


def _named(level: Level, row: pd.Series) -> tuple[str | None, str, dict[str, str]]:
    """How a finding on one segment names it: the parent's words, the name slots, and the words for them."""
    parent = _parent_display(level, row["_parent"])
    who = "{segment_name} ({parent_name})" if parent else "{segment_name}"
    names = {"segment_name": _display(level, row["_path"]), **({"parent_name": parent} if parent else {})}
    return parent, who, names


def _trace_note(ctx: _Context, outcome: str, level: Level) -> str:
    if outcome == ctx.outcome:
        return ""
    return f"; counted in {label(outcome)}, as {label(ctx.outcome)} cannot be traced to {level.plural}"


# -- detectors ---------------------------------------------------------------------------------------------


def _vanity_better(ctx: _Context, seg: float, ref: float) -> float:
    """How many times better the segment's vanity KPI is than the reference (> 1: better)."""
    if not (seg == seg and ref == ref) or seg <= 0 or ref <= 0:
        return math.nan
    return seg / ref if ctx.vanity.higher_is_better else ref / seg


@register(
    "vanity_leaders",
    "inside a parent, the segments that beat its CTR, pooled, buy their real outcomes dearer than the others",
)
def _vanity_leaders(ctx: _Context) -> Iterable[Finding]:
    v = ctx.vanity
    for level, outcome in ctx.traced():
        kids = ctx.children(level)
        for parent, rows in kids.groupby("_parent", sort=True):
            rows = rows[rows[level.name] != NOT_SET]
            if len(rows) < 3:
                continue
            parent_rows = kids[kids["_parent"] == parent]
            ref = _value(v.name, parent_rows)
            seg_v = np.asarray(v.compute(rows), dtype="float64")
            score = np.nan_to_num(np.array([_vanity_better(ctx, x, ref) for x in seg_v]), nan=0.0)
            order = np.argsort(-score, kind="stable")  # best vanity first: the names read in that order
            rows, better = rows.iloc[order], score[order] >= 1.0
            lead, rest = rows[better], rows[~better]
            if len(lead) == 0 or len(rest) == 0:
                continue
            k_l, e_l = float(lead[outcome].sum()), float(lead["cost"].sum())
            k_r, e_r = float(rest[outcome].sum()), float(rest["cost"].sum())
            if k_r <= 0:
                continue
            p_worse = prob_greater(*_gamma_post(k_r, e_r), *_gamma_post(k_l, e_l))
            cpo_r = e_r / k_r
            if p_worse < ctx.min_probability or (k_l > 0 and e_l / k_l <= cpo_r):
                continue
            by = level.dims
            groups = {
                "parent": Group(by, ctx.parent_where(level, parent)),
                "leaders": Group(by, ctx.parent_where(level, parent), tuple(lead["_path"])),
                "rest": Group(by, ctx.parent_where(level, parent), tuple(rest["_path"])),
            }
            cpo = f"cost_per_{outcome}"
            figs = {
                "parent_vanity": Figure(ref, v.kind, v.name, "parent"),
                "n_leaders": Figure(len(lead), "count", source="rows in the leaders group"),
                "leaders_cost": Figure(e_l, "money", "cost", "leaders"),
                "leaders_k": Figure(k_l, "count", outcome, "leaders"),
                "n_rest": Figure(len(rest), "count", source="rows in the rest group"),
                "rest_cost": Figure(e_r, "money", "cost", "rest"),
                "rest_k": Figure(k_r, "count", outcome, "rest"),
                "rest_cpo": Figure(cpo_r, "money", cpo, "rest"),
            }
            names = _names([_display(level, p) for p in lead["_path"]])
            where = _parent_display(level, parent)
            # Names from the data go in word slots, never into the template (a "{" in a name stays text).
            head = "{where}: the" if where else "Across the account, the"
            if k_l > 0:
                figs["leaders_cpo"] = Figure(e_l / k_l, "money", cpo, "leaders")
                lead_part = "spent {leaders_cost} for {leaders_k} {leaders_outcome}, {leaders_cpo} each"
            else:
                lead_part = "spent {leaders_cost} and brought no {outcome_one}"
            template = (
                f"{head} {{n_leaders}} {{noun}} that beat the {level.parent_word}'s {v.label} of {{parent_vanity}} "
                f"({{names}}) {lead_part}; the other {{n_rest}} spent {{rest_cost}} for {{rest_k}} {{rest_outcome}}, "
                "{rest_cpo} each{trace}."
            )
            words = {
                **({"where": where} if where else {}),
                "noun": level.plural if len(lead) != 1 else level.plural[:-1],
                "names": names,
                "leaders_outcome": _plural(outcome, k_l),
                "rest_outcome": _plural(outcome, k_r),
                **ctx.outcome_words(level, outcome),
            }
            yield Finding(
                kind="vanity_leaders",
                level=level.name,
                segment=where or "account",
                parent=None,
                template=template,
                figures=figs,
                money_at_stake=max(0.0, e_l - k_l * cpo_r),
                groups=groups,
                words=words,
            )


@register(
    "vanity_without_value",
    "one segment with a CTR well above its parent's and a real-outcome rate credibly below it",
)
def _vanity_without_value(ctx: _Context) -> Iterable[Finding]:
    v = ctx.vanity
    for level, outcome in ctx.traced():
        kids = ctx.frame(level, outcome)
        ratio = np.array(
            [_vanity_better(ctx, a, b) for a, b in zip(kids["_vanity"], kids["_parent_vanity"], strict=True)]
        )
        cand = kids[
            (kids["_siblings"] > 1)
            & (kids[level.name] != NOT_SET)
            & (ratio >= VANITY_MARGIN)
            & (kids["_parent_k"] > 0)
            & (1.0 - kids["_prob_above_parent"] >= ctx.min_probability)
        ]
        for _, row in cand.iterrows():
            path = row["_path"]
            k, e = float(row[outcome]), float(row["cost"])
            seg, ref = float(row["_vanity"]), float(row["_parent_vanity"])
            cpo_p = float(row["_parent_cost"]) / float(row["_parent_k"])
            if k > 0 and e / k <= cpo_p:
                continue
            by = level.dims
            cpo = f"cost_per_{outcome}"
            groups = {
                "segment": Group(by, ctx.where(level, path)),
                "parent": Group(by, ctx.parent_where(level, row["_parent"])),
            }
            figs = {
                "vanity": Figure(seg, v.kind, v.name, "segment"),
                "ratio": Figure(seg / ref if v.higher_is_better else ref / seg, "ratio",
                                ratio_of=("vanity", "parent_vanity") if v.higher_is_better else ("parent_vanity", "vanity")),
                "parent_vanity": Figure(ref, v.kind, v.name, "parent"),
                "cost": Figure(e, "money", "cost", "segment"),
            }  # fmt: skip
            parent, who, names = _named(level, row)
            head = f"{who}: {v.label} {{vanity}}, {{ratio}} the {level.parent_word}'s {{parent_vanity}}, but {{cost}} spent"
            words = {**names, **ctx.outcome_words(level, outcome)}
            if k == 0:
                template = head + " and no {outcome_one}{trace}."
            else:
                lo, hi = 1.0 / float(row["_high"]), 1.0 / float(row["_low"])
                figs.update(
                    k=Figure(k, "count", outcome, "segment"),
                    cpo=Figure(e / k, "money", cpo, "segment"),
                    parent_cpo=Figure(cpo_p, "money", cpo, "parent"),
                    low=Figure(lo, "money", source="shrink: 95% posterior interval of the cost per outcome, low"),
                    high=Figure(hi, "money", source="shrink: 95% posterior interval of the cost per outcome, high"),
                )
                words["outcome_k"] = _plural(outcome, k)
                template = head + (
                    " for {k} {outcome_k}: {cpo} each against {parent_cpo} across the "
                    f"{level.parent_word} (likely between {{low}} and {{high}} once pooled){{trace}}."
                )
            yield Finding(
                kind="vanity_without_value",
                level=level.name,
                segment=_display(level, path),
                parent=parent,
                template=template,
                figures=figs,
                money_at_stake=max(0.0, e - k * cpo_p),
                groups=groups,
                words=words,
            )


@register(
    "vanity_volume_without_value",
    "engagements (likes) or clicks bought in volume with no real outcome behind them",
)
def _vanity_volume(ctx: _Context) -> Iterable[Finding]:
    for level, outcome in ctx.traced():
        if level.name == "platform":
            continue
        kids = ctx.frame(level, outcome)
        # A parent's only segment is the parent itself, found one level up.
        single = (kids["_siblings"] <= 1) & (level.name == "ad_group")
        cand = kids[
            ~single
            & (kids[level.name] != NOT_SET)
            & (kids[outcome] == 0)
            & (1.0 - kids["_prob_above_parent"] >= ctx.min_probability)
        ]
        for _, row in cand.iterrows():
            path = row["_path"]
            e = float(row["cost"])
            eng, clicks = float(np.nan_to_num(row["engagements"])), float(row["clicks"])
            by = level.dims
            figs: dict[str, Figure] = {}
            if eng > clicks:
                figs["engagements"] = Figure(eng, "count", "engagements", "segment")
                figs["cost_per_engagement"] = Figure(e / eng, "money", "cost_per_engagement", "segment")
                bought = "{engagements} engagements at {cost_per_engagement} each and {clicks} clicks"
            elif clicks > 0:
                figs["cpc"] = Figure(e / clicks, "money", "cpc", "segment")
                bought = "{clicks} clicks at {cpc} each"
            else:
                continue
            figs["clicks"] = Figure(clicks, "count", "clicks", "segment")
            figs["cost"] = Figure(e, "money", "cost", "segment")
            no_pipeline = ", no pipeline" if row["pipeline"] == 0 and outcome != "pipeline" else ""
            parent, who, names = _named(level, row)
            yield Finding(
                kind="vanity_volume_without_value",
                level=level.name,
                segment=_display(level, path),
                parent=parent,
                template=f"{who}: {bought}, but {{cost}} spent and no {{outcome_one}}{no_pipeline}{{trace}}.",
                figures=figs,
                money_at_stake=e,
                groups={"segment": Group(by, ctx.where(level, path))},
                words={**names, **ctx.outcome_words(level, outcome)},
            )


@register(
    "ranking_reversed",
    "a level ranked by CTR comes out in the reverse order of its cost per real outcome",
)
def _ranking_reversed(ctx: _Context) -> Iterable[Finding]:
    from scipy.stats import kendalltau

    v = ctx.vanity
    for level, outcome in ctx.traced():
        kids = ctx.frame(level, outcome)
        kids = kids[(kids[level.name] != NOT_SET) & kids["_estimate"].notna() & kids["_vanity"].notna()]
        if len(kids) < 3:
            continue
        vals = kids["_vanity"].to_numpy(dtype="float64")
        est = kids["_estimate"].to_numpy(dtype="float64")
        sign = 1.0 if v.higher_is_better else -1.0
        tau = kendalltau(sign * vals, est).statistic  # +: a better KPI goes with more outcomes per unit of spend
        if not tau <= -0.6:
            continue
        sub, sv = kids, vals
        i_v = int(np.argmax(sign * sv))  # best by vanity
        i_w = int(np.argmax(est))  # best by value (shrunk)
        if i_v == i_w:
            continue
        a_w, b_w = float(sub["_a"].iloc[i_w]), float(sub["_b"].iloc[i_w])
        a_v, b_v = float(sub["_a"].iloc[i_v]), float(sub["_b"].iloc[i_v])
        if prob_greater(a_w, b_w, a_v, b_v) < ctx.min_probability:
            continue
        pv, pw = sub["_path"].iloc[i_v], sub["_path"].iloc[i_w]
        k_v, k_w = float(sub[outcome].iloc[i_v]), float(sub[outcome].iloc[i_w])
        if k_w <= 0:
            continue
        cpo = f"cost_per_{outcome}"
        by = level.dims
        groups = {"best_vanity": Group(by, ctx.where(level, pv)), "best_value": Group(by, ctx.where(level, pw))}
        figs = {
            "vanity_top": Figure(float(sv[i_v]), v.kind, v.name, "best_vanity"),
            "vanity_value_top": Figure(float(sv[i_w]), v.kind, v.name, "best_value"),
            "cpo_value_top": Figure(float(sub["cost"].iloc[i_w]) / k_w, "money", cpo, "best_value"),
            "low": Figure(1.0 / float(sub["_high"].iloc[i_w]), "money", source="shrink: 95% interval, low"),
            "high": Figure(1.0 / float(sub["_low"].iloc[i_w]), "money", source="shrink: 95% interval, high"),
            "tau": Figure(float(tau), "coefficient", source="Kendall tau-b, vanity KPI vs shrunk outcome rate"),
            "n": Figure(len(kids), "count", source="segments ranked"),
        }
        if k_v > 0:
            figs["cpo_vanity_top"] = Figure(float(sub["cost"].iloc[i_v]) / k_v, "money", cpo, "best_vanity")
            vanity_cost = "{cpo_vanity_top} per {outcome_one}"
        else:
            figs["cost_vanity_top"] = Figure(float(sub["cost"].iloc[i_v]), "money", "cost", "best_vanity")
            vanity_cost = "{cost_vanity_top} spent and no {outcome_one}"
        # Money: spend of the best-vanity third beyond what its outcomes cost in the other two thirds.
        third = max(1, math.ceil(len(sub) / 3))
        top = np.argsort(-sign * sv, kind="stable")[:third]
        rest = np.setdiff1d(np.arange(len(sub)), top)
        k_r, e_r = float(sub[outcome].iloc[rest].sum()), float(sub["cost"].iloc[rest].sum())
        k_t, e_t = float(sub[outcome].iloc[top].sum()), float(sub["cost"].iloc[top].sum())
        money = max(0.0, e_t - k_t * e_r / k_r) if k_r > 0 else None
        what = label(level.name) if level.name.startswith("dim_") else level.plural
        template = (
            f"By {{what}}, the better the {v.label}, the dearer the {{outcome_one}}: {{seg_v}} has the best {v.label} "
            f"({{vanity_top}}) at {vanity_cost}, {{seg_w}} the cheapest {{outcome_many}} ({{cpo_value_top}} each, "
            f"likely between {{low}} and {{high}}) at a {v.label} of {{vanity_value_top}} "
            "(Kendall tau {tau} over {n} segments){trace}."
        )
        yield Finding(
            kind="ranking_reversed",
            level=level.name,
            segment="account",
            template=template,
            figures=figs,
            money_at_stake=money,
            groups=groups,
            words={
                "what": what,
                "seg_v": _display(level, pv),
                "seg_w": _display(level, pw),
                "outcome_many": label(outcome),
                **ctx.outcome_words(level, outcome),
            },
        )


@register("key_accounts", "target accounts bring most of the pipeline from few visits")
def _key_accounts(ctx: _Context) -> Iterable[Finding]:
    from kpikit.analysis.key_accounts import key_accounts

    if not ctx.p.has_targets or not ctx.p.has_amounts:
        return
    ka = key_accounts(ctx.model)
    f = ka.frame.set_index("group")
    k, o = f.loc["key accounts"], f.loc["everyone else"]
    visits, pipeline = float(k["visits"] + o["visits"]), float(k["pipeline"] + o["pipeline"])
    if visits <= 0 or pipeline <= 0:
        return
    visit_share, pipe_share = float(k["visits"]) / visits, float(k["pipeline"]) / pipeline
    if not pipe_share >= 2 * visit_share or not pipe_share >= 0.25:
        return
    src = "key_accounts(model)"
    figs = {
        "engaged": Figure(ka.coverage["engaged"], "count", source=f"{src}.coverage['engaged']"),
        "target_accounts": Figure(ka.coverage["target_accounts"], "count", source=f"{src}.coverage['target_accounts']"),
        "visits": Figure(float(k["visits"]), "count", source=f"{src}: key accounts, visits"),
        "all_visits": Figure(visits, "count", source=f"{src}: visits, both groups"),
        "visit_share": Figure(visit_share, "rate", ratio_of=("visits", "all_visits")),
        "pipeline": Figure(float(k["pipeline"]), "money", source=f"{src}: key accounts, pipeline"),
        "all_pipeline": Figure(pipeline, "money", source=f"{src}: pipeline, both groups"),
        "pipeline_share": Figure(pipe_share, "rate", ratio_of=("pipeline", "all_pipeline")),
    }
    template = (
        "Key accounts: {engaged} of the {target_accounts} target accounts engaged; their {visits} visits, "
        "{visit_share} of all {all_visits}, brought {pipeline} of pipeline, {pipeline_share} of the {all_pipeline}"
    )
    money = float(k["pipeline"])
    if o["pipeline_per_visit"] > 0 and k["visits"] > 0:
        figs["per_visit"] = Figure(
            float(k["pipeline_per_visit"]), "money", source=f"{src}: key accounts, pipeline per visit"
        )
        figs["other_per_visit"] = Figure(
            float(o["pipeline_per_visit"]), "money", source=f"{src}: everyone else, pipeline per visit"
        )
        figs["times"] = Figure(float(k["pipeline_per_visit"] / o["pipeline_per_visit"]), "ratio", ratio_of=("per_visit", "other_per_visit"))  # fmt: skip
        template += ": {per_visit} per visit against {other_per_visit}, {times} an ordinary visit"
        # Pipeline beyond what the same visits bring from everyone else: what a visit count does not see.
        money = float(k["pipeline"] - k["visits"] * o["pipeline_per_visit"])
    yield Finding(
        kind="key_accounts",
        level="account",
        segment="key accounts",
        template=template + ".",
        figures=figs,
        money_at_stake=money,
    )


def _daily(ctx: _Context) -> pd.DataFrame:
    t = segment_table(ctx.model, period="D")
    t = t[t["period"] != NOT_SET].copy()
    t["day"] = pd.to_datetime(t["period"], format="%Y-%m-%d")
    return t.sort_values("day").reset_index(drop=True)


def _poisson_llr(kb: float, nb: float, ka: float, na: float) -> float:
    def ll(k, n, lam):
        return (k * math.log(lam) if k > 0 else 0.0) - n * lam

    pooled = (kb + ka) / (nb + na)
    return ll(kb, nb, kb / nb) + ll(ka, na, ka / na) - ll(kb, nb, pooled) - ll(ka, na, pooled)


@register("kpi_shift", "a date after which CTR rose while the real outcome and pipeline fell")
def _kpi_shift(ctx: _Context) -> Iterable[Finding]:
    from kpikit.analysis.funnel import cohorts

    outcome, v = ctx.outcome, ctx.vanity
    if ctx.p.mode != "crm" or outcome not in STAGES or not v.higher_is_better or v.kind != "rate":
        return
    d = _daily(ctx)
    if len(d) < 70:
        return
    horizon = cohorts(ctx.model, "W").attrs.get("maturity_days", np.nan)
    if not horizon == horizon or ctx.p.data_end is None:
        return
    # Outcomes count by the lead's day: only cohorts old enough to have reached the outcome are compared.
    last_mature = (pd.Timestamp(ctx.p.data_end) - pd.Timedelta(days=float(horizon))).normalize()
    mature = (d["day"] <= last_mature).to_numpy()
    # Before/after totals of every split at once, from cumulative sums. "Before" is the last
    # BEFORE_DAYS days (an earlier campaign must not colour the comparison); "after" runs to the end.
    cols = [c for c in SEGMENT_MEASURES if d[c].notna().any()]
    zero = {c: np.concatenate([[0.0], np.cumsum(d[c].to_numpy(dtype="float64"))]) for c in cols}
    km = np.concatenate([[0.0], np.cumsum(np.where(mature, d[outcome].to_numpy(dtype="float64"), 0.0))])
    nm = np.concatenate([[0.0], np.cumsum(mature.astype("float64"))])
    n = len(d)
    at = np.arange(28, n - 13)
    lo = np.maximum(at - BEFORE_DAYS, 0)
    vb = np.asarray(v.compute({c: zero[c][at] - zero[c][lo] for c in cols}), dtype="float64")
    va = np.asarray(v.compute({c: zero[c][n] - zero[c][at] for c in cols}), dtype="float64")
    kb, nb = km[at] - km[lo], nm[at] - nm[lo]
    ka, na = km[n] - km[at], nm[n] - nm[at]
    best = None
    for j, i in enumerate(at):
        if nb[j] < 28 or na[j] < 14 or kb[j] <= 0:
            continue
        if not (va[j] >= vb[j] * 1.1 and ka[j] / na[j] <= 0.8 * kb[j] / nb[j]):
            continue
        score = _poisson_llr(kb[j], nb[j], ka[j], na[j])
        if best is None or score > best[0]:
            best = (score, int(i), int(lo[j]))
    if best is None or best[0] < 3.0:  # likelihood ratio: about 1-in-50 by chance at one split
        return
    _, i, start = best
    day = d["day"].iloc[i]
    before, after = d.iloc[start:i], d.iloc[i:]
    mb, ma = before[mature[start:i]], after[mature[i:]]
    wb, wa = len(mb) / 7.0, len(ma) / 7.0
    figs = {
        "days_before": Figure(len(before), "days", source="days before the shift compared"),
        "vanity_before": Figure(_value(v.name, before), v.kind, v.name, source="the days before the shift"),
        "vanity_after": Figure(_value(v.name, after), v.kind, v.name, source="the days from the shift on"),
        "per_week_before": Figure(float(mb[outcome].sum()) / wb, "number", source="mature days before, per 7 days"),
        "per_week_after": Figure(float(ma[outcome].sum()) / wa, "number", source="mature days after, per 7 days"),
    }
    template = (
        f"From {{shift}}, {v.label} rose from {{vanity_before}} in the {{days_before}} before to "
        "{vanity_after} after, while {outcome_many} fell from {per_week_before} to {per_week_after} a week"
    )
    money = None
    if ctx.p.has_amounts:
        pb, pa = float(mb["pipeline"].sum()) / wb, float(ma["pipeline"].sum()) / wa
        if pa < pb:
            figs["pipeline_before"] = Figure(pb, "money", source="mature days before: pipeline per 7 days")
            figs["pipeline_after"] = Figure(pa, "money", source="mature days after: pipeline per 7 days")
            template += " and pipeline from {pipeline_before} to {pipeline_after} a week"
            money = (pb - pa) * wa
    # Where the spend went: the ad groups that beat their campaign's CTR (the vanity leaders) and
    # whose own share of spend grew across the shift.
    leaders = _leader_paths(ctx)
    words = {"outcome_many": label(outcome)}
    groups: dict[str, Group] = {}
    if leaders:
        keys = ["platform", "campaign", "ad_group"]
        sp = segment_table(ctx.model, by=keys, period="D")
        sp = sp[(sp["period"] != NOT_SET) & (sp["cost"] > 0)]
        when = pd.to_datetime(sp["period"], format="%Y-%m-%d")
        sp = sp[when >= d["day"].iloc[start]]
        is_after = (when[sp.index] >= day).to_numpy()
        path = pd.Series(list(sp[keys].astype("str").itertuples(index=False, name=None)), index=sp.index)
        cost = sp["cost"].to_numpy(dtype="float64")
        by_b = pd.Series(cost * ~is_after, index=sp.index).groupby(path).sum() / cost[~is_after].sum()
        by_a = pd.Series(cost * is_after, index=sp.index).groupby(path).sum() / cost[is_after].sum()
        grew = [p for p in leaders if p in by_a.index and by_a[p] > 1.5 * by_b.get(p, 0.0)]
        share_b, share_a = float(by_b[grew].sum()) if grew else 0.0, float(by_a[grew].sum()) if grew else 0.0
        if grew and share_a > share_b:
            figs["share_before"] = Figure(share_b, "rate", source="spend share of the named ad groups before")
            figs["share_after"] = Figure(share_a, "rate", source="spend share of the named ad groups after")
            words["leaders"] = _names([p[-1] for p in grew])
            groups["leaders"] = Group(tuple(keys), rows=tuple(grew))
            template += (
                ", as spend moved to ad groups that beat their campaign's CTR ({leaders}: from {share_before} "
                "to {share_after} of spend)"
            )
    template += ". Counted on leads up to {last_mature}: later ones are too recent to have become {outcome_many}."
    yield Finding(
        kind="kpi_shift",
        level="period",
        segment="account",
        template=template,
        figures=figs,
        money_at_stake=money,
        words=words,
        groups=groups,
        dates={"shift": day.strftime("%Y-%m-%d"), "last_mature": last_mature.strftime("%Y-%m-%d")},
    )


def _leader_paths(ctx: _Context) -> list[tuple[str, ...]]:
    """Ad groups whose CTR beats their campaign's (campaigns with at least three), best first."""
    level = LEVELS[2]
    kids = ctx.children(level)
    out: list[tuple[float, tuple[str, ...]]] = []
    for _, rows in kids.groupby("_parent", sort=True):
        rows = rows[rows["ad_group"] != NOT_SET]
        if len(rows) < 3:
            continue
        ref = _value(ctx.vanity.name, rows)
        seg = np.asarray(ctx.vanity.compute(rows), dtype="float64")
        out += [(_vanity_better(ctx, x, ref), p) for p, x in zip(rows["_path"], seg, strict=True)]
    return [p for r, p in sorted(out, key=lambda t: (-t[0], t[1])) if r >= 1.0]


_ACRONYMS = {"cmo", "cfo", "ceo", "cro", "cdo", "vp", "sdr", "bdr", "abm"}


def _role_words(role: str) -> str:
    return " ".join(w.upper() if w.lower() in _ACRONYMS else w for w in str(role).replace("_", " ").split())


@register("kpi_misaligned", "a role's vanity KPI that does not move with the real outcome week by week")
def _kpi_misaligned(ctx: _Context) -> Iterable[Finding]:
    from kpikit.analysis.alignment import kpi_alignment
    from kpikit.analysis.vanity import VANITY_KPIS

    if ctx.p.mode != "crm":
        return
    al = kpi_alignment(ctx.model, period="W")
    outcome = al.outcome
    for _, r in al.frame.iterrows():
        kpi = r["kpi"]
        if kpi not in VANITY_KPIS or r["correlation"] is None or r["correlation"] != r["correlation"]:
            continue
        moves = max(int(r["periods"]) - 1, 0)
        fell = int(r["improved_while_outcome_fell"])
        corr = float(r["correlation"])
        if moves == 0 or not (corr < 0.3 or fell / moves >= 0.25):
            continue
        verb = "moved against" if corr < -0.3 else ("barely moved with" if corr < 0.3 else "moved with")
        src = "kpi_alignment(model, period='W')"
        figs = {
            "correlation": Figure(corr, "coefficient", source=f"{src}: correlation"),
            "periods": Figure(int(r["periods"]), "count", source=f"{src}: periods"),
            "fell": Figure(fell, "count", source=f"{src}: improved_while_outcome_fell"),
            "moves": Figure(moves, "count", source=f"{src}: periods - 1"),
        }
        name = VANITY_KPIS[kpi].label
        role = _role_words(r["role"])
        template = (
            f"The {{role}} is paid on {name}, which {verb} {{outcome_many}} week by week (correlation {{correlation}} "
            f"over {{periods}} weeks); {name} improved while {{outcome_many}} fell in {{fell}} of {{moves}} "
            "week-to-week moves."
        )
        yield Finding(
            kind="kpi_misaligned",
            level="role",
            segment=role,
            template=template,
            figures=figs,
            words={"role": role, "outcome_many": label(outcome)},
        )


# -- the view ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, kw_only=True)
class FindingsResult(Result):
    """``frame``: one row per finding (``id``, ``kind``, ``level``, ``segment``, ``text``,
    ``money_at_stake``), biggest money first; ``findings``: the :class:`Finding` objects."""

    view = "findings"
    title = "Findings"

    findings: tuple[Finding, ...]

    def items(self) -> list[dict[str, Any]]:
        """The findings as metrics.json items (see :meth:`Finding.to_dict`)."""
        return [f.to_dict(self.currency) for f in self.findings]

    def texts(self) -> list[str]:
        """The sentences, biggest money first."""
        return [f.text(self.currency) for f in self.findings]

    def _extra(self) -> dict[str, Any]:
        return {"findings": self.items()}

    def _repr_html_(self) -> str:
        # Sentences, not a grid: each escaped, with its money at stake beside it.
        cur = f" ({html.escape(self.currency)})" if self.currency else ""
        items = []
        for f in self.findings:
            money = (
                ""
                if f.money_at_stake is None
                else f" <small>at stake: {html.escape(fmt(f.money_at_stake, 'money', self.currency))}</small>"
            )
            items.append(f"<li>{html.escape(f.text(self.currency))}{money}</li>")
        notes = "".join(f"<p>{html.escape(n)}</p>" for n in self.notes)
        return (
            f'<div class="kpikit-result kpikit-findings"><h4>{html.escape(self.title)}{cur}</h4>'
            f"<ol>{''.join(items)}</ol>{notes}</div>"
        )

    def chart(self):  # pragma: no cover - findings are sentences, not a chart
        raise NotImplementedError("findings are sentences; see .texts()")


def findings(
    model,
    *,
    kinds=None,
    vanity: str = "ctr",
    max_per_level: int = 5,
    min_probability: float = MIN_PROBABILITY,
) -> FindingsResult:
    """Every divergence between vanity and value in ``model``, as traceable sentences, biggest money first.

    Parameters
    ----------
    model : ClientModel
        In one currency (``kpikit.load_client`` converts; see ``to_reporting_currency``).
    kinds : list of str, optional
        Keys of :data:`DETECTORS` to run (default: all, in registry order).
    vanity : str
        The vanity rate segments are compared on (a measure with a direction, default ``ctr``).
    max_per_level : int
        At most this many findings of one kind on one level (the biggest money at stake).
    min_probability : float
        Posterior probability needed to call one rate credibly below another.

    Returns
    -------
    FindingsResult
    """
    from kpikit.errors import OptionError

    names = list(DETECTORS) if kinds is None else list(kinds)
    bad = [k for k in names if k not in DETECTORS]
    if bad:
        raise OptionError("kinds", bad[0], DETECTORS, what="finding kind")
    if vanity not in MEASURES or MEASURES[vanity].kind not in ("rate", "money"):
        raise OptionError("vanity", vanity, ("ctr", "cpc", "cpm", "cost_per_engagement", "cost_per_lead"),
                          what="vanity KPI; it must be a rate or a cost per unit")  # fmt: skip
    ctx = _Context(model, vanity, min_probability)
    found: list[Finding] = []
    seen: set[tuple[str, str | None, str]] = set()
    for name in names:
        batch = sorted(DETECTORS[name].find(ctx), key=_order)
        per_level: dict[str, int] = {}
        for f in batch:
            # One sentence per segment: a later kind does not repeat a segment an earlier one named.
            key = (f.level, f.parent, f.segment) if "segment" in f.groups else (f.kind, f.level, f.segment)
            if key in seen or per_level.get(f.level, 0) >= max_per_level:
                continue
            seen.add(key)
            per_level[f.level] = per_level.get(f.level, 0) + 1
            found.append(f)
    found.sort(key=lambda f: (*_order(f), list(DETECTORS).index(f.kind)))
    found = _unique_ids(found)
    frame = pd.DataFrame(
        {
            "id": [f.id for f in found],
            "kind": [f.kind for f in found],
            "level": [f.level for f in found],
            "segment": [f.segment for f in found],
            "text": [f.text(ctx.currency) for f in found],
            "money_at_stake": [np.nan if f.money_at_stake is None else f.money_at_stake for f in found],
        }
    )
    notes = [] if found else ["No divergence between vanity and value is credible in this data."]
    return FindingsResult(frame=frame, currency=ctx.currency, findings=tuple(found), notes=tuple(notes))


def _order(f: Finding) -> tuple:
    money = -f.money_at_stake if f.money_at_stake is not None else math.inf
    return (money, f.id)


def _unique_ids(found: list[Finding]) -> list[Finding]:
    # Two segments can slug alike ("A & B", "A - B"): the later gets a numbered id, deterministically.
    counts: dict[str, int] = {}
    out = []
    for f in found:
        n = counts.get(f.id, 0)
        counts[f.id] = n + 1
        out.append(replace(f, suffix=n + 1) if n else f)
    return out


def key_findings(items: Sequence[Mapping[str, Any]], n: int = KEY_FINDINGS) -> list[Mapping[str, Any]]:
    """The findings a client reads first: biggest money at stake first, at most ``n``.

    The one rule for the report's *Key findings* and the workshop's intro. ``items`` are
    metrics.json items (:meth:`FindingsResult.items`); findings without a money figure keep
    the engine's order after those with one.

    Examples
    --------
    >>> [f["id"] for f in key_findings([{"id": "a", "text": "...", "money_at_stake": None},
    ...                                 {"id": "b", "text": "...", "money_at_stake": 10.0}], n=2)]
    ['b', 'a']
    """

    def stake(f: Mapping[str, Any]) -> float:
        v = f.get("money_at_stake")
        return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) else 0.0

    usable = [f for f in items if isinstance(f, Mapping) and f.get("text")]
    return sorted(usable, key=lambda f: -stake(f))[:n]
