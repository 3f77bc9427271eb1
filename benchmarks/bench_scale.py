"""Benchmark: a client larger than memory (10M contacts / 30M touchpoints) analysed out of core in a 6 GB cgroup.

Run: ``.venv/bin/python benchmarks/bench_scale.py [--contacts 10000000] [--touchpoints 30000000]
[--dir /tmp/kpikit-scale] [--cgroup-limit 6GB] [--memory-limit 1.5GB]``

1. **Generate** (or reuse, when ``DIR/generated.json`` says the same sizes and seed) the client as
   ``<table>.parquet`` with :func:`kpikit.samples.write_synthetic_parquet`: touchpoints written a
   block at a time, never all in memory.
2. **kpikit out of core** in a child process placed in a cgroup-v1 memory cgroup with
   ``memory.limit_in_bytes`` = ``--cgroup-limit`` (the kernel OOM-kills above it), DuckDB's
   ``memory_limit`` = ``--memory-limit`` (1.5GB: at 10M contacts the prepared contacts take about
   4 GB of the 6, and kpikit refuses a DuckDB limit above the room left): the model is opened with
   :func:`kpikit.ingest.cache.open_entry` (spend, contacts, deals in pandas; touchpoints left in
   Parquet) and runs bench_analysis's ``run_kpikit``: funnel by campaign, cost per outcome, and
   attribution under all 8 models (Markov included); with ``--cube`` also the workshop's
   precomputed cube (``explore.precompute``). Printed: wall and CPU time per step, the
   process's VmRSS/VmHWM after each step, and the cgroup's ``memory.max_usage_in_bytes`` (which
   also counts page cache of the Parquet files read, reclaimable) and ``failcnt``. Where the
   cgroup cannot be made (not root, cgroup v2), the child runs unconfined and only its VmHWM is
   compared with the limit; the output says which.
   The tables are read through memory-mapped Arrow copies (``kpikit.ingest.cache.read_mapped``),
   written inside the cgroup on a cold run (the default: ``--warm`` reuses them); the client's
   files are first dropped from the page cache (``posix_fadvise``), so every page the child reads
   is charged to its own cgroup.
3. **DuckDB SQL reference** (bench_analysis's SQL, over the same Parquet files, outside the
   cgroup, within ``--reference-limit``): stage counts per campaign must be equal exactly, credits
   under every model within bench_analysis's tolerance (rtol 1e-6).
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import bench_analysis as ba  # noqa: E402  (this folder's module)

CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
_UNITS = {"KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12, "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}


def to_bytes(amount: str) -> int:
    """``"6GB"`` -> 6_000_000_000 (DuckDB's reading of the units: GB = 10^9, GiB = 2^30)."""
    a = amount.strip().upper()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if a.endswith(unit):
            return int(float(a[: -len(unit)]) * _UNITS[unit])
    raise SystemExit(f"not an amount of memory: {amount!r} (e.g. 6GB)")


def generate(folder: Path, n_contacts: int, n_touchpoints: int, seed: int) -> dict:
    """Write the client (in a child, so its peak is its own) or reuse the one written before."""
    marker = folder / "generated.json"
    want = {"contacts": n_contacts, "touchpoints": n_touchpoints, "seed": seed}
    if marker.is_file():
        done = json.loads(marker.read_text())
        if {k: done.get(k) for k in want} == want:
            return done | {"reused": True}
    folder.mkdir(parents=True, exist_ok=True)
    code = (
        "import json, sys, time, resource\n"
        "from kpikit.samples import write_synthetic_parquet\n"
        "t0 = time.perf_counter()\n"
        "write_synthetic_parquet(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), seed=int(sys.argv[4]))\n"
        "r = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(json.dumps({'seconds': time.perf_counter() - t0, 'cpu': r.ru_utime + r.ru_stime,\n"
        "                  'peak_mib': r.ru_maxrss / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(folder), str(n_contacts), str(n_touchpoints), str(seed)],
        check=True,
        capture_output=True,
        text=True,
    )
    done = want | json.loads(out.stdout.strip().splitlines()[-1])
    done["bytes"] = {p.name: p.stat().st_size for p in sorted(folder.glob("*.parquet"))}
    marker.write_text(json.dumps(done, indent=2))
    return done | {"reused": False}


# --------------------------------------------------------------------------- the confined child


def _status() -> tuple[float, float, float]:
    """VmRSS, of it RssAnon (what only the OOM killer can take back), and VmHWM, in MiB."""
    return ba._rss_kb("VmRSS") / 1024, ba._rss_kb("RssAnon") / 1024, ba._rss_kb("VmHWM") / 1024


def child(folder: Path, seed: int, memory_limit: str, out: Path) -> None:
    """Inside the cgroup: open the client, run the analyses step by step, pickle what came out."""
    import duckdb  # noqa: F401  (import cost outside the timing, like bench_analysis)

    import kpikit.analysis  # noqa: F401
    from kpikit.analysis import attribution, cost_per_outcome, funnel
    from kpikit.analysis._prepare import prepare
    from kpikit.ingest.cache import open_entry
    from kpikit.samples import synthetic_config

    steps = []
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    mark = [t0]

    def step(name: str) -> None:
        now = time.perf_counter()
        steps.append((name, now - mark[0], *_status()))
        mark[0] = now

    steps.append(("imports", 0.0, *_status()))
    model = open_entry(folder, synthetic_config(seed), memory_limit)
    step("open: spend, contacts, deals read; touchpoints left in Parquet")
    prepare(model)
    step("prepare (contacts, deals: stage dates, campaign keys, lookup)")
    f = funnel(model, by="campaign")
    step("funnel by campaign")
    c = cost_per_outcome(model, by="campaign")
    step("cost per outcome by campaign")
    a = attribution(model, models=[*ba.RULE_MODELS, "markov"])
    step("attribution, 8 models (paths by DuckDB)")
    if os.environ.get("KPIKIT_BENCH_CUBE"):
        from kpikit.explore.precompute import _build

        _build(model)
        step("workshop cube (explore.precompute), touchpoints still on disk")
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        "counts": f.wide().reset_index(),
        "cost_per_opportunity": c.frame.set_index("campaign")["cost_per_opportunity"],
        "credits": a.credits.pivot(index="channel", columns="model", values="conversions"),
    }
    stats = {
        "wall": elapsed,
        "cpu": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime),
        "steps": steps,
        "touchpoints_loaded": model.raw("touchpoints").loaded,
        "touches_used": a.totals.get("touchpoints_used"),
        "model": repr(model),
    }
    with open(out, "wb") as fh:
        pickle.dump({"result": result, "stats": stats}, fh)


