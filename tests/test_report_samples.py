"""`kpikit report` end to end on the sample clients plus one deliberately broken client.

One batch (module fixture) feeds every test here: exit status, outputs, the
index, the privacy scan of every output and the escaping of hostile campaign
names. It runs the real workbook, so it is marked slow.

The hand-written hostile client (personal data in every free-text field) has its own
batch in ``test_report_pii.py``; both scan with ``tests/_pii_scan.py``.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from _pii_scan import PiiScanner

from kpikit.cli import main as kpikit_main
from kpikit.samples import DATA_SAMPLES, SAMPLE_CLIENTS, planted_pii

pytestmark = pytest.mark.slow

XSS = "<img src=x onerror=alert(1)>"
MAX_HTML_BYTES = 2_000_000


def _break_client(root: Path) -> Path:
    """A copy of a sample client whose Meta export has text in the spend column and a cut-short row."""
    folder = root / "brokenco"
    shutil.copytree(DATA_SAMPLES / SAMPLE_CLIENTS[0], folder)
    config = folder / "client.yaml"
    config.write_text(re.sub(r"(?m)^client: .*$", "client: brokenco", config.read_text(encoding="utf-8")))
    export = folder / "exports" / "meta_ads_manager.csv"
    lines = export.read_text(encoding="utf-8-sig").splitlines()
    cells = lines[2].split(",")
    cells[6] = "n/a"  # Amount spent
    lines[2] = ",".join(cells)
    lines[4] = ",".join(lines[4].split(",")[:4])
    export.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("report_batch")
    broken = _break_client(root)
    out = root / "out"
    status = kpikit_main(["report", str(DATA_SAMPLES / "clients.yaml"), str(broken), "--out", str(out), "--jobs", "2"])
    return status, out


def test_exit_status_is_non_zero_and_every_good_report_is_there(batch):
    status, out = batch
    assert status == 1
    for client in SAMPLE_CLIENTS:
        folder = out / client
        for name in ("report.ipynb", "report.html", "metrics.json"):
            assert (folder / name).stat().st_size > 0, f"{client}/{name} missing"
        charts = sorted(p.name for p in (folder / "charts").glob("*.svg"))
        assert {"funnel.svg", "cost_per_outcome.svg", "vanity_vs_value.svg"} <= set(charts)
        assert (folder / "report.html").stat().st_size <= MAX_HTML_BYTES
    assert not (out / "brokenco" / "report.html").exists()
    assert (out / "brokenco" / "report.ipynb").is_file()  # the error notebook is kept


def test_metrics_json_follows_the_engine_schema(batch):
    from kpikit.analysis.metrics import METRICS_KEYS

    _, out = batch
    for client in SAMPLE_CLIENTS:
        text = (out / client / "metrics.json").read_text(encoding="utf-8")
        data = json.loads(text)
        assert tuple(sorted(data)) == tuple(sorted(METRICS_KEYS))
        assert data["client"]["id"] == client
        assert text == json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"  # canonical


def test_index_lists_every_client_and_explains_the_broken_one(batch):
    _, out = batch
    index = (out / "index.html").read_text(encoding="utf-8")
    for client in SAMPLE_CLIENTS:
        row = re.search(rf'<tr class="kk-ok" data-client="{client}">(.*?)</tr>', index, re.S)
        assert row, f"{client} not listed as ok"
        assert f'href="{client}/report.html"' in row.group(1)
        spend = json.loads((out / client / "metrics.json").read_text())["totals"]["spend"]
        assert f"{spend:,.2f}" in row.group(1)  # headline numbers come from metrics.json
    failed = re.search(r'<tr class="kk-failed" data-client="brokenco">(.*?)</tr>', index, re.S)
    assert failed, "the broken client is not listed as failed"
    text = failed.group(1)
    assert "An export could not be loaded" in text and "ValidationError" not in text  # plain words
    assert "text in a numeric column" in text and "found &#x27;n/a&#x27;" in text
    assert "row 5" in text and "report.ipynb" in text


def test_the_broken_clients_error_notebook_marks_the_failing_cell(batch):
    import nbformat

    _, out = batch
    nb = nbformat.read(out / "brokenco" / "report.ipynb", as_version=4)
    failing = [c for c in nb.cells if c.metadata.get("papermill", {}).get("exception")]
    assert len(failing) == 1
    assert "ReportBook.open" in failing[0].source
    assert any(o.get("ename") == "ValidationError" for o in failing[0].outputs)


def test_pii_scanner_finds_what_it_should():
    scanner = PiiScanner({"Ana Lopez", "Ødegaard", "ana.lopez@example.com", "+44 20 7946 0958"})
    assert scanner.find("owner: ANA LOPEZ.") == "Ana Lopez"
    assert scanner.find("Dear Ødegaard,") == "Ødegaard"
    assert scanner.find("mail Ana.Lopez@Example.com now") == "ana.lopez@example.com"
    assert scanner.find("call 0044-20-7946-0958") is not None  # reformatted phone, same digits
    assert scanner.find("Ana Lopezinski, Ødegaards, 20 7946") is None


def test_no_planted_personal_data_in_any_output(batch):
    _, out = batch
    pii = planted_pii()
    assert len(pii) > 1000  # the scan is only as good as its list
    scanner = PiiScanner(pii)
    scanned, hits = scanner.scan_tree(out)
    assert hits == [], "personal data in the outputs"
    assert scanned >= 4 * len(SAMPLE_CLIENTS)


def test_hostile_campaign_name_is_text_in_the_html(batch):
    _, out = batch
    pages = {c: (out / c / "report.html").read_text(encoding="utf-8") for c in SAMPLE_CLIENTS}
    assert any("&lt;img src=x onerror=alert(1)&gt;" in page for page in pages.values()), "no sample plants it"
    for client, page in pages.items():
        assert XSS not in page, f"raw campaign HTML in {client}/report.html"
        assert not re.search(r"<script[^>]*\ssrc=", page), f"script src in {client}"
        assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page), f"remote resource in {client}"


def test_rerun_writes_byte_identical_metrics(batch, tmp_path):
    _, out = batch
    client = SAMPLE_CLIENTS[0]
    again = tmp_path / "again"
    status = kpikit_main(["report", str(DATA_SAMPLES / client), "--out", str(again), "--no-progress"])
    assert status == 0
    assert (again / client / "metrics.json").read_bytes() == (out / client / "metrics.json").read_bytes()
