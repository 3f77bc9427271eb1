"""Load a whole client: every export of its config into one reconciled :class:`~kpikit.model.ClientModel`.

:func:`load_client` loads each export with :func:`~kpikit.ingest.loader.inspect_file`
and guarantees:

- all or nothing: a problem in any file raises one
  :class:`~kpikit.errors.ValidationError` listing every problem of every file,
  each message starting with its file's name;
- one currency: money (cost, reported revenue, deal amounts) is converted into
  ``config.currency`` with ``config.fx_rates``; a currency with no rate raises
  :class:`~kpikit.errors.CurrencyError` naming it and its files, while
  ``load_report`` keeps the spend per original currency per file;
- the target accounts list (if any) is read with normalised, distinct domains, and
  ``load_report.matches`` counts how the tables join (contacts with a domain, from a
  target account, deals with a known contact).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pandas as pd

from kpikit.config import ClientConfig
from kpikit.core.money import convert_tables
from kpikit.core.names import normalise_domains
from kpikit.errors import ConfigError, DataError, KpikitError, Problem, ValidationError
from kpikit.ingest.column_map import TEMPLATE_MAPS, discover_maps
from kpikit.ingest.formats import FORMATS, norm_header
from kpikit.ingest.loader import inspect_file
from kpikit.ingest.report import FileReport, LoadReport
from kpikit.model import TABLES, ClientModel, conform, empty_table

__all__ = ["load_client"]


def load_client(config_or_path: ClientConfig | str | os.PathLike) -> ClientModel:
    """Load every export of a client into one reconciled :class:`~kpikit.model.ClientModel`.

    Parameters
    ----------
    config_or_path
        A :class:`~kpikit.config.ClientConfig`, a path to ``client.yaml``, or the client's folder.

    Money is converted into ``config.currency`` with ``config.fx_rates``;
    ``model.load_report`` keeps the spend per original currency per file.

    Raises
    ------
    ValidationError
        every problem in every file, each naming its file.
    CurrencyError
        money in a currency that has no rate in ``fx_rates``, naming both currencies.
    """
    config = _as_config(config_or_path)
    if not config.exports:
        raise ConfigError(
            "the client config lists no export files",
            file=str(config.source),
            column="exports",
            fix="put the raw exports in the folder named by `exports:` (default exports/) or list them",
        )
    extra = discover_maps(config.base_dir / "column_maps", TEMPLATE_MAPS)
    formats = extra + list(FORMATS.values())
    report = LoadReport(currency=config.currency)
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    problems: list[Problem] = []
    for export in config.exports:
        try:
            loaded = inspect_file(export.path, export.map, config=config, formats=None if export.map else formats)
        except KpikitError as exc:
            report.files.append(FileReport(path=str(export.path), source="?", table="?", problems=exc.problems))
            problems += [_named(p, export.path) for p in exc.problems]
            continue
        report.files.append(loaded.report)
        if loaded.report.ok:
            frames[loaded.table].append(loaded.frame)
        problems += [_named(p, export.path) for p in loaded.report.problems]
    if problems:
        raise ValidationError(problems, file=str(config.source or config.base_dir))
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
            found=f"headers {list(frame.columns)!r}",
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
