from __future__ import annotations

import re

from kpikit.demo import _load_summary
from kpikit.samples import DATA_SAMPLES


def test_load_summary_reconciles_rows():
    line = _load_summary(DATA_SAMPLES / "ironbridge" / "client.yaml")
    m = re.search(r"([\d,]+) rows read, ([\d,]+) loaded, dropped: (.+?); spend USD ([\d,.]+)", line)
    assert m, line
    read, loaded = (int(x.replace(",", "")) for x in m.group(1, 2))
    dropped = sum(int(n.replace(",", "")) for n in re.findall(r"(\d[\d,]*) [a-z_]+", m.group(3)))
    assert read == loaded + dropped
    assert "duplicate" in m.group(3)
