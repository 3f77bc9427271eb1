"""Client configuration: one YAML file per client.

The template with every key explained is ``templates/client.yaml``. Paths in a
config are relative to the config file's folder.

Examples
--------
>>> from kpikit.config import ClientConfig
>>> cfg = ClientConfig.from_dict({"client": "acme", "currency": "EUR"})
>>> cfg.funnel.real_outcome
'opportunity'
>>> cfg.funnel.stages
('impressions', 'clicks', 'lead', 'mql', 'sql', 'opportunity', 'won')
>>> ClientConfig.from_dict({"client": "../escape"})
Traceback (most recent call last):
...
kpikit.errors.ConfigError: column 'client': client id must be letters, digits, '-' or '_' (found '../escape'). Fix: rename the client, e.g. 'acme-industrial'
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kpikit.errors import ConfigError

__all__ = [
    "ClientConfig",
    "FunnelConfig",
    "ExportFile",
    "ReportStyle",
    "FUNNEL_STAGES",
    "load_config",
    "read_yaml_mapping",
]

# Every stage kpikit can count, in funnel order. ``key_account`` is engagement
# from a target account, an alternative real outcome for ABM clients.
FUNNEL_STAGES: tuple[str, ...] = (
    "impressions",
    "clicks",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "won",
)
OUTCOMES: tuple[str, ...] = ("lead", "mql", "sql", "opportunity", "won", "key_account")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")


@dataclass(frozen=True)
class FunnelConfig:
    stages: tuple[str, ...] = FUNNEL_STAGES
    real_outcome: str = "opportunity"


@dataclass(frozen=True)
class ExportFile:
    """One raw export; ``map`` names a column map for formats kpikit does not know."""

    path: Path
    map: Path | None = None


@dataclass(frozen=True)
class ReportStyle:
    agency: str = "kpikit"
    logo: Path | None = None
    primary_color: str = "#1f4e79"
    accent_color: str = "#e07b39"


@dataclass(frozen=True)
class ClientConfig:
    """A validated client config.

    Attributes
    ----------
    client : str
        Safe id used for folders (letters, digits, ``-``, ``_``).
    name : str
        Display name for reports.
    currency : str
        Reporting currency; every money value is converted into it.
    fx_rates : dict
        Units of ``currency`` per one unit of another currency.
    salt : str
        Salt for hashing emails. ``KPIKIT_SALT`` in the environment wins.
    exports : tuple of ExportFile
        Raw export files to load.
    target_accounts : Path or None
        CSV of key accounts (``account_domain``, ``account_name``, ``tier``).
    funnel : FunnelConfig
        Stages to show and the real outcome.
    campaign_map : dict
        Raw CRM campaign / UTM value -> campaign name as the ad platform has it.
    kpis : dict
        Role -> the KPI that role is paid on (e.g. ``campaign_manager: ctr``).
    report : ReportStyle
        Agency branding for reports.
    base_dir : Path
        Folder of the config file; relative paths resolve against it.
    """

    client: str
    name: str = ""
    currency: str = "USD"
    fx_rates: dict[str, float] = field(default_factory=dict)
    salt: str = "kpikit"
    exports: tuple[ExportFile, ...] = ()
    target_accounts: Path | None = None
    funnel: FunnelConfig = FunnelConfig()
    campaign_map: dict[str, str] = field(default_factory=dict)
    kpis: dict[str, str] = field(default_factory=dict)
    report: ReportStyle = ReportStyle()
    base_dir: Path = Path(".")
    source: Path | None = None

    @classmethod
    def from_yaml(cls, path: str | os.PathLike) -> ClientConfig:
        """Read and validate a client config file."""
        path = Path(path)
        data = read_yaml_mapping(
            path,
            what="client config",
            missing_fix="check the path, or create one with `kpikit new-client NAME`",
            template="templates/client.yaml",
        )
        return cls.from_dict(data, base_dir=path.parent, source=path)

    @classmethod
    def from_dict(
        cls, data: dict[str, Any], *, base_dir: str | os.PathLike = ".", source: Path | None = None
    ) -> ClientConfig:
        base = Path(base_dir)
        file = None if source is None else str(source)

        def err(key: str, message: str, found: Any, fix: str) -> ConfigError:
            return ConfigError(message, file=file, column=key, found=repr(found), fix=fix)

        known = {
            "client", "name", "currency", "fx_rates", "salt", "exports", "target_accounts",
            "funnel", "campaign_map", "kpis", "report",
        }  # fmt: skip
        unknown = sorted(set(data) - known)
        if unknown:
            raise err(unknown[0], f"unknown key; allowed keys are {sorted(known)}", unknown[0], "remove or rename it")

        client = str(data.get("client", ""))
        if not _CLIENT_ID.match(client):
            raise err(
                "client",
                "client id must be letters, digits, '-' or '_'",
                client,
                "rename the client, e.g. 'acme-industrial'",
            )
        currency = str(data.get("currency", "USD"))
        if not _CURRENCY.match(currency):
            raise err("currency", "currency must be an ISO 4217 code", currency, "use e.g. EUR, USD, GBP")

        fx_raw = data.get("fx_rates") or {}
        if not isinstance(fx_raw, dict):
            raise err("fx_rates", "fx_rates must map currency codes to rates", fx_raw, "e.g. {USD: 0.92}")
        fx: dict[str, float] = {}
        for code, rate in fx_raw.items():
            if not _CURRENCY.match(str(code)):
                raise err("fx_rates", "fx_rates keys must be ISO 4217 codes", code, "use e.g. USD")
            try:
                value = float(rate)
            except (TypeError, ValueError):
                value = float("nan")
            if not value > 0:
                raise err("fx_rates", f"rate for {code} must be a positive number", rate, "e.g. 0.92")
            fx[str(code)] = value

        exports_raw = data.get("exports", "exports")
        exports: list[ExportFile] = []
        if isinstance(exports_raw, str):
            folder = base / exports_raw
            if folder.is_dir():
                exports = [
                    ExportFile(p)
                    for p in sorted(folder.iterdir())
                    if p.is_file()
                    and not p.name.startswith(".")
                    and p.suffix.lower() in {".csv", ".tsv", ".txt", ".xlsx"}
                ]
        elif isinstance(exports_raw, list):
            for item in exports_raw:
                if isinstance(item, str):
                    exports.append(ExportFile(base / item))
                elif isinstance(item, dict) and "path" in item:
                    m = item.get("map")
                    exports.append(ExportFile(base / item["path"], None if m is None else base / m))
                else:
                    raise err("exports", "each export must be a path or {path, map}", item, "see templates/client.yaml")
        else:
            raise err(
                "exports", "exports must be a folder or a list of files", exports_raw, "see templates/client.yaml"
            )

        funnel_raw = data.get("funnel") or {}
        stages = tuple(funnel_raw.get("stages", FUNNEL_STAGES))
        bad = [s for s in stages if s not in FUNNEL_STAGES]
        if bad:
            raise err("funnel.stages", f"unknown stage; allowed stages are {list(FUNNEL_STAGES)}", bad[0], "remove it")
        outcome = funnel_raw.get("real_outcome", "opportunity")
        if outcome not in OUTCOMES:
            raise err("funnel.real_outcome", f"real_outcome must be one of {list(OUTCOMES)}", outcome, "pick one")

        report_raw = data.get("report") or {}
        colors = report_raw.get("colors") or {}
        logo = report_raw.get("logo")
        report = ReportStyle(
            agency=str(report_raw.get("agency", "kpikit")),
            logo=None if not logo else base / logo,
            primary_color=str(colors.get("primary", ReportStyle.primary_color)),
            accent_color=str(colors.get("accent", ReportStyle.accent_color)),
        )
        ta = data.get("target_accounts")
        return cls(
            client=client,
            name=str(data.get("name") or client),
            currency=currency,
            fx_rates=fx,
            salt=os.environ.get("KPIKIT_SALT") or str(data.get("salt", "kpikit")),
            exports=tuple(exports),
            target_accounts=None if not ta else base / ta,
            funnel=FunnelConfig(stages=stages, real_outcome=outcome),
            campaign_map={str(k): str(v) for k, v in (data.get("campaign_map") or {}).items()},
            kpis={str(k): str(v) for k, v in (data.get("kpis") or {}).items()},
            report=report,
            base_dir=base,
            source=source,
        )

    def rate(self, currency: str) -> float | None:
        """Units of the reporting currency per one unit of ``currency`` (None if unknown)."""
        if currency == self.currency:
            return 1.0
        return self.fx_rates.get(currency)


def read_yaml_mapping(path: Path, *, what: str, missing_fix: str, template: str) -> dict[str, Any]:
    """Read a YAML file that must hold a mapping; every failure is a :class:`ConfigError` naming the file."""
    if not path.is_file():
        raise ConfigError(f"{what} not found", file=str(path), fix=missing_fix)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ConfigError(
            f"{what} is not valid YAML: {getattr(exc, 'problem', None) or exc}",
            file=str(path),
            row=None if mark is None else mark.line + 1,
            fix="check indentation and quoting on that line (quote values such as ';' or '%d/%m/%Y')",
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{what} is not UTF-8 text", file=str(path), fix="save it as UTF-8") from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"a {what} must be a mapping of keys to values",
            file=str(path),
            found=repr(type(data).__name__),
            fix=f"start from {template}",
        )
    return data


def load_config(path: str | os.PathLike) -> ClientConfig:
    """Read a client config file. Shortcut for :meth:`ClientConfig.from_yaml`."""
    return ClientConfig.from_yaml(path)
