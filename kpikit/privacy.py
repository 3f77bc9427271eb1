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
import re
import unicodedata
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


_KEY_BLOCK = 1 << 16
_BYTES = np.uint64(0x0101010101010101)  # one in every byte of a word


def _hex_words(words: np.ndarray) -> tuple[np.ndarray, bool]:
    """Eight ASCII hex digits per little-endian uint64 word -> their 32-bit value; and whether all were hex.

    SWAR (every byte of a word at once): a few whole-array integer operations instead of a
    table lookup per character, about 4x faster on millions of keys.
    """
    b = _BYTES
    # Valid: ASCII and '0'-'9', or (with the lower-case bit set) 'a'-'f'. Adding 0x80 - lo to a byte
    # below 0x80 sets its top bit exactly when it is >= lo, and never carries into the next byte.
    lower = words | (b * np.uint64(0x20))
    digit = (words + b * np.uint64(0x80 - 0x30)) & ~(words + b * np.uint64(0x80 - 0x3A))
    letter = (lower + b * np.uint64(0x80 - 0x61)) & ~(lower + b * np.uint64(0x80 - 0x67))
    top = b * np.uint64(0x80)
    ok = bool(((digit | letter) & top == top).all()) and not (words & top).any()
    # Nibble per byte: the low 4 bits, plus 9 for letters (bit 6 set).
    v = (words & (b * np.uint64(0x0F))) + np.uint64(9) * ((words >> np.uint64(6)) & b)
    # Byte i holds digit i (little-endian): pack pairs, then pairs of pairs, high digit first.
    v = ((v << np.uint64(4)) | (v >> np.uint64(8))) & np.uint64(0x00FF00FF00FF00FF)
    v = (v | (v >> np.uint64(8))) & np.uint64(0x0000FFFF0000FFFF)
    v = (v | (v >> np.uint64(16))) & np.uint64(0x00000000FFFFFFFF)
    return v.astype(np.uint32).byteswap().astype(np.uint64), ok


def key_ints(values: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """16-hex-digit keys (what :func:`hash_emails` makes) as uint64, plus a validity mask.

    The mapping is one-to-one up to the case of the letters (``"FF"`` and ``"ff"`` are
    the same integer), so comparing the integers is exact for the keys kpikit writes and
    several times faster than hashing strings. Returns None when any present value is
    not exactly 16 hex digits (callers then fall back to strings).

    Examples
    --------
    >>> ints, valid = key_ints(pd.Series(["00000000000000ff", None]))
    >>> int(ints[0]), valid.tolist()
    (255, [True, False])
    """
    n = len(values)
    if n == 0:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=bool)
    chunks = as_arrow(values)
    arr = chunks.chunk(0) if chunks.num_chunks == 1 else chunks.combine_chunks()  # one chunk: no copy
    valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    bounds = offsets(arr)
    # In blocks: the temporaries stay small and reused, so the cost stays linear in the number
    # of keys instead of paging in fresh memory for each of them.
    for at in range(0, n, _KEY_BLOCK):
        lengths = np.diff(bounds[at : at + _KEY_BLOCK + 1])
        if np.any(lengths != np.where(valid[at : at + _KEY_BLOCK], 16, 0)):
            return None
    every = bool(valid.all())
    ints = np.empty(n, dtype=np.uint64) if every else np.zeros(n, dtype=np.uint64)
    packed = ints if every else np.empty(int(valid.sum()), dtype=np.uint64)  # no copy when none is missing
    if len(packed):
        data = np.frombuffer(arr.buffers()[2], dtype=np.uint8)[bounds[0] : bounds[-1]]
        for at in range(0, len(packed), _KEY_BLOCK):
            words = np.ascontiguousarray(data[16 * at : 16 * (at + _KEY_BLOCK)]).view("<u8")
            half, ok = _hex_words(words)
            if not ok:
                return None
            half = half.reshape(-1, 2)
            packed[at : at + _KEY_BLOCK] = (half[:, 0] << np.uint64(32)) | half[:, 1]
    if not every:
        ints[valid] = packed
    return ints, valid


# -- personal data in free text -----------------------------------------------------------------
#
# The one home of the email and phone patterns: the loader's scrub stage
# (kpikit.ingest.scrub), the messages that quote a cell (quote_cell) and the report's
# output redactor (kpikit.report.redact) all use these.

#: What a replaced email or phone number reads as in the model.
EMAIL_TOKEN = "[email]"
PHONE_TOKEN = "[phone]"

