"""`kpikit validate CLIENT` as a pre-flight, on hand-written client folders (issue 14, defects 15 and 12).

Every export in ``tests/bad_inputs/corpus/preflight/`` is typed as the platform writes it
(Google Ads UI downloads with their title, date-range line and ``Total:`` rows; a Meta Ads
Manager export with ``Reporting starts``/``Reporting ends`` and ``Amount spent (EUR)``; a
LinkedIn campaign performance report in UTF-16 with its preamble; HubSpot contacts; Salesforce
lead and opportunity reports with their ``Grand Totals (N records)`` footer block; a partner's
semicolon export read through the client's column map), never with kpikit's sample writers.

Each client folder is a case below: the checks that must fail (with the words their problems
must hold: key, column, fix), the warnings, the exit status, and for the folders that load,
the exact figures, computed here from the raw bytes with :mod:`csv` and :class:`decimal.Decimal`,
never with kpikit's parsers. No case may exit 0 with a figure the platform did not mean.
"""

from __future__ import annotations

import csv
import importlib
import io
import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

import kpikit
from kpikit.analysis import attribution, funnel, key_accounts, metrics, segment_table
from kpikit.errors import KpikitError
from kpikit.ingest.cli import main as validate
from kpikit.ingest.preflight import CHECKS, ERROR, WARNING, preflight

CORPUS = Path(__file__).parent / "bad_inputs" / "corpus" / "preflight"
CRM = Path(__file__).parent / "bad_inputs" / "corpus" / "crm"
CENT = Decimal("0.01")


# --- independent readers of the raw exports (csv + Decimal, nothing from kpikit) ---------------------


def _rows(path: Path, encoding: str, header_first: str, sep: str = ",") -> list[dict[str, str]]:
    """Rows below the line that starts with ``header_first``, up to the first blank or footer row."""
    text = path.read_bytes().decode(encoding).lstrip("\ufeff")
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip('"').startswith(header_first))
    out = []
    for row in csv.DictReader(io.StringIO("\n".join(lines[start:])), delimiter=sep):
        first = next(iter(row.values())) or ""
        if not any(v for v in row.values() if v) or first.startswith(("Total:", "Grand Totals")):
            break
        out.append(row)
    return out


def _num(text: str, decimal: str = ".") -> Decimal:
    thousands = "," if decimal == "." else "."
    return Decimal(text.replace(thousands, "").replace(decimal, "."))


@dataclass
class Spend:
    rows: int = 0
    money: dict[str, Decimal] = field(default_factory=dict)
    impressions: int = 0
    clicks: int = 0

    def add(self, currency: str, cost: Decimal, impressions: Decimal, clicks: Decimal) -> None:
        self.rows += 1
        self.money[currency] = self.money.get(currency, Decimal(0)) + cost
        self.impressions += int(impressions)
        self.clicks += int(clicks)


def google(path: Path) -> Spend:
    s = Spend()
    for r in _rows(path, "utf-8", "Day,"):
        s.add(r["Currency code"], _num(r["Cost"]), _num(r["Impr."]), _num(r["Clicks"]))
    return s


def meta(path: Path) -> Spend:
    s = Spend()
    for r in _rows(path, "utf-8", "Reporting starts"):
        (col,) = [k for k in r if k.startswith("Amount spent (")]
        s.add(col[-4:-1], _num(r[col]), _num(r["Impressions"]), _num(r["Link clicks"]))
    return s


def linkedin(path: Path) -> Spend:
    s = Spend()
    for r in _rows(path, "utf-16", "Start Date (in UTC)", sep="\t"):
        # LinkedIn's CTR clicks are "Clicks to Landing Page"; "Clicks" counts every click
        s.add(r["Currency"], _num(r["Total Spent"]), _num(r["Impressions"]), _num(r["Clicks to Landing Page"]))
    return s


def maritime_weekly(path: Path) -> Spend:
    s = Spend()
    for r in _rows(path, "utf-8", "Dato;", sep=";"):
        s.add(r["Valuta"], _num(r["Kostnad"], ","), _num(r["Visninger"], ","), _num(r["Klikk"], ","))
    return s


READERS = {"google_ads": google, "meta_ads": meta, "linkedin": linkedin, "maritime_weekly": maritime_weekly}


