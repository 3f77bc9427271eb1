"""Hand-written exports in other number conventions, report periods, UI languages and hostile cells.

Every file in ``tests/bad_inputs/corpus/locale/`` is written as the platform writes it (Google
Ads UI downloads with their title, date-range line and ``Total:`` rows, UTF-16 TSV; Meta Ads
Manager exports in German, French and Spanish; a LinkedIn campaign report; a HubSpot deals
export), never with kpikit's sample writers. Each one is a case below:

- an expected load states its exact figures, and the test also computes them itself from the
  raw bytes with :mod:`csv` and :class:`decimal.Decimal` (its own reading of the platform's
  number convention), never with kpikit's parsers;
- an expected refusal states the error class and the words its message must hold (row,
  column, fix).

No case may load a number other than the one the platform meant: that is a wrong figure with
exit code 0, the worst defect kpikit can have.
"""

from __future__ import annotations

import csv
import io
import os
import time
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from kpikit.errors import DataError, KpikitError, UnknownFormatError, ValidationError
from kpikit.ingest import inspect_file, load_file
from kpikit.ingest.validate import CHECK_LEVELS

CORPUS = Path(__file__).parent / "bad_inputs" / "corpus" / "locale"
_SPACES = (" ", "\u00a0", "\u202f")


@dataclass(frozen=True)
class Load:
    """A file that must load, with the figures a consultant would count by hand."""

    encoding: str
    sep: str
    header_row: int  # 1-based line of the header
    decimal: str  # the convention the platform wrote (how this test reads the raw cells)
    thousands: tuple[str, ...]
    cost: str
    impressions: str
    clicks: str
    currency: str  # a header, or "=XXX" for the currency in the spend header
    footer: tuple[str, ...]  # first-cell prefixes of the rows that are totals
    rows: int
    spend: dict[str, str]
    total_impressions: int
    total_clicks: int
    dates: tuple[str, ...]  # distinct `date` values loaded
    date_ends: tuple[str, ...]  # distinct `date_end` values loaded (none: one-day rows)
    notes: tuple[str, ...] = ()
    map: str | None = None


@dataclass(frozen=True)
class Refuse:
    error: type[KpikitError]
    words: tuple[str, ...]
    map: str | None = None
    checks: tuple[str, ...] = field(default=())  # named rules that must appear among the problems' messages


_GOOGLE_TOTALS = ("Total:",)

