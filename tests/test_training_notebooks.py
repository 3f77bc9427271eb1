"""Training workbooks: trainee and facilitator builds from one source, each executed with papermill.

Facilitator build (worked answers) -> every check passes; trainee build (as shipped, ``...`` answers)
-> every check gives guidance and nothing crashes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import papermill
import pytest

from kpikit.samples import planted_pii
from kpikit.training import EXERCISES
from kpikit.training.build import SOURCE_DIR, build, check_sources, variant

CHECK = "application/vnd.kpikit.check+json"
PROGRESS = "application/vnd.kpikit.progress+json"
SOURCES = sorted(SOURCE_DIR.glob("*.ipynb"))
MODULES = {p.name: f"m{int(p.name[:2])}" for p in SOURCES}


def _tags(cell) -> set[str]:
    return set(cell.metadata.get("tags", []))


def test_five_modules_with_seed_and_client_parameters():
    assert [p.name for p in SOURCES] == [
        "01_vanity_vs_value.ipynb",
        "02_reading_exports.ipynb",
        "03_funnel_and_cost.ipynb",
        "04_attribution.ipynb",
        "05_kpi_alignment.ipynb",
    ]
    for path in SOURCES:
        params = papermill.inspect_notebook(str(path))
        assert params["seed"]["inferred_type_name"] == "int" and params["seed"]["help"]
        assert params["client"]["inferred_type_name"] == "str" and params["client"]["help"]


def test_sources_pair_every_placeholder_with_a_solution():
    assert check_sources() == []
    for path in SOURCES:
        nb = nbformat.read(path, as_version=4)
        checked = {c.source.split('"')[1] for c in nb.cells if c.source.startswith("training.check(")}
        assert checked == {e.id for e in EXERCISES.module(MODULES[path.name])}, path.name


def test_check_sources_reports_an_unpaired_placeholder(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = ...", metadata={"tags": ["exercise"]})])
    nbformat.write(nb, tmp_path / "bad.ipynb")
    assert "next cell is no 'solution'" in check_sources(tmp_path)[0]


def test_build_cli_writes_both_variants_from_one_source(tmp_path):
    out = subprocess.run(
        [sys.executable, "-m", "kpikit.training.build", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(out.stdout.split()) == 2 * len(SOURCES)
    for path in SOURCES:
        source = nbformat.read(path, as_version=4)
        trainee = nbformat.read(tmp_path / "trainee" / path.name, as_version=4)
        facilitator = nbformat.read(tmp_path / "facilitator" / path.name, as_version=4)
        assert not any("solution" in _tags(c) for c in trainee.cells)
        assert not any("exercise" in _tags(c) for c in facilitator.cells)
        n_ex = sum("exercise" in _tags(c) for c in source.cells)
        assert n_ex == sum("solution" in _tags(c) for c in source.cells) > 0
        assert len(trainee.cells) == len(facilitator.cells) == len(source.cells) - n_ex
        assert all("..." in c.source for c in trainee.cells if "exercise" in _tags(c) and c.cell_type == "code")
        # Everything else is the same source: written once, shipped twice.
        shared = [c.source for c in source.cells if not _tags(c) & {"exercise", "solution"}]
        assert [c.source for c in trainee.cells if "exercise" not in _tags(c)] == shared
        assert trainee.metadata["kpikit"]["variant"] == "trainee"


def test_unknown_variant_is_a_clear_error():
    from kpikit import KpikitError

    with pytest.raises(KpikitError, match="trainee"):
        variant(nbformat.v4.new_notebook(), "student")


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    out = tmp_path_factory.mktemp("training")
    build(out)
    return out


def _run(path: Path, out: Path, seed: int) -> nbformat.NotebookNode:
    papermill.execute_notebook(
        str(path), str(out), parameters={"seed": seed}, kernel_name="python3", progress_bar=False, cwd=str(path.parent)
    )
    return nbformat.read(out, as_version=4)


def _outputs(nb, mime: str) -> list[dict]:
    return [o["data"][mime] for c in nb.cells for o in c.get("outputs", []) if mime in o.get("data", {})]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODULES))
def test_facilitator_build_passes_every_check(builds, tmp_path, name):
    nb = _run(builds / "facilitator" / name, tmp_path / name, seed=5)
    checks = _outputs(nb, CHECK)
    expected = [e.id for e in EXERCISES.module(MODULES[name])]
    assert [c["exercise_id"] for c in checks] == expected
    assert [c["status"] for c in checks] == ["correct"] * len(expected), [c["message"] for c in checks]
    (summary,) = _outputs(nb, PROGRESS)
    assert summary["passed"] == summary["total"] == len(expected)
    # The story cells show sample CRM data: no planted email, name or phone may reach an output.
    text = json.dumps([c.get("outputs", []) for c in nb.cells])
    assert [p for p in planted_pii() if len(p) > 5 and p in text] == []


@pytest.mark.slow
@pytest.mark.parametrize("name", list(MODULES))
def test_trainee_build_as_shipped_gives_guidance_without_crashing(builds, tmp_path, name):
    nb = _run(builds / "trainee" / name, tmp_path / name, seed=6)  # papermill raises on any cell error
    checks = _outputs(nb, CHECK)
    assert len(checks) == len(EXERCISES.module(MODULES[name]))
    assert {c["status"] for c in checks} == {"blank"}
    assert all("`...`" in c["message"] and c["hint"] for c in checks)
    (summary,) = _outputs(nb, PROGRESS)
    assert summary["passed"] == 0
    assert {e["status"] for e in summary["exercises"]} == {"blank"}


@pytest.mark.parametrize("name, meant", [("Trainee", "trainee"), ("facilitater", "facilitator")])
def test_a_mistyped_variant_is_an_option_error_that_says_what_was_meant(name, meant):
    from kpikit.errors import OptionError

    with pytest.raises(OptionError, match=re.escape(f"did you mean {meant!r}?")):
        variant(nbformat.v4.new_notebook(), name)
