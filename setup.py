"""Build step that puts the top-level folders into the wheel; everything else is in pyproject.toml.

``workbooks/``, ``templates/`` and ``data_samples/`` stay at the repository root (their place
is fixed), yet a plain ``pip install kpikit-*.whl`` must run every command. So ``build_py``
copies them, byte for byte, into ``kpikit/_data/`` of the build tree, where
:mod:`kpikit.core.paths` finds them. Editable installs copy nothing: ``kpikit.core.paths``
falls back to the repository root, so edits to a workbook show up without a reinstall.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
# Keep in step with kpikit.core.paths.BUNDLE_DIR / FOLDERS (setup.py cannot import kpikit:
# the build environment has none of its dependencies).
BUNDLE = ("kpikit", "_data")
FOLDERS = ("workbooks", "templates", "data_samples")
# Local clutter that must never ship: caches, editor state, workshop snapshots of a session.
IGNORE = ("__pycache__", "*.pyc", ".ipynb_checkpoints", ".DS_Store", "snapshots")


def _bundled_files(build_lib: str) -> dict[str, str]:
    """``{destination in build_lib: source file}`` for every file of :data:`FOLDERS`."""
    mapping: dict[str, str] = {}
    target = Path(build_lib, *BUNDLE)
    for folder in FOLDERS:
        source = ROOT / folder
        if not source.is_dir():
            raise FileNotFoundError(f"{source} is missing: build the wheel from a full checkout or sdist")
        for here, dirs, names in os.walk(source):
            dirs[:] = sorted(d for d in dirs if not any(fnmatch.fnmatch(d, p) for p in IGNORE))
            for name in sorted(names):
                if any(fnmatch.fnmatch(name, p) for p in IGNORE):
                    continue
                src = Path(here, name)
                mapping[str(target / folder / src.relative_to(source))] = str(src)
    return mapping


class build_py_with_bundle(build_py):
    """setuptools' ``build_py`` plus the copy of :data:`FOLDERS` into ``kpikit/_data``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # the package is read in place; kpikit.core.paths uses the repo root
            return
        # A file deleted from the repository must not survive in a reused build/ folder.
        shutil.rmtree(Path(self.build_lib, *BUNDLE), ignore_errors=True)
        for dest, src in _bundled_files(self.build_lib).items():
            self.mkpath(os.path.dirname(dest))
            self.copy_file(src, dest, preserve_mode=False)

    def get_output_mapping(self) -> dict[str, str]:
        # Also consulted by strict editable installs, which then link the files instead.
        return {**super().get_output_mapping(), **_bundled_files(self.build_lib)}

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = [*super().get_outputs(include_bytecode), *_bundled_files(self.build_lib)]
        return list(dict.fromkeys(outputs))


setup(cmdclass={"build_py": build_py_with_bundle})