# Matching runs on a canonical copy: NFKC (full-width "＠" and digits, ligatures), no
# invisible characters, one hyphen and one full stop. ASCII text is its own canonical copy.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u180e\u200b\u200c\u200d\u2060\ufeff"), None)
_LOOKALIKES = {ord(c): "-" for c in "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"}
_LOOKALIKES.update({ord("\u3002"): ".", ord("\uff61"): "."})  # ideographic full stops
_CANON = {**_INVISIBLE, **_LOOKALIKES}

_LOCAL = r"[\w.%+\-]+(?:'[\w.%+\-]+)*"  # letters of any script, digits, . % + - and o'brien
_LABEL = r"[^\W_](?:[\w\-]*[^\W_])?"  # a domain label (IDN: any script)
_TLD = r"(?:[^\W\d_]{2,}|xn--[a-z0-9\-]+)"
#: An email address: plus-addressing, IDN domains (any script), ``mailto:`` and URL-encoded
#: ``%40`` (UTM values). The lookbehind lets a match start only at a token boundary (linear
#: time on long base64 runs). Spelled-out forms (``name [at] domain [dot] com``) are not
#: matched: they guard web pages against scrapers and are rare in ad and CRM exports.
EMAIL = re.compile(rf"(?<![\w.%+\-])(?:mailto:(?://)?)?{_LOCAL}(?:@|%40)(?:{_LABEL}\.)+{_TLD}(?![\w\-])", re.IGNORECASE)
_SEP = r"(?:[ ]?[-./][ ]?|[ ]{1,2}|[ ]?\([0-9]{1,5}\)[ ]?)"
#: A phone number candidate: digit groups split by spaces, dots, dashes, slashes or
#: brackets, after an optional ``+`` or a ``tel:`` / ``callto:`` / ``sms:`` scheme.
#: :func:`_is_phone` decides (dates, amounts, versions and ids are not phones).
PHONE = re.compile(
    r"(?:(?P<scheme>\b(?:tel|callto|sms):[ ]?(?://)?)|(?<![\w.,+\-/])(?<![0-9]:))"
    rf"(?P<number>(?:\+[ ]?)?(?:\([0-9]{{1,5}}\)[ ]?)?[0-9]+(?:{_SEP}[0-9]+)*)(?![\w:]|[.,][0-9])",
    re.IGNORECASE,
)
# Words that make a shorter or unseparated run of digits a phone number ("call 5550104477").
_CALL_WORD = re.compile(r"\b(?:call|phone|tel|mobile|mob|cell|fax|whatsapp|sms|ph)\b\W{0,3}$", re.IGNORECASE)
_DATE = re.compile(
    r"(?<![0-9])(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{4})(?![0-9])"
)
_YEAR_FIRST = re.compile(r"(?:19|20)[0-9]{2}[-./ ]")
_GROUPS = re.compile(r"[0-9]+")


def canonical(text: str) -> str:
    """The copy of ``text`` the patterns are matched on (NFKC, no invisible characters).

    Examples
    --------
    >>> canonical("ana＠example.com"), canonical("555\\u2013010\\u2013\\u200b4477"), canonical("plain")
    ('ana@example.com', '555-010-4477', 'plain')
    """
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text).translate(_CANON)


def _is_phone(text: str, m: re.Match[str]) -> bool:
    """Whether a :data:`PHONE` candidate in ``text`` is a phone number."""
    number = m.group("number")
    digits = sum(ch.isdigit() for ch in number)
    if digits > (17 if number.startswith("00") else 15):  # E.164: at most 15 digits (after 00)
        return False
    if number.startswith("+") or m.group("scheme"):  # the writer says it is a phone number
        return digits >= 7
    if digits < 9:
        return False
    if number.isdigit():  # a bare run of digits is an id or an amount, unless a word says "call"
        return _CALL_WORD.search(text, 0, m.start()) is not None
    if _DATE.search(number) or _YEAR_FIRST.match(number):  # 31.01.2026 30d, 2026-000123
        return False
    groups = _GROUPS.findall(number)
    if any(len(g) == 1 for g in groups[1:]):  # ISBNs and versions; a phone's inner groups have 2+ digits
        return False
    if all(ch in "0123456789." for ch in number):  # 555.010.4477, 01.23.45.67.89; not 10.0.19045.2965
        return all(2 <= len(g) <= 4 for g in groups) and not all(len(g) == 3 for g in groups)
    return True


