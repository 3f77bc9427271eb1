"""Stage 2 of a load: read the rows below the header and sort them before any conversion.

:func:`read_data` reads the rows as text (the arrow engine, for big files, reads
only the mapped columns and may parse ISO date columns on the way).
:func:`sort_rows` then puts every row read in exactly one kind, which is what lets
a load report reconcile (``rows_read == rows_loaded + sum(dropped)``). Each row is
judged by its own shape, never by where it sits (a campaign named "Total: Market
Coverage" or an account "Grand Totals Ltd" is data, and so is every row below it):

- blank: every cell empty; not a row at all (pyarrow and pandas skip them too),
  only mentioned in a note;
- footer: a row shaped like one of the format's :class:`~kpikit.ingest.formats.Footer`
  rules: its first text cell is the rule's label (Google's ``Total: Account``,
  Salesforce's ``Grand Totals (12 records)``) and its other dimension cells are blank
  or ``--``; also a row with every dimension blank right below a footer (Salesforce's
  totals line). Dropped and counted as ``footer``; what a footer says its export holds
  (cost, impressions, clicks, records) is kept in ``totals`` for the check stage;
- repeated header: the header again below the data, with the title lines above it: a
  second export pasted into the file. One problem (the file does not load: each export
  has its own title, period and columns, and two downloads of one period would count
  twice), and its lines are counted as ``malformed``;
- malformed: a row whose cell count differs from the header's; dropped, counted
  as ``malformed``, and one :class:`~kpikit.errors.Problem` each (so the file
  does not load);
- data: the rest, which the convert stage turns into model columns. A data row shaped
  like a total ("Total", "Totals", "Grand Total", "Gesamt", "Summe", ... as its first text
  cell, its other dimensions blank) that is none of the format's footers is a
  *suspect*: the check stage keeps it only when the export's own totals prove it is data
  (check ``total_row``), else the file is refused.

The work is vectorised: a few byte comparisons per row find the rare rows whose first
cell could start a total label, and only those are matched and shaped.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpikit._arrowtext import as_arrow, is_blank, offsets
from kpikit.errors import DataError, Problem
from kpikit.ingest.detect import Detected
from kpikit.ingest.formats import Footer, Format, as_footer, norm_header
from kpikit.ingest.headers import _resolve, _Source
from kpikit.ingest.readers import ARROW_THRESHOLD, Rows, read_rows
from kpikit.ingest.validate import parse_numbers
from kpikit.model import DIMENSION_PREFIX, TABLES
from kpikit.privacy import quote_cell

__all__ = [
    "PlatformTotal",
    "SortedRows",
    "Suspect",
    "TOTAL_WORDS",
    "no_data_problem",
    "read_data",
    "sort_rows",
    "unread_cells",
]

_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"

# Words a total row starts with in the exports kpikit meets (en, de, fr, es, it, nl), not
# followed by a letter: "Total: Account", "Totals", "Grand Totals (3 records)", "Total général",
# "Gesamtsumme", "Summe" match; "Totally Tubular", "Summer sale" do not.
TOTAL_WORDS = re.compile(
    r"\s*(?:grand[\s-]*totals?|sub-?totals?|sous-totals?|totals?|totaux|totaal|totale|gesamt\w*|insgesamt"
    r"|zwischensummen?|summen?|suma|somme)(?![^\W\d_])",
    re.IGNORECASE,
)
# The first three letters of those words: a cheap byte test finds the few cells worth matching.
_TOTAL_PREFIXES = ("gra", "sub", "sou", "tot", "ges", "ins", "zwi", "sum", "som")
_BLANK_MARKS = ("--",)  # Google writes "--" in the dimension cells of its total rows
_MEASURES = ("cost", "impressions", "clicks")  # what a footer with totals is checked on


def read_data(det: Detected, sources: dict[str, _Source], engine: str | None) -> Rows:
    """Read every row below the header as text.

    Parameters
    ----------
    det
        The detected format and file.
    sources
        The columns the format reads (the arrow engine reads only these and the first).
    engine
        ``"python"``, ``"arrow"`` or ``None``: arrow for files over
        :data:`~kpikit.ingest.readers.ARROW_THRESHOLD` bytes.
    """
    raw = det.raw
    positions = sorted({p for s in sources.values() for p in s.positions} | {0})
    # The python engine reads every cell; the arrow engine, for big files, reads only the mapped
    # columns (the duplicate check fetches the others when it needs them: unread_cells).
    use_arrow = engine == "arrow" or (engine is None and raw.size > ARROW_THRESHOLD)
    head = raw.head_rows(det.sep)[det.header_index + 1 :]
    timestamps = _iso_date_columns(det.format, sources, head) if use_arrow else []
    return read_rows(
        raw,
        det.sep,
        det.header_index,
        columns=positions if use_arrow else None,
        engine="arrow" if use_arrow else "python",
        timestamps=timestamps,
    )


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


@dataclass(frozen=True)
class PlatformTotal:
    """What a footer row says its export holds, for the check stage to compare with the data rows.

    Attributes
    ----------
    label
        The footer's first cell (a platform's own label such as ``Total: Account``).
    row
        Its line in the file.
    part
        Which export of the file it closes: 0, or 1, 2, ... below a repeated header.
    values
        Measure -> the row's figure (``cost``, ``impressions``, ``clicks``), for a footer with totals.
    currency
        The row's currency cell, if it has one.
    records
        The record count the label states ("Grand Totals (12 records)").
    """

    label: str
    row: int | None
    part: int
    values: Mapping[str, float] = field(default_factory=dict)
    currency: str | None = None
    records: int | None = None


@dataclass(frozen=True)
class Suspect:
    """A data row shaped like a total that matches none of the format's footers."""

    row: int  # its line
    column: str  # the header of its first text cell
    label: str  # what to quote: the whole cell from an ad platform's mapped column, else the total word


