"""Date order: how to read dates that read both ways (``03/04/2024``), per file and per client.

An export is written in one locale, so its date columns share one order. For a
column whose every date reads both ways, the order comes from, first to last:

=====================  ======================================================================
``date_order_from``    where the order comes from
=====================  ======================================================================
``values``             another date column of the same file reads one way only (``25/03/2024``)
``declared``           ``read.dayfirst`` of the file's format or column map, else
                       ``dates: {order: day_first|month_first}`` in client.yaml
``other exports``      (:func:`~kpikit.ingest.client.load_client`) the client's other exports,
                       when every one whose values show an order shows the same
=====================  ======================================================================

Otherwise the file does not load: one problem for the file (not one per target a
column feeds: a Salesforce lead's ``Created Date`` is its created and its lead
date) naming its ambiguous columns and the fixes. Each
:class:`~kpikit.ingest.report.FileReport` keeps the order (``date_order``:
``day_first``, ``month_first``, ``ambiguous``, or None for a file without such
dates) and where it came from, with a note whenever the values alone did not say.

Examples
--------
>>> import pandas as pd
>>> from kpikit.ingest.formats import ReadOptions
>>> from kpikit.ingest.validate import Validator
>>> import numpy as np
>>> dates = FileDates("leads.csv", ReadOptions())
>>> dates.parse("created_date", "Created", pd.Series(["03/04/2024", "05/06/2024"])) is None  # waits
True
>>> _ = dates.parse("close_date", "Closed", pd.Series(["25/04/2024", "05/06/2024"]))
>>> [(t, str(c.values[0].date())) for t, c, _ in dates.settle(Validator("leads.csv", np.arange(2)))]
[('created_date', '2024-04-03')]
>>> dates.order, dates.basis
('day_first', 'values')
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.errors import Problem
from kpikit.ingest.formats import Format, ReadOptions
from kpikit.ingest.validate import _DAY_FIRST, _MONTH_FIRST, Validator, parse_dates
from kpikit.privacy import quote_cell

__all__ = ["AMBIGUOUS", "DeclaredOrder", "FileDates", "declared_order", "order_of", "with_evidence"]

#: The date formats of each order (ISO dates and month names have none: they read one way).
ORDERS: dict[str, frozenset[str]] = {"day_first": frozenset(_DAY_FIRST), "month_first": frozenset(_MONTH_FIRST)}
_SAID = {"day_first": "day-first", "month_first": "month-first"}
#: The message of the problem of a file whose dates cannot be read in a known order.
AMBIGUOUS = "ambiguous dates: every value reads both month-first and day-first"


def order_of(date_format: str | None) -> str | None:
    """The order of a date format: ``"day_first"``, ``"month_first"`` or None (ISO, month names).

    Examples
    --------
    >>> order_of("%d/%m/%Y"), order_of("%m/%d/%Y %H:%M"), order_of("%Y-%m-%d")
    ('day_first', 'month_first', None)
    """
    return next((order for order, formats in ORDERS.items() if date_format in formats), None)


@dataclass(frozen=True)
class DeclaredOrder:
    """An order given for a file's ambiguous dates, and who gave it (said in the load report's note)."""

    order: str  # "day_first" | "month_first"
    by: str
    basis: str = "declared"


def declared_order(
    fmt: Format, config: ClientConfig | None, given: DeclaredOrder | None = None
) -> DeclaredOrder | None:
    """The order declared for a file: its format's ``read.dayfirst``, else client.yaml's ``dates.order``, else ``given``."""
    if fmt.read.dayfirst is not None:
        where = f"the column map {fmt.origin}" if fmt.origin != "built-in" else f"the {fmt.name} format"
        return DeclaredOrder("day_first" if fmt.read.dayfirst else "month_first", f"read.dayfirst of {where}")
    if config is not None and config.dates.order is not None:
        name = config.source.name if config.source is not None else "client.yaml"
        return DeclaredOrder(config.dates.order, f"`dates: {{order: {config.dates.order}}}` in {name}")
    return given


@dataclass
class _Column:
    """One date column as parsed: ``ambiguous`` holds [month-first, day-first] formats when it reads both ways."""

    label: str
    text: pd.Series
    values: pd.Series
    bad: pd.Series
    used: str | None
    ambiguous: list[str]


class FileDates:
    """The date columns of one file: each parsed once, the ambiguous ones read in the file's order.

    Parameters
    ----------
    file
        The file, for the problem.
    read
        Its read options (``date_format``, ``na_values``).
    declared
        The order declared for the file (:func:`declared_order`), if any.
    """

    def __init__(self, file: str, read: ReadOptions, declared: DeclaredOrder | None = None) -> None:
        self.file, self.read, self.declared = file, read, declared
        self.columns: dict[str, _Column] = {}
        self.pending: list[tuple[str, str]] = []  # (target, label) waiting for the file's order
        self.order: str | None = None
        self.basis: str | None = None
        self.note: str | None = None

    def parse(self, target: str, label: str, text: pd.Series) -> tuple[_Column, bool] | None:
        """The column ``label`` parsed, and whether ``target`` is the first it feeds; None while its order is open."""
        col = self.columns.get(label)
        first = col is None
        if col is None:
            values, bad, used, ambiguous = parse_dates(
                text, date_format=self.read.date_format, na_values=self.read.na_values
            )
            col = self.columns[label] = _Column(label, text, values, bad, used, ambiguous)
        if col.ambiguous:
            self.pending.append((target, label))
            return None
        return col, first

    def settle(self, v: Validator) -> list[tuple[str, _Column, bool]]:
        """Read the columns that waited in the file's order, or record the file's one ambiguity problem.

        Returns ``(target, column, first)`` for each waiting target. Sets :attr:`order`,
        :attr:`basis` and :attr:`note`.
        """
        if self.read.date_format is not None:  # the format says (LinkedIn is always M/D/YYYY): nothing waits
            self.order = order_of(self.read.date_format)
            self.basis = "declared" if self.order else None
            return []
        clear = [c for c in self.columns.values() if not c.ambiguous and order_of(c.used)]
        shown = {order_of(c.used) for c in clear}
        if not self.pending:
            if len(shown) == 1:
                self.order, self.basis = shown.pop(), "values"
            return []
        labels = list(dict.fromkeys(label for _, label in self.pending))
        quoted = " and ".join(repr(label) for label in labels)
        if len(shown) == 1:
            self.order, self.basis = shown.pop(), "values"
            like = ", ".join(repr(c.label) for c in clear)
            self.note = f"every date in {quoted} reads both ways: read {_SAID[self.order]}, as {like} of the same file"
        elif self.declared is not None:
            self.order, self.basis = self.declared.order, self.declared.basis
            self.note = f"every date in {quoted} reads both ways: read {_SAID[self.order]}, as {self.declared.by} says"
        else:
            self.order = "ambiguous"
            first = self.columns[labels[0]]
            also = f" (also in {', '.join(repr(label) for label in labels[1:])})" if len(labels) > 1 else ""
            v.error(
                Problem(
                    AMBIGUOUS + also,
                    file=self.file,
                    column=labels[0],
                    expected="dates in one known order",
                    found="values such as " + ", ".join(quote_cell(x, "date") for x in first.text.dropna().head(3)),
                    fix="add `dates: {order: day_first}` (03/04/2024 is 3 April) or `dates: {order: month_first}` "
                    f"(March 4) to client.yaml, or set read.date_format in a column map: {first.ambiguous[0]!r} (US) "
                    f"or {first.ambiguous[1]!r} (Europe)",
                )
            )
            v.mark_error(np.ones(len(first.text), dtype=bool))
            return self._stored()
        for label in labels:
            col = self.columns[label]
            fmt = col.ambiguous[1] if self.order == "day_first" else col.ambiguous[0]
            values, bad, used, _ = parse_dates(col.text, date_format=fmt, na_values=self.read.na_values)
            self.columns[label] = replace(col, values=values, bad=bad, used=used, ambiguous=[])
        return self._stored()

    def _stored(self) -> list[tuple[str, _Column, bool]]:
        seen: set[str] = set()
        out = []
        for target, label in self.pending:
            out.append((target, self.columns[label], label not in seen))
            seen.add(label)
        return out


def with_evidence(problem: Problem, evidence: dict[str, list[str]]) -> Problem:
    """The ambiguity problem of a file, saying which of the client's other exports show which order."""
    if not problem.message.startswith(AMBIGUOUS) or not evidence:
        return problem
    shown = "; ".join(f"{_SAID[order]}: {', '.join(files)}" for order, files in sorted(evidence.items()))
    return replace(problem, found=f"{problem.found}, and the client's other exports disagree ({shown})")
