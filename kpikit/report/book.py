"""What the report workbook's cells call: one :class:`ReportBook` per client.

The workbook (``workbooks/report.ipynb``) is narrative markdown plus one-line
code cells::

    book = ReportBook.open(client_config, output_dir)   # validate, load, compute metrics
    book.title()                                        # client, period, currency
    book.key_findings()                                 # the findings engine's top findings (if any)
    book.headline()                                     # the numbers that matter, as cards
    book.section("funnel")                              # compact tables + chart (SVG), chart saved to charts/
    ...
    book.appendix()                                     # every full table, in page-wide slices
    book.consultant_notes()                             # data fixes and config advice (consultant.html only)
    book.save_metrics()                                 # metrics.json for the runner
    book.save_tables()                                  # tables.xlsx (``kpikit report --xlsx``)

Sections are a registry (:data:`SECTIONS`): name -> heading, the engine call
that builds the result, its tables (:class:`Table`: which columns the client
reads, key column first, about eight at most) and its chart. A section whose
data is missing (no touchpoint export, no target accounts) says so instead of
showing an empty or made-up chart.

Three audiences read what a section holds:

``client``
    the story (``report.html``, ``report.pdf``): the compact tables, the notes a
    client can act on, the chart;
``appendix``
    every table in full, in slices of at most :data:`SLICE_COLUMNS` columns with
    the key column repeated (so no page clips a table), and in ``tables.xlsx``;
``consultant``
    data fixes and config advice (``consultant.html``): file reconciliation,
    campaign matching, column traps and every engine note verbatim. Which engine
    notes are consultant-only is a registry too (:data:`NOTE_RULES`).

Column headers are words: a measure's label from :func:`kpikit.core.measures.label`
and, for view columns the measures registry does not name, :data:`HEADERS`.
Every number prints by :func:`kpikit.core.fmt.fmt` (money columns carry the
currency in the header), and engine vocabulary (stages, channels, roles) prints
in words. Every chart is SVG embedded as an ``<img>`` data URI: it draws offline,
and text inside it (campaign names) can never become markup. Every label in the
HTML is escaped.

Examples
--------
>>> from kpikit.report.book import SECTIONS
>>> list(SECTIONS)  # doctest: +NORMALIZE_WHITESPACE
['funnel', 'cost_per_outcome', 'vanity_vs_value', 'key_accounts', 'attribution', 'kpi_alignment', 'forecast',
 'campaign_matching']
>>> header("step_rate", {}), header("cost_per_lead_low", {"currency": "EUR"}), header("dim_age", {})
('conversion from the previous stage', 'cost per lead, 95% low (EUR)', 'age')
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpikit.analysis.findings import KEY_FINDINGS, key_findings
from kpikit.analysis.forecast import CHARTED_STAGES, FORECAST_STAGES
from kpikit.core.fmt import MISSING, fmt, fmt_cell, html_table, is_missing
from kpikit.core.measures import KINDS, MEASURES, kind_of, label
from kpikit.errors import OptionError, ReportError
from kpikit.report._io import write_json
from kpikit.report.outputs import save_chart_svg
from kpikit.report.redact import redact

__all__ = [
    "ReportBook",
    "Section",
    "Table",
    "Col",
    "SECTIONS",
    "PlanHolds",
    "HEADERS",
    "NOTE_RULES",
    "SLICE_COLUMNS",
    "MAX_FINDINGS",
    "Html",
    "header",
    "date_words",
    "real_outcome_cost",
    "RealOutcomeCost",
]

_e = html.escape

#: Columns per slice of an appendix table (key column included): what fits an A4 page.
SLICE_COLUMNS = 8
#: Key findings shown at the top of the report, by money at stake (the workshop's intro shows the same).
MAX_FINDINGS = KEY_FINDINGS
#: What a missing count says: the data had no way to count it (a dash is for "not applicable").
NOT_MEASURED = "not measured"


class Html:
    """A piece of report HTML that displays itself in a notebook."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:  # plain-text fallback keeps markup out of text/plain
        return f"<{type(self).__name__}>"


# --------------------------------------------------------------------------- words


#: View columns the measures registry does not name (measures themselves come from ``label``).
#: ``{outcome}`` / ``{outcome_one}`` are the real outcome in words (plural / singular),
#: ``{vanity}`` the vanity KPI, ``{first}`` the funnel's first stage.
HEADERS: dict[str, str] = {
    "count": "count",
    "step_rate": "conversion from the previous stage",
    "step_low": "conversion, 95% low",
    "step_high": "conversion, 95% high",
    "cumulative_rate": "share of {first}",
    "nested": "subset of the previous stage",
    "from_stage": "from",
    "to_stage": "to",
    "n": "contacts",
    "median_days": "median time",
    "p25_days": "quickest quarter within",
    "p75_days": "slowest quarter after",
    "n_negative": "dates out of order",
    "cohort": "lead cohort",
    "rate": "conversion to {outcome_one}",
    "age_days": "days of data after the cohort",
    "mature": "had time to convert",
    "real_outcome": "{outcome}",
    "cost_per_real_outcome": "cost per {outcome_one}",
    "status": "outcomes counted",
    "vanity_rank": "rank by {vanity}",
    "value_rank": "rank by {value}",
    "small_sample": "too few to rank",
    "flag": "vanity vs value",
    "ctr_all_clicks": "CTR on all clicks",
    "inflation": "all-clicks inflation",
    "trap": "column trap",
    "engaged": "accounts engaged",
    "won_contacts": "contacts in won deals",
    "contact_win_rate": "contacts' win rate",
    "role": "role",
    "kpi": "KPI paid on",
    "periods": "weeks",
    "correlation": "correlation with {outcome}",
    "best_lag": "best lag (weeks)",
    "lagged_correlation": "correlation at the best lag",
    "direction_agreement": "weeks moving together",
    "improved_while_outcome_fell": "weeks KPI up, {outcome} down",
    "key": "matching key",
    "deals": "deals",
    "read": "rows read",
    "loaded": "rows loaded",
    "dropped": "rows dropped",
    "why": "why dropped",
    "problems": "problems",
    # If the plan holds (the forecast section)
    "week": "week of",
    "planned_weekly": "planned spend a week ({currency})",
    "current_weekly": "last 13 weeks' average a week ({currency})",
    "highest_week": "highest week observed ({currency})",
    "extrapolated": "evidence",
    "origins": "starting points tested",
    "wape": "forecast error (share of actual)",
    "baseline_wape": "error of the 13-week average",
    "coverage80": "weeks inside the 80% band",
    "coverage95": "weeks inside the 95% band",
}
# The forecast's stages (the engine's one list) and their 80% bounds ("opportunities, 80% low").
for _stage in FORECAST_STAGES:  # money bounds get their currency from the registry's kind, like every money column
    for _end in ("low", "high"):
        HEADERS[f"{_stage}_{_end}80"] = f"{label(_stage)}, 80% {_end}"
# Interval bounds read "<measure>, 95% low"; the suffix rule covers every measure the registry knows.
_BOUNDS = {"_low": "95% low", "_high": "95% high"}
#: Engine status values in the client's words (the rest read as they are).
STATUS_WORDS = {"ok": "enough to compare"}