def spend_of(path: Path) -> Spend:
    return next(fn(path) for key, fn in READERS.items() if path.name.startswith(key))


def records(path: Path, header_first: str) -> list[dict[str, str]]:
    return _rows(path, "utf-8", header_first)


def us_date(text: str) -> date:
    m, d, y = map(int, text.split("/"))
    return date(y, m, d)


def norm(name: str) -> str:
    """The campaign-name rule as the docs state it: lower case, runs of space, '_' and '-' as one space."""
    return re.sub(r"[\s_\-]+", " ", name.strip().lower()).strip()


# --- the table of cases ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flight:
    """The expected pre-flight of one client folder."""

    exit: int
    errors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # check -> words of its problems
    warnings: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loads: bool = True  # load_client succeeds (then the figures are checked against metrics)
    skipped: tuple[str, ...] = ()  # checks that must be skipped (the client does not load)


_MODEL_CHECKS = tuple(c.name for c in CHECKS.values() if c.needs_model)

# fmt: off
CASES: dict[str, Flight] = {
    # before: "2 file(s): all load", exit 0, then `kpikit metrics` stops on CurrencyError
    "client_missing_fx_rate": Flight(
        1, {"fx_rates": ("key 'fx_rates'", "USD", "google_ads_campaigns.csv", "reporting currency EUR",
                         "add `fx_rates: {USD: RATE}` (EUR per 1 USD)")},
        loads=False, skipped=_MODEL_CHECKS,
    ),
    # before: exit 0, then `kpikit report` stops on "logo file not found"
    "client_missing_logo": Flight(
        1, {"logo": ("key 'report.logo'", "logo file not found", "fjellheim-logo.png",
                     "put the logo beside client.yaml or set report.logo: null")},
    ),
    # before: exit 0, and the report embeds a 404 page as image/png (a broken image in the client's header)
    "client_logo_not_image": Flight(
        1, {"logo": ("key 'report.logo'", "'logo.png'", "not a PNG image", "b'<!DOCTYP'",
                     "export the logo again as PNG or SVG")},
    ),
    # before: exit 0, and the client's report says it comes from "Your Agency"
    "client_placeholder_agency": Flight(
        1, {"template_placeholders": ("key 'report.agency'", "the template's 'Your Agency'",
                                      "set report.agency to the client's own value")},
        warnings={"target_accounts_rows": ("column 'account_domain'", "no account with a domain",
                                           "only its header", "remove target_accounts")},
    ),
    # before: exit 0; the map entry was ignored without a word and 3 webinar leads matched no spend
    "client_campaign_map_to_nothing": Flight(
        1, {"campaign_map": ("key 'campaign_map.spring_webinar_24'", "'Webinar - Sprng 2024'",
                             "names no campaign or ad group", "closest campaigns: 'Webinar - Spring 2024'",
                             "did you mean 'Webinar - Spring 2024'?")},
        warnings={"campaign_map_keys": ("key 'campaign_map.brand-search'", "maps nothing")},
    ),
    # before: exit 0, then metrics.json has no real outcome at all (key_account "not measured", cost null)
    "client_target_accounts_no_domains": Flight(
        1, {"target_accounts": ("column 'account_domain'", "no account with a domain", "(3 row(s))",
                                "real outcome is key_account", "fill in account_domain")},
    ),
    "client_exports_with_maps": Flight(0),
    "client_salesforce_only": Flight(0),
    "client_linkedin_adgroup_utms": Flight(0),
}
# fmt: on


def _run(args: list[str], capsys) -> tuple[int, dict]:
    code = validate([*args, "--json"])
    return code, json.loads(capsys.readouterr().out)


def _words(problems: list[dict]) -> str:
    return " | ".join(
        f"{'key' if p['key'] else 'column'} {p['key'] or p['column']!r}: {p['message']} "
        f"(expected {p['expected']}, found {p['found']}). Fix: {p['fix']}"
        for p in problems
    )


