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
says so in the report instead of showing an empty or made-up chart; so does a
section whose engine function this kpikit version lacks.

Every chart is rendered to SVG with vl-convert and embedded as an ``<img>``
data URI: it draws offline, in JupyterLab, Voila and the static HTML alike,
and text inside it (campaign names) can never become markup. Every label in
the HTML is escaped.

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
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
    function: str
    build: Callable[[Any, Any], Any]
    needs: dict[str, str] = field(default_factory=dict)


SECTIONS: dict[str, Section] = {
    "funnel": Section("Funnel", "funnel", lambda kk, m: kk.funnel(m)),
    "cost_per_outcome": Section(
        "Cost per real outcome", "cost_per_outcome", lambda kk, m: kk.cost_per_outcome(m, by="campaign")
    ),
    "vanity_vs_value": Section(
        "Vanity vs value", "vanity_vs_value", lambda kk, m: kk.vanity_vs_value(m, by="campaign")
    ),
    "key_accounts": Section(
        "Key accounts",
        "key_accounts",
        lambda kk, m: kk.key_accounts(m),
        needs={"target_accounts": "No target-account list was provided, so key-account engagement cannot be shown."},
    ),
    "attribution": Section(
        "Attribution comparison",
        "attribution",
        lambda kk, m: kk.attribution(m),
        needs={"touchpoints": "No touchpoint export was provided, so attribution models cannot be compared."},
    ),
    "kpi_alignment": Section("KPI alignment", "kpi_alignment", lambda kk, m: kk.kpi_alignment(m, period="W")),
    "campaign_matching": Section("Campaign matching", "match_campaigns", lambda kk, m: kk.match_campaigns(m)),
}


def _svg_img(svg: str, alt: str) -> str:
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="kk-chart" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">'


def _note(text: str, kind: str = "info") -> Html:
    return Html(f'<div class="kk-note kk-note-{_e(kind)}"><p>{_e(text)}</p></div>')


def _money(value: Any, currency: str) -> str:
    return "–" if not isinstance(value, int | float) or not math.isfinite(value) else f"{currency} {value:,.2f}"


def _count(value: Any) -> str:
    return "–" if not isinstance(value, int | float) or not math.isfinite(value) else f"{value:,.0f}"


