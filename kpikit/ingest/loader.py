"""Load export files into the normalised model, reconciled and free of personal data.

:func:`load_file` reads one export (format detected from its content, or given
by a column map); :func:`load_client` loads every export of a client config,
converts money into the reporting currency and returns a
:class:`~kpikit.model.ClientModel` whose ``load_report`` reconciles every
file: ``rows_read == rows_loaded + sum(dropped)``.

Privacy happens here: an ``email`` source becomes ``contact_key`` (keyed hash,
:func:`kpikit.privacy.pseudonymise`) and ``company_domain``; columns no format
maps (names, phone numbers, notes) are never converted and never leave. For a
big file the text work runs on two threads (``_text_work``).

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
...     "Total: Account,--,--,EUR,\\"2,400\\",60,90.20\\n")
>>> loaded = load_file(d / "ads.csv")
>>> loaded.source, loaded.report.rows_read, loaded.report.rows_loaded, loaded.report.dropped
('google_ads', 3, 1, {'footer': 1, 'duplicate': 1})
>>> loaded.report.spend
{'EUR': 45.1}
>>> int(loaded.frame["impressions"].sum())
1200
"""

from __future__ import annotations

import difflib
import math
import os
import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kpikit._arrowtext import as_series, clean, constant, is_blank, map_distinct
from kpikit.config import ClientConfig
from kpikit.errors import ConfigError, CurrencyError, DataError, KpikitError, Problem, ValidationError
from kpikit.ingest.column_map import SPECIAL_TARGETS, TEMPLATE_MAPS, discover_maps, load_column_map
from kpikit.ingest.detect import Detected, detect_format, for_map
from kpikit.ingest.formats import FORMATS, Format, norm_header
from kpikit.ingest.readers import ARROW_THRESHOLD, Rows, read_rows
from kpikit.ingest.report import FileReport, LoadReport
from kpikit.ingest.validate import Validator, parse_booleans, parse_dates, parse_numbers
from kpikit.model import DIMENSION_PREFIX, TABLES, ClientModel, conform, empty_table
from kpikit.privacy import ContactKeys, Emails, all_distinct, contact_keys, email_domains, normalise_emails

__all__ = ["LoadedFile", "load_file", "load_client", "inspect_file"]

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_SUM = re.compile(r"\{[^{}]+\}(?:\s*\+\s*\{[^{}]+\})+")
_DOMAIN_TARGETS = ("company_domain", "account_domain")
_PARALLEL_ROWS = 50_000  # below this a worker thread costs more than it saves
_NUMERIC_FIX = {
    "decimal_comma": "this looks like a European export (decimal comma): load it with a column map that sets "
    "read.decimal: ',' (and read.sep: ';')",
    "decimal_point": "the map says decimal comma but the value has a decimal point: check read.decimal in the map",
    "thousands": "the value uses ',' as a thousands separator: set read.thousands: ',' in the map",
    None: "enter a plain number (no text, currency symbol or percent sign), or leave the cell empty",
}


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


# --------------------------------------------------------------------------- columns


@dataclass(frozen=True)
class _Source:
    target: str
    positions: tuple[int, ...]
    template: str | None = None  # "{month} {day} 2020" with names replaced by positions
    header: str = ""


def _resolve(fmt: Format, header: list[str]) -> tuple[dict[str, _Source], dict[str, str], list[str]]:
    """Match the format's candidate headers to the file's header.

    Returns the sources per target, constants read from headers (currency in
    "Amount spent (USD)") and the targets whose sources are absent.
    """
    keys = [norm_header(h) for h in header]
    index: dict[str, int] = {}
    for i, k in enumerate(keys):
        index.setdefault(k, i)
    found: dict[str, _Source] = {}
    header_constants: dict[str, str] = {}
    absent = []
    for target, candidates in fmt.columns.items():
        hit = None
        for cand in candidates:
            if cand.startswith("re:"):
                pat = re.compile(cand[3:], re.IGNORECASE)
                for i, h in enumerate(header):
                    m = pat.fullmatch(h.replace("\ufeff", "").strip())
                    if m:
                        hit = _Source(target, (i,), header=h)
                        if "currency" in pat.groupindex and m.group("currency"):
                            header_constants["currency"] = m.group("currency").upper()
                        break
            elif _TEMPLATE.search(cand):
                names = _TEMPLATE.findall(cand)
                if all(norm_header(n) in index for n in names):
                    pos = tuple(index[norm_header(n)] for n in names)
                    hit = _Source(target, pos, template=cand, header=cand)
            elif norm_header(cand) in index:
                i = index[norm_header(cand)]
                hit = _Source(target, (i,), header=header[i])
            if hit:
                break
        if hit:
            found[target] = hit
        else:
            absent.append(target)
    return found, header_constants, absent


def _required(table: str) -> list[str]:
    return [c for c in TABLES[table].required if c not in {"source_file", "source_row"}]


