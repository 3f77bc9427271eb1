"""YAML column maps: teach kpikit a file format without writing Python.

A map names the model table, the headers that identify the file, how to read
it (encoding, separator, decimal comma, date format, preamble lines) and which
source header fills each model column. The format is documented in
``templates/column_maps/README.md``; a map becomes a :class:`~kpikit.ingest.formats.Format`
and loads through the same pipeline as the built-in formats.

Examples
--------
>>> from kpikit.ingest.column_map import column_map_from_dict
>>> fmt = column_map_from_dict({
...     "name": "newsletter", "table": "touchpoints",
...     "columns": {"email": "Subscriber", "timestamp": "Opened"},
...     "constants": {"channel": "email"},
...     "read": {"sep": ";", "decimal": ",", "date_format": "%d/%m/%Y"},
... })
>>> fmt.columns["timestamp"], fmt.read.decimal
(('Opened',), ',')
>>> column_map_from_dict({"name": "x", "table": "spend", "columns": {"coast": "Cost"}})
Traceback (most recent call last):
...
kpikit.errors.ConfigError: key 'columns.coast': unknown target column for table 'spend' (found 'coast'). Fix: did you mean 'cost'? Targets: date, date_end, platform, account, ...
"""

from __future__ import annotations

import difflib
import functools
import os
import re
from pathlib import Path
from typing import Any

from kpikit.config import is_inside, read_yaml_mapping
from kpikit.core.paths import column_maps_dir
from kpikit.errors import ConfigError
from kpikit.ingest.formats import FORMATS, Footer, Format, ReadOptions
from kpikit.model import DIMENSION_PREFIX, TABLES

__all__ = ["load_column_map", "column_map_from_dict", "discover_maps", "SPECIAL_TARGETS", "TEMPLATE_MAPS"]

# Targets that are not model columns: hashed into contact_key inside the loader.
SPECIAL_TARGETS = ("email", "contact_id")
_KEYS = {"name", "table", "detect", "read", "columns", "constants", "checks", "footer", "description"}
_READ_KEYS = {f for f in ReadOptions.__dataclass_fields__}
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_CHECK_LEVELS = ("error", "warn", "off")

# Maps shipped with kpikit (repo checkout): tried by detection when a client folder has none.
TEMPLATE_MAPS = column_maps_dir()


def load_column_map(path: str | os.PathLike) -> Format:
    """Read and validate a column map file.

    Raises
    ------
    ConfigError
        with the file, the YAML line or the offending key, and a fix.
    """
    path = Path(path)
    data = read_yaml_mapping(
        path,
        what="column map",
        missing_fix="check the path given with --map or in client.yaml",
        template="a map in templates/column_maps/",
    )
    return column_map_from_dict(data, source=path)


def _err(file: str | None, key: str, message: str, found: Any, fix: str) -> ConfigError:
    return ConfigError(message, file=file, key=key, found=repr(found), fix=fix)


def column_map_from_dict(data: dict[str, Any], *, source: Path | None = None) -> Format:
    """Validate a parsed column map and turn it into a :class:`Format`."""
    file = None if source is None else str(source)
    unknown = sorted(set(map(str, data)) - _KEYS)
    if unknown:
        close = difflib.get_close_matches(unknown[0], _KEYS, n=1)
        fix = f"did you mean {close[0]!r}?" if close else f"allowed keys: {sorted(_KEYS)}"
        raise _err(file, unknown[0], "unknown key in column map", unknown[0], fix)
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise _err(file, "name", "the map needs a `name` (letters, digits, _ . -)", name, "e.g. name: olist_mql")
    table = data.get("table")
    if table not in TABLES:
        raise _err(file, "table", f"`table` must be one of {sorted(TABLES)}", table, "e.g. table: spend")
    targets = set(TABLES[table].names) - {"source_file", "source_row"}
    if table in {"contacts", "deals", "touchpoints"}:
        targets |= set(SPECIAL_TARGETS)

    def check_target(section: str, target: str) -> None:
        if target in targets or target.startswith(DIMENSION_PREFIX):
            return
        close = difflib.get_close_matches(target, sorted(targets), n=1)
        allowed = ", ".join(t for t in TABLES[table].names if t in targets)
        short = allowed if len(allowed) < 40 else allowed[: allowed.find(",", 30)] + ", ..."
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise _err(
            file, f"{section}.{target}", f"unknown target column for table {table!r}", target, f"{hint}Targets: {short}"
        )

    columns_raw = data.get("columns") or {}
    if not isinstance(columns_raw, dict) or not columns_raw:
        raise _err(
            file,
            "columns",
            "`columns` must map target columns to source headers",
            columns_raw,
            "see templates/column_maps/",
        )
    columns: dict[str, tuple[str, ...]] = {}
    for target, src in columns_raw.items():
        check_target("columns", str(target))
        if isinstance(src, str | int | float) and not isinstance(src, bool):
            columns[str(target)] = (str(src),)
        elif isinstance(src, list) and src and all(isinstance(s, str) for s in src):
            columns[str(target)] = tuple(src)
        else:
            raise _err(
                file,
                f"columns.{target}",
                "a source must be a header or a list of candidate headers",
                src,
                "e.g. cost: Spent",
            )
    constants = data.get("constants") or {}
    if not isinstance(constants, dict):
        raise _err(file, "constants", "`constants` must map target columns to values", constants, "e.g. currency: USD")
    for target in constants:
        check_target("constants", str(target))
    read_raw = data.get("read") or {}
    if not isinstance(read_raw, dict):
        raise _err(file, "read", "`read` must be a mapping of options", read_raw, f"allowed: {sorted(_READ_KEYS)}")
    bad = sorted(set(map(str, read_raw)) - _READ_KEYS)
    if bad:
        close = difflib.get_close_matches(bad[0], _READ_KEYS, n=1)
        raise _err(
            file,
            f"read.{bad[0]}",
            "unknown read option",
            bad[0],
            f"did you mean {close[0]!r}?" if close else f"allowed: {sorted(_READ_KEYS)}",
        )
    read_kwargs = dict(read_raw)
    if "na_values" in read_kwargs:
        read_kwargs["na_values"] = tuple(str(v) for v in (read_kwargs["na_values"] or ()))
    if read_kwargs.get("decimal") not in (None, ".", ","):
        raise _err(file, "read.decimal", "decimal must be '.' or ','", read_kwargs["decimal"], "decimal: ','")
    if read_kwargs.get("decimal") is None:
        read_kwargs.pop("decimal", None)
    if read_kwargs.get("decimal") == "," and read_kwargs.get("thousands") is None and read_kwargs.get("sep") == ",":
        raise _err(file, "read.sep", "a decimal comma needs another separator", ",", "sep: ';'")
    sk = read_kwargs.get("skip_rows")
    if sk is not None and (not isinstance(sk, int) or sk < 0):
        raise _err(file, "read.skip_rows", "skip_rows must be a whole number >= 0", sk, "skip_rows: 2")
    read = ReadOptions(**read_kwargs)
    detect = data.get("detect") or []
    if not isinstance(detect, list) or not all(isinstance(d, str) for d in detect):
        raise _err(file, "detect", "`detect` must be a list of headers", detect, "detect: [mql_id, origin]")
    checks = data.get("checks") or {}
    if not isinstance(checks, dict) or any(v not in _CHECK_LEVELS for v in checks.values()):
        raise _err(
            file, "checks", f"each check level must be one of {_CHECK_LEVELS}", checks, "clicks_gt_impressions: warn"
        )
    return Format(
        name=name,
        table=table,
        detect=tuple(detect),
        columns=columns,
        constants={str(k): v for k, v in constants.items()},
        read=read,
        checks={str(k): str(v) for k, v in checks.items()},
        footer=_footer(data.get("footer"), constants, file),
        description=str(data.get("description") or f"column map {name}"),
        origin=file or "dict",
    )


