"""A plain (non-editable) wheel install runs every command without the repository.

The wheel is built from a copy of the repository (so the build neither writes ``build/``
into the checkout nor ships stale files from an earlier one), installed with ``--no-deps``
into a fresh venv outside the repository, and every command then runs from a folder
outside the repository. Reinstalling every dependency would take minutes, so the fresh
venv borrows them: a ``.pth`` path line appends this venv's site-packages (a path line
does not run the editable-install finder ``.pth`` found inside it, so ``kpikit`` itself
comes from the wheel), and the dependencies' Jupyter data files (``share/jupyter``:
nbconvert templates, kernelspec) are linked in as pip would have installed them.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
# What a fresh clone does not have, or a build must not see.
_NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache", ".ruff_cache",
    ".ipynb_checkpoints", "artifacts", "_data",
)  # fmt: skip
BUNDLED = ("workbooks", "templates", "data_samples")


def _run(cmd: list[str], *, env: dict | None = None, cwd: Path | None = None, timeout: float = 180) -> str:
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd} exited {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}"
    return proc.stdout


def _digests(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


class Fresh:
    """A fresh venv holding the kpikit wheel, and how to run things in it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.src = base / "src"
        self.venv = base / "venv"
        self.bin = self.venv / "bin"
        self.work = base / "work"  # cwd of every command: outside the repository
        self.work.mkdir()

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "JUPYTER_PATH"}}
        path = [p for p in env.get("PATH", "").split(os.pathsep) if p and Path(p) != Path(sys.prefix) / "bin"]
        env["PATH"] = os.pathsep.join([str(self.bin), *path])
        env["VIRTUAL_ENV"] = str(self.venv)
        return env

    def run(self, *args: str, timeout: float = 180) -> str:
        return _run([str(self.bin / args[0]), *args[1:]], env=self.env, cwd=self.work, timeout=timeout)

    def python(self, code: str) -> str:
        return self.run("python", "-c", code).strip()


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Fresh:
    f = Fresh(tmp_path_factory.mktemp("wheel"))
    shutil.copytree(ROOT, f.src, ignore=_NOT_SOURCE, symlinks=True)
    dist = f.base / "dist"
    # Build isolation fetches setuptools from build-system.requires (the registry or /opt/wheels).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(f.src)])
    (wheel,) = dist.glob("kpikit-*.whl")

    _run([sys.executable, "-m", "venv", "--without-pip", str(f.venv)])
    _run([sys.executable, "-m", "pip", "--python", str(f.bin / "python"), "install", "--no-deps", "--no-index",
          "--quiet", str(wheel)])  # fmt: skip
    site = Path(
        _run([str(f.bin / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"]).strip()
    )
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "_kpikit_test_deps.pth").write_text("".join(f"{p}\n" for p in sorted(ours)))
    shared = Path(sys.prefix) / "share" / "jupyter"
    (f.venv / "share" / "jupyter").mkdir(parents=True)
    for entry in shared.iterdir():
        (f.venv / "share" / "jupyter" / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return f


def test_kpikit_is_imported_from_the_wheel_with_its_folders(fresh):
    info = json.loads(
        fresh.python(
            "import json, kpikit; from kpikit.core import paths;"
            "from kpikit.explore.cli import WORKBOOK; from kpikit.samples import DATA_SAMPLES;"
            "from kpikit.ingest.column_map import TEMPLATE_MAPS; from kpikit.training.build import SOURCE_DIR;"
            "print(json.dumps({'file': kpikit.__file__, 'root': str(paths.data_root()), 'bundled': paths.is_bundled(),"
            "'workshop': str(WORKBOOK), 'samples': str(DATA_SAMPLES), 'maps': str(TEMPLATE_MAPS),"
            "'training': str(SOURCE_DIR)}))"
        )
    )
    assert Path(info["file"]).is_relative_to(fresh.venv), info
    assert info["bundled"] and Path(info["root"]) == Path(info["file"]).parent / "_data"
    for key in ("root", "workshop", "samples", "maps", "training"):
        assert Path(info[key]).is_relative_to(fresh.venv) and Path(info[key]).exists(), (key, info[key])
    # The bundle is the repository's folders, byte for byte (UTF-16 and CRLF sample exports included).
    root = Path(info["root"])
    for folder in BUNDLED:
        assert _digests(root / folder) == _digests(fresh.src / folder), folder
    assert not (root / "data_samples" / "lumora" / "snapshots").exists()


def test_report_runs_from_the_wheel(fresh):
    client = fresh.work / "clients" / "lumora"
    shutil.copytree(fresh.src / "data_samples" / "lumora", client, ignore=shutil.ignore_patterns("snapshots"))
    out = fresh.work / "out"
    printed = fresh.run("kpikit", "report", str(client / "client.yaml"), "--out", str(out), "--jobs", "1",
                        "--no-progress", timeout=240)  # fmt: skip
    assert "1 of 1 client reports" in printed, printed
    folder = out / "lumora"
    assert (folder / "report.html").stat().st_size > 10_000
    metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    assert metrics  # canonical JSON written by the workbook
    nb = nbformat.read(folder / "report.ipynb", as_version=4)
    input_path = Path(nb.metadata.papermill.input_path)
    assert input_path.is_relative_to(fresh.venv) and input_path.name == "report.ipynb", input_path
    # Nothing of the run points into the repository's package or folders (its venv serves the dependencies).
    texts = [(folder / name).read_text(encoding="utf-8") for name in ("report.ipynb", "report.html", "metrics.json")]
    for part in ("kpikit", *BUNDLED):
        assert not any(str(ROOT / part) in text for text in texts), part


def test_new_client_training_and_workshop_from_the_wheel(fresh):
    printed = fresh.run("kpikit", "new-client", "acme-industrial", "--dir", str(fresh.work))
    assert "created" in printed
    text = (fresh.work / "acme-industrial" / "client.yaml").read_text(encoding="utf-8")
    assert "client: acme-industrial" in text and "# id used for folders" in text  # the template's comments

    fresh.run("kpikit", "training", "--out", str(fresh.work / "training"))
    sources = sorted(p.name for p in (fresh.src / "workbooks" / "training").glob("*.ipynb"))
    for variant in ("trainee", "facilitator"):
        assert sorted(p.name for p in (fresh.work / "training" / variant).glob("*.ipynb")) == sources, variant

    # --dry-run resolves and injects the workshop workbook, then starts no server.
    config = fresh.work / "acme-industrial" / "client.yaml"
    url, cmd = fresh.run("kpikit", "workshop", str(config), "--dry-run", "--port", "8999").splitlines()[:2]
    assert url == "http://127.0.0.1:8999/" and "workshop.ipynb" in cmd
    workbook = Path(fresh.python("from kpikit.explore.cli import WORKBOOK; print(WORKBOOK)"))
    assert workbook.is_relative_to(fresh.venv) and workbook.is_file()
