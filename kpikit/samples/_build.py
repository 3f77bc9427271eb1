"""Turn the ground truth into a ClientModel, a client config and the raw files."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.core.paths import data_samples_dir
from kpikit.errors import ConfigError
from kpikit.model import ClientModel, conform
from kpikit.privacy import hash_emails, pseudonymise
from kpikit.samples import writers
from kpikit.samples._clients import CLIENTS, ClientSpec, ExportSpec
from kpikit.samples._truth import SampleData, build

DATA_SAMPLES = data_samples_dir()
SAMPLE_CLIENTS: tuple[str, ...] = tuple(CLIENTS)
KPIS = {"campaign_manager": "ctr", "head_of_digital": "clicks", "cmo": "pipeline"}


def spec_for(client: str) -> ClientSpec:
    try:
        return CLIENTS[client]
    except (KeyError, TypeError):
        raise ConfigError(
            "no such sample client",
            found=repr(client),
            expected=f"one of {list(SAMPLE_CLIENTS)}",
            fix="pick a client from kpikit.samples.SAMPLE_CLIENTS",
        ) from None


# -- config ----------------------------------------------------------------------------------


def config_dict(client: str) -> dict:
    """The client's config as the plain data its ``client.yaml`` holds."""
    spec = spec_for(client)
    exports: list = []
    for e in spec.exports:
        exports.append(e.path if e.map is None else {"path": e.path, "map": e.map})
    data = {
        "client": spec.client,
        "name": spec.name,
        "currency": spec.currency,
        "fx_rates": dict(spec.fx_rates),
        "salt": spec.salt,
        "exports": exports,
        "target_accounts": "target_accounts.csv",
        "funnel": {
            "stages": ["impressions", "clicks", "lead", "mql", "sql", "opportunity", "won"],
            "real_outcome": "opportunity",
        },  # fmt: skip
        "campaign_map": dict(spec.campaign_map),
        "kpis": dict(KPIS),
        "report": {
            "agency": "Northlight Consulting",
            "logo": None,
            "colors": {"primary": "#1f4e79", "accent": "#e07b39"},
        },  # fmt: skip
    }
    return data


def _q(value) -> str:
    """A YAML scalar: JSON strings and numbers are valid YAML flow scalars."""
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


def config_yaml(client: str) -> str:
    """``client.yaml`` text, following templates/client.yaml, with comments."""
    spec = spec_for(client)
    d = config_dict(client)
    lines = [
        f"# Sample client written by `kpikit samples` ({spec.industry}). Do not edit: regenerate.",
        "# Paths are relative to this file. Template: templates/client.yaml",
        f"client: {d['client']}",
        f"name: {_q(d['name'])}",
        f"currency: {d['currency']}",
    ]
    if d["fx_rates"]:
        lines.append("fx_rates:                    # units of currency per 1 unit of another currency")
        lines += [f"  {k}: {v!r}" for k, v in sorted(d["fx_rates"].items())]
    else:
        lines.append("fx_rates: {}")
    lines.append(f"salt: {_q(d['salt'])}")
    lines.append("exports:")
    for e in d["exports"]:
        if isinstance(e, str):
            lines.append(f"  - {e}")
        else:
            lines.append(f"  - {{path: {e['path']}, map: {e['map']}}}")
    lines += [
        f"target_accounts: {d['target_accounts']}",
        "funnel:",
        f"  stages: [{', '.join(d['funnel']['stages'])}]",
        f"  real_outcome: {d['funnel']['real_outcome']}",
    ]
    if d["campaign_map"]:
        lines.append("campaign_map:                # CRM utm_campaign -> ad platform campaign")
        lines += [f"  {_q(k)}: {_q(v)}" for k, v in sorted(d["campaign_map"].items())]
    else:
        lines.append("campaign_map: {}")
    lines.append("kpis:                        # role -> KPI that role is paid on")
    lines += [f"  {k}: {v}" for k, v in d["kpis"].items()]
    r = d["report"]
    lines += [
        "report:",
        f"  agency: {_q(r['agency'])}",
        "  logo: null",
        f"  colors: {{primary: {_q(r['colors']['primary'])}, accent: {_q(r['colors']['accent'])}}}",
    ]
    return "\n".join(lines) + "\n"


def sample_config(client: str) -> ClientConfig:
    """The client's :class:`ClientConfig`, as if read from ``data_samples/<client>/client.yaml``."""
    folder = DATA_SAMPLES / client
    return ClientConfig.from_dict(config_dict(client), base_dir=folder, source=folder / "client.yaml")


# -- exports layout --------------------------------------------------------------------------


def _export_rows(data: SampleData, export: ExportSpec) -> pd.DataFrame:
    """The truth rows one export file holds, in file order."""
    if export.table == "spend":
        return data.spend[data.spend["platform"] == export.platform].reset_index(drop=True)
    return {"contacts": data.contacts, "deals": data.deals, "touchpoints": data.touchpoints}[export.table]


