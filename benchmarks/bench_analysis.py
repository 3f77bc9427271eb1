"""Benchmark: funnel + cost per outcome + attribution (7 rule-based models + Markov), kpikit vs DuckDB SQL.

Run: ``.venv/bin/python benchmarks/bench_analysis.py [--contacts 1000000] [--touchpoints 3000000]
[--memory-limit 6GB]``

Both engines start from the same in-memory ClientModel (``kpikit.samples.synthetic_model``) and
produce the same results: stage counts per campaign (names normalised, campaign_map applied,
monotone stages, deal-derived dates), cost per stage per campaign, and channel credit under every
attribution model (Markov: transition counts in SQL, the small absorbing-chain solve in numpy for
both). Each engine runs in its own forked process, cold (kpikit's per-model cache starts empty;
DuckDB registers the frames inside the timing), so the printed peak memory is that engine's own
high-water mark above the shared model. The results are cross-checked before timings are printed.
CPU seconds (user + system, all threads) are printed beside wall time: on a loaded machine DuckDB's
threads wait for cores, so compare wall-time ratios only within one quiet run.

``--profile`` prints, instead, where kpikit's time and memory go: each step of the same work
(preparation, funnel, cost per outcome, path building, the rule models, Markov) timed on its own
in one forked child, with its peak memory above the step's start, and the path build's main
functions under cProfile (main thread only: the channel codes run beside the lookup).

``--memory-limit`` also times kpikit's out-of-core path (attribution paths built by DuckDB over the
touchpoints as Parquet, within that limit; the Parquet file is written before the timing) and checks
that its results equal the in-memory ones exactly.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

RULE_MODELS = ("first", "last", "linear", "time_decay", "u_shaped", "w_shaped", "full_path")
PREFIX = (
    r"^(li|linkedin|fb|facebook|meta|ig|instagram|ga|gads|google[\s_-]?ads|googleads|google|adwords|bing|msads|"
    r"microsoft[\s_-]?ads|tt|tiktok|twitter|x)\s*([-_:|/]\s*)+"
)


def _rss_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def _reset_hwm() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current RSS (Linux >= 4.0).
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        pass


def run_kpikit(model):
    from kpikit.analysis import attribution, cost_per_outcome, funnel

    m = model.replace()  # a new model object: kpikit's preparation cache starts cold
    f = funnel(m, by="campaign")
    c = cost_per_outcome(m, by="campaign")
    a = attribution(m, models=[*RULE_MODELS, "markov"])
    counts = f.wide().reset_index()
    return {
        "counts": counts,
        "cost_per_opportunity": c.frame.set_index("campaign")["cost_per_opportunity"],
        "credits": a.credits.pivot(index="channel", columns="model", values="conversions"),
    }


def run_kpikit_out_of_core(model):
    from kpikit.ingest.cache import ParquetStore

    store = ParquetStore(Path(os.environ["KPIKIT_BENCH_PARQUET"]), os.environ["KPIKIT_BENCH_LIMIT"], model.touchpoints)
    return run_kpikit(model.replace(store=store))


def run_duckdb(model):
    import duckdb

    con = duckdb.connect()
    con.register("spend", model.spend)
    con.register("contacts", model.contacts)
    con.register("deals", model.deals)
    con.register("tp", model.touchpoints.assign(i=np.arange(len(model.touchpoints))))
    return duckdb_results(con, model.config.campaign_map)


def duckdb_results(con, campaign_map=None):
    """The SQL reference over tables ``spend``, ``contacts``, ``deals`` and ``tp`` (with row number ``i``)."""
    from kpikit.analysis.attribution import _absorb

    cmap = campaign_map or {}
    con.register("cmap_raw", pd.DataFrame({"src": list(cmap), "dst": list(cmap.values())}, dtype="str"))
    con.execute(f"""
        CREATE MACRO norm(x) AS nullif(trim(regexp_replace(regexp_replace(lower(trim(x)), '{PREFIX}', ''),
                                                           '[\\s_\\-]+', ' ', 'g')), '');
        CREATE TEMP TABLE cmap AS SELECT norm(src) src, norm(dst) dst FROM cmap_raw;
        -- normalise each distinct name once, then join on the raw text (what a careful SQL author does)
        CREATE TEMP TABLE nk AS
          WITH names AS (SELECT campaign raw FROM spend UNION SELECT campaign FROM contacts
                         UNION SELECT campaign FROM deals)
          SELECT raw, norm(raw) k_spend, coalesce(m.dst, norm(raw)) k_crm
          FROM names LEFT JOIN cmap m ON m.src = norm(raw) WHERE raw IS NOT NULL;
        CREATE TEMP TABLE dfirst AS
          SELECT contact_key, min(created_date) opp,
                 min(coalesce(close_date, created_date)) FILTER (is_won) won,
                 sum(amount) FILTER (is_won) value
          FROM deals WHERE contact_key IS NOT NULL GROUP BY 1;
        CREATE TEMP TABLE cs AS
          SELECT c.contact_key, c.created_date, nk.k_crm k,
                 coalesce(c.opportunity_date, f.opp) opp, coalesce(c.won_date, f.won) won,
                 c.sql_date, c.mql_date, coalesce(f.value, 0) value
          FROM contacts c LEFT JOIN nk ON nk.raw = c.campaign LEFT JOIN dfirst f USING (contact_key);
    """)
    counts = con.sql("""
        WITH sp AS (SELECT nk.k_spend k, sum(impressions) impressions, sum(clicks) clicks, sum(cost) cost
                    FROM spend LEFT JOIN nk ON nk.raw = spend.campaign GROUP BY 1),
        co AS (SELECT k, count(*) lead,
                      count(*) FILTER (mql_date IS NOT NULL OR sql_date IS NOT NULL OR opp IS NOT NULL
                                       OR won IS NOT NULL) mql,
                      count(*) FILTER (sql_date IS NOT NULL OR opp IS NOT NULL OR won IS NOT NULL) sql
               FROM cs GROUP BY 1),
        de AS (SELECT coalesce(nk.k_crm, cs.k) k, count(*) opportunity, count(*) FILTER (d.is_won) won
               FROM deals d LEFT JOIN nk ON nk.raw = d.campaign LEFT JOIN cs USING (contact_key)
               GROUP BY 1)
        SELECT coalesce(sp.k, co.k, de.k) k, coalesce(impressions, 0) impressions, coalesce(clicks, 0) clicks,
               coalesce(cost, 0) cost, coalesce(lead, 0) lead, coalesce(mql, 0) mql, coalesce(sql, 0) sql,
               coalesce(opportunity, 0) opportunity, coalesce(won, 0) won,
               CASE WHEN coalesce(cost, 0) > 0 AND opportunity > 0 THEN cost / opportunity END cost_per_opportunity
        FROM sp FULL JOIN co ON sp.k IS NOT DISTINCT FROM co.k
                FULL JOIN de ON coalesce(sp.k, co.k) IS NOT DISTINCT FROM de.k
    """).df()
    con.execute("""
        CREATE TEMP TABLE path AS
        WITH t AS (
          SELECT tp.contact_key, coalesce(tp.channel, '(not set)') ch, tp.timestamp ts, tp.i,
                 cs.opp IS NOT NULL conv, coalesce(cs.value, 0) value,
                 -- kpikit's cutoff: times compared where both sides have one, whole days otherwise
                 CASE WHEN cs.created_date <> date_trunc('day', cs.created_date)
                           AND tp.timestamp <> date_trunc('day', tp.timestamp)
                      THEN cs.created_date + INTERVAL 1 MICROSECOND
                      ELSE CAST(date_trunc('day', cs.created_date) AS TIMESTAMP) + INTERVAL 1 DAY END lead_cut,
                 CASE WHEN cs.opp IS NULL THEN TIMESTAMP '9999-01-01'
                      WHEN cs.opp <> date_trunc('day', cs.opp) AND tp.timestamp <> date_trunc('day', tp.timestamp)
                      THEN cs.opp + INTERVAL 1 MICROSECOND
                      ELSE CAST(date_trunc('day', cs.opp) AS TIMESTAMP) + INTERVAL 1 DAY END opp_cut
          FROM tp LEFT JOIN cs USING (contact_key)
          WHERE tp.contact_key IS NOT NULL AND tp.timestamp IS NOT NULL)
        SELECT *, row_number() OVER w pos, count(*) OVER (PARTITION BY contact_key) n,
               count(*) FILTER (ts < lead_cut) OVER (PARTITION BY contact_key) n_lead,
               count(*) FILTER (ts < opp_cut) OVER (PARTITION BY contact_key) n_opp,
               max(ts) OVER (PARTITION BY contact_key) last_ts,
               lead(ch) OVER w nxt
        FROM t WHERE ts < opp_cut OR NOT conv
        WINDOW w AS (PARTITION BY contact_key ORDER BY ts, i)
    """)
    # all seven rule-based models in one pass over the converting touches
    credits = con.sql("""
        WITH w AS (
          SELECT contact_key, ch, n, pos, greatest(least(n_lead, n), 1) li, greatest(least(n_opp, n), 1) oi,
                 pow(2, -epoch(last_ts - ts) / 86400.0 / 7.0) decay
          FROM path WHERE conv),
        r AS (
          SELECT *, decay / sum(decay) OVER (PARTITION BY contact_key) td,
            (pos = 1)::INT * 0.3 + (pos = li)::INT * 0.3 + (pos = oi)::INT * 0.3 AS wk,
            (pos = 1 OR pos = li OR pos = oi) AS wkey,
            (pos = 1)::INT * 0.225 + (pos = li)::INT * 0.225 + (pos = oi)::INT * 0.225 + (pos = n)::INT * 0.225 AS fk,
            (pos = 1 OR pos = li OR pos = oi OR pos = n) AS fkey,
            sum((pos = 1 OR pos = li OR pos = oi)::INT) OVER (PARTITION BY contact_key) wn,
            sum((pos = 1 OR pos = li OR pos = oi OR pos = n)::INT) OVER (PARTITION BY contact_key) fn
          FROM w)
        SELECT ch,
          sum(CASE WHEN pos = 1 THEN 1 ELSE 0 END) first,
          sum(CASE WHEN pos = n THEN 1 ELSE 0 END) last,
          sum(1.0 / n) linear,
          sum(td) time_decay,
          sum(CASE WHEN n = 1 THEN 1.0 WHEN n = 2 THEN 0.5 WHEN pos = 1 OR pos = n THEN 0.4 ELSE 0.2 / (n - 2) END)
            u_shaped,
          sum(CASE WHEN n > wn THEN (CASE WHEN wkey THEN wk ELSE 0.1 / (n - wn) END) ELSE wk / 0.9 END) w_shaped,
          sum(CASE WHEN n > fn THEN (CASE WHEN fkey THEN fk ELSE 0.1 / (n - fn) END) ELSE fk / 0.9 END) full_path
        FROM r GROUP BY ch
    """).df()
    trans = con.sql("""
        SELECT 'start' a, ch b, count(*) n FROM path WHERE pos = 1 GROUP BY ALL
        UNION ALL SELECT ch, coalesce(nxt, CASE WHEN conv THEN 'conv' ELSE 'null' END), count(*) FROM path GROUP BY ALL
    """).df()
    channels = sorted(set(trans["b"]) - {"conv", "null"})
    k = len(channels)
    idx = {c: i for i, c in enumerate(channels)} | {"start": k, "conv": k + 1, "null": k + 2}
    counts_m = np.zeros((k + 3, k + 3))
    np.add.at(counts_m, (trans["a"].map(idx).to_numpy(), trans["b"].map(idx).to_numpy()), trans["n"].to_numpy())
    p_full = _absorb(counts_m, k, None)
    effects = np.clip([1 - _absorb(counts_m, k, i) / p_full for i in range(k)], 0, None)
    n_conv = con.sql("SELECT count(DISTINCT contact_key) FROM path WHERE conv").fetchall()[0][0]
    markov = pd.Series(effects / effects.sum() * n_conv, index=channels)
    credits = credits.set_index("ch")
    credits["markov"] = markov
    return {"counts": counts, "credits": credits}


def _measured(fn, model):
    """``fn(model)``'s wall seconds, peak MiB above the RSS at its start, CPU seconds, and its result."""
    _reset_hwm()
    start = _rss_kb("VmRSS")
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.perf_counter()
    out = fn(model)
    elapsed = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    return elapsed, (_rss_kb("VmHWM") - start) / 1024, cpu, out


