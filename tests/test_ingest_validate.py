"""Vectorised parsing and the lazy Validator."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.ingest.validate import MAX_ROWS_LISTED, Validator, parse_booleans, parse_dates, parse_numbers


def s(*values):
    return pd.Series(list(values), dtype="str")


def test_numbers_us_and_european():
    v, bad, _ = parse_numbers(s("1,234.50", "7", "", "--"), thousands=",", na_values=("--",))
    assert v.tolist()[:2] == [1234.5, 7.0] and v.isna().tolist()[2:] == [True, True] and not bad.any()
    v, bad, _ = parse_numbers(s("1.234,50", "7", "0,99"), decimal=",")
    assert v.tolist() == [1234.5, 7.0, 0.99] and not bad.any()


def test_decimal_comma_is_never_read_as_thousands():
    # "1,50" with a thousands separator would silently become 150: it must be flagged instead.
    v, bad, hint = parse_numbers(s("1,50", "2,000"), thousands=",")
    assert bad.tolist() == [True, False] and v.tolist()[1] == 2000.0 and hint == "decimal_comma"
    _, bad, hint = parse_numbers(s("1.5"), decimal=",")
    assert bad.tolist() == [True] and hint == "decimal_point"


def test_integers_reject_fractions():
    v, bad, _ = parse_numbers(s("3", "3.5", "x"), integer=True)
    assert bad.tolist() == [False, True, True] and v.tolist()[0] == 3.0


def test_dates_explicit_inferred_and_ambiguous():
    v, bad, fmt, amb = parse_dates(s("31/01/2024", "15/02/2024"))
    assert fmt == "%d/%m/%Y" and not amb and v.dt.month.tolist() == [1, 2]
    _, _, fmt, amb = parse_dates(s("01/02/2024", "03/04/2024"))
    assert amb == ["%m/%d/%Y", "%d/%m/%Y"]
    _, _, fmt, amb = parse_dates(s("01/02/2024", "03/04/2024"), dayfirst=True)
    assert fmt == "%d/%m/%Y" and not amb
    v, bad, _, _ = parse_dates(s("2024-02-30", "2024-02-28", ""), date_format="%Y-%m-%d")
    assert bad.tolist() == [True, False, False] and str(v.dtype) == "datetime64[us]"


def test_ambiguity_checked_beyond_the_sample():
    values = ["03/04/2024"] * 6000 + ["25/06/2024"]
    _, bad, fmt, amb = parse_dates(s(*values))
    assert fmt == "%d/%m/%Y" and not amb and not bad.any()


def test_booleans():
    v, bad = parse_booleans(s("True", "false", "", "maybe"))
    assert v.tolist()[:2] == [True, False] and bad.tolist() == [False, False, False, True]


def test_validator_caps_listing_and_counts_drops():
    v = Validator(file="f.csv", lines=np.arange(100) + 2)
    n = v.flag("negative_spend", np.ones(100, dtype=bool), "negative spend", column="cost", fix="x")
    assert n == 100 and len(v.errors) == MAX_ROWS_LISTED + 1
    assert "80 more row(s)" in v.errors[-1].message and "last at row 101" in v.errors[-1].message
    v.flag("duplicate", np.arange(100) % 50 == 0, "dup")
    assert v.dropped_counts() == {"duplicate": 2} and v.dropped_mask(100).sum() == 2
    v2 = Validator(file="f.csv", lines=np.arange(3) + 2, levels={"negative_spend": "warn"})
    v2.flag("negative_spend", np.array([True, False, False]), "negative spend")
    assert not v2.errors and len(v2.warnings) == 1
