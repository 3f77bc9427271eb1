"""The parsed-exports cache: a client's normalised tables as Parquet, keyed by what they were read from.

Reading raw exports (format detection, CSV parsing, scrubbing personal data, fx
conversion, overlap checks) is the slow part of a report on unchanged data. After
one successful :func:`~kpikit.ingest.client.load_client`, the model's tables are
written once to ``CACHE_DIR/<key>/<table>.parquet`` with its load report; the next
load with the same key reads them back instead.

The key is a SHA-256 over everything the tables depend on, so a stale cache is
never read:

* the bytes of every input file (exports, their column maps, the target accounts list);
* the resolved config (``repr`` of the frozen :class:`~kpikit.config.ClientConfig`:
  currency, fx rates, campaign map, date order, paths...) and the effective salt
  (``KPIKIT_SALT`` wins over the config's);
* the source of the loading code (:mod:`kpikit.ingest`, :mod:`kpikit.core`, the
  model, config, privacy and text helpers) and :data:`CACHE_VERSION`: a change to how
  exports are read invalidates every cache.

Guarantees: a cached model's frames equal the loaded ones (dtypes, index, values,
``attrs``), so every view gives the same bytes; an entry is written into a temporary
folder and renamed into place, so a killed run leaves no half entry; only the newest
entry per cache folder is kept; a cache that cannot be read or written is ignored
(the exports are read as if there were none), never an error.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kpikit.errors import KpikitError
from kpikit.model import TABLES, ClientModel, ParquetTable

__all__ = [
    "CACHE_VERSION",
    "ParquetStore",
    "available_memory",
    "cache_key",
    "check_memory_limit",
    "memory_bytes",
    "open_entry",
    "read_cached",
    "write_cached",
]

#: Bump when the layout of an entry changes.
CACHE_VERSION = "1"
_PKG = Path(__file__).resolve().parents[1]
# The code that turns exports into tables: a change here changes what the tables hold.
_CODE = ("ingest", "core", "model.py", "config.py", "privacy.py", "_arrowtext.py")
_REPORT = "load_report.pickle"


_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def check_memory_limit(limit: str) -> str:
    """``limit`` if DuckDB reads it as an amount of memory, else a :class:`~kpikit.errors.KpikitError`.

    Examples
    --------
    >>> check_memory_limit("6GB")
    '6GB'
    >>> check_memory_limit("6")
    Traceback (most recent call last):
    ...
    kpikit.errors.KpikitError: column 'memory_limit': memory limit needs a unit (expected a number and a unit such as 6GB or 512MB, found '6'). Fix: e.g. --memory-limit 6GB
    """
    if not isinstance(limit, str) or not _MEMORY.match(limit):
        raise KpikitError(
            "memory limit needs a unit",
            column="memory_limit",
            expected="a number and a unit such as 6GB or 512MB",
            found=repr(limit),
            fix="e.g. --memory-limit 6GB",
        )
    return limit.strip()


_UNITS = {"kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def memory_bytes(limit: str) -> int:
    """Bytes of a memory limit as DuckDB reads it (GB = 10^9, GiB = 2^30).

    >>> memory_bytes("6GB"), memory_bytes("1.5 GiB")
    (6000000000, 1610612736)
    """
    m = _MEMORY.match(check_memory_limit(limit))
    return int(float(limit[: m.start(2)].strip()) * _UNITS[m.group(2).lower()])


def available_memory() -> int | None:
    """Bytes this process can still get: ``MemAvailable``, capped by its memory cgroup's room (v1 or v2).

    A cgroup's usage counts page cache, which the kernel reclaims before it kills: that is room too.
    None when neither can be read (not Linux).
    """
    found = []
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    found.append(int(line.split()[1]) * 1024)
    except OSError:
        pass
    try:
        with open("/proc/self/cgroup") as fh:
            lines = fh.read().splitlines()
    except OSError:
        lines = []
    for line in lines:
        hid, controllers, rel = (line.split(":", 2) + ["", ""])[:3]
        if "memory" in controllers.split(","):  # v1
            base, files = (
                Path("/sys/fs/cgroup/memory") / rel.lstrip("/"),
                ("memory.limit_in_bytes", "memory.usage_in_bytes"),
            )
            cache_key_ = "total_cache"
        elif hid == "0" and controllers == "":  # v2
            base, files = Path("/sys/fs/cgroup") / rel.lstrip("/"), ("memory.max", "memory.current")
            cache_key_ = "file"
        else:
            continue
        try:
            limit_s, usage_s = ((base / f).read_text().strip() for f in files)
            if limit_s == "max" or int(limit_s) >= 1 << 60:
                continue
            stat = dict(x.split() for x in (base / "memory.stat").read_text().splitlines() if len(x.split()) == 2)
            found.append(int(limit_s) - int(usage_s) + int(stat.get(cache_key_, 0)))
        except (OSError, ValueError):
            continue
    return max(0, min(found)) if found else None


@dataclass(frozen=True)
class ParquetStore:
    """A cache entry the out-of-core engine reads, and the memory it may use.

    ``touchpoints`` is the frame the entry was made from or read into: a model whose
    touchpoints were replaced (``model.replace(touchpoints=...)``) no longer matches its
    Parquet file, and is analysed in memory.
    """

    path: Path
    memory_limit: str
    touchpoints: Any  # pd.DataFrame, or the entry's ParquetTable (rows not in memory)

    def serves(self, model) -> bool:
        """Whether this entry holds ``model``'s touchpoints (compared as held: a table left on disk is not read)."""
        held = model.raw("touchpoints") if isinstance(model, ClientModel) else model.touchpoints
        return held is self.touchpoints and (self.path / "touchpoints.parquet").is_file()


