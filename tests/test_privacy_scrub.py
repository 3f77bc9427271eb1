"""Emails and phone numbers in free text are replaced; dates, amounts, ids and campaign names are kept.

One corpus serves the patterns (:func:`kpikit.privacy.scrub_found`), the loader's
prefilter (every positive must be a candidate, or the loader would miss it), and
the loader itself (a hand-written export whose campaign names hold both).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kpikit.ingest import inspect_file, load_file
from kpikit.privacy import may_hold_personal, quote_cell, scrub_found, scrub_text

# (text, what it must read as after the scrub)
REPLACED = [
    # emails
    ("carol.white@example.com", "[email]"),
    ("Retarget - carol.white@example.com list", "Retarget - [email] list"),
    ("a+b@x.com", "[email]"),
    ("josé@bücher.de", "[email]"),
    ("ana＠example.com", "[email]"),  # full-width at sign (NFKC)
    ("ＡＮＡ＠ＥＸＡＭＰＬＥ．ＣＯＭ", "[email]"),  # full-width everything
    ("ana﹫example.com", "[email]"),  # small commercial at
    ("ana\u200b@example.com", "[email]"),  # zero-width space inside
    ("mailto:ana@example.com", "[email]"),
    ("ANA.LOPEZ@Example.CO.UK", "[email]"),
    ("o'brien@acme.ie", "[email]"),
    ("found 'ana.lopez@example.com'", "found '[email]'"),
    ("utm_content=carol.white%40example.com", "utm_content=[email]"),
    ("user@mail2.acme-systems.io", "[email]"),
    ("ana@xn--bcher-kva.de", "[email]"),
    ("Webinar invite (ana@example.com)", "Webinar invite ([email])"),
    # phone numbers
    ("Call +1 (555) 010-4477 now", "Call [phone] now"),
    ("+44 20 7946 0958", "[phone]"),
    ("(555) 010-4477", "[phone]"),
    ("555.010.4477", "[phone]"),
    ("555-010-4477", "[phone]"),
    ("tel:+442079460958", "[phone]"),
    ("tel:02079460958", "[phone]"),
    ("+49 30 1234567", "[phone]"),
    ("+41 44 668 18 00", "[phone]"),
    ("07700 900123", "[phone]"),
    ("+44 (0)20 7946 0958", "[phone]"),
    ("0044 20 7946 0958", "[phone]"),
    ("030/1234567", "[phone]"),
    ("+33 1 23 45 67 89", "[phone]"),
    ("01.23.45.67.89", "[phone]"),
    ("＋４４ ２０ ７９４６ ０９５８", "[phone]"),  # full-width digits
    ("+44\u00a020\u00a07946\u00a00958", "[phone]"),  # no-break spaces
    ("555\u2013010\u20134477", "[phone]"),  # en dashes
    ("call 5550104477", "call [phone]"),
    ("WhatsApp +4915112345678", "WhatsApp [phone]"),
    ("+1-555-010-4477", "[phone]"),
    ("Mobile: 07700 900123", "Mobile: [phone]"),
    ("Lead form - +49 89 1234567 - Q1", "Lead form - [phone] - Q1"),
    ("1 800 555 0199", "[phone]"),
    ("both: ana@example.com / +44 20 7946 0958", "both: [email] / [phone]"),
]

KEPT = [
    "2026-01-31",
    "31.01.2026",
    "2026-01-31T10:00:00Z",
    "2026-01-31 10:00:00",
    "1,234.56",
    "EUR 1,234,567.89",
    "1.234.567,89 €",
    "1 234 567,89 EUR",
    "12,345.67 EUR on 1,200 clicks",
    "Q1 2026 - 30d",
    "Lookalike 1%",
    "Retargeting - clicked 7d",
    "utm_campaign=spring_2026",
    "v2.10.3",
    "10.0.19045.2965",
    "192.168.100.200",
    "ID 1234567890",
    "51000000123",
    "0065g00000AbCdE",
    "2026-01-01 - 2026-03-31",
    "01/31/2026 - 02/28/2026",
    "20260101-20260331",
    "Order 2026-000123",
    "31/01/2026 30d",
    "2026 0131 1200",
    "ISBN 978-3-16-148410-0",
    "@acme_uk on X",
    "Event@Berlin",
    "Brand @ Events",
    "Webinar at acme.com",
    "Meet us at the booth",
    "12:30-14:00",
    "Age 55+",
    "Age 25-34, 35-44",
    "Q1-2026 | DACH | 25-54",
    "Search - Data Platform",
    "dp_search_q1",
    "Top 10 - 2026",
    "company-0070135.example",
    "<img src=x onerror=alert(1)>",
]


def test_the_corpus_is_big_enough():
    assert len(REPLACED) >= 30 and len(KEPT) >= 30


@pytest.mark.parametrize(("text", "expected"), REPLACED, ids=[t for t, _ in REPLACED])
def test_personal_data_is_replaced(text, expected):
    out, emails, phones = scrub_found(text)
    assert out == expected
    assert emails == expected.count("[email]") and phones == expected.count("[phone]")


@pytest.mark.parametrize("text", KEPT)
def test_other_text_is_kept_byte_for_byte(text):
    out, emails, phones = scrub_found(text)
    assert (out, emails, phones) == (text, 0, 0)
    assert out is text  # not even a normalised copy


def test_the_prefilter_lets_every_positive_through_and_stops_most_negatives():
    positives = pd.Series([t for t, _ in REPLACED], dtype="str")
    assert may_hold_personal(positives).all()
    # each alone too: a row's neighbours must not be what makes it a candidate
    for text, _ in REPLACED:
        assert may_hold_personal(pd.Series(["Brand", text, "Brand"], dtype="str")).tolist() == [False, True, False]
    # the corpus's negatives are digit-heavy on purpose; everyday names are not even candidates
    names = ["Search - Brand", "Q1 2026 - 30d", "Lookalike 1%", "Prospecting - Segment 2704", "Age 55+", "[EN] (BMM)"]
    assert not may_hold_personal(pd.Series(names * 1000, dtype="str")).any()


def test_the_prefilter_misses_nothing_the_patterns_find_on_random_text():
    rng = np.random.default_rng(7)
    alphabet = np.array(list("0123456789 -.()+/@:%4telcab"))
    texts = ["".join(rng.choice(alphabet, size=rng.integers(0, 40))) for _ in range(20_000)]
    # and rows of the shapes exports have, so dense and sparse digits both occur
    texts += [f"Prospecting - Segment {i:04d}" for i in range(5000)]
    texts += [f"Call +44 20 7946 {i:04d}" for i in range(50)]
    values = pd.Series(texts, dtype="str")
    found = np.array([sum(scrub_found(t)[1:]) > 0 for t in texts])
    candidates = may_hold_personal(values)
    assert found.sum() >= 60  # the 50 planted calls and some random hits
    assert not (found & ~candidates).any()


def test_the_prefilter_reads_chunked_sliced_and_missing_values():
    import pyarrow as pa

    values = ["Brand", None, "a@b.io", "", "+44 20 7946 0958", "Q1 2026"]
    chunked = pd.Series(pd.arrays.ArrowStringArray(pa.chunked_array([values[:3], values[3:]])))
    sliced = pd.Series(["x"] + values, dtype="str").iloc[1:]
    expected = [False, False, True, False, True, False]
    assert may_hold_personal(chunked).tolist() == expected
    assert may_hold_personal(sliced).tolist() == expected
    assert may_hold_personal(pd.Series([], dtype="str")).tolist() == []


def test_redact_uses_the_same_patterns_with_its_own_words():
    from kpikit import privacy
    from kpikit.report.redact import EMAIL, PHONE, redact

    assert EMAIL is privacy.EMAIL and PHONE is privacy.PHONE
    assert redact("mail ana＠example.com or call 555.010.4477") == "mail [email removed] or call [phone removed]"
    assert scrub_text("mail ana@example.com") == "mail [email]"


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("n/a", "number", "'n/a'"),
        ("12,50", "number", "'12,50'"),
        ("2024-13-45", "date", "'2024-13-45'"),
        ("Euro", "code", "'Euro'"),
        ("D-1001", "id", "'D-1001'"),
        (-3.5, "text", "-3.5"),
        ("Omar Haddad", "number", "an 11-character text"),
        ("Omar Haddad", "text", "an 11-character text"),
        ("Omar Haddad", "unknown", "an 11-character text"),
        ("Acme renewal", "id", "a 12-character text"),
        ("ana@example.com", "number", "'[email]'"),
        ("ana@example.com", "text", "a 15-character text holding an email"),
        ("+44 20 7946 0958", "unknown", "a 16-character text holding a phone number"),
    ],
)
def test_quote_cell_quotes_only_safe_columns(value, kind, expected):
    assert quote_cell(value, kind) == expected


# -- the loader ----------------------------------------------------------------------------------


def _ads(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text(
        "Campaign report\n"
        "Day,Campaign,Ad group,Currency code,Impr.,Clicks,Cost\n"
        "2026-01-02,Retarget - carol.white@example.com list,Call +1 (555) 010-4477 now,EUR,100,3,4.50\n"
        "2026-01-03,Retarget - carol.white@example.com list,Q1 2026 - 30d,EUR,100,3,4.50\n"
        "2026-01-03,Brand - ana＠example.com,Lookalike 1%,EUR,100,3,4.50\n"
        "2026-01-04,Brand,Exact,EUR,100,3,4.50\n",
        encoding="utf-8",
    )
    return path


def test_the_loader_replaces_and_counts_per_column(tmp_path):
    loaded = load_file(_ads(tmp_path))
    frame = loaded.frame
    assert frame["campaign"].tolist() == [
        "Retarget - [email] list",
        "Retarget - [email] list",
        "Brand - [email]",
        "Brand",
    ]
    assert frame["ad_group"].tolist() == ["Call [phone] now", "Q1 2026 - 30d", "Lookalike 1%", "Exact"]
    report = loaded.report
    assert report.scrubbed == {
        "campaign": {"emails": 2, "phones": 0, "rows": 3},
        "ad_group": {"emails": 0, "phones": 1, "rows": 1},
    }
    text = report.to_text()
    assert "2 distinct campaign value(s) held an email (3 rows): replaced by [email]" in text
    assert "1 distinct ad_group value(s) held a phone number (1 rows): replaced by [phone]" in text
    assert report.to_dict()["scrubbed"] == report.scrubbed
    assert "carol" not in text and "carol" not in str(report.to_dict())


def test_a_file_without_personal_data_reports_nothing_scrubbed(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text("Day,Campaign,Ad group,Currency code,Impr.,Clicks,Cost\n2026-01-02,Brand,Exact,EUR,10,1,1.00\n")
    loaded = load_file(path)
    assert loaded.report.scrubbed == {} and "scrubbed" not in loaded.report.to_text()


def test_messages_do_not_quote_personal_cells(tmp_path):
    # a HubSpot deals export whose Amount column holds a name and an email (shifted cells)
    path = tmp_path / "deals.csv"
    path.write_text(
        "Record ID,Deal Name,Deal Stage,Close Date,Create Date,Amount,Deal Currency Code,Associated Company\n"
        "1001,Renewal,Closed Won,2026-02-01,2026-01-01,Omar Haddad,EUR,Acme\n"
        "1002,New,Closed Won,2026-02-01,2026-01-01,omar.haddad@acme.example,EUR,Acme\n"
        "1003,New,Closed Won,2026-02-01,2026-01-01,n/a,EUR,Acme\n",
        encoding="utf-8",
    )
    loaded = inspect_file(path)
    text = "\n".join(str(p) for p in loaded.report.problems)
    assert "row 2" in text and "row 3" in text and "'Amount'" in text
    assert "Omar" not in text and "omar" not in text
    assert "an 11-character text" in text and "'[email]'" in text and "'n/a'" in text