@dataclass(frozen=True)
class SortedRows:
    """The kind of every row read (see the module docstring).

    Attributes
    ----------
    data
        One bool per row of ``Rows.frame``: a data row, to convert.
    blank
        Blank lines: in the frame, and skipped by the engine.
    footer, malformed
        Rows of each kind, including those the arrow engine skipped (not in the frame).
        A repeated header and its title lines count as malformed.
    problems
        One per malformed row and per repeated header, in file order.
    totals
        What the footers say their export holds.
    suspects
        Data rows shaped like a total that no footer rule knows.
    parts
        Lines where a second, third ... export starts (its title lines and repeated header).
    """

    data: np.ndarray
    blank: int
    footer: int
    malformed: int
    problems: list[Problem] = field(default_factory=list)
    totals: tuple[PlatformTotal, ...] = ()
    suspects: tuple[Suspect, ...] = ()
    parts: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    @property
    def n_data(self) -> int:
        return int(self.data.sum())

    @property
    def rows_read(self) -> int:
        """Every non-blank row below the header."""
        return self.n_data + self.footer + self.malformed

    @property
    def dropped(self) -> dict[str, int]:
        """Footer and malformed rows, as load report ``dropped`` counts (zero counts left out)."""
        counts = {"footer": self.footer, "malformed": self.malformed}
        return {reason: n for reason, n in counts.items() if n}