def _missing_problem(fmt: Format, target: str, header: list[str], file: str, header_row: int) -> Problem:
    wanted = [c for c in fmt.columns.get(target, ()) if not c.startswith("re:") and not _TEMPLATE.search(c)]
    if target == "contact_key":
        wanted = [c for t in SPECIAL_TARGETS for c in fmt.columns.get(t, ())]
    close: list[str] = []
    for w in wanted or [target]:
        close += difflib.get_close_matches(w, [h for h in header if h.strip()], n=1, cutoff=0.5)
    if close:
        fix = f"the closest header is {close[0]!r}: rename it to {(wanted or [target])[0]!r}, or map it in a column map"
    elif target == "currency":
        fix = "add `constants: {currency: USD}` (the right ISO code) to a column map for this file"
    else:
        fix = f"add the column to the export, or map it (columns: {{{target}: <header>}}) in a column map"
    return Problem(
        f"required column for {target!r} not found",
        file=file,
        row=header_row,
        column=(wanted or [target])[0],
        expected=f"a header {' or '.join(repr(w) for w in wanted) or repr(target)}",
        found=f"headers {[h for h in header if h.strip()][:15]!r}",
        fix=fix,
    )


# --------------------------------------------------------------------------- one file


def _select_format(
    path: Path, map: str | os.PathLike | Format | None, config: ClientConfig | None, formats: list[Format] | None
) -> Detected:
    if map is not None:
        fmt = map if isinstance(map, Format) else load_column_map(map)
        return for_map(path, fmt)
    if formats is None:
        extra = discover_maps(None if config is None else config.base_dir / "column_maps", TEMPLATE_MAPS)
        formats = extra + list(FORMATS.values())
    return detect_format(path, formats)


def inspect_file(
    path: str | os.PathLike,
    map: str | os.PathLike | Format | None = None,
    *,
    config: ClientConfig | None = None,
    formats: list[Format] | None = None,
    engine: str | None = None,
) -> LoadedFile:
    """Load a file without raising on validation problems: they are in ``report.problems``.

    Structural failures (missing or empty file, unknown format, bad column
    map) still raise their :class:`~kpikit.errors.KpikitError`. ``kpikit
    validate`` uses this to print every problem with the counts.
    """
    path = Path(path)
    det = _select_format(path, map, config, formats)
    return _load(det, config=config, engine=engine)


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
        _check_rates(loaded.frame, config, str(path))
    return loaded


def _load(det: Detected, *, config: ClientConfig | None, engine: str | None) -> LoadedFile:
    with ExitStack() as stack:  # holds the worker thread of a big load
        return _load_file(det, config, engine, stack)


