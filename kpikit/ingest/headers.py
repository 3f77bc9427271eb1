"""Stage 1 of a load: which format a file is, and which of its columns feeds each model target.

:func:`select_format` picks the format (a column map when one is given, else
detection among the built-in formats and the column maps). :func:`resolve_columns`
then matches the format's candidate headers to the file's header and guarantees:

- every target it finds has one :class:`_Source` (a column, or a template such as
  ``"{Month} {Day} 2020"`` over several columns);
- ``constants`` holds the values that need no column: read from the lines above
  the header, from a header ("Amount spent (USD)") or given by the format, in
  that order of precedence (last wins);
- every required target with neither a source nor a constant is in ``missing``,
  with one :class:`~kpikit.errors.Problem` naming the closest header. A file with
  a missing target is still read (so every problem is reported) but never loads.

Nothing here reads below the header.
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kpikit.config import ClientConfig
from kpikit.errors import Problem
from kpikit.ingest.column_map import SPECIAL_TARGETS, TEMPLATE_MAPS, discover_maps, load_column_map
from kpikit.ingest.detect import Detected, detect_format, for_map
from kpikit.ingest.formats import FORMATS, Format, norm_header
from kpikit.model import TABLES
from kpikit.privacy import quote_header

__all__ = ["Columns", "resolve_columns", "select_format"]

_TEMPLATE = re.compile(r"\{([^{}]+)\}")


def select_format(
    path: Path, map: str | os.PathLike | Format | None, config: ClientConfig | None, formats: list[Format] | None
) -> Detected:
    """The format of ``path``: the column ``map`` when given, else detected among ``formats``.

    ``formats`` defaults to the column maps (the client's ``column_maps/`` folder, then
    the templates) followed by the built-in formats.
    """
    if map is not None:
        fmt = map if isinstance(map, Format) else load_column_map(map)
        det = for_map(path, fmt)
    else:
        if formats is None:
            extra = discover_maps(None if config is None else config.base_dir / "column_maps", TEMPLATE_MAPS)
            formats = extra + list(FORMATS.values())
        det = detect_format(path, formats)
    if det.format.footer is None:
        det = replace(det, format=replace(det.format, footer=_resembled_footer(det)))
    return det


def _resembled_footer(det: Detected) -> tuple:
    """The total rows of the built-in format whose headers the file has, for a map that names none.

    A Google Ads report read through a column map still ends with Google's ``Total: ...`` rows.
    """
    header = det.raw.head_rows(det.sep)[det.header_index]
    for fmt in FORMATS.values():
        if fmt.footer and fmt.detect and fmt.table == det.format.table and fmt.find_header([header]) is not None:
            return tuple(fmt.footer)
    return ()


@dataclass(frozen=True)
class _Source:
    target: str
    positions: tuple[int, ...]
    template: str | None = None  # "{month} {day} 2020" with names replaced by positions
    header: str = ""


@dataclass(frozen=True)
class Columns:
    """What feeds each target of one file.

    Attributes
    ----------
    sources
        Target -> the column(s) it is read from.
    constants
        Target -> a value for every row (preamble, header and format constants).
    missing
        Required targets with neither a source nor a constant: the file cannot load.
    problems
        One problem per missing target.
    """

    sources: dict[str, _Source]
    constants: dict[str, Any]
    missing: list[str]
    problems: list[Problem]


def resolve_columns(det: Detected, header_line: int) -> Columns:
    """Match the detected format's columns and constants to the file's header.

    Parameters
    ----------
    det
        The detected format and file.
    header_line
        1-based line of the header, for messages.

    Returns
    -------
    Columns
        The sources and constants per target, and the required targets missing.
    """
    fmt, raw = det.format, det.raw
    header = raw.head_rows(det.sep)[det.header_index]
    sources, header_constants = _resolve(fmt, header)
    preamble = fmt.preamble(raw.lines[: det.header_index]) if fmt.preamble else {}
    constants: dict[str, Any] = {**preamble, **header_constants, **fmt.constants}
    if fmt.table == "spend":
        constants.setdefault("platform", fmt.name)
    provided = set(sources) | set(constants)
    if {"email", "contact_id"} & provided:
        provided.add("contact_key")
    missing = [t for t in _required(fmt.table) if t not in provided]
    problems = [_missing_problem(fmt, t, header, str(raw.origin), header_line) for t in missing]
    return Columns(sources, constants, missing, problems)


def _resolve(fmt: Format, header: list[str]) -> tuple[dict[str, _Source], dict[str, str]]:
    """Match the format's candidate headers to the file's header.

    Returns the sources per target and the constants read from headers (currency
    in "Amount spent (USD)"); a target with no matching header has no source.
    """
    keys = [norm_header(h) for h in header]
    index: dict[str, int] = {}
    for i, k in enumerate(keys):
        index.setdefault(k, i)
    found: dict[str, _Source] = {}
    header_constants: dict[str, str] = {}
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
    return found, header_constants


def _required(table: str) -> list[str]:
    """The table's required columns that a file must provide (the lineage columns are added)."""
    return [c for c in TABLES[table].required if c not in {"source_file", "source_row"}]


def _missing_problem(fmt: Format, target: str, header: list[str], file: str, header_line: int) -> Problem:
    wanted = [c for c in fmt.columns.get(target, ()) if not c.startswith("re:") and not _TEMPLATE.search(c)]
    if target == "contact_key":
        wanted = [c for t in SPECIAL_TARGETS for c in fmt.columns.get(t, ())]
    close: list[str] = []
    for w in wanted or [target]:
        close += difflib.get_close_matches(w, [h for h in header if h.strip()], n=1, cutoff=0.5)
    if target == "date" and fmt.preamble is not None:
        # A summary report is dated by the period line above its header: mapping some other column
        # as the date (the old advice) loads wrong dates, or the totals with a column map.
        fix = (
            "the report has no Day column and no date range kpikit can read above its header: download it again "
            "as the platform writes it (with its date-range line, e.g. '1 January 2026 - 31 March 2026'), "
            "or with a daily breakdown (Google Ads: Segment > Time > Day)"
        )
    elif close:
        fix = f"the closest header is {close[0]!r}: rename it to {(wanted or [target])[0]!r}, or map it in a column map"
    elif target == "currency":
        fix = "add `constants: {currency: USD}` (the right ISO code) to a column map for this file"
    else:
        fix = f"add the column to the export, or map it (columns: {{{target}: <header>}}) in a column map"
    return Problem(
        f"required column for {target!r} not found",
        file=file,
        row=header_line,
        column=(wanted or [target])[0],
        expected=f"a header {' or '.join(repr(w) for w in wanted) or repr(target)}",
        found=quote_header([h for h in header if h.strip()], limit=15, label="headers"),
        fix=fix,
    )
