"""Attribution paths built by DuckDB over the cached Parquet touchpoints, within a memory limit.

The in-memory :func:`~kpikit.analysis.attribution.build_paths` sorts every touchpoint
with numpy: about fifteen arrays the length of the touchpoints table. For a client with
tens of millions of touchpoints that is more memory than a laptop has. Here DuckDB reads
``touchpoints.parquet`` of the client's cache entry (:mod:`kpikit.ingest.cache`) under
``SET memory_limit`` (spilling to a folder inside the entry), and only two small things
come back to numpy:

* the touches of **converting** paths, in the same (path, time, row) order, which is all
  the rule-based models read;
* the **Markov transition counts** over every path (a (channels + 3)² matrix of integers).

Everything else the in-memory builder reports (touches used, after the conversion,
without a contact; paths) is counted in SQL. Counts are integers and the float work
runs on the same arrays in the same order, so credits are identical, not just close
(``tests/test_analysis_outofcore.py``).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from kpikit.core.names import NOT_SET
from kpikit.errors import KpikitError, MemoryLimitError

_DAY_US = 86_400_000_000
_BIG = np.iinfo(np.int64).max


def connect(store):
    """A DuckDB connection limited to ``store.memory_limit``, spilling inside the cache entry."""
    try:
        import duckdb  # deferred: only the out-of-core path needs it (~0.3 s import)
    except ImportError:
        raise KpikitError(
            "the out-of-core engine needs the duckdb optional dependency",
            fix="run `pip install kpikit[outofcore]`, or leave memory_limit unset to analyse in memory",
        ) from None
    from kpikit.ingest.cache import available_memory, memory_bytes

    room = available_memory()
    if room is not None and memory_bytes(store.memory_limit) > room:
        # DuckDB would count on memory the machine (or its cgroup) cannot give: the kernel kills
        # the process instead of DuckDB spilling. Say so now, with what would fit.
        fits = f"{room / 1e9 * 0.8:.1f}GB" if room >= 125_000_000 else None
        raise MemoryLimitError(
            "the memory limit is more than this machine can give the out-of-core engine now",
            found=repr(store.memory_limit),
            expected=f"at most the {room / 1e9:.2f} GB still available (free memory, within any cgroup limit)",
            fix=(f"lower it (e.g. --memory-limit {fits}), " if fits else "")
            + "close other programs, or analyse on a larger machine",
        )
    spill = store.path / "duckdb_tmp"
    con = duckdb.connect(config={"memory_limit": store.memory_limit, "temp_directory": str(spill)})
    con.execute("SET preserve_insertion_order = false")  # every ordered result says ORDER BY
    return con


def _too_small(store, what: str, exc: Exception) -> MemoryLimitError:
    """The error for DuckDB running out of memory under ``store.memory_limit`` while doing ``what``."""
    return MemoryLimitError(
        f"{what} needs more memory than the memory limit allows, even spilling to disk",
        found=repr(store.memory_limit),
        expected="a limit that holds DuckDB's working set for this client's touchpoints",
        fix="raise memory_limit (e.g. --memory-limit 8GB), free disk space in the cache folder, "
        f"or analyse on a larger machine ({str(exc).splitlines()[0]})",
    )


def paths_from_parquet(store, lookup, contacts_cut, converts_c, n_c):
    """Converting touches and path counts of the Parquet touchpoints (see module docs).

    Parameters
    ----------
    store : ParquetStore
    lookup : ContactLookup
        The contacts' key -> first row (path id) of the in-memory preparation.
    contacts_cut : Cutoff
        Per contact: where its path stops (the conversion), as the in-memory builder has it.
    converts_c : ndarray of bool
        Per contact: converted (first row of its key only).
    n_c : int
        Number of contact rows.

    Returns
    -------
    dict
        ``channels`` (first-appearance order), ``ch``, ``path``, ``ts`` of converting touches,
        ``markov`` (transition counts), ``n_unknown``, ``orphan``, ``after``, ``used``.
    """
    import duckdb

    first = lookup.first
    # The in-memory lookup compares hex keys as integers (case-insensitively): so does the join.
    fold = "lower" if lookup._ints is not None else ""
    keys = pa.array(lookup._keys.array, from_pandas=True)  # Arrow text: the same buffers
    if len(first) != n_c:  # duplicated or missing keys: only first rows are contacts
        keys = keys.take(pa.array(first)) if len(first) else pa.array([], pa.string())
    # Every contact's key and path (its row: zero-copy views for a client without duplicates); the
    # cut only for converting contacts, the few a touch can come after.
    known = pa.table({"key": keys, "path": pa.array(first, pa.int64())})
    conv_rows = first[converts_c[first]]
    cuts = pa.table(
        {
            "path": pa.array(conv_rows, pa.int64()),
            "exact": pa.array(contacts_cut.exact[conv_rows], pa.int64()),
            "day": pa.array(contacts_cut.day[conv_rows], pa.int64()),
        }
    )
    con = connect(store)
    try:
        con.register("known", known)
        con.register("cuts", cuts)
        tp = str(store.path / "touchpoints.parquet").replace("'", "''")
        con.execute(f"""
            CREATE TEMP VIEW t AS
            SELECT file_row_number AS rn, contact_key AS k, {fold}(contact_key) AS jk, epoch_us("timestamp") AS ts,
                   coalesce(channel, '{NOT_SET}') AS ch
            FROM read_parquet('{tp}', file_row_number = true)
        """)
        channels = [r[0] for r in con.execute("SELECT ch FROM t GROUP BY ch ORDER BY min(rn)").fetchall()]
        con.register("chans", pa.table({"ch": channels, "code": np.arange(len(channels), dtype=np.int64)}))
        # The cut of the in-memory builder: a timed touch against the exact moment, a dated one
        # against the end of the day; unknown keys never convert, so nothing cuts them. Only an
        # unknown key is kept as text (uk): a known contact's path is its row number.
        con.execute(f"""
            CREATE TEMP TABLE j AS
            SELECT t.rn, CASE WHEN known.path IS NULL THEN t.k END AS uk, t.ts, chans.code AS ch,
                   known.path, cuts.path IS NOT NULL AS conv,
                   t.ts IS NOT NULL AND t.ts >= coalesce(
                       CASE WHEN t.ts % {_DAY_US} <> 0 THEN cuts.exact ELSE cuts.day END, {_BIG}) AS after
            FROM t JOIN chans USING (ch) LEFT JOIN known ON {fold}(known.key) = t.jk
                 LEFT JOIN cuts ON cuts.path = known.path
            WHERE t.k IS NOT NULL
        """)
        orphan, after, used, n_unknown = con.execute("""
            SELECT (SELECT count(*) FROM t WHERE k IS NULL), count(*) FILTER (after),
                   count(*) FILTER (ts IS NOT NULL AND NOT after),
                   count(DISTINCT uk)
            FROM j
        """).fetchone()
        conv = con.execute("""
            SELECT path, ch, ts FROM j WHERE conv AND ts IS NOT NULL AND NOT after ORDER BY path, ts, rn
        """).fetchnumpy()
        k = len(channels)
        start, conv_s, null_s = k, k + 1, k + 2
        trans = con.execute(f"""
            WITH w AS (
              SELECT ch, conv, row_number() OVER p AS pos, lead(ch) OVER p AS nxt
              FROM j WHERE ts IS NOT NULL AND NOT after
              -- a known contact's path is its first row; an unknown key is its own path
              WINDOW p AS (PARTITION BY path, uk ORDER BY ts, rn))
            SELECT {start} AS a, ch AS b, count(*) AS n FROM w WHERE pos = 1 GROUP BY ALL
            UNION ALL
            SELECT ch, coalesce(nxt, CASE WHEN conv THEN {conv_s} ELSE {null_s} END), count(*) FROM w GROUP BY ALL
        """).fetchnumpy()
    except duckdb.OutOfMemoryException as exc:
        raise _too_small(store, "attribution", exc) from None
    finally:
        con.close()
    size = k + 3
    markov = np.zeros(size * size, dtype=np.int64)
    np.add.at(markov, trans["a"].astype(np.int64) * size + trans["b"].astype(np.int64), trans["n"].astype(np.int64))
    return {
        "channels": channels,
        "ch": np.asarray(conv["ch"], dtype=np.int64),
        "path": np.asarray(conv["path"], dtype=np.int64),
        "ts": np.asarray(conv["ts"], dtype=np.int64),
        "markov": markov.reshape(size, size).astype(np.float64),
        "n_unknown": int(n_unknown),
        "orphan": int(orphan),
        "after": int(after),
        "used": int(used),
    }


def key_visits(store, lookup, is_key_c) -> int:
    """Touchpoints whose contact (the key's first row) is a key account, counted by DuckDB.

    What :func:`~kpikit.analysis.key_accounts.key_accounts` counts as key-account visits, without
    reading the touchpoints into memory: keys compared as :func:`paths_from_parquet` compares them.
    """
    import duckdb

    first = lookup.first
    rows = first[is_key_c[first]]
    fold = "lower" if lookup._ints is not None else ""
    keys = pa.array(lookup._keys.array, from_pandas=True)
    wanted = pa.table({"key": keys.take(pa.array(rows)) if len(rows) else pa.array([], pa.large_string())})
    con = connect(store)
    try:
        con.register("wanted", wanted)
        tp = str(store.path / "touchpoints.parquet").replace("'", "''")
        (n,) = con.execute(f"""
            SELECT count(*) FROM read_parquet('{tp}') t
            JOIN (SELECT DISTINCT {fold}(key) AS jk FROM wanted) w ON w.jk = {fold}(t.contact_key)
        """).fetchone()
    except duckdb.OutOfMemoryException as exc:
        raise _too_small(store, "counting key-account visits", exc) from None
    finally:
        con.close()
    return int(n)
