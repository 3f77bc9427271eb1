"""``kpikit validate PATH [PATH ...] [--map MAP.yaml] [--json]``.

For each file: the detected source, rows read / loaded / dropped by reason,
spend per currency to the cent, CRM records, and every problem. A folder
holding a ``client.yaml`` stands for that client's exports (with their maps);
any other folder for the CSV/TSV/TXT files in it. Exit status 0 when every
file loads, 1 when any has a problem; never a traceback.

Examples
--------
>>> import tempfile, pathlib, json, contextlib, io
>>> from kpikit.ingest.cli import main
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "g.csv").write_text("Day,Campaign,Currency code,Impr.,Clicks,Cost\\n2024-01-01,A,EUR,10,1,2.50\\n")
>>> buf = io.StringIO()
>>> with contextlib.redirect_stdout(buf):
...     status = main([str(d / "g.csv"), "--json"])
>>> status, json.loads(buf.getvalue())["files"][0]["spend"]
(0, {'EUR': 2.5})
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from kpikit.config import ClientConfig
from kpikit.errors import KpikitError, Problem
from kpikit.ingest.loader import inspect_file
from kpikit.ingest.report import FileReport, LoadReport

__all__ = ["main"]

_SUFFIXES = {".csv", ".tsv", ".txt"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit 2 with usage
        raise KpikitError(message, fix=f"usage: {self.format_usage().strip()}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="kpikit validate",
        description="Check export files: detected format, rows read/loaded/dropped, spend per currency, problems.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="export files, or a client folder (with client.yaml)")
    p.add_argument("--map", dest="map", metavar="MAP.yaml", help="column map to read every PATH with")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    return p


def _targets(paths: list[str], map_: str | None) -> list[tuple[Path, Path | None, ClientConfig | None]]:
    out: list[tuple[Path, Path | None, ClientConfig | None]] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and (path / "client.yaml").is_file():
            cfg = ClientConfig.from_yaml(path / "client.yaml")
            out += [(e.path, Path(map_) if map_ else e.map, cfg) for e in cfg.exports]
        elif path.is_dir():
            out += [
                (p, Path(map_) if map_ else None, None) for p in sorted(path.iterdir()) if p.suffix.lower() in _SUFFIXES
            ]
        else:
            out.append((path, Path(map_) if map_ else None, None))
    return out


def _one(path: Path, map_: Path | None, cfg: ClientConfig | None) -> FileReport:
    try:
        return inspect_file(path, map_, config=cfg).report
    except KpikitError as exc:
        return FileReport(path=str(path), source="unknown", table="unknown", problems=exc.problems)
    except Exception as exc:
        return FileReport(
            path=str(path),
            source="unknown",
            table="unknown",
            problems=[
                Problem(
                    f"kpikit could not read this file ({type(exc).__name__}: {exc})",
                    file=str(path),
                    fix="check that it is a CSV/TSV export; if it is, report this as a kpikit bug with the file",
                )
            ],
        )


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``kpikit validate``; return 0 when every file loads, else 1."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    as_json = "--json" in args_list
    try:
        args = _parser().parse_args(args_list)
        targets = _targets(args.paths, args.map)
    except KpikitError as exc:
        if as_json:
            print(json.dumps({"files": [], "ok": False, "error": str(exc)}, indent=2))
        else:
            print(f"kpikit validate: {exc}", file=sys.stderr)
        return 1
    except SystemExit as exc:  # --help
        return int(exc.code or 0)
    report = LoadReport([_one(*t) for t in targets])
    if as_json:
        data = report.to_dict()
        print(json.dumps({"files": data["files"], "ok": data["ok"]}, indent=2, ensure_ascii=False))
    else:
        print(report.to_text())
        bad = sum(not f.ok for f in report.files)
        n = len(report.files)
        print(f"\n{n} file(s): " + ("all load" if not bad else f"{bad} with problems"))
    return 0 if report.ok and report.files else 1