def sort_rows(fmt: Format, rows: Rows, file: str, sources: Mapping[str, _Source] | None = None) -> SortedRows:
    """Sort every row read into blank, footer, repeated-header, malformed and data rows.

    Parameters
    ----------
    fmt
        The format: its ``footer`` rules name its total rows.
    rows
        The rows read, with the ragged ones the reader reported.
    file
        The file, for messages.
    sources
        The column each target is read from: its dimension cells must be blank on a
        total row, and its cost, impressions and clicks cells are a total's figures.
    """
    frame = rows.frame
    sources = _resolve(fmt, rows.header)[0] if sources is None else sources
    shape = _Shape.of(fmt, sources, rows.header, frame)
    rules = tuple(as_footer(f) for f in fmt.footer or ())
    # Blank lines are not rows (pyarrow and pandas skip them too); say how many.
    first = _bytes(as_arrow(frame["0"])) if "0" in frame and frame["0"].dtype.kind != "M" else None
    blank = _blank_rows(frame, first)
    ragged_at = {r.pos: k for k, r in enumerate(rows.ragged) if r.pos is not None}
    ragged = np.zeros(len(frame), dtype=bool)
    ragged[list(ragged_at)] = True

    # 1. rows whose first text cell is a footer label or a total word, shaped like a total
    found, suspects = _total_shaped(frame, shape, rules, blank | ragged, first)
    footer = np.zeros(len(frame), dtype=bool)
    footer[[p for p, *_ in found]] = True

    # 2. the header again: a second export pasted below the first
    repeated = _repeated_headers(frame, rows.header, shape, blank | ragged | footer, first)

    # 3. rows with the wrong cell count: footer lines (one-cell Salesforce lines), a repeated
    # header of another width, or malformed
    head0 = norm_header(rows.header[0]) if rows.header else ""
    status: list[str] = []
    ragged_found: list[tuple[int, Footer, re.Match[str], str]] = []  # (ragged index, rule, match, label)
    for k, r in enumerate(rows.ragged):
        hit = _match(rules, r.first_cell) if r.first_cell.strip() else None
        if r.cells <= 1 and not r.first_cell.strip():
            status.append("blank")  # one empty quoted cell ('""' between Salesforce's blocks): a blank line
        elif hit is not None and hit[0] is not None:
            status.append("footer")
            ragged_found.append((k, hit[0], hit[1], r.first_cell.strip()))
        elif head0 and norm_header(r.first_cell) == head0:
            status.append("header")
        else:
            status.append("malformed")

    # 4. what surrounds them, in file order: a totals line right below a footer belongs to it,
    # and the title lines right above a repeated header belong to the export it starts
    order = _FileOrder(rows, blank, status) if found or ragged_found or repeated.any() or "header" in status else None
    anchors = [order.line_of(("frame", p)) for p, *_ in found] + [rows.ragged[k].line for k, *_ in ragged_found]
    for line in sorted(x for x in anchors if x is not None):
        while order is not None and (nxt := order.after(line)) is not None:
            kind, ref = nxt
            if kind == "frame" and ref not in ragged_at:
                if footer[ref] or not shape.all_blank(frame, ref):
                    break
                footer[ref] = True
            else:
                k = ragged_at[ref] if kind == "frame" else ref
                if status[k] != "malformed" or rows.ragged[k].first_cell.strip():
                    break
                status[k] = "footer"
                if kind == "frame":
                    footer[ref] = True
            line = order.line_of(nxt)
    starts: list[int] = []  # first line of each later export
    header_lines: list[int] = []
    for p in np.flatnonzero(repeated).tolist():
        header_lines.append(int(rows.lines[p]))
    header_lines += [rows.ragged[k].line for k, s in enumerate(status) if s == "header" and rows.ragged[k].line]
    for h in sorted(header_lines):
        top = h
        while order is not None and (prev := order.before(top)) is not None:
            kind, ref = prev
            k = ragged_at.get(ref) if kind == "frame" else ref
            if k is None or status[k] != "malformed":
                break
            status[k] = "title"
            top = order.line_of(prev)
        starts.append(top)
    parts = np.asarray(sorted(starts), dtype=np.int64)

    # 5. counts and problems
    header_block = repeated.copy()
    malformed = np.zeros(len(frame), dtype=bool)
    skipped = {"blank": 0, "footer": 0, "header": 0, "title": 0, "malformed": 0}
    for k, r in enumerate(rows.ragged):
        if r.pos is None:
            skipped[status[k]] += 1
        elif status[k] == "blank":
            continue  # the python reader never reports one: it is a blank row of the frame
        elif status[k] == "footer":
            footer[r.pos] = True
        elif status[k] in ("header", "title"):
            header_block[r.pos] = True
        else:
            malformed[r.pos] = True
    problems = _ragged_problems(rows, [s == "malformed" for s in status], len(rows.header), file)
    problems += [_repeated_problem(file, s, h) for s, h in zip(parts.tolist(), sorted(header_lines), strict=True)]
    problems.sort(key=lambda p: p.row or 0)
    totals = _platform_totals(fmt, sources, shape, frame, rows, found, ragged_found, parts)
    return SortedRows(
        data=~(blank | footer | header_block | malformed),
        blank=int(blank.sum()) + rows.blank_skipped + skipped["blank"],
        footer=int(footer.sum()) + skipped["footer"],
        malformed=int((malformed | header_block).sum()) + skipped["malformed"] + skipped["header"] + skipped["title"],
        problems=problems,
        totals=totals,
        suspects=tuple(
            Suspect(int(rows.lines[p]), _header_name(rows.header, c), shape.quotable(c, t)) for p, c, t in suspects
        ),
        parts=parts,
    )


