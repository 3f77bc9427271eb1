"""Load reports: what was read, loaded, dropped and why, per file.

The report is the reconciliation a consultant shows when a client asks "did
you use all our data?": for every file, ``rows_read == rows_loaded +
sum(dropped.values())``, and the spend loaded per currency to the cent.

Examples
--------
>>> from kpikit.ingest.report import FileReport, LoadReport
>>> f = FileReport(path="ads.csv", source="google_ads", table="spend", rows_read=4,
...                rows_loaded=3, dropped={"duplicate": 1}, spend={"EUR": 12.5}, records=3)
>>> f.reconciles, f.ok
(True, True)
>>> LoadReport([f]).to_dict()["files"][0]["spend"]
{'EUR': 12.5}
"""

from __future__ import annotations

import html
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from kpikit.core.fmt import MISSING, fmt, html_table
from kpikit.errors import Problem

__all__ = ["FileReport", "LoadReport", "Overlap"]


def _spend_text(spend: dict[str, float]) -> str:
    """Spend per currency as one line: ``EUR 1,234.50, USD 12.00`` (empty when there is none)."""
    return ", ".join(fmt(v, "money", c) for c, v in sorted(spend.items()))


def _totals_text(t: dict[str, Any]) -> str:
    """``match: GBP 6,756.08, 30,000 impressions, 900 clicks (Total: Account, row 9)``."""
    figures = [_spend_text(t.get("spend", {}))] if t.get("spend") else []
    figures += [f"{fmt(t[k], 'count')} {k}" for k in ("impressions", "clicks", "records") if k in t]
    where = f"{t['label']}, row {t['row']}" if t.get("row") else t["label"]
    verdict = "match" if t["matched"] else "DO NOT match (see problems)"
    return f"{verdict}: {', '.join(figures)} ({where})"


def _scrub_lines(scrubbed: dict[str, dict[str, int]]) -> list[str]:
    """``3 distinct campaign value(s) held an email (120 rows): replaced by [email]``, one line per column.

    >>> _scrub_lines({"campaign": {"emails": 0, "phones": 0, "rows": 4, "controls": 2}})
    ['2 distinct campaign value(s) held control characters (4 rows): removed']
    """
    lines = []
    for column, c in scrubbed.items():
        parts = [f"{c['emails']:,} distinct {column} value(s) held an email"] if c.get("emails") else []
        if c.get("phones"):
            parts.append(
                f"{c['phones']:,} " + ("a phone number" if parts else f"distinct {column} value(s) held a phone number")
            )
        if c.get("controls"):
            parts.append(
                f"{c['controls']:,} "
                + ("control characters" if parts else f"distinct {column} value(s) held control characters")
            )
        tokens = " / ".join(t for t, k in (("[email]", "emails"), ("[phone]", "phones")) if c.get(k))
        done = [f"replaced by {tokens}"] if tokens else []
        if c.get("controls"):
            done.append("control characters removed" if tokens else "removed")
        lines.append(f"{', '.join(parts)} ({c.get('rows', 0):,} rows): {', '.join(done)}")
    return lines


def _problem_dict(p: Problem) -> dict[str, Any]:
    return {
        "row": p.row,
        "column": p.column,
        "message": p.message,
        "expected": p.expected,
        "found": p.found,
        "fix": p.fix,
    }


