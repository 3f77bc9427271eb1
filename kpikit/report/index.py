"""``DIR/index.html``: the portfolio page: every client of a batch, its status and headline numbers.

One self-contained page (no script, no remote request) the account team opens
first. It says which period the data covers and when the page was generated;
per client: the real outcome it is judged on, spend, outcomes and the cost per
real outcome with its 95% interval (drawn as a range bar, on one scale per
currency, so clients are compared only where the comparison means something),
and links to the report, its PDF, its Excel tables and the consultant's notes
where they were written. Red rows say what went wrong and which cell of the
error notebook to open. Every value is escaped: client names and error
messages are untrusted text.

Headline columns come from :data:`HEADLINES`, a registry of (label, paths in
``metrics.json``, number kind) entries; adding a column is one line. Numbers
print by :func:`kpikit.core.fmt.fmt`, as everywhere else in kpikit.

Examples
--------
>>> from kpikit.report.runner import ClientResult
>>> from kpikit.report.index import index_table
>>> ok = ClientResult("acme", "ok", "acme/client.yaml", metrics={"currency": "EUR", "totals": {"spend": 1234.5}})
>>> bad = ClientResult("beta", "failed", "beta/client.yaml", error="<b>bad</b> row 3", error_type="DataError")
>>> html = index_table([ok, bad])
>>> "EUR 1,234.50" in html, "&lt;b&gt;bad&lt;/b&gt;" in html, "<b>bad" in html
(True, True, False)
"""

from __future__ import annotations

import datetime as _dt
import html
import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpikit.core.fmt import MISSING, fmt
from kpikit.core.measures import label
from kpikit.report._io import atomic_write_text

__all__ = [
    "Headline",
    "HEADLINES",
    "LINKS",
    "FAILURE_HEADINGS",
    "failure_text",
    "index_table",
    "index_page",
    "write_index",
    "lookup",
    "real_outcome_interval",
]


def lookup(metrics: dict, path: str) -> Any:
    """Value at a dotted ``path`` in nested dicts (None when absent).

    >>> lookup({"a": {"b": 2}}, "a.b"), lookup({"a": {}}, "a.b")
    (2, None)
    """
    value: Any = metrics
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


@dataclass(frozen=True)
class Headline:
    """One index column: ``label``, candidate ``paths`` in metrics.json (first found wins), and its number ``kind``.

    ``kind`` is a :func:`kpikit.core.fmt.fmt` kind; money prints in the document's ``currency``.
    A ``text`` function renders a non-numeric value (a stage name, say) instead.

    >>> Headline("CTR", ("totals.ctr",), "rate").render({"totals": {"ctr": 0.011909}})
    '1.19%'
    """

    label: str
    paths: tuple[str, ...]
    kind: str
    text: Callable[[Any], str] | None = None

    def value(self, metrics: dict) -> Any:
        for path in self.paths:
            value = lookup(metrics, path)
            if value is not None and not isinstance(value, bool):
                return value
        return None

    def render(self, metrics: dict) -> str:
        value = self.value(metrics)
        if value is None:
            return MISSING
        if self.text is not None:
            return self.text(value)
        if isinstance(value, int | float):
            return fmt(value, self.kind, lookup(metrics, "currency") or "")
        return str(value)


# Paths follow the metrics.json schema of kpikit.analysis.metrics (schema_version 1.x); a findings engine's
# ``headline`` block, when there, defines the cost per real outcome (paid-media outcomes / paid spend).
HEADLINES: list[Headline] = [
    Headline("Real outcome", ("headline.outcome", "real_outcome_cost.stage", "real_outcome"), "text", label),
    Headline("Spend", ("totals.spend",), "money"),
    Headline("CTR", ("totals.ctr",), "rate"),
    Headline("Real outcomes", ("headline.paid_outcomes", "real_outcome_cost.count"), "count"),
    Headline("Cost per real outcome", ("headline.cost_per_real_outcome_paid", "real_outcome_cost.cost_per"), "money"),
    Headline("Pipeline", ("totals.pipeline",), "money"),
]

#: What a failed client's row is headed with, by kind of failure (:attr:`ClientResult.error_type
#: <kpikit.report.runner.ClientResult>`): words for the account team, not exception names.
FAILURE_HEADINGS: dict[str, str] = {
    "ConfigError": "The client's settings file (client.yaml) needs fixing",
    "ConfigValidationError": "The client's settings file (client.yaml) needs fixing",
    "ValidationError": "An export could not be loaded",
    "DataError": "An export could not be loaded",
    "UnknownFormatError": "An export was not recognised",
    "CurrencyError": "Money in a currency without an exchange rate",
    "KernelDied": "The report stopped unexpectedly (a crash or out of memory)",
    "Timeout": "The report ran too long and was stopped",
}
FAILURE_DEFAULT = "The report could not be produced"