def header(column: str, ctx: Mapping[str, str]) -> str:
    """The words over a column: view columns from :data:`HEADERS`, measures from the registry's ``label``.

    ``ctx`` fills ``{outcome}``-style fields and holds the ``currency`` that money headers carry.
    """
    name = str(column)
    words = HEADERS.get(name)
    if words is None:
        for suffix, bound in _BOUNDS.items():
            base = name.removesuffix(suffix)
            if base != name and (base in MEASURES or base in HEADERS):
                words = f"{_words_only(base, ctx)}, {bound}"
                break
    if words is None:
        words = label(name)
    words = words.format_map(_Fields(ctx))
    currency = ctx.get("currency", "")
    return f"{words} ({currency})" if currency and kind_of(name) == "money" else words


def _words_only(column: str, ctx: Mapping[str, str]) -> str:
    return header(column, {**ctx, "currency": ""})


class _Fields(dict):
    """``str.format_map`` fields that never raise: an unknown field reads "real outcome"."""

    def __missing__(self, key: str) -> str:
        return {"outcome_one": "real outcome", "outcome": "real outcomes", "first": "the first stage"}.get(key, key)


def date_words(value: Any) -> str:
    """A date as a client reads it: ``2026-01-01`` -> ``1 January 2026`` (time and zone kept when given).

    >>> date_words("2026-06-30"), date_words("2026-01-01T10:15:00Z"), date_words(None)
    ('30 June 2026', '1 January 2026, 10:15 UTC', '–')
    """
    if value is None or value == "":
        return MISSING
    try:
        stamp = pd.Timestamp(str(value))
    except (ValueError, TypeError):
        return str(value)
    day = f"{stamp.day} {stamp:%B %Y}"
    if "T" not in str(value) and " " not in str(value).strip():
        return day
    zone = " UTC" if stamp.tzinfo is not None and stamp.utcoffset() == _dt.timedelta(0) else ""
    return f"{day}, {stamp:%H:%M}{zone}"


def _month_words(value: Any) -> str:
    try:
        return f"{pd.Period(str(value), freq='M'):%B %Y}"
    except (ValueError, TypeError):
        return str(value)


# Engine vocabulary (snake_case stages, channels, roles) in words; CTR, CPC... as the registry spells them.
_SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_BARE_MEASURES = re.compile(r"\b(ctr|cpc|cpm|cac)\b")


def _plain_words(text: str) -> str:
    """Identifiers inside an engine sentence in words (``campaign_manager: ctr`` -> ``campaign manager: CTR``)."""
    text = _SNAKE.sub(lambda m: label(m.group(0)), text)
    return _BARE_MEASURES.sub(lambda m: label(m.group(0)), text)


# --------------------------------------------------------------------------- notes


@dataclass(frozen=True)
class NoteRule:
    """How an engine note reaches the client: ``pattern`` found -> consultant only, or rewritten.

    ``replace=None`` keeps the note off the client's pages (it shows on consultant.html);
    a string replaces the matched text in the client's version (``""`` drops it).
    """

    pattern: re.Pattern[str]
    replace: str | None = None
    why: str = ""


#: Engine notes the client does not read as they are (first matching rule wins per pattern; all rules apply).
NOTE_RULES: tuple[NoteRule, ...] = (
    NoteRule(re.compile(r"\s*\(see [a-z_]+\)"), "", "a pointer to an engine function"),
    NoteRule(re.compile(r"campaign_map|client config|client\.yaml|kpikit|validate"), None, "config advice"),
    NoteRule(re.compile(r"[Cc]olumn trap|Report CTR on"), None, "a data-source fix"),
    NoteRule(re.compile(r"fall before the previous stage|came after their contact converted"), None, "data errors"),
    NoteRule(re.compile(r"\bnan\b|\bNaN\b|\bNone\b|–\s*days"), None, "a figure that could not be measured"),
)


def client_note(note: str) -> str | None:
    """The client's version of an engine note, or None when it belongs on the consultant page only.

    >>> client_note("3 segment(s) have outcomes but no matched spend (see match_campaigns).")
    '3 segment(s) have outcomes but no matched spend.'
    >>> client_note("add them to campaign_map in the client config") is None
    True
    >>> client_note("head_of_digital: clicks improved while opportunity fell")
    'head of digital: clicks improved while opportunity fell'
    """
    text = str(note)
    for rule in NOTE_RULES:
        if not rule.pattern.search(text):
            continue
        if rule.replace is None:
            return None
        text = rule.pattern.sub(rule.replace, text)
    return _plain_words(text)


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class Col:
    """One column the client reads.

    ``name`` is a frame column (``{vanity}``/``{outcome}``/``{value}`` fill in the view's own
    names); with ``high`` the cell shows the range ``name – high``. ``kind`` is a
    :func:`~kpikit.core.fmt.fmt` kind or one of :data:`CELLS` (default: the registry's
    ``kind_of``, then the values); ``missing`` is what a missing value says.
    """

    name: str
    high: str | None = None
    kind: str | None = None
    header: str | None = None
    missing: str | None = None


def _words_cell(value: Any) -> str:
    return STATUS_WORDS.get(str(value), label(str(value)))


def _yes_no(value: Any) -> str:
    return fmt_cell(bool(value)) if isinstance(value, bool | np.bool_) else str(value)


#: Cell kinds that are not numbers: how such a value reads.
CELLS: dict[str, Callable[[Any], str]] = {
    "text": str,
    "words": _words_cell,
    "month": _month_words,
    "yesno": _yes_no,
    "date": date_words,
}


@dataclass(frozen=True)
class Table:
    """One table of a section: the client's columns and where the full frame comes from.

    ``frame(result)`` gives the full table (appendix, Excel); ``columns`` is what the
    client reads in the story, key column first (about eight at most; empty: the table is
    not in the story): each a :class:`Col`, or ``"name"`` / ``"name:kind"`` for a column with
    no range, header or missing text of its own (``"accounts:count"``, as Altair writes
    ``"field:Q"``). ``audience`` is ``client``, ``appendix`` or ``consultant``.
    """

    title: str
    frame: Callable[[Any], pd.DataFrame]
    columns: tuple[Col | str, ...] = ()
    audience: str = "client"
    sort: str | None = None
    kind: str | None = None  # of every numeric column the registry cannot name (revenue per model: money)

    def __post_init__(self) -> None:
        object.__setattr__(self, "columns", tuple(_col(c) for c in self.columns))


def _col(spec: Col | str) -> Col:
    """A :class:`Col` from its ``"name:kind"`` shorthand (a :class:`Col` passes through)."""
    if isinstance(spec, Col):
        return spec
    name, _, kind = spec.partition(":")
    if kind and kind not in KINDS and kind not in CELLS:
        raise OptionError("kind", kind, [*KINDS, *CELLS], what=f"column kind in {spec!r}")
    return Col(name, kind=kind or None)


@dataclass(frozen=True)
class Section:
    """One registered report section.

    ``build(kpikit_module, model)`` returns an engine result; ``tables`` says what of it
    is shown (:class:`Table`); ``chart(result, currency)`` draws it (None: no chart);
    ``needs`` names model tables that must be non-empty, with the sentence the report
    shows when one is empty. A ``consultant`` section shows on consultant.html only.
    ``summary(result, currency)`` gives sentences read before the tables (None: none). A
    result with a non-empty ``unavailable`` says why the section has nothing to show.
    """

    title: str
    build: Callable[[Any, Any], Any]
    tables: tuple[Table, ...] = ()
    chart: Callable[[Any, str], Any] | None = None
    needs: dict[str, str] = field(default_factory=dict)
    audience: str = "client"
    summary: Callable[[Any, str], list[str]] | None = None