def _total_shaped(
    frame: pd.DataFrame, shape: _Shape, rules: tuple[Footer, ...], skip: np.ndarray, first: _Bytes | None
) -> tuple[list[tuple[int, Footer, re.Match[str], str]], list[tuple[int, int, str]]]:
    """Rows shaped like a total: ``(position, rule, match, label)`` of each footer, and
    ``(position, column, first text cell)`` of each other row whose label is a total word."""
    found: list[tuple[int, Footer, re.Match[str], str]] = []
    suspects: list[tuple[int, int, str]] = []
    pos, cols, texts = _first_texts(frame, shape, skip, _prefix_codes(rules), first)
    if not len(pos):
        return found, suspects
    # match each distinct cell once, then shape only the rows that match
    enc = pc.dictionary_encode(texts).combine_chunks()
    distinct = enc.dictionary.to_pylist()
    matched = [_match(rules, t) for t in distinct]
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    hit = np.flatnonzero(np.array([m is not None for m in matched], dtype=bool)[codes])
    good = hit[shape.others_blank(frame, pos[hit], cols[hit])]  # else a dimension is filled: data
    for k in good.tolist():
        p, c, t = int(pos[k]), int(cols[k]), distinct[codes[k]]
        rule, m = matched[codes[k]]
        if rule is None:
            suspects.append((p, c, t))
        else:
            found.append((p, rule, m, t))
    return found, suspects


def unread_cells(det: Detected, rows: Rows, data: np.ndarray) -> Callable[[np.ndarray], pd.DataFrame] | None:
    """The cells of data rows the read left out as text, fetched on demand; ``None`` when every cell is text.

    The arrow engine reads only the mapped columns (and parses ISO dates). The duplicate
    check calls the returned function with data-row positions when rows agree on every cell
    read: it reads the other columns (again with pyarrow, as text) and returns them for
    those rows, so "exact duplicate" means identical in every source cell on every engine.
    """
    width = len(rows.header)
    text = {int(c) for c in rows.frame.columns if rows.frame[c].dtype.kind != "M"}
    other = [j for j in range(width) if j not in text]
    if not other:
        return None
    at = np.flatnonzero(data)

    def fetch(positions: np.ndarray) -> pd.DataFrame:
        more = read_rows(det.raw, det.sep, det.header_index, columns=other, engine="arrow").frame
        if len(more) != len(rows.frame):  # the same reader skips the same rows: never expected
            raise DataError(
                "the file changed while it was being read",
                file=str(det.raw.origin),
                fix="load it again once nothing writes to it",
            )
        return more.iloc[at[positions]].reset_index(drop=True)

    return fetch


def no_data_problem(file: str, header_line: int, rows_read: int) -> Problem:
    """The problem of a file whose header has no data rows below it."""
    return Problem(
        "the file has a header but no data rows",
        file=file,
        row=header_line,
        expected="at least one data row below the header",
        found="no rows" if not rows_read else f"{rows_read} footer/malformed row(s) only",
        fix="export the report again (check the date range); if there truly was no activity, "
        "remove the file from the client's exports",
    )