def _cgroup(limit: int) -> Path | None:
    """A fresh memory cgroup limited to ``limit`` bytes, or None when it cannot be made."""
    cg = CGROUP_ROOT / f"kpikit-bench-scale-{os.getpid()}"
    try:
        cg.mkdir()
        (cg / "memory.limit_in_bytes").write_text(str(limit))
        if int((cg / "memory.limit_in_bytes").read_text()) > limit:
            raise OSError("limit not applied")
    except OSError:
        if cg.is_dir():
            cg.rmdir()
        return None
    return cg


def _read(cg: Path, name: str) -> str:
    return (cg / name).read_text().strip()


def evict(folder: Path) -> None:
    """Drop this client's files from the page cache (only these files: other benchmarks keep theirs).

    Pages already cached were charged to whichever cgroup read them first; evicted, every page
    the child reads is charged to its own cgroup, so its limit covers them too.
    """
    for path in folder.rglob("*"):
        if path.is_file():
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)  # dirty pages cannot be dropped
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)


def run_confined(folder: Path, seed: int, cgroup_limit: str, memory_limit: str, warm: bool = False) -> dict:
    limit = to_bytes(cgroup_limit)
    if not warm:  # a cold start: the memory-mapped copies are written inside the cgroup too
        for mapped in folder.glob("*.arrow"):
            mapped.unlink()
    evict(folder)
    out = folder / "bench_scale_result.pickle"
    out.unlink(missing_ok=True)
    args = [sys.executable, str(Path(__file__).resolve()), "--child", str(folder), str(seed), memory_limit, str(out)]
    cg = _cgroup(limit)
    if cg is not None:
        # The shell joins the cgroup, then becomes the child: every byte it allocates is charged there.
        args = ["sh", "-c", f'echo $$ > {cg}/cgroup.procs && exec "$@"', "sh", *args]
    t0 = time.perf_counter()
    proc = subprocess.run(args)
    wall = time.perf_counter() - t0
    info = {"cgroup": str(cg) if cg else None, "limit": limit, "returncode": proc.returncode, "process_wall": wall}
    if cg is not None:
        info["max_usage"] = int(_read(cg, "memory.max_usage_in_bytes"))
        info["failcnt"] = int(_read(cg, "memory.failcnt"))
        info["oom_control"] = dict(line.split() for line in _read(cg, "memory.oom_control").splitlines())
        try:
            cg.rmdir()
        except OSError:
            pass
    if proc.returncode != 0:
        how = {-9: "killed by the kernel (OOM)", 137: "killed by the kernel (OOM)", 2: "kpikit refused (above)"}.get(
            proc.returncode, f"exit {proc.returncode}"
        )
        raise SystemExit(f"kpikit out of core failed: {how}; cgroup: {info}")
    with open(out, "rb") as fh:
        got = pickle.load(fh)
    out.unlink()
    return got | {"confinement": info}


