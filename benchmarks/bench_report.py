"""Benchmark: `kpikit report --jobs 2` vs a sequential shell loop of papermill + nbconvert CLIs.

Both sides run the same workbook (workbooks/report.ipynb) on the same N client
copies (cycled from data_samples/), in the same run, and must produce the same
metrics.json bytes. The reference is what an agency would script by hand::

    for c in clients; do
        papermill workbooks/report.ipynb out/$c/report.ipynb -k python3 -p client_config ... -p output_dir out/$c
        jupyter nbconvert --to html --no-input out/$c/report.ipynb
    done

kpikit wins by not paying per client for a papermill process, a nbconvert
process (~5 s of imports each) and by running clients in parallel.

Usage::

    .venv/bin/python benchmarks/bench_report.py              # 40 clients (target >= 2.5x)
    .venv/bin/python benchmarks/bench_report.py --clients 6  # quick
"""

from __future__ import annotations

import argparse
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKBOOK = ROOT / "workbooks" / "report.ipynb"
TARGET = 2.5


def make_clients(n: int, folder: Path) -> list[Path]:
    """``n`` copies of the sample clients, each with its own client id."""
    from kpikit.samples import DATA_SAMPLES, SAMPLE_CLIENTS

    if folder.exists():
        shutil.rmtree(folder)
    configs = []
    for i in range(n):
        source = SAMPLE_CLIENTS[i % len(SAMPLE_CLIENTS)]
        client = f"{source}-{i:03d}"
        dst = folder / client
        shutil.copytree(DATA_SAMPLES / source, dst, ignore=shutil.ignore_patterns("snapshots"))
        config = dst / "client.yaml"
        config.write_text(re.sub(r"(?m)^client: .*$", f"client: {client}", config.read_text(encoding="utf-8")))
        configs.append(config)
    return configs


def run_kpikit(configs: list[Path], out: Path, jobs: int) -> float:
    clients_list = out.parent / "clients.yaml"
    clients_list.write_text("".join(f"- {c}\n" for c in configs), encoding="utf-8")
    start = time.perf_counter()
    cmd = [str(BIN / "kpikit"), "report", str(clients_list), "--out", str(out), "--jobs", str(jobs), "--no-progress"]
    done = subprocess.run(cmd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"kpikit report failed:\n{done.stdout}\n{done.stderr}")
    return elapsed


def run_shell_loop(configs: list[Path], out: Path) -> float:
    lines = ["set -e"]
    for config in configs:
        client = config.parent.name
        folder = out / client
        nb = folder / "report.ipynb"
        q = shlex.quote
        lines += [
            f"mkdir -p {q(str(folder))}",
            f"{q(str(BIN / 'papermill'))} {q(str(WORKBOOK))} {q(str(nb))} -k python3 --no-progress-bar "
            f"-p client_config {q(str(config))} -p output_dir {q(str(folder))} --cwd {q(str(WORKBOOK.parent))}",
            f"{q(str(BIN / 'jupyter'))} nbconvert --to html --no-input {q(str(nb))}",
        ]
    start = time.perf_counter()
    done = subprocess.run(["bash", "-c", "\n".join(lines)], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"shell loop failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=40, help="number of client reports (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="kpikit report --jobs (default 2)")
    parser.add_argument("--work", default=str(ROOT / "benchmarks" / "_data" / "report"), help="scratch folder")
    args = parser.parse_args(argv)

    work = Path(args.work)
    configs = make_clients(args.clients, work / "clients")
    ours_out, ref_out = work / "out-kpikit", work / "out-loop"
    for folder in (ours_out, ref_out):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)

    print(f"bench_report: {args.clients} client reports, same workbook, same inputs")
    ref = run_shell_loop(configs, ref_out)
    print(f"  sequential papermill + nbconvert CLI loop: {ref:8.1f} s  ({ref / args.clients:.2f} s/client)")
    ours = run_kpikit(configs, ours_out, args.jobs)
    print(f"  kpikit report --jobs {args.jobs}:                 {ours:8.1f} s  ({ours / args.clients:.2f} s/client)")

    same = all(
        (ours_out / c.parent.name / "metrics.json").read_bytes()
        == (ref_out / c.parent.name / "metrics.json").read_bytes()
        for c in configs
    )
    sizes = [(ours_out / c.parent.name / "report.html").stat().st_size for c in configs]
    ratio = ref / ours
    print(f"  identical metrics.json on both sides: {same}; report.html max {max(sizes) / 1e6:.2f} MB")
    print(f"  speed-up: {ratio:.2f}x (target >= {TARGET}x) -> {'OK' if ratio >= TARGET else 'BELOW TARGET'}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