@dataclass(frozen=True)
class _Shape:
    """Which cells of a row make it look like a total."""

    order: tuple[int, ...]  # where the first text cell is looked for: the first column, then the mapped ones
    dims: tuple[int, ...]  # dimension columns (text and dates, not the currency): blank on a total row
    text: tuple[int, ...]  # the first column and the dimensions: all blank on a totals line
    quotable: Callable[[int, str], str]  # (column, first text cell) -> what a message may quote
    blank_marks: tuple[str, ...]

    @classmethod
    def of(cls, fmt: Format, sources: Mapping[str, _Source], header: list[str], frame: pd.DataFrame) -> _Shape:
        dtypes = TABLES[fmt.table].dtypes
        present = {int(c) for c in frame.columns}
        dims: set[int] = set()
        for target, src in sources.items():
            kind = dtypes.get(target, "str")
            if target != "currency" and (
                kind == "str" or kind.startswith("datetime") or target.startswith(DIMENSION_PREFIX)
            ):
                dims |= set(src.positions)
        dims &= present
        safe = {p for t, s in sources.items() if t not in ("email", "contact_id") for p in s.positions}
        spend = fmt.table == "spend"

        def quotable(col: int, text: str) -> str:
            # An ad platform's mapped dimensions hold no personal data; a CRM cell (a person's or
            # a company's name) or an unmapped one is quoted only as far as its total word.
            if spend and col in safe:
                return text.strip()
            m = TOTAL_WORDS.match(text)
            return m.group(0).strip() if m else ""

        marks = tuple(dict.fromkeys((*_BLANK_MARKS, *(v.strip() for v in fmt.read.na_values))))
        order = tuple(sorted(present & ({0} | dims | safe)))
        return cls(order, tuple(sorted(dims)), tuple(sorted(present & ({0} | dims))), quotable, marks)

    def _blank(self, values: pd.Series) -> np.ndarray:
        """Empty, whitespace, or a blank mark such as ``--`` (only short cells can be one)."""
        if values.dtype.kind == "M":
            return values.isna().to_numpy(dtype=bool)
        arr = as_arrow(values)
        out = is_blank(arr)
        if self.blank_marks and len(arr):
            width = max(len(m.encode()) for m in self.blank_marks) + 4  # a mark with some padding
            lengths = np.concatenate([np.diff(offsets(c)) for c in arr.chunks])
            short = np.flatnonzero(~out & (lengths <= width))
            if len(short):
                trimmed = pc.utf8_trim_whitespace(arr.take(pa.array(short)))
                marks = pc.is_in(trimmed, value_set=pa.array(self.blank_marks, pa.large_string()))
                out[short] = np.asarray(pc.fill_null(marks, False).to_numpy(zero_copy_only=False), dtype=bool)
        return out

    def others_blank(self, frame: pd.DataFrame, pos: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """For each row ``pos[i]``: every dimension cell but its label's (``cols[i]``) is blank."""
        ok = np.ones(len(pos), dtype=bool)
        for j in self.dims:
            ok &= self._blank(frame[str(j)].iloc[pos]) | (cols == j)
        return ok

    def all_blank(self, frame: pd.DataFrame, p: int) -> bool:
        """Row ``p`` has no text at all where a label or a dimension would be (a totals line)."""
        at = np.array([p])
        return all(bool(self._blank(frame[str(j)].iloc[at])[0]) for j in self.text)


def _match(rules: tuple[Footer, ...], text: str) -> tuple[Footer | None, re.Match[str] | None] | None:
    """(rule, match) for a footer label, (None, None) for another total word, None for neither."""
    for rule in rules:
        m = rule.match(text)
        if m:
            return rule, m
    return (None, None) if TOTAL_WORDS.match(text) else None


def _literal_prefix(pattern: str) -> str | None:
    """The three lower-case characters every match of ``pattern`` starts with, or None."""
    depth, escaped, in_set = 0, False, False
    for c in pattern:  # an alternative at the top level can start with anything
        if escaped:
            escaped = False
        elif c == "\\":
            escaped = True
        elif in_set:
            in_set = c != "]"
        elif c == "[":
            in_set = True
        elif c in "()":
            depth += 1 if c == "(" else -1
        elif c == "|" and depth == 0:
            return None
    out: list[str] = []
    i = 0
    while i < len(pattern) and len(out) < 4:
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            out.append(pattern[i + 1])
            i += 2
        elif c in ".^$*+?{}[]|()\\":
            break
        else:
            out.append(c)
            i += 1
    if i < len(pattern) and pattern[i] in "*?{" and out:
        out.pop()  # "ab?" only promises "a"
    text = "".join(out)[:3].lower()
    return text if len(text.encode()) == 3 else None


def _prefix_codes(rules: tuple[Footer, ...]) -> np.ndarray | None:
    """Three-byte codes a footer label or a total word can start with; None: any cell can."""
    prefixes = [_literal_prefix(r.label) for r in rules]
    if any(p is None for p in prefixes):
        return None
    return np.unique([_code(p.encode()) for p in (*_TOTAL_PREFIXES, *prefixes)])


def _code(b: bytes) -> int:
    return (b[0] << 16) | (b[1] << 8) | b[2]


def _lengths(arr: pa.ChunkedArray) -> np.ndarray:
    """Each cell's length in bytes (0 for a missing one)."""
    out = []
    for chunk in arr.chunks:
        length = np.diff(offsets(chunk))
        if chunk.null_count:
            length[np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)] = 0
        out.append(length)
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class _Bytes:
    """A text column's cells as bytes: each one's length and first byte, and each chunk's buffers."""

    arr: pa.ChunkedArray
    length: np.ndarray
    first: np.ndarray  # 0 for an empty cell
    chunks: tuple[tuple[int, np.ndarray, np.ndarray | None], ...]  # (first row, starts, data)


