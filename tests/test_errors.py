from __future__ import annotations

import pytest

import kpikit
from kpikit.errors import (
    ConfigError,
    CurrencyError,
    DataError,
    KpikitError,
    OptionError,
    Problem,
    ReportError,
    UnknownFormatError,
    ValidationError,
)


@pytest.mark.parametrize(
    "cls", [ConfigError, DataError, ValidationError, UnknownFormatError, CurrencyError, ReportError]
)
def test_one_tree(cls):
    assert issubclass(cls, KpikitError)
    assert getattr(kpikit, cls.__name__) is cls


def test_message_names_every_field():
    err = DataError(
        "negative spend",
        file="ads.csv",
        row=12,
        column="Cost",
        expected="an amount >= 0",
        found="'-3.50'",
        fix="check the refund rows",
    )
    text = str(err)
    for part in ("ads.csv", "row 12", "'Cost'", "negative spend", "an amount >= 0", "'-3.50'", "check the refund rows"):
        assert part in text
    assert err.to_dict()["problems"][0]["row"] == 12


def test_validation_error_lists_every_problem():
    problems = [
        Problem("text in a numeric column", row=3, column="Clicks", found="'abc'", fix="enter a number"),
        Problem("clicks exceed impressions", row=9, column="Clicks", fix="check the row"),
        Problem("missing column", column="Impressions", expected="'Impr.'", fix="export the Impr. column"),
    ]
    err = ValidationError(problems, file="gads.csv")
    text = str(err)
    assert text.splitlines()[0] == "gads.csv: 3 problems"
    assert "row 3" in text and "row 9" in text and "'Impressions'" in text
    assert len(err.problems) == 3
    assert err.problems[0].row == 3
    assert [p["column"] for p in err.to_dict()["problems"]] == ["Clicks", "Clicks", "Impressions"]


def test_problem_without_location():
    assert str(Problem("empty file", fix="export again")) == "empty file. Fix: export again"


@pytest.mark.parametrize(
    "value, allowed, meant",
    [
        ("u-shaped", ["first", "last", "u_shaped"], "u_shaped"),  # a near spelling
        ("Linear", ["linear", "markov"], "linear"),  # another case
        ("fortnight", ["D", "W", "M"], None),  # nothing close: no guess
    ],
)
def test_option_error_lists_the_allowed_values_and_names_the_near_miss(value, allowed, meant):
    err = OptionError("models", value, allowed, what="attribution model", fix="see the model table")
    assert isinstance(err, KpikitError) and isinstance(err, ValueError)
    assert kpikit.OptionError is OptionError
    assert err.allowed == tuple(allowed) and err.suggestion == meant
    text = str(err)
    assert f"unknown attribution model (expected one of {allowed}, found {value!r})" in text
    assert ("did you mean" in text) is (meant is not None)
    assert text.endswith("see the model table")