# --------------------------------------------------------------------------- the SQL reference


def run_reference(folder: Path, limit: str) -> tuple[dict, float, float]:
    """bench_analysis's DuckDB SQL over the Parquet files (read in place, not registered frames)."""
    import duckdb

    con = duckdb.connect(config={"memory_limit": limit, "temp_directory": str(folder / "reference_tmp")})
    for name in ("spend", "contacts", "deals"):
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / (name + '.parquet')}')")
    con.execute(
        "CREATE VIEW tp AS SELECT * EXCLUDE (file_row_number), file_row_number AS i "
        f"FROM read_parquet('{folder / 'touchpoints.parquet'}', file_row_number = true)"
    )
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out = ba.duckdb_results(con, None)  # the synthetic client has no campaign map
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    con.close()
    return out, elapsed, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def check_exact_counts(k: dict, d: dict) -> None:
    """Stage counts per campaign equal as integers (bench_analysis.check uses allclose); cost per opportunity close."""
    from kpikit.analysis.joins import normalise_names

    kc = k["counts"].copy()
    kc["k"] = normalise_names(kc["campaign"]).where(kc["campaign"] != "(not set)", "(not set)")
    kc = kc.set_index("k")
    dc = d["counts"].assign(k=d["counts"]["k"].fillna("(not set)")).set_index("k")
    for stage in ("impressions", "clicks", "lead", "mql", "sql", "opportunity", "won"):
        got = kc[stage].astype("int64")
        want = dc[stage].reindex(got.index).astype("int64")
        assert (got == want).all(), stage
    # Cost per opportunity per campaign (money: bench_analysis's tolerance).
    cpo = k["cost_per_opportunity"]
    names = pd.Series(cpo.index, dtype="str")
    keys = normalise_names(names).where(names != "(not set)", "(not set)")
    got = pd.Series(cpo.to_numpy(dtype="float64"), index=keys.to_numpy()).dropna()
    want = dc["cost_per_opportunity"].astype("float64").reindex(got.index)
    assert len(got) and np.allclose(got.to_numpy(), want.to_numpy(), rtol=1e-6), "cost_per_opportunity"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=10_000_000)
    ap.add_argument("--touchpoints", type=int, default=30_000_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/kpikit-scale"), help="where the client's Parquet goes")
    ap.add_argument("--cgroup-limit", default="6GB", help="memory.limit_in_bytes of the child's cgroup")
    ap.add_argument("--memory-limit", default="1.5GB", help="kpikit's (DuckDB's) memory_limit inside it")
    ap.add_argument("--reference-limit", default="8GB", help="DuckDB memory_limit of the SQL reference")
    ap.add_argument("--no-reference", action="store_true", help="skip the SQL cross-check")
    ap.add_argument("--cube", action="store_true", help="also build the workshop's precomputed cube in the child")
    ap.add_argument("--warm", action="store_true", help="reuse the memory-mapped .arrow copies of a previous run")
    ap.add_argument("--child", nargs=4, metavar=("DIR", "SEED", "LIMIT", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        from kpikit.errors import KpikitError

        d, seed, limit, out = args.child
        try:
            child(Path(d), int(seed), limit, Path(out))
        except KpikitError as exc:  # e.g. MemoryLimitError: kpikit's message, as the CLI prints it
            print(f"kpikit: {type(exc).__name__}: {exc}", file=sys.stderr)
            sys.exit(2)
        return
    folder = args.dir / f"c{args.contacts}-t{args.touchpoints}-s{args.seed}"
    gen = generate(folder, args.contacts, args.touchpoints, args.seed)
    size = sum(gen["bytes"].values()) / 2**20
    print(
        f"client: {args.contacts:,} contacts, {args.touchpoints:,} touchpoints in {folder} ({size:,.0f} MiB Parquet); "
        + (
            "reused"
            if gen["reused"]
            else f"generated in {gen['seconds']:.1f} s wall, {gen['cpu']:.1f} s CPU, peak {gen['peak_mib']:,.0f} MiB"
        ),
        flush=True,
    )
    if args.cube:
        os.environ["KPIKIT_BENCH_CUBE"] = "1"
    got = run_confined(folder, args.seed, args.cgroup_limit, args.memory_limit, args.warm)
    st, cf = got["stats"], got["confinement"]
    print(f"{st['model']}; touchpoints read into pandas: {st['touchpoints_loaded']}")
    print(f"{'step':<64} {'wall s':>7} {'VmRSS MiB':>10} {'RssAnon':>8} {'VmHWM MiB':>10}")
    for name, secs, rss, anon, hwm in st["steps"]:
        print(f"{name:<64} {secs:7.1f} {rss:10,.0f} {anon:8,.0f} {hwm:10,.0f}")
    hwm = st["steps"][-1][-1]
    limit_mib = cf["limit"] / 2**20
    print(
        f"kpikit out of core (DuckDB memory_limit {args.memory_limit}): {st['wall']:.1f} s wall, {st['cpu']:.1f} s CPU"
    )
    if cf["cgroup"]:
        print(
            f"confined by cgroup v1 {cf['cgroup']}: memory.limit_in_bytes {cf['limit']:,} ({limit_mib:,.0f} MiB); "
            f"memory.max_usage_in_bytes {cf['max_usage']:,} ({cf['max_usage'] / 2**20:,.0f} MiB, incl. page cache); "
            f"failcnt {cf['failcnt']}; oom_kill {cf['oom_control'].get('oom_kill', '?')}; "
            f"peak RSS (VmHWM) {hwm:,.0f} MiB"
        )
        print(
            "  (VmHWM counts mapped file pages too, e.g. shared libraries already cached and charged to other "
            "cgroups, so it can exceed the cgroup's limit; RssAnon is what only the OOM killer could take back)"
        )
    else:
        print(
            f"NOT confined (no writable cgroup v1 memory controller): peak RSS (VmHWM) {hwm:,.0f} MiB "
            f"against the {limit_mib:,.0f} MiB limit: {'within' if hwm <= limit_mib else 'OVER'}"
        )
    if args.no_reference:
        return
    ref, secs, cpu = run_reference(folder, args.reference_limit)
    print(f"DuckDB SQL reference over the Parquet files: {secs:.1f} s wall, {cpu:.1f} s CPU", flush=True)
    check_exact_counts(got["result"], ref)
    ba.check(got["result"], ref)
    print(
        "results agree: stage counts per campaign (exactly), cost per opportunity and channel credit under "
        "8 attribution models (rtol 1e-6)"
    )


if __name__ == "__main__":
    main()
