"""Find which registered format (or column map) a file is, from its content.

File names lie (``export (3).csv``); headers do not. Each candidate format
looks for its identifying headers in the first lines of the file, after the
encoding and separator have been sniffed. The first format that finds all of
them wins, most specific (most identifying headers) first. A format is tried in
English, then in each UI language it declares (:class:`~kpikit.ingest.formats.base.Locale`):
a German Meta export (``Berichtsbeginn``, ``Ausgegebener Betrag (EUR)``) is Meta.

When nothing matches, the error says what the file looks like: a known export in
a language kpikit lacks a header of ("looks like Meta exported in German"), or a
workbook whose export is on another sheet than the first.

Examples
--------
>>> import tempfile, pathlib
>>> from kpikit.ingest.detect import detect_format
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "x.csv").write_text("Campaign report\\nCampaign,Impr.,Clicks,Cost\\nBrand,10,1,2.00\\n")
>>> found = detect_format(d / "x.csv")
>>> found.format.name, found.header_index, repr(found.sep)
('google_ads', 1, "','")
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from kpikit.errors import DataError, UnknownFormatError
from kpikit.ingest.formats import FORMATS, Format, norm_header
from kpikit.ingest.formats.base import Locale, localise
from kpikit.ingest.readers import RawFile, open_raw, sniff_separator, xlsx_sheets
from kpikit.privacy import quote_header

__all__ = ["Detected", "detect_format", "locate", "variants"]


@dataclass(frozen=True)
class Detected:
    format: Format
    raw: RawFile
    sep: str
    header_index: int
    tried: tuple[str, ...]


def _canon(encoding: str | None) -> str | None:
    if encoding is None:
        return None
    e = encoding.lower().replace("_", "-")
    return {"utf8": "utf-8", "utf-8-sig": "utf-8", "utf16": "utf-16", "windows-1252": "cp1252"}.get(e, e)


class _RawCache:
    def __init__(self, path: Path, sheet: str | None = None) -> None:
        self.path = path
        self.sheet = sheet
        self.sniffed = open_raw(path, sheet=sheet)
        self.by_encoding: dict[str, RawFile] = {}

    def get(self, encoding: str | None) -> RawFile:
        enc = _canon(encoding)
        if (
            enc is None
            or self.sniffed.path != self.path
            or enc == _canon(self.sniffed.encoding)
            or (enc.startswith("utf-16") and self.sniffed.encoding.startswith("utf-16"))
        ):
            return self.sniffed
        if enc not in self.by_encoding:
            self.by_encoding[enc] = open_raw(self.path, encoding=enc, sheet=self.sheet)
        return self.by_encoding[enc]


_LOCALISED: dict[tuple[int, str], tuple[Format, Format]] = {}


def variants(fmt: Format) -> list[Format]:
    """``fmt`` in English, then in each UI language it declares (built once per format and locale)."""
    out = [fmt]
    for loc in fmt.locales:
        key = (id(fmt), loc.code)
        if key not in _LOCALISED or _LOCALISED[key][0] is not fmt:  # the pair keeps ``fmt`` alive
            _LOCALISED[key] = (fmt, localise(fmt, loc))
        out.append(_LOCALISED[key][1])
    return out


def locate(fmt: Format, raw: RawFile) -> tuple[str, int | None]:
    """Separator and header line index of ``fmt`` in ``raw`` (index None if absent)."""
    sep = fmt.read.sep or sniff_separator(raw.lines)
    rows = raw.head_rows(sep)
    if fmt.read.skip_rows is not None:
        idx = fmt.read.skip_rows
        if fmt.detect and fmt.find_header(rows[idx : idx + 1]) is None:
            return sep, None
        return sep, idx if idx < len(rows) else None
    if fmt.detect:
        return sep, fmt.find_header(rows)
    return sep, None


def detect_format(path: str | Path, formats: Iterable[Format] | None = None) -> Detected:
    """Detect the format of ``path`` among ``formats`` (default: every registered one).

    Raises
    ------
    UnknownFormatError
        naming the formats tried, the header found and the closest format,
        and suggesting a column map.
    """
    path = Path(path)
    candidates = list(FORMATS.values()) if formats is None else list(formats)
    candidates.sort(key=lambda f: -len(f.detect))
    cache = _RawCache(path)
    tried = []
    for fmt in candidates:
        if not fmt.detect:
            continue
        tried.append(fmt.name)
        try:
            raw = cache.get(fmt.read.encoding)
        except DataError:
            continue  # the format's declared encoding cannot read this file: not this format
        for variant in variants(fmt):
            sep, idx = locate(variant, raw)
            if idx is not None:
                if variant.locale is not None:
                    note = f"headers in {variant.locale.language}: read as {variant.description}"
                    raw = replace(raw, notes=[*raw.notes, note])
                return Detected(variant, raw, sep, idx, tuple(tried))
    raise _other_sheet(cache.sniffed, candidates) or _unknown(cache.sniffed, tried, candidates)


def _other_sheet(raw: RawFile, candidates: list[Format]) -> UnknownFormatError | None:
    """For a workbook whose first sheet is no export: the error naming the sheet(s) that hold one."""
    if raw.path == raw.origin:  # not a workbook
        return None
    names = xlsx_sheets(raw.origin)
    holding: list[tuple[str, Format]] = []
    for name in names[1:]:
        try:
            other = open_raw(raw.origin, sheet=name)
        except DataError:
            continue  # an empty or unreadable sheet holds no export
        hit = next((v for f in candidates if f.detect for v in variants(f) if locate(v, other)[1] is not None), None)
        if hit is not None:
            holding.append((name, hit))
    if not holding:
        return None
    (sheet, fmt), more = holding[0], [n for n, _ in holding[1:]]
    also = f" (also on sheet(s) {more!r}: load each separately)" if more else ""
    return UnknownFormatError(
        f"the first sheet {names[0]!r} holds no export, but sheet {sheet!r} holds a {fmt.description}{also}",
        file=str(raw.origin),
        expected="the export on the workbook's first sheet",
        found=f"sheets {names!r}",
        fix=f"export the report as CSV from the platform, or save sheet {sheet!r} as CSV (or move it first) "
        f"in Excel, or set read.sheet: {sheet!r} in a column map",
    )


def for_map(path: str | Path, fmt: Format) -> Detected:
    """Locate a file read with an explicit column map (no detection among others)."""
    cache = _RawCache(Path(path), fmt.read.sheet)
    raw = cache.get(fmt.read.encoding)
    sep, idx = locate(fmt, raw)
    if idx is None:
        if fmt.detect:
            raise _unknown(raw, [fmt.name], [fmt], explicit=True)
        idx = 0
    return Detected(fmt, raw, sep, idx, (fmt.name,))


def _language(candidates: list[Format], got: set[str]) -> tuple[Format, Locale, list[str], list[str]] | None:
    """The format and UI language whose localised headers the file has at least two of, if any.

    Returns the format, the locale, the localised headers found and the identifying ones missing.
    """
    best: tuple[int, Format, Locale] | None = None
    for fmt in candidates:
        for loc in fmt.locales:
            english = {norm_header(en) for en in loc.headers}
            local = {norm_header(h) for names in loc.headers.values() for h in names} - english
            n = len(local & got)
            if n >= 2 and (best is None or n > best[0]):
                best = (n, fmt, loc)
    if best is None:
        return None
    _, fmt, loc = best
    found = [h for names in loc.headers.values() for h in names if norm_header(h) in got and h not in loc.headers]
    missing = []
    for d in fmt.detect:
        en = next((e for e in loc.headers if e in d), d) if d.startswith("re:") else d
        names = loc.headers.get(en, (en,))
        if not any(norm_header(h) in got for h in names) and not (d.startswith("re:") and _any_match(d, names, got)):
            missing.append(names[0] + (" (…)" if d.startswith("re:") else ""))
    return fmt, loc, found, missing


def _platform(fmt: Format) -> str:
    """The platform's name for messages: "Meta Ads Manager" from "Meta Ads Manager export"."""
    return re.split(r" (?:export|campaign|report)\b", fmt.description, maxsplit=1)[0] or fmt.name