def _load_file(det: Detected, config: ClientConfig | None, engine: str | None, stack: ExitStack) -> LoadedFile:
    fmt, raw = det.format, det.raw
    file = str(raw.origin)
    header = raw.head_rows(det.sep)[det.header_index]
    header_line = det.header_index + 1  # close enough for messages; exact when no quoted newline above
    sources, header_constants, absent = _resolve(fmt, header)
    preamble = fmt.preamble(raw.lines[: det.header_index]) if fmt.preamble else {}
    constants: dict[str, Any] = {**preamble, **header_constants, **{k: v for k, v in fmt.constants.items()}}
    if fmt.table == "spend":
        constants.setdefault("platform", fmt.name)
    report = FileReport(
        path=file,
        source=fmt.name,
        table=fmt.table,
        encoding=raw.encoding,
        separator=det.sep,
        header_row=header_line,
        notes=list(raw.notes),
    )
    if fmt.origin != "built-in":
        report.notes.append(f"column map: {fmt.origin}")

    # Which required targets have no source at all?
    provided = set(sources) | set(constants)
    if {"email", "contact_id"} & provided:
        provided.add("contact_key")
    missing = [t for t in _required(fmt.table) if t not in provided]
    problems = [_missing_problem(fmt, t, header, file, header_line) for t in missing]

    positions = sorted({p for s in sources.values() for p in s.positions} | {0})
    # The python engine reads every cell (exact duplicates are judged on whole rows); the
    # arrow engine, for big files, reads only the mapped columns.
    use_arrow = engine == "arrow" or (engine is None and raw.size > ARROW_THRESHOLD)
    timestamps = _iso_date_columns(fmt, sources, raw.head_rows(det.sep)[det.header_index + 1 :]) if use_arrow else []
    rows = read_rows(
        raw,
        det.sep,
        det.header_index,
        columns=positions if use_arrow else None,
        engine="arrow" if use_arrow else "python",
        timestamps=timestamps,
    )
    frame, lines = rows.frame, rows.lines
    n = len(frame)
    if len(rows.header) != len(header):
        header = rows.header
    # A big file's text work runs on two threads (see _text_work). The hashing, the longest
    # part, starts now: this thread first sorts out blank, footer and malformed rows.
    pool = stack.enter_context(ThreadPoolExecutor(1, thread_name_prefix="kpikit")) if n >= _PARALLEL_ROWS else None
    salt = config.salt if config is not None else ClientConfig.salt
    hashed = sources.get(_hashed_target(sources))
    early = None
    if pool is not None and hashed is not None and hashed.template is None:
        early = _Hashing.start(pool, frame[str(hashed.positions[0])], salt)

    # Blank lines are not rows (pyarrow and pandas skip them too); say how many.
    blank = _blank_rows(frame)
    if blank.any() or rows.blank_skipped:
        report.notes.append(f"{int(blank.sum()) + rows.blank_skipped:,} blank line(s) below the header ignored")

    # Footer / totals rows: from the first row that starts like a footer to the end of the
    # file, every non-blank row is footer (Salesforce puts a subtotal line inside its block).
    footer = np.zeros(n, dtype=bool)
    starts = tuple(fmt.footer)
    if starts:
        first = frame["0"].fillna("").str.strip() if "0" in frame else pd.Series("", index=frame.index)
        hits = np.flatnonzero(first.str.startswith(starts).fillna(False).to_numpy(dtype=bool) & ~blank)
        if len(hits):
            footer[hits[0] :] = True
            footer &= ~blank
    ragged_pos, skipped_footer, skipped_malformed, structural = _ragged(rows, footer, starts, len(header), file)
    problems += structural
    ragged_pos &= ~footer
    data = ~(blank | footer | ragged_pos)
    n_data = int(data.sum())
    report.rows_read = n_data + int(footer.sum()) + int(ragged_pos.sum()) + skipped_footer + skipped_malformed
    dropped: dict[str, int] = {}
    if footer.sum() + skipped_footer:
        dropped["footer"] = int(footer.sum()) + skipped_footer
    if ragged_pos.sum() + skipped_malformed:
        dropped["malformed"] = int(ragged_pos.sum()) + skipped_malformed

    if n_data == 0 and not problems:
        problems.append(
            Problem(
                "the file has a header but no data rows",
                file=file,
                row=header_line,
                expected="at least one data row below the header",
                found="no rows" if not report.rows_read else f"{report.rows_read} footer/malformed row(s) only",
                fix="export the report again (check the date range); if there truly was no activity, "
                "remove the file from the client's exports",
            )
        )

    body = frame if data.all() else frame[data].reset_index(drop=True)
    body_lines = lines if data.all() else lines[data]
    v = Validator(file=file, lines=body_lines, levels=dict(fmt.checks))
    lineage = {
        "source_file": constant(raw.origin.name, len(body)),
        "source_row": pd.Series(pd.arrays.IntegerArray(body_lines, np.zeros(len(body), dtype=bool)), copy=False),
    }
    out = _convert(fmt, sources, constants, body, v, salt, lineage, pool, early, None if data.all() else data)
    if fmt.prepare is not None and not missing:
        out = fmt.prepare(out, {"file": file, "config": config, "preamble": raw.lines[: det.header_index]})
    if not missing:
        _checks(fmt, out, body, v)

    problems += v.errors
    problems.sort(key=lambda p: -1 if p.row is None else p.row)  # stable: file order, file-level first
    report.problems = problems
    report.warnings = v.warnings
    keep = ~v.dropped_mask(len(body))
    for reason, count in v.dropped_counts().items():
        dropped[reason] = dropped.get(reason, 0) + count
    if problems:
        # A file with errors does not load: rows with an error (or every row, when a
        # column is missing) are counted as "invalid" so the counts still reconcile.
        bad = np.zeros(len(body), dtype=bool)
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
        if (~keep).any() and not problems:
            report.spend_dropped = _money(out[~keep])
    report.rows_loaded = report.records = int(keep.sum())
    result = empty_table(fmt.table) if missing else conform(fmt.table, result, file=file)
    return LoadedFile(raw.origin, fmt.name, fmt.table, result, report)


def _ragged(
    rows: Rows, footer: np.ndarray, starts: tuple[str, ...], width: int, file: str
) -> tuple[np.ndarray, int, int, list[Problem]]:
    """Sort rows with the wrong number of cells into footer lines and malformed rows.

    Marks ragged footer lines in ``footer`` (in place); returns the mask of malformed
    rows in the frame, the counts of rows the arrow engine skipped (footer, malformed)
    and one problem per malformed row.
    """
    ragged_pos = np.zeros(len(footer), dtype=bool)
    problems: list[Problem] = []
    skipped_footer = skipped_malformed = 0
    for r in rows.ragged:
        is_footer = bool(starts) and (
            r.first_cell.strip().startswith(starts) or (r.pos is not None and bool(footer[r.pos]))
        )
        if r.pos is not None:
            if is_footer:
                footer[r.pos] = True
                continue
            ragged_pos[r.pos] = True
        elif is_footer:
            skipped_footer += 1
            continue
        else:
            skipped_malformed += 1
        if r.unclosed:
            problems.append(
                Problem(
                    "a quote opened on this row is never closed, so the rest of the file reads as one cell",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells starting {r.first_cell[:40]!r}",
                    fix='close the quote (a quote inside a cell is written twice: "") or re-export the file',
                )
            )
        elif r.truncated:
            problems.append(
                Problem(
                    f"the last row has {r.cells} of {width} cells and the file does not end with a line "
                    "break: the file looks truncated (cut mid-row)",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells",
                    fix="download the export again; the copy you have was cut off",
                )
            )
        else:
            problems.append(
                Problem(
                    f"row has {r.cells} cells but the header has {width}",
                    file=file,
                    row=r.line,
                    expected=f"{width} cells",
                    found=f"{r.cells} cells starting {r.first_cell[:40]!r}",
                    fix="check for an unquoted separator or a missing cell on that line",
                )
            )
    return ragged_pos, skipped_footer, skipped_malformed, problems


