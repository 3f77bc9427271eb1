"""The workshop's intro: the report's headline cost and the same key findings, in the same order."""

from __future__ import annotations

import html
import sys
from pathlib import Path

import pytest

import kpikit
from kpikit import explore
from kpikit.analysis.findings import key_findings
from kpikit.core.fmt import fmt

LUMORA = Path(__file__).resolve().parents[1] / "data_samples" / "lumora" / "client.yaml"


@pytest.fixture(scope="module")
def model():
    return kpikit.load_client(LUMORA)


def test_the_intro_lists_the_reports_key_findings_in_its_order(model):
    box = explore.intro(model)
    box.wait(60)
    want = [html.escape(f["text"]) for f in key_findings(kpikit.metrics(model)["findings"])]
    shown = box.children[1].value
    assert want and "Key findings" in shown
    positions = [shown.index(t) for t in want]  # every sentence, verbatim and escaped
    assert positions == sorted(positions)


def test_the_intro_states_the_headline_cost_of_metrics_json(model):
    head = kpikit.metrics(model)["headline"]
    text = explore.intro(model).children[0].value
    assert fmt(head["cost_per_real_outcome_paid"], "money", "EUR") in text
    assert fmt(head["cost_per_real_outcome_blended"], "money", "EUR") in text and "blended" in text


def test_findings_that_fail_leave_the_header_and_an_empty_list(model, monkeypatch):
    engine = sys.modules["kpikit.analysis.findings"]  # kpikit.analysis.findings is also the function

    def boom(_model):
        raise RuntimeError("engine bug")

    monkeypatch.setattr(engine, "findings", boom)
    box = explore.intro(model)
    box.wait(60)
    assert "paid spend" in box.children[0].value and box.children[1].value == ""
