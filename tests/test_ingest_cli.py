"""`kpikit validate`: text and JSON output, exit status, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kpikit.cli import main as kpikit_main
from kpikit.ingest.cli import main

FIX = Path(__file__).parent / "fixtures" / "ingest"
BAD = Path(__file__).parent / "bad_inputs"


def test_json_schema_and_exit_0(capsys):
    assert main([str(FIX / "google_ads_utf16.tsv"), str(FIX / "hubspot_contacts.csv"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True and len(data["files"]) == 2
    g, h = data["files"]
    for f in data["files"]:
        assert {"path", "source", "rows_read", "rows_loaded", "dropped", "spend", "records", "problems"} <= set(f)
        assert f["rows_read"] == f["rows_loaded"] + sum(f["dropped"].values())
    assert g["source"] == "google_ads" and g["spend"] == {"EUR": 1182.73} and g["dropped"] == {"footer": 2}
    assert h["source"] == "hubspot_contacts" and h["records"] == 4 and h["spend"] == {}


def test_problems_give_exit_1_with_row_column_fix(capsys):
    assert main([str(BAD / "many_problems.csv"), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    problems = data["files"][0]["problems"]
    assert len(problems) == 6
    assert all({"row", "column", "message", "fix"} <= set(p) and p["fix"] for p in problems)
    assert problems[0]["row"] == 3 and problems[0]["column"] == "Day"


def test_text_output_lists_source_rows_spend_and_problems(capsys):
    assert main([str(FIX / "google_ads_utf16.tsv"), str(BAD / "negative_spend.csv")]) == 1
    out = capsys.readouterr().out
    assert "source        google_ads -> spend" in out
    assert "read 6, loaded 4, dropped footer: 2" in out
    assert "spend         EUR 1,182.73" in out
    assert "problem: row 3, column 'cost': negative spend" in out
    assert "2 file(s): 1 with problems" in out


def test_map_option_and_client_folder(capsys):
    assert main([str(FIX / "partner_eu.csv"), "--map", str(FIX / "partner_eu.yaml"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"][0]["spend"] == {"EUR": 1342.05}
    assert main([str(FIX / "client"), "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)["files"]) == 9


def test_unreadable_inputs_are_problems_not_tracebacks(capsys):
    paths = [BAD / "empty.csv", BAD / "unknown_format.csv", BAD / "does_not_exist.csv", BAD / "excel_workbook.xlsx"]
    assert main([*map(str, paths), "--json"]) == 1
    files = json.loads(capsys.readouterr().out)["files"]
    assert [bool(f["problems"]) for f in files] == [True] * 4
    assert "not found" in files[2]["problems"][0]["message"]


def test_bad_arguments_exit_1_without_traceback(capsys):
    assert main([]) == 1
    assert "usage" in capsys.readouterr().err
    assert main([str(FIX / "meta.csv"), "--map", str(BAD / "map_bad_yaml.map.yaml")]) == 1
    assert "not valid YAML" in capsys.readouterr().out


def test_registered_in_kpikit_cli(capsys):
    assert kpikit_main(["validate", str(FIX / "linkedin.csv")]) == 0
    assert "linkedin -> spend" in capsys.readouterr().out


def test_console_never_shows_a_traceback():
    proc = subprocess.run(
        [sys.executable, "-m", "kpikit.cli", "validate", str(BAD / "truncated_mid_row.csv"), str(BAD / "empty.csv")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "truncated" in proc.stdout


def test_client_folder_is_a_preflight_listing_every_check(capsys):
    from kpikit.ingest.preflight import CHECKS

    # the fixture's target list has a row without a domain: a warning, printed, and still exit 0
    assert main([str(FIX / "client"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in data["checks"]] == list(CHECKS) and data["ok"] is True
    assert {c["client"] for c in data["checks"]} == {"fixture-client"}
    status = {c["name"]: c["status"] for c in data["checks"]}
    assert status["target_accounts_rows"] == "warning" and status["metrics"] == "ok"
    assert set(status.values()) == {"ok", "warning"}
    assert main([str(FIX / "client" / "client.yaml")]) == 0  # the client.yaml itself names the client
    out = capsys.readouterr().out
    assert "pre-flight of fixture-client" in out and "warning  target_accounts_rows" in out
    assert "9 file(s): all load, pre-flight: 0 error(s), 1 warning(s)" in out


def test_a_file_inside_a_client_folder_is_read_with_its_maps(capsys):
    # partner_eu.csv is in no built-in format: its client's column_maps/partner_eu.yaml reads it
    assert main([str(FIX / "client" / "exports" / "partner_eu.csv"), "--json"]) == 0
    (f,) = json.loads(capsys.readouterr().out)["files"]
    assert f["source"] == "partner_eu" and f["spend"] == {"EUR": 1342.05}
    assert any("read as client 'fixture-client'" in n for n in f["notes"])


def test_client_errors_exit_1_and_say_which_check(capsys, tmp_path):
    client = tmp_path / "acme"
    (client / "exports").mkdir(parents=True)
    (client / "exports" / "linkedin.csv").write_bytes((FIX / "linkedin.csv").read_bytes())
    (client / "client.yaml").write_text("client: acme\ncurrency: EUR\nreport: {logo: logo.svg}\n")
    (client / "logo.svg").write_text("not an svg at all\n")
    assert main([str(client)]) == 1
    out = capsys.readouterr().out
    assert "ERROR    logo" in out and "not a SVG image" in out and "pre-flight: 1 error(s)" in out
