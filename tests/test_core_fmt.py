"""kpikit.core.fmt: one number format per kind, one escaped table builder."""

import math

import numpy as np
import pandas as pd
import pytest

from kpikit.core.fmt import fmt, fmt_cell, html_table
from kpikit.core.measures import KINDS
from kpikit.core.result import json_safe


def test_json_safe_types():
    out = json_safe({"i": np.int32(2), "f": np.float32(0.5), "inf": float("inf"), "na": pd.NA, "nat": pd.NaT,
                     "b": np.bool_(True), "ts": pd.Timestamp("2024-01-02 10:00"), "arr": np.array([1.0, np.nan])})  # fmt: skip
    assert out == {"i": 2, "f": 0.5, "inf": None, "na": None, "nat": None, "b": True, "ts": "2024-01-02T10:00:00",
                   "arr": [1.0, None]}  # fmt: skip
    assert type(out["i"]) is int and type(out["b"]) is bool


def test_html_table_formats_and_truncates():
    f = pd.DataFrame({"campaign": [f"c{i}" for i in range(70)], "cost": [1234.5] * 70, "ctr": [0.0123] * 70,
                      "missing": [math.nan] * 70})  # fmt: skip
    html = html_table(f)
    assert "1,234.50" in html and "1.23%" in html and "–" in html and "10 more rows" in html


@pytest.mark.parametrize(
    "value, text", [(0.000417, "0.042%"), (0.0000012, "0.00012%"), (0.012, "1.20%"), (0.0, "0.0%"), (0.5, "50.0%")]
)
def test_small_rates_keep_significant_digits(value, text):
    assert html_table(pd.DataFrame({"cumulative_rate": [value]})).count(f">{text}<") == 1


@pytest.mark.parametrize(
    "value, text",
    [(0.2571, "25.7%"), (0.0264, "2.64%"), (0.0119, "1.19%"), (0.0095, "0.95%"), (0.00077, "0.077%"),
     (0.9999, "99.99%"), (0.99999, "99.999%"), (1.0, "100.0%"), (0.000092, "0.0092%"), (-0.05, "-5.00%")],
)  # fmt: skip
def test_rate_precision_follows_size_and_never_rounds_onto_a_boundary(value, text):
    assert fmt(value, "rate") == text
    assert "e" not in text


def test_money_puts_the_currency_first_with_thousands_separators():
    assert fmt(1234567.891, "money", "EUR") == "EUR 1,234,567.89"
    assert fmt(-12.5, "money", "GBP") == "-GBP 12.50"
    assert fmt(12.5, "money", "GBP", signed=True) == "+GBP 12.50"


@pytest.mark.parametrize("missing", [None, math.nan, math.inf, -math.inf, pd.NA, pd.NaT, np.float64("nan")])
def test_every_kind_prints_missing_as_a_dash_or_the_given_words(missing):
    for kind in KINDS:
        assert fmt(missing, kind, "EUR") == "–"
        assert fmt(missing, kind, "EUR", missing="not measured") == "not measured"


def test_unknown_kind_lists_the_allowed_ones():
    with pytest.raises(ValueError, match="allowed kinds are"):
        fmt(1.0, "percent")


def test_cells_never_show_python_booleans_or_rates_for_counts():
    assert fmt_cell(True, "nested") == "yes" and fmt_cell(np.bool_(False), "x") == "no"
    assert fmt_cell(25.0, "matched") == "25"  # a count in a "match" column is not 2,500%
    assert fmt_cell(0.25, "matched") == "25.0%"


def test_html_table_escapes_headers_and_uses_display_headers():
    t = html_table(pd.DataFrame({"<x>": [1]}), headers={"<x>": "<b>label</b>"})
    assert "<b>" not in t and "&lt;b&gt;label&lt;/b&gt;" in t