def _charts():
    from kpikit import charts  # altair is heavy, and importing it registers the kpikit theme

    return charts


def _by(result: Any, default: str = "campaign") -> str:
    return result.by[0] if getattr(result, "by", None) else default


def _value_column(result: Any) -> str:
    return next((c for c in result.frame.columns if c.startswith("cost_per_") or c.endswith("_per_cost")), "value")


@dataclass(frozen=True)
class PlanHolds:
    """What the "If the plan holds" section reads: the engine's forecast of the current plan and its backtest.

    ``forecast`` is :func:`kpikit.forecast` with the default plan (every platform keeps its
    last 13 weeks' average spend), ``backtest`` is :func:`kpikit.analysis.forecast.backtest` of
    weekly opportunities. Without a forecast (no CRM contacts, too little history) only
    ``unavailable`` is set, with the reason.
    """

    forecast: Any = None
    backtest: Any = None
    unavailable: str = ""

    @classmethod
    def build(cls, kk: Any, model: Any) -> PlanHolds:
        from kpikit.analysis.forecast import backtest
        from kpikit.errors import KpikitError

        try:
            return cls(kk.forecast(model), backtest(model))
        except KpikitError as exc:  # a client the forecast cannot serve still gets its report
            return cls(unavailable=f"No forecast for this client: {exc.message}.")

    @property
    def notes(self) -> tuple[str, ...]:
        return tuple(self.forecast.warnings) if self.forecast is not None else ()

    def weeks(self, stages: tuple[str, ...] = FORECAST_STAGES) -> pd.DataFrame:
        """One row per forecast week: each of ``stages``' expected figure and its 80% bounds.

        A stage the engine could not forecast (no deal amounts: no pipeline, no revenue) has no
        columns; with none of ``stages`` forecast the table is empty (the report leaves it out).
        """
        if self.forecast is None:
            return pd.DataFrame()
        f = self.forecast.frame
        # Weeks as days (a Monday), so they read "29 June 2026" and not with a time of day.
        weeks = f.loc[f["stage"] == FORECAST_STAGES[0], "week"].dt.strftime("%Y-%m-%d").to_numpy()
        out = pd.DataFrame({"week": weeks})
        for stage in stages:
            rows = f[f["stage"] == stage]
            if rows["mean"].isna().all():
                continue
            out[stage] = rows["mean"].to_numpy()
            out[f"{stage}_low80"] = rows["low80"].to_numpy()
            out[f"{stage}_high80"] = rows["high80"].to_numpy()
        return out if len(out.columns) > 1 else pd.DataFrame()

    def plan(self) -> pd.DataFrame:
        """The plan forecast: weekly spend per platform beside the highest week observed."""
        if self.forecast is None:
            return pd.DataFrame()
        plan = self.forecast.plan_frame()
        plan["extrapolated"] = plan["extrapolated"].replace("", "within the weeks observed")
        return plan

    def accuracy(self) -> pd.DataFrame:
        """The backtest's figures as one row."""
        if self.backtest is None:
            return pd.DataFrame()
        s = self.backtest.summary()
        return pd.DataFrame([{k: s[k] for k in ("origins", "wape", "baseline_wape", "coverage80", "coverage95")}])

    def chart_frame(self) -> pd.DataFrame:
        """The charted stages in the shape :func:`kpikit.charts.forecast_chart` draws."""
        f = self.forecast.frame
        f = f[f["stage"].isin(CHARTED_STAGES)].dropna(subset=["mean"])
        order = {s: i for i, s in enumerate(CHARTED_STAGES)}  # panels in funnel order, as the workshop draws them
        f = f.sort_values("stage", key=lambda s: s.map(order), kind="stable")
        return f.assign(plan="current plan")[["week", "stage", "plan", "mean", "low80", "high80", "low95", "high95"]]

    def sentences(self, currency: str) -> list[str]:
        """What the section says first: what the plan should bring, then how well that held in the past."""
        r = self.forecast
        spend = sum(r.plan.values())
        pipeline, revenue = r.total("pipeline"), r.total("revenue")  # NaN: not forecast (no deal amounts)
        got = [f"{fmt(r.total('opportunity'), 'count')} opportunities"]
        if not math.isnan(pipeline):
            got[0] += f" ({fmt(pipeline, 'money', currency)} of {label('pipeline')})"
        got.append(f"{fmt(r.total('won'), 'count')} won deals")
        if not math.isnan(revenue):
            got.append(f"{fmt(revenue, 'money', currency)} {label('revenue')}")
        lead = (
            f"If every platform keeps its last 13 weeks' average spend ({fmt(spend, 'money', currency)} a week in "
            f"all), the {r.horizon_weeks} weeks from {date_words(r.origin.date().isoformat())} should bring about "
            f"{', '.join(got[:-1])} and {got[-1]}."
        )
        return [lead, self.backtest.sentence()]