def scrub_found(text: str, *, email: str = EMAIL_TOKEN, phone: str = PHONE_TOKEN) -> tuple[str, int, int]:
    """``text`` with emails and phone numbers replaced, and how many of each were.

    Text without a hit comes back unchanged (the same object); text with one comes
    back canonical (:func:`canonical`) around the replacements.

    Examples
    --------
    >>> scrub_found("Retarget - carol.white@example.com list")
    ('Retarget - [email] list', 1, 0)
    >>> scrub_found("Call +1 (555) 010-4477 or tel:+442079460958")
    ('Call [phone] or [phone]', 0, 2)
    >>> scrub_found("Q1 2026 - 30d, 31.01.2026, 1,234.56, v10.0.19045.2965")
    ('Q1 2026 - 30d, 31.01.2026, 1,234.56, v10.0.19045.2965', 0, 0)
    """
    if not text:
        return text, 0, 0
    canon = canonical(text)
    out, emails = EMAIL.subn(email, canon)
    phones = 0

    def _phone(m: re.Match[str]) -> str:
        nonlocal phones
        if _is_phone(out, m):
            phones += 1
            return phone
        return m.group(0)

    out = PHONE.sub(_phone, out)
    return (out, emails, phones) if emails or phones else (text, 0, 0)


def scrub_text(text: str, *, email: str = EMAIL_TOKEN, phone: str = PHONE_TOKEN) -> str:
    """``text`` with every email replaced by ``email`` and every phone number by ``phone``.

    Examples
    --------
    >>> scrub_text("josé@bücher.de, ana＠example.com, mailto:a+b@x.io, u=carol%40example.com")
    '[email], [email], [email], u=[email]'
    >>> scrub_text("+44 20 7946 0958 | 555.010.4477 | Lookalike 1% | utm_campaign=spring_2026")
    '[phone] | [phone] | Lookalike 1% | utm_campaign=spring_2026'
    """
    return scrub_found(text, email=email, phone=phone)[0]


def _next_is(raw: np.ndarray, at: np.ndarray, text: bytes) -> np.ndarray:
    """Whether ``text`` follows each position ``at`` (ASCII letters in any case; reading past a row
    into the next only adds candidates)."""
    ok = np.ones(len(at), dtype=bool)
    for k, ch in enumerate(text, start=1):
        near = raw[np.minimum(at + k, len(raw) - 1)]
        ok &= ((near | np.uint8(0x20)) == ch) if 0x61 <= ch <= 0x7A else (near == ch)
    return ok