_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"


def _iso_date_columns(fmt: Format, sources: dict[str, _Source], head: list[list[str]]) -> list[int]:
    """Header positions of date columns whose sampled values are all ISO dates (arrow fast path)."""
    if fmt.read.date_format not in (None, "%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"):
        return []
    dtypes = TABLES[fmt.table].dtypes
    iso, unseen = [], []
    for target, src in sources.items():
        if src.template or not dtypes.get(target, "").startswith("datetime"):
            continue
        pos = src.positions[0]
        values = [r[pos].strip() for r in head if len(r) > pos and r[pos].strip()]
        if not values:
            unseen.append(pos)  # e.g. "Became a Customer Date": empty on the first rows
        elif all(re.fullmatch(_ISO_DATE, v) for v in values):
            iso.append(pos)
        else:
            return []
    # An export writes all its dates one way: date columns still empty in the head are parsed
    # as ISO too when every sampled one is. If one is not, the read is redone as text (readers).
    # The first column stays text where footers are looked for ("Total: Account" is no date).
    picked = {p for p in iso + unseen if not (p == 0 and fmt.footer)}
    return sorted(picked) if iso else []


def _blank_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose every text cell is empty (checked column by column, only where still blank)."""
    blank = np.ones(len(frame), dtype=bool)
    for col in frame.columns:
        s = frame[col]
        if not blank.any():
            break
        if s.dtype.kind == "M":
            blank &= s.isna().to_numpy(dtype=bool)
            continue
        idx = np.flatnonzero(blank)
        sub = s.iloc[idx] if len(idx) < len(s) else s
        blank[idx] = is_blank(sub)
    return blank


def _money(frame: pd.DataFrame) -> dict[str, float]:
    out = {}
    for cur, part in frame.groupby(frame["currency"].fillna("???"), sort=True):
        out[str(cur)] = round(math.fsum(part["cost"].dropna().to_numpy(dtype=float)), 2)
    return out


def _text(body: pd.DataFrame, src: _Source) -> pd.Series:
    if src.template is None:
        return body[str(src.positions[0])]
    parts = _TEMPLATE.split(src.template)
    # parts alternate literal, name, literal, ...
    out = pd.Series(parts[0], index=body.index, dtype="str")
    pos_iter = iter(src.positions)
    for k, part in enumerate(parts[1:], start=1):
        if k % 2 == 1:
            out = out + body[str(next(pos_iter))].fillna("").str.strip()
        else:
            out = out + part
    return out


def _convert(
    fmt: Format,
    sources: dict[str, _Source],
    constants: dict[str, Any],
    body: pd.DataFrame,
    v: Validator,
    salt: str,
    extra: dict[str, pd.Series] | None = None,
    pool: ThreadPoolExecutor | None = None,
    early: _Hashing | None = None,
    data: np.ndarray | None = None,
) -> pd.DataFrame:
    """Text cells -> model dtypes, flagging every bad cell; ``extra`` columns are added as they are.

    With a ``pool`` the text work runs on two threads; ``early`` is hashing already
    started on every row read, of which ``data`` marks the rows in ``body``.
    """
    items: list[tuple[str, pd.Series, str]] = [(t, _text(body, s), s.header) for t, s in sources.items()]
    for t, value in constants.items():
        if t in sources:
            continue
        text = "" if value is None else str(value)
        items.append((t, pd.Series(text, index=body.index, dtype="str"), f"constant {t}"))
    hashed = next((x for x in items if x[0] == _hashed_target(sources)), None)
    texts = {t: text for t, text, _ in items if t not in {"email", "contact_id"} and _is_text(fmt.table, t)}
    done = _text_work(fmt, texts, hashed, salt, pool, early, data)
    out = _convert_items(fmt, sources, items, body, v, done)
    # one DataFrame, no consolidation copy: inserting columns later costs a copy each
    return pd.DataFrame({**out, **(extra or {})}, index=body.index, copy=False)


def _hashed_target(sources: dict[str, _Source]) -> str:
    """The target hashed into contact_key: the email, else a contact id."""
    return "email" if "email" in sources else "contact_id"


def _is_text(table: str, target: str) -> bool:
    return target.startswith(DIMENSION_PREFIX) or TABLES[table].dtypes.get(target, "str") == "str"


@dataclass
class _TextDone:
    cleaned: dict[str, pa.ChunkedArray]  # text target -> trimmed (and labelled) text
    keys: ContactKeys | None
    domains: pd.Series | None


class _Hashing:
    """Contact keys being computed on a pool's thread; the normalised emails are ready first."""

    def __init__(self, emails: Future[Emails], keys: Future[ContactKeys]) -> None:
        self.emails, self.keys = emails, keys

    @classmethod
    def start(cls, pool: ThreadPoolExecutor, text: pd.Series, salt: str) -> _Hashing:
        emails: Future[Emails] = Future()

        def run() -> ContactKeys:
            try:
                norm = normalise_emails(text)
            except BaseException as exc:
                emails.set_exception(exc)
                raise
            emails.set_result(norm)  # the other thread splits the domains from these
            return contact_keys(norm, salt)

        return cls(emails, pool.submit(run))


