"""``kpikit demo``: the main job on the bundled sample clients.

Loads every sample client (printing each load's reconciliation), then runs the
batch report for all of them and says where the output is. ``make demo`` calls
this after setting up ``.venv``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path


def _load_summary(config: Path) -> str:
    from kpikit import load_client
    from kpikit.core.fmt import fmt

    model = load_client(config)
    report = model.load_report.to_dict()
    files = report.get("files", [])
    read = sum(f.get("rows_read", 0) for f in files)
    loaded = sum(f.get("rows_loaded", 0) for f in files)
    dropped: dict[str, int] = {}
    for f in files:
        for reason, n in (f.get("dropped") or {}).items():
            dropped[reason] = dropped.get(reason, 0) + n
    why = ", ".join(f"{n:,} {reason}" for reason, n in sorted(dropped.items())) or "none"
    spend = model.spend["cost"].sum()
    currency = model.config.currency
    return (
        f"  {model.config.client:<12} {len(files)} files, {read:,} rows read, {loaded:,} loaded, dropped: {why}; "
        f"spend {fmt(spend, 'money', currency)}; {len(model.contacts):,} contacts, {len(model.deals):,} deals"
    )


def main(argv: Sequence[str] | None = None) -> int:
    from kpikit.samples import DATA_SAMPLES

    parser = argparse.ArgumentParser(prog="kpikit demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="build/demo", help="output folder (default: build/demo)")
    parser.add_argument("--jobs", type=int, default=None, help="clients run in parallel (default: cores)")
    args = parser.parse_args(list(sys.argv[1:] if argv is None else argv))

    clients = DATA_SAMPLES / "clients.yaml"
    from kpikit.report.cli import expand_clients

    configs = expand_clients([clients])
    print(f"Loading {len(configs)} sample clients from {DATA_SAMPLES}:")
    for config in configs:
        print(_load_summary(config), flush=True)

    print("\nRunning the report workbook for every sample client:", flush=True)
    from kpikit.report.cli import main as report_main

    report_args = [str(clients), "--out", args.out]
    if args.jobs:
        report_args += ["--jobs", str(args.jobs)]
    status = report_main(report_args)
    index = Path(args.out).resolve() / "index.html"
    print()
    print(f"Reports: {index}" if index.exists() else "No index was written: see the messages above.")
    print(f"Metrics: {Path(args.out).resolve()}/<client>/metrics.json")
    print(f"Workshop: .venv/bin/kpikit workshop {configs[0]}")
    return status


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