SECTIONS: dict[str, Section] = {
    "funnel": Section(
        "Funnel",
        lambda kk, m: kk.funnel(m),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "stage:words",
                    "count",
                    "step_rate",
                    Col("step_low", "step_high", kind="rate", header="95% range"),
                    "cumulative_rate",
                ),
            ),
            Table(
                "Days between stages",
                lambda r: r.times,
                (
                    "from_stage:words",
                    "to_stage:words",
                    "n",
                    "median_days:days",
                    Col("p25_days", "p75_days", kind="days", header="middle half of contacts"),
                ),
            ),
            Table(
                "Lead cohorts",
                lambda r: r.cohorts,
                (
                    "cohort:month",
                    "leads:count",
                    "{outcome}",
                    "rate",
                    Col("rate_low", "rate_high", header="95% range"),
                    "mature:yesno",
                ),
            ),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().funnel_chart(r.frame, by=r.by[0] if r.by else None),
    ),
    "cost_per_outcome": Section(
        "Cost per real outcome",
        lambda kk, m: kk.cost_per_outcome(m, by="campaign"),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "campaign:text",
                    "cost",
                    "ctr",
                    "lead",
                    "real_outcome",
                    "cost_per_real_outcome",
                    Col("cost_per_real_outcome_low", "cost_per_real_outcome_high", header="95% range"),
                    "status:words",
                ),
                sort="cost",
            ),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().cost_chart(
            r.frame.assign(status=r.frame["status"].replace(STATUS_WORDS)),
            by=_by(r),
            real_outcome=r.real_outcome,
            currency=cur,
        ),
    ),
    "vanity_vs_value": Section(
        "Vanity vs value",
        lambda kk, m: kk.vanity_vs_value(m, by="campaign"),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "campaign:text",
                    "cost",
                    "{vanity}",
                    "vanity_rank:count",
                    "{outcome}:count",
                    "{value}",
                    "value_rank:count",
                    "flag:text",
                ),
            ),
            Table("Column traps", lambda r: r.traps, audience="consultant"),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().vanity_chart(r.frame, by=_by(r, "segment"), vanity=r.vanity, currency=cur),
    ),
    "key_accounts": Section(
        "Key accounts",
        lambda kk, m: kk.key_accounts(m),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "group:text",
                    "accounts:count",
                    "visits",
                    "contacts:count",
                    "opportunities:count",
                    "pipeline",
                    "pipeline_per_visit",
                    "contact_win_rate",
                ),
            ),
            Table(
                "By tier",
                lambda r: r.tiers,
                (
                    "tier:text",
                    "accounts:count",
                    "engaged:count",
                    "contacts:count",
                    "opportunities:count",
                    "pipeline",
                    "revenue",
                ),
            ),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().key_accounts_chart(r.frame, currency=cur),
        needs={"target_accounts": "No target-account list was provided, so key-account engagement cannot be shown."},
    ),
    "attribution": Section(
        "Attribution comparison",
        lambda kk, m: kk.attribution(m),
        tables=(
            Table("Conversions credited", lambda r: r.frame, (Col("channel", kind="words"), Col("*", kind="number"))),
            Table("Revenue credited", lambda r: r.revenue_frame(), audience="appendix", kind="money"),
        ),
        chart=lambda r, cur: r.chart(),
        needs={"touchpoints": "No touchpoint export was provided, so attribution models cannot be compared."},
    ),
    "kpi_alignment": Section(
        "KPI alignment",
        lambda kk, m: kk.kpi_alignment(m, period="W"),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "role:words",
                    "kpi:words",
                    "correlation:coefficient",
                    "direction_agreement:rate",
                    "improved_while_outcome_fell:count",
                    Col("flag", kind="text", header="signal"),
                ),
            ),
        ),  # fmt: skip
        chart=lambda r, cur: r.chart(),
    ),
    "forecast": Section(
        "If the plan holds",
        PlanHolds.build,
        tables=(
            Table(
                "Week by week: the expected figure and its 80% range",
                lambda r: r.weeks(("lead", "opportunity", "won")),
                (
                    Col("week", kind="date"),
                    Col("lead", kind="number"),
                    Col("opportunity", kind="number"),
                    Col("opportunity_low80", "opportunity_high80", kind="number", header="opportunities, 80% range"),
                    Col("won", kind="number"),
                    Col("won_low80", "won_high80", kind="number", header="won deals, 80% range"),
                ),
            ),
            # Money in a table of its own: five stages with their ranges would not fit the page.
            Table(
                "Money, week by week: pipeline created and won revenue, with their 80% range",
                lambda r: r.weeks(("pipeline", "revenue")),
                (
                    Col("week", kind="date"),
                    Col("pipeline", kind="money"),
                    Col("pipeline_low80", "pipeline_high80", kind="money", header="pipeline, 80% range"),
                    Col("revenue", kind="money"),
                    Col("revenue_low80", "revenue_high80", kind="money", header="won revenue, 80% range"),
                ),
            ),
            Table(
                "The plan",
                lambda r: r.plan(),
                (
                    Col("platform", kind="words"),
                    Col("planned_weekly", kind="money"),
                    Col("highest_week", kind="money"),
                    Col("extrapolated", kind="text"),
                ),
                kind="money",
            ),
            Table(
                "Forecast accuracy on past weeks",
                lambda r: r.accuracy(),
                (
                    Col("origins", kind="count"),
                    Col("wape", kind="rate"),
                    Col("baseline_wape", kind="rate"),
                    Col("coverage80", kind="rate"),
                    Col("coverage95", kind="rate"),
                ),
                audience="appendix",
            ),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().forecast_chart(r.chart_frame(), currency=cur),
        summary=lambda r, cur: r.sentences(cur),
    ),
    "campaign_matching": Section(
        "Campaign matching",
        lambda kk, m: kk.match_campaigns(m),
        tables=(
            Table(
                "",
                lambda r: r.frame,
                (
                    "campaign:text",
                    "platform:words",
                    "status:text",
                    "spend:money",
                    "contacts:count",
                    "deals:count",
                    "pipeline",
                    "key:text",
                ),
            ),
        ),  # fmt: skip
        chart=lambda r, cur: _charts().match_chart(r.frame, currency=cur),
        audience="consultant",
    ),
}


def _context(result: Any, metrics: Mapping[str, Any], currency: str) -> dict[str, str]:
    """The view's own names (``{vanity}``...) and their words, for column names and headers."""
    outcome = getattr(result, "real_outcome", None) or getattr(result, "outcome", None) or metrics.get("real_outcome")
    outcome = str(outcome or "real_outcome")
    stages = getattr(result, "stages", None) or ("impressions",)
    vanity = str(getattr(result, "vanity", "") or "vanity")
    return {
        "currency": currency,
        "outcome": label(outcome),
        "outcome_one": label(outcome, plural=False),
        "vanity": label(vanity),
        "first": label(str(stages[0])),
        "value": label(_value_column(result)) if hasattr(result, "frame") else "value",
        # column names, not words: what ``{vanity}`` in a Col name stands for
        "col:vanity": vanity,
        "col:outcome": outcome,
        "col:value": _value_column(result) if hasattr(result, "frame") else "value",
    }