def _text_work(
    fmt: Format,
    texts: dict[str, pd.Series],
    hashed: tuple[str, pd.Series, str] | None,
    salt: str,
    pool: ThreadPoolExecutor | None,
    early: _Hashing | None = None,
    data: np.ndarray | None = None,
) -> _TextDone:
    """Pseudonymise the email (or contact id) column and trim the text columns.

    With a ``pool`` (a big file) this runs on two threads. Hashing holds the GIL
    (SipHash reads Python objects) while Arrow's kernels, which trim text and split
    domains, release it: so the pool's thread hashes while this one splits the
    domains, and then both trim text columns from one queue until it is empty.
    ``early`` is hashing already started on every row read, of which ``data``
    marks the rows converted here.
    """
    # labelled columns first: the longest tasks go first, so the two threads finish together
    todo = deque(sorted(texts.items(), key=lambda item: item[0] not in fmt.labels))
    cleaned: dict[str, pa.ChunkedArray] = {}

    def drain() -> None:
        while True:
            try:
                target, text = todo.popleft()  # atomic: two threads never take the same column
            except IndexError:
                return
            cleaned[target] = _clean_text(fmt, target, text)

    target, text, _ = hashed or (None, None, None)
    if pool is None:
        norm = normalise_emails(text) if text is not None else None
        keys = contact_keys(norm, salt) if norm is not None else None
        domains = email_domains(norm) if target == "email" else None
        drain()
        return _TextDone(cleaned, keys, domains)
    rows = data if early is not None else None  # early keys cover every row read
    if early is None and text is not None:
        early = _Hashing.start(pool, text, salt)
    helper = pool.submit(drain)  # after the hashing, on the same thread
    domains = email_domains(early.emails.result()) if target == "email" else None
    drain()
    helper.result()
    keys = early.keys.result() if early is not None else None
    if rows is not None:
        keys = keys.take(rows)
        domains = None if domains is None else domains[rows].reset_index(drop=True)
    return _TextDone(cleaned, keys, domains)


def _clean_text(fmt: Format, target: str, text: pd.Series) -> pa.ChunkedArray:
    if target in fmt.labels:
        return map_distinct(text, fmt.labels[target], fmt.read.na_values)
    return clean(text, fmt.read.na_values)


def _convert_items(
    fmt: Format,
    sources: dict[str, _Source],
    items: list[tuple[str, pd.Series, str]],
    body: pd.DataFrame,
    v: Validator,
    done: _TextDone,
) -> dict[str, pd.Series]:
    dtypes = TABLES[fmt.table].dtypes
    opts = fmt.read
    out: dict[str, pd.Series] = {}
    for target, text, label in items:
        if target == _hashed_target(sources):
            # trimmed and lower-cased for key and domain; "" stays missing
            keys = done.keys
            out["contact_key"] = keys.keys
            v.key_ints = (keys.ints, keys.valid, keys.distinct)
            if target == "email":
                out["_email_domain"] = done.domains
            continue
        if target == "contact_id":
            continue
        dtype = dtypes.get(target, "str")
        if target.startswith(DIMENSION_PREFIX):
            dtype = "str"
        src = sources.get(target)
        if dtype in {"Int64", "float64"} and src is not None and src.template and _SUM.fullmatch(src.template):
            parts = [
                parse_numbers(body[str(p)], decimal=opts.decimal, thousands=opts.thousands, na_values=opts.na_values)
                for p in src.positions
            ]
            values = sum((vals.fillna(0) for vals, _, _ in parts), pd.Series(0.0, index=body.index))
            bad = pd.Series(np.logical_or.reduce([b.to_numpy() for _, b, _ in parts]), index=body.index)
            v.flag("bad_value", bad, "text in a numeric column", column=label, expected="numbers", found=text,
                   fix=_NUMERIC_FIX[None])  # fmt: skip
            out[target] = values.astype(dtype) if dtype == "float64" else values.round().astype("Int64")
            continue
        if dtype in {"Int64", "float64"}:
            values, bad, hint = parse_numbers(
                text, decimal=opts.decimal, thousands=opts.thousands, na_values=opts.na_values, integer=dtype == "Int64"
            )
            v.flag(
                "bad_value",
                bad,
                "text in a numeric column" if dtype == "float64" else "not a whole number",
                column=label,
                expected="a number" if dtype == "float64" else "a whole number",
                found=text,
                fix=_NUMERIC_FIX[hint],
            )
            v.bad_cells[target] = bad.to_numpy(dtype=bool)
            out[target] = values.astype(dtype) if dtype == "float64" else values.round().astype("Int64")
        elif dtype.startswith("datetime") and text.dtype.kind == "M":
            out[target] = text.astype("datetime64[us]")  # parsed by the arrow reader (strict ISO 8601)
        elif dtype.startswith("datetime"):
            values, bad, used, ambiguous = parse_dates(
                text, date_format=opts.date_format, dayfirst=opts.dayfirst, na_values=opts.na_values
            )
            if ambiguous:
                sample = text.dropna().head(3).tolist()
                v.error(
                    Problem(
                        "ambiguous dates: every value reads both month-first and day-first",
                        file=v.file,
                        column=label,
                        expected="dates in one known order",
                        found=f"values such as {sample!r}",
                        fix=f"set read.date_format in a column map: {ambiguous[0]!r} (US) or {ambiguous[1]!r} "
                        "(Europe), or read.dayfirst: true",
                    )
                )
                v.mark_error(np.ones(len(text), dtype=bool))
            hint = f"dates like {used!r}" if used else "a date"
            v.flag(
                "bad_date",
                bad,
                "not a date" if used else "no known date format fits",
                column=label,
                expected=hint,
                found=text,
                fix="correct the date, or set read.date_format in a column map (e.g. '%d/%m/%Y')",
            )
            v.bad_cells[target] = bad.to_numpy(dtype=bool)
            out[target] = values
        elif dtype == "boolean":
            values, bad = parse_booleans(text, na_values=opts.na_values)
            v.flag(
                "bad_value",
                bad,
                "not true/false",
                column=label,
                expected="True or False",
                found=text,
                fix="use True/False",
            )
            out[target] = values
        else:
            stripped = as_series(done.cleaned[target], body.index)
            if target in _DOMAIN_TARGETS:
                stripped = normalise_domains(stripped)
            out[target] = stripped
    if "_email_domain" in out:
        email_domain = out.pop("_email_domain")
        key = "account_domain" if fmt.table == "deals" else "company_domain"
        out[key] = out[key].fillna(email_domain) if key in out else email_domain
    return out


