"""The workshop never breaks in front of the room: an explorer whose data is missing shows a notice.

Two clients with only ad exports and CRM contacts (``tests/_workshop_clients.py``): ``thin``
(daily ad exports, no touchpoints, no deals) and ``coarse`` (monthly and quarterly ad totals).
Every explorer must render its controls or a short notice, and the workbook must run with no
error output.
"""

from __future__ import annotations

import html
import re

import nbformat
import pytest
from _workshop_clients import coarse_client, thin_client

import kpikit
from kpikit.explore import _base
from kpikit.explore.widgets import EXPLORERS

#: explorer name -> the clients on which it must show a notice (everywhere else: its controls)
NOTICE_ON = {"attribution_switch": {"thin", "coarse"}, "budget_shift": {"coarse"}}
BUILDERS = {"thin": thin_client, "coarse": coarse_client}


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def client(request, tmp_path_factory):
    path = BUILDERS[request.param](tmp_path_factory.mktemp(request.param))
    return request.param, path, kpikit.load_client(path)


def _has_no_touchpoints_or_deals(model) -> bool:
    return len(model.touchpoints) == 0 and len(model.deals) == 0


def test_the_clients_hold_only_ad_exports_and_contacts(client):
    name, _, model = client
    assert _has_no_touchpoints_or_deals(model)
    assert len(model.spend) and len(model.contacts)
    spans = (model.spend["date_end"].fillna(model.spend["date"]) - model.spend["date"]).dt.days + 1
    assert (spans.min() > 7) == (name == "coarse")  # coarse: every ad row is a month or a quarter


@pytest.mark.parametrize("explorer", sorted(EXPLORERS))
def test_every_explorer_shows_its_controls_or_a_notice(client, explorer):
    name, _, model = client
    e = EXPLORERS[explorer](model)
    if name in NOTICE_ON.get(explorer, set()):
        assert e.reason == "data", e.failure
        assert e.controls == {} and e.charts == {}
        text = html.unescape(e.notice.value)
        assert "kpk-unavailable" in text and e.unavailable in text
        assert len(e.unavailable) < 400 and "Traceback" not in text and "Error" not in text
        assert "kpk-unavailable" in e._dom_classes
    else:
        assert e.unavailable is None, e.unavailable
        assert e.controls and e.charts and e.numbers


def test_the_budget_notice_names_the_monthly_and_quarterly_exports(client):
    name, _, model = client
    if name != "coarse":
        pytest.skip("daily exports")
    e = EXPLORERS["budget_shift"](model)
    assert "monthly totals (meta)" in e.unavailable and "quarterly totals (google_ads)" in e.unavailable


def test_the_attribution_notice_says_which_export_is_missing(client):
    _, _, model = client
    assert "touchpoint export" in EXPLORERS["attribution_switch"](model).unavailable


def test_a_notice_explorer_refuses_a_snapshot_and_says_so(client, tmp_path):
    _, _, model = client
    e = EXPLORERS["attribution_switch"](model)
    with pytest.raises(kpikit.KpikitError, match="no scenario to save"):
        e.snapshot(folder=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unforeseen_failure_becomes_a_notice_with_the_traceback_in_the_terminal(client, monkeypatch, capfd):
    _, _, model = client
    cls = EXPLORERS["targeting"]

    def broken(self):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(cls, "_controls", broken)
    e = cls(model)
    assert e.reason == "error" and isinstance(e.failure, ZeroDivisionError)
    assert e.unavailable == _base.FAILED and "boom" not in e.notice.value
    assert "ZeroDivisionError: boom" in capfd.readouterr().err


def _errors(nb) -> list[str]:
    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.output_type == "error" or (out.output_type == "stream" and out.name == "stderr"):
                found.append(f"cell {i}: {out.get('ename') or out.get('text', '')[:200]}")
    return found


@pytest.mark.slow
def test_the_workbook_runs_on_the_client_with_a_notice_or_controls_in_every_explorer(client, tmp_path):
    """Executes workbooks/workshop.ipynb as ``kpikit workshop`` prepares it, then reads what each cell showed."""
    from nbclient import NotebookClient

    from kpikit.explore.cli import prepare_notebook

    name, path, _ = client
    nb = nbformat.read(prepare_notebook(path.resolve(), tmp_path), as_version=4)
    # After each explorer cell, ask the kernel what that explorer shows: controls, or a notice.
    probe = "_e = _\nprint('KPK', _e.name, 'notice' if _e.unavailable else 'controls', _e.reason, len(_e.controls))"
    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code" and re.search(r"explore\.\w+\(model\)", cell.source) and "intro" not in cell.source:
            cells.append(nbformat.v4.new_code_cell(probe))
    nb.cells = cells
    NotebookClient(nb, kernel_name="python3", timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert _errors(nb) == []
    shown = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and out.text.startswith("KPK"):
                _, explorer, state, reason, n = out.text.split()
                shown[explorer] = (state, reason, int(n))
    assert set(shown) == set(EXPLORERS)
    for explorer, (state, reason, n) in shown.items():
        if name in NOTICE_ON.get(explorer, set()):
            assert (state, reason, n) == ("notice", "data", 0), explorer
        else:
            assert state == "controls" and n > 0, explorer
    # the widgets themselves reached the output, one per explorer cell, plus the intro
    views = [
        o
        for c in nb.cells
        for o in c.get("outputs", [])
        if "application/vnd.jupyter.widget-view+json" in o.get("data", {})
    ]
    assert len(views) == len(EXPLORERS) + 1
