"""One `kpikit report --xlsx` batch of the sample clients, shared by the slow report tests of a pytest run.

The batch runs the real workbook (about 40 s on two cores), so the text scan, the Excel
checks and the PDF checks read the same output instead of paying for it three times.
"""

from __future__ import annotations

import atexit
import functools
import shutil
import tempfile
from pathlib import Path

from kpikit.cli import main as kpikit_main
from kpikit.samples import DATA_SAMPLES, SAMPLE_CLIENTS

__all__ = ["sample_batch", "SAMPLE_CLIENTS"]


@functools.lru_cache(maxsize=1)
def sample_batch() -> Path:
    """The output folder of the batch (deleted when the test run ends)."""
    out = Path(tempfile.mkdtemp(prefix="kpikit-report-batch-"))
    atexit.register(shutil.rmtree, out, True)
    argv = ["report", str(DATA_SAMPLES / "clients.yaml"), "--out", str(out), "--xlsx", "--no-progress", "--jobs", "2"]
    status = kpikit_main(argv)
    assert status == 0, f"kpikit {' '.join(argv)} exited {status}"
    return out