def _file_digest(path: Path, h) -> None:
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)


def _code_digest() -> str:
    h = hashlib.sha256()
    for name in _CODE:
        root = _PKG / name
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        for f in files:
            h.update(f.relative_to(_PKG).as_posix().encode())
            _file_digest(f, h)
    return h.hexdigest()


def cache_key(config) -> str:
    """SHA-256 (hex) of the client's input files, resolved config, salt and loading code.

    Examples
    --------
    >>> from kpikit.samples._build import sample_config
    >>> config = sample_config("lumora")
    >>> key = cache_key(config)
    >>> len(key), key == cache_key(config)
    (64, True)
    """
    h = hashlib.sha256()
    h.update(f"kpikit-cache {CACHE_VERSION}\n{_code_digest()}\n{config!r}\n".encode())
    h.update(hashlib.sha256(os.environ.get("KPIKIT_SALT", config.salt).encode()).digest())
    inputs = [p for e in config.exports for p in (e.path, e.map) if p is not None]
    if config.target_accounts is not None:
        inputs.append(config.target_accounts)
    for p in inputs:
        path = Path(config.base_dir) / p
        h.update(f"\n{Path(p).as_posix()}\n".encode())
        if path.is_file():
            _file_digest(path, h)
        else:  # load_client will say so; a missing file must not share a key with any content
            h.update(b"<missing>")
    return h.hexdigest()


#: What a cached load report may be made of besides kpikit's own classes (see ``_ReportUnpickler``).
_SAFE_GLOBALS: dict[str, frozenset[str]] = {
    "builtins": frozenset(
        {
            "set",
            "frozenset",
            "tuple",
            "list",
            "dict",
            "str",
            "int",
            "float",
            "bool",
            "bytes",
            "complex",
            "slice",
            "range",
            "object",
        }
    ),  # fmt: skip
    "copyreg": frozenset({"_reconstructor"}),
    "collections": frozenset({"OrderedDict"}),
    "datetime": frozenset({"date", "datetime", "time", "timedelta", "timezone"}),
    "pathlib": frozenset({"Path", "PosixPath", "PurePath", "PurePosixPath", "WindowsPath", "PureWindowsPath"}),
    "numpy": frozenset({"dtype", "ndarray"}),
    "numpy.core.multiarray": frozenset({"scalar", "_reconstruct"}),
    "numpy._core.multiarray": frozenset({"scalar", "_reconstruct"}),
}


