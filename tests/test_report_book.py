"""The report workbook (workbooks/report.ipynb) and the ReportBook its cells call, without a kernel."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from pathlib import Path

import nbformat
import papermill
import pytest

import kpikit
from kpikit.errors import ReportError
from kpikit.report import ReportBook
from kpikit.report._paths import WORKBOOK
from kpikit.report.book import SECTIONS
from kpikit.samples import sample_model

XSS = "<img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def model():
    from kpikit.analysis import to_reporting_currency

    return to_reporting_currency(sample_model("lumora"))


@pytest.fixture(scope="module")
def book(model):
    return ReportBook(model)


def test_workbook_parameters_are_documented_and_outputs_stripped():
    params = papermill.inspect_notebook(str(WORKBOOK))
    assert list(params) == ["client_config", "output_dir"]
    assert {p["inferred_type_name"] for p in params.values()} == {"str"}
    assert all(p["help"] for p in params.values())
    nb = nbformat.read(WORKBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.outputs and c.execution_count is None for c in code)
    # ruff format puts a blank line after imports: count lines of code, not blank ones.
    assert all(sum(bool(s.strip()) for s in c.source.splitlines()) <= 2 for c in code), "code cells stay 1-2 lines"
    used = set(re.findall(r'book\.section\("(\w+)"\)', "\n".join(c.source for c in code)))
    assert used == set(SECTIONS)  # every registered section is in the story
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("Headline numbers", "Funnel", "Cost per real outcome", "Vanity vs value", "Key accounts",
                    "Attribution comparison", "KPI alignment", "Data quality", "Workshop snapshot"):  # fmt: skip
        assert f"## {heading}" in markdown


@pytest.mark.parametrize(
    ("config", "out", "message"),
    [(123, "", "client_config must be"), ("", "", "client_config must be"), ("x.yaml", 5, "output_dir must be"),
     ("x.yaml", "/nonexistent/kpikit-out", "output folder does not exist")],
)  # fmt: skip
def test_open_validates_parameters(config, out, message):
    with pytest.raises(ReportError, match=message):
        ReportBook.open(config, out)


def test_sections_render_escaped_tables_and_offline_charts(book):
    for name in SECTIONS:
        markup = book.section(name)._repr_html_()
        assert XSS not in markup, name
        images = re.findall(r'<img class="kk-chart" alt="[^"]*" src="data:image/svg\+xml;base64,([^"]+)">', markup)
        assert len(images) == 1, name
        svg = base64.b64decode(images[0]).decode()
        assert svg.startswith("<svg") and "<script" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in book.section("cost_per_outcome")._repr_html_()
    with pytest.raises(ReportError, match="unknown report section"):
        book.section("nope")


def test_headline_matches_the_metrics(book):
    html = book.headline()._repr_html_()
    m = book.metrics
    assert f"EUR {m['totals']['spend']:,.2f}" in html
    assert f"EUR {m['real_outcome_cost']['cost_per']:,.2f}" in html
    assert f"{m['real_outcome_cost']['count']:,}" in html


def test_save_metrics_and_charts_into_the_output_folder(model, tmp_path):
    book = ReportBook(model, tmp_path)
    book.section("funnel")
    assert (tmp_path / "charts" / "funnel.svg").read_text().startswith("<svg")
    book.save_metrics()
    text = (tmp_path / "metrics.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(kpikit.metrics(model)))
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    ReportBook(model, "").save_metrics()  # run by hand: writes nothing anywhere


def test_missing_data_is_said_not_drawn(model):
    no_touch = model.replace(touchpoints=model.touchpoints.iloc[0:0], target_accounts=model.target_accounts.iloc[0:0])
    book = ReportBook(no_touch)
    assert "No touchpoint export" in book.section("attribution")._repr_html_()
    assert "No target-account list" in book.section("key_accounts")._repr_html_()
    assert "No load report" in book.data_quality()._repr_html_()


def test_workshop_snapshots_are_shown_escaped_and_confined(model, tmp_path):
    book = ReportBook(model.replace(config=dataclasses.replace(model.config, base_dir=tmp_path)))
    assert "No workshop snapshot" in book.snapshots()._repr_html_()
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    (snaps / "s1-index.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>ok</text></svg>')
    (tmp_path / "secret.svg").write_text("<svg>outside the snapshots folder</svg>")
    doc = {
        "schema": "kpikit.workshop-snapshot/1", "client": "lumora", "explorer": "targeting", "name": "s1",
        "title": f"Targeting {XSS}", "created_utc": "2026-01-01T10:00:00Z", "summary": f"Stop {XSS}",
        "numbers": {"before": {"ctr": 0.012}, "after": {"ctr": 0.018}},
        "charts": [{"name": "index", "svg": "s1-index.svg"}, {"name": "evil", "svg": "../secret.svg"}],
    }  # fmt: skip
    (snaps / "s1.json").write_text(json.dumps(doc))
    markup = book.snapshots()._repr_html_()
    assert XSS not in markup and "Stop &lt;img src=x onerror=alert(1)&gt;" in markup
    assert "before / ctr" in markup and "1.80%" in markup  # a CTR prints as a rate, as in every table
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', markup)
    assert [base64.b64decode(i).decode() for i in images] == [(snaps / "s1-index.svg").read_text()]


def test_workbook_default_client_exists():
    default = papermill.inspect_notebook(str(WORKBOOK))["client_config"]["default"].strip('"')
    assert (WORKBOOK.parent / default).resolve().is_file()
    assert Path(WORKBOOK).is_file()
