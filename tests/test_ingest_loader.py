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