def normalise_domains(s: pd.Series) -> pd.Series:
    """``https://www.Acme.com/about`` -> ``acme.com`` (what key-account matching compares)."""
    d = s.astype("str").str.strip().str.lower()
    d = d.str.replace(r"^[a-z]+://", "", regex=True).str.replace(r"^www\.", "", regex=True)
    d = d.str.split("/").str[0]
    return d.where(d.notna() & (d != ""))


def _checks(fmt: Format, out: pd.DataFrame, body: pd.DataFrame, v: Validator) -> None:
    table = fmt.table
    for col in _required(table):
        if col in out and col != "contact_key":
            already = v.bad_cells.get(col, np.zeros(len(out), dtype=bool))
            v.flag(
                "missing_value",
                out[col].isna().to_numpy(dtype=bool) & ~already,
                "required value is empty",
                column=col,
                expected=f"a {col}",
                fix=f"fill in the {col} on that row (or drop the row in the source system and re-export)",
            )
    if "currency" in out:
        cur = out["currency"]
        badcur = cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)
        v.flag(
            "bad_value",
            badcur,
            "not an ISO 4217 currency code",
            column="currency",
            expected="e.g. EUR, USD",
            found=cur,
            fix="use a 3-letter code",
        )
    if table == "spend":
        cost = out["cost"]
        v.flag("negative_spend", (cost < 0).fillna(False), "negative spend", column="cost", expected="cost >= 0", found=cost,
               fix="refunds and credits are not delivery: remove them from the export or load them separately")  # fmt: skip
        for col in ("impressions", "clicks"):
            v.flag(
                "negative_count",
                (out[col] < 0).fillna(False),
                f"negative {col}",
                column=col,
                expected=">= 0",
                found=out[col],
                fix="re-export the report",
            )
        gt = ((out["clicks"] > out["impressions"]) & (out["impressions"] >= 0)).fillna(False)
        v.flag(
            "clicks_gt_impressions",
            gt,
            "more clicks than impressions",
            column="clicks",
            expected="clicks <= impressions",
            found=out["clicks"].astype("str") + " clicks / " + out["impressions"].astype("str") + " impressions",
            fix="check the column mapping (clicks and impressions swapped?); if the platform really reports it, "
            "set checks: {clicks_gt_impressions: warn} in the column map",
        )
    # Exact duplicates: identical in every cell read. For CRM tables only rows sharing a key
    # can be identical, so the (costly) whole-row comparison runs on those rows alone.
    dup = np.zeros(len(body), dtype=bool)
    cols = list(body.columns)
    if cols and len(body):
        key = next((k for k in ("contact_key", "deal_id") if k in out), None)
        if key:
            # One factorize serves both the duplicate-row candidates and the per-key checks below.
            codes = _key_codes(out[key], v.key_ints if key == "contact_key" else None)
            counts = np.bincount(codes)
            if len(counts) == len(codes):  # a code per row: no key repeats
                first = np.ones(len(codes), dtype=bool)
                cand = np.zeros(len(codes), dtype=bool)
            else:
                # codes number the keys in order of first appearance: a row is a key's first
                # exactly when its code is above every earlier code
                first = np.empty(len(codes), dtype=bool)
                first[0] = True
                first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
                cand = counts[codes] > 1
            repeat = ~first  # not the first row with its key
        else:
            codes = None
            cand = np.ones(len(body), dtype=bool)
            repeat = np.zeros(len(body), dtype=bool)
        if cand.all():
            dup = body.duplicated(subset=cols, keep="first").to_numpy(dtype=bool)
        elif cand.any():
            dup[np.flatnonzero(cand)] = body[cand].duplicated(subset=cols, keep="first").to_numpy(dtype=bool)
        v.flag(
            "duplicate",
            dup,
            "identical to an earlier row",
            fix="nothing to do if the export repeated rows; otherwise check the export",
        )
    else:
        codes = None
        cand = repeat = np.zeros(len(body), dtype=bool)
    if "contact_key" in out and table in {"contacts", "touchpoints"}:
        nokey = out["contact_key"].isna().to_numpy(dtype=bool)
        if table == "contacts":
            v.flag("no_contact_key", nokey & ~dup, "no email / contact id, so the row cannot be matched", column="contact_key",
                   fix="add the email (or an id column mapped to contact_id) to the export")  # fmt: skip
            again = repeat & ~nokey & ~dup
            v.flag("duplicate_contact", again, "same contact as an earlier row (first row kept)", column="contact_key",
                   fix="merge duplicate contacts in the CRM")  # fmt: skip
        else:
            v.flag("missing_value", nokey, "required value is empty", column="contact_key", expected="an email or contact id",
                   fix="fill in the email on that row")  # fmt: skip
    if table == "deals" and "deal_id" in out:
        ids = out["deal_id"]
        # the id is on more than one row once exact duplicates are set aside
        again = np.zeros(len(ids), dtype=bool)
        if codes is not None:
            again = (np.bincount(codes[~dup], minlength=len(codes))[codes] > 1) & ~dup
        again &= ids.notna().to_numpy(dtype=bool)
        v.flag("conflicting_id", again, "the same deal id on rows that differ", column="deal_id", expected="one row per deal",
               found=ids, fix="keep one row per deal in the CRM report (which amount / stage is right?)")  # fmt: skip


