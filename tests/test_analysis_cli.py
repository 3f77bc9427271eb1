import json
from pathlib import Path

import pytest

from kpikit.analysis.cli import format_text, main

ROOT = Path(__file__).parents[1]
LUMORA = ROOT / "data_samples" / "lumora" / "client.yaml"
needs_samples = pytest.mark.skipif(not LUMORA.is_file(), reason="data_samples/ not generated")


@needs_samples
def test_metrics_json_is_the_metrics_document(capsys):
    import kpikit

    assert main([str(LUMORA), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(json.dumps(kpikit.metrics(kpikit.load_client(LUMORA))))
    assert doc["schema_version"] == "1.0" and doc["client"]["id"] == "lumora"
    # campaign names are untrusted, but JSON is data: the name is there, verbatim
    assert any(r["campaign"] == "<img src=x onerror=alert(1)>" for r in doc["by_campaign"])


@needs_samples
def test_metrics_text(capsys):
    assert main([str(LUMORA)]) == 0
    out = capsys.readouterr().out
    assert "headline metrics (EUR)" in out and "real outcome (opportunity)" in out and "markov" in out


def test_missing_config_is_a_message_not_a_traceback(capsys, tmp_path):
    from kpikit.cli import main as kpikit_main

    assert kpikit_main(["metrics", str(tmp_path / "nope.yaml")]) == 1
    err = capsys.readouterr().err
    assert "kpikit metrics:" in err and "Traceback" not in err


def test_format_text_handles_missing_values():
    doc = {
        "currency": "EUR", "client": None,
        "totals": {"spend": 0.0, "impressions": 0, "clicks": 0, "ctr": None, "lead": None},
        "cost_per_stage": {"lead": None, "cac": None},
        "real_outcome_cost": {"stage": "won", "cost_per": None, "low": None, "high": None, "status": "no data"},
        "match": {"spend_match_rate": None, "contact_match_rate": None},
        "vanity": {"vanity": "ctr", "outcome": "won", "kendall_tau": None, "rows": []},
        "attribution": None, "warnings": [],
    }  # fmt: skip
    text = format_text(doc)
    assert "–" in text and "None" not in text