def _pct(value: Any) -> str:
    return "–" if not isinstance(value, int | float) or not math.isfinite(value) else f"{value:.2%}"


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
        self.metrics: dict[str, Any] | None = None
        self.missing: list[str] = []  # engine functions this kpikit lacks (reported, never faked)
        metrics_fn = getattr(kpikit, "metrics", None)
        if metrics_fn is None:
            self.missing.append("metrics")
        else:
            self.metrics = metrics_fn(model)

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

        load = getattr(kpikit, "load_client", None)
        if load is None:
            raise ReportError(
                "this kpikit has no loader (kpikit.load_client is missing), so no report can be built",
                fix="install a complete kpikit",
            )
        return cls(load(client_config), output_dir)

    # -- helpers -------------------------------------------------------------------
    @property
    def currency(self) -> str:
        return (self.metrics or {}).get("currency") or getattr(self.config, "currency", "")

    def _chart_html(self, chart: Any, name: str, alt: str) -> str:
        to_svg = getattr(getattr(self.kpikit, "charts", None), "to_svg", None)
        if to_svg is None:
            import kpikit.charts as charts  # registers the kpikit theme

            to_svg = charts.to_svg
        svg = to_svg(chart)
        save_chart_svg(svg, name, self.output_dir)
        return f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>'

    # -- sections ------------------------------------------------------------------
    def title(self) -> Html:
        """One line under the heading: client, the period the data covers, the reporting currency."""
        name = getattr(self.config, "name", "") or getattr(self.config, "client", "")
        dates = (self.metrics or {}).get("date_range") or {}
        period = f"data from {dates.get('start')} to {dates.get('end')}" if dates.get("start") else "period unknown"
        text = f"{name} · {period} · money in {self.currency}"
        return Html(f'<p class="kk-period">{_e(text)}</p>')

    def headline(self) -> Html:
        """Headline numbers as cards: spend, the vanity KPIs, and the cost per real outcome."""
        if self.metrics is None:
            return _note("Headline numbers are unavailable: this kpikit has no kpikit.metrics.", "warning")
        m, cur = self.metrics, self.currency
        totals = m.get("totals") or {}
        real = m.get("real_outcome_cost") or {}
        stage = str(real.get("stage") or m.get("real_outcome") or "real outcome")
        interval = ""
        if isinstance(real.get("low"), int | float) and isinstance(real.get("high"), int | float):
            interval = f"95% range {_money(real['low'], cur)} – {_money(real['high'], cur)}"
        cards = [
            ("Spend", _money(totals.get("spend"), cur), ""),
            ("Clicks", _count(totals.get("clicks")), f"CTR {_pct(totals.get('ctr'))}"),
            ("Cost per click", _money(totals.get("cpc"), cur), "what the platforms optimise"),
            (f"Real outcomes ({stage})", _count(real.get("count")), ""),
            (f"Cost per {stage}", _money(real.get("cost_per"), cur), interval),
            ("Pipeline", _money(totals.get("pipeline"), cur), f"won revenue {_money(totals.get('revenue'), cur)}"),
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
        if getattr(self.kpikit, spec.function, None) is None:
            self.missing.append(spec.function)
            return _note(f"{spec.title}: not available in this kpikit version (kpikit.{spec.function} is missing).")
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
        if report is None or not hasattr(report, "to_frame"):
            parts.append("<p>No load report: this model was not built by kpikit.load_client.</p>")
        else:
            frame = report.to_frame()
            base = Path(getattr(self.config, "base_dir", ".")).resolve()
            rows = []
            for rec in frame.to_dict(orient="records"):
                path = Path(str(rec["file"]))
                try:  # never show the agency's folder layout, only the client-relative name
                    shown = path.resolve().relative_to(base).as_posix()
                except ValueError:
                    shown = path.name
                rows.append(
                    f"<tr><td>{_e(shown)}</td><td>{_e(str(rec['source']))}</td><td>{_e(str(rec['table']))}</td>"
                    f"<td>{_count(rec['rows_read'])}</td><td>{_count(rec['rows_loaded'])}</td>"
                    f"<td>{_count(rec['rows_dropped'])}</td><td>{_e(str(rec['dropped']) or '–')}</td>"
                    f"<td>{_e(str(rec['spend']) or '–')}</td><td>{_count(rec['problems'])}</td></tr>"
                )
            head = "".join(
                f"<th>{h}</th>"
                for h in ("file", "source", "table", "read", "loaded", "dropped", "why", "spend", "problems")
            )
            parts.append(
                f'<table class="kk-table"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            )
            spend = report.spend_total() if hasattr(report, "spend_total") else {}
            if spend:
                listed = ", ".join(f"{_e(c)} {v:,.2f}" for c, v in spend.items())
                parts.append(f"<p>Spend loaded, by original currency: {listed}.</p>")
            issues = [str(p) for f in getattr(report, "files", []) for p in (*f.problems, *f.warnings)]
            if issues:
                items = "".join(f"<li>{_e(redact(i))}</li>" for i in issues[:30])
                more = f"<li>… {len(issues) - 30:,} more (see kpikit validate)</li>" if len(issues) > 30 else ""
                parts.append(f"<ul class='kk-issues'>{items}{more}</ul>")
        match = (self.metrics or {}).get("match") or {}
        if match:
            parts.append(
                "<p>"
                f"Spend matched to a campaign with outcomes: {_pct(match.get('spend_match_rate'))}; "
                f"leads matched to a campaign: {_pct(match.get('contact_match_rate'))}; "
                f"deals matched: {_pct(match.get('deal_match_rate'))}.</p>"
            )
            for key, label in (
                ("unmatched_crm_names", "CRM campaign names with no ad spend"),
                ("spend_without_outcomes", "Campaigns with spend but no outcome"),
            ):
                names = match.get(key) or []
                if names:
                    parts.append(f"<p>{_e(label)}: {', '.join(_e(str(n)) for n in names)}.</p>")
        warnings = (self.metrics or {}).get("warnings") or []
        if warnings:
            items = "".join(f"<li>{_e(str(w))}</li>" for w in warnings)
            parts.append(f"<h4>What to keep in mind</h4><ul class='kk-warnings'>{items}</ul>")
        return Html("".join(parts))

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
            rows = _flatten(doc.get("numbers") or {})
            if rows:
                body = "".join(f"<tr><td>{_e(k)}</td><td>{_e(v)}</td></tr>" for k, v in rows[:40])
                parts.append(f'<table class="kk-table"><tbody>{body}</tbody></table>')
            for chart in doc.get("charts") or []:
                svg_name = Path(str(chart.get("svg") or "")).name  # a file in the snapshots folder, nothing else
                svg_path = folder / svg_name
                if svg_name.endswith(".svg") and svg_path.is_file():
                    alt = str(chart.get("title") or chart.get("name") or "snapshot chart")
                    svg = svg_path.read_text(encoding="utf-8")
                    parts.append(f'<figure class="kk-figure">{_svg_img(svg, alt)}</figure>')
        return Html("".join(parts))

    def save_metrics(self) -> None:
        """Write ``metrics.json`` into the output folder (nothing when run by hand).

        Without ``kpikit.metrics`` the file says so (``"available": false``)
        rather than holding made-up numbers.
        """
        if not self.output_dir:
            return None
        data = self.metrics
        if data is None:
            data = {"available": False, "missing": sorted(set(self.missing)), "client": {"id": self.config.client}}
        write_json(Path(self.output_dir) / "metrics.json", data)
        return None

    def closing_note(self) -> Html:
        """What could not be shown, if anything (missing engine functions)."""
        missing = sorted(set(self.missing))
        if not missing:
            return Html("")
        return _note(
            "Some sections could not be produced by this kpikit version: " + ", ".join(missing) + ".", "warning"
        )


def _read_snapshots(folder: Path) -> list[dict[str, Any]]:
    # One reader for the snapshot schema: the workshop's, which writes them.
    from kpikit.explore.snapshot import read_snapshots

    return read_snapshots(folder)


def _flatten(numbers: dict, prefix: str = "") -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for key, value in numbers.items():
        label = f"{prefix}{key}"
        if isinstance(value, dict):
            rows.extend(_flatten(value, label + " / "))
        elif isinstance(value, list):
            rows.append((label, ", ".join(str(v) for v in value)))
        elif isinstance(value, float):
            rows.append((label, f"{value:,.4g}"))
        else:
            rows.append((label, "–" if value is None else str(value)))
    return rows