class _ReportUnpickler(pickle.Unpickler):
    """Unpickles only kpikit's own classes and plain values (the "restricting globals" recipe of
    the :mod:`pickle` docs): anything else, ``os.system`` say, raises ``UnpicklingError``."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "kpikit" or module.startswith("kpikit."):
            obj = super().find_class(module, name)
            if isinstance(obj, type):  # a class, never a function
                return obj
        elif name in _SAFE_GLOBALS.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"a cached load report may not name {module}.{name}")


def read_cached(
    config, cache_dir: str | os.PathLike, key: str | None = None, *, memory_limit: str | None = None
) -> ClientModel | None:
    """The cached model of ``config`` in ``cache_dir``, or None (no entry, or one that does not read).

    With ``memory_limit``: the model of :func:`open_entry` (touchpoints left in Parquet).
    """
    entry = Path(cache_dir) / (key or cache_key(config))
    if not (entry / _REPORT).is_file():
        return None
    try:
        # Our own object, written by write_cached; read back by an allow-list unpickler so a file
        # planted in the cache can name no callable outside kpikit's own classes.
        with open(entry / _REPORT, "rb") as fh:
            report = _ReportUnpickler(fh).load()
        if memory_limit is not None:
            return open_entry(entry, config, memory_limit, load_report=report)
        tables = {name: pd.read_parquet(entry / f"{name}.parquet") for name in TABLES}
    except Exception:  # a damaged entry is a miss: read the exports instead
        return None
    return ClientModel(**tables, config=config, load_report=report)


def read_mapped(parquet: Path) -> pd.DataFrame:
    """``pd.read_parquet(parquet)``, with its text columns in a memory-mapped Arrow file beside it.

    The first call writes ``<table>.arrow`` (uncompressed Arrow IPC, a record batch per Parquet
    row group, so converting never holds the table); then the frame is made from the mapped
    file: Arrow text columns (the bulk of a contacts table) stay views of the file's pages,
    which the kernel can drop and read again under memory pressure, instead of anonymous memory
    it can only OOM-kill for. Numbers and dates are converted to numpy (copied) as
    ``read_parquet`` does. Same frame as ``pd.read_parquet``: dtypes, values, index, ``attrs``.
    """
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq
    from pandas.io._util import arrow_table_to_pandas

    arrow = parquet.with_suffix(".arrow")
    if not arrow.is_file() or arrow.stat().st_mtime_ns < parquet.stat().st_mtime_ns:
        tmp = arrow.with_name(f".{arrow.name}-{uuid.uuid4().hex}")
        source = pq.ParquetFile(parquet)
        try:
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, source.schema_arrow) as writer:
                for i in range(source.num_row_groups):
                    writer.write_table(source.read_row_group(i, use_pandas_metadata=True))
            os.replace(tmp, arrow)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
    table = pa.ipc.open_file(pa.memory_map(str(arrow), "r")).read_all()
    frame = arrow_table_to_pandas(table)
    meta = table.schema.metadata or {}
    if b"PANDAS_ATTRS" in meta:
        frame.attrs = json.loads(meta[b"PANDAS_ATTRS"])
    return frame


def _lean(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each all-missing text column over one shared buffer of zeros (same dtype, same values).

    An Arrow text column of ``n`` missing values still holds ``8 * (n + 1)`` bytes of offsets: for a
    large client's empty optional columns (``source_file``, ``company``, ``medium``...) that is
    hundreds of MB. Arrow arrays are immutable, so sharing the buffer is safe: a write makes a new
    array. Numeric columns are left alone (numpy arrays are written in place).
    """
    import numpy as np
    import pyarrow as pa

    n = len(frame)
    if not n:
        return frame
    zeros = None
    out = {}
    for col in frame.columns:
        s = frame[col]
        arrow = getattr(s.array, "_pa_array", None)
        if arrow is not None and arrow.type == pa.large_string() and arrow.null_count == n:
            if zeros is None:  # zeroed offsets and validity (all missing); calloc'd, read-only
                zeros = pa.py_buffer(np.zeros(8 * (n + 1), dtype=np.uint8))
            empty = pa.Array.from_buffers(pa.large_string(), n, [zeros, zeros, pa.py_buffer(b"")], null_count=n)
            s = pd.Series(empty, dtype=s.dtype, index=s.index, name=col)
        out[col] = s
    if zeros is None:
        return frame
    lean = pd.DataFrame(out, copy=False)
    lean.attrs = frame.attrs
    return lean


def open_entry(entry: str | os.PathLike, config, memory_limit: str, *, load_report=None) -> ClientModel:
    """The model of a folder of ``<table>.parquet`` files, analysed out of core within ``memory_limit``.

    Spend, contacts, deals and target accounts are read into memory; the touchpoints stay in
    their Parquet file (a :class:`~kpikit.model.ParquetTable`): attribution reads them with DuckDB
    (:mod:`kpikit.analysis._duckpaths`), and a view that needs the rows reads them on first use.
    This is how :func:`~kpikit.ingest.client.load_client` opens a cache entry with a memory limit,
    and how a client written straight to Parquet (``kpikit.samples.write_synthetic_parquet``) is
    opened.
    """
    import pyarrow as pa

    entry = Path(entry)
    limit = check_memory_limit(memory_limit)
    tables: dict[str, Any] = {}
    for name in TABLES:
        if name != "touchpoints":
            tables[name] = _lean(read_mapped(entry / f"{name}.parquet"))
            pa.default_memory_pool().release_unused()  # the decoding buffers, back to the system
    touchpoints = ParquetTable(entry / "touchpoints.parquet")
    return ClientModel(
        **tables,
        touchpoints=touchpoints,
        config=config,
        load_report=load_report,
        store=ParquetStore(entry, limit, touchpoints),
    )


def write_cached(model: ClientModel, cache_dir: str | os.PathLike, key: str | None = None) -> Path | None:
    """Write ``model`` as the entry of its config; return its folder (None when it cannot be written)."""
    root = Path(cache_dir)
    key = key or cache_key(model.config)
    tmp = root / f".tmp-{uuid.uuid4().hex}"
    try:
        tmp.mkdir(parents=True)
        for name in TABLES:
            getattr(model, name).to_parquet(tmp / f"{name}.parquet")  # a RangeIndex as metadata
        with open(tmp / _REPORT, "wb") as fh:
            pickle.dump(model.load_report, fh, protocol=pickle.HIGHEST_PROTOCOL)
        entry = root / key
        if entry.exists():
            shutil.rmtree(entry, ignore_errors=True)
        os.replace(tmp, entry)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return None
    for old in root.iterdir():  # one entry per cache folder, the newest (another run's .tmp- is left alone)
        if old.name != key and old.is_dir() and len(old.name) == 64:
            shutil.rmtree(old, ignore_errors=True)
    return entry
