"""``DIR/index.html``: every client of a batch, its status and headline numbers.

One self-contained page (no script, no remote request) the account team opens
first: green rows link to the client's report, red rows say what went wrong
and which cell of the error notebook to open. Every value is escaped: client
names and error messages are untrusted text.

Headline columns come from :data:`HEADLINES`, a registry of (label, path in
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

import html
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kpikit.core.fmt import MISSING, fmt
from kpikit.report._io import atomic_write_text

__all__ = ["Headline", "HEADLINES", "index_table", "index_page", "write_index", "lookup"]


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


@dataclass(frozen=True)
class Headline:
    """One index column: ``label``, candidate ``paths`` in metrics.json (first found wins), and its number ``kind``.

    ``kind`` is a :func:`kpikit.core.fmt.fmt` kind; money prints in the document's ``currency``.

    >>> Headline("CTR", ("totals.ctr",), "rate").render({"totals": {"ctr": 0.011909}})
    '1.19%'
    """

    label: str
    paths: tuple[str, ...]
    kind: str

    def render(self, metrics: dict) -> str:
        for path in self.paths:
            value = lookup(metrics, path)
            if isinstance(value, bool) or value is None:
                continue
            if isinstance(value, int | float):
                return fmt(value, self.kind, lookup(metrics, "currency") or "")
            return str(value)
        return MISSING


# Paths follow the metrics.json schema of kpikit.analysis.metrics (schema_version 1.x).
HEADLINES: list[Headline] = [
    Headline("Spend", ("totals.spend",), "money"),
    Headline("Clicks", ("totals.clicks",), "count"),
    Headline("CTR", ("totals.ctr",), "rate"),
    Headline("Real outcomes", ("real_outcome_cost.count",), "count"),
    Headline("Cost per real outcome", ("real_outcome_cost.cost_per",), "money"),
    Headline("Pipeline", ("totals.pipeline",), "money"),
]

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem; color: #222; }
h1 { color: #1f4e79; margin-bottom: 0.2rem; }
p.kk-sub { color: #555; margin-top: 0; }
table.kk-index { border-collapse: collapse; width: 100%; font-size: 0.92rem; }
table.kk-index th, table.kk-index td { border-bottom: 1px solid #ddd; padding: 0.45rem 0.6rem; text-align: left;
  vertical-align: top; }
table.kk-index th { background: #f3f5f8; }
table.kk-index td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.kk-failed { background: #fff3f1; }
span.kk-ok { color: #1b7a3a; font-weight: 600; }
span.kk-failed { color: #b3261e; font-weight: 600; }
pre.kk-error { white-space: pre-wrap; margin: 0.2rem 0 0 0; font-size: 0.85rem; max-width: 60rem; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def index_table(results: Sequence[Any]) -> str:
    """The index as an HTML ``<table>`` (also :meth:`BatchResult._repr_html_`)."""
    # Built by hand, not with kpikit.core.fmt.html_table: rows carry links, status badges and, for a failure,
    # one cell spanning every headline column with the error: a different shape from a frame's grid.
    head = "".join(f"<th>{_e(h.label)}</th>" for h in HEADLINES)
    rows = []
    for r in results:
        link = f"{r.client}/report.html" if r.ok else f"{r.client}/report.ipynb"
        name = _e(lookup(r.metrics, "client.name") or r.client)
        client = f'<a href="{_e(link)}">{name}</a>' if r.ok else name
        if r.ok:
            status = '<span class="kk-ok">ok</span>'
            cells = "".join(f'<td class="num">{_e(h.render(r.metrics))}</td>' for h in HEADLINES)
        else:
            status = '<span class="kk-failed">failed</span>'
            where = (
                f' Open <a href="{_e(link)}">report.ipynb</a> at cell In [{_e(r.failed_cell)}].'
                if r.failed_cell is not None
                else ""
            )
            cells = (
                f'<td colspan="{len(HEADLINES)}"><strong>{_e(r.error_type or "Error")}</strong>{where}'
                f'<pre class="kk-error">{_e(r.error or "")}</pre></td>'
            )
        rows.append(
            f'<tr class="kk-{_e(r.status)}" data-client="{_e(r.client)}"><td>{client}</td><td>{status}</td>{cells}</tr>'
        )
    return (
        f'<table class="kk-index"><thead><tr><th>Client</th><th>Status</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def index_page(results: Sequence[Any], *, title: str = "kpikit client reports") -> str:
    """A complete, self-contained HTML page listing ``results``."""
    n_ok = sum(r.ok for r in results)
    n_failed = len(results) - n_ok
    sub = f"{n_ok} report{'s' if n_ok != 1 else ''} written" + (f", {n_failed} failed" if n_failed else "")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:; base-uri 'none'; form-action 'none'\">"
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body>"
        f'<h1>{_e(title)}</h1><p class="kk-sub">{_e(sub)}</p>\n{index_table(results)}\n</body></html>\n'
    )


def write_index(results: Sequence[Any], out_dir: str | os.PathLike) -> Path:
    """Write ``out_dir/index.html`` atomically and return its path."""
    path = Path(out_dir) / "index.html"
    atomic_write_text(path, index_page(results))
    return path
