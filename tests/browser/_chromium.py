"""How the browser tests start Debian's chromium (shared by every browser test)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kpikit.report.pdf import LAUNCH_ARGS  # the flags the PDF printer launches with: one list for both

__all__ = ["CHROMIUM", "LAUNCH_ARGS", "require_chromium"]

CHROMIUM = "/usr/bin/chromium"


def require_chromium() -> None:
    """Skip on a developer machine without chromium; in CI (.ci/run installs it) its absence is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: .ci/run must apt-get install chromium", pytrace=False)
    pytest.skip("Debian chromium is not installed (apt-get install -y chromium)", allow_module_level=True)
