"""Where the real public exports live (``../shared/real_data``, see its PROVENANCE.md).

They are not in the repository (licences unverified). A developer without them
skips those tests; CI (which always has ``../shared``) fails instead, so a
missing folder can never pass as green.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real_data"


def require_real_data() -> None:
    if REAL.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the shared real data at {REAL}", pytrace=False)
    pytest.skip(f"{REAL} is not beside the repo", allow_module_level=True)
