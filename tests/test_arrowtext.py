from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from kpikit._arrowtext import constant, is_blank, map_distinct

# Unicode whitespace that Arrow trims, ASCII controls that it does not, and text around them
CELLS = ["", " ", "\t", "\u00a0", "\u3000", "\u2003x", "x\u00a0", " a ", "b", "é", "\x1f", "ﬁ", None]


def test_is_blank_matches_trimming_every_cell():
    rng = np.random.default_rng(0)
    values = [CELLS[i] for i in rng.integers(0, len(CELLS), 5_000)]
    # several chunks, one sliced, as a read and a row filter leave them
    arr = pa.chunked_array([values[:100], values[100:4000], values[4000:]], pa.large_string())
    arr = pa.chunked_array([arr.chunk(0), arr.chunk(1).slice(7), arr.chunk(2)])
    series = pd.Series(pd.arrays.ArrowStringArray(arr))
    expected = (series.fillna("").str.strip() == "").to_numpy()
    assert (is_blank(series) == expected).all()


@pytest.mark.parametrize("text", ["a.csv", "", "ünïcode.csv"])
def test_constant_is_n_copies(text):
    s = constant(text, 1_000)
    assert s.tolist() == [text] * 1_000 and str(s.dtype) == "str"


def test_map_distinct_calls_once_per_label_and_keeps_missing():
    calls = []

    def label(v: str) -> str:
        calls.append(v)
        return v.upper()

    values = ["lead", None, " mql", "lead ", "mql", "", "n/a", "\u00a0"] * 1_000
    # several chunks, as a big read gives them: one set of labels for all
    chunked = pa.chunked_array([values[:3_001], values[3_001:]], pa.large_string())
    out = map_distinct(chunked, label, na_values=["n/a"])
    assert out.to_pylist() == ["LEAD", None, "MQL", "LEAD", "MQL", None, None, None] * 1_000
    assert sorted(calls) == ["lead", "mql"]
