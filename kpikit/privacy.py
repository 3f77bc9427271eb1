"""Personal data handling: pseudonymise emails, keep nothing else.

CRM exports carry emails, names and phone numbers. kpikit keeps only

* ``contact_key``: a keyed hash of the normalised email (lower case, trimmed),
  so the same person matches across files of one client, and
* the email's domain, which key-account matching needs.

The key is SipHash-2-4, a keyed pseudo-random function, of the normalised
email, keyed with 96 bits derived from the client's salt (:func:`salt_key`),
written as 16 hex digits. Without the salt a ``contact_key`` cannot be reversed
by hashing candidate emails. pandas computes it in compiled code
(``pandas.util.hash_array`` on the UTF-8 bytes, about 0.1 s per million
emails); normalisation, the domain split and the hex encoding run on Arrow
buffers, with no Python loop.

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

from kpikit._arrowtext import as_arrow, as_series, clean, offsets

__all__ = [
    "hash_emails",
    "email_domains",
    "pseudonymise",
    "Pseudonyms",
    "contact_keys",
    "ContactKeys",
    "normalise_emails",
    "Emails",
    "salt_key",
    "key_ints",
    "all_distinct",
]

_SLICE = 1 << 16  # rows hashed per call

# byte -> its two hex digits, as one little-endian uint16 (low byte = first digit)
_HEX2 = np.array(
    [ord("0123456789abcdef"[b >> 4]) | ord("0123456789abcdef"[b & 15]) << 8 for b in range(256)], dtype="<u2"
)


def salt_key(salt: str) -> str:
    """The 16-character (96-bit) SipHash key derived from a client's salt."""
    digest = hashlib.sha256(("kpikit:" + salt).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")[:16]


def _is_ascii(arr: pa.ChunkedArray) -> bool:
    # one pass over the bytes the strings use, several times cheaper than string_is_ascii
    for chunk in arr.chunks:
        if len(chunk) == chunk.null_count:
            continue
        bounds, data = offsets(chunk), chunk.buffers()[2]
        if bounds[-1] > bounds[0] and np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]].max() >= 0x80:
            return False
    return True


@dataclass(frozen=True)
class Emails:
    """A column of emails trimmed and lower-cased: what keys and domains are computed from."""

    values: pa.ChunkedArray  # "" became null
    index: pd.Index


def normalise_emails(emails) -> Emails:
    """Trim and lower-case a column of emails once, for :func:`contact_keys` and :func:`email_domains`.

    Examples
    --------
    >>> normalise_emails(pd.Series([" Bo@Acme.IO", ""])).values.to_pylist()
    ['bo@acme.io', None]
    """
    if isinstance(emails, Emails):
        return emails
    index = emails.index if isinstance(emails, pd.Series) else pd.RangeIndex(len(emails))
    arr = clean(emails)
    # ascii_lower is ~3x faster than utf8_lower, and exports are nearly always ASCII
    return Emails(pc.ascii_lower(arr) if _is_ascii(arr) else pc.utf8_lower(arr), index)


def _hex(ints: np.ndarray, valid: np.ndarray) -> pa.Array:
    # uint64 -> 16 lower-case hex characters, built as one Arrow buffer; missing keys are
    # null slots of length 0
    every = bool(valid.all())
    present = ints if every else ints[valid]
    chars = _HEX2[present.astype(">u8").view(np.uint8)]  # 8 bytes -> 8 pairs of digits
    if every:
        bounds = np.arange(0, 16 * len(ints) + 1, 16, dtype=np.int64)
    else:
        bounds = np.zeros(len(ints) + 1, dtype=np.int64)
        np.cumsum(valid * 16, out=bounds[1:])
    mask = None if every else pa.array(valid).buffers()[1]
    buffers = [mask, pa.py_buffer(bounds), pa.py_buffer(chars)]
    return pa.Array.from_buffers(pa.large_string(), len(ints), buffers, null_count=len(ints) - len(present))


def _domains(norm: pa.ChunkedArray) -> pa.ChunkedArray:
    out = []
    for chunk in norm.chunks:
        # split once at the last "@": [local, domain]; a single part means there is no "@"
        parts = pc.split_pattern(chunk, "@", max_splits=1, reverse=True)
        starts = parts.offsets.to_numpy()
        last = pa.array(starts[1:] - 1, mask=np.diff(starts) != 2)
        out.append(parts.values.take(last))
    return clean(pa.chunked_array(out, pa.large_string()))  # "name@" has no domain


