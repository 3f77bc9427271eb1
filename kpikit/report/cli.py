"""``kpikit report``: run the report workbook for one or many clients.

::

    kpikit report data_samples/clients.yaml --out build/reports --jobs 2
    kpikit report clients/acme/client.yaml clients/beta/ --out build/reports --timeout 300
    kpikit report data_samples/clients.yaml --out build/reports --pdf --xlsx

Each argument is a client config (``client.yaml``, or the folder holding
one) or a clients list: a YAML list of client config paths, relative to the
list's folder (``data_samples/clients.yaml`` has that shape). The command
prints a progress bar, then a summary; it exits 1 when any client failed, 2
on bad arguments.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from kpikit.errors import ConfigError, ReportError

__all__ = ["main", "expand_clients", "build_parser"]


def expand_clients(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Client config paths from command-line arguments (configs, folders or clients lists).

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     _ = (root / "clients.yaml").write_text("- acme/client.yaml\\n- beta/client.yaml\\n")
    ...     [p.relative_to(root).as_posix() for p in expand_clients([root / "clients.yaml"])]
    ['acme/client.yaml', 'beta/client.yaml']
    """
    configs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            configs.append(path / "client.yaml")
            continue
        if not path.is_file():
            configs.append(path)  # the runner reports "client config not found" for this client
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise ConfigError(f"not valid YAML: {exc}", file=str(path), fix="check indentation and quoting") from None
        if isinstance(data, dict) and "clients" in data:
            data = data["clients"]
        if isinstance(data, list):
            for i, item in enumerate(data, start=1):
                if not isinstance(item, str | os.PathLike):
                    raise ConfigError(
                        "a clients list holds paths to client.yaml files",
                        file=str(path),
                        row=i,
                        found=repr(item),
                        fix="write one path per line, e.g. '- acme/client.yaml'",
                    )
                entry = path.parent / item
                configs.append(entry / "client.yaml" if entry.is_dir() else entry)
        else:
            configs.append(path)  # a client config (the runner validates it)
    return configs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kpikit report",
        description="Run the report workbook for each client: executed notebook, report.html, "
        "metrics.json and charts per client, plus DIR/index.html.",
    )
    parser.add_argument("clients", nargs="+", help="client.yaml files, client folders, or clients lists (YAML)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder")
    parser.add_argument(
        "--jobs", type=int, default=None, metavar="N", help="clients run in parallel (default: number of cores)"
    )
    parser.add_argument(
        "--timeout", type=float, default=600.0, metavar="S", help="seconds one client may run (default 600)"
    )
    parser.add_argument("--notebook", default=None, help="report workbook (default: workbooks/report.ipynb)")
    parser.add_argument("--kernel", default=None, help="Jupyter kernel name (default: python3 of this Python)")
    parser.add_argument(
        "--executor",
        choices=("process", "dask"),
        default="process",
        help="process: a local process pool; dask: a dask.distributed cluster (pip install kpikit[dask])",
    )
    parser.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="dask scheduler address (default: a local cluster)"
    )
    parser.add_argument(
        "--fresh-kernels",
        action="store_true",
        help="start a new kernel per client (default: one warm kernel per worker)",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help="also print each report to report.pdf (A4, Chromium; pip install kpikit[pdf])",
    )
    parser.add_argument(
        "--xlsx", action="store_true", help="also write tables.xlsx per client: every table, numbers as numbers"
    )
    parser.add_argument(
        "--browser",
        default=None,
        metavar="PATH",
        help="Chromium or Chrome for --pdf (default: $KPIKIT_CHROMIUM, else chromium on the PATH)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="read every raw export again (default: reuse DIR/<client>/cache while the exports are unchanged)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def _dask_client(address: str | None, jobs: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ReportError("the dask optional dependency is missing", fix="run `pip install kpikit[dask]`") from None
    if address:
        return Client(address)
    cluster = LocalCluster(n_workers=jobs or os.cpu_count() or 1, threads_per_worker=1, processes=True)
    return Client(cluster)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``kpikit report``; returns the exit status."""
    from tqdm import tqdm

    from kpikit.report.runner import run_reports

    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.jobs is not None and args.jobs < 1:
        print("kpikit report: --jobs must be at least 1", file=sys.stderr)
        return 2
    configs = expand_clients(args.clients)
    if not configs:
        print("kpikit report: no clients given", file=sys.stderr)
        return 2

    bar = tqdm(total=len(configs), unit="client", desc="reports", disable=args.no_progress, file=sys.stderr)

    def progress(result) -> None:
        bar.set_postfix_str(f"{result.client}: {result.status}")
        bar.update(1)

    dask_client = _dask_client(args.scheduler, args.jobs) if args.executor == "dask" else None
    try:
        batch = run_reports(
            configs,
            args.out,
            executor=None if dask_client is None else dask_client.get_executor(),
            jobs=args.jobs,
            notebook=args.notebook,
            kernel_name=args.kernel,
            timeout=args.timeout,
            progress=progress,
            reuse_kernels=not args.fresh_kernels,
            pdf=args.pdf,
            xlsx=args.xlsx,
            browser=args.browser,
            cache=not args.no_cache,
        )
    finally:
        bar.close()
        if dask_client is not None:
            cluster = getattr(dask_client, "cluster", None)
            dask_client.close()
            if cluster is not None and args.scheduler is None:
                cluster.close()
    print(batch.summary())
    too_big = [r.client for r in batch.results if r.html_bytes > 2_000_000]
    if too_big:
        print(f"warning: report.html over 2 MB for {', '.join(too_big)}", file=sys.stderr)
    return 0 if batch.ok else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