@dataclass
class FileReport:
    """Reconciliation of one export file.

    ``rows_read`` counts every non-blank line below the header (data, footer
    and malformed rows); ``dropped`` says why each row that was not loaded
    was left out. ``spend`` is the loaded cost per currency, rounded to the
    cent; ``spend_dropped`` the cost on dropped rows (e.g. duplicates).
    ``problems`` are errors (the file does not load); ``warnings`` do not
    stop it. ``platform_totals`` lists the export's own totals (Google's
    ``Total: Account``, Salesforce's ``Grand Totals (N records)``) checked
    against the data rows, each with ``matched`` and its figures.
    """

    path: str
    source: str
    table: str
    rows_read: int = 0
    rows_loaded: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    spend: dict[str, float] = field(default_factory=dict)
    spend_dropped: dict[str, float] = field(default_factory=dict)
    records: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    encoding: str | None = None
    separator: str | None = None
    header_row: int | None = None
    notes: list[str] = field(default_factory=list)
    platform_totals: list[dict[str, Any]] = field(default_factory=list)
    # how dates that read both ways were read (kpikit.ingest.dates): day_first, month_first or
    # ambiguous (None: no such dates), and where the order came from (values, declared, other exports)
    date_order: str | None = None
    date_order_from: str | None = None
    # personal data found in free text and replaced (kpikit.ingest.scrub): column -> distinct
    # values that held an email ("emails") or a phone number ("phones"), and the rows changed
    scrubbed: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def totals_match(self) -> bool | None:
        """Whether every total the export carries matches its data rows (None: it carries none)."""
        return all(t["matched"] for t in self.platform_totals) if self.platform_totals else None

    @property
    def reconciles(self) -> bool:
        return self.rows_read == self.rows_loaded + sum(self.dropped.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict in the ``kpikit validate --json`` schema."""
        return {
            "path": self.path,
            "source": self.source,
            "table": self.table,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "dropped": dict(self.dropped),
            "spend": {k: round(v, 2) for k, v in self.spend.items()},
            "spend_dropped": {k: round(v, 2) for k, v in self.spend_dropped.items()},
            "records": self.records,
            "problems": [_problem_dict(p) for p in self.problems],
            "warnings": [_problem_dict(p) for p in self.warnings],
            "encoding": self.encoding,
            "separator": self.separator,
            "header_row": self.header_row,
            "notes": list(self.notes),
            "platform_totals": [dict(t) for t in self.platform_totals],
            "date_order": self.date_order,
            "date_order_from": self.date_order_from,
            "scrubbed": {k: dict(v) for k, v in self.scrubbed.items()},
            "ok": self.ok,
        }

    def to_text(self) -> str:
        """Plain-text block, as ``kpikit validate`` prints it."""
        status = "OK" if self.ok else f"{len(self.problems)} PROBLEM(S)"
        lines = [f"{self.path}: {status}", f"  source        {self.source} -> {self.table}"]
        if self.encoding:
            lines.append(
                f"  read as       {self.encoding}, separator {self.separator!r}, header on line {self.header_row}"
            )
        drops = ", ".join(f"{k}: {v:,}" for k, v in self.dropped.items()) or "none"
        lines.append(f"  rows          read {self.rows_read:,}, loaded {self.rows_loaded:,}, dropped {drops}")
        if self.table == "spend":
            lines.append(f"  spend         {_spend_text(self.spend) or 'none'}")
            if self.spend_dropped:
                lines.append(f"  spend dropped {_spend_text(self.spend_dropped)}")
        else:
            lines.append(f"  records       {self.records:,}")
        lines += [f"  platform totals {_totals_text(t)}" for t in self.platform_totals]
        lines += [f"  scrubbed      {s}" for s in _scrub_lines(self.scrubbed)]
        lines += [f"  note: {n}" for n in self.notes]
        lines += [f"  warning: {p}" for p in self.warnings]
        lines += [f"  problem: {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass
class Overlap:
    """Rows that two exports of one client both hold (found by :func:`~kpikit.ingest.client.load_client`).

    ``action`` is ``"dropped"`` (identical copies: loaded once, from ``kept``) or
    ``"refused"`` (the copies disagree, or the two files are the same bytes: the
    client does not load). ``rule`` names the check (:mod:`kpikit.ingest.overlaps`);
    ``spend`` is the cost on the repeated rows of ``other``.
    """

    table: str
    kept: str
    other: str
    rows: int
    action: str
    same: str  # what makes two rows the same, e.g. "platform, date, campaign and ad group"
    rule: str = ""
    spend: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "spend": {k: round(v, 2) for k, v in self.spend.items()}}

    def __str__(self) -> str:
        money = f", {_spend_text(self.spend)}" if self.spend else ""
        return (
            f"{self.table}: {self.rows:,} row(s) of {self.other} repeat {self.kept} ({self.same}{money}): {self.action}"
        )


@dataclass
class LoadReport:
    """Reconciliation of every file loaded for a client (or given to ``kpikit validate``).

    Attributes
    ----------
    files : list of FileReport
    currency : str or None
        Reporting currency (``load_client`` only).
    fx_rates : dict
        Rates actually used to convert spend and deal amounts into ``currency``.
    matches : dict
        Counts from joining the tables (contacts with a company domain, contacts
        from target accounts, deals with a known contact).
    overlaps, notes, problems, warnings
        The client-level section (``load_client`` only): rows two exports both hold
        (:class:`Overlap`), and what was found across files. A problem here means the
        client does not load even when every file does.
    """

    files: list[FileReport] = field(default_factory=list)
    currency: str | None = None
    fx_rates: dict[str, float] = field(default_factory=dict)
    matches: dict[str, int] = field(default_factory=dict)
    overlaps: list[Overlap] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.ok for f in self.files) and not self.problems

    def spend_total(self) -> dict[str, float]:
        """Loaded spend per original currency, all files, to the cent."""
        out: dict[str, float] = {}
        for f in self.files:
            for cur, v in f.spend.items():
                out[cur] = out.get(cur, 0.0) + v
        return {k: round(v, 2) for k, v in sorted(out.items())}

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": [f.to_dict() for f in self.files],
            "ok": self.ok,
            "currency": self.currency,
            "fx_rates": dict(self.fx_rates),
            "spend": self.spend_total(),
            "matches": dict(self.matches),
            "client": {
                "overlaps": [o.to_dict() for o in self.overlaps],
                "notes": list(self.notes),
                "problems": [_problem_dict(p) for p in self.problems],
                "warnings": [_problem_dict(p) for p in self.warnings],
            },
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per file: source, rows read / loaded / dropped, spend, problems."""
        rows = []
        for f in self.files:
            rows.append(
                {
                    "file": f.path,
                    "source": f.source,
                    "table": f.table,
                    "rows_read": f.rows_read,
                    "rows_loaded": f.rows_loaded,
                    "rows_dropped": sum(f.dropped.values()),
                    "dropped": ", ".join(f"{k}={v}" for k, v in f.dropped.items()),
                    "spend": _spend_text(f.spend),
                    "records": f.records,
                    "problems": len(f.problems),
                    "warnings": len(f.warnings),
                }
            )
        return pd.DataFrame(
            rows,
            columns=[
                "file", "source", "table", "rows_read", "rows_loaded", "rows_dropped",
                "dropped", "spend", "records", "problems", "warnings",
            ],
        )  # fmt: skip

    def to_text(self) -> str:
        parts = [f.to_text() for f in self.files]
        # the overlaps (to_dict) are said by the warnings and problems that found them
        across = [f"  note: {n}" for n in self.notes] + [f"  warning: {p}" for p in self.warnings]
        across += [f"  problem: {p}" for p in self.problems]
        if across:
            parts.append("\n".join(["across files: " + ("OK" if not self.problems else "PROBLEM(S)"), *across]))
        if self.currency:
            total = _spend_text(self.spend_total())
            parts.append(f"spend loaded: {total or 'none'} (reporting currency {self.currency})")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.to_text()

    def _repr_html_(self) -> str:
        esc = html.escape
        table = pd.DataFrame(
            [
                {
                    "file": f.path,
                    "source": f.source,
                    "read": f.rows_read,
                    "loaded": f.rows_loaded,
                    "dropped": ", ".join(f"{k}: {fmt(v, 'count')}" for k, v in f.dropped.items()) or MISSING,
                    "spend / records": _spend_text(f.spend)
                    if f.table == "spend"
                    else f"{fmt(f.records, 'count')} records",
                    "status": "ok" if f.ok else f"{len(f.problems)} problem(s)",
                }
                for f in self.files
            ],
            columns=["file", "source", "read", "loaded", "dropped", "spend / records", "status"],
        )
        issues = [(f.path, "problem", p) for f in self.files for p in f.problems]
        issues += [(f.path, "warning", p) for f in self.files for p in f.warnings]
        issues += [("across files", "problem", p) for p in self.problems]
        issues += [("across files", "warning", p) for p in self.warnings]
        issues += [("across files", "note", n) for n in self.notes]
        issues += [(f.path, "personal data", s) for f in self.files for s in _scrub_lines(f.scrubbed)]
        items = "".join(f"<li><b>{esc(kind)}</b> {esc(path)}: {esc(str(p))}</li>" for path, kind, p in issues[:200])
        more = f"<p>{len(issues) - 200:,} more not shown</p>" if len(issues) > 200 else ""
        title = "Load report" + (f" (reporting currency {esc(self.currency)})" if self.currency else "")
        return (
            f"<div class='kpikit-load-report'><h4>{title}</h4>"
            f"{html_table(table, max_rows=len(table))}"
            f"{'<ul>' + items + '</ul>' if items else ''}{more}</div>"
        )