def _hash(norm: pa.ChunkedArray, key: str) -> tuple[np.ndarray, np.ndarray]:
    """SipHash of each normalised email as uint64 (0 where missing), and the presence mask."""
    valid = ~np.asarray(norm.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    # SipHash reads Python objects: bytes objects (the UTF-8 Arrow holds) hash to the same
    # values as str and skip pandas' encode step, about half the cost. categorize=False
    # skips a factorisation (most emails in an export are distinct anyway).
    data = (norm.fill_null("") if norm.null_count else norm).cast(pa.large_binary())
    ints = np.zeros(len(data), dtype=np.uint64)
    # In slices: both steps hold the GIL for their whole length, and threads running Arrow
    # kernels beside this one (see kpikit.ingest.loader) need it between kernel calls.
    for start in range(0, len(data), _SLICE):
        text = data.slice(start, _SLICE).to_numpy(zero_copy_only=False)
        ints[start : start + len(text)] = pd.util.hash_array(text, hash_key=key, categorize=False)
    ints[~valid] = 0
    return ints, valid


@dataclass(frozen=True)
class ContactKeys:
    """The keyed hashes of a column of emails."""

    keys: pd.Series  # 16 hex digits; missing where the email is
    ints: np.ndarray  # the keys as uint64 (0 where missing): exact and cheap to compare
    valid: np.ndarray  # bool: an email is present
    distinct: bool  # no two present keys are equal

    def take(self, mask: np.ndarray) -> ContactKeys:
        """The rows where ``mask`` is true, renumbered from 0."""
        ints, valid = self.ints[mask], self.valid[mask]
        keys = self.keys[mask].set_axis(pd.RangeIndex(len(ints)))
        return ContactKeys(keys, ints, valid, self.distinct or all_distinct(ints[valid]))


def contact_keys(emails, salt: str) -> ContactKeys:
    """Keyed hash of each email (trimmed, lower case), as hex and as integers.

    It holds the GIL most of the time (SipHash reads Python bytes objects), so a
    caller with other work runs this on one thread and Arrow work on another
    (see :mod:`kpikit.ingest.loader`).

    Examples
    --------
    >>> k = contact_keys(pd.Series(["Bo@Acme.io", " bo@acme.io", None]), "s")
    >>> k.keys[0] == k.keys[1], int(k.ints[0]) == int(k.keys[0], 16), k.valid.tolist(), k.distinct
    (True, True, [True, True, False], False)
    """
    norm = normalise_emails(emails)
    ints, valid = _hash(norm.values, salt_key(salt))
    return ContactKeys(as_series(_hex(ints, valid), norm.index), ints, valid, all_distinct(ints[valid]))


@dataclass(frozen=True)
class Pseudonyms:
    """What kpikit keeps of a column of emails: a key and a domain per row."""

    keys: pd.Series  # 16 hex digits; missing where the email is
    domains: pd.Series  # after the last "@"; missing without one


def pseudonymise(emails: pd.Series, salt: str) -> Pseudonyms:
    """Keys and domains of a column of emails (:func:`contact_keys`, :func:`email_domains`).

    Examples
    --------
    >>> p = pseudonymise(pd.Series(["Bo@Acme.io", "bad", None]), "s")
    >>> len(p.keys[0]), p.keys.isna().tolist(), p.domains.tolist()
    (16, [False, False, True], ['acme.io', nan, nan])
    """
    norm = normalise_emails(emails)
    return Pseudonyms(contact_keys(norm, salt).keys, email_domains(norm))


def all_distinct(values: np.ndarray) -> bool:
    """Whether no two of ``values`` are equal (a sort: numpy's is vectorised, no hash table).

    Examples
    --------
    >>> all_distinct(np.array([3, 1, 2], dtype=np.uint64)), all_distinct(np.array([3, 1, 3]))
    (True, False)
    """
    ordered = np.sort(values)
    return not (ordered[1:] == ordered[:-1]).any()


def hash_emails(emails: pd.Series, salt: str) -> pd.Series:
    """Keyed hash of each email as 16 hex characters; missing or empty stays missing."""
    norm = normalise_emails(emails)
    ints, valid = _hash(norm.values, salt_key(salt))
    return as_series(_hex(ints, valid), norm.index)


def email_domains(emails) -> pd.Series:
    """Lower-case domain after the last ``@``; missing when there is no ``@`` or nothing after it."""
    norm = normalise_emails(emails)
    return as_series(_domains(norm.values), norm.index)


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
    bounds = offsets(arr)
    lengths = np.diff(bounds)
    if not np.all(lengths[valid] == 16) or np.any(lengths[~valid] != 0):
        return None
    data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[bounds[0] : bounds[-1]].reshape(-1, 16)
    nib = _HEX_LUT[data]
    if (nib == 255).any():
        return None
    packed = (nib[:, 0::2] << 4) | nib[:, 1::2]
    ints = np.zeros(n, dtype=np.uint64)
    ints[valid] = np.ascontiguousarray(packed).view(">u8").ravel().astype(np.uint64)
    return ints, valid