#: Files a client's folder may hold besides its report: (file, link text). Linked only when written.
LINKS: tuple[tuple[str, str], ...] = (
    ("report.pdf", "PDF"),
    ("tables.xlsx", "Excel"),
    ("consultant.html", "consultant notes"),
)


def real_outcome_interval(metrics: dict) -> tuple[float, float, float] | None:
    """``(cost per real outcome, low, high)``: the report's one definition, with its 95% interval.

    The interval comes from metrics.json or, for the paid-media headline, from its counts
    (:func:`kpikit.report.book.real_outcome_cost`).

    >>> m = {"headline": {"outcome": "won", "cost_per_real_outcome_paid": 100.0, "paid_outcomes": 10,
    ...      "paid_spend": 1000.0}}
    >>> [round(x, 2) for x in real_outcome_interval(m)]
    [100.0, 54.38, 208.53]
    """
    from kpikit.report.book import real_outcome_cost

    cost = real_outcome_cost(metrics)
    if cost.value is None or cost.low is None or cost.high is None:
        return None
    return cost.value, cost.low, cost.high


_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #222; }
h1 { color: #1f4e79; margin-bottom: 0.2rem; }
p.kk-sub { color: #555; margin-top: 0; }
table.kk-index { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
table.kk-index th, table.kk-index td { border-bottom: 1px solid #ddd; padding: 0.45rem 0.6rem; text-align: left;
  vertical-align: top; }
table.kk-index th { background: #f3f5f8; }
table.kk-index td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.kk-index td.kk-range { white-space: nowrap; color: #444; font-size: 0.85rem; }
table.kk-index td.kk-range svg { display: block; margin-top: 0.2rem; }
span.kk-links { display: block; font-size: 0.8rem; margin-top: 0.2rem; }
span.kk-links a { margin-right: 0.6rem; }
tr.kk-failed { background: #fff3f1; }
span.kk-ok { color: #1b7a3a; font-weight: 600; }
span.kk-failed { color: #b3261e; font-weight: 600; }
pre.kk-error { white-space: pre-wrap; margin: 0.2rem 0 0 0; font-size: 0.85rem; max-width: 60rem; }
p.kk-legend { color: #555; font-size: 0.85rem; }
"""

_BAR_WIDTH, _BAR_HEIGHT = 160, 14


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _range_bar(point: float, low: float, high: float, top: float) -> str:
    """An inline SVG: the interval as a line, the estimate as a dot, on a 0..``top`` scale."""

    def x(v: float) -> float:
        return round(4 + max(0.0, min(v, top)) / top * (_BAR_WIDTH - 8), 1) if top > 0 else 4.0

    y = _BAR_HEIGHT / 2
    return (
        f'<svg width="{_BAR_WIDTH}" height="{_BAR_HEIGHT}" role="img" aria-label="95% interval">'
        f'<line x1="4" y1="{y}" x2="{_BAR_WIDTH - 4}" y2="{y}" stroke="#e3e3e3" stroke-width="1"/>'
        f'<line x1="{x(low)}" y1="{y}" x2="{x(high)}" y2="{y}" stroke="#1f4e79" stroke-width="3"/>'
        f'<circle cx="{x(point)}" cy="{y}" r="4" fill="#e07b39"/></svg>'
    )


def _interval_cells(results: Sequence[Any]) -> dict[str, str]:
    """client -> the interval cell: "EUR 681.63 – 872.57" and a bar on its currency's common scale."""
    intervals = {r.client: real_outcome_interval(r.metrics) for r in results if r.ok}
    tops: dict[str, float] = {}
    for r in results:
        iv = intervals.get(r.client)
        if iv is not None:
            cur = lookup(r.metrics, "currency") or ""
            tops[cur] = max(tops.get(cur, 0.0), iv[2] * 1.15)  # headroom: no interval ends on the edge
    cells = {}
    for r in results:
        iv = intervals.get(r.client)
        if iv is None:
            cells[r.client] = MISSING
            continue
        cur = lookup(r.metrics, "currency") or ""
        text = f"{fmt(iv[1], 'money', cur)} – {fmt(iv[2], 'money')}"
        cells[r.client] = f"{_e(text)}{_range_bar(*iv, tops[cur])}"
    return cells


def _links(result: Any, out_dir: str | os.PathLike | None) -> str:
    if out_dir is None:
        return ""
    folder = Path(out_dir) / result.client
    found = [(f"{result.client}/{name}", words) for name, words in LINKS if (folder / name).is_file()]
    if not found:
        return ""
    return '<span class="kk-links">' + "".join(f'<a href="{_e(h)}">{_e(w)}</a>' for h, w in found) + "</span>"


def failure_text(result: Any) -> str:
    """A failed client's message as the index shows it: paths inside its folder relative to the folder.

    The terminal keeps the full paths; the page the account team reads names ``client.yaml`` or
    ``exports/ads.csv``, never a consultant's home folder.

    >>> from kpikit.report.runner import ClientResult
    >>> r = ClientResult("beta", "failed", "/work/clients/beta/client.yaml",
    ...                  error="/work/clients/beta/exports/ads.csv: 1 problem\\n  - row 7: bad", error_type="DataError")
    >>> print(failure_text(r))
    exports/ads.csv: 1 problem
      - row 7: bad
    >>> failure_text(ClientResult("beta", "failed", "/work/clients/beta/client.yaml",
    ...                           error="copy the file into the client folder /work/clients/beta"))
    "copy the file into the client folder 'beta'"
    """
    text = result.error or ""
    folder = Path(result.config).parent if result.config else Path(".")
    if folder.name in ("", "."):
        return text
    # Files inside the folder by their relative path; the folder itself by its name.
    return text.replace(f"{folder}{os.sep}", "").replace(str(folder), repr(folder.name))


def index_table(results: Sequence[Any], out_dir: str | os.PathLike | None = None) -> str:
    """The index as an HTML ``<table>`` (also :meth:`BatchResult._repr_html_`).

    With ``out_dir``, each client also links the PDF, Excel and consultant files written there.
    """
    # Built by hand, not with kpikit.core.fmt.html_table: rows carry links, status badges and, for a failure,
    # one cell spanning every headline column with the error: a different shape from a frame's grid.
    head = "".join(f"<th>{_e(h.label)}</th>" for h in HEADLINES) + "<th>95% range of the cost per real outcome</th>"
    ranges = _interval_cells(results)
    rows = []
    for r in results:
        link = f"{r.client}/report.html" if r.ok else f"{r.client}/report.ipynb"
        name = _e(lookup(r.metrics, "client.name") or r.client)
        client = (f'<a href="{_e(link)}">{name}</a>' + _links(r, out_dir)) if r.ok else name
        if r.ok:
            status = '<span class="kk-ok">ok</span>'
            cells = "".join(
                f'<td class="{"txt" if h.text else "num"}">{_e(h.render(r.metrics))}</td>' for h in HEADLINES
            )
            cells += f'<td class="kk-range">{ranges[r.client]}</td>'
        else:
            status = '<span class="kk-failed">failed</span>'
            where = (
                f' Open <a href="{_e(link)}">report.ipynb</a> at cell In [{_e(r.failed_cell)}].'
                if r.failed_cell is not None
                else ""
            )
            heading = FAILURE_HEADINGS.get(r.error_type or "", FAILURE_DEFAULT)
            cells = (
                f'<td colspan="{len(HEADLINES) + 1}"><strong>{_e(heading)}</strong>{where}'
                f'<pre class="kk-error">{_e(failure_text(r))}</pre></td>'
            )
        rows.append(
            f'<tr class="kk-{_e(r.status)}" data-client="{_e(r.client)}"><td>{client}</td><td>{status}</td>{cells}</tr>'
        )
    return (
        f'<table class="kk-index"><thead><tr><th>Client</th><th>Status</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _period(results: Sequence[Any]) -> str:
    """The period the reports cover: one range when every client's data covers the same one."""
    from kpikit.report.book import date_words

    spans = {
        (lookup(r.metrics, "date_range.start"), lookup(r.metrics, "date_range.end"))
        for r in results
        if r.ok and lookup(r.metrics, "date_range.start")
    }
    if not spans:
        return ""
    if len(spans) == 1:
        start, end = next(iter(spans))
        return f"data from {date_words(start)} to {date_words(end)}"
    start = min(s for s, _ in spans)
    end = max(e for _, e in spans)
    return f"data between {date_words(start)} and {date_words(end)} (periods differ by client)"


def index_page(
    results: Sequence[Any],
    *,
    title: str = "Client reports",
    out_dir: str | os.PathLike | None = None,
    generated: _dt.date | None = None,
) -> str:
    """A complete, self-contained HTML page listing ``results``.

    ``generated`` is the date printed as the generation date (default: today).
    """
    from kpikit.report.book import date_words

    n_ok = sum(r.ok for r in results)
    n_failed = len(results) - n_ok
    counts = f"{n_ok} report{'s' if n_ok != 1 else ''} written" + (f", {n_failed} failed" if n_failed else "")
    day = (generated or _dt.date.today()).isoformat()
    sub = " · ".join(s for s in (_period(results), f"generated {date_words(day)}", counts) if s)
    legend = (
        '<p class="kk-legend">Cost per real outcome: paid-media spend divided by the real outcomes attributed to '
        "a paid campaign (organic and unattributed ones left out), for the outcome each client counts as real. "
        "The range is its 95% interval: the bar shows it on one scale per currency (orange dot: the estimate), "
        "so compare bars only within a currency, and only between clients with the same real outcome.</p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>"
        f'<h1>{_e(title)}</h1><p class="kk-sub">{_e(sub)}</p>\n{index_table(results, out_dir)}\n{legend}\n'
        "</body></html>\n"
    )


def write_index(results: Sequence[Any], out_dir: str | os.PathLike, *, generated: _dt.date | None = None) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path."""
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, index_page(results, out_dir=out_dir, generated=generated))
    return path