def _plus_number(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """ "+" then a digit or "(", after at most one space: the start of "+44 20 ..." or "+1 (555) ..."."""
    after = raw[np.minimum(at + 1, len(raw) - 1)]
    after = np.where(after == 0x20, raw[np.minimum(at + 2, len(raw) - 1)], after)
    return ((after - np.uint8(48)) < np.uint8(10)) | (after == 0x28)


def _scheme(raw: np.ndarray, at: np.ndarray) -> np.ndarray:
    """ ":" ending "tel:", "sms:" or "callto:" (any case)."""
    before = [(raw[np.maximum(at - k, 0)] | np.uint8(0x20)) for k in (2, 1)]
    return (
        ((before[0] == ord("e")) & (before[1] == ord("l")))
        | ((before[0] == ord("m")) & (before[1] == ord("s")))
        | ((before[0] == ord("t")) & (before[1] == ord("o")))
    )


# The prefilter's triggers: a byte (found at memchr speed) and the test that keeps its
# positions. "@"; 0xEF, the lead byte of every full-width form ("＠", "＋", full-width
# digits); "%40", a URL-encoded "@". Then, for rows with only 7 or 8 digits: "+" before a
# number, and the ":" of "tel:", "sms:" or "callto:".
_TRIGGERS = ((b"@", None), (b"\xef", None), (b"%", lambda raw, at: _next_is(raw, at, b"40")))
_PHONE_CONTEXT = ((b"+", _plus_number), (b":", _scheme))
_LOW = np.array([(1 << (8 * r)) - 1 for r in range(8)], dtype=np.uint64)  # the first r bytes of a word


def may_hold_personal(values) -> np.ndarray:
    """Rows of a text column that may hold an email or phone number: the cheap prefilter.

    A row is a candidate when it holds ``@``, ``%40`` or a full-width character
    (NFKC turns ``＠`` into ``@``), or 9 digits or more, or 7 or 8 digits and a
    ``+`` before a number or a ``tel:`` / ``sms:`` / ``callto:`` scheme, with 7
    of the digits within 16 bytes. Every hit of :func:`scrub_found` is in a
    candidate row (a phone number's digit groups are split by at most 3
    characters), so only candidates need the patterns.

    It reads the Arrow buffers with numpy: a copy and a memchr per trigger byte,
    then one comparison per byte and a popcount per 8 bytes for the digits. Rows
    are located, and their digits counted exactly, only where 7 digits lie within
    24 bytes.

    Examples
    --------
    >>> texts = ["Brand", "a@b.io", "Q1 2026 (BMM)", "+49 30 1234567", None, "Age 55+", "x%40y.io", "tel:0201234"]
    >>> may_hold_personal(pd.Series(texts)).tolist()
    [False, True, False, True, False, False, True, True]
    >>> may_hold_personal(pd.Series(["2026-01-01 - 2026-03-31", "company-0070135.example"])).tolist()
    [True, False]
    """
    arr = as_arrow(values)
    out = np.zeros(len(arr), dtype=bool)
    pos = 0
    for chunk in arr.chunks:
        n = len(chunk)
        hits = _candidate_rows(chunk) if n > chunk.null_count else None
        if hits is not None:
            out[pos : pos + n] = hits
        pos += n
    return out


def _candidate_rows(chunk: pa.Array) -> np.ndarray | None:
    """:func:`may_hold_personal` of one chunk; None when no row is a candidate."""
    bounds = offsets(chunk)
    data = chunk.buffers()[2]
    if data is None or bounds[-1] == bounds[0]:
        return None
    raw = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[-1]]
    rel = bounds - bounds[0]  # row i is raw[rel[i]:rel[i + 1]]
    text = raw.tobytes()  # bytes.find of one byte is a memchr: the copy pays for itself
    found = [_positions(raw, text, byte, keep) for byte, keep in _TRIGGERS]  # bytes in candidate rows
    start, digits = _digit_counts(raw, rel)
    found.append(start[digits >= 9])
    few = start[(digits >= 7) & (digits < 9)]
    if len(few):  # 7 or 8 digits are a phone number only after "+" or "tel:"
        context = np.concatenate([_positions(raw, text, byte, keep) for byte, keep in _PHONE_CONTEXT])
        rows = np.searchsorted(rel, context, side="right") - 1
        found.append(few[np.isin(few, rel[rows])])
    hits = np.concatenate(found)
    if not len(hits):
        return None
    out = np.zeros(len(chunk), dtype=bool)
    out[np.searchsorted(rel, hits, side="right") - 1] = True
    return out


def _positions(raw: np.ndarray, text: bytes, byte: bytes, keep) -> np.ndarray:
    """Where ``byte`` is in ``raw`` (``text``: the same bytes), kept by ``keep(raw, positions)``."""
    if text.find(byte) < 0:
        return np.zeros(0, dtype=np.int64)
    at = np.flatnonzero(raw == byte[0])
    return at if keep is None else at[keep(raw, at)]


