"""``kpikit validate PATH [PATH ...] [--map MAP.yaml] [--json]``.

For each file: the detected source, rows read / loaded / dropped by reason,
spend per currency to the cent, CRM records, and every problem. Any other
folder stands for the CSV/TSV/TXT files in it.

A folder holding a ``client.yaml`` (or the ``client.yaml`` itself) is a
**pre-flight** of that client (:mod:`kpikit.ingest.preflight`): its exports
file by file and across files, then every check ``kpikit metrics`` and
``kpikit report`` depend on (fx rates, logo, target accounts, campaign_map,
template placeholders, the metrics themselves). A file inside a client folder
(``kpikit validate acme/exports/*.csv``) is read as that client reads it: with
its ``column_maps/``, the map its ``exports`` entry names, and its config (the
nearest ``client.yaml`` in a parent folder; a file linked from outside that
folder is refused).

Exit status 0 when every file loads and no error-level check fails (warnings
are printed), 1 otherwise; never a traceback. ``--json`` adds ``checks``: one
entry per check of each client, with its level, status and problems.

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
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kpikit.config import ClientConfig, is_inside
from kpikit.errors import KpikitError, Problem
from kpikit.ingest.loader import inspect_file
from kpikit.ingest.preflight import Preflight, preflight
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


@dataclass(frozen=True)
class _Target:
    """One file to read (with its map and its client's config), or a whole client (``client=True``)."""

    path: Path
    map: Path | None = None
    config: ClientConfig | None = None
    client: bool = False
    problem: Problem | None = None  # the file cannot be read as its client reads it


def _targets(paths: list[str], map_: str | None) -> list[_Target]:
    out: list[_Target] = []
    given = Path(map_) if map_ else None
    for raw in paths:
        path = Path(raw)
        yaml = path / "client.yaml" if path.is_dir() else path
        if yaml.name == "client.yaml" and yaml.is_file():
            cfg = ClientConfig.from_yaml(yaml)
            if given is None:
                out.append(_Target(yaml.parent, config=cfg, client=True))
            else:  # every export read with the given map
                out += [_Target(e.path, given, cfg) for e in cfg.exports]
        elif path.is_dir():
            out += [_in_client(p, given) for p in sorted(path.iterdir()) if p.suffix.lower() in _SUFFIXES]
        else:
            out.append(_in_client(path, given))
    return out


def _in_client(path: Path, map_: Path | None) -> _Target:
    """``path`` with the config of the client folder it is in (the nearest parent holding a client.yaml)."""
    for folder in Path(os.path.abspath(path)).parents:
        yaml = folder / "client.yaml"
        if not yaml.is_file():
            continue
        try:
            cfg = ClientConfig.from_yaml(yaml)
        except KpikitError as exc:
            return _Target(path, map_, problem=Problem(
                f"the file is inside the client folder {folder}, whose client.yaml does not load: {exc}",
                file=str(path), fix="fix client.yaml first (kpikit validate on the folder lists every problem)"))  # fmt: skip
        if not is_inside(path, folder):  # the folder is a boundary: a link out of it is not the client's
            return _Target(path, map_, problem=Problem(
                "the file is a symbolic link to a place outside its client folder",
                file=str(path), expected=f"a file inside {folder.resolve()}",
                fix=f"copy the file into {folder} instead of linking it"))  # fmt: skip
        if map_ is None:  # the map its exports entry names, if any
            here = Path(path).resolve()
            map_ = next((e.map for e in cfg.exports if e.map is not None and e.path.resolve() == here), None)
        return _Target(path, map_, cfg)
    return _Target(path, map_)


def _one(t: _Target) -> FileReport:
    path = t.path
    if t.problem is not None:
        return FileReport(path=str(path), source="unknown", table="unknown", problems=[t.problem])
    try:
        report = inspect_file(path, t.map, config=t.config).report
        if t.config is not None:
            where = os.path.relpath(t.config.source) if t.config.source else t.config.base_dir
            report.notes.append(f"read as client {t.config.client!r} reads it ({where}: its column_maps/ and settings)")
        return report
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


def _add_client(report: LoadReport, cfg: ClientConfig) -> Preflight:
    """Pre-flight of a client: its files and client-level section into ``report``, and the checks."""
    pf = preflight(cfg)
    report.files += pf.report.files
    report.overlaps += pf.report.overlaps
    report.notes += pf.report.notes
    report.warnings += pf.report.warnings
    report.problems += pf.report.problems
    return pf


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
    # A client is checked as load_client checks it (file by file, then across files), then pre-flighted.
    report = LoadReport([_one(t) for t in targets if not t.client])
    flights = [_add_client(report, t.config) for t in targets if t.client]
    ok = report.ok and bool(report.files) and all(f.ok for f in flights)
    if as_json:
        data = report.to_dict()
        checks = [{"client": f.config.client, **c} for f in flights for c in f.to_dict()["checks"]]
        print(json.dumps({"files": data["files"], "ok": ok, "client": data["client"], "checks": checks}, indent=2,
                         ensure_ascii=False))  # fmt: skip
    else:
        print(report.to_text())
        for f in flights:
            print("\n" + f.to_text())
        bad = sum(not f.ok for f in report.files)
        n = len(report.files)
        across = f", {len(report.problems)} problem(s) across files" if report.problems else ""
        errors, warns = sum(f.count("error") for f in flights), sum(f.count("warning") for f in flights)
        checks = f", pre-flight: {errors} error(s), {warns} warning(s)" if flights else ""
        print(f"\n{n} file(s): " + ("all load" if not bad else f"{bad} with problems") + across + checks)
    return 0 if ok else 1
