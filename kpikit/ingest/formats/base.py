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

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any

import pandas as pd

__all__ = [
    "Footer",
    "Format",
    "Locale",
    "ReadOptions",
    "FORMATS",
    "DAY_FIRST",
    "COMMA_DECIMAL",
    "FRENCH_NUMBERS",
    "localise",
    "register_format",
    "norm_header",
]


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


@dataclass(frozen=True)
class Locale:
    """One UI language a platform also exports in: its header names and number conventions.

    Declared as data beside the format (``formats/meta.py``); detection tries the format
    in each of its locales (:func:`localise`) after English.

    Parameters
    ----------
    code, language
        ``"de"``, ``"German"``: for notes and messages.
    headers
        English header of the format -> the header(s) this UI writes instead. A ``re:``
        candidate is translated by replacing the English words it contains
        (``Amount spent \\((?P<currency>...)\\)`` -> ``Ausgegebener Betrag \\(...\\)``).
    numbers
        The ``(decimal, thousands)`` conventions exports in this language use, most usual first:
        the file's own values decide between them (es-ES writes ``1.234,56``, es-MX ``1,234.56``);
        see :func:`kpikit.ingest.validate.choose_numbers`.
    read
        Other :class:`ReadOptions` fields the locale changes (``dayfirst``, ``date_format``).
    footer
        The localised total rows (:class:`Footer`, or a first-cell prefix such as ``Gesamt:``).
    """

    code: str
    language: str
    headers: Mapping[str, tuple[str, ...]]
    numbers: tuple[tuple[str, str | None], ...] = ((",", "."),)
    read: Mapping[str, Any] = field(default_factory=dict)
    footer: tuple[Footer | str, ...] = ()


# Conventions the platforms' non-English UIs share, named once for every format's locales.
#: Dates day first, in whatever separators the UI writes (``31.01.2026``, ``31/01/2026``).
DAY_FIRST: Mapping[str, Any] = MappingProxyType({"date_format": None, "dayfirst": True})
#: ``(decimal, thousands)``: ``1.234,56`` first, then ``1,234.56`` (es-MX, or a UI set to English numbers).
COMMA_DECIMAL: tuple[tuple[str, str | None], ...] = ((",", "."), (".", ","))
#: French: a space groups thousands (``1 234,56``), else a point, else the English convention.
FRENCH_NUMBERS: tuple[tuple[str, str | None], ...] = ((",", " "), *COMMA_DECIMAL)


@dataclass(frozen=True)
class Footer:
    r"""A total or footer row of an export, recognised by its shape, never by its position.

    A row is this footer when its first text cell (trimmed) fully matches ``label``,
    case-insensitively, and every other dimension cell it feeds (date, campaign, ad group,
    account, ...; not the currency) is blank or ``--``. A row directly below a footer
    whose dimension cells are all blank (Salesforce's totals line under "Grand Totals")
    belongs to it. Rows below a footer are judged one by one like any other row.

    Parameters
    ----------
    label
        Regular expression for the first text cell: ``r"Total: Account"``. A named
        group ``records`` holds the number of records the export says it has
        (``r"Grand Totals \((?P<records>[\d,]+) records\)"``): its data rows must
        number as many (check ``platform_totals``).
    totals
        The row's cost, impressions and clicks total every data row of its export:
        they are checked against the loaded rows (check ``platform_totals``).

    Examples
    --------
    >>> f = Footer(r"Grand Totals \((?P<records>[\d,]+) records?\)")
    >>> f.match(" grand totals (1,204 records)").group("records"), f.match("Grand Totals Ltd")
    ('1,204', None)
    >>> as_footer("Gesamt:").match("Gesamt: Konto") is not None  # a plain prefix (Locale.footer)
    True
    """

    label: str
    totals: bool = False

    def match(self, text: str) -> re.Match[str] | None:
        return _compiled(self.label).fullmatch(text.strip())


@functools.lru_cache(maxsize=256)
def _compiled(label: str) -> re.Pattern[str]:
    return re.compile(label, re.IGNORECASE)


