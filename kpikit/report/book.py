"""What the report workbook's cells call: one :class:`ReportBook` per client.

The workbook (``workbooks/report.ipynb``) is narrative markdown plus one-line
code cells::

    book = ReportBook.open(client_config, output_dir)   # validate, load, compute metrics
    book.headline()                                     # the numbers that matter, as cards
    book.section("funnel")                              # table + chart (SVG), chart saved to charts/
    ...
    book.save_metrics()                                 # metrics.json for the runner

Sections are a registry (:data:`SECTIONS`): name -> heading, the engine call
that builds the result, and the condition under which the data supports it.
A section whose data is missing (no touchpoint export, no target accounts)
says so in the report instead of showing an empty or made-up chart.

Every chart is rendered to SVG with vl-convert and embedded as an ``<img>``
data URI: it draws offline, in JupyterLab, Voila and the static HTML alike,
and text inside it (campaign names) can never become markup. Every label in
the HTML is escaped, and every number prints by :func:`kpikit.core.fmt.fmt`.

Examples
--------
>>> from kpikit.report.book import SECTIONS
>>> list(SECTIONS)  # doctest: +NORMALIZE_WHITESPACE
['funnel', 'cost_per_outcome', 'vanity_vs_value', 'key_accounts', 'attribution', 'kpi_alignment',
 'campaign_matching']
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.core.fmt import MISSING, fmt, fmt_cell, html_table
from kpikit.core.measures import kind_of
from kpikit.errors import ReportError
from kpikit.report._io import write_json
from kpikit.report.outputs import save_chart_svg
from kpikit.report.redact import redact

__all__ = ["ReportBook", "Section", "SECTIONS", "Html"]

_e = html.escape


class Html:
    """A piece of report HTML that displays itself in a notebook."""

    def __init__(self, markup: str) -> None:
        self.markup = markup

    def _repr_html_(self) -> str:
        return self.markup

    def __repr__(self) -> str:  # plain-text fallback keeps markup out of text/plain
        return f"<{type(self).__name__}>"


def _has(model: Any, table: str) -> bool:
    frame = getattr(model, table, None)
    return frame is not None and len(frame) > 0


@dataclass(frozen=True)
class Section:
    """One registered report section.

    ``build(kpikit_module, model)`` returns an engine result (``_repr_html_`` and
    ``chart()``); ``needs`` names model tables that must be non-empty, with the
    sentence the report shows when one is empty.
    """

    title: str
    build: Callable[[Any, Any], Any]
    needs: dict[str, str] = field(default_factory=dict)


SECTIONS: dict[str, Section] = {
    "funnel": Section("Funnel", lambda kk, m: kk.funnel(m)),
    "cost_per_outcome": Section("Cost per real outcome", lambda kk, m: kk.cost_per_outcome(m, by="campaign")),
    "vanity_vs_value": Section("Vanity vs value", lambda kk, m: kk.vanity_vs_value(m, by="campaign")),
    "key_accounts": Section(
        "Key accounts",
        lambda kk, m: kk.key_accounts(m),
        needs={"target_accounts": "No target-account list was provided, so key-account engagement cannot be shown."},
    ),
    "attribution": Section(
        "Attribution comparison",
        lambda kk, m: kk.attribution(m),
        needs={"touchpoints": "No touchpoint export was provided, so attribution models cannot be compared."},
    ),
    "kpi_alignment": Section("KPI alignment", lambda kk, m: kk.kpi_alignment(m, period="W")),
    "campaign_matching": Section("Campaign matching", lambda kk, m: kk.match_campaigns(m)),
}


def _svg_img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="kk-chart" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _note(text: str, kind: str = "info") -> Html:
    return Html(f'<div class="kk-note kk-note-{_e(kind)}"><p>{_e(text)}</p></div>')


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

    # -- construction --------------------------------------------------------------
    @classmethod
    def open(cls, client_config: Any, output_dir: Any = "") -> ReportBook:
        """Validate the workbook's parameters, load the client and compute its metrics.

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

        return cls(kpikit.load_client(client_config), output_dir)

    # -- helpers -------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return self.metrics.get("currency") or getattr(self.config, "currency", "")

    def _chart_html(self, chart: Any, name: str, alt: str) -> str:
        from kpikit.charts import to_svg  # altair is heavy, and importing it registers the kpikit theme

        svg = to_svg(chart)
        save_chart_svg(svg, name, self.output_dir)
        return f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>'

    # -- sections ------------------------------------------------------------------
    def title(self) -> Html:
        """One line under the heading: client, the period the data covers, the reporting currency."""
        name = getattr(self.config, "name", "") or getattr(self.config, "client", "")
        dates = self.metrics.get("date_range") or {}
        period = f"data from {dates.get('start')} to {dates.get('end')}" if dates.get("start") else "period unknown"
        text = f"{name} · {period} · money in {self.currency}"
        return Html(f'<p class="kk-period">{_e(text)}</p>')

    def headline(self) -> Html:
        """Headline numbers as cards: spend, the vanity KPIs, and the cost per real outcome."""
        m, cur = self.metrics, self.currency

        def money(value: Any) -> str:
            return fmt(value, "money", cur)

        totals = m.get("totals") or {}
        real = m.get("real_outcome_cost") or {}
        stage = str(real.get("stage") or m.get("real_outcome") or "real outcome")
        interval = ""
        if isinstance(real.get("low"), int | float) and isinstance(real.get("high"), int | float):
            interval = f"95% range {money(real['low'])} – {money(real['high'])}"
        cards = [
            ("Spend", money(totals.get("spend")), ""),
            ("Clicks", fmt(totals.get("clicks"), "count"), f"CTR {fmt(totals.get('ctr'), 'rate')}"),
            ("Cost per click", money(totals.get("cpc")), "what the platforms optimise"),
            (f"Real outcomes ({stage})", fmt(real.get("count"), "count"), ""),
            (f"Cost per {stage}", money(real.get("cost_per")), interval),
            ("Pipeline", money(totals.get("pipeline")), f"won revenue {money(totals.get('revenue'))}"),
        ]
        body = "".join(
            f'<div class="kk-card"><div class="kk-card-label">{_e(label)}</div>'
            f'<div class="kk-card-value">{_e(value)}</div><div class="kk-card-sub">{_e(sub)}</div></div>'
            for label, value, sub in cards
        )
        return Html(f'<div class="kk-cards">{body}</div>')

    def section(self, name: str) -> Html:
        """Render a registered section (see :data:`SECTIONS`): table, notes and chart."""
        if name not in SECTIONS:
            raise ReportError("unknown report section", found=repr(name), expected=f"one of {list(SECTIONS)}")
        spec = SECTIONS[name]
        for table, reason in spec.needs.items():
            if not _has(self.model, table):
                return _note(reason)
        result = spec.build(self.kpikit, self.model)
        parts = [result._repr_html_()]
        if hasattr(result, "chart"):
            parts.append(self._chart_html(result.chart(), name, f"{spec.title} chart"))
        return Html("".join(parts))

    def data_quality(self) -> Html:
        """Reconciliation: rows read, loaded and dropped per file, spend per currency, match rates."""
        report = getattr(self.model, "load_report", None)
        parts = []
        if report is None:
            parts.append("<p>No load report: this model was not built by kpikit.load_client.</p>")
        else:
            parts.append(html_table(self._files_frame(report), max_rows=len(report.files), cls="kk-table"))
            spend = report.spend_total()
            if spend:
                listed = ", ".join(_e(fmt(v, "money", c)) for c, v in spend.items())
                parts.append(f"<p>Spend loaded, by original currency: {listed}.</p>")
            issues = [str(p) for f in report.files for p in (*f.problems, *f.warnings)]
            if issues:
                items = "".join(f"<li>{_e(redact(i))}</li>" for i in issues[:30])
                more = f"<li>… {len(issues) - 30:,} more (see kpikit validate)</li>" if len(issues) > 30 else ""
                parts.append(f"<ul class='kk-issues'>{items}{more}</ul>")
        match = self.metrics.get("match") or {}
        if match:
            parts.append(
                "<p>"
                f"Spend matched to a campaign with outcomes: {fmt(match.get('spend_match_rate'), 'rate')}; "
                f"leads matched to a campaign: {fmt(match.get('contact_match_rate'), 'rate')}; "
                f"deals matched: {fmt(match.get('deal_match_rate'), 'rate')}.</p>"
            )
            for key, label in (
                ("unmatched_crm_names", "CRM campaign names with no ad spend"),
                ("spend_without_outcomes", "Campaigns with spend but no outcome"),
            ):
                names = match.get(key) or []
                if names:
                    parts.append(f"<p>{_e(label)}: {', '.join(_e(str(n)) for n in names)}.</p>")
        warnings = self.metrics.get("warnings") or []
        if warnings:
            items = "".join(f"<li>{_e(str(w))}</li>" for w in warnings)
            parts.append(f"<h4>What to keep in mind</h4><ul class='kk-warnings'>{items}</ul>")
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

    def snapshots(self) -> Html:
        """The workshop snapshots saved in ``<client folder>/snapshots/``, if any."""
        folder = Path(getattr(self.config, "base_dir", ".")) / "snapshots"
        docs = _read_snapshots(folder)
        if not docs:
            return _note("No workshop snapshot has been saved for this client yet.")
        parts = []
        for doc in docs:
            title = str(doc.get("title") or doc.get("explorer") or doc.get("name") or "Snapshot")
            when = str(doc.get("created_utc") or "")
            parts.append(f"<h4>{_e(title)}</h4><p class='kk-snap-meta'>{_e(when)}</p>")
            if doc.get("summary"):
                parts.append(f"<p>{_e(str(doc['summary']))}</p>")
            rows = _flatten(doc.get("numbers") or {}, str(doc.get("currency") or self.currency))
            if rows:
                figures = pd.DataFrame(rows[:40], columns=["figure", "value"])
                parts.append(html_table(figures, max_rows=40, cls="kk-table"))
            for chart in doc.get("charts") or []:
                svg_name = Path(str(chart.get("svg") or "")).name  # a file in the snapshots folder, nothing else
                svg_path = folder / svg_name
                if svg_name.endswith(".svg") and svg_path.is_file():
                    alt = str(chart.get("title") or chart.get("name") or "snapshot chart")
                    svg = svg_path.read_text(encoding="utf-8")
                    parts.append(f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>')
        return Html("".join(parts))

    def save_metrics(self) -> None:
        """Write ``metrics.json`` into the output folder (nothing when run by hand)."""
        if self.output_dir:
            write_json(Path(self.output_dir) / "metrics.json", self.metrics)


def _read_snapshots(folder: Path) -> list[dict[str, Any]]:
    # One reader for the snapshot schema: the workshop's, which writes them.
    from kpikit.explore.snapshot import read_snapshots

    return read_snapshots(folder)


def _figure_kind(path: list[str], value: Any) -> tuple[str | None, bool]:
    """How a snapshot figure prints: the first key on its path that names a kind (``(kind, signed)``).

    Looking from the top down means a figure listed under a measure (``cost_per_outcome / <campaign>``) takes
    the measure's kind, whatever the campaign is called; ``change`` holds relative changes (0.53 = +53%).

    >>> _figure_kind(["change", "cost"], 0.5), _figure_kind(["after", "ctr"], 0.01), _figure_kind(["model"], 3.0)
    (('rate', True), ('rate', False), (None, False))
    """
    for key in path:
        if key == "change":
            return "rate", True
        kind = kind_of(key, value)
        if kind is not None:
            return kind, False
    return None, False


def _flatten(numbers: dict, currency: str = "", prefix: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """Snapshot figures as ``(path, text)`` rows, numbers printed by their kind.

    >>> _flatten({"before": {"ctr": 0.012, "cost": 1234.5}, "change": {"ctr": 0.5}, "kept": ["a", "b"]}, "EUR")
    [('before / ctr', '1.20%'), ('before / cost', 'EUR 1,234.50'), ('change / ctr', '+50.0%'), ('kept', 'a, b')]
    """
    rows: list[tuple[str, str]] = []
    for key, value in numbers.items():
        path = (*prefix, str(key))
        if isinstance(value, dict):
            rows.extend(_flatten(value, currency, path))
        elif isinstance(value, list):
            rows.append((" / ".join(path), ", ".join(str(v) for v in value)))
        else:
            kind, signed = _figure_kind(list(path), value) if isinstance(value, int | float) else (None, False)
            text = fmt(value, kind, currency, signed=signed) if kind and not isinstance(value, bool) else None
            rows.append((" / ".join(path), text or fmt_cell(value)))
    return rows