def _resolve(name: str, ctx: Mapping[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: ctx.get(f"col:{m.group(1)}", m.group(0)), name)


#: Columns whose values are engine vocabulary (``paid_search``, ``campaign_manager``): printed in words.
VOCABULARY = frozenset({"stage", "from_stage", "to_stage", "channel", "role", "kpi", "platform", "model", "status"})
# Kinds a view column's name implies where the measures registry has no word for it.
_NAME_KINDS = (("_days", "days"), ("correlation", "coefficient"), ("_rank", "count"))


def _infer_kind(column: str, values: pd.Series) -> str:
    """A column's print kind: vocabulary, the registry's kind, a name rule, else read from the values."""
    if column in VOCABULARY:
        return "words"
    present = values.dropna()
    if values.dtype.kind == "b" or (len(present) and present.map(lambda v: isinstance(v, bool | np.bool_)).all()):
        return "yesno"
    if values.dtype.kind not in "fiu":
        if pd.api.types.is_datetime64_any_dtype(values):
            return "date"
        return "text"
    sample = values.dropna()
    kind = kind_of(column, float(sample.abs().max()) if len(sample) else None)
    if kind is not None:
        return kind
    kind = next((k for part, k in _NAME_KINDS if part in column), None)
    if kind is not None:
        return kind
    return "count" if bool((sample == sample.round()).all()) else "number"


def _cell(value: Any, kind: str, missing: str) -> str:
    if is_missing(value):
        return missing
    if isinstance(value, bool | np.bool_):  # never Python's True/False, whatever the column's kind
        return fmt_cell(bool(value))
    if kind in CELLS:
        return CELLS[kind](value)
    if not isinstance(value, int | float | np.integer | np.floating):
        return str(value)
    return fmt(value, kind)  # money without the code: the header names the currency


# Counts of a funnel stage or outcome: missing means the data had no way to count it.
_MEASURED_COUNTS = frozenset({n for n, m in MEASURES.items() if m.kind == "count"} | {"count", "real_outcome"})


def _missing_for(kind: str, column: str) -> str:
    # A stage count the data cannot give was not measured; a ratio with nothing to divide, a rank of an
    # unranked row or a figure that does not apply (accounts of "everyone else") is a dash.
    return NOT_MEASURED if kind == "count" and column in _MEASURED_COUNTS else MISSING


@dataclass(frozen=True)
class Shown:
    """A table ready to print: display headers, string cells, and the numbers behind them (for Excel)."""

    title: str
    frame: pd.DataFrame  # the values, original columns
    headers: dict[str, str]
    kinds: dict[str, str]
    key: str

    def for_excel(self) -> tuple[pd.DataFrame, dict[str, str], dict[str, str]]:
        """``(frame, headers, kinds)`` with numbers kept as numbers and every other kind as its text."""
        frame = self.frame.copy()
        kinds = dict(self.kinds)
        for c, kind in self.kinds.items():
            if kind in CELLS and kind != "date" or frame[c].dtype.kind == "b":
                frame[c] = [None if is_missing(v) else _cell(v, kind, "") for v in frame[c].tolist()]
                kinds[c] = "text"
        return frame, dict(self.headers), kinds

    def display(self, columns: list[str] | None = None) -> pd.DataFrame:
        """Every cell as the text the client reads, under the header words."""
        cols = columns or list(self.frame.columns)
        out = {}
        for c in cols:
            kind = self.kinds[c]
            out[self.headers[c]] = [_cell(v, kind, _missing_for(kind, c)) for v in self.frame[c].tolist()]
        return pd.DataFrame(out, columns=[self.headers[c] for c in cols])


def _full(table: Table, result: Any, ctx: Mapping[str, str]) -> Shown | None:
    """The full frame of ``table`` with words for every column (appendix, Excel, consultant page)."""
    frame = table.frame(result)
    if frame is None or not len(frame):
        return None
    frame = frame.reset_index(drop=True)
    if table.sort and table.sort in frame.columns:
        frame = frame.sort_values(table.sort, ascending=False, na_position="last", kind="stable")
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c) for c in frame.columns]
    kinds = {c: _infer_kind(c, frame[c]) for c in frame.columns}
    if table.kind:
        kinds.update({c: table.kind for c in frame.columns if frame[c].dtype.kind in "fiu" and kind_of(c) is None})
    headers = {c: header(c, ctx) for c in frame.columns}
    if table.kind == "money" and ctx.get("currency"):
        headers.update({c: f"{headers[c]} ({ctx['currency']})" for c in frame.columns if kinds[c] == "money"
                        and kind_of(c) is None})  # fmt: skip
    for col in table.columns:  # the client's columns say their kind and header; the appendix uses the same
        for name in (_resolve(col.name, ctx), col.high):
            if col.kind and name in kinds:
                kinds[name] = col.kind
        name = _resolve(col.name, ctx)
        if col.header and not col.high and name in headers:
            headers[name] = col.header
    headers = _unique(headers)
    return Shown(table.title, frame, headers, kinds, key=str(frame.columns[0]))


def _unique(headers: dict[str, str]) -> dict[str, str]:
    seen: dict[str, int] = {}
    out = {}
    for c, h in headers.items():
        n = seen.get(h, 0)
        seen[h] = n + 1
        out[c] = h if n == 0 else f"{h} ({c.replace('_', ' ')})"
    return out


def _story(table: Table, full: Shown, ctx: Mapping[str, str]) -> pd.DataFrame:
    """The client's compact version of a table: its ``columns``, ranges merged into one cell."""
    out: dict[str, list[str]] = {}
    frame = full.frame
    for col in table.columns:
        if col.name == "*":
            used = {_resolve(c.name, ctx) for c in table.columns}
            for name in [c for c in frame.columns if c not in used]:
                kind = col.kind or full.kinds[name]
                out[header(name, ctx)] = [_cell(v, kind, _missing_for(kind, name)) for v in frame[name].tolist()]
            continue
        name = _resolve(col.name, ctx)
        if name not in frame.columns:
            continue  # a view without this column (another engine version): show what there is
        kind = col.kind or full.kinds[name]
        missing = col.missing if col.missing is not None else _missing_for(kind, name)
        if col.high and col.high in frame.columns:
            lows = [_cell(v, kind, "") for v in frame[name].tolist()]
            highs = [_cell(v, kind, "") for v in frame[col.high].tolist()]
            # No-break spaces: a range reads as one figure and never wraps inside a table cell.
            cells = [f"{lo}\u00a0–\u2060\u00a0{hi}".replace(" ", "\u00a0") if lo and hi else MISSING
                     for lo, hi in zip(lows, highs, strict=True)]  # fmt: skip
            words = col.header or header(name, ctx)
            unit = f" ({ctx['currency']})" if ctx.get("currency") and kind == "money" else ""
            out[f"{words}{unit}"] = cells
        else:
            words = header(name, ctx) if col.header is None else col.header
            out[words] = [_cell(v, kind, missing) for v in frame[name].tolist()]
    return pd.DataFrame(out)


def _slices(full: Shown) -> list[list[str]]:
    """Column groups of at most :data:`SLICE_COLUMNS`, the key column first in each, as even as can be.

    >>> _slices(Shown("", pd.DataFrame(columns=list("kabcdefghi")), {}, {}, "k"))
    [['k', 'a', 'b', 'c', 'd', 'e'], ['k', 'f', 'g', 'h', 'i']]
    """
    rest = [c for c in full.frame.columns if c != full.key]
    parts = max(1, math.ceil(len(rest) / (SLICE_COLUMNS - 1)))
    size = math.ceil(len(rest) / parts) if rest else 0
    return [[full.key, *rest[i : i + size]] for i in range(0, max(len(rest), 1), max(size, 1))]


def _table_html(frame: pd.DataFrame, cls: str = "kk-table") -> str:
    return html_table(frame, max_rows=len(frame) + 1, cls=cls)


def _svg_img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="kk-chart" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _note(text: str, kind: str = "info") -> Html:
    return Html(f'<div class="kk-note kk-note-{_e(kind)}"><p>{_e(text)}</p></div>')


def _notes_html(notes: list[str], cls: str = "kk-notes") -> str:
    if not notes:
        return ""
    return f'<ul class="{cls}">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"


def _has(model: Any, table: str) -> bool:
    frame = getattr(model, table, None)
    return frame is not None and len(frame) > 0


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class RealOutcomeCost:
    """The one cost per real outcome a client reads (cards, index): value, 95% interval, counts, wording."""

    stage: str
    value: float | None
    low: float | None
    high: float | None
    outcomes: float | None
    all_outcomes: float | None = None
    blended: float | None = None
    paid: bool = False
    definition: str = ""