def _any_match(detect: str, names: tuple[str, ...], got: set[str]) -> bool:
    """A header starting with one of ``names`` (a ``re:`` header such as "Ausgegebener Betrag (EUR)")."""
    return any(g.startswith(norm_header(n)) for n in names for g in got)


def _unknown(raw: RawFile, tried: list[str], candidates: list[Format], explicit: bool = False) -> UnknownFormatError:
    sep = sniff_separator(raw.lines)
    rows = [r for r in raw.head_rows(sep) if any(c.strip() for c in r)]
    header = max(rows[:10], key=len) if rows else []
    got = {norm_header(c) for c in header}
    best, best_score = None, 0.0
    for fmt in candidates:
        wanted = [d for d in fmt.detect if not d.startswith("re:")]
        if not wanted:
            continue

        def alternatives(d: str, fmt: Format = fmt) -> set[str]:
            alts = {norm_header(d)}
            for cands in fmt.columns.values():
                if any(norm_header(c) == norm_header(d) for c in cands):
                    alts |= {norm_header(c) for c in cands if not c.startswith("re:")}
            return alts

        score = sum(
            1.0
            if alternatives(w) & got
            else (0.5 if difflib.get_close_matches(norm_header(w), got, n=1, cutoff=0.8) else 0.0)
            for w in wanted
        ) / len(wanted)
        if score > best_score:
            best, best_score = fmt, score
    hint = ""
    language = _language(candidates, got)
    if language is not None:
        fmt, loc, found, missing = language
        hint = f"looks like {_platform(fmt)} exported in {loc.language}: it has the {loc.language} headers {found!r}"
        hint += f" but not {missing!r}" if missing else ""
    elif best is not None and best_score >= 0.5:
        missing = [d for d in best.detect if not d.startswith("re:") and norm_header(d) not in got]
        hint = f"; closest is {best.name!r}, which also needs header(s) {missing!r}"
    if language is not None and not explicit:
        fmt, loc = language[0], language[1]
        return UnknownFormatError(
            hint,
            file=str(raw.origin),
            expected=f"the headers of a {fmt.description} in {loc.language}",
            found=quote_header(header),
            fix="export the report again with every default column (or with the UI language set to English); "
            "or write a column map for this file (see templates/column_maps/)",
        )
    if explicit:
        message = f"the column map's detect headers {list(candidates[0].detect)!r} are not in the file's first lines"
        fix = "check the map's `detect` list against the file's header, or set read.skip_rows"
    else:
        message = f"no known export format matches this file (formats tried: {', '.join(tried)}){hint}"
        fix = (
            "write a column map (see templates/column_maps/) and pass it with --map MAP.yaml, "
            "or list the file as {path, map} in client.yaml"
        )
    return UnknownFormatError(
        message,
        file=str(raw.origin),
        row=None,
        expected="a header row of a known export",
        found=quote_header(header),
        fix=fix,
    )
