"""Load export files into the normalised model, reconciled and free of personal data.

:func:`load_file` reads one export (format detected from its content, or given
by a column map) in named stages, each in its own module:

1. headers (:mod:`~kpikit.ingest.headers`): the format, and the column or
   constant that feeds each model target;
2. rows (:mod:`~kpikit.ingest.rows`): read the rows below the header and sort
   them into data, blank, footer/total and malformed rows;
3. convert (:mod:`~kpikit.ingest.convert`): text cells to model dtypes, the
   email hashed into ``contact_key`` (on two threads for a big file);
4. check (:mod:`~kpikit.ingest.checks`): the row checks of the table;
5. conform: keep the rows that pass, reconcile the counts
   (``rows_read == rows_loaded + sum(dropped)``) and conform the frame to
   :data:`kpikit.model.TABLES`.

Every stage reports problems instead of raising, so one
:class:`~kpikit.errors.ValidationError` lists them all. :func:`~kpikit.ingest.client.load_client`
loads every export of a client config into one :class:`~kpikit.model.ClientModel`.

Privacy: an ``email`` source becomes ``contact_key`` (keyed hash) and
``company_domain``; columns no format maps (names, phone numbers, notes) are
never converted and never leave.

Examples
--------
>>> import tempfile, pathlib
>>> from kpikit.ingest import load_file
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "ads.csv").write_text(
...     "Campaign report\\n"
...     "Day,Campaign,Ad group,Currency code,Impr.,Clicks,Cost\\n"
...     "2024-01-02,Brand,Exact,EUR,\\"1,200\\",30,45.10\\n"
...     "2024-01-02,Brand,Exact,EUR,\\"1,200\\",30,45.10\\n"
...     "Total: Account,--,--,EUR,\\"1,200\\",30,45.10\\n")
>>> loaded = load_file(d / "ads.csv")
>>> loaded.source, loaded.report.rows_read, loaded.report.rows_loaded, loaded.report.dropped
('google_ads', 3, 1, {'footer': 1, 'duplicate': 1})
>>> loaded.report.spend
{'EUR': 45.1}
>>> int(loaded.frame["impressions"].sum())
1200
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpikit._arrowtext import constant
from kpikit.config import ClientConfig
from kpikit.errors import ValidationError
from kpikit.ingest.checks import check_rates, check_totals, run_checks
from kpikit.ingest.convert import convert, start_hashing
from kpikit.ingest.dates import DeclaredOrder, FileDates, declared_order
from kpikit.ingest.detect import Detected
from kpikit.ingest.formats import Format
from kpikit.ingest.headers import resolve_columns, select_format
from kpikit.ingest.report import FileReport, LoadReport
from kpikit.ingest.rows import no_data_problem, read_data, sort_rows, unread_cells
from kpikit.ingest.scrub import scrub_frame
from kpikit.ingest.validate import Validator
from kpikit.model import conform, empty_table

__all__ = ["LoadedFile", "load_file", "inspect_file"]

_PARALLEL_ROWS = 50_000  # below this a worker thread costs more than it saves


@dataclass(frozen=True)
class LoadedFile:
    """One loaded export: the model table it feeds, its rows, and its reconciliation."""

    path: Path
    source: str
    table: str
    frame: pd.DataFrame
    report: FileReport

    def to_frame(self) -> pd.DataFrame:
        return self.frame

    def to_dict(self) -> dict[str, Any]:
        return self.report.to_dict()

    def _repr_html_(self) -> str:
        return LoadReport([self.report])._repr_html_()

    def __repr__(self) -> str:
        return f"LoadedFile({self.path.name!r}, source={self.source!r}, table={self.table!r}, rows={len(self.frame):,})"


def inspect_file(
    path: str | os.PathLike,
    map: str | os.PathLike | Format | None = None,
    *,
    config: ClientConfig | None = None,
    formats: list[Format] | None = None,
    engine: str | None = None,
    dates: DeclaredOrder | None = None,
) -> LoadedFile:
    """Load a file without raising on validation problems: they are in ``report.problems``.

    Structural failures (missing or empty file, unknown format, bad column
    map) still raise their :class:`~kpikit.errors.KpikitError`. ``kpikit
    validate`` uses this to print every problem with the counts. ``dates`` is the
    order for dates that read both ways when neither the file nor ``config`` says
    (:func:`~kpikit.ingest.client.load_client` passes what the client's other exports show).
    """
    det = select_format(Path(path), map, config, formats)
    with ExitStack() as stack:  # holds the worker thread of a big load
        return _load(det, config, engine, stack, dates)


def load_file(
    path: str | os.PathLike,
    map: str | os.PathLike | Format | None = None,
    *,
    config: ClientConfig | None = None,
    engine: str | None = None,
) -> LoadedFile:
    """Load one export file.

    Parameters
    ----------
    path
        The export (CSV / TSV / TXT in any common encoding).
    map
        A column map (YAML path or :class:`~kpikit.ingest.formats.Format`) for a
        format kpikit does not know. Without it the format is detected from the
        content among the built-in formats and the column maps in
        ``templates/column_maps/`` (and the client's ``column_maps/`` folder).
    config
        Client config: its salt hashes emails, and a currency without a rate
        in ``config.fx_rates`` raises :class:`~kpikit.errors.CurrencyError`.
    engine
        ``"python"`` or ``"arrow"``; default picks arrow for files over 16 MB.

    Returns
    -------
    LoadedFile
        ``.frame`` conforms to ``TABLES[.table]``; ``.report`` reconciles the file.

    Raises
    ------
    ValidationError
        listing every problem in the file (row, column, expected, found, fix).
    UnknownFormatError, DataError, ConfigError, CurrencyError
        for a file that cannot be read at all, a bad map, or a currency with no rate.
    """
    loaded = inspect_file(path, map, config=config, engine=engine)
    if not loaded.report.ok:
        raise ValidationError(loaded.report.problems, file=str(path))
    if config is not None and loaded.table in {"spend", "deals"}:
        check_rates(loaded.frame, config, str(path))
    return loaded


def _load(
    det: Detected, config: ClientConfig | None, engine: str | None, stack: ExitStack, given: DeclaredOrder | None = None
) -> LoadedFile:
    """The stages of one load; ``stack`` holds the worker thread of a big file."""
    fmt, raw = det.format, det.raw
    file = str(raw.origin)
    header_line = det.header_index + 1  # close enough for messages; exact when no quoted newline above
    report = _file_report(det, header_line)
    salt = config.salt if config is not None else ClientConfig.salt

    # 1. headers: the column (or constant) that feeds each target
    cols = resolve_columns(det, header_line)
    problems = list(cols.problems)

    # 2. rows: read, then sort into data, blank, footer and malformed rows. A big file's text
    # work runs on two threads (convert._text_work); the hashing, the longest part, starts
    # before the sort.
    rows = read_data(det, cols.sources, engine)
    big = len(rows.frame) >= _PARALLEL_ROWS
    pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="kpikit")) if big else None
    early = start_hashing(pool, cols.sources, rows.frame, salt)
    kinds = sort_rows(fmt, rows, file, cols.sources)
    if kinds.blank:
        report.notes.append(f"{kinds.blank:,} blank line(s) below the header ignored")
    problems += kinds.problems
    report.rows_read = kinds.rows_read
    if kinds.n_data == 0 and not problems:
        problems.append(no_data_problem(file, header_line, report.rows_read))

    # 3. convert the data rows
    data = kinds.data
    body = rows.frame if data.all() else rows.frame[data].reset_index(drop=True)
    body_lines = rows.lines if data.all() else rows.lines[data]
    v = Validator(file=file, lines=body_lines, levels=dict(fmt.checks))
    lineage = {
        "source_file": constant(raw.origin.name, len(body)),
        "source_row": pd.Series(pd.arrays.IntegerArray(body_lines, np.zeros(len(body), dtype=bool)), copy=False),
    }
    dates = FileDates(file, fmt.read, declared_order(fmt, config, given))
    out = convert(fmt, cols.sources, cols.constants, body, v, salt, lineage, pool, early, None if data.all() else data,
                  dates)  # fmt: skip
    report.date_order, report.date_order_from = dates.order, dates.basis
    report.notes += [dates.note] if dates.note else []
    if fmt.prepare is not None and not cols.missing:
        preamble = raw.lines[: det.header_index]
        # a format's notes (ctx["notes"]) go to the load report
        ctx = {"file": file, "config": config, "preamble": preamble, "salt": salt, "notes": report.notes}
        out = fmt.prepare(out, ctx)

    # 4. check (a file with a missing column is not checked: it cannot load anyway)
    if not cols.missing:
        run_checks(fmt.table, out, body, v, unread=unread_cells(det, rows, data))
        report.platform_totals = check_totals(out, v, kinds)

    # 5. conform: keep the rows that pass, and count every other row so the report reconciles
    problems += v.errors
    problems.sort(key=lambda p: -1 if p.row is None else p.row)  # stable: file order, file-level first
    report.problems = problems
    report.warnings = v.warnings
    report.notes += v.notes
    out = scrub_frame(fmt.table, out, report)  # emails and phones in free text (kpikit.ingest.scrub)
    return _conform(fmt, raw.origin, out, len(body), v, report, kinds.dropped, missing=bool(cols.missing))


def _file_report(det: Detected, header_line: int) -> FileReport:
    """An empty report of the file: how it was read, counts to come."""
    fmt, raw = det.format, det.raw
    report = FileReport(
        path=str(raw.origin),
        source=fmt.name,
        table=fmt.table,
        encoding=raw.encoding,
        separator=det.sep,
        header_row=header_line,
        notes=list(raw.notes),
    )
    if fmt.origin != "built-in":
        report.notes.append(f"column map: {fmt.origin}")
    return report


def _conform(
    fmt: Format,
    path: Path,
    out: pd.DataFrame,
    n: int,
    v: Validator,
    report: FileReport,
    dropped: dict[str, int],
    *,
    missing: bool,
) -> LoadedFile:
    """Keep the ``n`` converted rows that pass, count the others and conform the frame to the table.

    ``dropped`` holds the rows already set aside (footer, malformed); the checks' drops
    and, for a file with errors, its invalid rows are added. Fills the report's
    counts and spend.
    """
    keep = ~v.dropped_mask(n)
    for reason, count in v.dropped_counts().items():
        dropped[reason] = dropped.get(reason, 0) + count
    if report.problems:
        # A file with errors does not load: rows with an error (or every row, when a
        # column is missing) are counted as "invalid" so the counts still reconcile.
        bad = np.zeros(n, dtype=bool)
        for p in v.error_positions:
            bad[p] = True
        if missing:
            bad[:] = True
        bad &= keep
        if bad.any():
            dropped["invalid"] = int(bad.sum())
        keep &= ~bad
    report.dropped = dropped
    result = out if (missing or keep.all()) else out[keep].reset_index(drop=True)
    if fmt.table == "spend" and "cost" in out and "currency" in out:
        report.spend = _money(out[keep])
        if (~keep).any() and not report.problems:
            report.spend_dropped = _money(out[~keep])
    report.rows_loaded = report.records = int(keep.sum())
    result = empty_table(fmt.table) if missing else conform(fmt.table, result, file=str(path))
    return LoadedFile(path, fmt.name, fmt.table, result, report)


def _money(frame: pd.DataFrame) -> dict[str, float]:
    """Cost per currency, summed exactly (``math.fsum``) and rounded to the cent."""
    out = {}
    for cur, part in frame.groupby(frame["currency"].fillna("???"), sort=True):
        out[str(cur)] = round(math.fsum(part["cost"].dropna().to_numpy(dtype=float)), 2)
    return out