# fmt: off
CASES: dict[str, Load | Refuse] = {
    # --- defect 6: number conventions -------------------------------------------------------
    "meta_en_semicolon_dot_thousands.csv": Refuse(
        ValidationError,
        ("row 2", "'Impressions'", "'120.000'", "a count has no decimals", "row 3", "'45.000'",
         "'Amount spent (EUR)'", "'1.250'", "read: {decimal: ',', thousands: '.'}"),
    ),
    "google_en_three_decimals_every_row.csv": Refuse(
        ValidationError,
        ("row 4", "row 5", "'Cost'", "'1.250'", "'3.500'", "number reads two ways",
         "decimal or its thousands separator", "read: {decimal: ',', thousands: '.'}"),
    ),
    "google_en_point_decides.csv": Load(
        "utf-8", ",", 3, ".", (",",), "Cost", "Impr.", "Clicks", "Currency code", _GOOGLE_TOTALS,
        rows=3, spend={"GBP": "1218.50"}, total_impressions=4334, total_clicks=144,
        dates=("2026-01-01", "2026-01-02", "2026-01-03"), date_ends=("2026-01-01", "2026-01-02", "2026-01-03"),
    ),
    "linkedin_dot_grouped_count.csv": Refuse(
        ValidationError, ("row 5", "row 6", "'Impressions'", "'12.000'", "'9.500'", "a count has no decimals")
    ),
    "meta_es_mx_point_decimals.csv": Load(
        "utf-8-sig", ",", 1, ".", (",",), "Importe gastado (MXN)", "Impresiones", "Clics en el enlace", "=MXN", (),
        rows=2, spend={"MXN": "15600.35"}, total_impressions=258650, total_clicks=2506,
        dates=("2026-02-01",), date_ends=("2026-02-28",),
        notes=("headers in Spanish", "numbers read as 1,234.50"),
    ),
    "map_eu_comma_three_digits.csv": Refuse(
        ValidationError,
        ("row 2", "row 3", "'Kosten'", "'1,250'", "'2,500'", "number reads two ways",
         "read: {decimal: '.', thousands: ','}"),
        map="map_eu_comma_three_digits.map.yaml",
    ),
    # the counts show '.' groups thousands, so the map's decimal comma reads 1,250 as 1.25
    "map_eu_counts_decide.csv": Load(
        "utf-8", ";", 1, ",", (".",), "Kosten", "Impressionen", "Klicks", "Währung", (),
        rows=2, spend={"EUR": "3.75"}, total_impressions=2230, total_clicks=71,
        dates=("2026-01-05", "2026-01-06"), date_ends=(), map="map_eu_counts_decide.map.yaml",
    ),
    # --- defect 7: report periods --------------------------------------------------------------
    "google_uk_period_no_day.csv": Load(
        "utf-8", ",", 3, ".", (",",), "Cost", "Impr.", "Clicks", "Currency code", _GOOGLE_TOTALS,
        rows=3, spend={"GBP": "1932.65"}, total_impressions=61750, total_clicks=525,
        dates=("2026-01-01",), date_ends=("2026-03-31",),
    ),
    "google_us_period_no_day_utf16.tsv": Load(
        "utf-16", "\t", 3, ".", (",",), "Cost", "Impr.", "Clicks", "Currency code", _GOOGLE_TOTALS,
        rows=2, spend={"USD": "1343.40"}, total_impressions=12080, total_clicks=466,
        dates=("2026-01-01",), date_ends=("2026-03-31",),
    ),
    "google_iso_period_no_day.csv": Load(
        "utf-8", ",", 3, ".", (",",), "Cost", "Impr.", "Clicks", "Currency code", _GOOGLE_TOTALS,
        rows=1, spend={"EUR": "250.40"}, total_impressions=3300, total_clicks=120,
        dates=("2026-01-01",), date_ends=("2026-03-31",),
    ),
    "google_de_period_no_day.csv": Load(
        "utf-8", ",", 3, ",", (".",), "Kosten", "Impr.", "Klicks", "Währungscode", ("Gesamt:",),
        rows=2, spend={"EUR": "1844.50"}, total_impressions=20500, total_clicks=405,
        dates=("2026-01-01",), date_ends=("2026-03-31",), notes=("headers in German",),
    ),
    "google_fr_period_no_day.csv": Load(
        "utf-8", ",", 3, ",", _SPACES, "Coût", "Impr.", "Clics", "Code de la devise", ("Total :",),
        rows=2, spend={"EUR": "1844.50"}, total_impressions=20500, total_clicks=405,
        dates=("2026-01-01",), date_ends=("2026-03-31",), notes=("headers in French",),
    ),
    "google_all_time_no_day.csv": Refuse(
        ValidationError, ("row 3", "'Day'", "no date range kpikit can read", "date-range line", "Segment > Time > Day")
    ),
    # --- defect 9: localised UIs ----------------------------------------------------------------
    "meta_de_daily.csv": Load(
        "utf-8-sig", ";", 1, ",", (".",), "Ausgegebener Betrag (EUR)", "Impressionen", "Link-Klicks", "=EUR", (),
        rows=3, spend={"EUR": "1297.13"}, total_impressions=137998, total_clicks=1438,
        dates=("2026-02-01", "2026-02-02"), date_ends=("2026-02-01", "2026-02-02"), notes=("headers in German",),
    ),
    "meta_fr_month.csv": Load(
        "utf-8-sig", ",", 1, ",", _SPACES, "Montant dépensé (EUR)", "Impressions", "Clics sur un lien", "=EUR", (),
        rows=2, spend={"EUR": "1644.61"}, total_impressions=120415, total_clicks=1835,
        dates=("2026-03-01",), date_ends=("2026-03-31",), notes=("headers in French",),
    ),
    "google_es_daily.csv": Load(
        "utf-8", ",", 3, ",", (".",), "Coste", "Impr.", "Clics", "Código de moneda", ("Total:",),
        rows=2, spend={"EUR": "1153.86"}, total_impressions=2465, total_clicks=201,
        dates=("2026-01-01", "2026-01-02"), date_ends=("2026-01-01", "2026-01-02"), notes=("headers in Spanish",),
    ),
    "meta_de_missing_spend.csv": Refuse(
        UnknownFormatError,
        ("looks like Meta Ads Manager exported in German", "'Berichtsbeginn'", "'Ausgegebener Betrag (…)'",
         "export the report again"),
    ),
    # --- defect 14: hostile cells and files ---------------------------------------------------
    "google_not_finite.csv": Refuse(
        ValidationError,
        ("row 4", "'Impr.'", "'Infinity'", "row 5", "'NaN'", "'inf'", "row 6", "'-Infinity'", "not a finite number"),
    ),
    "google_overflow.csv": Refuse(
        ValidationError, ("row 4", "'12345678901234567890123'", "row 5", "'1e308'", "too large", "overflow")
    ),
    "google_scientific_counts.csv": Refuse(
        ValidationError, ("row 2", "'Impr.'", "'1.2E+06'", "scientific notation", "without opening it in Excel")
    ),
    "hubspot_deals_excel_ids.csv": Refuse(
        ValidationError,
        ("row 2", "row 3", "'Record ID'", "'1.8E+10'", "Excel turned ids into numbers: re-export as CSV from the platform"),
    ),
    "zip_renamed.csv": Refuse(DataError, ("ZIP archive", "'Campaign report.csv'", "unzip it")),
    "nul_bytes.csv": Refuse(DataError, ("only NUL bytes", "download the export again")),
    "xlsx_damaged_sheet_xml.xlsx": Refuse(DataError, ("sheet 'Campaign report'", "damaged", "save it again")),
    "xlsx_export_on_second_sheet.xlsx": Refuse(
        UnknownFormatError, ("first sheet 'Summary'", "sheet 'Campaign report' holds a Google Ads", "read.sheet")
    ),
}
# fmt: on