def as_footer(entry: Footer | str) -> Footer:
    """A footer rule; a plain string is a first-cell prefix (``"Gesamt:"``), its rows not checked."""
    return entry if isinstance(entry, Footer) else Footer(re.escape(entry) + ".*")


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
        The export's total / footer rows (:class:`Footer`; a plain string is a first-cell
        prefix), dropped and counted as ``footer``; those with totals are checked against
        the data rows. ``None`` (a column map that declares none): the rules of the platform
        the map names in ``constants.platform``, else of the built-in format whose headers
        the file has.
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
    locales
        Other UI languages the platform exports in (:class:`Locale`); detection also tries them.
    locale
        The UI language this format reads, when it is a localised copy made by :func:`localise`
        (``None``: English, or a column map).
    """

    name: str
    table: str
    detect: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    constants: Mapping[str, Any] = field(default_factory=dict)
    read: ReadOptions = ReadOptions()
    footer: tuple[Footer | str, ...] | None = ()
    labels: Mapping[str, Callable[[str], str]] = field(default_factory=dict)
    prepare: Prepare | None = None
    checks: Mapping[str, str] = field(default_factory=dict)
    preamble: Callable[[list[str]], dict[str, Any]] | None = None
    description: str = ""
    origin: str = "built-in"
    locales: tuple[Locale, ...] = ()
    locale: Locale | None = None

    def find_header(self, rows: list[list[str]]) -> int | None:
        """Index of the first row holding every ``detect`` header, or None."""
        plain = {norm_header(d) for d in self.detect if not d.startswith("re:")}
        patterns = [re.compile(d[3:], re.IGNORECASE) for d in self.detect if d.startswith("re:")]
        for i, row in enumerate(rows):
            cells = {norm_header(c) for c in row}
            if plain <= cells and all(any(p.fullmatch(c.strip()) for c in row) for p in patterns):
                return i
        return None


def localise(fmt: Format, locale: Locale) -> Format:
    """``fmt`` as the platform writes it in ``locale``'s UI language.

    Same name, table and rules; detect headers and column candidates in that language
    (English candidates stay as fallbacks), the locale's first number convention and read
    options, and its total rows added to the footers.

    Examples
    --------
    >>> fmt = Format("x", "spend", ("Campaign", "Cost"), {"campaign": ("Campaign",), "cost": ("Cost",)})
    >>> de = localise(fmt, Locale("de", "German", {"Campaign": ("Kampagne",), "Cost": ("Kosten",)}))
    >>> de.detect, de.columns["cost"], de.read.decimal, de.locale.language
    (('Kampagne', 'Kosten'), ('Kosten', 'Cost'), ',', 'German')
    """
    decimal, thousands = locale.numbers[0]

    def words(pattern: str, english: bool) -> str:
        for en, local in locale.headers.items():
            if en in pattern:
                alts = "|".join(re.escape(h) for h in (*local, en) if english or h != en)
                pattern = pattern.replace(en, f"(?:{alts})")
        return pattern

    def detect_header(d: str) -> str:
        if d.startswith("re:"):
            return "re:" + words(d[3:], english=False)
        local = locale.headers.get(d)
        if not local:
            return d
        return local[0] if len(local) == 1 else "re:" + "|".join(re.escape(h) for h in local)

    def candidates(cands: tuple[str, ...]) -> tuple[str, ...]:
        out: list[str] = []
        for c in cands:
            out += ["re:" + words(c[3:], english=True)] if c.startswith("re:") else [*locale.headers.get(c, ()), c]
        return tuple(dict.fromkeys(out))

    return replace(
        fmt,
        detect=tuple(detect_header(d) for d in fmt.detect),
        columns={t: candidates(c) for t, c in fmt.columns.items()},
        read=replace(fmt.read, decimal=decimal, thousands=thousands, **dict(locale.read)),
        footer=fmt.footer if fmt.footer is None else tuple(dict.fromkeys((*fmt.footer, *locale.footer))),
        description=f"{fmt.description} ({locale.language} UI)",
        locales=(),
        locale=locale,
    )


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
