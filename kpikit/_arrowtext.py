"""Text columns as Arrow arrays and back, without copies (pandas' ``str`` is Arrow-backed).

Big exports spend most of their load time in string work; Arrow's compute
kernels do it without Python objects and release the GIL.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STR = pd.StringDtype("pyarrow", na_value=np.nan)  # what dtype="str" means in pandas 3
NULL = pa.scalar(None, pa.large_string())


def as_arrow(values) -> pa.ChunkedArray:
    """Text as a large_string chunked array (zero-copy when pandas already holds Arrow)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        arr = values
    else:
        s = values if isinstance(values, pd.Series) else pd.Series(values)
        if not isinstance(s.dtype, pd.StringDtype | pd.ArrowDtype):
            s = s.astype("str")
        arr = pa.array(s.array, from_pandas=True)
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    return arr if arr.type == pa.large_string() else arr.cast(pa.large_string())


def as_series(arr: pa.ChunkedArray | pa.Array, index: pd.Index) -> pd.Series:
    """An Arrow string array as a pandas ``str`` Series (no copy)."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if arr.type != pa.large_string():
        arr = arr.cast(pa.large_string())
    return pd.Series(pd.arrays.ArrowStringArray(arr, dtype=STR), index=index, copy=False)


def clean(values, na_values: Sequence[str] = ()) -> pa.ChunkedArray:
    """Trim whitespace; empty cells and ``na_values`` become null.

    Examples
    --------
    >>> clean(pd.Series([" a ", "", "b", None, "n/a"]), na_values=["n/a"]).to_pylist()
    ['a', None, 'b', None, None]
    >>> clean(pd.Series(["\u00a0x\u00a0", "y"])).to_pylist()  # Unicode spaces too
    ['x', 'y']
    """
    arr = pc.utf8_trim_whitespace(as_arrow(values))
    blank = pc.equal(arr, "")
    if na_values:
        blank = pc.or_(blank, pc.is_in(arr, value_set=pa.array([v.strip() for v in na_values], pa.large_string())))
    # if_else copies every string: skip it when there is nothing to blank out
    return pc.if_else(blank, NULL, arr) if pc.any(blank).as_py() else arr