def real_outcome_cost(metrics: Mapping[str, Any]) -> RealOutcomeCost:
    """The cost per real outcome of ``metrics.json``: the findings engine's ``headline`` when there.

    The headline is paid-media spend / real outcomes attributed to a paid campaign, its 95% interval
    computed from those counts (:func:`kpikit.analysis.stats.cost_per_outcome_interval`); the blended
    figure (every outcome, organic included) comes along, labelled. Without a headline block:
    ``real_outcome_cost`` as the engine computed it.

    >>> c = real_outcome_cost({"headline": {"outcome": "won", "cost_per_real_outcome_paid": 100.0,
    ...     "paid_outcomes": 10, "paid_spend": 1000.0, "cost_per_real_outcome_blended": 80.0, "all_outcomes": 12}})
    >>> c.stage, c.value, round(c.low, 2), round(c.high, 2), c.blended, c.paid
    ('won', 100.0, 54.38, 208.53, 80.0, True)
    >>> real_outcome_cost({"real_outcome_cost": {"stage": "sql", "cost_per": 5.0, "low": 4.0, "high": 7.0}}).low
    4.0
    """
    head = metrics.get("headline") if isinstance(metrics.get("headline"), Mapping) else {}
    real = metrics.get("real_outcome_cost") or {}
    if head and "cost_per_real_outcome_paid" in head:
        spend, count = _number(head.get("paid_spend")), _number(head.get("paid_outcomes"))
        low = high = None
        if spend and count:
            from kpikit.analysis.stats import cost_per_outcome_interval  # scipy: only once there is a count

            low, high = (float(x) for x in cost_per_outcome_interval(spend, count))
        return RealOutcomeCost(
            stage=str(head.get("outcome") or metrics.get("real_outcome") or "real_outcome"),
            value=_number(head.get("cost_per_real_outcome_paid")),
            low=low,
            high=high,
            outcomes=count,
            all_outcomes=_number(head.get("all_outcomes")),
            blended=_number(head.get("cost_per_real_outcome_blended")),
            paid=True,
            definition=str(head.get("definition") or ""),
        )
    return RealOutcomeCost(
        stage=str(real.get("stage") or metrics.get("real_outcome") or "real_outcome"),
        value=_number(real.get("cost_per")),
        low=_number(real.get("low")),
        high=_number(real.get("high")),
        outcomes=_number(real.get("count")),
    )


