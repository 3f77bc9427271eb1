"""load_client: every export of a client, money in one currency, no personal data out."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

import kpikit
from kpikit.config import ClientConfig
from kpikit.errors import CurrencyError, ValidationError
from kpikit.ingest import load_client, load_file, neutralise_formulas
from kpikit.privacy import hash_emails

FIX = Path(__file__).parent / "fixtures" / "ingest"
CLIENT = FIX / "client"
PII = {line for line in (FIX / "planted_pii.txt").read_text(encoding="utf-8").splitlines() if line}


@pytest.fixture(scope="module")
def model():
    return load_client(CLIENT)


def test_public_api():
    assert kpikit.load_client is load_client and kpikit.load_file is load_file
    assert {"load_client", "load_file", "LoadReport"} <= set(kpikit.__all__)


def test_accepts_folder_yaml_or_config(model):
    by_yaml = load_client(CLIENT / "client.yaml")
    by_config = load_client(ClientConfig.from_yaml(CLIENT / "client.yaml"))
    for other in (by_yaml, by_config):
        for name, frame in model.tables().items():
            pd.testing.assert_frame_equal(frame, other.tables()[name])


def test_every_file_reconciles(model):
    report = model.load_report
    assert isinstance(report, kpikit.LoadReport) and report.ok
    for f in report.files:
        assert f.rows_read == f.rows_loaded + sum(f.dropped.values()), f.path
    assert sum(f.rows_loaded for f in report.files if f.table == "spend") == len(model.spend)
    assert sum(f.rows_loaded for f in report.files if f.table == "contacts") == len(model.contacts)
    assert sum(f.rows_loaded for f in report.files if f.table == "deals") == len(model.deals)


def test_spend_converted_to_reporting_currency(model):
    report = model.load_report
    assert report.spend_total() == {"EUR": round(1182.73 + 1728.35 + 1342.05, 2), "USD": 205.75}
    assert report.fx_rates == {"EUR": 1.0, "GBP": 1.15, "USD": 0.9}  # GBP: a deal
    assert set(model.spend["currency"]) == {"EUR"}
    expected = (1182.73 + 1728.35 + 1342.05) + 205.75 * 0.9
    assert math.isclose(model.spend["cost"].sum(), expected, abs_tol=0.005)
    # deals: 24,000 EUR + 5,000 GBP + 12,500.50 EUR + 18,000 USD + 9,500 EUR + 4,000 USD
    expected_deals = 24000 + 5000 * 1.15 + 12500.5 + 18000 * 0.9 + 9500 + 4000 * 0.9
    assert math.isclose(model.deals["amount"].sum(), expected_deals)


def test_missing_rate_names_both_currencies(tmp_path):
    shutil.copytree(CLIENT, tmp_path / "c")
    cfg = (tmp_path / "c" / "client.yaml").read_text().replace("  USD: 0.9\n", "")
    (tmp_path / "c" / "client.yaml").write_text(cfg)
    with pytest.raises(CurrencyError) as info:
        load_client(tmp_path / "c")
    text = str(info.value)
    assert "USD" in text and "EUR" in text and "meta.csv" in text and "fx_rates" in text


def test_load_file_with_config_checks_rates():
    cfg = ClientConfig.from_dict({"client": "x", "currency": "GBP"})
    with pytest.raises(CurrencyError, match="EUR"):
        load_file(FIX / "linkedin.csv", config=cfg)


def test_no_personal_data_in_any_returned_column(model):
    """Scan every cell of every table (and the report) for the planted names, emails and phones."""
    assert len(PII) > 30
    lowered = {p.lower() for p in PII}
    for name, frame in model.tables().items():
        for col in frame.columns:
            values = {str(v).lower() for v in frame[col].dropna().unique()}
            hits = {v for v in values for p in lowered if p in v}
            assert not hits, f"{name}.{col} leaks {sorted(hits)[:3]}"
    report_text = json.dumps(model.load_report.to_dict()).lower() + model.load_report._repr_html_().lower()
    assert not [p for p in lowered if p in report_text]


def test_contacts_are_keyed_by_salted_email_hash(model):
    contacts = model.contacts
    expected = hash_emails(pd.Series(["wiebke.achterberg@aldmoor-systems.com"]), "fixture-salt")[0]
    assert expected in set(contacts["contact_key"])
    # the same person in the touchpoints (different case) gets the same key
    tp = model.touchpoints
    assert (tp["contact_key"] == expected).sum() == 2
    assert contacts["contact_key"].str.fullmatch(r"[0-9a-f]{16}").all()


def test_target_accounts_and_matches(model):
    ta = model.target_accounts
    assert ta["account_domain"].tolist() == ["aldmoor-systems.com", "corthell.co.uk", "glenwick.com"]
    ta_report = model.load_report.files[-1]
    assert ta_report.dropped == {"no_domain": 1} and ta_report.reconciles
    assert model.load_report.matches["contacts_from_target_accounts"] == 3


def test_problems_in_several_files_are_reported_together(tmp_path):
    shutil.copytree(CLIENT, tmp_path / "c")
    bad = Path(__file__).parent / "bad_inputs"
    shutil.copy(bad / "negative_spend.csv", tmp_path / "c" / "exports" / "neg.csv")
    shutil.copy(bad / "text_in_numeric.csv", tmp_path / "c" / "exports" / "text.csv")
    with pytest.raises(ValidationError) as info:
        load_client(tmp_path / "c")
    text = str(info.value)
    assert "neg.csv: negative spend" in text and "text.csv: text in a numeric column" in text


def test_formula_cells_neutralised_for_csv_and_xlsx(model, tmp_path):
    safe = neutralise_formulas(model.spend)
    assert '\'=HYPERLINK("http://x","y")' in set(safe["campaign"])
    assert not safe["campaign"].str.startswith(("=", "+", "-", "@")).any()
    assert safe["cost"].equals(model.spend["cost"])
    path = tmp_path / "spend.xlsx"
    safe.to_excel(path, index=False)
    import openpyxl

    cells = [c.value for row in openpyxl.load_workbook(path).active.iter_rows() for c in row]
    assert not any(isinstance(v, str) and v.startswith("=") for v in cells)


def test_loaded_file_renders_escaped():
    loaded = load_file(FIX / "google_ads_utf16.tsv")
    html = loaded._repr_html_()
    assert "google_ads" in html and "<script>" not in html
    assert loaded.to_frame() is loaded.frame and loaded.to_dict()["rows_loaded"] == 4


@pytest.mark.parametrize(
    "keys",
    [
        ["a", "b", None, "c", None, "d"],  # all present keys distinct (the sort fast path)
        ["a", "b", "a", None, "c", None, "b"],  # repeats (the hash-table path)
        [None, None, "x"],
        ["only"],
        ["a", "b", "c"],  # no key missing either
    ],
)
def test_key_codes_number_keys_in_order_of_first_appearance(keys):
    import numpy as np

    from kpikit.ingest.checks import _key_codes
    from kpikit.privacy import key_ints

    hexed = pd.Series([None if k is None else f"{hash(k) & (2**64 - 1):016x}" for k in keys], dtype="str")
    # independent reference: number keys as they first appear; all missing keys share one code
    seen: dict = {}
    expected = [seen.setdefault(k, len(seen)) for k in keys]
    ints, valid = key_ints(hexed)
    assert _key_codes(hexed, (ints, valid, None)).tolist() == expected
    distinct = len({k for k in keys if k is not None}) == sum(k is not None for k in keys)
    assert _key_codes(hexed, (ints, valid, distinct)).tolist() == expected
    assert _key_codes(hexed, None).tolist() == expected
    assert isinstance(_key_codes(hexed, None), np.ndarray)


# ---- issue 14: deals keyed on their id, Meta results by indicator, date orders ------------------

_DEALS_HEADER = "Record ID,Deal Name,Deal Stage,Amount,Currency,Close Date,Create Date,Associated Contact Email\n"


def test_a_contact_with_several_deals_and_deals_without_a_contact_load(tmp_path):
    # The duplicate check of deals used to be keyed on the contact: three deals of one contact, or
    # two deals with no contact, were "the same deal id on rows that differ".
    path = tmp_path / "deals.csv"
    path.write_text(
        _DEALS_HEADER
        + "1,A,Closed Won,100,EUR,2024-03-01,2024-02-01,ana@acme.io\n"
        + "2,B,Closed Won,200,EUR,2024-03-02,2024-02-02,ana@acme.io\n"
        + "3,C,Qualified To Buy,300,EUR,2024-03-03,2024-02-03,ana@acme.io\n"
        + "4,D,Closed Lost,400,EUR,2024-03-04,2024-02-04,\n"
        + "5,E,Closed Lost,500,EUR,2024-03-05,2024-02-05,\n"
    )
    loaded = load_file(path)
    assert loaded.report.rows_loaded == 5 and loaded.frame["amount"].sum() == 1500.0
    assert loaded.frame["contact_key"].nunique() == 1 and loaded.frame["contact_key"].isna().sum() == 2


def test_one_deal_id_on_rows_that_differ_is_still_refused(tmp_path):
    path = tmp_path / "deals.csv"
    path.write_text(
        _DEALS_HEADER
        + "1,A,Closed Won,100,EUR,2024-03-01,2024-02-01,ana@acme.io\n"
        + "1,A,Closed Won,120,EUR,2024-03-01,2024-02-01,ana@acme.io\n"
        + "1,A,Closed Won,100,EUR,2024-03-01,2024-02-01,ana@acme.io\n"  # an exact copy: dropped, not a conflict
    )
    with pytest.raises(ValidationError) as info:
        load_file(path)
    assert [p.row for p in info.value.problems] == [2, 3] and "same deal id" in str(info.value)


def test_meta_results_never_override_the_exports_own_engagements(tmp_path):
    path = tmp_path / "meta.csv"
    path.write_text(
        "\ufeffReporting starts,Reporting ends,Campaign name,Amount spent (EUR),Impressions,Link clicks,"
        "Post engagements,Results,Result indicator\n"
        "2024-01-01,2024-01-31,Likes,10.00,1000,5,80,12,actions:like\n"
        "2024-01-01,2024-01-31,Leads,20.00,2000,9,15,3,actions:lead\n",
        encoding="utf-8",
    )
    frame = load_file(path).frame
    assert frame["engagements"].tolist() == [80, 15]  # the column, not the 12 likes
    assert frame["reported_leads"].tolist()[1] == 3 and pd.isna(frame["reported_leads"].iloc[0])
    assert pd.isna(frame["platform_conversions"].iloc[0]) and frame["platform_conversions"].iloc[1] == 3.0


def test_an_ambiguous_date_column_is_read_like_the_files_other_dates(tmp_path):
    path = tmp_path / "opps.csv"
    path.write_text(
        '"Opportunity ID","Opportunity Name","Stage","Amount","Close Date","Created Date"\n'
        '"006A","A","Closed Won","100.00","25/03/2024","03/02/2024"\n'
        '"006B","B","Closed Lost","200.00","14/04/2024","05/02/2024"\n'
    )
    loaded = load_file(path)
    assert loaded.frame["created_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-02-03", "2024-02-05"]
    assert (loaded.report.date_order, loaded.report.date_order_from) == ("day_first", "values")
    assert any("'Created Date' reads both ways: read day-first, as 'Close Date'" in n for n in loaded.report.notes)


def _client(tmp_path, files: dict[str, str], extra: str = "") -> Path:
    (tmp_path / "exports").mkdir()
    for name, text in files.items():
        (tmp_path / "exports" / name).write_text(text)
    (tmp_path / "client.yaml").write_text(f"client: dates\ncurrency: EUR\nexports: exports\n{extra}")
    return tmp_path


_LEADS = '"First Name","Email","Lead Source","Created Date"\n'


def test_client_yaml_date_order_beats_other_exports_and_a_contradiction_warns(tmp_path):
    client = _client(
        tmp_path,
        {
            "a_leads_ambiguous.csv": _LEADS + '"Ana","ana@acme.io","Web","03/04/2024"\n',
            "b_leads_us.csv": _LEADS + '"Ben","ben@acme.io","Web","4/25/2024"\n',
        },
        "dates: {order: day_first}\n",
    )
    model = load_client(client)
    first, second = model.load_report.files
    assert model.contacts["created_date"].dt.strftime("%Y-%m-%d").tolist() == ["2024-04-03", "2024-04-25"]
    assert (first.date_order, first.date_order_from) == ("day_first", "declared")
    assert (second.date_order, second.date_order_from) == ("month_first", "values")
    (warning,) = model.load_report.warnings
    assert "b_leads_us.csv: dates read only month-first" in str(warning) and warning.key == "dates.order"


def test_date_order_setting_is_validated():
    from kpikit.errors import ConfigError

    assert ClientConfig.from_dict({"client": "a", "dates": {"order": "month_first"}}).dates.dayfirst is False
    with pytest.raises(ConfigError) as info:
        ClientConfig.from_dict({"client": "a", "dates": {"order": "dd/mm"}})
    assert "dates.order" in str(info.value) and "day_first" in str(info.value)


def test_column_map_footer_names_a_platform_or_lists_labels(tmp_path):
    from kpikit.errors import ConfigError
    from kpikit.ingest.column_map import column_map_from_dict
    from kpikit.ingest.formats import FORMATS

    base = {"name": "m", "table": "spend", "columns": {"cost": "Cost"}}
    google = FORMATS["google_ads"].footer
    assert column_map_from_dict({**base, "footer": "google_ads"}).footer == google
    assert column_map_from_dict({**base, "constants": {"platform": "google_ads"}}).footer == google
    assert column_map_from_dict(base).footer is None  # decided at load time, from the file's headers
    labels = column_map_from_dict({**base, "footer": ["Gesamt", {"label": "re:Summe.*", "totals": True}]}).footer
    assert [(f.label, f.totals) for f in labels] == [("Gesamt", False), ("Summe.*", True)]
    for bad, words in (("google", "did you mean 'google_ads'"), ([{"label": 3}], "a footer entry"),
                       (["re:Total("], "not a valid regular expression")):  # fmt: skip
        with pytest.raises(ConfigError, match="footer") as info:
            column_map_from_dict({**base, "footer": bad})
        assert words in str(info.value)


def test_a_footer_label_given_as_a_regex_is_found_anywhere_in_the_alphabet(tmp_path):
    # a label with no literal start ("re:.*Summe") cannot use the first-letters shortcut
    path = tmp_path / "partner.csv"
    path.write_text(
        "Datum;Kampagne;Impressionen;Klicks;Kosten;Währung\n05.01.2024;Marke;100;4;12,50;EUR\n"
        ";Monatssumme;100;4;12,50;EUR\n",
        encoding="utf-8",
    )
    map_ = {"name": "p", "table": "spend", "read": {"sep": ";", "decimal": ",", "date_format": "%d.%m.%Y"},
            "columns": {"date": "Datum", "campaign": "Kampagne", "impressions": "Impressionen", "clicks": "Klicks",
                        "cost": "Kosten", "currency": "Währung"},
            "constants": {"platform": "partner"}, "footer": [{"label": "re:.*summe", "totals": True}]}  # fmt: skip
    from kpikit.ingest.column_map import column_map_from_dict

    loaded = load_file(path, column_map_from_dict(map_))
    assert loaded.report.dropped == {"footer": 1} and loaded.report.spend == {"EUR": 12.5}
    assert loaded.report.totals_match


def test_sort_rows_without_sources_resolves_them_from_the_header():
    from kpikit.ingest.detect import detect_format
    from kpikit.ingest.headers import resolve_columns
    from kpikit.ingest.rows import read_data, sort_rows

    det = detect_format(FIX / "google_ads_utf16.tsv")
    rows = read_data(det, resolve_columns(det, det.header_index + 1).sources, "python")
    kinds = sort_rows(det.format, rows, "x")
    assert (kinds.n_data, kinds.footer) == (4, 2)
    assert [t.label for t in kinds.totals] == ["Total: Campaigns", "Total: Account"]