def _footer(raw: Any, constants: dict[str, Any], file: str | None) -> tuple[Footer, ...] | None:
    """The map's ``footer:`` rules: a built-in format's name, or a list of first-cell labels.

    A label is the cell's exact text, or ``re:<regex>``; ``{label: ..., totals: true}``
    also checks the row's cost, impressions and clicks against the data rows. Without
    ``footer:``, a map naming a built-in platform (``constants: {platform: google_ads}``)
    takes its rules; else ``None``: the loader takes those of the built-in format whose
    headers the file has (:func:`kpikit.ingest.headers.select_format`).
    """
    with_footer = sorted(n for n, f in FORMATS.items() if f.footer)
    if raw is None:
        platform = FORMATS.get(str(constants.get("platform")))
        return tuple(platform.footer) if platform is not None and platform.footer else None
    if isinstance(raw, str) and not raw.startswith("re:"):
        if raw not in FORMATS:
            close = difflib.get_close_matches(raw, with_footer, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise _err(file, "footer", "`footer` names no built-in format", raw,
                       f"{hint}use one of {with_footer}, or list the total rows' labels: footer: [Total]")  # fmt: skip
        return tuple(FORMATS[raw].footer)
    entries = [raw] if isinstance(raw, str) else raw
    if not isinstance(entries, list):
        raise _err(file, "footer", "`footer` must be a format name or a list of labels", raw, "footer: [Total, Gesamt]")
    out = []
    for entry in entries:
        label, totals = (entry.get("label"), entry.get("totals", False)) if isinstance(entry, dict) else (entry, False)
        extra = set(entry) - {"label", "totals"} if isinstance(entry, dict) else set()
        if not isinstance(label, str) or not label.strip() or not isinstance(totals, bool) or extra:
            raise _err(file, "footer", "a footer entry is a label, or {label: ..., totals: true}", entry,
                       "footer: [Total, {label: 'Gesamt', totals: true}]")  # fmt: skip
        pattern = label[3:] if label.startswith("re:") else re.escape(label.strip())
        try:
            re.compile(pattern)
        except re.error as exc:
            raise _err(file, "footer", f"not a valid regular expression ({exc})", label, "e.g. 're:Total.*'") from None
        out.append(Footer(pattern, totals=totals))
    return tuple(out)


def discover_maps(*folders: str | os.PathLike | None) -> list[Format]:
    """Column maps with a ``detect`` list found in ``folders`` (``*.yaml``), for detection.

    A map that is a symbolic link to a file outside its folder, or a broken link, is a
    :class:`ConfigError`: the folder is a boundary, and nothing outside it is read.
    """
    found = []
    for folder in folders:
        if folder is None or not Path(folder).is_dir():
            continue
        for path in sorted(Path(folder).glob("*.y*ml")):
            if not is_inside(path, folder):
                raise ConfigError(
                    "column map is a symbolic link to a file outside its folder",
                    file=str(path),
                    expected=f"a file inside {Path(folder).resolve()}",
                    found=repr(path.name),
                    fix=f"copy the file into {Path(folder).resolve()} instead of linking it",
                )
            if not path.is_file():
                raise ConfigError("column map is not a readable file (a broken link?)", file=str(path), fix="remove it")
            stat = path.stat()
            fmt = _load_cached(str(path), stat.st_mtime_ns, stat.st_size)
            if fmt.detect:
                found.append(fmt)
    return found


@functools.lru_cache(maxsize=256)
def _load_cached(path: str, mtime_ns: int, size: int) -> Format:
    # every load_file() runs detection over these maps: parse each YAML once per version of it
    return load_column_map(path)