def _child(fn, model, queue):
    queue.put(_measured(fn, model))


def timed(fn, model):
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_child, args=(fn, model, q))
    p.start()
    result = q.get()
    p.join()
    return result


def check(k, d) -> None:
    from kpikit.analysis.joins import normalise_names

    kc = k["counts"].copy()
    kc["k"] = normalise_names(kc["campaign"]).where(kc["campaign"] != "(not set)", "(not set)")
    kc = kc.set_index("k")
    dc = d["counts"].assign(k=d["counts"]["k"].fillna("(not set)")).set_index("k")
    assert sorted(kc.index) == sorted(dc.index)
    for stage in ("impressions", "clicks", "lead", "mql", "sql", "opportunity", "won"):
        got = kc[stage]
        want = dc[stage].reindex(got.index)
        assert np.allclose(got.to_numpy(float), want.to_numpy(float)), stage
    kcr = k["credits"]
    for model in (*RULE_MODELS, "markov"):
        want = d["credits"][model]
        got = kcr[model].reindex(want.index)
        assert np.allclose(got.to_numpy(float), want.to_numpy(float), rtol=1e-6), model


#: The functions of ``build_paths`` the profile reports, by (file, function), in words.
_PATH_PARTS = {
    ("_prepare.py", "positions"): "contact lookup (key hashing)",
    ("attribution.py", "of"): "conversion, lead and opportunity cutoffs",
    ("attribution.py", "_kept_touches"): "touches kept, orphan and after-conversion counts",
    ("attribution.py", "_path_order"): "sort by (path, time)",
    ("algorithms.py", "factorize"): "ids for unknown contact keys",
}


