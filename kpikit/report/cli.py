"""``kpikit report``: run the report workbook for one or many clients.

::

    kpikit report data_samples/clients.yaml --out build/reports --jobs 2
    kpikit report clients/acme/client.yaml clients/beta/ --out build/reports --timeout 300
    kpikit report data_samples/clients.yaml --out build/reports --pdf --xlsx

Each argument is a client config (``client.yaml``, or the folder holding
one) or a clients list: a YAML list of client config paths, relative to the
list's folder (``data_samples/clients.yaml`` has that shape). The command
prints a progress bar, then a summary with every failed client's whole message.

Exit status: 0 when every report was written; 1 when any client failed (the
others are written, and ``DIR/index.html`` explains each failure); 2 when nothing
ran: bad arguments, an unreadable clients list, a problem of the whole batch
(duplicate client ids, a missing workbook or kernel), or another ``kpikit report``
writing into the same ``--out`` (the message names its lock file and PID).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

from kpikit.errors import ConfigError, KpikitError, ReportError

__all__ = ["main", "expand_clients", "build_parser"]


def expand_clients(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Client config paths from command-line arguments (configs, folders or clients lists).

    Only a clients list is read here, and only its shape: any file that is not a
    well-formed list (a client config, or a broken file of either kind) is passed on
    as a client config, so the client's own job reads it and says what is wrong. One
    bad config never stops the batch here.

    Raises
    ------
    ConfigError
        for a clients list whose items are not paths.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     root = Path(tmp)
    ...     _ = (root / "clients.yaml").write_text("- acme/client.yaml\\n- beta/client.yaml\\n")
    ...     _ = (root / "broken.yaml").write_text("client: [unclosed\\n")
    ...     [p.relative_to(root).as_posix() for p in expand_clients([root / "clients.yaml", root / "broken.yaml"])]
    ['acme/client.yaml', 'beta/client.yaml', 'broken.yaml']
    """
    configs: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            configs.append(path / "client.yaml")
            continue
        items = _clients_list(path)
        if items is None:
            configs.append(path)  # a client config, or not found: the client's job says which
            continue
        for i, item in enumerate(items, start=1):
            if not isinstance(item, yaml.ScalarNode) or not item.value or item.tag != "tag:yaml.org,2002:str":
                raise ConfigError(
                    "a clients list holds paths to client.yaml files",
                    file=str(path),
                    row=item.start_mark.line + 1,
                    found=f"item {i}",
                    fix="write one path per line, e.g. '- acme/client.yaml'",
                )
            entry = path.parent / item.value
            configs.append(entry / "client.yaml" if entry.is_dir() else entry)
    return configs


def _clients_list(path: Path) -> list | None:
    """The item nodes of a clients list (a YAML list, or ``clients:`` holding one); None for anything else.

    Composed, never constructed: aliases are not expanded (an alias bomb costs nothing here)
    and items are read from their nodes. A file that does not parse is not a clients list.
    """
    from kpikit.config import MAX_YAML_BYTES

    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_YAML_BYTES + 1)
        if len(raw) > MAX_YAML_BYTES:
            return None
        node = yaml.compose(raw.decode("utf-8-sig"), Loader=yaml.SafeLoader)
    except (OSError, ValueError, yaml.YAMLError):
        return None
    if isinstance(node, yaml.MappingNode):
        node = next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == "clients"), None)
    return list(node.value) if isinstance(node, yaml.SequenceNode) else None


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
        help="read every raw export again (default: reuse DIR/.kpikit-cache/<client> while the exports are unchanged)",
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
    try:
        configs = expand_clients(args.clients)
    except KpikitError as exc:
        print(f"kpikit report: {exc}", file=sys.stderr)
        return 2
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
            notice=lambda line: print(line, file=sys.stderr),
            cache=not args.no_cache,
        )
    except KpikitError as exc:  # raised before any client ran
        print(f"kpikit report: {exc}", file=sys.stderr)
        return 2
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
