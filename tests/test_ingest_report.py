"""LoadReport renders itself: escaped HTML, a frame, a JSON-safe dict."""

from __future__ import annotations

import json

from kpikit.errors import Problem
from kpikit.ingest.report import FileReport, LoadReport


def _report() -> LoadReport:
    f = FileReport(
        path="<img src=x onerror=alert(1)>.csv",
        source="google_ads",
        table="spend",
        rows_read=5,
        rows_loaded=3,
        dropped={"footer": 1, "duplicate": 1},
        spend={"EUR": 10.004, "USD": 2.0},
        records=3,
        problems=[Problem("bad <b>cell</b>", row=4, column="Cost", fix="fix it")],
    )
    g = FileReport(path="c.csv", source="hubspot_contacts", table="contacts", rows_read=2, rows_loaded=2, records=2)
    return LoadReport([f, g], currency="EUR")


def test_html_is_escaped():
    html = _report()._repr_html_()
    assert "<img" not in html and "&lt;img src=x" in html
    assert "<b>cell" not in html and "&lt;b&gt;cell" in html


def test_frame_one_row_per_file():
    frame = _report().to_frame()
    assert frame["file"].tolist()[1] == "c.csv"
    assert frame["rows_dropped"].tolist() == [2, 0]
    assert (frame["rows_read"] == frame["rows_loaded"] + frame["rows_dropped"]).all()
    assert frame["problems"].tolist() == [1, 0]


def test_dict_is_json_safe_and_rounded_to_the_cent():
    data = json.loads(json.dumps(_report().to_dict()))
    assert data["ok"] is False
    assert data["files"][0]["spend"] == {"EUR": 10.0, "USD": 2.0}
    assert data["files"][0]["problems"][0] == {
        "row": 4, "column": "Cost", "message": "bad <b>cell</b>", "expected": None, "found": None, "fix": "fix it",
    }  # fmt: skip
    assert data["spend"] == {"EUR": 10.0, "USD": 2.0}


def test_reconciles_flag():
    f = FileReport(path="x", source="s", table="spend", rows_read=3, rows_loaded=1, dropped={"footer": 1})
    assert not f.reconciles