def _source_rows(export: ExportSpec, n: int) -> np.ndarray:
    rows = writers.first_data_row(export.writer) + np.arange(n)
    dup = export.options.get("duplicate")
    if dup is not None:  # the repeated row sits right after its original
        rows[int(dup * n) + 1 :] += 1
    return rows


def duplicate_rows(client: str) -> list[dict]:
    """The exact duplicate data rows planted in the client's exports (file and spreadsheet row).

    ``sample_model`` holds each such row once: the copy is an export glitch.
    """
    data = build(client)
    out = []
    for e in spec_for(client).exports:
        dup = e.options.get("duplicate")
        if dup is not None:
            n = len(_export_rows(data, e))
            first = writers.first_data_row(e.writer) + int(dup * n)
            out.append({"file": e.path, "row": first + 1, "duplicate_of": first})
    return out


def _write_export(data: SampleData, export: ExportSpec, path: Path) -> None:
    frame = _export_rows(data, export)
    extra: dict = {}
    if export.writer == "google_ads":
        types = {k: ag.campaign_type for k, ag in enumerate(data.spec.ad_groups)}
        extra["campaign_type"] = frame["_k"].map(types).astype("str")
        extra["variant"] = export.options.get("variant", "utf16_tsv")
        extra["level"] = export.options.get("level", "ad_group")
        extra["duplicate"] = export.options.get("duplicate")
    elif export.writer == "linkedin":
        extra["variant"] = export.options.get("variant", "csv")
    elif export.writer == "meta":
        extra["objective"] = frame["_k"].map({k: ag.objective for k, ag in enumerate(data.spec.ad_groups)})
    writers.WRITERS[export.writer](frame, path, **extra)


# -- the model -------------------------------------------------------------------------------


@lru_cache(maxsize=16)
def _model(client: str, salt: str) -> tuple[pd.DataFrame, ...]:
    data = build(client)
    spec = data.spec
    spend_parts, contacts, deals, touchpoints = [], None, None, None
    for e in spec.exports:
        frame = _export_rows(data, e)
        prov = {"source_file": e.path, "source_row": _source_rows(e, len(frame))}
        if e.table == "spend":
            spend_parts.append(frame.assign(**prov))
        elif e.table == "contacts":
            p = pseudonymise(frame["email"], salt)
            contacts = frame.assign(contact_key=p.keys.to_numpy(), company_domain=p.domains.to_numpy(), **prov)
        elif e.table == "deals":
            if spec.crm == "hubspot":
                p = pseudonymise(frame["email"], salt)
                key, domain = p.keys.to_numpy(), p.domains.to_numpy()
            else:  # Salesforce opportunities name the account and its website, not a person
                key = pd.array([pd.NA] * len(frame), dtype="str")
                domain = frame["account_domain"].to_numpy()
            deals = frame.assign(contact_key=key, account_domain=domain, **prov)
        elif e.table == "touchpoints":
            touchpoints = frame.assign(contact_key=hash_emails(frame["email"], salt).to_numpy(), **prov)
    return (
        conform("spend", pd.concat(spend_parts, ignore_index=True)),
        conform("contacts", contacts),
        conform("deals", deals),
        conform("touchpoints", touchpoints),
        conform("target_accounts", data.target_accounts),
    )


def sample_model(client: str) -> ClientModel:
    cfg = sample_config(client)
    spend, contacts, deals, touchpoints, target = _model(client, cfg.salt)
    return ClientModel(
        spend=spend, contacts=contacts, deals=deals, touchpoints=touchpoints, target_accounts=target, config=cfg
    )


def planted_pii(client: str | None = None) -> set[str]:
    clients = SAMPLE_CLIENTS if client is None else (spec_for(client).client,)
    out: set[str] = set()
    for c in clients:
        data = build(c)
        people = data.contacts
        for col in ("email", "first_name", "last_name", "phone", "notes", "owner"):
            out.update(v for v in people[col].dropna().astype(str) if v)
        out.update(people["email"].dropna().str.lower())
        out.update(people["first_name"] + " " + people["last_name"])
        out.update(data.deals["contact_name"].dropna())
        out.update(data.deals["owner"].dropna())
        out.update(data.spec.owners)
    return out


# -- files -----------------------------------------------------------------------------------

TOUCHPOINTS_MAP = """\
# Column map for the web-activity export (exports/web_touchpoints.csv).
# Format: templates/column_maps/ (CONVENTIONS.md). `email` is hashed into contact_key, then dropped.
name: web_touchpoints
table: touchpoints
detect: [Email, Activity Timestamp, Channel, Campaign, Page Path]
read:
  encoding: utf-8
  sep: ","
  date_format: "%Y-%m-%d %H:%M:%S"
columns:
  email: Email
  timestamp: Activity Timestamp
  channel: Channel
  campaign: Campaign
"""

PARTNER_MEDIA_MAP = """\
# Column map for the French media partner's export (exports/partner_media_fr.csv):
# `;` separator, decimal comma, DD/MM/YYYY dates, UTF-8 with BOM, cost in EUR (no currency column).
name: partner_media
table: spend
detect: [Date, Campagne, Emplacement, Impressions, Clics, Coût]
read:
  encoding: utf-8-sig
  sep: ";"
  decimal: ","
  thousands: null
  date_format: "%d/%m/%Y"
columns:
  date: Date
  campaign: Campagne
  ad_group: Emplacement
  impressions: Impressions
  clicks: Clics
  cost: Coût
constants:
  platform: partner_media
  currency: EUR
"""