def test_every_case_folder_is_in_the_table():
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir()) == sorted(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_preflight_case(name, capsys):
    want = CASES[name]
    code, data = _run([str(CORPUS / name)], capsys)
    checks = {c["name"]: c for c in data["checks"]}
    assert list(checks) == list(CHECKS), "--json lists every check, in registry order"
    assert {n for n, c in checks.items() if c["status"] == ERROR} == set(want.errors)
    assert {n for n, c in checks.items() if c["status"] == WARNING} == set(want.warnings)
    assert {n for n, c in checks.items() if c["status"] == "skipped"} == set(want.skipped)
    for check, words in {**want.errors, **want.warnings}.items():
        text = _words(checks[check]["problems"])
        for w in words:
            assert w in text, (check, w, text)
    assert code == want.exit and data["ok"] is (want.exit == 0)
    # the files: every export's rows and spend, to the cent, against the raw bytes
    exports = sorted((CORPUS / name / "exports").iterdir())
    by_path = {Path(f["path"]).name: f for f in data["files"]}
    assert sorted(by_path) == [p.name for p in exports]
    for path in exports:
        f = by_path[path.name]
        assert f["rows_read"] == f["rows_loaded"] + sum(f["dropped"].values())
        if f["table"] == "spend":
            s = spend_of(path)
            assert f["rows_loaded"] == s.rows
            assert {k: Decimal(str(v)) for k, v in f["spend"].items()} == {k: v.quantize(CENT) for k, v in
                                                                          s.money.items()}  # fmt: skip
    # a pre-flight says nothing but the config, the spend's campaign names and counts: no CRM cell
    crm_cells = _crm_cells(CORPUS / name / "exports")
    text = json.dumps(data["checks"])
    assert [c for c in crm_cells if c in text] == []


def _crm_cells(folder: Path) -> set[str]:
    """The names, emails and phones of the client's CRM exports (their header is on line 1)."""
    cells = set()
    for path in folder.glob("*"):
        if path.name.startswith(("hubspot", "salesforce", "marketing")):
            for row in _rows(path, "utf-8", ""):
                cells |= {v for k, v in row.items() if v and any(w in k for w in ("Email", "Name", "Phone"))}
    return cells


def test_metrics_figures_of_the_clients_that_load_are_the_raw_exports():
    """Spend, impressions and clicks of each loading client, per the raw files; leads per the CRM rows."""
    for name, want in CASES.items():
        if not want.loads:
            continue
        folder = CORPUS / name
        m = metrics(kpikit.load_client(folder))
        spend = [spend_of(p) for p in sorted((folder / "exports").iterdir()) if p.name.startswith(tuple(READERS))]
        cfg = kpikit.ClientConfig.from_yaml(folder / "client.yaml")
        total = sum((v * Decimal(str(cfg.rate(c))) for s in spend for c, v in s.money.items()), Decimal(0))
        assert Decimal(str(m["totals"]["spend"])) == total.quantize(CENT), name
        assert m["totals"]["impressions"] == sum(s.impressions for s in spend), name
        assert m["totals"]["clicks"] == sum(s.clicks for s in spend), name


# --- defect 15: files of a client folder are read as the client reads them ---------------------------


def test_files_inside_a_client_use_its_column_maps_and_dates(capsys):
    # before: the partner export "matches no known export format" and the Salesforce dates are
    # "ambiguous": exit 1 for two files the client itself loads
    folder = CORPUS / "client_exports_with_maps"
    files = sorted((folder / "exports").glob("*.csv"))
    code, data = _run([str(p) for p in files], capsys)
    assert code == 0 and data["ok"] is True and data["checks"] == []
    media, leads = data["files"]
    s = maritime_weekly(files[0])
    assert media["source"] == "nordic_partner" and media["rows_loaded"] == s.rows == 3
    assert media["spend"] == {"NOK": float(s.money["NOK"])} == {"NOK": 16400.5}
    raw = records(files[1], "First Name")
    assert (leads["source"], leads["records"], leads["dropped"]) == ("salesforce_leads", len(raw), {"footer": 3})
    assert any("read as client 'preflight-exports-with-maps'" in n for n in media["notes"] + leads["notes"])
    # the dates read day-first, as client.yaml says (04/03/2024 is 4 March)
    contacts = kpikit.load_client(folder).contacts
    want = sorted(date(int(y), int(mo), int(d)) for d, mo, y in (r["Created Date"].split("/") for r in raw))
    assert sorted(contacts["created_date"].dt.date.tolist()) == want == [date(2024, 3, 4), date(2024, 3, 5),
                                                                         date(2024, 3, 11)]  # fmt: skip


def test_a_file_linked_into_a_client_folder_from_outside_is_refused(tmp_path, capsys):
    outside = tmp_path / "elsewhere.csv"
    outside.write_bytes((CORPUS / "client_missing_logo" / "exports" / "google_ads_campaigns.csv").read_bytes())
    client = tmp_path / "acme"
    (client / "inbox").mkdir(parents=True)
    (client / "client.yaml").write_text("client: acme\ncurrency: EUR\nexports: []\n")
    (client / "inbox" / "google.csv").symlink_to(outside)
    code, data = _run([str(client / "inbox" / "google.csv")], capsys)
    assert code == 1
    (p,) = data["files"][0]["problems"]
    assert "symbolic link to a place outside its client folder" in p["message"] and "copy the file" in p["fix"]


# --- defect 12: what a Salesforce-only client cannot measure is null, never 0 -----------------------


def test_salesforce_only_client_unmeasured_figures_are_null_with_the_reason():
    folder = CORPUS / "client_salesforce_only"
    model = kpikit.load_client(folder)
    m = metrics(model)
    ex = folder / "exports"
    leads = records(ex / "salesforce_leads.csv", "Lead ID")
    opps = records(ex / "salesforce_opportunities.csv", "Opportunity ID")
    assert "Contact Email" not in opps[0] and "Email" not in opps[0]  # the report names no contact
    won = [o for o in opps if o["Stage"] == "Closed Won"]
    t = m["totals"]
    assert (t["lead"], t["opportunity"], t["won"]) == (len(leads), len(opps), len(won)) == (6, 3, 2)
    assert Decimal(str(t["pipeline"])) == sum(_num(o["Amount"]) for o in opps) == Decimal("166700.00")
    assert Decimal(str(t["revenue"])) == sum(_num(o["Amount"]) for o in won) == Decimal("54700.00")
    # before: attribution revenue 0.0 in every channel, contact win rate 0.0% (CI 0-43%), cohort won 0
    a = m["attribution"]
    converted = [r for r in leads if r["Converted Date"]]
    assert a["conversions"] == len(converted) == 3 and a["revenue"] is None
    assert all(v["revenue"] is None for credits in a["models"].values() for v in credits.values())
    for row in m["key_accounts"]["rows"]:
        assert row["won_contacts"] is None and row["contact_win_rate"] is None
        assert row["contact_win_rate_low"] is None and row["contact_win_rate_high"] is None
    ka = m["key_accounts"]["rows"][0]
    assert (ka["won"], ka["revenue"]) == (2, 54700.0)  # the deals' own figures are measured: kept
    why = "Won deals are not linked to contacts in this CRM export"
    for words in ("revenue by channel is not measured", "the contacts' win rate is not measured",
                  "lead cohorts' won counts are not measured"):  # fmt: skip
        assert f"{why}: {words}." in m["warnings"]
    # the frames behind the report and the workshop: NaN, not 0
    coh = funnel(model).cohorts
    assert coh["won"].isna().all() and coh["opportunity"].tolist() == [3]
    assert np.isnan(key_accounts(model).frame["contact_win_rate"]).all()
    assert attribution(model).credits["revenue"].isna().all()
    json.dumps(m, allow_nan=False)


# --- defect 15: UTMs that name a LinkedIn campaign (kpikit's ad group) --------------------------------


def test_linkedin_utms_match_at_ad_group_level():
    folder = CORPUS / "client_linkedin_adgroup_utms"
    li = _rows(folder / "exports" / "linkedin_campaign_performance.csv", "utf-16", "Start Date (in UTC)", "\t")
    groups_of: dict[str, set[str]] = defaultdict(set)
    cost: dict[str, Decimal] = defaultdict(Decimal)
    for r in li:
        groups_of[norm(r["Campaign Name"])].add(r["Campaign Group Name"])
        cost[r["Campaign Group Name"]] += _num(r["Total Spent"])
    contacts = records(folder / "exports" / "hubspot_contacts.csv", "Record ID")
    # a UTM naming a LinkedIn campaign of one campaign group counts for that group; of two, for neither
    leads = Counter(
        next(iter(groups_of[norm(c["UTM Campaign"])]))
        for c in contacts
        if len(groups_of.get(norm(c["UTM Campaign"]), ())) == 1
    )
    assert leads == {"Q2 Launch": 8, "Always-on Brand": 2}
    model = kpikit.load_client(folder)
    m = metrics(model)
    rows = {r["campaign"]: r for r in m["by_campaign"]}
    for group, n in leads.items():
        assert rows[group]["lead"] == n and Decimal(str(rows[group]["cost"])) == cost[group]
        assert abs(Decimal(str(rows[group]["cost_per_lead"])) - cost[group] / n) <= CENT / 2  # to the cent
    assert m["match"]["contacts_matched"] == sum(leads.values())
    assert m["match"]["unmatched_crm_names"] == ["newsletter-march", "retargeting-site-visitors"]
    assert any("names ad groups of 2 campaigns" in w and "campaign_map" in w for w in m["warnings"])
    # and at ad-group level: each LinkedIn campaign gets its own leads
    by_ag = segment_table(model, by="ad_group").set_index("ad_group")["lead"]
    assert by_ag["Q2 Launch - CFOs UK"] == 5 and by_ag["Q2 Launch - Controllers DACH"] == 3
    assert by_ag["Thought Leadership - Finance Leaders"] == 2 and by_ag["Retargeting - Site visitors"] == 0


# --- every check of the registry fails somewhere ------------------------------------------------------


def _client(tmp_path: Path, yaml: str, exports: dict[str, bytes]) -> Path:
    (tmp_path / "exports").mkdir(parents=True, exist_ok=True)
    (tmp_path / "client.yaml").write_text(yaml, encoding="utf-8")
    for name, data in exports.items():
        (tmp_path / "exports" / name).write_bytes(data)
    return tmp_path


def _failing(pf) -> set[str]:
    return {r.name for r in pf.results if r.status in (ERROR, WARNING)}


def test_every_check_has_a_case_that_fails_it(tmp_path, monkeypatch):
    seen: set[str] = set()
    for name in CASES:
        seen |= _failing(preflight(CORPUS / name))
    seen |= _failing(preflight(CRM / "client_same_export_twice"))  # cross_file
    seen |= _failing(preflight(CRM / "client_google_overlapping_ranges"))  # cross_file_warnings
    google_eur = (CORPUS / "client_missing_logo" / "exports" / "google_ads_campaigns.csv").read_bytes()
    broken = _client(
        tmp_path / "broken",
        "client: broken\ncurrency: EUR\n",
        {"google.csv": google_eur.replace(b",64,151.20", b",n/a,151.20")},
    )
    seen |= _failing(preflight(broken))  # exports
    empty = _client(tmp_path / "empty", "client: empty\ncurrency: EUR\n", {})
    pf = preflight(empty)
    assert [r.name for r in pf.results if r.status == ERROR] == ["client_loads"]
    assert "no export files" in str(pf.results[[r.name for r in pf.results].index("client_loads")].problems[0])
    seen |= _failing(pf)
    demo = _client(tmp_path / "demo", "client: demo\nname: Real Name\ncurrency: EUR\nsalt: change-me\n",
                   {"google.csv": google_eur})  # fmt: skip
    monkeypatch.delenv("KPIKIT_SALT", raising=False)
    pf = preflight(demo)
    (ex,) = [r for r in pf.results if r.name == "template_examples"]
    assert [p.key for p in ex.problems] == ["client", "salt"] and pf.ok  # warnings only: exit 0
    seen |= _failing(pf)

    def broken_metrics(model):
        raise KpikitError("a stage is missing", key="funnel.stages", fix="add it")

    # kpikit.analysis re-exports the function under the module's name: patch the module itself
    monkeypatch.setattr(importlib.import_module("kpikit.analysis.metrics"), "metrics", broken_metrics)
    pf = preflight(demo)
    (mt,) = [r for r in pf.results if r.name == "metrics"]
    assert mt.status == ERROR and mt.problems[0].key == "funnel.stages"
    seen |= _failing(pf)
    assert seen == set(CHECKS)
    assert {c.level for c in CHECKS.values()} == {ERROR, WARNING}
