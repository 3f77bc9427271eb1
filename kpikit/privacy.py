"""Personal data handling: pseudonymise emails, keep nothing else.

CRM exports carry emails, names and phone numbers. kpikit keeps only

* ``contact_key``: a keyed hash of the normalised email (lower case, trimmed),
  so the same person matches across files of one client, and
* the email's domain, which key-account matching needs.

The hash is SipHash-2-4 keyed with a 96-bit key derived from the client's salt
(``pandas.util.hash_pandas_object``): a keyed PRF, so without the salt a
``contact_key`` cannot be reversed by hashing candidate emails, and it runs
vectorised (normalisation and hex encoding in Arrow) instead of a Python loop.

Examples
--------
>>> import pandas as pd
>>> from kpikit.privacy import hash_emails, email_domains
>>> emails = pd.Series(["Ana.Lopez@Example.COM ", "ana.lopez@example.com", None])
>>> keys = hash_emails(emails, salt="s3cret")
>>> keys[0] == keys[1], len(keys[0]), pd.isna(keys[2])
(True, 16, True)
>>> hash_emails(emails, salt="other")[0] == keys[0]
False
>>> email_domains(emails).tolist()
['example.com', 'example.com', nan]
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["hash_emails", "email_domains", "salt_key"]

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_CHUNK = 1 << 18  # bounds the temporary arrays of one call to a few tens of MB


def salt_key(salt: str) -> str:
    """The 16-character SipHash key derived from a client's salt."""
    digest = hashlib.sha256(("kpikit:" + salt).encode("utf-8")).digest()
    return base64.b64encode(digest).decode("ascii")[:16]


def _normalise(emails: pd.Series) -> pa.Array:
    """Trimmed, lower-cased emails as an Arrow array; "" becomes null."""
    arr = pa.array(emails.astype("str"), from_pandas=True)
    norm = pc.utf8_lower(pc.utf8_trim_whitespace(arr))
    return pc.if_else(pc.equal(norm, ""), pa.scalar(None, pa.string()), norm)


def _hex(hashed: np.ndarray) -> pa.Array:
    # uint64 -> 16 lower-case hex characters, built as one Arrow buffer (no per-row Python).
    nibbles = hashed.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(hashed), 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[nibbles >> 4]
    chars[:, 1::2] = _HEX[nibbles & 0x0F]
    offsets = np.arange(0, 16 * (len(hashed) + 1), 16, dtype=np.int32)
    return pa.StringArray.from_buffers(len(hashed), pa.py_buffer(offsets), pa.py_buffer(chars.ravel()))


def hash_emails(emails: pd.Series, salt: str) -> pd.Series:
    """Keyed hash of each email as 16 hex characters; missing or empty stays missing."""
    key = salt_key(salt)
    parts = []
    for start in range(0, max(len(emails), 1), _CHUNK):
        norm = _normalise(emails.iloc[start : start + _CHUNK])
        text = pd.Series(norm.fill_null("").to_pandas(), dtype="str")
        # categorize=False: same hashes, and no factorisation pass (most emails are distinct).
        hashed = pd.util.hash_pandas_object(text, index=False, hash_key=key, categorize=False).to_numpy(np.uint64)
        parts.append(pc.if_else(pc.is_null(norm), pa.scalar(None, pa.string()), _hex(hashed)))
    keys = pa.chunked_array(parts, type=pa.string())
    return keys.to_pandas().astype("str").set_axis(emails.index)


def email_domains(emails: pd.Series) -> pd.Series:
    """Lower-case domain after the last ``@``; missing when there is no ``@`` or nothing after it."""
    norm = _normalise(emails)
    dom = pc.struct_field(pc.extract_regex(norm, r"@(?P<d>[^@]*)$"), [0])
    dom = pc.if_else(pc.equal(dom, ""), pa.scalar(None, pa.string()), dom)
    return dom.to_pandas().astype("str").set_axis(emails.index)