def test_every_corpus_file_is_a_case():
    files = {p.name for p in CORPUS.iterdir() if not p.name.endswith(".map.yaml")}
    assert files == set(CASES)


def _number(text: str, case: Load) -> Decimal:
    """A raw cell as the platform meant it, read with this test's own rules."""
    t = text.strip()
    for sep in case.thousands:
        t = t.replace(sep, "")
    return Decimal(t.replace(case.decimal, "."))


def _by_hand(path: Path, case: Load) -> tuple[int, dict[str, Decimal], int, int]:
    """Rows, spend per currency, impressions and clicks: csv + Decimal over the raw file."""
    text = path.read_bytes().decode(case.encoding)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=case.sep))
    header = [h.replace("\ufeff", "") for h in rows[case.header_row - 1]]
    col = {h: i for i, h in enumerate(header)}
    n, spend, impressions, clicks = 0, {}, 0, 0
    for row in rows[case.header_row :]:
        if not any(c.strip() for c in row) or row[0].startswith(case.footer or ("\x00",)):
            continue
        cur = case.currency[1:] if case.currency.startswith("=") else row[col[case.currency]]
        n += 1
        spend[cur] = spend.get(cur, Decimal(0)) + _number(row[col[case.cost]], case)
        impressions += int(_number(row[col[case.impressions]], case))
        clicks += int(_number(row[col[case.clicks]] or "0", case))
    return n, spend, impressions, clicks


LOADS = sorted(k for k, v in CASES.items() if isinstance(v, Load))
REFUSALS = sorted(k for k, v in CASES.items() if isinstance(v, Refuse))


@pytest.mark.parametrize("engine", ["python", "arrow"])
@pytest.mark.parametrize("name", LOADS)
def test_loads_exactly_what_the_platform_wrote(name, engine):
    case = CASES[name]
    n, spend, impressions, clicks = _by_hand(CORPUS / name, case)
    # the table's figures are what the test computes from the raw bytes
    assert (n, {k: str(v.quantize(Decimal("0.01"))) for k, v in spend.items()}) == (case.rows, case.spend)
    assert (impressions, clicks) == (case.total_impressions, case.total_clicks)

    loaded = load_file(CORPUS / name, CORPUS / case.map if case.map else None, engine=engine)
    r, f = loaded.report, loaded.frame
    assert r.ok and r.reconciles
    assert r.rows_loaded == len(f) == case.rows
    assert r.spend == {k: float(v) for k, v in case.spend.items()}
    assert int(f["impressions"].sum()) == case.total_impressions
    assert int(f["clicks"].sum()) == case.total_clicks
    assert tuple(sorted(set(f["date"].dt.strftime("%Y-%m-%d")))) == case.dates
    assert tuple(sorted(set(f["date_end"].dropna().dt.strftime("%Y-%m-%d")))) == case.date_ends
    assert f["date_end"].notna().all() or not case.date_ends
    for note in case.notes:
        assert any(note in x for x in r.notes), (note, r.notes)


@pytest.mark.parametrize("name", REFUSALS)
def test_refuses_with_row_column_and_fix(name):
    case = CASES[name]
    with pytest.raises(case.error) as info:
        load_file(CORPUS / name, CORPUS / case.map if case.map else None)
    message = str(info.value)
    for words in case.words:
        assert words in message, (words, message)
    assert "kpikit bug" not in message and "Traceback" not in message


@pytest.mark.parametrize(
    "name", [n for n in REFUSALS if n.endswith((".csv", ".tsv")) and CASES[n].error is ValidationError]
)
def test_both_engines_refuse_alike(name):
    case = CASES[name]
    m = CORPUS / case.map if case.map else None
    python, arrow = (inspect_file(CORPUS / name, m, engine=e).report for e in ("python", "arrow"))
    assert [str(p) for p in python.problems] == [str(p) for p in arrow.problems]
    assert python.dropped == arrow.dropped and python.rows_read == arrow.rows_read


