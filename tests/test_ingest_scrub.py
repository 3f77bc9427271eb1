"""Control characters never reach the model: the loader's text scrub removes them and counts them.

A NUL or an ESC in a campaign name used to pass ``kpikit validate`` and then make
vl-convert abort (the report's kernel died). The scrub stage
(:mod:`kpikit.ingest.scrub`) is the one place they are removed, for every text
column of every table; the end-to-end check (a report that renders) is in
``tests/test_report_batch_faults.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kpikit.core.names import CONTROL_CHARS, strip_controls
from kpikit.ingest import load_file
from kpikit.ingest.scrub import control_rows, scrub_column

HOSTILE = "\x00\x1b[31m\x07"


def test_every_c0_and_c1_control_is_removed_but_tab_newline_and_text_stay():
    assert len(CONTROL_CHARS) == 32 - 2 + 1 + 32  # C0 without tab and newline, DEL, C1
    for ch in CONTROL_CHARS:
        assert strip_controls(f"a{ch}b") == "ab", repr(ch)
    for kept in ("a\tb", "a\nb", "café – 50 € « ok »", "日本語", "\u00a0x", ""):
        assert strip_controls(kept) is kept


@pytest.mark.parametrize("ch", sorted(CONTROL_CHARS))
def test_the_byte_prefilter_finds_exactly_the_rows_with_a_control(ch):
    # "\u00a0" is the bytes C2 A0 and "\u0100" is C4 80: a lead byte or a trail byte alone is not C1
    values = pd.Series(["Brand", f"x{ch}y", None, "tab\tand\nnewline", "\u00a0é\u0100", f"{ch}"], dtype="str")
    assert control_rows(values).tolist() == [False, True, False, False, False, True]


def test_a_campaign_holding_only_controls_becomes_missing_and_emails_behind_a_nul_are_still_found():
    out, counts = scrub_column(pd.Series(["\x07\x1b", "ana@ex\x00ample.com", "Brand", "Brand\x85"], dtype="str"))
    assert pd.isna(out[0]) and out[1:].tolist() == ["[email]", "Brand", "Brand"]
    assert counts == {"emails": 1, "phones": 0, "rows": 3, "controls": 3}


def test_the_loader_removes_controls_from_campaigns_ad_groups_and_counts_them(tmp_path):
    path = tmp_path / "ads.csv"
    path.write_text(
        "Day,Campaign,Ad group,Currency code,Impr.,Clicks,Cost\n"
        f"2026-01-02,{HOSTILE}Brand,Exact\x08,EUR,100,3,4.50\n"
        f"2026-01-03,{HOSTILE}Brand,Exact,EUR,100,3,4.50\n"
        "2026-01-03,Search,Broad,EUR,100,3,4.50\n",
        encoding="utf-8",
    )
    loaded = load_file(path)
    frame = loaded.frame
    assert frame["campaign"].tolist() == ["[31mBrand", "[31mBrand", "Search"]
    assert frame["ad_group"].tolist() == ["Exact", "Exact", "Broad"]
    assert loaded.report.scrubbed == {
        "campaign": {"emails": 0, "phones": 0, "rows": 2, "controls": 1},
        "ad_group": {"emails": 0, "phones": 0, "rows": 1, "controls": 1},
    }
    text = loaded.report.to_text()
    assert "1 distinct campaign value(s) held control characters (2 rows): removed" in text
    assert not any(ch in text for ch in CONTROL_CHARS - {"\n"})
    assert loaded.report.spend == {"EUR": 13.5}  # nothing else moved


def test_deal_names_and_utm_fields_of_crm_exports_are_scrubbed_too(tmp_path):
    deals = tmp_path / "deals.csv"
    deals.write_text(
        "Record ID,Deal Name,Deal Stage,Close Date,Create Date,Amount,Deal Currency Code,Associated Company\n"
        f"1001,Renewal{HOSTILE},Closed Won,2026-02-01,2026-01-01,100,EUR,Acme\x1b Ltd\n",
        encoding="utf-8",
    )
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "Record ID,Email,Company Name,Lifecycle Stage,Create Date,UTM Source,UTM Medium,UTM Campaign,UTM Content\n"
        f"1,ana@acme.example,Acme,Lead,2026-01-01 07:13,goo\x00gle,cpc,spring{HOSTILE},ad\x9b1\n",
        encoding="utf-8",
    )
    for path in (deals, contacts):
        loaded = load_file(path)
        texts = loaded.frame.select_dtypes(include="str")
        for column in texts:
            assert not texts[column].dropna().map(lambda v: any(ch in CONTROL_CHARS for ch in v)).any(), column
        assert all(c.get("controls") for c in loaded.report.scrubbed.values()) and loaded.report.scrubbed
