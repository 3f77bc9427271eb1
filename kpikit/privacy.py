"""Personal data handling: pseudonymise emails, keep nothing else.

CRM exports carry emails, names and phone numbers. kpikit keeps only

* ``contact_key``: a keyed hash of the normalised email (lower case, trimmed),
  so the same person matches across files of one client, and
* the email's domain, which key-account matching needs.

The key is SipHash-2-4, a keyed pseudo-random function, of the normalised
email, keyed with 96 bits derived from the client's salt (:func:`salt_key`),
written as 16 hex digits. Without the salt a ``contact_key`` cannot be reversed
by hashing candidate emails. pandas computes it in compiled code
(``pandas.util.hash_array``, about 0.25 s per million emails); normalisation,
the domain split and the hex encoding run on Arrow buffers, with no Python loop.

Examples
--------
>>> import numpy as np
>>> import pandas as pd
>>> from kpikit.privacy import hash_emails, email_domains
>>> emails = pd.Series(["Ana.Lopez@Example.COM ", "ana.lopez@example.com", None])
>>> keys = hash_emails(emails, salt="s3cret")
>>> keys[0] == keys[1], len(keys[0]), pd.isna(keys[2])
(True, 16, True)
>>> hash_emails(emails, salt="other")[0] == keys[0]
False
>>> ref = pd.util.hash_array(np.array(["ana.lopez@example.com"], dtype=object), hash_key=salt_key("s3cret"))
>>> keys[0] == f"{int(ref[0]):016x}"
True
>>> email_domains(emails).tolist()
['example.com', 'example.com', nan]
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpikit._arrowtext import NULL, as_arrow, as_series, clean

__all__ = ["hash_emails", "email_domains", "pseudonymise", "Pseudonyms", "PseudonymStream", "salt_key", "key_ints"]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def salt_key(salt: str) -> str:
    """The 16-character (96-bit) SipHash key derived from a client's salt."""
    digest = hashlib.sha256(("kpikit:" + salt).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")[:16]


def _normalise(values) -> pa.ChunkedArray:
    """Trimmed, lower-cased emails; "" becomes null."""
    arr = clean(values)
    # ascii_lower is ~3x faster than utf8_lower, and exports are nearly always ASCII
    ascii_only = len(arr) == 0 or pc.all(pc.string_is_ascii(arr)).as_py() is not False
    return pc.ascii_lower(arr) if ascii_only else pc.utf8_lower(arr)


def _hex(ints: np.ndarray, valid: np.ndarray) -> pa.Array:
    # uint64 -> 16 lower-case hex characters, built as one Arrow buffer; missing keys are
    # null slots of length 0
    present = ints if valid.all() else ints[valid]
    nibbles = present.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(present), 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[nibbles >> 4]
    chars[:, 1::2] = _HEX[nibbles & 0x0F]
    offsets = np.zeros(len(ints) + 1, dtype=np.int64)
    np.cumsum(valid * 16, out=offsets[1:])
    mask = None if valid.all() else pa.array(valid).buffers()[1]
    buffers = [mask, pa.py_buffer(offsets), pa.py_buffer(chars.ravel())]
    return pa.Array.from_buffers(pa.large_string(), len(ints), buffers, null_count=int((~valid).sum()))


def _domains(norm: pa.ChunkedArray) -> pa.ChunkedArray:
    # split once at the last "@": [local, domain]; a single part means there is no "@"
    out = []
    for chunk in norm.chunks:
        parts = pc.split_pattern(chunk, "@", max_splits=1, reverse=True)
        offsets = parts.offsets.to_numpy()
        last = pa.array(offsets[1:] - 1, mask=np.diff(offsets) != 2)
        out.append(parts.values.take(last))
    dom = pa.chunked_array(out, pa.large_string())
    empty = pc.equal(dom, "")  # "name@" has no domain
    return pc.if_else(empty, NULL, dom) if pc.any(empty).as_py() else dom


def _hash(norm: pa.ChunkedArray, key: str) -> tuple[np.ndarray, np.ndarray]:
    """SipHash of each normalised email as uint64 (0 where missing), and the presence mask."""
    valid = ~np.asarray(norm.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    # SipHash reads Python str objects; categorize=False skips a factorisation pass
    # (most emails in an export are distinct anyway).
    text = (norm.fill_null("") if norm.null_count else norm).to_numpy(zero_copy_only=False)
    ints = pd.util.hash_array(text, hash_key=key, categorize=False) if len(text) else np.zeros(0, np.uint64)
    ints[~valid] = 0
    return ints, valid


@dataclass(frozen=True)
class Pseudonyms:
    """What the loader keeps of a column of emails."""

    keys: pd.Series  # 16 hex digits; missing where the email is
    domains: pd.Series  # after the last "@"; missing without one
    key_ints: np.ndarray  # the keys as uint64 (0 where missing): exact and cheap to compare
    valid: np.ndarray  # bool: an email is present

    def take(self, mask: np.ndarray) -> Pseudonyms:
        """The rows where ``mask`` is true, renumbered from 0."""
        index = pd.RangeIndex(int(mask.sum()))
        return Pseudonyms(
            keys=self.keys[mask].set_axis(index),
            domains=self.domains[mask].set_axis(index),
            key_ints=self.key_ints[mask],
            valid=self.valid[mask],
        )


def pseudonymise(emails: pd.Series, salt: str) -> Pseudonyms:
    """Keys, domains and integer keys of a column of emails, normalising once.

    Examples
    --------
    >>> p = pseudonymise(pd.Series(["Bo@Acme.io", "bad", None]), "s")
    >>> len(p.keys[0]), p.domains.tolist(), p.valid.tolist()
    (16, ['acme.io', nan, nan], [True, True, False])
    >>> int(p.key_ints[0]) == int(p.keys[0], 16)
    True
    """
    stream = PseudonymStream(salt)
    stream.add(emails)
    return stream.result(emails.index if isinstance(emails, pd.Series) else None)


class PseudonymStream:
    """Pseudonymise a column piece by piece, e.g. each batch of a streaming CSV read.

    The loader feeds it each batch's email column while the reader parses the
    next batch, so hashing overlaps the read instead of following it.

    Examples
    --------
    >>> stream = PseudonymStream("s")
    >>> stream.add(pd.Series(["bo@acme.io"])); stream.add(pd.Series([None, "Bo@Acme.io "]))
    >>> p = stream.result()
    >>> p.keys[0] == p.keys[2], p.valid.tolist()
    (True, [True, False, True])
    """

    def __init__(self, salt: str) -> None:
        self.key = salt_key(salt)
        self.reset()

    def reset(self) -> None:
        self._domains: list[pa.ChunkedArray] = []
        self._ints: list[np.ndarray] = []
        self._valid: list[np.ndarray] = []

    def add(self, emails) -> None:
        norm = _normalise(emails)
        ints, valid = _hash(norm, self.key)
        self._domains.append(_domains(norm))
        self._ints.append(ints)
        self._valid.append(valid)

    def __len__(self) -> int:
        return sum(len(v) for v in self._valid)

    def result(self, index: pd.Index | None = None) -> Pseudonyms:
        n = len(self)
        index = pd.RangeIndex(n) if index is None else index
        chunks = [c for part in self._domains for c in part.chunks]
        ints = np.concatenate(self._ints) if self._ints else np.zeros(0, np.uint64)
        valid = np.concatenate(self._valid) if self._valid else np.zeros(0, bool)
        return Pseudonyms(
            keys=as_series(_hex(ints, valid), index),  # once: one big numpy pass beats many small ones
            domains=as_series(pa.chunked_array(chunks, pa.large_string()), index),
            key_ints=ints,
            valid=valid,
        )


def hash_emails(emails: pd.Series, salt: str) -> pd.Series:
    """Keyed hash of each email as 16 hex characters; missing or empty stays missing."""
    ints, valid = _hash(_normalise(emails), salt_key(salt))
    return as_series(_hex(ints, valid), emails.index)


def email_domains(emails: pd.Series) -> pd.Series:
    """Lower-case domain after the last ``@``; missing when there is no ``@`` or nothing after it."""
    return as_series(_domains(_normalise(emails)), emails.index)


_HEX_LUT = np.full(256, 255, dtype=np.uint8)
_HEX_LUT[np.frombuffer(b"0123456789", dtype=np.uint8)] = np.arange(10, dtype=np.uint8)
_HEX_LUT[np.frombuffer(b"abcdef", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)
_HEX_LUT[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16, dtype=np.uint8)


def key_ints(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """16-hex-digit keys (what :func:`hash_emails` makes) as uint64, plus a validity mask.

    The mapping is one-to-one, so comparing the integers is exact and several times
    faster than hashing strings. Returns None when any present value is not exactly
    16 hex digits (callers then fall back to strings).

    Examples
    --------
    >>> ints, valid = key_ints(pd.Series(["00000000000000ff", None]))
    >>> int(ints[0]), valid.tolist()
    (255, [True, False])
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    arr = as_arrow(values).combine_chunks()
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset : arr.offset + n + 1]
    lengths = np.diff(offsets)
    if not np.all(lengths[valid] == 16) or np.any(lengths[~valid] != 0):
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]].reshape(-1, 16)
    nib = _HEX_LUT[data]
    if (nib == 255).any():
        return None
    packed = (nib[:, 0::2] << 4) | nib[:, 1::2]
    ints = np.zeros(n, dtype=np.uint64)
    ints[valid] = np.ascontiguousarray(packed).view(">u8").ravel().astype(np.uint64)
    return ints, valid