def _digit_counts(raw: np.ndarray, rel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The first byte and the digit count of each row that has 7 digits within 24 bytes."""
    # One 0/1 byte per byte of text (padded to whole 8-byte words), seen as uint64 words: a
    # popcount gives the digits in each 8 bytes, and any 16 bytes lie in three words.
    n_bytes = len(raw)
    digit = np.zeros(n_bytes // 8 * 8 + 24, dtype=np.uint8)
    np.subtract(raw, np.uint8(48), out=digit[:n_bytes])
    np.less(digit[:n_bytes], 10, out=digit[:n_bytes].view(bool))
    words = np.bitwise_count(digit.view(np.uint64))
    none = np.zeros(0, dtype=np.int64)
    if words.max() < 3:  # three words hold 6 digits at most
        return none, none
    dense = np.flatnonzero(words[:-2] + words[1:-1] + words[2:] >= 7) * 8
    if not len(dense):
        return none, none
    if 8 * len(dense) > len(rel):  # dense almost everywhere: count every row
        start, end = rel[:-1], rel[1:]
    else:  # the rows the windows touch
        first = np.searchsorted(rel, dense, side="right") - 1
        span = np.searchsorted(rel, np.minimum(dense + 23, n_bytes - 1), side="right") - first + 1
        within = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
        rows = np.unique(np.minimum(np.repeat(first, span) + within, len(rel) - 2))
        start, end = rel[rows], rel[rows + 1]
    if len(start) <= 256:
        return start, np.array([np.count_nonzero(digit[a:b]) for a, b in zip(start, end, strict=True)], dtype=np.int64)
    # the digits in the words from the row's first to its last, less those before its start in
    # the first word, plus those before its end in the last
    before = np.concatenate([[0], np.cumsum(words, dtype=np.int64)])
    w = digit.view(np.uint64)
    counts = before[end >> 3] - before[start >> 3]
    counts -= np.bitwise_count(w[start >> 3] & _LOW[start & 7]).astype(np.int64)
    counts += np.bitwise_count(w[end >> 3] & _LOW[end & 7]).astype(np.int64)
    return start, counts


# -- quoting a cell in a message -------------------------------------------------------------------

#: Column kinds whose cells a message may quote: numbers, dates, flags, codes, ids, or "typed" (any of
#: those: what the loader's checks flag). Anything else ("text", "personal", "unknown") is described.
SAFE_KINDS = frozenset({"typed", "number", "date", "boolean", "code", "id"})
# Two or more words of letters only: how a person's name looks ("Omar Haddad", "Zoë Peña-Ruiz").
_NAME_LIKE = re.compile(r"[^\W\d_]+(?:[ '\-.]+[^\W\d_]+)+")


def quote_cell(value, kind: str = "text") -> str:
    """How an error or warning message shows a cell: never a person's name, email or phone.

    Messages reach the load report, ``kpikit validate`` and the report's index, so a
    cell is quoted (``repr``) only from a column of a :data:`SAFE_KINDS` kind (a
    number, date, flag, code or id column, where a bad cell is a typo such as
    ``'n/a'``), with emails and phone numbers replaced, and not when it reads like a
    name. Any other cell (a personal or unknown column, or a name that slipped into
    a number column) is described by its shape. Values that are not text (numbers,
    dates) are quoted as they are.

    Examples
    --------
    >>> quote_cell("n/a", "number"), quote_cell("2024-13-45", "date"), quote_cell(-3.5)
    ("'n/a'", "'2024-13-45'", '-3.5')
    >>> quote_cell("Omar Haddad", "number"), quote_cell("Omar Haddad")
    ('an 11-character text', 'an 11-character text')
    >>> quote_cell("call +44 20 7946 0958", "number"), quote_cell("ana@example.com", "text")
    ("'call [phone]'", 'a 15-character text holding an email')
    """
    if not isinstance(value, str):
        return repr(value)
    text, emails, phones = scrub_found(value)
    if kind in SAFE_KINDS and not _NAME_LIKE.fullmatch(text.strip()) and not (kind == "id" and " " in text.strip()):
        return repr(text)
    held = [name for name, n in (("an email", emails), ("a phone number", phones)) if n]
    return f"{_article(len(value))} {len(value):,}-character text" + (f" holding {' and '.join(held)}" if held else "")


def _article(n: int) -> str:
    """'an' before a number read with a vowel sound (8, 11, 18, 80-89, 800, 11,000 ...), else 'a'."""
    spoken = n
    while spoken >= 1000:  # 11,000 is read "eleven thousand"
        spoken //= 1000
    return "an" if str(spoken).startswith("8") or spoken in (11, 18) else "a"


def quote_header(cells, *, limit: int = 12, label: str = "header") -> str:
    """How an error message shows a file's header row: quoted, unless the row is a person's record.

    A message about an unrecognised file shows its header so the consultant can write
    a column map. But a CRM export saved without its header row starts with a record
    (``Omar,Haddad,omar@…,+49 …``): a row with an email or a phone number in any cell
    is described by its shape, never quoted. Otherwise the first ``limit`` cells are
    quoted after ``label``.

    Examples
    --------
    >>> quote_header(["Day", "Campaign", "Cost"])
    "header ['Day', 'Campaign', 'Cost']"
    >>> quote_header(["Omar", "Haddad", "omar.haddad@acme.example", "+49 30 5550 1234", "Lead"])
    'a first row of 5 cells holding an email and a phone number (a record, not a header: is the header row missing?)'
    """
    cells = [str(c) for c in cells]
    emails = phones = 0
    for cell in cells:
        _, e, p = scrub_found(cell)
        emails, phones = emails + e, phones + p
    if emails or phones:
        held = [name for name, n in (("an email", emails), ("a phone number", phones)) if n]
        return (
            f"a first row of {len(cells):,} cells holding {' and '.join(held)} "
            "(a record, not a header: is the header row missing?)"
        )
    return f"{label} {cells[:limit]!r}"
