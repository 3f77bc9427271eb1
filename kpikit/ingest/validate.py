"""Lazy, vectorised validation: convert text cells to model dtypes and run checks.

Nothing stops at the first bad cell. Every conversion and every check adds
:class:`~kpikit.errors.Problem` entries to a :class:`Validator`; the loader
raises one :class:`~kpikit.errors.ValidationError` with all of them, so a
consultant fixes a client's export in one pass. To keep messages readable on a
million-row file, each (check, column) lists its first :data:`MAX_ROWS_LISTED`
rows and then one summary line with the count of the rest.

Checks and their default level (a column map's ``checks:`` can change the level):

=========================  =======  ==========================================================
check                      level    rule
=========================  =======  ==========================================================
``negative_spend``         error    cost < 0
``negative_count``         error    impressions or clicks < 0
``clicks_gt_impressions``  error    clicks > impressions (``warn`` keeps the rows, reported)
``missing_value``          error    a required column is empty on a row
``duplicate``              drop     a row identical, cell for cell, to an earlier row is
                                    dropped and counted as ``duplicate`` (exports repeat rows
                                    when re-run or merged; the copy is never real delivery)
``duplicate_contact``      drop     a second row for the same contact (same email / id) is
                                    dropped and counted; the first row in the file is kept
``conflicting_id``         error    one deal id on rows that differ (which amount is right?)
``no_contact_key``         drop     a CRM row with no email / id cannot be matched: counted
=========================  =======  ==========================================================

Examples
--------
>>> import pandas as pd
>>> from kpikit.ingest.validate import parse_numbers
>>> values, bad, hint = parse_numbers(pd.Series(["1,033.33", "--", "12"], dtype="str"),
...                                   thousands=",", na_values=("--",))
>>> values.tolist(), bad.tolist(), hint
([1033.33, nan, 12.0], [False, False, False], None)
>>> _, bad, hint = parse_numbers(pd.Series(["12,50", "3,10"], dtype="str"))
>>> bad.tolist(), hint
([True, True], 'decimal_comma')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpikit.errors import Problem

__all__ = [
    "Validator",
    "parse_numbers",
    "parse_dates",
    "parse_booleans",
    "DATE_FORMATS",
    "CHECK_LEVELS",
    "MAX_ROWS_LISTED",
]

MAX_ROWS_LISTED = 20
CHECK_LEVELS: dict[str, str] = {
    "negative_spend": "error",
    "negative_count": "error",
    "clicks_gt_impressions": "error",
    "missing_value": "error",
    "bad_value": "error",
    "bad_date": "error",
    "ambiguous_date": "error",
    "malformed_row": "error",
    "duplicate": "drop",
    "duplicate_contact": "drop",
    "conflicting_id": "error",
    "no_contact_key": "drop",
}

# Tried in order when neither the format nor the map gives a date format.
DATE_FORMATS: tuple[str, ...] = (
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S.%fZ",
    "%Y/%m/%d",
    "%m/%d/%Y",
    "%d/%m/%Y",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y, %I:%M %p",
    "%d.%m.%Y",
    "%d.%m.%Y %H:%M",
    "%d-%m-%Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d %b %Y",
)
_DAY_FIRST = {"%d/%m/%Y", "%d/%m/%Y %H:%M", "%d.%m.%Y", "%d.%m.%Y %H:%M", "%d-%m-%Y"}
_MONTH_FIRST = {"%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y, %I:%M %p"}
_TRUE = {"true", "yes", "1", "y", "t", "won", "closed"}
_FALSE = {"false", "no", "0", "n", "f", "lost", "open"}


def _blank(s: pd.Series, na_values: Sequence[str] = ()) -> tuple[pd.Series, pd.Series]:
    text = s.astype("str").str.strip()
    na = text.isna() | (text == "")
    if na_values:
        na |= text.isin([v.strip() for v in na_values])
    return text, na


def parse_numbers(
    s: pd.Series,
    *,
    decimal: str = ".",
    thousands: str | None = None,
    na_values: Sequence[str] = (),
    integer: bool = False,
) -> tuple[pd.Series, pd.Series, str | None]:
    """Parse text to float64; return ``(values, bad_mask, hint)``.

    ``hint`` is ``"decimal_comma"`` when bad values look like a European
    decimal comma (``12,50``) read with a decimal point, ``"decimal_point"``
    for the reverse, ``"thousands"`` when ``1,234`` appears but no thousands
    separator is set. Percent signs and ISO currency prefixes are not numbers.
    """
    text, na = _blank(s, na_values)
    if decimal == ".":
        values = pd.to_numeric(text.where(~na), errors="coerce")
        failed = values.isna() & ~na
        if thousands and failed.any():
            cand = text[failed]
            ok = cand.str.fullmatch(r"[+-]?\d{1,3}(?:" + _re(thousands) + r"\d{3})+(?:\.\d+)?").fillna(False)
            fixed = pd.to_numeric(cand.where(ok.astype(bool)).str.replace(thousands, "", regex=False), errors="coerce")
            values = values.fillna(fixed)
    else:
        sep = _re(thousands or ".")
        ok = text.str.fullmatch(r"[+-]?(?:\d{1,3}(?:" + sep + r"\d{3})+|\d+)(?:,\d+)?").fillna(False).astype(bool)
        cleaned = text.where(ok & ~na).str.replace(thousands or ".", "", regex=False).str.replace(",", ".", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce")
    values = values.astype("float64")
    bad = values.isna() & ~na
    hint = None
    if bad.any():
        cand = text[bad]
        if decimal == "." and cand.str.fullmatch(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+").fillna(False).any():
            hint = "decimal_comma"
        elif (
            decimal == "."
            and not thousands
            and cand.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).any()
        ):
            hint = "thousands"
        elif decimal == "," and cand.str.fullmatch(r"[+-]?\d+\.\d+").fillna(False).any():
            hint = "decimal_point"
    if integer:
        frac = values.notna() & (values != np.floor(values.fillna(0)))
        bad = bad | frac
        values = values.where(~frac)
    return values, bad.astype(bool), hint


def _re(sep: str | None) -> str:
    import re

    return re.escape(sep or "")


def parse_dates(
    s: pd.Series,
    *,
    date_format: str | None = None,
    dayfirst: bool | None = None,
    na_values: Sequence[str] = (),
) -> tuple[pd.Series, pd.Series, str | None, list[str]]:
    """Parse text to ``datetime64[us]``; return ``(values, bad_mask, format_used, ambiguous_formats)``.

    Without ``date_format`` the formats in :data:`DATE_FORMATS` are tried on a
    sample of distinct values. When a day-first and a month-first format both
    read every value (``03/04/2024``), the dates are ambiguous unless
    ``dayfirst`` says which: ``ambiguous_formats`` then lists both.
    """
    text, na = _blank(s, na_values)
    ambiguous: list[str] = []
    fmt = date_format
    if fmt is None:
        # Sample the head of the column (a full drop_duplicates costs ~1 s per million rows);
        # an ambiguous sample is re-checked on every distinct value below.
        sample = text[~na].head(5000).drop_duplicates().head(500)
        scores = []
        for cand in DATE_FORMATS:
            ok = int(pd.to_datetime(sample, format=cand, errors="coerce").notna().sum())
            if ok:
                scores.append((ok, cand))
        if scores:
            top = max(ok for ok, _ in scores)
            best = [c for ok, c in scores if ok == top]
            day = [c for c in best if c in _DAY_FIRST]
            month = [c for c in best if c in _MONTH_FIRST]
            if day and month and dayfirst is None:
                every = pd.Series(pd.unique(text[~na]), dtype="str")
                if len(every) > len(sample):
                    day = [c for c in day if pd.to_datetime(every, format=c, errors="coerce").notna().all()]
                    month = [c for c in month if pd.to_datetime(every, format=c, errors="coerce").notna().all()]
                    best = [
                        c for c in best if c in day or c in month or (c not in _DAY_FIRST and c not in _MONTH_FIRST)
                    ]
            if day and month:
                if dayfirst is None:
                    ambiguous = [month[0], day[0]]
                    fmt = month[0]
                else:
                    fmt = day[0] if dayfirst else month[0]
            else:
                fmt = best[0]
    if fmt is None:
        values = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    else:
        values = _to_datetime_unique(text.where(~na), fmt)
    bad = values.isna() & ~na
    return values, bad.astype(bool), fmt, ambiguous


def _plain(value):
    """numpy scalar -> Python scalar, so messages show ``-11.0``, not ``np.float64(-11.0)``."""
    return value.item() if isinstance(value, np.generic) else value


def _to_datetime_unique(text: pd.Series, fmt: str) -> pd.Series:
    """``pd.to_datetime`` on the distinct values only: exports repeat dates a lot (a 1M-row
    file has a few hundred thousand distinct minutes, a few hundred days)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(text, from_pandas=True)
    enc = pc.dictionary_encode(arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr)
    uniques = pd.Series(enc.dictionary.to_pandas(), dtype="str")
    parsed = pd.to_datetime(uniques, format=fmt, errors="coerce").astype("datetime64[us]").to_numpy()
    codes = enc.indices.to_numpy(zero_copy_only=False)
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[us]")
    valid = ~np.asarray(enc.indices.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    out[valid] = parsed[codes[valid].astype(np.int64)]
    return pd.Series(out, index=text.index)


def parse_booleans(s: pd.Series, na_values: Sequence[str] = ()) -> tuple[pd.Series, pd.Series]:
    """``True/False``, ``yes/no``, ``1/0`` -> nullable boolean; return ``(values, bad_mask)``."""
    text, na = _blank(s, na_values)
    low = text.str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[low.isin(_TRUE).fillna(False).astype(bool)] = True
    out[low.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = out.isna() & ~na
    return out, bad.astype(bool)


@dataclass
class Validator:
    """Collects errors, warnings and dropped rows for one file.

    ``lines`` maps row positions to 1-based file lines for messages.
    ``levels`` overrides :data:`CHECK_LEVELS` (from a column map's ``checks:``).
    """

    file: str
    lines: np.ndarray
    levels: dict[str, str] = field(default_factory=dict)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    drops: dict[str, np.ndarray] = field(default_factory=dict)
    error_positions: list[np.ndarray] = field(default_factory=list)
    bad_cells: dict[str, np.ndarray] = field(default_factory=dict)
    # contact_key as exact uint64, presence mask and whether all present keys differ (None:
    # unknown): duplicate checks compare these, not strings
    key_ints: tuple[np.ndarray, np.ndarray, bool | None] | None = None

    def level(self, check: str) -> str:
        return self.levels.get(check, CHECK_LEVELS.get(check, "error"))

    def flag(
        self,
        check: str,
        mask: np.ndarray | pd.Series,
        message: str,
        *,
        column: str | None = None,
        expected: str | None = None,
        found: pd.Series | Sequence[str] | None = None,
        fix: str | None = None,
    ) -> int:
        """Record rows where ``mask`` is true under ``check``; return how many."""
        m = np.asarray(mask, dtype=bool)
        n = int(m.sum())
        level = self.level(check)
        if not n or level == "off":
            return n
        pos = np.flatnonzero(m)
        if level == "drop":
            prev = self.drops.get(check)
            self.drops[check] = pos if prev is None else np.union1d(prev, pos)
            rows = ", ".join(str(int(x)) for x in self.lines[pos[:10]])
            more = f" and {n - 10:,} more" if n > 10 else ""
            self.warnings.append(
                Problem(
                    f"{n:,} row(s) dropped as {check!r}: {message} (rows {rows}{more})",
                    file=self.file,
                    column=column,
                    fix=fix,
                )
            )
            return n
        if level == "error":
            self.error_positions.append(pos)
        target = self.errors if level == "error" else self.warnings
        found_list = None
        if found is not None:
            fs = pd.Series(found)
            found_list = list(fs.to_numpy()[pos[:MAX_ROWS_LISTED]]) if len(fs) == len(m) else list(fs)
        for k, p in enumerate(pos[:MAX_ROWS_LISTED]):
            target.append(
                Problem(
                    message,
                    file=self.file,
                    row=int(self.lines[p]),
                    column=column,
                    expected=expected,
                    found=None if found_list is None else repr(_plain(found_list[k] if k < len(found_list) else None)),
                    fix=fix,
                )
            )
        if n > MAX_ROWS_LISTED:
            target.append(
                Problem(
                    f"{message}: {n - MAX_ROWS_LISTED:,} more row(s) like the ones above "
                    f"({n:,} in all; last at row {int(self.lines[pos[-1]])})",
                    file=self.file,
                    column=column,
                    fix=fix,
                )
            )
        return n

    def error(self, problem: Problem) -> None:
        self.errors.append(problem)

    def mark_error(self, mask: np.ndarray) -> None:
        """Count the rows in ``mask`` as invalid (for a problem recorded with :meth:`error`)."""
        self.error_positions.append(np.flatnonzero(np.asarray(mask, dtype=bool)))

    def warn(self, problem: Problem) -> None:
        self.warnings.append(problem)

    def dropped_mask(self, n: int) -> np.ndarray:
        out = np.zeros(n, dtype=bool)
        for pos in self.drops.values():
            out[pos] = True
        return out

    def dropped_counts(self) -> dict[str, int]:
        """Rows dropped per reason; a row dropped for two reasons counts under the first."""
        seen: set[int] = set()
        counts: dict[str, int] = {}
        for reason, pos in self.drops.items():
            fresh = [int(p) for p in pos if int(p) not in seen]
            seen.update(fresh)
            if fresh:
                counts[reason] = len(fresh)
        return counts
