"""Hand-written CRM and ad exports for issue 14: Meta results by indicator, HubSpot deals and their
contacts, one export in several files, dates that read both ways.

Every file in ``tests/bad_inputs/corpus/crm/`` is written as the platform writes it (a HubSpot
deals export with ``Associated Contact`` = ``Name (email);Name (email)``, a Meta Ads Manager export
with ``Results`` / ``Result indicator``, Salesforce reports with their quoted cells and ``Grand
Totals (N records)`` block, Google Ads UI downloads with title, date-range line and ``Total:``
rows), never with kpikit's sample writers. A ``client_*`` folder is a client (``load_client``).

Each case is an expected load, whose figures the test computes itself from the raw files (the
:mod:`csv` module, :class:`decimal.Decimal` and DuckDB SQL, never kpikit's parsers), or an
expected refusal with its error class and the words of its message (file, row, column, fix).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kpikit.errors import KpikitError, ValidationError
from kpikit.ingest import load_client, load_file
from kpikit.ingest.cli import main as validate
from kpikit.ingest.client import inspect_client

CORPUS = Path(__file__).parent / "bad_inputs" / "corpus" / "crm"
CENT = Decimal("0.01")
# Headers of personal (or free-text) columns: no error message may quote one of their cells.
PERSONAL = {"First Name", "Last Name", "Email", "Phone", "Phone Number", "Associated Contact", "Deal owner",
            "Opportunity Owner", "Title"}  # fmt: skip


# ---- reading the raw files, independently of kpikit -------------------------------------------


def _rows(path: Path, first_header: str) -> list[dict[str, str]]:
    """The data rows of an export: below the line starting with ``first_header``, up to the first
    blank line or totals row (``Total: ...``, ``Grand Totals ...``)."""
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = list(csv.reader(fh))
    start = next(i for i, r in enumerate(lines) if r and r[0] == first_header)
    header, out = lines[start], []
    for r in lines[start + 1 :]:
        if not any(c.strip() for c in r) or r[0].startswith(("Total:", "Grand Totals")):
            break
        out.append(dict(zip(header, r, strict=True)))
    return out


def _num(text: str) -> Decimal:
    return Decimal(text.replace(",", "")) if text.strip() else Decimal(0)


def _sums(rows: list[dict[str, str]], column: str, by: str) -> dict[str, float]:
    out: dict[str, Decimal] = {}
    for r in rows:
        out[r[by]] = out.get(r[by], Decimal(0)) + _num(r[column])
    return {k: float(v.quantize(CENT)) for k, v in sorted(out.items())}


def _first_email(cell: str) -> str | None:
    m = re.search(r"\(([^()]+@[^()]+)\)", cell)
    return m.group(1).lower() if m else None


def _text(exc: BaseException) -> str:
    return str(exc) + "".join(str(p) for p in getattr(exc, "problems", []))


# ---- what each case must give ------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """Loads; ``check(model_or_loaded)`` asserts the exact figures, computed from the raw files."""

    check: str  # name of the check function below
    words: tuple[str, ...] = ()  # words the load report (text) must hold: notes, warnings


@dataclass(frozen=True)
class Refuse:
    error: type[KpikitError]
    words: tuple[str, ...]
    problems: int | None = None  # exact number of problems, when it matters (one per file, not per target)


# fmt: off
CASES: dict[str, Load | Refuse] = {
    # --- defect 8: Meta Results feed engagements or leads by their indicator, per row ------------
    "meta_results_by_indicator.csv": Load(
        "meta_results", ("actions:link_click (120)", "actions:landing_page_view (80)", "reach (184,300)",
                         "not engagements, leads or conversions")),
    # --- defect 10: a HubSpot contact with 3 deals, 2 deals without a contact, a deal with 2 ----
    "hubspot_deals_associations.csv": Load(
        "hubspot_deals", ("1 deal(s) name several contacts", "the first one named is the deal's contact")),
    "client_hubspot_contacts_and_deals": Load("hubspot_contacts_and_deals"),
    # --- defect 4: one export in several files --------------------------------------------------
    "client_same_export_twice": Refuse(
        ValidationError, ("google.csv", "google (1).csv", "byte for byte", "count every row twice",
                          "Fix: remove one of them from exports"), problems=1),
    "client_google_overlapping_ranges": Load(
        "google_overlap", ("google_ads_2024-01-04_2024-01-08.csv: 4 row(s) dropped as 'repeated_rows'",
                           "repeat rows of google_ads_2024-01-01_2024-01-05.csv exactly", "in_other_export: 4",
                           "spend dropped EUR 309.52")),
    "client_google_overlap_disagrees": Refuse(
        ValidationError, ("google_ads_2024-01-04_2024-01-08.csv", "row 7", "row 13 of google_ads_2024-01-01_2024-01-05.csv",
                          "date '2024-01-05'", "campaign 'Generic - Phrase'", "clicks 33", "cost 80.44", "76.1",
                          "platform_conversions", "Fix: keep it in one export only"), problems=1),
    "client_campaign_and_ad_group_reports": Refuse(
        ValidationError, ("google_ads_campaigns.csv", "6 campaign-day(s)", "google_ads_ad_groups.csv",
                          "campaign level, daily", "ad group level, daily", "'Brand - Exact' on 2024-01-01",
                          "would count twice", "Fix: load each campaign-day at one level only"), problems=1),
    "client_hubspot_deals_exported_twice": Load(
        "hubspot_deals_twice", ("hubspot_deals_2024-q1.csv: 3 row(s) dropped as 'repeated_rows'",
                                "same deal id")),
    "client_hubspot_deal_changed_between_exports": Refuse(
        ValidationError, ("hubspot_deals_may.csv", "row 3", "deal_id '5107'", "row 3 of hubspot_deals_march.csv",
                          "amount 9900.0 in hubspot_deals_march.csv, 10400.0 in hubspot_deals_may.csv", "stage",
                          "is_won", "Fix: keep it in one export only"), problems=1),
    "client_deal_in_hubspot_and_salesforce": Refuse(
        ValidationError, ("salesforce_opportunities.csv", "row 2", "'0061x00000XyZ01'", "'7201' of hubspot_deals.csv",
                          "another CRM", "USD 18,000.00 closing 2024-03-28", "Fix: keep each deal in one CRM's export"),
        problems=1),
    "client_contact_in_hubspot_and_salesforce": Refuse(
        ValidationError, ("salesforce_leads.csv", "row 2", "same contact (same email)", "row 2 of hubspot_contacts.csv",
                          "created_date '2024-01-15 09:12:00' in hubspot_contacts.csv, '2023-12-18' in salesforce_leads.csv",
                          "Fix: keep it in one export only"), problems=1),
    # --- defect 11: dates that read both ways ---------------------------------------------------
    "salesforce_opportunities_ambiguous_dates.csv": Refuse(
        ValidationError, ("column 'Created Date'", "ambiguous dates", "(also in 'Close Date')", "'02/01/2024'",
                          "dates: {order: day_first}", "dates: {order: month_first}", "'%d/%m/%Y' (Europe)"),
        problems=1),
    "client_sf_dates_from_hubspot": Load(
        "sf_dates_from_hubspot", ("read day-first, as hubspot_contacts.csv of the same client (unambiguously day-first)",
                                  "salesforce_opportunities.csv: its dates read both ways")),
    "client_dates_set_in_yaml": Load(
        "dates_set_in_yaml", ("read month-first, as `dates: {order: month_first}` in client.yaml says",)),
    "client_dates_conflicting_evidence": Refuse(
        ValidationError, ("salesforce_opportunities.csv", "ambiguous dates", "(also in 'Close Date')",
                          "the client's other exports disagree (day-first: hubspot_contacts.csv; month-first: "
                          "salesforce_leads.csv)", "dates: {order: day_first}"), problems=1),
}
# fmt: on


# ---- the figures of each expected load -----------------------------------------------------------


def meta_results(loaded) -> None:
    rows = _rows(CORPUS / "meta_results_by_indicator.csv", "Reporting starts")
    engagement = {"actions:like", "post_engagement", "actions:page_engagement", "actions:onsite_conversion.post_save"}
    leads = {"actions:lead", "actions:onsite_conversion.lead_grouped"}
    f = loaded.frame
    assert len(f) == len(rows) == 11
    assert loaded.report.spend == {"EUR": float(sum(_num(r["Amount spent (EUR)"]) for r in rows).quantize(CENT))}
    assert int(f["impressions"].sum()) == sum(int(_num(r["Impressions"])) for r in rows)
    assert int(f["clicks"].sum()) == sum(int(_num(r["Link clicks"])) for r in rows)
    assert int(f["clicks_all"].sum()) == sum(int(_num(r["Clicks (all)"])) for r in rows)
    # per row: the indicator decides where the Results go
    for got, r in zip(f.itertuples(), rows, strict=True):
        ind, results = r["Result indicator"], int(_num(r["Results"]))
        if ind in engagement:
            assert got.engagements == results, r
        else:
            assert pd.isna(got.engagements), r
        if ind in leads:
            assert got.reported_leads == results and got.platform_conversions == results, r
        else:
            assert pd.isna(got.reported_leads), r
            assert ind == "" or pd.isna(got.platform_conversions), r  # a like or a click is no conversion
    assert (
        int(f["engagements"].sum())
        == sum(int(_num(r["Results"])) for r in rows if r["Result indicator"] in engagement)
        == 357
    )
    assert (
        int(f["reported_leads"].sum())
        == sum(int(_num(r["Results"])) for r in rows if r["Result indicator"] in leads)
        == 9
    )
    assert f["platform_conversions"].sum() == 9.0


def _check_hubspot_deals(deals: pd.DataFrame, raw: list[dict[str, str]]) -> None:
    assert len(deals) == len(raw) == 7
    assert deals["deal_id"].tolist() == [r["Record ID"] for r in raw]
    got = deals.groupby("currency")["amount"].sum().round(2).to_dict()
    assert got == _sums(raw, "Amount", "Currency") == {"EUR": 89900.5, "GBP": 14900.0}
    assert int(deals["is_won"].sum()) == sum(r["Deal Stage"] == "Closed Won" for r in raw) == 3
    assert int(deals["is_closed"].sum()) == sum(r["Deal Stage"].startswith("Closed") for r in raw) == 4
    # the deal's contact: the first one named; deals of one contact share one key; no contact, no key
    first = [_first_email(r["Associated Contact"]) for r in raw]
    assert (
        deals["contact_key"].notna().tolist() == [e is not None for e in first] == [True] * 3 + [False] * 2 + [True] * 2
    )
    keys = dict(zip(deals["contact_key"], first, strict=True))
    assert len({k for k in keys if pd.notna(k)}) == len({e for e in first if e}) == 3
    assert deals["account_domain"].tolist()[:3] == ["aldmoor-systems.com"] * 3
    assert deals["account_domain"].iloc[5] == "dunmere.at"  # the first of its two contacts


def hubspot_deals(loaded) -> None:
    _check_hubspot_deals(loaded.frame, _rows(CORPUS / "hubspot_deals_associations.csv", "Record ID"))
    assert loaded.report.rows_read == loaded.report.rows_loaded == 7 and loaded.report.dropped == {}


def hubspot_contacts_and_deals(model) -> None:
    exports = CORPUS / "client_hubspot_contacts_and_deals" / "exports"
    raw = _rows(exports / "hubspot_deals.csv", "Record ID")
    contacts = _rows(exports / "hubspot_contacts.csv", "Record ID")
    assert len(model.contacts) == len(contacts) == 4 and len(model.deals) == 7
    known = {c["Email"].lower() for c in contacts}
    expected = sum(_first_email(r["Associated Contact"]) in known for r in raw)
    assert model.load_report.matches["deals_with_known_contact"] == expected == 5
    # money in EUR: GBP at the client's rate
    eur = sum(_num(r["Amount"]) * (Decimal("1.17") if r["Currency"] == "GBP" else 1) for r in raw)
    assert round(model.deals["amount"].sum(), 2) == float(eur.quantize(CENT))


def google_overlap(model) -> None:
    exports = CORPUS / "client_google_overlapping_ranges" / "exports"
    con = duckdb.connect()
    files = [str(p) for p in sorted(exports.glob("*.csv"))]
    # DuckDB over the raw files: the distinct day / campaign / ad group rows of both exports
    union = con.execute(
        f"""
        WITH rows AS (
            SELECT Day, Campaign, "Ad group" AS ad_group,
                   CAST(replace("Impr.", ',', '') AS BIGINT) AS impr, CAST(Clicks AS BIGINT) AS clicks,
                   CAST(replace(Cost, ',', '') AS DECIMAL(18, 2)) AS cost
            FROM read_csv({files!r}, skip=2, header=true, all_varchar=true)
            WHERE Day LIKE '2024-%'
        )
        SELECT Day, Campaign, ad_group, min(impr) AS impr, min(clicks) AS clicks, min(cost) AS cost,
               count(DISTINCT (impr, clicks, cost)) AS versions
        FROM rows GROUP BY Day, Campaign, ad_group
        """
    ).df()
    assert (union["versions"] == 1).all()  # the overlapping days agree
    assert len(model.spend) == len(union) == 16
    assert round(model.spend["cost"].sum(), 2) == float(union["cost"].sum()) == 1299.29
    assert int(model.spend["impressions"].sum()) == int(union["impr"].sum())
    assert int(model.spend["clicks"].sum()) == int(union["clicks"].sum())
    assert model.load_report.spend_total() == {"EUR": 1299.29}
    later = model.load_report.files[1]
    assert (later.rows_loaded, later.dropped["in_other_export"], later.spend_dropped) == (6, 4, {"EUR": 309.52})
    assert all(f.reconciles for f in model.load_report.files)
    (o,) = model.load_report.overlaps
    assert (o.rule, o.action, o.rows, o.kept, o.other) == (
        "repeated_rows",
        "dropped",
        4,
        "google_ads_2024-01-01_2024-01-05.csv",
        "google_ads_2024-01-04_2024-01-08.csv",
    )


def hubspot_deals_twice(model) -> None:
    exports = CORPUS / "client_hubspot_deals_exported_twice" / "exports"
    raw = {r["Record ID"]: r for p in sorted(exports.glob("*.csv")) for r in _rows(p, "Record ID")}
    assert sorted(model.deals["deal_id"]) == sorted(raw) and len(model.deals) == 7
    eur = sum(_num(r["Amount"]) * (Decimal("1.17") if r["Currency"] == "GBP" else 1) for r in raw.values())
    assert round(model.deals["amount"].sum(), 2) == float(eur.quantize(CENT))
    assert int(model.deals["is_won"].sum()) == sum(r["Deal Stage"] == "Closed Won" for r in raw.values()) == 3
    q1 = next(f for f in model.load_report.files if f.path.endswith("q1.csv"))
    assert (q1.rows_read, q1.rows_loaded, q1.dropped) == (3, 0, {"in_other_export": 3})


def _dates(rows: list[dict[str, str]], column: str, fmt: str) -> list[str]:
    return [datetime.strptime(r[column], fmt).strftime("%Y-%m-%d") for r in rows]


def sf_dates_from_hubspot(model) -> None:
    raw = _rows(CORPUS / "client_sf_dates_from_hubspot" / "exports" / "salesforce_opportunities.csv", "Opportunity ID")
    deals = model.deals
    assert deals["created_date"].dt.strftime("%Y-%m-%d").tolist() == _dates(raw, "Created Date", "%d/%m/%Y")
    assert deals["close_date"].dt.strftime("%Y-%m-%d").tolist() == _dates(raw, "Close Date", "%d/%m/%Y")
    assert deals["close_date"].iloc[0] == pd.Timestamp("2024-03-04")  # 04/03/2024 is 4 March, not 3 April
    sf = next(f for f in model.load_report.files if f.source == "salesforce_opportunities")
    assert (sf.date_order, sf.date_order_from) == ("day_first", "other exports")
    hub = next(f for f in model.load_report.files if f.source == "hubspot_contacts")
    assert (hub.date_order, hub.date_order_from) == ("day_first", "values")


def dates_set_in_yaml(model) -> None:
    raw = _rows(CORPUS / "client_dates_set_in_yaml" / "exports" / "salesforce_leads.csv", "First Name")
    assert len(model.contacts) == len(raw) == 4
    assert model.contacts["created_date"].dt.strftime("%Y-%m-%d").tolist() == _dates(raw, "Created Date", "%m/%d/%Y")
    assert model.contacts["lead_date"].equals(model.contacts["created_date"])
    (f,) = model.load_report.files
    assert (f.date_order, f.date_order_from) == ("month_first", "declared")


# ---- the tests ---------------------------------------------------------------------------------------


def _load(path: Path):
    return load_client(path) if path.is_dir() else load_file(path)


def test_every_corpus_file_has_an_expectation():
    names = {p.name for p in CORPUS.iterdir()}
    assert names == set(CASES), "every file of the corpus needs a case (and every case a file)"
    files = [p for p in CORPUS.rglob("*.csv")]
    assert len(files) >= 10 and sum(p.is_dir() for p in CORPUS.iterdir()) >= 8


@pytest.mark.parametrize("name", sorted(CASES))
def test_corpus_case(name):
    case, path = CASES[name], CORPUS / name
    if isinstance(case, Refuse):
        with pytest.raises(KpikitError) as info:
            _load(path)
        exc = info.value
        assert type(exc) is case.error, f"{name}: {type(exc).__name__}: {exc}"
        text = str(exc)
        for word in case.words:
            assert word in text, f"{name}: {word!r} not in:\n{text}"
        assert all(p.fix for p in exc.problems), text
        if case.problems is not None:
            assert len(exc.problems) == case.problems, text
        return
    loaded = _load(path)
    globals()[case.check](loaded)
    report = loaded.load_report if path.is_dir() else loaded.report
    text = report.to_text()
    for word in case.words:
        assert word in text, f"{name}: {word!r} not in:\n{text}"
    files = report.files if path.is_dir() else [report]
    assert all(f.reconciles for f in files)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if isinstance(c, Refuse)))
def test_refusals_quote_no_personal_cell(name):
    path = CORPUS / name
    cells = set()
    for p in [path] if path.is_file() else path.rglob("*.csv"):
        with p.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
        header = next(r for r in rows if len(r) > 3)
        cols = [i for i, h in enumerate(header) if h in PERSONAL]
        cells |= {r[i].strip() for r in rows if len(r) == len(header) for i in cols if r[i].strip() and r is not header}
        cells |= {e for c in set(cells) for e in re.findall(r"[\w.+-]+@[\w.-]+", c)}
    with pytest.raises(KpikitError) as info:
        _load(path)
    text = _text(info.value).lower()
    leaked = sorted(c for c in cells if c.lower() in text)
    assert not leaked, f"{name} quotes personal cells {leaked}"


def test_overlaps_are_in_the_client_level_report():
    report = inspect_client(CORPUS / "client_google_overlap_disagrees")
    assert not report.ok and all(f.ok for f in report.files)  # every file loads; together they do not
    rules = [(o.rule, o.action, o.rows) for o in report.overlaps]
    assert rules == [("repeated_rows", "dropped", 3), ("conflicting_rows", "refused", 1)]
    data = report.to_dict()["client"]
    assert [o["rule"] for o in data["overlaps"]] == ["repeated_rows", "conflicting_rows"]
    assert len(data["problems"]) == 1 and len(data["warnings"]) == 1
    assert "across files: PROBLEM(S)" in report.to_text()
    assert "across files" in report._repr_html_()


def test_kpikit_validate_checks_a_client_folder_across_files(capsys):
    assert validate([str(CORPUS / "client_same_export_twice")]) == 1
    out = capsys.readouterr().out
    assert "byte for byte" in out and "1 problem(s) across files" in out
    assert validate([str(CORPUS / "client_google_overlapping_ranges"), "--json"]) == 0
    data = __import__("json").loads(capsys.readouterr().out)
    assert data["ok"] is True and data["client"]["overlaps"][0]["rows"] == 4


def test_ambiguous_dates_are_reported_once_per_file_not_per_target():
    # Salesforce's "Created Date" feeds both created_date and lead_date: one problem, not two
    with pytest.raises(ValidationError) as info:
        load_file(Path(__file__).parent / "bad_inputs" / "ambiguous_dates.csv")
    assert len(info.value.problems) == 1
