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
``platform_totals``        error    the export's own totals (``Total: Account``, ``Grand Totals
                                    (N records)``) differ from its data rows: rows missing or extra
``total_row``              error    a row shaped like a total that is none of the format's footers
                                    (kept as data only when the export's own totals prove it)
``ambiguous_number``       error    a number that reads differently under the two number
                                    conventions (``120.000`` in a count, ``1.250`` money in a
                                    file that never shows its decimal point) and the file does
                                    not tell which: never guessed (:func:`choose_numbers`)
``not_finite``             error    ``Infinity``, ``-inf``, ``NaN`` in a numeric column
``too_large``              error    a number of 10^15 or more (23-digit integers, ``1e308``):
                                    no real count or amount, and past float64's exact digits
``scientific_notation``    error    ``1.2E+06`` in a numeric column: Excel rewrote (and
                                    rounded) the number
``excel_id``               error    ``1.8E+10`` in an id column: Excel turned ids into numbers,
                                    so different ids now look the same
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

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from kpikit.errors import Problem
from kpikit.privacy import quote_cell

__all__ = [
    "Validator",
    "NumberChoice",
    "choose_numbers",
    "number_hazards",
    "excel_ids",
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
    "platform_totals": "error",  # checks.check_totals
    "total_row": "error",
    "ambiguous_number": "error",
    "not_finite": "error",
    "too_large": "error",
    "scientific_notation": "error",
    "excel_id": "error",
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
        # a space thousands separator is any of the spaces French exports write (1 234,56 / U+00A0 / U+202F)
        sep = _SPACES if (thousands or ".").isspace() else _re(thousands or ".")
        ok = text.str.fullmatch(r"[+-]?(?:\d{1,3}(?:" + sep + r"\d{3})+|\d+)(?:,\d+)?").fillna(False).astype(bool)
        cleaned = text.where(ok & ~na).str.replace(sep, "", regex=True).str.replace(",", ".", regex=False)
        values = pd.to_numeric(cleaned, errors="coerce")
    values = values.astype("float64")
    bad = values.isna() & ~na
    hint = None
    if bad.any():
        cand = text[bad]
        if decimal == "." and cand.str.fullmatch(_COMMA_ONLY).fillna(False).any():
            hint = "decimal_comma"
        elif (
            decimal == "."
            and not thousands
            and cand.str.fullmatch(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?").fillna(False).any()
        ):
            hint = "thousands"
        elif decimal == "," and cand.str.fullmatch(_POINT_ONLY).fillna(False).any():
            hint = "decimal_point"
    if integer:
        frac = values.notna() & (values != np.floor(values.fillna(0)))
        bad = bad | frac
        values = values.where(~frac)
    return values, bad.astype(bool), hint


def _re(sep: str | None) -> str:
    return re.escape(sep or "")


# Number shapes, for telling a decimal separator from a thousands separator. ``1.250`` and
# ``1,250`` (one group of three digits, no leading 0) read both ways; the others one way only.
_SPACES = "[ \u00a0\u202f]"
_POINT_ONLY = (
    r"[+-]?(?:\d*\.\d{1,2}|\d*\.\d{4,}|0\.\d+|\d{4,}\.\d+|\.\d+"  # 12.5, 0.250, 1250.000
    r"|\d{1,3}(?:,\d{3})+\.\d+|\d{1,3}(?:,\d{3}){2,}"  # 1,234.50, 1,250,000
    r"|\d{1,3}(?:[’']\d{3})+(?:\.\d+)?)"  # 1’234.50 (Switzerland)
)
_COMMA_ONLY = (
    r"[+-]?(?:\d*,\d{1,2}|\d*,\d{4,}|0,\d+|\d{4,},\d+|,\d+"  # 12,5, 0,250
    r"|\d{1,3}(?:\.\d{3})+,\d+|\d{1,3}(?:\.\d{3}){2,}"  # 1.234,50, 1.250.000
    r"|\d{1,3}(?:" + _SPACES + r"\d{3})+(?:,\d+)?)"  # 1 234,50 (France)
)
_DOT3 = r"[+-]?[1-9]\d{0,2}\.\d{3}"  # 1.250: 1250 with a '.' thousands separator, or 1.25
_COMMA3 = r"[+-]?[1-9]\d{0,2},\d{3}"  # 1,250: 1250 with a ',' thousands separator, or 1.25
# The cells worth a second look, found in one regex pass over a column: an exponent (1.2E+06,
# inf) or one group of three digits after the (decimal) separator. Usually none.
_ODD = {
    ".": r"[eE]|^\s*[+-]?[1-9]\d{0,2}\.\d{3}\s*$",
    ",": r"[eE]|^\s*[+-]?[1-9]\d{0,2},\d{3}\s*$",
    None: r"[eE]|^\s*[+-]?[1-9]\d{0,2}[.,]\d{3}\s*$",
}
MAX_ABS = 1e15  # no real count or amount; float64 holds 15 digits exactly


def _fmt_convention(decimal: str, thousands: str | None) -> str:
    """How a convention writes twelve hundred thirty-four and a half: ``1.234,50``."""
    sep = {None: "", " ": " "}.get(thousands, thousands)
    return f"1{sep}234{decimal}50"


@dataclass(frozen=True)
class NumberChoice:
    """The number convention a file is read with, and the cells it cannot decide.

    Attributes
    ----------
    decimal, thousands
        The convention every numeric column is parsed with.
    refuse
        Column label -> the distinct values that read differently under the other
        convention and that nothing in the file decides (flagged as ``ambiguous_number``).
    reason
        Column label -> why those values are refused, and the fix.
    note
        How the convention was decided, when the file's values (not a declaration) decided it.
    odd
        Column label -> its distinct trimmed values with an exponent or one group of three
        digits after a separator (for :func:`number_hazards`).
    """

    decimal: str
    thousands: str | None
    refuse: dict[str, set[str]] = field(default_factory=dict)
    reason: dict[str, tuple[str, str]] = field(default_factory=dict)
    note: str | None = None
    odd: dict[str, pd.Series] = field(default_factory=dict)


def _arrow_text(values):
    from kpikit._arrowtext import as_arrow  # deferred: _arrowtext imports pandas internals at load

    return as_arrow(values)


def _distinct(values, where: str | None = None) -> pd.Series:
    """The distinct trimmed, non-empty values of a column (those matching regex ``where``)."""
    import pyarrow.compute as pc

    arr = _arrow_text(values)
    if where is not None:
        arr = arr.filter(pc.fill_null(pc.match_substring_regex(arr, where), False))
    uniq = pd.Series(pc.unique(arr), dtype="str").str.strip()
    return uniq[uniq.notna() & (uniq != "")].drop_duplicates().reset_index(drop=True)


def _shapes(values: pd.Series) -> dict[str, pd.Series]:
    """Distinct values sorted by shape (see the patterns above)."""
    return {
        name: values[values.str.fullmatch(pattern).fillna(False).astype(bool)]
        for name, pattern in (("point", _POINT_ONLY), ("comma", _COMMA_ONLY), ("dot3", _DOT3), ("comma3", _COMMA3))
    }


def choose_numbers(
    columns: Sequence[tuple[str, pd.Series, bool]],
    options: Sequence[tuple[str, str | None]],
    *,
    language: str | None = None,
) -> NumberChoice:
    """Decide the number convention of a file from all its numeric columns at once.

    Parameters
    ----------
    columns
        ``(label, text cells, is_count)`` per numeric column: counts (impressions, clicks)
        are never fractional, so ``120.000`` in one can only be 120000.
    options
        The conventions ``(decimal, thousands)`` the export may use. One: declared (English
        exports write ``1,234.56``; a column map's ``read:``), the values are only checked.
        Several, most usual first: a localised export (es-ES ``1.234,56``, es-MX
        ``1,234.56``), the values decide.
    language
        The export's UI language, for messages.

    Returns
    -------
    NumberChoice
        Cells that read one way only under the other convention (``12,50`` in an English
        export) are left to :func:`parse_numbers`, which refuses them; cells that read both
        ways and that the file does not decide are in ``refuse``.

    Notes
    -----
    One regex pass per column finds the cells worth a look (usually none); only a file with
    such cells, or a localised one, has its columns' distinct values sorted by shape.

    Examples
    --------
    >>> S = lambda *v: pd.Series(v, dtype="str")
    >>> c = choose_numbers([("Impressions", S("120.000", "45.000"), True), ("Spend", S("1.250"), False)],
    ...                    [(".", ",")])
    >>> c.decimal, sorted(c.refuse["Impressions"]), sorted(c.refuse["Spend"])
    ('.', ['120.000', '45.000'], ['1.250'])
    >>> c = choose_numbers([("Impressionen", S("120.000"), True), ("Betrag", S("1.250"), False)],
    ...                    [(",", "."), (".", ",")], language="German")
    >>> c.decimal, c.thousands, c.refuse
    (',', '.', {})
    >>> choose_numbers([("Cost", S("1.250", "12.50"), False)], [(".", ",")]).refuse  # 12.50 decides
    {}
    """
    first = tuple(options[0])
    # declared: only one group of three digits after its decimal separator needs a decision
    odd_pattern = _ODD[first[0] if len(options) == 1 else None]
    odd = {label: _distinct(values, odd_pattern) for label, values, _ in columns}
    if len(options) == 1 and not any(o.str.contains(r"\d[.,]\d").any() for o in odd.values()):
        return NumberChoice(*first, odd=odd)
    shapes = {label: (_shapes(_distinct(values)), count) for label, values, count in columns}
    point = any(len(sh["point"]) for sh, _ in shapes.values())
    comma = any(len(sh["comma"]) for sh, _ in shapes.values())
    # counts cannot be fractional, so one group of three digits there is a thousands separator
    count_comma = any(len(sh["dot3"]) for sh, count in shapes.values() if count)
    count_point = any(len(sh["comma3"]) for sh, count in shapes.values() if count)
    # money whose every separated value has exactly three digits after it: a thousands separator
    money_comma = any(not count and len(sh["dot3"]) and not len(sh["point"]) for sh, count in shapes.values())
    money_point = any(not count and len(sh["comma3"]) and not len(sh["comma"]) for sh, count in shapes.values())
    note = None
    if len(options) == 1 or (point and comma):
        chosen = first  # declared, or mixed conventions: parse_numbers refuses the cells that disagree
    else:
        with_point = [o for o in options if o[0] == "."]
        with_comma = [o for o in options if o[0] == ","]
        if point or comma:
            side, decided = (with_point if point else with_comma), "its values"
        elif count_comma != count_point:
            side, decided = (with_comma if count_comma else with_point), "its counts"
        elif money_comma != money_point and first[0] == ("," if money_comma else "."):
            side, decided = (with_comma if money_comma else with_point), "its amounts"
        else:
            side, decided = [], None
        chosen = _thousands_seen(side, columns) if side else first
        if decided is not None and chosen != first:
            note = f"numbers read as {_fmt_convention(*chosen)} ({decided} show it)"
    decimal, thousands = chosen
    refuse: dict[str, set[str]] = {}
    reason: dict[str, tuple[str, str]] = {}
    other = "." if decimal == "," else ","
    fix = (
        f"if the export writes numbers as {_fmt_convention(other, decimal)}, load it with a column map that sets "
        f"read: {{decimal: '{other}', thousands: '{decimal}'}}; if it writes {_fmt_convention(decimal, other)}, "
        "export the report again from the platform (do not re-save it in Excel)"
    )
    # the file shows its decimal separator (12.50), or that the other one groups thousands (1,250
    # impressions): then one group of three digits after the decimal separator is decimals
    shown = (point or count_point) if decimal == "." else (comma or count_comma)
    for label, (sh, count) in shapes.items():
        amb = sh["dot3"] if decimal == "." else sh["comma3"]
        if not len(amb) or (count and decimal == ","):
            continue  # 1,250 as a count with a decimal comma is 1.25: parse_numbers refuses it as not whole
        if count:
            why = "a count has no decimals, so this is a thousands separator, not a decimal point"
        elif shown:
            continue
        else:
            why = f"nothing in the file shows whether {decimal!r} is its decimal or its thousands separator"
        refuse[label] = set(amb.tolist())
        where = f" in this {language} export" if language else ""
        reason[label] = (f"number reads two ways{where}: {why}", fix)
    return NumberChoice(decimal, thousands, refuse, reason, note, odd)


def _thousands_seen(options: list[tuple[str, str | None]], columns) -> tuple[str, str | None]:
    """The first option whose thousands separator the values use (French 1 234,56 or 1.234,56)."""
    import pyarrow.compute as pc

    for opt in options:
        sep = opt[1]
        if sep is None:
            continue
        pattern = r"\d" + (_SPACES if sep.isspace() else re.escape(sep)) + r"\d{3}"
        if any(pc.any(pc.match_substring_regex(_arrow_text(values), pattern)).as_py() for _, values, _ in columns):
            return opt
    return options[0]


def number_hazards(
    text: pd.Series, values: pd.Series, bad: pd.Series, odd: pd.Series | None = None
) -> dict[str, np.ndarray]:
    """Cells that parse as numbers no export writes: check name -> mask (see the table above).

    ``NaN`` text does not parse (it is in ``bad``) and is reported here as ``not_finite``;
    the caller blanks every masked value and takes these cells out of ``bad``. ``odd`` are
    the column's distinct values with an exponent (:attr:`NumberChoice.odd`); without it the
    column is searched.

    Examples
    --------
    >>> t = pd.Series(["Infinity", "1e308", "12345678901234567890123", "1.2E+06", "NaN", "7"], dtype="str")
    >>> v, b, _ = parse_numbers(t)
    >>> {k: m.nonzero()[0].tolist() for k, m in number_hazards(t, v, b).items()}
    {'not_finite': [0, 4], 'too_large': [1, 2], 'scientific_notation': [3]}
    """
    arr = values.to_numpy(dtype="float64", na_value=np.nan)
    finite = np.isfinite(arr)
    out = {
        "not_finite": ~finite & ~np.isnan(arr),
        "too_large": finite & (np.abs(np.where(finite, arr, 0.0)) >= MAX_ABS),
    }
    bad_np = np.asarray(bad, dtype=bool)
    if bad_np.any():  # "NaN" / "nan" text: pd.to_numeric turns it into a missing value
        idx = np.flatnonzero(bad_np)
        nan_text = text.iloc[idx].str.strip().str.fullmatch(r"[+-]?nan", case=False).fillna(False)
        out["not_finite"][idx[nan_text.to_numpy(dtype=bool)]] = True
    # an exponent in a number that parsed (1.2E+06); the rare column that has one is searched
    odd = _distinct(text, "[eE]") if odd is None else odd
    exponent = odd[odd.str.contains("[eE]", regex=True).fillna(False).astype(bool)]
    if len(exponent):
        has_e = text.str.strip().isin(exponent).fillna(False).to_numpy(dtype=bool)
        out["scientific_notation"] = has_e & finite & ~out["too_large"]
    return {k: m for k, m in out.items() if m.any()}


_EXCEL_ID = r"[+-]?\d(?:[.,]\d+)?E\+?\d+"


def excel_ids(values) -> np.ndarray | None:
    """Cells Excel turned into numbers (``1.8E+10``) in an id column, or None when there are none.

    Checked on the distinct values, so a million-row column costs one hash pass.

    Examples
    --------
    >>> excel_ids(pd.Series(["0061x001", "1.8E+10", "1.80E+10", None], dtype="str")).tolist()
    [False, True, True, False]
    """
    import pyarrow.compute as pc

    arr = _arrow_text(values)
    uniq = pc.unique(arr)
    hit = pc.match_substring_regex(uniq, "^" + _EXCEL_ID + "$", ignore_case=True)
    mangled = uniq.filter(pc.fill_null(hit, False))
    if not len(mangled):
        return None
    mask = pc.is_in(arr, value_set=mangled)
    return np.asarray(pc.fill_null(mask, False).to_numpy(zero_copy_only=False), dtype=bool)


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
    notes: list[str] = field(default_factory=list)  # how the file was read (for the load report)
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
        found_kind: str = "typed",
    ) -> int:
        """Record rows where ``mask`` is true under ``check``; return how many.

        ``found`` cells are quoted with :func:`kpikit.privacy.quote_cell` (``found_kind``: pass
        ``"text"`` for a column that may hold personal data: its cells are then described, not quoted).
        """
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
        plain = None if found_list is None else [_plain(x) for x in found_list]
        for k, p in enumerate(pos[:MAX_ROWS_LISTED]):
            target.append(
                Problem(
                    message,
                    file=self.file,
                    row=int(self.lines[p]),
                    column=column,
                    expected=expected,
                    found=None if plain is None else quote_cell(plain[k] if k < len(plain) else None, found_kind),
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