class ReportBook:
    """One client's report: its model, its metrics and the sections drawn from them.

    Use :meth:`open`; the constructor takes an already-loaded model (tests).
    """

    def __init__(self, model: Any, output_dir: str | os.PathLike = "") -> None:
        import kpikit

        self.kpikit = kpikit
        self.model = model
        self.config = model.config
        self.output_dir = str(output_dir or "")
        self.metrics: dict[str, Any] = kpikit.metrics(model)
        self._results: dict[str, Any] = {}
        self._shown_notes: set[str] = set()

    # -- construction --------------------------------------------------------------
    @classmethod
    def open(cls, client_config: Any, output_dir: Any = "", cache_dir: Any = "") -> ReportBook:
        """Validate the workbook's parameters, load the client and compute its metrics.

        ``cache_dir`` (set by ``kpikit report``) is the parsed-exports cache
        (:mod:`kpikit.ingest.cache`); empty: read the raw exports.

        Raises
        ------
        ReportError
            for a parameter of the wrong type, a missing config, or an output
            folder that does not exist.
        """
        if not isinstance(client_config, str | os.PathLike) or not str(client_config).strip():
            raise ReportError(
                "parameter client_config must be the path of a client.yaml",
                column="client_config",
                found=repr(client_config),
                fix="papermill -p client_config path/to/client.yaml",
            )
        if not isinstance(output_dir, str | os.PathLike):
            raise ReportError(
                "parameter output_dir must be a folder path, or '' to write nothing",
                column="output_dir",
                found=repr(output_dir),
                fix="papermill -p output_dir build/reports/acme",
            )
        if str(output_dir) and not Path(output_dir).is_dir():
            raise ReportError(
                "output folder does not exist",
                column="output_dir",
                found=repr(str(output_dir)),
                fix="create it first, or run the batch with `kpikit report`",
            )
        import kpikit

        if not isinstance(cache_dir, str | os.PathLike):
            raise ReportError(
                "parameter cache_dir must be a folder path, or '' for no cache",
                column="cache_dir",
                found=repr(cache_dir),
                fix="leave it to kpikit report, or pass -p cache_dir build/reports/acme/cache",
            )
        return cls(kpikit.load_client(client_config, cache_dir=str(cache_dir) or None), output_dir)

    # -- helpers -------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.metrics.get("currency") or getattr(self.config, "currency", "")

    @property
    def client_name(self) -> str:
        return getattr(self.config, "name", "") or getattr(self.config, "client", "")

    def result(self, name: str) -> Any:
        """The engine result behind section ``name`` (computed once), or None when its data is missing."""
        if name not in SECTIONS:
            raise ReportError("unknown report section", found=repr(name), expected=f"one of {list(SECTIONS)}")
        if name not in self._results:
            spec = SECTIONS[name]
            ready = all(_has(self.model, t) for t in spec.needs)
            self._results[name] = spec.build(self.kpikit, self.model) if ready else None
        return self._results[name]

    def _ctx(self, result: Any) -> dict[str, str]:
        return _context(result, self.metrics, self.currency)

    def _chart_html(self, chart: Any, name: str, alt: str) -> str:
        from kpikit.charts import to_svg

        svg = to_svg(chart)
        save_chart_svg(svg, name, self.output_dir)
        return f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>'

    def tables(self, audiences: tuple[str, ...] = ("client", "appendix")) -> list[tuple[str, Shown]]:
        """Every table of every section with data, in full: ``(section name, table)``, in report order."""
        out = []
        for name, spec in SECTIONS.items():
            result = self.result(name)
            if result is None:
                continue
            ctx = self._ctx(result)
            for table in spec.tables:
                audience = "consultant" if spec.audience == "consultant" else table.audience
                if audience not in audiences:
                    continue
                full = _full(table, result, ctx)
                if full is not None:
                    out.append((name, full))
        return out

    # -- the story -----------------------------------------------------------------
    def title(self) -> Html:
        """One line under the heading: client, the period the data covers, the reporting currency."""
        dates = self.metrics.get("date_range") or {}
        if dates.get("start"):
            period = f"data from {date_words(dates.get('start'))} to {date_words(dates.get('end'))}"
        else:
            period = "period unknown"
        text = f"{self.client_name} · {period} · money in {self.currency}"
        return Html(f'<p class="kk-period">{_e(text)}</p>')

    def key_findings(self) -> Html:
        """The findings engine's top findings by money at stake (at most :data:`MAX_FINDINGS`), first of all.

        Reads ``metrics["findings"]`` (items with ``text``, ``segment``, ``money_at_stake``: the engine's
        sentences, every figure already printed by ``fmt``). Without findings it renders nothing at all.
        """
        ranked = key_findings(self.metrics.get("findings") or [], MAX_FINDINGS)
        if not ranked:
            return Html("")
        items = []
        for f in ranked:
            stake = _number(f.get("money_at_stake"))
            meta = f"Money at stake: {fmt(stake, 'money', self.currency)}" if stake else ""
            items.append(
                f'<li class="kk-finding"><p class="kk-finding-text">{_e(str(f["text"]))}</p>'
                + (f'<p class="kk-finding-meta">{_e(meta)}</p>' if meta else "")
                + "</li>"
            )
        return Html(f'<h2 id="key-findings">Key findings</h2><ol class="kk-findings">{"".join(items)}</ol>')

    def headline(self) -> Html:
        """Headline numbers as cards: spend, the vanity KPIs, and the one cost per real outcome."""
        m, cur = self.metrics, self.currency
        totals = m.get("totals") or {}
        cost = real_outcome_cost(m)
        outcomes, singular = label(cost.stage), label(cost.stage, plural=False)
        interval = ""
        if cost.low is not None and cost.high is not None:
            interval = f"95% range {fmt(cost.low, 'money', cur)} – {fmt(cost.high, 'money', cur)}"
        blended = "" if cost.blended is None else f"blended over all {outcomes}: {fmt(cost.blended, 'money', cur)}"
        everyone = "" if cost.all_outcomes is None else f"{fmt(cost.all_outcomes, 'count')} in all, organic included"
        basis = " from paid media" if cost.paid else ""
        cards = [
            ("Spend", fmt(totals.get("spend"), "money", cur), ""),
            ("Clicks", fmt(totals.get("clicks"), "count"), f"CTR {fmt(totals.get('ctr'), 'rate')}"),
            ("Cost per click", fmt(totals.get("cpc"), "money", cur), "what the platforms optimise"),
            (f"Real outcomes: {outcomes}{basis}", fmt(cost.outcomes, "count", missing=NOT_MEASURED), everyone),
            (f"Cost per {singular}{basis}", fmt(cost.value, "money", cur, missing=NOT_MEASURED),
             " · ".join(s for s in (interval, blended) if s)),
            ("Pipeline", fmt(totals.get("pipeline"), "money", cur), f"won revenue {fmt(totals.get('revenue'), 'money', cur)}"),
        ]  # fmt: skip
        body = "".join(
            f'<div class="kk-card"><div class="kk-card-label">{_e(name)}</div>'
            f'<div class="kk-card-value">{_e(value)}</div><div class="kk-card-sub">{_e(sub)}</div></div>'
            for name, value, sub in cards
        )
        definition = f'<p class="kk-definition">{_e(cost.definition)}</p>' if cost.definition else ""
        return Html(f'<div class="kk-cards">{body}</div>{definition}')

    def section(self, name: str) -> Html:
        """Render a registered section (see :data:`SECTIONS`): compact tables, the client's notes and the chart."""
        result = self.result(name)
        spec = SECTIONS[name]
        if result is None:
            return _note(next(reason for t, reason in spec.needs.items() if not _has(self.model, t)))
        if getattr(result, "unavailable", ""):
            return _note(result.unavailable)
        ctx = self._ctx(result)
        consultant = spec.audience == "consultant"
        parts = [f'<div class="kk-section kk-section-{_e(name)}">']
        if spec.summary is not None:
            parts.extend(f'<p class="kk-summary">{_e(text)}</p>' for text in spec.summary(result, self.currency))
        for table in spec.tables:
            if not table.columns and not consultant:
                continue
            if table.audience != "client" and not consultant:
                continue
            full = _full(table, result, ctx)
            if full is None:
                continue
            if table.title:
                parts.append(f"<h4>{_e(table.title)}</h4>")
            shown = _story(table, full, ctx) if table.columns else full.display()
            parts.append(_table_html(shown))
        notes = list(getattr(result, "notes", ()))
        if consultant:
            parts.append(_notes_html(notes))
        else:
            self._shown_notes.update(notes)
            parts.append(_notes_html([n for n in map(client_note, notes) if n]))
        if spec.chart is not None:
            parts.append(self._chart_html(spec.chart(result, self.currency), name, f"{spec.title} chart"))
        parts.append("</div>")
        return Html("".join(parts))

    def data_quality(self) -> Html:
        """How complete the data is, in three figures; and what to keep in mind that no section said yet."""
        match = self.metrics.get("match") or {}
        parts = []
        if match:
            parts.append(
                "<p>"
                f"Spend tied to a campaign with CRM outcomes: {_e(fmt(match.get('spend_match_rate'), 'rate'))}; "
                f"leads tied to a campaign: {_e(fmt(match.get('contact_match_rate'), 'rate'))}; "
                f"deals tied to a campaign: {_e(fmt(match.get('deal_match_rate'), 'rate'))}. "
                "Outcomes that cannot be tied to a campaign count in the totals but in no campaign's cost.</p>"
            )
        report = getattr(self.model, "load_report", None)
        spend = report.spend_total() if report is not None else {}
        if len(spend) > 1:
            listed = ", ".join(_e(fmt(v, "money", c)) for c, v in spend.items())
            parts.append(f"<p>Spend as exported, by original currency: {listed}; converted to {_e(self.currency)}.</p>")
        unsaid = []
        for warning in self.metrics.get("warnings") or []:
            text = client_note(str(warning))
            if warning not in self._shown_notes and text and text not in unsaid:
                unsaid.append(text)
        if unsaid:
            parts.append(f"<h4>What to keep in mind</h4>{_notes_html(unsaid, 'kk-warnings')}")
        return Html("".join(parts))

    def snapshots(self) -> Html:
        """The workshop snapshots saved in ``<client folder>/snapshots/``: figures before and after, charts."""
        folder = Path(getattr(self.config, "base_dir", ".")) / "snapshots"
        docs = _read_snapshots(folder)
        if not docs:
            return _note("No workshop snapshot has been saved for this client yet.")
        parts = []
        for doc in docs:
            title = str(doc.get("title") or doc.get("explorer") or doc.get("name") or "Snapshot")
            parts.append(f"<h4>{_e(title)}</h4>")
            if doc.get("created_utc"):
                parts.append(f"<p class='kk-snap-meta'>Saved {_e(date_words(doc['created_utc']))}</p>")
            if doc.get("summary"):
                parts.append(f"<p>{_e(str(doc['summary']))}</p>")
            currency = str(doc.get("currency") or self.currency)
            for table in snapshot_tables(doc.get("numbers") or {}, currency):
                parts.append(_table_html(table))
            for chart in doc.get("charts") or []:
                svg_name = Path(str(chart.get("svg") or "")).name  # a file in the snapshots folder, nothing else
                svg_path = folder / svg_name
                if svg_name.endswith(".svg") and svg_path.is_file():
                    alt = str(chart.get("title") or chart.get("name") or "snapshot chart")
                    svg = svg_path.read_text(encoding="utf-8")
                    parts.append(f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>')
        return Html("".join(parts))

    def appendix(self) -> Html:
        """Every client table in full, in slices of at most :data:`SLICE_COLUMNS` columns (key column repeated).

        Starts on a new page in print; the same tables are in ``tables.xlsx`` (:meth:`save_tables`).
        """
        parts = [
            '<h2 class="kk-appendix-start" id="appendix">Appendix: full tables</h2>',
            "<p>Every table of this report with all its columns, for reference. Wide tables are split into "
            "parts; each part repeats the first column.</p>",
        ]
        last = None
        for section, full in self.tables(("client", "appendix")):
            if section != last:
                parts.append(f"<h3>{_e(SECTIONS[section].title)}</h3>")
                last = section
            if full.title:
                parts.append(f"<h4>{_e(full.title)}</h4>")
            for cols in _slices(full):
                parts.append(_table_html(full.display(cols), cls="kk-table kk-appendix"))
        return Html("".join(parts))

    # -- for the consultant --------------------------------------------------------
    def consultant_notes(self) -> Html:
        """For the agency only (consultant.html): file reconciliation, data fixes, config advice, every note."""
        parts = ["<h3>Files loaded</h3>"]
        report = getattr(self.model, "load_report", None)
        if report is None:
            parts.append("<p>No load report: this model was not built by kpikit.load_client.</p>")
        else:
            parts.append(html_table(self._files_frame(report), max_rows=len(report.files), cls="kk-table"))
            spend = report.spend_total()
            if spend:
                listed = ", ".join(_e(fmt(v, "money", c)) for c, v in spend.items())
                parts.append(f"<p>Spend loaded, by original currency: {listed}.</p>")
            issues = [str(p) for f in report.files for p in (*f.problems, *f.warnings)]
            # the client-level section: rows two exports both hold, date orders taken from other exports
            issues += [str(p) for p in getattr(report, "warnings", [])] + list(getattr(report, "notes", []))
            if issues:
                items = "".join(f"<li>{_e(redact(i))}</li>" for i in issues[:30])
                more = f"<li>… {len(issues) - 30:,} more (see kpikit validate)</li>" if len(issues) > 30 else ""
                parts.append(f"<ul class='kk-issues'>{items}{more}</ul>")
        match = self.metrics.get("match") or {}
        for key, words in (
            ("unmatched_crm_names", "CRM campaign names with no ad spend (add spellings to campaign_map)"),
            ("spend_without_outcomes", "Campaigns with spend but no outcome"),
        ):
            names = match.get(key) or []
            if names:
                parts.append(f"<p>{_e(words)}: {', '.join(_e(str(n)) for n in names)}.</p>")
        for section, full in self.tables(("consultant",)):
            if SECTIONS[section].audience == "consultant":
                continue  # a consultant section has a cell of its own
            title = f"{SECTIONS[section].title}: {full.title}" if full.title else SECTIONS[section].title
            parts.append(f"<h3>{_e(title)}</h3>{_table_html(full.display())}")
        notes = [str(w) for w in self.metrics.get("warnings") or []]
        routed = [n for n in notes if client_note(n) != n]
        if routed:
            parts.append("<h3>Engine notes kept off the client's report, or reworded there</h3>" + _notes_html(routed))
        if notes:
            parts.append("<h3>Every engine note, verbatim</h3>" + _notes_html(notes))
        return Html("".join(parts))

    def _files_frame(self, report: Any) -> pd.DataFrame:
        """One row per loaded file, named relative to the client folder (never the agency's folder layout)."""
        frame = report.to_frame()
        base = Path(getattr(self.config, "base_dir", ".")).resolve()

        def shown(file: str) -> str:
            path = Path(file)
            try:
                return path.resolve().relative_to(base).as_posix()
            except ValueError:
                return path.name

        return pd.DataFrame(
            {
                "file": frame["file"].astype(str).map(shown),
                "source": frame["source"].astype(str),
                "table": frame["table"].astype(str),
                "read": frame["rows_read"],
                "loaded": frame["rows_loaded"],
                "dropped": frame["rows_dropped"],
                "why": frame["dropped"].astype(str).replace("", MISSING),
                "spend": frame["spend"].astype(str).replace("", MISSING),
                "problems": frame["problems"],
            }
        )

    # -- files -----------------------------------------------------------------------
    def save_metrics(self) -> None:
        """Write ``metrics.json`` into the output folder (nothing when run by hand)."""
        if self.output_dir:
            write_json(Path(self.output_dir) / "metrics.json", self.metrics)

    def save_tables(self) -> Path | None:
        """Write ``tables.xlsx``: every table in full, a sheet each, numbers as numbers (nothing when run by hand)."""
        if not self.output_dir:
            return None
        from kpikit.report.xlsx import Sheet, write_xlsx

        sheets = []
        for section, full in self.tables(("client", "appendix", "consultant")):
            title = SECTIONS[section].title
            sheets.append(Sheet(f"{title} – {full.title}" if full.title else title, *full.for_excel()))
        return write_xlsx(Path(self.output_dir) / "tables.xlsx", sheets, currency=self.currency)


def _read_snapshots(folder: Path) -> list[dict[str, Any]]:
    # One reader for the snapshot schema: the workshop's, which writes them.
    from kpikit.explore.snapshot import read_snapshots

    return read_snapshots(folder)


# --------------------------------------------------------------------------- workshop snapshots

#: Snapshot figure groups that are the columns of one comparison: ``{"before": {...}, "after": {...}}``.
PHASES = ("before", "after", "change")
#: Suffixes that pair scalar figures into a comparison: ``spend_now`` / ``spend_scenario``.
PHASE_SUFFIXES = ("now", "scenario", "low", "high")


def _figure(name: str, value: Any, currency: str, *, change: bool = False) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or MISSING
    if isinstance(value, bool):
        return fmt_cell(value)
    if not isinstance(value, int | float) or is_missing(value):
        return MISSING if value is None or is_missing(value) else str(value)
    if change:
        return fmt(value, "rate", signed=True)
    kind = kind_of(name, float(value)) or ("count" if float(value).is_integer() else "number")
    return fmt(value, kind, currency)


def snapshot_tables(numbers: Mapping[str, Any], currency: str = "") -> list[pd.DataFrame]:
    """A snapshot's figures as tables a client reads: before/after (and now/scenario) side by side.

    ``change`` holds relative changes (0.5 = +50%); other figures print by their measure's kind.

    >>> t = snapshot_tables({"before": {"ctr": 0.012, "cost": 1234.5}, "after": {"ctr": 0.018, "cost": 900.0},
    ...                      "change": {"ctr": 0.5, "cost": -0.27}, "kept": ["a", "b"]}, "EUR")
    >>> t[0].to_dict("list")
    {'figure': ['CTR', 'spend'], 'before': ['1.20%', 'EUR 1,234.50'], 'after': ['1.80%', 'EUR 900.00'], 'change': ['+50.0%', '-27.0%']}
    >>> t[1].to_dict("list")
    {'figure': ['kept'], 'value': ['a, b']}
    """
    tables = []
    phases = [p for p in PHASES if isinstance(numbers.get(p), Mapping)]
    if phases:
        names = list(dict.fromkeys(k for p in phases for k in numbers[p]))
        rows = {"figure": [label(n) for n in names]}
        for p in phases:
            rows[p] = [_figure(n, numbers[p].get(n), currency, change=p == "change") for n in names]
        tables.append(pd.DataFrame(rows))
    paired: dict[str, dict[str, Any]] = {}
    single: list[tuple[str, str]] = []
    for key, value in numbers.items():
        if key in phases:
            continue
        base, _, suffix = str(key).rpartition("_")
        if base and suffix in PHASE_SUFFIXES and not isinstance(value, Mapping | list):
            paired.setdefault(base, {})[suffix] = value
        elif isinstance(value, Mapping):
            single += [
                (f"{label(str(key))}: {label(str(k))}", _figure(str(key), v, currency)) for k, v in value.items()
            ]
        else:
            single.append((label(str(key)), _figure(str(key), value, currency)))
    if paired:
        cols = [s for s in PHASE_SUFFIXES if any(s in v for v in paired.values())]
        rows = {"figure": [label(b) for b in paired]}
        for s in cols:
            rows[s] = [_figure(b, v.get(s), currency) for b, v in paired.items()]
        tables.append(pd.DataFrame(rows))
    if single:
        tables.append(pd.DataFrame(single, columns=["figure", "value"]))
    return tables
