"""Text columns as Arrow arrays and back, without copies (pandas' ``str`` is Arrow-backed).

Big exports spend most of their load time in string work; Arrow's compute
kernels do it without Python objects and release the GIL.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
    arr = as_arrow(values)
    # Trimming copies every string; most columns have no cell to trim, and a byte check says so.
    if any(_may_be_padded(chunk) for chunk in arr.chunks):
        arr = pc.utf8_trim_whitespace(arr)
    if na_values:
        listed = pc.is_in(arr, value_set=pa.array([v.strip() for v in na_values], pa.large_string()))
        listed = np.asarray(pc.fill_null(listed, False).to_numpy(zero_copy_only=False), dtype=bool)
    chunks, pos = [], 0
    for chunk in arr.chunks:
        drop = _lengths(chunk) == 0
        if na_values:
            drop |= listed[pos : pos + len(chunk)]
        pos += len(chunk)
        chunks.append(_null_where(chunk, drop) if drop.any() else chunk)
    return pa.chunked_array(chunks, pa.large_string())


def offsets(chunk: pa.Array) -> np.ndarray:
    """A (large_string) chunk's value offsets into its data buffer, as int64, no copy."""
    return np.frombuffer(chunk.buffers()[1], dtype=np.int64)[chunk.offset : chunk.offset + len(chunk) + 1]


def _lengths(chunk: pa.Array) -> np.ndarray:
    return np.diff(offsets(chunk))


def _may_be_padded(chunk: pa.Array) -> bool:
    # A cell can start or end with whitespace only if its first or last byte is a space or
    # control byte, or belongs to a multi-byte character (Unicode spaces such as U+00A0).
    bounds = offsets(chunk)
    data = chunk.buffers()[2]
    if data is None or bounds[-1] == bounds[0]:
        return False
    data = np.frombuffer(data, dtype=np.uint8)
    # an empty cell reads its neighbour's byte: harmless, that byte is checked anyway
    first = data[np.minimum(bounds[:-1], bounds[-1] - 1)]
    last = data[np.maximum(bounds[1:] - 1, bounds[0])]
    return bool(((first - 0x21) >= 0x5F).any() or ((last - 0x21) >= 0x5F).any())  # outside '!'..'~'


def _null_where(chunk: pa.Array, drop: np.ndarray) -> pa.Array:
    """``chunk`` with ``drop`` cells set to null, sharing its string buffers (no copy)."""
    keep = ~drop
    if chunk.null_count:
        keep &= ~np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    bits = np.packbits(np.concatenate([np.zeros(chunk.offset, dtype=bool), keep]), bitorder="little")
    _, bounds, data = chunk.buffers()
    return pa.Array.from_buffers(
        pa.large_string(),
        len(chunk),
        [pa.py_buffer(bits), bounds, data],
        null_count=len(chunk) - int(keep.sum()),
        offset=chunk.offset,
    )


def is_blank(values) -> np.ndarray:
    """True where the text is missing, empty or whitespace only.

    Examples
    --------
    >>> is_blank(pd.Series(["", "  ", "\u00a0", " x", "y", None])).tolist()
    [True, True, True, False, False, True]
    """
    arr = as_arrow(values)
    out = np.zeros(len(arr), dtype=bool)
    pos = 0
    for chunk in arr.chunks:
        n = len(chunk)
        bounds, data = offsets(chunk), chunk.buffers()[2]
        blank = bounds[1:] == bounds[:-1]
        filled = np.flatnonzero(~blank)
        if len(filled):
            # Only a cell whose first byte is a space, a control byte or starts a multi-byte
            # character can be whitespace only: check just those (few) exactly.
            first = np.frombuffer(data, dtype=np.uint8)[bounds[filled]]
            maybe = filled[(first <= 0x20) | (first >= 0x80)]
            if len(maybe):
                trimmed = pc.utf8_trim_whitespace(chunk.take(pa.array(maybe)))
                blank[maybe] = np.asarray(pc.equal(trimmed, "").to_numpy(zero_copy_only=False), dtype=bool)
        if chunk.null_count:
            blank |= np.asarray(chunk.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        out[pos : pos + n] = blank
        pos += n
    return out


def constant(text: str, n: int) -> pd.Series:
    """``n`` copies of ``text`` as a ``str`` Series, built as one Arrow buffer.

    Examples
    --------
    >>> constant("a.csv", 2).tolist()
    ['a.csv', 'a.csv']
    """
    raw = text.encode("utf-8")
    bounds = np.arange(0, len(raw) * n + 1, len(raw), dtype=np.int64) if raw else np.zeros(n + 1, dtype=np.int64)
    data = pa.py_buffer(raw * n)
    return as_series(pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(bounds), data]), pd.RangeIndex(n))


def map_distinct(values, func: Callable[[str], str], na_values: Sequence[str] = ()) -> pa.ChunkedArray:
    """``func`` applied once per distinct trimmed value; blank, ``na_values`` and missing stay missing.

    A million rows of a stage or channel column hold a handful of labels, so the
    labels are found with one hash pass (dictionary encoding) and only those are
    trimmed and mapped.

    Examples
    --------
    >>> map_distinct(pd.Series(["a", None, " b", "a", "", "n/a"]), str.upper, ["n/a"]).to_pylist()
    ['A', None, 'B', 'A', None, None]
    """
    encoded = pc.dictionary_encode(as_arrow(values)).unify_dictionaries()
    if encoded.num_chunks == 0:
        return pa.chunked_array([], pa.large_string())
    labels = clean(encoded.chunk(0).dictionary, na_values).to_pylist()
    known = {v: func(v) for v in dict.fromkeys(labels) if v is not None}  # "a" and " a" map once
    mapped = pa.array([known.get(v) for v in labels], pa.large_string())
    return pa.chunked_array([mapped.take(chunk.indices) for chunk in encoded.chunks], pa.large_string())
