"""``tables.xlsx``: every report table for Excel, numbers as numbers, text that can never run.

One sheet per table (sections in report order), a bold, frozen header row with an
autofilter, and each number stored as a number with the Excel format of its kind
(:data:`NUMBER_FORMATS`), so it reads in Excel as it does in the report: money with
the currency code and thousands separators, rates as percentages with the same
size-based precision as :func:`kpikit.core.fmt.fmt`, counts as whole numbers.

Campaign names are untrusted. openpyxl stores any string that starts with ``=``
as a formula; here every text cell is written as a string (``data_type "s"``),
and text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(what Excel, LibreOffice and Sheets would evaluate when typed) also gets Excel's
quote prefix, the stored form of a leading apostrophe: shown as typed, never
evaluated, even after the cell is edited. Control characters Excel rejects are
dropped.

Written with openpyxl (already a dependency, for reading): the tables are small,
and it has number formats, freeze panes and the quote prefix, all that is needed.

Examples
--------
>>> import tempfile, pandas as pd
>>> from pathlib import Path
>>> from openpyxl import load_workbook
>>> frame = pd.DataFrame({"campaign": ['=HYPERLINK("http://x","y")', "Brand"], "cost": [1234.5, 10.0],
...                       "ctr": [0.0123, 0.25]})
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = write_xlsx(Path(tmp) / "t.xlsx", [Sheet("Costs", frame, {"campaign": "campaign", "cost": "spend",
...                                                    "ctr": "CTR"}, {"campaign": "text", "cost": "money", "ctr": "rate"})],
...                       currency="EUR")
...     ws = load_workbook(path)["Costs"]
...     [c.value for c in ws[1]], ws["A2"].data_type, ws["A2"].quotePrefix, ws["B2"].value, ws["B2"].number_format
(['campaign', 'spend', 'CTR'], 's', True, 1234.5, '"EUR "#,##0.00;-"EUR "#,##0.00')
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpikit.core.fmt import fmt, is_missing
from kpikit.report._io import atomic_write_bytes

__all__ = ["Sheet", "write_xlsx", "NUMBER_FORMATS", "FORMULA_STARTS", "sheet_name", "neutral_text"]

#: What makes a spreadsheet evaluate text typed into a cell.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters an .xlsx cannot hold (openpyxl raises IllegalCharacterError on them).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_MAX_WIDTH = 50


def _quoted(currency: str) -> str:
    return currency.replace('"', "")


def _rate_format(value: float, currency: str) -> str:
    # The report's precision for this very value: as many decimals as fmt prints.
    text = fmt(value, "rate")
    decimals = len(text.rstrip("%").partition(".")[2])
    return "0." + "0" * decimals + "%" if decimals else "0%"


def _money_format(value: float, currency: str) -> str:
    code = f'"{_quoted(currency)} "' if currency else ""
    return f"{code}#,##0.00;-{code}#,##0.00"


#: Excel number format per :func:`kpikit.core.fmt.fmt` kind: ``(value, currency) -> format``.
NUMBER_FORMATS: dict[str, Callable[[float, str], str]] = {
    "count": lambda v, c: "#,##0",
    "money": _money_format,
    "rate": _rate_format,
    "ratio": lambda v, c: '#,##0.0"×"',
    "number": lambda v, c: "#,##0.0",
    "days": lambda v, c: '#,##0" days"',
    "coefficient": lambda v, c: "+0.00;-0.00;0.00",
}


@dataclass(frozen=True)
class Sheet:
    """One table: a sheet ``title``, the ``frame`` (original column names), header words and each column's kind.

    Columns of a kind in :data:`NUMBER_FORMATS` hold numbers; any other kind is written as text
    (dates as dates).
    """

    title: str
    frame: pd.DataFrame
    headers: Mapping[str, str]
    kinds: Mapping[str, str]


def sheet_name(title: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name: at most 31 characters, none of ``[]:*?/\\``, not quoted.

    >>> sheet_name("Funnel / stages", set()), sheet_name("Funnel", {"funnel"}), len(sheet_name("x" * 40, set()))
    ('Funnel - stages', 'Funnel (2)', 31)
    """
    base = _SHEET_BAD.sub("-", _ILLEGAL.sub("", str(title))).strip().strip("'") or "Sheet"
    name, n = base[:31], 1
    while name.lower() in taken:
        n += 1
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
    taken.add(name.lower())
    return name


def neutral_text(value: Any) -> tuple[str, bool]:
    """``(text, needs quote prefix)``: text Excel can hold, flagged when it would start a formula.

    >>> neutral_text("=1+1"), neutral_text("Brand"), neutral_text("a\\x00b")
    (('=1+1', True), ('Brand', False), ('ab', False))
    """
    text = _ILLEGAL.sub("", str(value))
    return text, text.startswith(FORMULA_STARTS)


def _plain(value: Any) -> Any:
    """A value as Excel stores it: numbers as float/int, dates as datetime, missing as empty."""
    if is_missing(value):
        return None
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        f = float(value)
        return f if math.isfinite(f) else None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().replace(tzinfo=None)
    if isinstance(value, _dt.datetime):
        return value.replace(tzinfo=None)
    return value


def _write_sheet(ws: Any, sheet: Sheet, currency: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    cols = [str(c) for c in sheet.frame.columns]
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="F3F5F8")
    widths = []
    for j, c in enumerate(cols, start=1):
        text, quote = neutral_text(sheet.headers.get(c, c))
        cell = ws.cell(row=1, column=j)
        cell.value = text
        cell.data_type = "s"
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
        cell.quotePrefix = quote
        widths.append(min(max(len(text) * 0.9, 8), 24))
    for i, row in enumerate(sheet.frame.itertuples(index=False, name=None), start=2):
        for j, (c, raw) in enumerate(zip(cols, row, strict=True), start=1):
            value = _plain(raw)
            if value is None:
                continue
            cell = ws.cell(row=i, column=j)
            kind = sheet.kinds.get(c, "text")
            if isinstance(value, int | float) and not isinstance(value, bool) and kind in NUMBER_FORMATS:
                cell.value = value
                cell.number_format = NUMBER_FORMATS[kind](float(value), currency)
                shown = len(fmt(value, kind, currency))
            elif isinstance(value, _dt.datetime | _dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
                shown = 10
            else:
                # Untrusted text: always a string cell, quote-prefixed when it would start a formula.
                text, quote = neutral_text(value)
                cell.value = text
                cell.data_type = "s"
                cell.quotePrefix = quote
                shown = len(text)
            widths[j - 1] = min(max(widths[j - 1], shown + 2), _MAX_WIDTH)
    for j, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = width
    ws.freeze_panes = "B2" if len(cols) > 1 else "A2"  # header row and the key column stay in view
    if cols:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{max(len(sheet.frame) + 1, 1)}"


def write_xlsx(path: str | os.PathLike, sheets: Sequence[Sheet], *, currency: str = "") -> Path:
    """Write ``sheets`` to ``path`` atomically (a temp file in the same folder, then a rename); return the path.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file to write.
    sheets : sequence of Sheet
        One sheet each, in order; titles are made valid and unique (:func:`sheet_name`).
    currency : str
        ISO code in every money format (``"EUR "#,##0.00``).
    """
    from openpyxl import Workbook  # deferred: the report workbook imports this module only with --xlsx

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for sheet in sheets:
        _write_sheet(book.create_sheet(sheet_name(sheet.title, taken)), sheet, currency)
    if not book.worksheets:
        book.create_sheet("No tables")
    buffer = io.BytesIO()
    book.save(buffer)
    return atomic_write_bytes(Path(path), buffer.getvalue())