def _profile_steps(model):
    """Each step's (name, wall s, peak MiB, CPU s), and build_paths' parts' cumulative seconds under cProfile."""
    import cProfile
    import pstats

    from kpikit.analysis import ATTRIBUTION_MODELS, cost_per_outcome, funnel
    from kpikit.analysis._prepare import prepare
    from kpikit.analysis.attribution import build_paths

    m = model.replace()
    params = {"half_life_days": 7.0}
    state = {}

    def rules(m):
        for name in RULE_MODELS:
            ATTRIBUTION_MODELS[name].credit(state["paths"], params)

    steps = [
        ("prepare (names, joins, key accounts)", prepare),
        ("funnel by campaign", lambda m: funnel(m, by="campaign")),
        ("cost per outcome by campaign", lambda m: cost_per_outcome(m, by="campaign")),
        ("attribution paths (build_paths)", lambda m: state.update(paths=build_paths(m))),
        ("7 rule-based models", rules),
        ("markov", lambda m: ATTRIBUTION_MODELS["markov"].credit(state["paths"], params)),
    ]
    rows = [(name, *_measured(fn, m)[:3]) for name, fn in steps]
    prof = cProfile.Profile()
    prof.runcall(build_paths, m)
    parts = {}
    for (file, _line, func), (_cc, _nc, _tt, cum, _callers) in pstats.Stats(prof).stats.items():
        words = _PATH_PARTS.get((Path(file).name, func))
        if words:
            parts[words] = parts.get(words, 0.0) + cum
    return rows, parts


