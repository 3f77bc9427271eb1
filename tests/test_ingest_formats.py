"""Each built-in export format is detected from content and read with its quirks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from kpikit.errors import KpikitError
from kpikit.ingest import inspect_file, load_file
from kpikit.ingest.detect import detect_format
from kpikit.model import TABLES

FIX = Path(__file__).parent / "fixtures" / "ingest"


@pytest.mark.parametrize(
    ("name", "source", "table", "encoding", "sep"),
    [
        ("google_ads_utf16.tsv", "google_ads", "spend", "utf-16", "\t"),
        ("google_ads_summary.csv", "google_ads", "spend", "utf-8", ","),
        ("google_ads.xlsx", "google_ads", "spend", "utf-8", ","),
        ("linkedin.csv", "linkedin", "spend", "utf-8", ","),
        ("meta.csv", "meta", "spend", "utf-8", ","),
        ("hubspot_contacts.csv", "hubspot_contacts", "contacts", "utf-8", ","),
        ("hubspot_deals.csv", "hubspot_deals", "deals", "utf-8", ","),
        ("salesforce_leads.csv", "salesforce_leads", "contacts", "cp1252", ","),
        ("salesforce_opportunities.csv", "salesforce_opportunities", "deals", "utf-8", ","),
    ],
)
def test_detected_by_content_not_name(tmp_path, name, source, table, encoding, sep):
    renamed = tmp_path / ("export (3)" + Path(name).suffix)  # file names lie
    shutil.copy(FIX / name, renamed)
    loaded = load_file(renamed)
    assert (loaded.source, loaded.table) == (source, table)
    assert loaded.report.encoding == encoding and loaded.report.separator == sep
    assert loaded.report.reconciles and loaded.report.ok
    assert tuple(loaded.frame.columns[: len(TABLES[table].names)]) == TABLES[table].names


def test_google_ads_utf16_footer_thousands_and_dashes():
    loaded = load_file(FIX / "google_ads_utf16.tsv")
    r, f = loaded.report, loaded.frame
    assert r.header_row == 3 and r.rows_read == 6 and r.rows_loaded == 4 and r.dropped == {"footer": 2}
    assert r.spend == {"EUR": 1182.73}  # 23.40 + 26.00 + 1,033.33 + 100.00; the "Total:" rows are not counted
    assert f["impressions"].tolist() == [1200, 1310, 18400, 9000]
    assert f["platform_conversions"].isna().tolist() == [False, False, True, True]  # "--" and " --"
    assert f["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-01", "2024-01-02", "2024-01-01", "2024-01-02"]
    assert f["source_row"].tolist() == [4, 5, 6, 7]
    assert "<script>alert(1)</script>" in set(f["campaign"])  # kept as data


def test_google_ads_without_day_column_uses_report_start():
    f = load_file(FIX / "google_ads_summary.csv").frame
    assert set(f["date"].dt.strftime("%Y-%m-%d")) == {"2024-01-01"}
    assert f["cost"].tolist() == [1250.50, 99.99]


def test_linkedin_campaign_group_is_the_campaign():
    f = load_file(FIX / "linkedin.csv").frame
    assert f["campaign"].tolist() == ["ABM - Tier 1", "ABM - Tier 1", "Awareness"]
    assert f["ad_group"].tolist()[0] == "Retargeting - clicked 30d"
    assert f["clicks"].tolist() == [95, 80, 210]  # Clicks to Landing Page feeds CTR
    assert f["clicks_all"].tolist() == [160, 140, 300]
    assert f["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-15", "2024-01-16", "2024-01-15"]
    assert f["reported_leads"].sum() == 12 and f["cost"].sum() == pytest.approx(1728.35)


def test_meta_currency_from_header_and_link_clicks():
    f = load_file(FIX / "meta.csv").frame
    assert set(f["currency"]) == {"USD"}
    assert f["clicks"].tolist() == [30, 25, 160, 0]  # link clicks; the blank zero day is 0
    assert f["clicks_all"].tolist() == [410, 390, 200, 0]  # likes and shares included
    assert f["date"].dt.day.tolist() == [5, 6, 5, 6]


def test_hubspot_contacts_stages_and_dates():
    loaded = load_file(FIX / "hubspot_contacts.csv")
    f = loaded.frame
    assert loaded.report.dropped == {"no_contact_key": 1}  # the contact without an email
    assert f["lifecycle_stage"].tolist() == ["opportunity", "lead", "won", "mql"]
    assert f["company_domain"].tolist() == ["aldmoor-systems.com", "brisvane.io", "corthell.co.uk", "elvaston.de"]
    assert f["mql_date"].notna().tolist() == [True, False, True, True]
    assert f["ad_group"].iloc[0] == "Retargeting - clicked 30d"


def test_deals_won_and_closed_flags():
    hs = load_file(FIX / "hubspot_deals.csv").frame
    assert hs["is_won"].tolist() == [True, False, False] and hs["is_closed"].tolist() == [True, True, False]
    assert hs["amount"].tolist() == [24000.0, 5000.0, 12500.5]
    sf = load_file(FIX / "salesforce_opportunities.csv")
    assert sf.report.dropped == {"footer": 4}  # Grand Totals, the subtotal line, Confidential, Copyright
    assert sf.frame["deal_id"].tolist() == ["0061x001", "0061x002", "0061x003"]
    assert sf.frame["close_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-03-28", "2024-04-30", "2024-03-15"]


def test_salesforce_cp1252_and_footer():
    loaded = load_file(FIX / "salesforce_leads.csv")
    assert loaded.report.encoding == "cp1252" and loaded.report.dropped == {"footer": 3}
    f = loaded.frame
    assert f["company"].tolist() == ["Glenwick Ltd", "Halvard SA", "Istrelle AS"]
    assert f["created_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-15", "2024-01-22", "2024-02-03"]


def test_european_file_through_its_map():
    loaded = load_file(FIX / "partner_eu.csv", FIX / "partner_eu.yaml")
    f = loaded.frame
    assert f["cost"].tolist() == [1234.56, 87.5, 19.99]
    assert f["impressions"].tolist() == [1250, 980, 400]
    assert f["date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-01-05", "2024-01-06", "2024-01-13"]
    assert loaded.report.spend == {"EUR": 1342.05}


def test_arrow_engine_gives_the_same_frame_as_python():
    for name in ("google_ads_utf16.tsv", "hubspot_contacts.csv", "salesforce_leads.csv", "linkedin.csv"):
        a = load_file(FIX / name, engine="arrow")
        p = load_file(FIX / name, engine="python")
        pd.testing.assert_frame_equal(a.frame, p.frame)
        assert a.report.dropped == p.report.dropped and a.report.rows_read == p.report.rows_read


def test_detection_prefers_the_format_whose_headers_all_match(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Reporting starts,Reporting ends,Campaign name,Amount spent (EUR),Impressions,Link clicks\n")
    assert detect_format(path).format.name == "meta"


def _contacts_csv(path, rows: int, *, late_us_date: bool) -> None:
    """A HubSpot contacts export with the quirks the arrow engine must match the python one on."""
    header = (
        "Record ID,First Name,Email,Company Name,Create Date,Lifecycle Stage,Original Source,"
        "Became a Lead Date,Became a Customer Date,UTM Campaign,Notes"
    )
    lines = [header]
    for i in range(rows):
        email = f"Person.{i}@Company-{i % 37}.example" if i % 11 else f"  person.{i}@COMPANY-{i % 37}.EXAMPLE "
        if i % 97 == 5:
            email = ""  # no email: flagged, not loaded
        if i % 500 == 7:
            email = f"PERSON.{i - 1}@company-{(i - 1) % 37}.example"  # the previous contact again
        won = ""
        if i > rows * 3 // 4 and i % 13 == 0:  # empty in the sniffed head, filled further down
            won = "03/24/2024 10:00" if late_us_date else "2024-04-03 10:00"
        campaign = ["Brand - Exact", "  ABM - Tier 1 ", "", '=HYPERLINK("x")'][i % 4]
        lines.append(
            f"{i},Name{i},{email},Company {i % 37},2024-01-{1 + i % 28:02d} 09:00,Lead,Paid Social,"
            f'2024-01-{1 + i % 28:02d} 09:00,{won},"{campaign}",note {i}'
        )
        if i == 10:
            lines.append("")  # a blank line
        if i == 15:
            lines.append("," * 10)  # a row of empty cells: read, then set aside as blank
        if i in (20, 21):
            lines.append(lines[-1])  # exact duplicate rows
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.mark.parametrize("threads", [False, True], ids=["one-thread", "text-work-on-threads"])
@pytest.mark.parametrize("late_us_date", [False, True], ids=["iso-dates", "non-iso-date-below-the-head"])
def test_arrow_engine_matches_python_on_a_large_file(tmp_path, monkeypatch, late_us_date, threads):
    # ~3 MB: beyond the 256 KB head that picks the ISO date columns. With threads, the arrow
    # load hashes and trims on the worker pool that big files use; the python one does not.
    import kpikit.ingest.loader as loader

    path = tmp_path / "contacts.csv"
    _contacts_csv(path, 30_000, late_us_date=late_us_date)
    p = inspect_file(path, engine="python")
    if threads:
        monkeypatch.setattr(loader, "_PARALLEL_ROWS", 1)
    a = inspect_file(path, engine="arrow")
    pd.testing.assert_frame_equal(a.frame, p.frame)
    for field in ("rows_read", "rows_loaded", "dropped"):
        assert getattr(a.report, field) == getattr(p.report, field), field
    assert [(x.row, x.column, x.message) for x in a.report.problems] == [
        (x.row, x.column, x.message) for x in p.report.problems
    ]
    assert a.report.rows_read == a.report.rows_loaded + sum(a.report.dropped.values())
    assert a.report.dropped["duplicate"] == 2
    assert a.report.dropped["duplicate_contact"] == len(range(7, 30_000, 500))
    assert a.report.dropped["no_contact_key"] == len([i for i in range(30_000) if i % 97 == 5 and i % 500 != 7])
    assert a.frame["contact_key"].is_unique
    won = a.frame["won_date"].dropna()
    assert len(won) > 0 and (won.dt.month == (3 if late_us_date else 4)).all()


@pytest.mark.parametrize("name", sorted(p.name for p in (FIX.parent.parent / "bad_inputs").glob("*.csv")))
def test_arrow_and_python_engines_agree_on_every_bad_input(name):
    bad = FIX.parent.parent / "bad_inputs"
    path = bad / name
    map_ = path.with_suffix(".map.yaml")
    results = []
    for engine in ("arrow", "python"):
        try:
            loaded = inspect_file(path, map_ if map_.exists() else None, engine=engine)
        except KpikitError as exc:
            results.append((type(exc).__name__, len(exc.problems)))
            continue
        r = loaded.report
        results.append((r.rows_read, r.rows_loaded, r.dropped, [(x.row, x.column) for x in r.problems]))
    assert results[0] == results[1]


@pytest.mark.parametrize(
    ("line", "first", "last"),
    [
        ('"January 1, 2026 - March 31, 2026"', "2026-01-01", "2026-03-31"),  # US
        ("Jan 1, 2026 – Mar 31, 2026", "2026-01-01", "2026-03-31"),
        ("1 January 2026 - 31 March 2026", "2026-01-01", "2026-03-31"),  # UK, day first
        ("2026-01-01 - 2026-03-31", "2026-01-01", "2026-03-31"),  # ISO
        ("01.01.2026 - 31.03.2026", "2026-01-01", "2026-03-31"),  # German
        ("1. Januar 2026 - 31. März 2026", "2026-01-01", "2026-03-31"),
        ("1 janvier 2026 - 31 mars 2026", "2026-01-01", "2026-03-31"),  # French
        ("1 janv. 2026 - 28 févr. 2026", "2026-01-01", "2026-02-28"),
        ("1 de enero de 2026 - 31 de marzo de 2026", "2026-01-01", "2026-03-31"),  # Spanish
    ],
)
def test_google_report_period_in_every_ui_language(line, first, last):
    from kpikit.ingest.formats._common import google_date_range

    assert google_date_range(["Campaign report", line]) == {"date": first, "date_end": last}


def test_no_period_is_read_from_a_line_that_is_none():
    from kpikit.ingest.formats._common import report_period

    for line in ("All time", "Campaign report", "31 March 2026 - 1 January 2026", "30 February 2026 - 3 March 2026"):
        assert report_period([line]) is None


@pytest.mark.parametrize(
    ("header", "source"),
    [
        ("Berichtsbeginn;Berichtsende;Kampagnenname;Ausgegebener Betrag (EUR);Impressionen;Link-Klicks", "meta"),
        ("Début des rapports;Fin des rapports;Nom de la campagne;Montant dépensé (EUR);Impressions", "meta"),
        ("Inicio del informe;Fin del informe;Nombre de la campaña;Importe gastado (EUR);Impresiones", "meta"),
        ("Tag;Kampagne;Währungscode;Impr.;Klicks;Kosten", "google_ads"),
        ("Jour;Campagne;Code de la devise;Impr.;Clics;Coût", "google_ads"),
        ("Día;Campaña;Código de moneda;Impr.;Clics;Coste", "google_ads"),
    ],
)
def test_localised_headers_are_read_through_the_registry(tmp_path, header, source):
    path = tmp_path / "x.csv"
    path.write_text(header + "\n", encoding="utf-8")
    found = detect_format(path)
    assert found.format.name == source and found.format.locale is not None
    assert found.format.read.decimal == ","  # the locale's usual convention; the values may overrule it


def test_a_localised_format_keeps_the_english_rules():
    from kpikit.ingest.formats import FORMATS
    from kpikit.ingest.formats.base import localise

    meta = FORMATS["meta"]
    de = localise(meta, next(loc for loc in meta.locales if loc.code == "de"))
    assert de.name == "meta" and de.table == "spend" and de.prepare is meta.prepare
    assert de.columns["date_end"] == ("Tag", "Day", "Berichtsende", "Reporting ends")
    import re

    spend = re.compile(de.columns["cost"][0][3:])
    assert spend.fullmatch("Ausgegebener Betrag (EUR)").group("currency") == "EUR"
    assert spend.fullmatch("Amount spent (USD)") is not None  # English fallback
