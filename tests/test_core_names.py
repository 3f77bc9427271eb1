"""kpikit.core.names: one rule for ids, file stems and domains."""

import pandas as pd
import pytest

from kpikit.core.names import is_file_stem, is_plain_id, normalise_domains, on_uniques, target_domains


@pytest.mark.parametrize("value", ["acme", "acme-industrial", "A_1", "x" * 64])
def test_plain_ids_accepted(value):
    assert is_plain_id(value)


@pytest.mark.parametrize("value", ["", "acme\n", "-acme", "../acme", "a/b", "a b", "x" * 65, None, 5, "acme.", "é"])
def test_ids_that_could_escape_a_folder_or_break_a_url_are_refused(value):
    assert not is_plain_id(value)


@pytest.mark.parametrize("value, ok", [("snap-2026.json", True), ("..json", False), (".hidden", False),
                                       ("a/b.json", False), ("a\n", False), ("a..b", False)])  # fmt: skip
def test_file_stems(value, ok):
    assert is_file_stem(value) is ok


@pytest.mark.parametrize(
    "raw, domain",
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("acme.com:8443", "acme.com"),
        ("http://acme.com?utm_source=x", "acme.com"),
        ("ACME.COM.", "acme.com"),
        ("www.acme.co.uk#top", "acme.co.uk"),
        ("sales@acme.com", "acme.com"),
        ("  acme.com  ", "acme.com"),
    ],
)
def test_one_domain_rule_strips_everything_but_the_host(raw, domain):
    assert normalise_domains(pd.Series([raw])).tolist() == [domain]


def test_blank_and_missing_domains_stay_missing():
    out = normalise_domains(pd.Series(["", " ", None], dtype="str"))
    assert out.isna().all() and len(out) == 3


def test_on_uniques_calls_the_transform_once_per_distinct_value():
    calls = []

    def upper(u: pd.Series) -> pd.Series:
        calls.append(len(u))
        return u.str.upper()

    s = pd.Series(["a", "b", "a", None, "b"] * 1000, dtype="str")
    out = on_uniques(s, upper)
    assert calls == [2]
    assert out.iloc[:5].tolist()[:3] == ["A", "B", "A"] and pd.isna(out.iloc[3])


@pytest.mark.parametrize(
    "cells",
    [
        ["https://www.Acme.com/x", "acme.co", "beta.io", None, "mail@ACME.com:443", "www.acme.com."],
        ["ACME-İ.com", "acme-i.com", "Straße.de", "STRASSE.de", "ｆｕｌｌ.jp", ""],
    ],
)
def test_target_domains_equals_normalising_every_row(cells):
    # The substring pre-filter must find exactly what normalising every row and comparing finds,
    # also for letters Arrow and Python lower-case differently.
    domains = pd.Series(cells, dtype="str")
    everything = normalise_domains(domains)
    targets = set(everything.dropna())
    for picked in [targets, *({t} for t in targets)]:
        expected = everything.where(everything.isin(picked))
        assert target_domains(domains, picked).tolist() == expected.tolist()