def profile(n_contacts: int, n_touchpoints: int) -> None:
    """Print each step's wall time, CPU time and peak memory for one synthetic client."""
    from kpikit.samples import synthetic_model

    model = synthetic_model(n_contacts, n_touchpoints, seed=0)
    print(f"model: {model!r}")
    rows, parts = timed(_profile_steps, model)[3]
    for name, wall, peak, cpu in rows:
        print(f"  {name:<38} {wall:6.2f} s wall {cpu:6.2f} s CPU   peak above its start: {peak:6.0f} MiB")
    print(f"  {'total':<38} {sum(r[1] for r in rows):6.2f} s wall {sum(r[3] for r in rows):6.2f} s CPU")
    print("  build_paths under cProfile (cumulative, main thread):")
    for words, cum in sorted(parts.items(), key=lambda kv: -kv[1]):
        print(f"    {words:<52} {cum:6.2f} s")


def bench(n_contacts: int, n_touchpoints: int, repeat: int, memory_limit: str | None) -> dict:
    """Time every engine on one synthetic client; print the table; return the best times."""
    from kpikit.samples import synthetic_model

    t0 = time.perf_counter()
    model = synthetic_model(n_contacts, n_touchpoints, seed=0)
    print(f"model: {model!r} built in {time.perf_counter() - t0:.1f} s; cores: {os.cpu_count()}")
    engines = [("kpikit", run_kpikit), ("duckdb", run_duckdb)]
    tmp = None
    if memory_limit:
        tmp = tempfile.TemporaryDirectory(prefix="kpikit-bench-")
        model.touchpoints.to_parquet(Path(tmp.name) / "touchpoints.parquet")
        os.environ.update(KPIKIT_BENCH_PARQUET=tmp.name, KPIKIT_BENCH_LIMIT=memory_limit)
        engines.append((f"kpikit out of core ({memory_limit})", run_kpikit_out_of_core))
    best = {}
    outs = {}
    for _ in range(repeat):
        for name, fn in engines:
            elapsed, peak, cpu, out = timed(fn, model)
            outs[name] = out
            if name not in best or elapsed < best[name][0]:
                best[name] = (elapsed, peak, cpu)
    check(outs["kpikit"], outs["duckdb"])
    print("results agree: stage counts per campaign and channel credit under 8 attribution models")
    if tmp is not None:
        ooc = outs[engines[-1][0]]
        assert ooc["counts"].equals(outs["kpikit"]["counts"]) and ooc["credits"].equals(outs["kpikit"]["credits"])
        print("out of core: identical to in memory (counts and credits compared exactly)")
        tmp.cleanup()
    for name, (elapsed, peak, cpu) in best.items():
        print(f"{name:>7}: {elapsed:6.2f} s wall  {cpu:6.2f} s CPU   peak memory above the model: {peak:7.0f} MiB")
    ratio = best["kpikit"][0] / best["duckdb"][0]
    print(f"ratio kpikit / duckdb = {ratio:.2f} ({'faster' if ratio < 1 else 'SLOWER'} than DuckDB; target <= 1.0)")
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--touchpoints", type=int, default=3_000_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--memory-limit", default=None, help="also time kpikit out of core within this limit, e.g. 6GB")
    ap.add_argument(
        "--scale", type=int, default=1, metavar="K", help="also run K times the size and print how the time grew"
    )
    ap.add_argument("--profile", action="store_true", help="print where kpikit's time and memory go, step by step")
    args = ap.parse_args()
    if args.profile:
        for k in sorted({1, args.scale}):
            profile(args.contacts * k, args.touchpoints * k)
        return
    import duckdb  # noqa: F401  (import cost outside the timing, like kpikit's)

    import kpikit.analysis  # noqa: F401

    small = bench(args.contacts, args.touchpoints, args.repeat, args.memory_limit)
    if args.scale > 1:
        k = args.scale
        big = bench(args.contacts * k, args.touchpoints * k, args.repeat, args.memory_limit)
        for name in small:
            wall, cpu = big[name][0] / small[name][0], big[name][2] / small[name][2]
            print(f"{name:>7}: {k}x the data took {wall:.2f}x the wall time, {cpu:.2f}x the CPU time (target <= 3.5x)")


if __name__ == "__main__":
    main()