def _key_codes(keys: pd.Series, ints: tuple[np.ndarray, np.ndarray, bool | None] | None) -> np.ndarray:
    """Codes 0, 1, ... per distinct key in order of first appearance; missing keys share one code."""
    if ints is None:
        codes, _ = pd.factorize(keys, use_na_sentinel=False)
        return codes
    values, valid, distinct = ints
    if distinct is None:
        distinct = all_distinct(values[valid])
    if distinct:
        # The usual export: every present key distinct (a sort proves it several times faster
        # than a hash table), so the codes are a running count.
        if valid.all():
            return np.arange(len(valid))
        new = valid.copy()
        missing = np.flatnonzero(~valid)
        new[missing[0]] = True
        codes = np.cumsum(new) - 1
        codes[missing] = codes[missing[0]]
        return codes
    codes, _ = pd.factorize(pd.arrays.IntegerArray(values, ~valid), use_na_sentinel=False)
    return codes


def _check_rates(frame: pd.DataFrame, config: ClientConfig, file: str) -> None:
    for cur in sorted(frame["currency"].dropna().unique()):
        if config.rate(str(cur)) is None:
            raise CurrencyError(
                f"money in {cur} cannot be mixed with the reporting currency {config.currency}: no exchange rate",
                file=file,
                column="currency",
                expected=f"fx_rates: {{{cur}: <{config.currency} per 1 {cur}>}} in the client config",
                found=repr(str(cur)),
                fix=f"add `fx_rates: {{{cur}: RATE}}` to {config.source or 'client.yaml'}",
            )


# --------------------------------------------------------------------------- a client


def _as_config(config_or_path: ClientConfig | str | os.PathLike) -> ClientConfig:
    if isinstance(config_or_path, ClientConfig):
        return config_or_path
    path = Path(config_or_path)
    if path.is_dir():
        path = path / "client.yaml"
    return ClientConfig.from_yaml(path)


def _target_accounts(path: Path) -> tuple[pd.DataFrame, FileReport]:
    report = FileReport(path=str(path), source="target_accounts", table="target_accounts")
    if not path.is_file():
        raise ConfigError("target accounts file not found", file=str(path), fix="fix `target_accounts:` in client.yaml")
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(
            f"cannot read the target accounts CSV: {exc}", file=str(path), fix="save it as UTF-8 CSV"
        ) from None
    frame.columns = [norm_header(c).replace(" ", "_") for c in frame.columns]
    aliases = {
        "domain": "account_domain",
        "website": "account_domain",
        "company": "account_name",
        "name": "account_name",
    }
    frame = frame.rename(columns={k: v for k, v in aliases.items() if k in frame.columns and v not in frame.columns})
    if "account_domain" not in frame:
        close = difflib.get_close_matches("account_domain", list(frame.columns), n=1)
        raise DataError(
            "target accounts need an account_domain column",
            file=str(path),
            row=1,
            column="account_domain",
            found=f"headers {list(frame.columns)!r}",
            fix=f"rename {close[0]!r} to 'account_domain'" if close else "add a column account_domain (e.g. acme.com)",
        )
    frame = frame.assign(account_domain=normalise_domains(frame["account_domain"]))
    report.rows_read = len(frame)
    empty = frame["account_domain"].isna()
    dup = frame["account_domain"].duplicated() & ~empty
    if empty.any():
        report.dropped["no_domain"] = int(empty.sum())
    if dup.any():
        report.dropped["duplicate"] = int(dup.sum())
    frame = frame[~empty & ~dup]
    report.rows_loaded = report.records = len(frame)
    return conform("target_accounts", frame, file=str(path)), report


