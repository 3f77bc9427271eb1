"""What an export format is, and the registry that detects one from content.

A :class:`Format` says which table a file feeds, which headers identify it,
which source header (or headers) fill each normalised column, what to read
around the data (preamble above, footer rows below) and how to clean values.
Built-in formats (Google Ads, LinkedIn, Meta, HubSpot, Salesforce) and YAML
column maps are the same kind of object, so one pipeline loads them all.

Examples
--------
>>> from kpikit.ingest.formats import FORMATS, detect_format
>>> sorted(FORMATS)[:3]
['google_ads', 'hubspot_contacts', 'hubspot_deals']
>>> FORMATS["google_ads"].table
'spend'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["Format", "ReadOptions", "FORMATS", "register_format", "norm_header"]


def norm_header(text: str) -> str:
    """Header comparison key: case-, space- and BOM-insensitive."""
    return " ".join(str(text).replace("\ufeff", "").strip().lower().split())


@dataclass(frozen=True)
class ReadOptions:
    """How to read the cells of a file. ``None`` means: sniff it."""

    encoding: str | None = None
    sep: str | None = None
    decimal: str = "."
    thousands: str | None = None
    date_format: str | None = None
    dayfirst: bool | None = None
    skip_rows: int | None = None
    sheet: str | None = None
    na_values: tuple[str, ...] = ()


# Callback run on the converted frame (target columns, model dtypes) before
# checks: normalise stage labels, derive flags. Receives the frame and a dict
# of context (``file``, ``config``, ``preamble``), returns the new frame.
Prepare = Callable[[pd.DataFrame, Mapping[str, Any]], pd.DataFrame]


@dataclass(frozen=True)
class Format:
    """One export format.

    Parameters
    ----------
    name
        Source name shown in load reports (``google_ads``, a column map's ``name``).
    table
        Model table the rows go to: spend, contacts, deals, touchpoints, target_accounts.
    detect
        Headers that must all be present (case-insensitive) for the format to claim a file.
        Entries starting with ``re:`` are regular expressions a header must fully match.
    columns
        Target column -> candidate source headers, first present wins. A candidate
        ``re:<regex>`` matches a header by regex; a named group ``currency`` in it
        becomes the rows' currency (Meta's "Amount spent (USD)"). A string holding
        ``{header}`` placeholders joins several source cells (``"{month} {day} 2020"``).
        ``"{a}+{b}"`` sums numeric cells. Targets ``email`` and ``contact_id``
        are hashed into ``contact_key``; targets starting with ``_`` are helper
        text columns for ``prepare`` and never reach the model.
    constants
        Target columns the file lacks, one value for every row.
    read
        :class:`ReadOptions`.
    footer
        First-cell prefixes that mark totals / footer rows (dropped and counted as ``footer``).
    labels
        Target -> function mapping a trimmed source label to the model's value
        (``"Marketing Qualified Lead"`` -> ``"mql"``). It is called once per distinct
        label, and on a big file runs beside the email hashing.
    prepare
        Optional format-specific clean-up of the converted frame.
    checks
        Check name -> ``error`` | ``warn`` | ``off`` overrides (see :mod:`kpikit.ingest.validate`).
    preamble
        Optional reader of the lines above the header, returning constants
        (e.g. the report's start date when rows carry no date).
    description
        One line for ``kpikit validate`` and error messages.
    """

    name: str
    table: str
    detect: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    constants: Mapping[str, Any] = field(default_factory=dict)
    read: ReadOptions = ReadOptions()
    footer: tuple[str, ...] = ()
    labels: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    prepare: Prepare | None = None
    checks: Mapping[str, str] = field(default_factory=dict)
    preamble: Callable[[list[str]], dict[str, Any]] | None = None
    description: str = ""
    origin: str = "built-in"

    def find_header(self, rows: list[list[str]]) -> int | None:
        """Index of the first row holding every ``detect`` header, or None."""
        plain = {norm_header(d) for d in self.detect if not d.startswith("re:")}
        patterns = [re.compile(d[3:], re.IGNORECASE) for d in self.detect if d.startswith("re:")]
        for i, row in enumerate(rows):
            cells = {norm_header(c) for c in row}
            if plain <= cells and all(any(p.fullmatch(c.strip()) for c in row) for p in patterns):
                return i
        return None


FORMATS: dict[str, Format] = {}


def register_format(fmt: Format, *, replace: bool = False) -> Format:
    """Add ``fmt`` to the registry that content detection tries.

    Examples
    --------
    >>> from kpikit.ingest.formats import Format, register_format, FORMATS
    >>> fmt = Format("newsletter_tool", "touchpoints", ("Subscriber", "Opened at"),
    ...              {"email": ("Subscriber",), "timestamp": ("Opened at",)},
    ...              constants={"channel": "email"})
    >>> register_format(fmt).name
    'newsletter_tool'
    >>> del FORMATS["newsletter_tool"]
    """
    if fmt.name in FORMATS and not replace:
        raise ValueError(f"format {fmt.name!r} is already registered; pass replace=True to override it")
    FORMATS[fmt.name] = fmt
    return fmt
