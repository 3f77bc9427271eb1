"""Load a whole client: every export of its config into one reconciled :class:`~kpikit.model.ClientModel`.

:func:`load_client` loads each export with :func:`~kpikit.ingest.loader.inspect_file`
and guarantees:

- all or nothing: a problem in any file, or across files, raises one
  :class:`~kpikit.errors.ValidationError` listing every problem, each message
  starting with its file's name;
- nothing counted twice in silence (:mod:`~kpikit.ingest.overlaps`): a file that is
  byte for byte another is refused naming both; rows two exports both hold are loaded
  once with a warning when they agree, and refused when they disagree; the
  load report's client-level section (``overlaps``, ``warnings``, ``problems``,
  ``notes``) says what was found;
- one date order per export (:mod:`~kpikit.ingest.dates`): an export whose every
  date reads both ways is read in the order ``dates: {order: ...}`` of client.yaml
  gives, else in the order the client's other exports show when they agree (with
  a note saying so), else refused;
- one currency: money (cost, reported revenue, deal amounts) is converted into
  ``config.currency`` with ``config.fx_rates``; a currency with no rate raises
  :class:`~kpikit.errors.CurrencyError` naming it and its files, while
  ``load_report`` keeps the spend per original currency per file;
- the target accounts list (if any) is read with normalised, distinct domains, and
  ``load_report.matches`` counts how the tables join (contacts with a domain, from a
  target account, deals with a known contact).

:func:`inspect_client` runs the same checks without raising on problems
(``kpikit validate CLIENT_FOLDER`` prints its report).
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kpikit.config import ClientConfig, ExportFile
from kpikit.core.money import convert_tables
from kpikit.core.names import normalise_domains
from kpikit.errors import ConfigError, DataError, KpikitError, Problem, ValidationError
from kpikit.ingest.column_map import TEMPLATE_MAPS, discover_maps
from kpikit.ingest.dates import ORDERS, DeclaredOrder, with_evidence
from kpikit.ingest.formats import FORMATS, Format, norm_header
from kpikit.ingest.loader import LoadedFile, _money, inspect_file
from kpikit.ingest.overlaps import Export, check_overlaps, identical_files
from kpikit.ingest.report import FileReport, LoadReport, Overlap
from kpikit.ingest.scrub import scrub_frame
from kpikit.model import TABLES, ClientModel, conform, empty_table
from kpikit.privacy import quote_header

__all__ = ["inspect_client", "load_client"]

_SAID = {"day_first": "day-first", "month_first": "month-first"}


def load_client(
    config_or_path: ClientConfig | str | os.PathLike,
    *,
    cache_dir: str | os.PathLike | None = None,
    memory_limit: str | None = None,
) -> ClientModel:
    """Load every export of a client into one reconciled :class:`~kpikit.model.ClientModel`.

    Parameters
    ----------
    config_or_path
        A :class:`~kpikit.config.ClientConfig`, a path to ``client.yaml``, or the client's folder.
    cache_dir
        Folder of the parsed-exports cache (:mod:`kpikit.ingest.cache`, e.g. the client's
        output folder's ``cache/``): unchanged exports are read back from Parquet instead of
        parsed again, and a fresh load is written there. A folder keeps only its newest load,
        so give each client its own. None: no cache.
    memory_limit
        With ``cache_dir``: the out-of-core engine (:func:`kpikit.ingest.cache.open_entry`). The
        touchpoints stay in the cache's Parquet (``model.touchpoints`` reads them only if a view
        asks for the rows); attribution paths and key-account visits are computed by DuckDB over
        that file within this much memory (``"6GB"``), spilling to disk; the other tables are read
        through memory-mapped Arrow copies. Results are identical to the in-memory engine. None:
        analyse in memory.

    Money is converted into ``config.currency`` with ``config.fx_rates``;
    ``model.load_report`` keeps the spend per original currency per file.

    Raises
    ------
    ValidationError
        every problem in every file and across files, each naming its file.
    CurrencyError
        money in a currency that has no rate in ``fx_rates``, naming both currencies.
    """
    config = _as_config(config_or_path)
    if memory_limit is not None and cache_dir is None:
        raise ConfigError(
            "memory_limit needs a cache folder: the out-of-core engine reads the client's tables from Parquet",
            column="memory_limit",
            found=repr(memory_limit),
            fix="pass cache_dir too (kpikit metrics --cache-dir DIR --memory-limit 6GB)",
        )
    if cache_dir is None:
        return _load(config)
    from kpikit.ingest.cache import cache_key, check_memory_limit, open_entry, read_cached, write_cached

    limit = None if memory_limit is None else check_memory_limit(memory_limit)
    key = cache_key(config)
    model = read_cached(config, cache_dir, key, memory_limit=limit)
    if model is not None:
        return model
    model = _load(config)
    entry = write_cached(model, cache_dir, key)
    if limit is None:
        return model
    if entry is None:
        raise KpikitError(
            "the cache folder cannot be written, so the out-of-core engine has no Parquet to read",
            file=str(cache_dir),
            fix="pass a writable cache_dir, or leave memory_limit unset to analyse in memory",
        )
    # The same model a cache hit gives: touchpoints left in the entry's Parquet, not in memory.
    return open_entry(entry, config, limit, load_report=model.load_report)


def _load(config: ClientConfig) -> ClientModel:
    loads = _inspect(config)
    report = loads.report
    if loads.problems:
        raise ValidationError(loads.problems, file=str(config.source or config.base_dir))
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    for loaded in loads.loaded:
        frames[loaded.table].append(loaded.frame)
    tables = {
        name: (pd.concat(parts, ignore_index=True) if parts else empty_table(name)) for name, parts in frames.items()
    }
    tables = {name: conform(name, t) if len(t) else t for name, t in tables.items()}
    tables, report.fx_rates = convert_tables(tables, config, file=str(config.source or config.base_dir))
    if config.target_accounts is not None:
        tables["target_accounts"], ta_report = _target_accounts(config.target_accounts)
        report.files.append(ta_report)
    report.matches = _matches(tables)
    return ClientModel(**tables, config=config, load_report=report)


def inspect_client(config_or_path: ClientConfig | str | os.PathLike) -> LoadReport:
    """Check every export of a client, file by file and across files, without raising on their problems.

    The :class:`~kpikit.ingest.report.LoadReport` has every file's report and the
    client-level section; ``report.ok`` is False when :func:`load_client` would refuse.
    """
    return _inspect(_as_config(config_or_path)).report


@dataclass
class _Inspected:
    report: LoadReport
    loaded: list[LoadedFile]  # the exports that load, after the cross-file checks
    problems: list[Problem]  # every problem, named by file: the client does not load


def _inspect(config: ClientConfig) -> _Inspected:
    if not config.exports:
        raise ConfigError(
            "the client config lists no export files",
            file=str(config.source or config.base_dir),
            column="exports",
            fix="put the raw exports in the folder named by `exports:` (default exports/) or list them",
        )
    extra = discover_maps(config.base_dir / "column_maps", TEMPLATE_MAPS)
    formats = extra + list(FORMATS.values())
    report = LoadReport(currency=config.currency)
    results = [_inspect_one(export, config, formats) for export in config.exports]
    _settle_date_orders(results, config, formats, report)
    report.files = [r for _, _, r in results]
    problems = [_named(p, e.path) for e, _, r in results for p in r.problems]

    copies = identical_files([e.path for e in config.exports])
    by_path = {e.path: r for e, _, r in results}
    for copy, original in copies.items():
        r = by_path[copy]
        report.overlaps.append(
            Overlap(r.table, original.name, copy.name, r.rows_read, "refused", "every byte", "identical_files")
        )
        same = "listed twice in exports" if copy == original else f"the same file as {original.name}, byte for byte"
        report.problems.append(
            Problem(
                f"{copy.name}: {same}: loading both would count every row twice",
                file=str(copy),
                expected="each export once",
                fix=f"remove one of them from exports (e.g. delete {copy.name!r})",
            )
        )
    ok = [(e, lf) for e, lf, r in results if lf is not None and r.ok and e.path not in copies]
    found = check_overlaps([Export(e.path.name, str(e.path), lf.source, lf.table, lf.frame) for e, lf in ok])
    report.overlaps += found.overlaps
    report.warnings += found.warnings
    report.problems += found.problems
    loaded = [lf for _, lf in ok]
    for j, drop in found.drops.items():
        loaded[j] = _without(loaded[j], drop)
    return _Inspected(report, loaded, problems + report.problems)


def _inspect_one(
    export: ExportFile, config: ClientConfig, formats: list[Format], dates: DeclaredOrder | None = None
) -> tuple[ExportFile, LoadedFile | None, FileReport]:
    try:
        loaded = inspect_file(
            export.path, export.map, config=config, formats=None if export.map else formats, dates=dates
        )
    except KpikitError as exc:
        return export, None, FileReport(path=str(export.path), source="?", table="?", problems=exc.problems)
    return export, loaded, loaded.report


def _settle_date_orders(results: list, config: ClientConfig, formats: list[Format], report: LoadReport) -> None:
    """Exports whose every date reads both ways: read in the order the client's other exports show.

    Only orders read off the values count (a format's fixed order, like LinkedIn's, says
    nothing about the client). ``results`` is updated in place.
    """
    shown: dict[str, list[str]] = {}
    for e, _, r in results:
        if r.date_order_from == "values" and r.date_order in ORDERS:
            shown.setdefault(r.date_order, []).append(e.path.name)
    if config.dates.order is not None:
        for order, files in shown.items():
            if order != config.dates.order:
                report.warnings.append(
                    Problem(
                        f"{', '.join(files)}: dates read only {_SAID[order]}, but client.yaml says "
                        f"`dates: {{order: {config.dates.order}}}` (used for exports whose dates read both ways)",
                        file=str(config.source or config.base_dir),
                        key="dates.order",
                        fix="check dates.order: it should be the order of the client's exports",
                    )
                )
    for k, (e, _, r) in enumerate(results):
        if r.date_order != "ambiguous":
            continue
        if len(shown) == 1:
            ((order, files),) = shown.items()
            by = f"{', '.join(files)} of the same client (unambiguously {_SAID[order]})"
            results[k] = _inspect_one(e, config, formats, DeclaredOrder(order, by, "other exports"))
            report.notes.append(f"{e.path.name}: its dates read both ways, so they are read {_SAID[order]}, as {by}")
        elif shown:
            r.problems = [with_evidence(p, shown) for p in r.problems]


def _without(loaded: LoadedFile, drop) -> LoadedFile:
    """``loaded`` without the rows another export already holds, its report counting them as dropped."""
    r = loaded.report
    removed = loaded.frame[drop]
    frame = loaded.frame[~drop].reset_index(drop=True)
    r.rows_loaded -= len(removed)
    r.records -= len(removed)
    r.dropped["in_other_export"] = r.dropped.get("in_other_export", 0) + len(removed)
    if loaded.table == "spend":
        r.spend = _money(frame)
        for cur, v in _money(removed).items():
            r.spend_dropped[cur] = round(r.spend_dropped.get(cur, 0.0) + v, 2)
    return LoadedFile(loaded.path, loaded.source, loaded.table, frame, r)


def _as_config(config_or_path: ClientConfig | str | os.PathLike) -> ClientConfig:
    if isinstance(config_or_path, ClientConfig):
        return config_or_path
    path = Path(config_or_path)
    if path.is_dir():
        path = path / "client.yaml"
    return ClientConfig.from_yaml(path)


def _named(p: Problem, path: Path) -> Problem:
    return Problem(f"{Path(path).name}: {p.message}", file=str(path), row=p.row, column=p.column,
                   expected=p.expected, found=p.found, fix=p.fix)  # fmt: skip


def _target_accounts(path: Path) -> tuple[pd.DataFrame, FileReport]:
    report = FileReport(path=str(path), source="target_accounts", table="target_accounts")
    if not path.is_file():
        raise ConfigError("target accounts file not found", file=str(path), fix="fix `target_accounts:` in client.yaml")
    try:
        frame = pd.read_csv(path, dtype="str", keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataError(
            f"cannot read the target accounts CSV: {exc}", file=str(path), fix="save it as UTF-8 CSV"
        ) from None
    frame.columns = [norm_header(c).replace(" ", "_") for c in frame.columns]
    aliases = {
        "domain": "account_domain",
        "website": "account_domain",
        "company": "account_name",
        "name": "account_name",
    }
    frame = frame.rename(columns={k: v for k, v in aliases.items() if k in frame.columns and v not in frame.columns})
    if "account_domain" not in frame:
        close = difflib.get_close_matches("account_domain", list(frame.columns), n=1)
        raise DataError(
            "target accounts need an account_domain column",
            file=str(path),
            row=1,
            column="account_domain",
            found=quote_header(list(frame.columns), label="headers"),
            fix=f"rename {close[0]!r} to 'account_domain'" if close else "add a column account_domain (e.g. acme.com)",
        )
    frame = frame.assign(account_domain=normalise_domains(frame["account_domain"]))
    report.rows_read = len(frame)
    empty = frame["account_domain"].isna()
    dup = frame["account_domain"].duplicated() & ~empty
    if empty.any():
        report.dropped["no_domain"] = int(empty.sum())
    if dup.any():
        report.dropped["duplicate"] = int(dup.sum())
    frame = frame[~empty & ~dup]
    report.rows_loaded = report.records = len(frame)
    # Account names and tiers reach the model as text too: the same scrub as every export.
    frame = scrub_frame("target_accounts", frame, report)
    return conform("target_accounts", frame, file=str(path)), report


def _matches(t: dict[str, pd.DataFrame]) -> dict[str, int]:
    contacts, deals, ta = t["contacts"], t["deals"], t["target_accounts"]
    domains = set(ta["account_domain"].dropna()) if len(ta) else set()
    out = {
        "contacts": len(contacts),
        "contacts_with_domain": int(contacts["company_domain"].notna().sum()) if len(contacts) else 0,
        "contacts_from_target_accounts": int(contacts["company_domain"].isin(domains).sum()) if len(contacts) else 0,
        "deals": len(deals),
        "deals_with_known_contact": int(deals["contact_key"].isin(set(contacts["contact_key"].dropna())).sum())
        if len(deals) and len(contacts)
        else 0,
    }
    return out