def load_client(config_or_path: ClientConfig | str | os.PathLike) -> ClientModel:
    """Load every export of a client into one reconciled :class:`~kpikit.model.ClientModel`.

    Parameters
    ----------
    config_or_path
        A :class:`~kpikit.config.ClientConfig`, a path to ``client.yaml``, or the client's folder.

    Money is converted into ``config.currency`` with ``config.fx_rates``;
    ``model.load_report`` keeps the spend per original currency per file.

    Raises
    ------
    ValidationError
        every problem in every file, each naming its file.
    CurrencyError
        money in a currency that has no rate in ``fx_rates``, naming both currencies.
    """
    config = _as_config(config_or_path)
    if not config.exports:
        raise ConfigError(
            "the client config lists no export files",
            file=str(config.source),
            column="exports",
            fix="put the raw exports in the folder named by `exports:` (default exports/) or list them",
        )
    extra = discover_maps(config.base_dir / "column_maps", TEMPLATE_MAPS)
    formats = extra + list(FORMATS.values())
    report = LoadReport(currency=config.currency)
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    problems: list[Problem] = []
    for export in config.exports:
        try:
            loaded = inspect_file(export.path, export.map, config=config, formats=None if export.map else formats)
        except KpikitError as exc:
            report.files.append(FileReport(path=str(export.path), source="?", table="?", problems=exc.problems))
            problems += [_named(p, export.path) for p in exc.problems]
            continue
        report.files.append(loaded.report)
        if loaded.report.ok:
            frames[loaded.table].append(loaded.frame)
        problems += [_named(p, export.path) for p in loaded.report.problems]
    if problems:
        raise ValidationError(problems, file=str(config.source or config.base_dir))
    tables = {
        name: (pd.concat(parts, ignore_index=True) if parts else empty_table(name)) for name, parts in frames.items()
    }
    tables = {name: conform(name, t) if len(t) else t for name, t in tables.items()}
    tables["spend"], tables["deals"] = _convert_money(tables["spend"], tables["deals"], config, report)
    if config.target_accounts is not None:
        tables["target_accounts"], ta_report = _target_accounts(config.target_accounts)
        report.files.append(ta_report)
    report.matches = _matches(tables)
    return ClientModel(**tables, config=config, load_report=report)


def _named(p: Problem, path: Path) -> Problem:
    return Problem(f"{Path(path).name}: {p.message}", file=str(path), row=p.row, column=p.column,
                   expected=p.expected, found=p.found, fix=p.fix)  # fmt: skip


def _convert_money(
    spend: pd.DataFrame, deals: pd.DataFrame, config: ClientConfig, report: LoadReport
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Convert cost, reported revenue and deal amounts into the reporting currency."""
    seen: dict[str, list[str]] = {}
    for frame in (spend, deals):
        if len(frame):
            for cur, files in frame.groupby(frame["currency"].fillna(config.currency))["source_file"]:
                seen.setdefault(str(cur), []).extend(sorted(set(files.dropna())))
    missing = {c: f for c, f in seen.items() if config.rate(c) is None}
    if missing:
        cur, files = sorted(missing.items())[0]
        others = ", ".join(sorted(missing))
        raise CurrencyError(
            f"cannot mix {cur} with the reporting currency {config.currency} without an exchange rate "
            f"(currencies without a rate: {others}; files: {', '.join(sorted(set(files)))})",
            file=str(config.source or config.base_dir),
            column="fx_rates",
            expected=f"a rate for {cur}",
            found=f"fx_rates {config.fx_rates!r}",
            fix=f"add `fx_rates: {{{cur}: RATE}}` ({config.currency} per 1 {cur}) to the client config",
        )
    report.fx_rates = {c: float(config.rate(c)) for c in sorted(seen)}

    def convert(frame: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
        if not len(frame):
            return frame
        rate = frame["currency"].fillna(config.currency).map(lambda c: config.rate(str(c))).astype("float64")
        changes = {c: frame[c] * rate for c in cols if c in frame}
        changes["currency"] = pd.Series(config.currency, index=frame.index, dtype="str")
        return frame.assign(**changes)

    return convert(spend, ("cost", "reported_revenue")), convert(deals, ("amount",))


def _matches(t: dict[str, pd.DataFrame]) -> dict[str, int]:
    contacts, deals, ta = t["contacts"], t["deals"], t["target_accounts"]
    domains = set(ta["account_domain"].dropna()) if len(ta) else set()
    out = {
        "contacts": len(contacts),
        "contacts_with_domain": int(contacts["company_domain"].notna().sum()) if len(contacts) else 0,
        "contacts_from_target_accounts": int(contacts["company_domain"].isin(domains).sum()) if len(contacts) else 0,
        "deals": len(deals),
        "deals_with_known_contact": int(deals["contact_key"].isin(set(contacts["contact_key"].dropna())).sum())
        if len(deals) and len(contacts)
        else 0,
    }
    return out