_MAPS = {"column_maps/touchpoints.yaml": TOUCHPOINTS_MAP, "column_maps/partner_media.yaml": PARTNER_MEDIA_MAP}

README = """\
# Sample client data

Generated by `kpikit samples` (`make samples`) from `kpikit/samples/`: do not edit by hand, regenerate.
`tests/test_samples.py` fails when these files differ by a single byte from what the generator writes.
Everything is invented: companies, people, emails and phone numbers are fake, but shaped like the real
exports a consultant receives (encodings, preambles, footers, number and date formats).

| client | business | currency | raw exports (`<client>/exports/`) |
| --- | --- | --- | --- |
| `lumora` | B2B SaaS (data platform) | EUR | Google Ads ad group report (UTF-16 LE, tabs), LinkedIn Campaign Manager (CSV), Meta Ads Manager (**USD**), HubSpot contacts + deals |
| `ironbridge` | industrial equipment | USD | Google Ads ad group report (UTF-8 CSV), LinkedIn (UTF-16, tabs), Salesforce leads + opportunities (Windows-1252, footer block) |
| `harbourline` | professional services | GBP | Google Ads campaign report (UTF-16), Meta, HubSpot, a French partner's export (`;`, decimal comma, DD/MM/YYYY, **EUR**) |
| `veldmark` | cybersecurity SaaS | EUR | Google Ads ad group report (UTF-8 CSV), LinkedIn (CSV), Meta, HubSpot contacts + deals: **18 months** |

Each client also has `web_touchpoints.csv` (read through `column_maps/touchpoints.yaml`), `target_accounts.csv`
and `client.yaml`; `clients.yaml` lists the configs. The period is 1 January to 30 June 2026 (veldmark:
1 January 2025 to 30 June 2026), exported on 3 July 2026.

## Stories planted for the analysis to find
- **Good clickers.** Ad groups `Retargeting - clicked 7d / 14d / 30d / 90d` next to `Prospecting - ...`
  audiences (lumora: LinkedIn; ironbridge: Google Display; harbourline: Meta). CTR rises as the window
  narrows; opportunities per unit of spend fall; most opportunities come from prospecting.
- **The incentive trap (lumora).** From 1 May 2026 budget moves from prospecting and generic search to
  retargeting: CTR goes up, opportunities and pipeline go down, spend stays the same.
- **Likes.** lumora's Meta campaign `Like & Share to Win - Summer Giveaway`: the cheapest engagements by
  far, almost no leads, no pipeline.
- **Key accounts.** About 30 target accounts per client: under 5% of the contacts and few visits, about two
  thirds of the pipeline (64-76%).
- **History to forecast from (veldmark).** 18 months with a yearly season (demand weak in July, August and
  December), one budget change (LinkedIn prospecting +80% from 1 October 2025) and diminishing returns
  (the cost per impression rises with the day's spend). It is larger than the others (about 2 MB) because a
  forecast needs more than a year of daily rows.

## Quirks planted for the loaders
- One exact duplicated data row in `ironbridge/exports/google_ads_ad_group_report.csv`.
- A campaign named `<img src=x onerror=alert(1)>` (small spend) in every client; a campaign named
  `=HYPERLINK("http://x","y")` in harbourline's Google Ads report.
- utm_campaign values typed with other case, a trailing space or a platform prefix (`LI - `, `FB - `,
  `GA - `); one cryptic code that only `campaign_map` in `client.yaml` resolves; one utm_campaign that
  matches no ad campaign at all.
- Money in a currency that is not the client's (with `fx_rates` in `client.yaml`).
- CRM files carry fake names, emails (some gmail/outlook, some typed in capitals), phone numbers and
  free-text notes (some multi-line, with commas and quotes): loaders must drop all of it.
"""

GITATTRIBUTES = """\
# Generated raw exports: keep every byte (UTF-16, CRLF, BOMs) exactly as written.
* -text
"""


def generate(out_dir: str | Path) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def put(path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
        written.append(path)

    for client in SAMPLE_CLIENTS:
        data = build(client)
        folder = out / client
        for e in data.spec.exports:
            _write_export(data, e, folder / e.path)
            written.append(folder / e.path)
            if e.map is not None:
                put(folder / e.map, _MAPS[e.map])
        writers.write_target_accounts(data.target_accounts, folder / "target_accounts.csv")
        written.append(folder / "target_accounts.csv")
        put(folder / "client.yaml", config_yaml(client))
    listing = "# Sample client configs written by `kpikit samples`; paths are relative to this file.\n"
    listing += "".join(f"- {c}/client.yaml\n" for c in SAMPLE_CLIENTS)
    put(out / "clients.yaml", listing)
    put(out / ".gitattributes", GITATTRIBUTES)
    put(out / "README.md", README)
    return sorted(dict.fromkeys(written))
