"""No planted email, phone number or name reaches any output of a report run (issue 15, privacy).

``tests/fixtures/pii/hostile`` is a hand-written client in each platform's real export
format (Google Ads ad-group report, Meta, LinkedIn, HubSpot contacts and deals,
Salesforce leads and opportunities, a web-activity export with a column map) whose
every free-text field hides personal data: campaign, ad-group and campaign-group
names, UTM campaign / content / term, deal and opportunity names, ``tel:`` and
``mailto:`` links, plus-addressing, an IDN domain, full-width ``＠`` and digits,
``%40``, and the contacts' and owners' names in their own columns and notes.
``tests/fixtures/pii/names_in_bad_cells`` is a CRM client whose bad cells are names;
a third client's logo is a symbolic link to a file outside its folder.

One run (module fixture) writes workshop snapshots of every explorer into the hostile
client's folder, then runs, each in a subprocess so stdout and stderr are what a
consultant sees: ``kpikit report`` on the three clients (``--xlsx``, and ``--pdf``
when Chromium is there), ``kpikit metrics`` (text and ``--json``) and ``kpikit
validate`` (text and ``--json``). Everything they write or print is scanned with
:class:`_pii_scan.PiiScanner` for ``tests/fixtures/pii/planted.txt``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from _pii_scan import PiiScanner, file_texts, read_planted

pytestmark = pytest.mark.slow

FIX = Path(__file__).parent / "fixtures" / "pii"
PLANTED = read_planted(FIX / "planted.txt")
SECRET = "kpikit-outside-secret-pii-5c2d"  # the content of the file the third client's logo links to
CHROMIUM = os.environ.get("KPIKIT_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAS_PDF = Path(CHROMIUM).is_file() and shutil.which("pdftotext") is not None
EXPLORERS = ("targeting", "budget_shift", "outcome_switch", "attribution_switch", "incentive", "vanity_cost")


@dataclass
class Run:
    out: Path  # the report's --out folder
    hostile: Path  # the hostile client's folder (holds snapshots/)
    streams: dict[str, subprocess.CompletedProcess]  # command -> its result
    widget_state: str  # every live widget's state after building the explorers (dropdown options, labels)


def _kpikit(*argv: str) -> subprocess.CompletedProcess:
    # a subprocess: the runner's workers and the kernels write to the real stdout/stderr
    return subprocess.run([sys.executable, "-m", "kpikit.cli", *argv], capture_output=True, text=True, timeout=900)


def _snapshots(folder: Path) -> str:
    """Snapshot every explorer of the client into its folder; return the widgets' state as JSON text."""
    import ipywidgets

    import kpikit
    from kpikit import explore

    model = kpikit.load_client(folder)
    for name in EXPLORERS:
        getattr(explore, name)(model).snapshot(name=name)
    instances = ipywidgets.widgets.widget._instances  # every widget built so far
    return json.dumps([w.get_state() for w in list(instances.values())], default=str, ensure_ascii=False)


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Run:
    root = tmp_path_factory.mktemp("pii")
    hostile = shutil.copytree(FIX / "hostile", root / "clients" / "hostile")
    names = shutil.copytree(FIX / "names_in_bad_cells", root / "clients" / "names_in_bad_cells")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.png").write_text(f"{SECRET}\n")
    linked = shutil.copytree(FIX / "names_in_bad_cells", root / "clients" / "linked_logo")
    (linked / "client.yaml").write_text("client: linked-logo\nexports: exports\nreport: {logo: logo.png}\n")
    (linked / "logo.png").symlink_to(outside / "secret.png")
    widget_state = _snapshots(hostile)
    out = root / "out"
    report = ["report", str(hostile), str(names), str(linked), "--out", str(out), "--xlsx", "--jobs", "2"]
    report += ["--no-progress", *(["--pdf", "--browser", CHROMIUM] if HAS_PDF else [])]
    streams = {
        "report": _kpikit(*report),
        "metrics hostile": _kpikit("metrics", str(hostile)),
        "metrics --json hostile": _kpikit("metrics", "--json", str(hostile)),
        "metrics names": _kpikit("metrics", str(names)),
        "validate hostile": _kpikit("validate", str(hostile)),
        "validate --json hostile": _kpikit("validate", "--json", str(hostile)),
        "validate names": _kpikit("validate", str(names)),
        "validate --json names": _kpikit("validate", "--json", str(names)),
    }
    return Run(out, hostile, streams, widget_state)


