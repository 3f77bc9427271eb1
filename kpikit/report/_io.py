"""Atomic, deterministic file writes for report outputs.

A batch can be killed at any moment (Ctrl-C, CI timeout, a laptop lid). Every
file is written to a temporary name in the destination folder and moved into
place with :func:`os.replace`, which is atomic on POSIX and Windows: a reader
sees the old file or the new one, never half of one.

Examples
--------
>>> import json, tempfile
>>> from pathlib import Path
>>> from kpikit.report._io import write_json, canonical_json
>>> canonical_json({"b": float("nan"), "a": [1, 2.5]})
'{\\n  "a": [\\n    1,\\n    2.5\\n  ],\\n  "b": null\\n}\\n'
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = write_json(Path(tmp) / "m.json", {"z": 1, "a": 2})
...     json.loads(path.read_text())
{'a': 2, 'z': 1}
"""

from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["atomic_write_bytes", "atomic_write_text", "canonical_json", "write_json", "replace_dir"]


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then ``os.replace``)."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def _plain(value: Any) -> Any:
    # JSON has no NaN/inf: a missing ratio (0 / 0) is null, so the file stays valid JSON.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):  # numpy scalar
        return _plain(value.item())
    return value


def canonical_json(data: Any) -> str:
    """Serialise ``data`` the same way every time: sorted keys, 2-space indent, NaN as null."""
    return json.dumps(_plain(data), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, data: Any) -> Path:
    """Write ``data`` as canonical JSON, atomically. Same data, same bytes."""
    return atomic_write_text(path, canonical_json(data))


def replace_dir(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Move folder ``src`` to ``dst``, replacing ``dst`` if it exists.

    Two renames instead of one (POSIX cannot atomically swap a non-empty
    folder): the old folder is renamed aside first, so ``dst`` is only ever
    missing for the instant between the renames, never half-written.
    """
    src, dst = Path(src), Path(dst)
    trash = None
    if dst.exists():
        trash = dst.with_name(f".{dst.name}.old-{os.getpid()}")
        if trash.exists():
            shutil.rmtree(trash)
        os.replace(dst, trash)
    os.replace(src, dst)
    if trash is not None:
        shutil.rmtree(trash, ignore_errors=True)