def test_a_google_summary_row_covers_the_whole_period():
    f = load_file(CORPUS / "google_uk_period_no_day.csv").frame
    assert (f["date"].dt.strftime("%Y-%m-%d") == "2026-01-01").all()
    assert (f["date_end"].dt.strftime("%Y-%m-%d") == "2026-03-31").all()


def test_a_count_never_loads_as_a_fraction_even_with_the_check_lowered(tmp_path):
    # "120.000" impressions is 120000 or a refusal, never 120: a map that switches the rule off
    # leaves the cell blank, and the blank required count still stops the file.
    (tmp_path / "x.csv").write_text("Day,Campaign,Currency code,Impr.,Clicks,Cost\n2026-01-01,A,EUR,120.000,5,1.25\n")
    (tmp_path / "x.yaml").write_text(
        "name: g\ntable: spend\nread: {thousands: ','}\nchecks: {ambiguous_number: \"off\"}\n"
        "columns: {date: Day, campaign: Campaign, currency: Currency code, impressions: Impr., clicks: Clicks, "
        "cost: Cost}\nconstants: {platform: google_ads}\n"
    )
    report = inspect_file(tmp_path / "x.csv", tmp_path / "x.yaml").report
    assert not report.ok and report.rows_loaded == 0
    assert any("required value is empty" in p.message and p.column == "impressions" for p in report.problems)


def test_the_new_rules_are_named_errors():
    for rule in ("ambiguous_number", "not_finite", "too_large", "scientific_notation", "excel_id"):
        assert CHECK_LEVELS[rule] == "error"


def test_a_field_longer_than_the_csv_limit_is_a_clear_error(tmp_path):
    path = tmp_path / "long.csv"
    path.write_text('Day,Campaign,Currency code,Impr.,Clicks,Cost\n2026-01-01,"' + "x" * 200_000 + '",EUR,1,1,1.00\n')
    with pytest.raises(DataError) as info:
        load_file(path)
    assert "row 2" in str(info.value) and "field limit" in str(info.value) and "never closed" in str(info.value)


def test_a_2_gb_nul_file_is_refused_from_its_first_bytes(tmp_path, monkeypatch):
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:
        fh.truncate(2**31)  # sparse: no disk, no time
    if os.stat(path).st_blocks * 512 > 1 << 20:
        pytest.skip("this file system does not keep sparse files")
    read = []
    real_open = Path.open

    def counting_open(self, *args, **kwargs):
        fh = real_open(self, *args, **kwargs)
        if self == path:
            real_read = fh.read
            fh.read = lambda n=-1: read.append(len(chunk := real_read(n))) or chunk
        return fh

    monkeypatch.setattr(Path, "open", counting_open)
    start = time.perf_counter()
    with pytest.raises(DataError) as info:
        load_file(path)
    assert time.perf_counter() - start < 5
    assert "only NUL bytes" in str(info.value)
    assert sum(read) <= 1 << 20, read  # a bounded prefix, never the 2 GB


def test_metrics_prints_a_clear_error_not_a_traceback(tmp_path, capsys):
    from kpikit.cli import main

    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "google.csv").write_bytes((CORPUS / "google_not_finite.csv").read_bytes())
    (tmp_path / "client.yaml").write_text("client: hostile\ncurrency: GBP\nexports: exports\n")
    assert main(["metrics", str(tmp_path / "client.yaml")]) == 1
    err = capsys.readouterr().err
    assert "not a finite number" in err and "'Infinity'" in err and "Traceback" not in err


def test_validate_names_the_error_instead_of_a_kpikit_bug(capsys):
    from kpikit.ingest.cli import main

    names = ["zip_renamed.csv", "xlsx_damaged_sheet_xml.xlsx", "nul_bytes.csv", "google_overflow.csv"]
    assert main([str(CORPUS / n) for n in names]) == 1
    out = capsys.readouterr().out
    assert "kpikit bug" not in out and "could not read this file" not in out


def test_excel_mangled_contact_ids_are_refused_without_quoting_them(tmp_path):
    # A CRM export keyed by an id (no email) re-saved in Excel: distinct people would merge into one key.
    (tmp_path / "c.csv").write_text(
        "Contact ID,Created\n5.1E+10,2026-01-02\n5.1E+10,2026-01-03\n51000030429,2026-01-04\n"
    )
    (tmp_path / "c.yaml").write_text(
        "name: crm_ids\ntable: contacts\ncolumns: {contact_id: Contact ID, created_date: Created}\n"
    )
    report = inspect_file(tmp_path / "c.csv", tmp_path / "c.yaml").report
    excel = [p for p in report.problems if "Excel turned ids into numbers" in p.message]
    assert [p.row for p in excel] == [2, 3] and all(p.found is None for p in excel)
    assert not report.ok