def test_the_planted_list_is_true_to_the_fixtures_and_the_scanner_finds_each_item():
    exports = "\n".join(t for p in sorted(FIX.glob("*/exports/*")) for t in file_texts(p))
    scanner = PiiScanner(PLANTED)
    assert len(PLANTED) >= 40
    for item in sorted(PLANTED):
        assert item in exports, f"{item!r} is listed but planted nowhere"
        assert scanner.find(f"seen: {item}.") is not None, f"the scanner would miss {item!r}"
    _, hits = scanner.scan_tree(FIX / "hostile" / "exports")
    assert len(hits) == 8, "every hostile export holds planted data"


def test_the_good_report_is_written_and_the_two_bad_clients_fail(run):
    assert run.streams["report"].returncode == 1
    for name in ("report.html", "consultant.html", "report.ipynb", "metrics.json", "tables.xlsx"):
        assert (run.out / "hostile" / name).stat().st_size > 0, name
    assert len(list((run.out / "hostile" / "charts").glob("*.svg"))) >= 3
    if HAS_PDF:
        assert (run.out / "hostile" / "report.pdf").stat().st_size > 0
    assert (run.out / "names-in-bad-cells" / "report.ipynb").is_file()  # the error notebook
    assert len(list((run.hostile / "snapshots").glob("*.json"))) == len(EXPLORERS)
    assert run.streams["metrics hostile"].returncode == 0 and run.streams["validate hostile"].returncode == 0
    assert run.streams["metrics names"].returncode == 1 and run.streams["validate names"].returncode == 1


def test_the_free_text_reached_every_output_with_placeholders(run):
    # the scan below is only meaningful if the hostile campaign names are in the outputs at all
    scrubbed = "Retarget - [email] list"
    targets = ["report.html", "consultant.html", "report.ipynb", "metrics.json", "tables.xlsx"]
    targets += ["report.pdf"] if HAS_PDF else []
    for name in targets:
        text = "\n".join(file_texts(run.out / "hostile" / name))
        assert re.search(re.escape(scrubbed).replace(r"\ ", r"\s+"), text), f"{scrubbed!r} not in {name}"
    assert "[phone]" in (run.out / "hostile" / "report.html").read_text(encoding="utf-8")
    assert any("[email]" in t for p in (run.hostile / "snapshots").glob("*.json") for t in file_texts(p))
    assert "[email]" in run.widget_state and "[phone]" in run.widget_state


def test_no_planted_personal_data_in_any_output(run):
    scanner = PiiScanner(PLANTED)
    scanned, hits = scanner.scan_tree(run.out)
    assert scanned >= 14
    kinds = {p.suffix for p in run.out.rglob("*") if p.is_file()}
    assert {".html", ".ipynb", ".json", ".svg", ".xlsx"} <= kinds
    snapped, snap_hits = scanner.scan_tree(run.hostile / "snapshots")
    assert snapped >= 3 * len(EXPLORERS)  # a json, and an svg and a png per chart
    streams = [(f"{cmd} {kind}", getattr(r, kind)) for cmd, r in run.streams.items() for kind in ("stdout", "stderr")]
    stream_hits = scanner.texts([*streams, ("widget state", run.widget_state)])
    assert hits + snap_hits + stream_hits == []


def test_names_in_bad_cells_are_told_by_column_and_row(run):
    validate = run.streams["validate names"].stdout
    index = (run.out / "index.html").read_text(encoding="utf-8")
    notebook = (run.out / "names-in-bad-cells" / "report.ipynb").read_text(encoding="utf-8")
    expected = [
        "row 5, column 'Clicks'",  # Google Ads: a name among the clicks
        "row 6, column 'Day'",
        "row 2, column 'Create Date'",  # HubSpot contacts
        "row 2, column 'Amount'",  # HubSpot deals and Salesforce opportunities
        "row 4, column 'Close Date'",
        "row 2, column 'Created Date'",  # Salesforce leads
        "an 11-character text",  # 'Omar Haddad', described by its shape
    ]
    # index.html shortens a long error to its first lines: the first three problems and the shape
    shown = {"validate": expected, "notebook": expected, "index.html": [*expected[:3], expected[-1]]}
    for where, text in (("validate", validate), ("index.html", index.replace("&#x27;", "'")), ("notebook", notebook)):
        missing = [e for e in shown[where] if e not in text]
        assert not missing, f"{where} lacks {missing}"
    metrics = run.streams["metrics names"].stderr
    assert "names_in_bad_cells" in metrics and "row 2" in metrics


def test_a_logo_linked_outside_the_folder_fails_that_client_and_is_never_read(run):
    index = (run.out / "index.html").read_text(encoding="utf-8")
    assert re.search(r'<tr class="kk-failed" data-client="linked[-_]logo">.*?symbolic link.*?</tr>', index, re.S)
    everything = [t for p in run.out.rglob("*") if p.is_file() for t in file_texts(p)]
    everything += [getattr(r, k) for r in run.streams.values() for k in ("stdout", "stderr")]
    assert not [t for t in everything if SECRET in t]
