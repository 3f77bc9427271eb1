"""Find which registered format (or column map) a file is, from its content.

File names lie (``export (3).csv``); headers do not. Each candidate format
looks for its identifying headers in the first lines of the file, after the
encoding and separator have been sniffed. The first format that finds all of
them wins, most specific (most identifying headers) first.

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
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from kpikit.errors import DataError, UnknownFormatError
from kpikit.ingest.formats import FORMATS, Format, norm_header
from kpikit.ingest.readers import RawFile, open_raw, sniff_separator

__all__ = ["Detected", "detect_format", "locate"]


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
        sep, idx = locate(fmt, raw)
        if idx is not None:
            return Detected(fmt, raw, sep, idx, tuple(tried))
    raise _unknown(cache.sniffed, tried, candidates)


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
    if best is not None and best_score >= 0.5:
        missing = [d for d in best.detect if not d.startswith("re:") and norm_header(d) not in got]
        hint = f"; closest is {best.name!r}, which also needs header(s) {missing!r}"
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
        found=f"header {header[:12]!r}",
        fix=fix,
    )