def _bytes(arr: pa.ChunkedArray) -> _Bytes:
    firsts, chunks, base = [], [], 0
    length = _lengths(arr)
    for chunk in arr.chunks:
        bounds = offsets(chunk)
        data = chunk.buffers()[2]
        buf = np.frombuffer(data, dtype=np.uint8) if data is not None and bounds[-1] > bounds[0] else None
        firsts.append(
            np.zeros(len(chunk), dtype=np.uint8) if buf is None else buf[np.minimum(bounds[:-1], len(buf) - 1)]
        )
        chunks.append((base, bounds[:-1], buf))
        base += len(chunk)
    first = np.concatenate(firsts) if firsts else np.zeros(0, dtype=np.uint8)
    first[length == 0] = 0
    return _Bytes(arr, length, first, tuple(chunks))


_ODD = np.zeros(256, dtype=bool)  # a first byte that may start whitespace or a non-ASCII character
_ODD[1:0x21] = _ODD[0x80:] = True
_LOWER = np.arange(256, dtype=np.int64)
_LOWER[0x41:0x5B] += 0x20  # ASCII upper case -> lower case


def _labelish(b: _Bytes, at: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Those of the cells ``at`` whose first three bytes, lower-cased, are one of ``codes``."""
    letters = np.zeros(256, dtype=bool)
    letters[np.isin(_LOWER, codes >> 16)] = True  # both cases of each first letter
    whole = len(at) == len(b.length)  # every cell: no gather needed
    lead, length = (b.first, b.length) if whole else (b.first[at], b.length[at])
    hit = np.flatnonzero(letters[lead] & (length >= 3))  # a first-byte test first: digits, dates never pass
    hit = hit if whole else at[hit]
    if not len(hit):
        return hit
    code = np.zeros(len(hit), dtype=np.int64)
    for base, starts, buf in b.chunks:
        lo, hi = np.searchsorted(hit, [base, base + len(starts)])
        if lo == hi or buf is None:
            continue
        where = starts[hit[lo:hi] - base]
        code[lo:hi] = (_LOWER[buf[where]] << 16) | (_LOWER[buf[where + 1]] << 8) | _LOWER[buf[where + 2]]
    return hit[np.isin(code, codes)]


def _first_texts(
    frame: pd.DataFrame, shape: _Shape, skip: np.ndarray, codes: np.ndarray | None, first: _Bytes | None
) -> tuple[np.ndarray, np.ndarray, pa.ChunkedArray]:
    """Rows whose first text cell (first column, then the mapped ones) may be a label.

    Returns their positions, the columns of those cells and the cells. A date, or any cell
    that starts otherwise, ends the search for its row; only rows still blank (empty,
    whitespace, ``--``) move on to the next column. Byte tests do the work: only cells that
    start with a space, a multi-byte character, a blank mark's first byte or a label's
    first three letters are read as text. ``first``: the first column's bytes, if measured.
    """
    remaining = np.flatnonzero(~skip)
    marks = shape.blank_marks
    mark_first = np.zeros(256, dtype=bool)
    mark_first[[m.encode()[0] for m in marks if m]] = True
    mark_first[0] = False  # an empty cell's first byte reads 0
    width = max((len(m.encode()) for m in marks), default=0) + 4  # a mark with some padding
    pos: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    cells: list[pa.Array] = []
    for j in shape.order:
        if not len(remaining):
            break
        s = frame[str(j)]
        if s.dtype.kind == "M":
            remaining = remaining[s.isna().to_numpy(dtype=bool)[remaining]]
            continue
        if j == 0 and first is not None:
            b, at = first, remaining  # positions into the whole column
        else:
            b = _bytes(as_arrow(s if len(remaining) == len(s) else s.iloc[remaining]))
            at = np.arange(len(remaining))
        whole = len(at) == len(b.length)
        length, lead = (b.length, b.first) if whole else (b.length[at], b.first[at])
        empty = length == 0
        # cells that may be whitespace only, a blank mark, or start with a non-ASCII character:
        # read exactly (few in an export)
        odd = np.flatnonzero(_ODD[lead] | (mark_first[lead] & (length <= width)))
        exact = b.arr.take(pa.array(at[odd])).to_pylist() if len(odd) else []
        blank_odd = np.array([not t.strip() or t.strip() in marks for t in exact], dtype=bool)
        empty[odd[blank_odd]] = True
        if codes is None:
            maybe = np.flatnonzero(~empty)
        else:
            labels = _labelish(b, at, codes)
            maybe = np.union1d(odd[~blank_odd], labels if whole else np.searchsorted(at, labels))
        if len(maybe):
            pos.append(remaining[maybe])
            cols.append(np.full(len(maybe), j))
            cells.append(b.arr.take(pa.array(at[maybe])).combine_chunks())
        remaining = remaining[empty]
    if not pos:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), pa.chunked_array([], pa.large_string())
    return np.concatenate(pos), np.concatenate(cols), pa.chunked_array(cells, pa.large_string())


def _repeated_headers(
    frame: pd.DataFrame, header: list[str], shape: _Shape, skip: np.ndarray, first: _Bytes | None = None
) -> np.ndarray:
    """Rows that repeat the header in every column read that has a name (at least two)."""
    out = np.zeros(len(frame), dtype=bool)
    named = [j for j in shape.order if j < len(header) and norm_header(header[j]) and frame[str(j)].dtype.kind != "M"]
    if len(named) < 2 or not len(frame):
        return out
    name = header[named[0]]
    variants = list(dict.fromkeys([name, name.strip(), "\ufeff" + name.strip()]))
    arr = as_arrow(frame[str(named[0])])
    length = first.length if first is not None and named[0] == 0 else _lengths(arr)
    # a byte-length test first: only cells as long as the header's name can be it
    fits = np.zeros(len(length), dtype=bool)
    for size in {len(v.encode()) for v in variants}:
        fits |= length == size
    cand = np.flatnonzero(fits & ~skip)
    if len(cand):
        hit = pc.is_in(arr.take(pa.array(cand)), value_set=pa.array(variants, pa.large_string()))
        cand = cand[np.asarray(pc.fill_null(hit, False).to_numpy(zero_copy_only=False), dtype=bool)]
    for j in named[1:]:
        if not len(cand):
            break
        values = frame[str(j)].iloc[cand].tolist()
        cand = cand[[norm_header(v) == norm_header(header[j]) for v in values]]
    out[cand] = True
    return out


class _FileOrder:
    """The non-blank rows in file order: frame rows and the ragged rows the engine skipped."""

    def __init__(self, rows: Rows, blank: np.ndarray, status: list[str]) -> None:
        self.rows = rows
        self.nonblank = np.flatnonzero(~blank)
        self.lines = rows.lines[self.nonblank]
        skipped = sorted(
            (r.line, k)
            for k, r in enumerate(rows.ragged)
            if r.pos is None and r.line is not None and status[k] != "blank"
        )
        self.skipped_lines = [line for line, _ in skipped]
        self.skipped = [k for _, k in skipped]

    def line_of(self, ref: tuple[str, int]) -> int | None:
        kind, k = ref
        return int(self.rows.lines[k]) if kind == "frame" else self.rows.ragged[k].line

    def after(self, line: int) -> tuple[str, int] | None:
        i = int(np.searchsorted(self.lines, line, side="right"))
        j = bisect.bisect_right(self.skipped_lines, line)
        frame = (int(self.lines[i]), ("frame", int(self.nonblank[i]))) if i < len(self.lines) else None
        skip = (self.skipped_lines[j], ("ragged", self.skipped[j])) if j < len(self.skipped) else None
        best = min((x for x in (frame, skip) if x is not None), default=None, key=lambda x: x[0])
        return None if best is None else best[1]

    def before(self, line: int) -> tuple[str, int] | None:
        i = int(np.searchsorted(self.lines, line, side="left")) - 1
        j = bisect.bisect_left(self.skipped_lines, line) - 1
        frame = (int(self.lines[i]), ("frame", int(self.nonblank[i]))) if i >= 0 else None
        skip = (self.skipped_lines[j], ("ragged", self.skipped[j])) if j >= 0 else None
        best = max((x for x in (frame, skip) if x is not None), default=None, key=lambda x: x[0])
        return None if best is None else best[1]


def _platform_totals(
    fmt: Format,
    sources: Mapping[str, _Source],
    shape: _Shape,
    frame: pd.DataFrame,
    rows: Rows,
    found: list[tuple[int, Footer, re.Match[str], str]],
    ragged_found: list[tuple[int, Footer, re.Match[str], str]],
    parts: np.ndarray,
) -> tuple[PlatformTotal, ...]:
    """What each footer with totals (or a record count) says its export holds."""
    out: list[PlatformTotal] = []
    items = [(int(rows.lines[p]), p, rule, m, t) for p, rule, m, t in found]
    items += [(rows.ragged[k].line, None, rule, m, t) for k, rule, m, t in ragged_found]
    for line, p, rule, m, label in sorted(items, key=lambda x: x[0] or 0):
        records = None
        if "records" in m.re.groupindex and m.group("records"):
            records = int(re.sub(r"\D", "", m.group("records")))
        values: dict[str, float] = {}
        currency = None
        if rule.totals and p is not None:
            for target in _MEASURES:
                cell = _cell(frame, sources.get(target), p)
                if cell is None:
                    continue
                opts = fmt.read
                parsed, bad, _ = parse_numbers(
                    pd.Series([cell], dtype="str"),
                    decimal=opts.decimal,
                    thousands=opts.thousands,
                    na_values=(*opts.na_values, "--"),
                )
                if not bad.iloc[0] and pd.notna(parsed.iloc[0]):
                    values[target] = float(parsed.iloc[0])
            cur = _cell(frame, sources.get("currency"), p)
            currency = cur.strip() if cur and cur.strip() not in shape.blank_marks else None
        if values or records is not None:
            part = int(np.searchsorted(parts, line, side="right")) if line is not None else 0
            out.append(PlatformTotal(label, line, part, values, currency, records))
    return tuple(out)


def _cell(frame: pd.DataFrame, src: _Source | None, p: int) -> str | None:
    if src is None or src.template or str(src.positions[0]) not in frame:
        return None
    value = frame[str(src.positions[0])].iat[p]
    return None if pd.isna(value) else str(value)


def _header_name(header: list[str], col: int) -> str:
    return header[col].replace("\ufeff", "").strip() if col < len(header) else str(col)


def _repeated_problem(file: str, start: int, header_line: int) -> Problem:
    title = "its title lines, then " if start < header_line else ""
    return Problem(
        "a second export starts here: the file holds two exports pasted together",
        file=file,
        row=start,
        expected="one export per file",
        found=f"{title}the header again on row {header_line}",
        fix=f"split the file before row {start} into two files and list both in client.yaml; each file is then "
        "checked against its own totals (two downloads of the same period would otherwise count twice)",
    )


def _blank_rows(frame: pd.DataFrame, first: _Bytes | None = None) -> np.ndarray:
    """Rows whose every text cell is empty (checked column by column, only where still blank).

    ``first``: the first column's bytes, when already measured (a cell with a printable ASCII
    first byte is not blank, so only the others are checked exactly).
    """
    blank = np.ones(len(frame), dtype=bool)
    columns = list(frame.columns)
    if first is not None and columns and columns[0] == "0":
        columns = columns[1:]
        maybe = np.flatnonzero((first.length > 0) & ((first.first <= 0x20) | (first.first >= 0x80)))
        blank = first.length == 0
        if len(maybe):
            blank[maybe] = is_blank(frame["0"].iloc[maybe])
    for col in columns:
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


def _ragged_problems(rows: Rows, malformed: list[bool], width: int, file: str) -> list[Problem]:
    """One problem per malformed ragged row (wrong cell count, an unclosed quote, a cut-off file)."""
    problems: list[Problem] = []
    for r, bad in zip(rows.ragged, malformed, strict=True):
        if not bad:
            continue
        found = f"{r.cells} cells starting {quote_cell(r.first_cell[:40])}"
        if r.unclosed:
            message = "a quote opened on this row is never closed, so the rest of the file reads as one cell"
            fix = 'close the quote (a quote inside a cell is written twice: "") or re-export the file'
        elif r.truncated:
            message = (
                f"the last row has {r.cells} of {width} cells and the file does not end with a line "
                "break: the file looks truncated (cut mid-row)"
            )
            found, fix = f"{r.cells} cells", "download the export again; the copy you have was cut off"
        else:
            message = f"row has {r.cells} cells but the header has {width}"
            fix = "check for an unquoted separator or a missing cell on that line"
        problems.append(Problem(message, file=file, row=r.line, expected=f"{width} cells", found=found, fix=fix))
    return problems
