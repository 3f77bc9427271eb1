"""Write a workshop snapshot: what the room looked at and agreed, for the report.

Layout and JSON schema are documented in :mod:`kpikit.explore` (the report
reads ``<client folder>/snapshots/*.json``).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any

from kpikit.core.names import is_file_stem
from kpikit.core.result import json_safe
from kpikit.errors import KpikitError

__all__ = ["SCHEMA", "write_snapshot", "read_snapshots"]

SCHEMA = "kpikit.workshop-snapshot/1"


def _svg(spec: dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(spec)


def _png(spec: dict) -> bytes:
    import vl_convert as vlc

    return vlc.vegalite_to_png(spec, scale=2)


def write_snapshot(explorer: Any, folder: Any = None, name: str | None = None, *, images: bool = True) -> Path:
    """Save an explorer's controls, numbers and charts; return the JSON file's path.

    Every file is written under a temporary name and renamed into place once all of them
    are written (the JSON last), so a failure (a chart that will not convert, a full disk)
    leaves no half snapshot behind.

    Parameters
    ----------
    explorer : Explorer
        Any workshop explorer.
    folder : path, optional
        Default ``<client base_dir>/snapshots``.
    name : str, optional
        File stem. Default ``<explorer>-<UTC yyyymmddThhmmss>`` (``-2``, ``-3`` ...
        appended if taken). A given name overwrites: use it for a deterministic file.
    images : bool
        Also write each chart as SVG and PNG (via vl-convert).

    Raises
    ------
    KpikitError
        when no folder is given and the model has no client folder, or the name is unsafe.
    OSError
        when the folder cannot be written.
    """
    cube = explorer.cube
    if folder is None:
        if cube.base_dir is None:
            raise KpikitError(
                "this model has no client folder to save snapshots in",
                fix="load it with kpikit.load_client(client.yaml), or pass snapshot(folder=...)",
            )
        folder = Path(cube.base_dir) / "snapshots"
    folder = Path(folder)
    created = _dt.datetime.now(_dt.UTC).replace(microsecond=0)
    if name is None:
        stem = f"{explorer.name}-{created.strftime('%Y%m%dT%H%M%S')}"
        name, n = stem, 1
        while (folder / f"{name}.json").exists():
            n += 1
            name = f"{stem}-{n}"
    if not is_file_stem(name):
        raise KpikitError(
            "snapshot name must be letters, digits, '.', '-' or '_', starting with a letter or digit (no '..')",
            found=repr(name),
            fix="e.g. 'targeting-agreed'",
        )
    folder.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []  # (temporary file, final name); the JSON comes last

    def stage(final: Path, data: str | bytes) -> None:
        # A dot-name the report's *.json glob never reads; renamed only once everything is written.
        tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
        staged.append((tmp, final))
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")

    moved: list[Path] = []
    try:
        charts = []
        for key, spec in explorer.specs.items():
            title = spec.get("title")
            entry: dict[str, Any] = {"name": key, "title": title if isinstance(title, str) else key}
            if images:
                svg, png = f"{name}-{key}.svg", f"{name}-{key}.png"
                stage(folder / svg, _svg(spec))
                stage(folder / png, _png(spec))
                entry.update(svg=svg, png=png)
            charts.append(entry)
        doc = {
            "schema": SCHEMA,
            "client": cube.client,
            "explorer": explorer.name,
            "title": explorer.title,
            "name": name,
            "created_utc": created.isoformat().replace("+00:00", "Z"),
            "currency": cube.currency,
            "real_outcome": cube.real_outcome,
            "controls": json_safe(explorer.values),
            "numbers": json_safe(explorer.numbers),
            "result": explorer.result.to_dict(),
            "summary": explorer.summary(),
            "charts": charts,
        }
        path = folder / f"{name}.json"
        stage(path, json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
        for tmp, final in staged:
            tmp.replace(final)
            moved.append(final)
    except BaseException:
        # No half snapshot: temporary files go, and so do images whose JSON never arrived.
        for tmp, final in staged:
            tmp.unlink(missing_ok=True)
            if final in moved and final.suffix != ".json":
                final.unlink(missing_ok=True)
        raise
    return path


def read_snapshots(folder: Any) -> list[dict[str, Any]]:
    """Every snapshot JSON in ``folder`` (oldest first); files of another schema are skipped.

    Examples
    --------
    >>> read_snapshots("/nonexistent/snapshots")
    []
    """
    folder = Path(folder)
    if not folder.is_dir():
        return []
    docs = []
    for p in sorted(folder.glob("*.json")):
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(doc, dict) and doc.get("schema") == SCHEMA:
            docs.append(doc)
    return sorted(docs, key=lambda d: (d.get("created_utc", ""), d.get("name", "")))
