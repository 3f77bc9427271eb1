"""Workshop interaction latency on a big generated client.

One interaction = a control change -> scenario recomputed -> readout HTML and
every chart spec of the explorer regenerated and pushed to its JupyterChart.
For each explorer, 200 random control changes (seeded): p50 / p95 / max in ms.
Target: p95 < 50 ms.

Reference measured in the same run: answering one targeting interaction
without the precomputed cube, i.e. asking the engine for the ad-group table
of the full model again (``segment_table(model, by="ad_group")`` on a fresh
model object, so its cache cannot help). The ratio says what precomputing buys.

The ``plan_quarter`` explorer's start-up includes fitting the engine's forecast and simulating
every platform on its spend grid (:func:`kpikit.explore.precompute.forecast_grid`).

Run: .venv/bin/python benchmarks/bench_explore.py [--contacts N] [--touchpoints N] [--n 200] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import statistics
import time

import ipywidgets as w
import numpy as np


def _random_value(control, rng):
    if isinstance(control, w.SelectMultiple):
        opts = list(control.options)
        k = int(rng.integers(0, min(3, len(opts)) + 1))
        return tuple(rng.choice(opts, size=k, replace=False).tolist()) if k else ()
    if isinstance(control, (w.SelectionSlider, w.Dropdown, w.ToggleButtons)):
        values = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return values[int(rng.integers(0, len(values)))]
    if isinstance(control, w.IntSlider):
        return int(rng.integers(control.min, control.max + 1))
    if isinstance(control, w.FloatSlider):
        return float(rng.uniform(control.min, control.max))
    if isinstance(control, w.FloatText):
        return float(np.round(10 ** rng.uniform(0, 6), 2))
    raise TypeError(type(control))


def bench(explorer, n: int, rng) -> list[float]:
    """Milliseconds per interaction that changed a control (and so refreshed)."""
    times = []
    names = list(explorer.controls)
    while len(times) < n:
        control = explorer.controls[names[int(rng.integers(0, len(names)))]]
        value = _random_value(control, rng)
        if value == control.value:
            continue
        before = explorer.refreshes
        t0 = time.perf_counter()
        control.value = value
        dt = (time.perf_counter() - t0) * 1000
        if explorer.refreshes > before:
            times.append(dt)
    return times


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--contacts", type=int, default=1_000_000)
    ap.add_argument("--touchpoints", type=int, default=3_000_000)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--only", nargs="*", default=None, help="explorer names to time (default: all)")
    args = ap.parse_args()

    from kpikit import explore
    from kpikit.analysis.segments import segment_table
    from kpikit.explore.precompute import precompute
    from kpikit.samples import synthetic_model

    t = time.perf_counter()
    model = synthetic_model(args.contacts, args.touchpoints)
    print(f"model: {model}  (generated in {time.perf_counter() - t:.1f} s)")
    t = time.perf_counter()
    cube = precompute(model)
    print(f"precompute (engine segment table, once): {time.perf_counter() - t:.1f} s -> {len(cube.facts):,} cube rows")

    ref = []
    for seed in range(3):
        fresh = synthetic_model(args.contacts, args.touchpoints, seed=seed + 100)
        t = time.perf_counter()
        segment_table(fresh, by="ad_group")
        ref.append((time.perf_counter() - t) * 1000)
    ref_ms = statistics.median(ref)
    print(f"reference: one interaction without the cube (engine on the full model): {ref_ms:,.0f} ms")

    rng = np.random.default_rng(0)
    print(f"\n{'explorer':<20}{'start s':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'ref/p50':>10}  target p95<50ms")
    worst = 0.0
    names = ("targeting", "budget_shift", "outcome_switch", "attribution_switch", "incentive", "vanity_cost",
             "plan_quarter")  # fmt: skip
    for name in args.only or names:
        t = time.perf_counter()
        ex = getattr(explore, name)(model)
        start = time.perf_counter() - t
        times = bench(ex, args.n, rng)
        p50, p95 = np.percentile(times, 50), np.percentile(times, 95)
        worst = max(worst, p95)
        ok = "ok" if p95 < 50 else "MISSED"
        print(f"{name:<20}{start:>9.1f}{p50:>9.1f}{p95:>9.1f}{max(times):>9.1f}{ref_ms / p50:>9.0f}x  {ok}")
    print(f"\nworst p95: {worst:.1f} ms ({'meets' if worst < 50 else 'misses'} the 50 ms target)")


if __name__ == "__main__":
    main()
