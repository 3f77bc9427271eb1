"""Every broken file in tests/bad_inputs/ gives one clear KpikitError: file, place, fix.

A file ``x.csv`` with a ``x.map.yaml`` beside it is loaded with that map; a
folder is a client (``load_client``). Each case names the error class and
the words its message must contain (the row / column where relevant).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kpikit.errors import ConfigError, CurrencyError, DataError, KpikitError, UnknownFormatError, ValidationError
from kpikit.ingest import inspect_file, load_client, load_file

BAD = Path(__file__).parent / "bad_inputs"

# name -> (error class, substrings the message must contain)
CASES: dict[str, tuple[type[KpikitError], tuple[str, ...]]] = {
    "missing_column_clicks.csv": (ValidationError, ("row 1", "'Clicks'", "closest header is 'Cliks'")),
    "text_in_numeric.csv": (ValidationError, ("row 3", "'Cost'", "text in a numeric column", "'n/a'")),
    "unparseable_date.csv": (ValidationError, ("row 3", "'Day'", "not a date", "'2024-13-45'")),
    "ambiguous_dates.csv": (ValidationError, ("'Created Date'", "ambiguous", "'%d/%m/%Y'")),
    "negative_spend.csv": (ValidationError, ("row 3", "'cost'", "negative spend")),
    "negative_impressions.csv": (ValidationError, ("row 2", "'impressions'", "negative impressions")),
    "clicks_gt_impressions.csv": (ValidationError, ("row 3", "'clicks'", "more clicks than impressions")),
    "fractional_clicks.csv": (ValidationError, ("row 2", "'Clicks'", "not a whole number", "'5.5'")),
    "empty_campaign.csv": (ValidationError, ("row 3", "'campaign'", "required value is empty")),
    "bad_currency_code.csv": (ValidationError, ("row 2", "'currency'", "ISO 4217", "'Euro'")),
    "conflicting_deal_ids.csv": (ValidationError, ("row 2", "row 4", "'deal_id'", "same deal id")),
    "contacts_bad_dates.csv": (ValidationError, ("row 2", "row 3", "'Create Date'", "'yesterday'", "'soon'")),
    "header_only.csv": (ValidationError, ("row 1", "no data rows")),
    "totals_only.csv": (ValidationError, ("no data rows", "footer")),
    "truncated_mid_row.csv": (ValidationError, ("row 3", "truncated")),
    "ragged_row.csv": (ValidationError, ("row 3", "8 cells", "header has 7")),
    "unclosed_quote.csv": (ValidationError, ("row 3", "quote", "never closed")),
    "empty.csv": (DataError, ("empty (0 bytes)",)),
    "blank_lines_only.csv": (DataError, ("only blank lines",)),
    "unknown_format.csv": (UnknownFormatError, ("formats tried", "google_ads", "hubspot_contacts", "column map")),
    "almost_google_ads.csv": (UnknownFormatError, ("formats tried", "closest is 'google_ads'", "'Impr.'", "--map")),
    "decimal_comma_google.csv": (ValidationError, ("row 2", "'Cost'", "'10,50'", "decimal: ','")),
    "eu_without_decimal_setting.csv": (ValidationError, ("row 2", "row 3", "'Kosten'", "'87,50'", "decimal comma")),
    "map_bad_yaml.csv": (ConfigError, ("map_bad_yaml.map.yaml", "row 5", "not valid YAML")),
    "map_unknown_target.csv": (ConfigError, ("map_unknown_target.map.yaml", "'columns.coast'", "did you mean 'cost'")),
    "map_bad_table.csv": (ConfigError, ("map_bad_table.map.yaml", "'table'", "'spendings'")),
    "map_missing_currency.csv": (ValidationError, ("'currency'", "constants: {currency")),
    "map_wrong_header.csv": (ValidationError, ("'Spend'", "closest header is 'Spent'")),
    "map_detect_mismatch.csv": (UnknownFormatError, ("detect headers", "'Datum'")),
    "map_wrong_encoding.csv": (DataError, ("cannot decode", "utf-8", "read.encoding")),
    "excel_workbook.xlsx": (DataError, ("not a readable Excel workbook",)),
    "many_problems.csv": (
        ValidationError,
        (
            "6 problems",
            "row 3",
            "'2024-02-30'",
            "row 4",
            "'campaign'",
            "row 5",
            "'abc'",
            "row 6",
            "more clicks",
            "row 7",
            "negative spend",
            "row 8",
            "'EURO'",
        ),
    ),  # fmt: skip
    "many_problems_contacts.csv": (ValidationError, ("row 3", "row 4", "row 5", "'never'", "'31/31/2024'")),
    "client_mixed_currencies": (CurrencyError, ("USD", "EUR", "google.csv", "fx_rates")),
    "client_bad_target_accounts": (DataError, ("accounts.csv", "account_domain", "'acount_domain'")),
    "client_no_exports": (ConfigError, ("client.yaml", "no export files")),
}


def _cases() -> list[str]:
    # corpus/ holds hand-written real-format exports, each checked by its own tests/test_ingest_corpus_*.py.
    skip = {"README.md", "corpus"}
    return sorted(p.name for p in BAD.iterdir() if not p.name.endswith(".map.yaml") and p.name not in skip)


def _load(path: Path):
    if path.is_dir():
        return load_client(path)
    map_ = path.with_name(path.stem + ".map.yaml")
    return load_file(path, map_ if map_.exists() else None)


def test_corpus_is_large_and_fully_specified():
    names = _cases()
    assert len(names) >= 25
    assert set(names) == set(CASES), "every bad input needs an expectation (and vice versa)"


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input_gives_clear_error(name):
    error, words = CASES[name]
    path = BAD / name
    with pytest.raises(KpikitError) as info:
        _load(path)
    exc = info.value
    assert type(exc) is error, f"{name}: {type(exc).__name__}: {exc}"
    text = str(exc)
    assert "Traceback" not in text
    # A column map's own mistakes name the map; everything else names the data file / client.
    named = {path.name, path.stem + ".map.yaml"} if not path.is_dir() else {str(path)}
    assert any(n in text for n in named), text
    assert "Fix:" in text, text
    for word in words:
        assert word in text, f"{name}: {word!r} not in:\n{text}"
    assert all(p.fix for p in exc.problems), "every listed problem says how to fix it"


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if not (BAD / n).is_dir()])
def test_bad_input_never_loses_rows(name):
    """Even a broken file's report reconciles: every row read is loaded or counted as dropped."""
    path = BAD / name
    map_ = path.with_name(path.stem + ".map.yaml")
    try:
        loaded = inspect_file(path, map_ if map_.exists() else None)
    except KpikitError:
        return  # unreadable as a whole (empty, unknown, bad map): nothing was read
    report = loaded.report
    assert not report.ok
    assert report.rows_read == report.rows_loaded + sum(report.dropped.values()), report.to_dict()


def test_many_problems_lists_each_problem_once():
    with pytest.raises(ValidationError) as info:
        load_file(BAD / "many_problems.csv")
    rows = [p.row for p in info.value.problems]
    assert rows == [3, 4, 5, 6, 7, 8], "one problem per broken row, in file order"
