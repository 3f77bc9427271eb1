"""environment.yml (conda) must mirror pyproject.toml, the source of truth."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]

# conda-forge names that differ from PyPI names.
CONDA_TO_PYPI = {"python-duckdb": "duckdb"}
NOT_A_PACKAGE = {"python", "pip"}


def _split(spec: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", spec)
    assert m, f"cannot parse requirement {spec!r}"
    return m.group(1).lower().replace("_", "-"), m.group(2) or "", m.group(3).replace(" ", "")


def pyproject_requirements(pyproject: dict) -> dict[str, str]:
    """Core + every extra, extras expanded the way conda spells them (dask[distributed] -> dask + distributed)."""
    project = pyproject["project"]
    specs = list(project["dependencies"])
    for extra in project.get("optional-dependencies", {}).values():
        specs += extra
    out: dict[str, str] = {}
    for spec in specs:
        name, extras, version = _split(spec)
        for n in [name, *re.findall(r"[A-Za-z0-9_.\-]+", extras)]:
            if n in out and out[n] != version:
                raise AssertionError(f"{n} has two specifiers in pyproject: {out[n]!r} and {version!r}")
            out[n] = version
    return out


def environment_requirements(env: dict) -> tuple[dict[str, str], list[str]]:
    out: dict[str, str] = {}
    pip: list[str] = []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
            continue
        name, _, version = _split(dep)
        if name in NOT_A_PACKAGE:
            continue
        out[CONDA_TO_PYPI.get(name, name)] = version
    return out, pip


def compare(pyproject: dict, env: dict) -> list[str]:
    want = pyproject_requirements(pyproject)
    have, pip = environment_requirements(env)
    problems = [f"{n}{v} is in pyproject.toml but not in environment.yml" for n, v in want.items() if n not in have]
    problems += [f"{n}{v} is in environment.yml but not in pyproject.toml" for n, v in have.items() if n not in want]
    problems += [
        f"{n}: pyproject says {want[n]!r}, environment.yml says {have[n]!r}"
        for n in sorted(set(want) & set(have))
        if want[n] != have[n]
    ]
    if "-e . --no-deps" not in pip:
        problems.append("environment.yml must install the package itself with pip: ['-e . --no-deps']")
    py = re.search(r">=\s*([\d.]+)", pyproject["project"]["requires-python"]).group(1)
    if f"python>={py}" not in [d.replace(" ", "") for d in env["dependencies"] if isinstance(d, str)]:
        problems.append(f"environment.yml must pin python>={py} like requires-python")
    return problems


def load() -> tuple[dict, dict]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    return pyproject, env


def test_environment_yml_mirrors_pyproject():
    pyproject, env = load()
    assert compare(pyproject, env) == []


@pytest.mark.parametrize(
    "edit, expected",
    [
        (lambda p, e: p["project"]["dependencies"].append("rich>=13"), "rich>=13 is in pyproject.toml but not"),
        (lambda p, e: e["dependencies"].insert(3, "polars>=1"), "polars>=1 is in environment.yml but not"),
        (
            lambda p, e: e["dependencies"].__setitem__(e["dependencies"].index("pandas>=3.0"), "pandas>=2.0"),
            "pandas: pyproject says '>=3.0', environment.yml says '>=2.0'",
        ),
    ],
    ids=["only-in-pyproject", "only-in-environment", "specifier-drift"],
)
def test_sync_check_catches_drift(edit, expected):
    pyproject, env = load()
    edit(pyproject, env)
    problems = compare(pyproject, env)
    assert any(expected in p for p in problems), problems
