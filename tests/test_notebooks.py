"""Workbooks are source: committed without outputs, with documented parameters."""

from __future__ import annotations

import json
from pathlib import Path

import papermill
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "workbooks").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_there_are_workbooks():
    assert NOTEBOOKS, "workbooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [i for i, cell in enumerate(nb["cells"]) if cell.get("outputs") or cell.get("execution_count") is not None]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; strip them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_parameters_are_annotated(path):
    params = papermill.inspect_notebook(str(path))
    assert params, f"{path.name} has no cell tagged 'parameters'"
    for name, info in params.items():
        assert info["inferred_type_name"] != "None", f"{path.name}: parameter {name!r} has no type annotation"
        assert info["help"], f"{path.name}: parameter {name!r} has no help comment"
