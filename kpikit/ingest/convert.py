"""Stage 3 of a load: convert the text cells of the data rows into model columns.

:func:`convert` returns one column per target, in the model's dtype, and
guarantees:

- every cell that does not convert (text in a number column, a date in no known
  format, ambiguous dates) is flagged on the :class:`~kpikit.ingest.validate.Validator`,
  with the row, the header it came from and a fix; nothing stops at the first one;
- privacy: the ``email`` (or ``contact_id``) column never leaves as such: it becomes
  ``contact_key`` (keyed hash, :func:`kpikit.privacy.contact_keys`), and an email's
  domain fills ``company_domain`` (``account_domain`` for deals) where the export
  has none. Only mapped columns are converted, so names, phone numbers and notes
  never leave the file;
- text columns are trimmed, empty and ``na_values`` cells become missing, and a
  format's ``labels`` (e.g. HubSpot lifecycle stages) are applied.

For a big file the text work runs on two threads (:func:`_text_work`); the
hashing can start before the rows are sorted (:func:`start_hashing`).
"""

from __future__ import annotations

import re
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from kpikit._arrowtext import as_series, clean, map_distinct
from kpikit.core.names import normalise_domains
from kpikit.errors import Problem
from kpikit.ingest.formats import Format
from kpikit.ingest.headers import _TEMPLATE, _Source
from kpikit.ingest.validate import Validator, parse_booleans, parse_dates, parse_numbers
from kpikit.model import DIMENSION_PREFIX, TABLES
from kpikit.privacy import ContactKeys, Emails, contact_keys, email_domains, normalise_emails

__all__ = ["convert", "start_hashing"]

_SUM = re.compile(r"\{[^{}]+\}(?:\s*\+\s*\{[^{}]+\})+")
_DOMAIN_TARGETS = ("company_domain", "account_domain")
_NUMERIC_FIX = {
    "decimal_comma": "this looks like a European export (decimal comma): load it with a column map that sets "
    "read.decimal: ',' (and read.sep: ';')",
    "decimal_point": "the map says decimal comma but the value has a decimal point: check read.decimal in the map",
    "thousands": "the value uses ',' as a thousands separator: set read.thousands: ',' in the map",
    None: "enter a plain number (no text, currency symbol or percent sign), or leave the cell empty",
}


def start_hashing(
    pool: ThreadPoolExecutor | None, sources: dict[str, _Source], frame: pd.DataFrame, salt: str
) -> _Hashing | None:
    """Start hashing the email (or contact id) column of every row read on ``pool``'s thread.

    Only with a pool (a big file) and a column read as it is (not a template); else
    ``None``, and :func:`convert` hashes the data rows itself.
    """
    hashed = sources.get(_hashed_target(sources))
    if pool is None or hashed is None or hashed.template is not None:
        return None
    return _Hashing.start(pool, frame[str(hashed.positions[0])], salt)


def convert(
    fmt: Format,
    sources: dict[str, _Source],
    constants: dict[str, Any],
    body: pd.DataFrame,
    v: Validator,
    salt: str,
    extra: dict[str, pd.Series] | None = None,
    pool: ThreadPoolExecutor | None = None,
    early: _Hashing | None = None,
    data: np.ndarray | None = None,
) -> pd.DataFrame:
    """Text cells -> model dtypes, flagging every bad cell; ``extra`` columns are added as they are.

    With a ``pool`` the text work runs on two threads; ``early`` is hashing already
    started on every row read, of which ``data`` marks the rows in ``body``.
    """
    items: list[tuple[str, pd.Series, str]] = [(t, _text(body, s), s.header) for t, s in sources.items()]
    for t, value in constants.items():
        if t in sources:
            continue
        text = "" if value is None else str(value)
        items.append((t, pd.Series(text, index=body.index, dtype="str"), f"constant {t}"))
    hashed = next((x for x in items if x[0] == _hashed_target(sources)), None)
    texts = {t: text for t, text, _ in items if t not in {"email", "contact_id"} and _is_text(fmt.table, t)}
    done = _text_work(fmt, texts, hashed, salt, pool, early, data)
    out = _convert_items(fmt, sources, items, body, v, done)
    # one DataFrame, no consolidation copy: inserting columns later costs a copy each
    return pd.DataFrame({**out, **(extra or {})}, index=body.index, copy=False)


def _text(body: pd.DataFrame, src: _Source) -> pd.Series:
    if src.template is None:
        return body[str(src.positions[0])]
    parts = _TEMPLATE.split(src.template)
    # parts alternate literal, name, literal, ...
    out = pd.Series(parts[0], index=body.index, dtype="str")
    pos_iter = iter(src.positions)
    for k, part in enumerate(parts[1:], start=1):
        if k % 2 == 1:
            out = out + body[str(next(pos_iter))].fillna("").str.strip()
        else:
            out = out + part
    return out


def _hashed_target(sources: dict[str, _Source]) -> str:
    """The target hashed into contact_key: the email, else a contact id."""
    return "email" if "email" in sources else "contact_id"


def _is_text(table: str, target: str) -> bool:
    return target.startswith(DIMENSION_PREFIX) or TABLES[table].dtypes.get(target, "str") == "str"


@dataclass
class _TextDone:
    cleaned: dict[str, pa.ChunkedArray]  # text target -> trimmed (and labelled) text
    keys: ContactKeys | None
    domains: pd.Series | None


class _Hashing:
    """Contact keys being computed on a pool's thread; the normalised emails are ready first."""

    def __init__(self, emails: Future[Emails], keys: Future[ContactKeys]) -> None:
        self.emails, self.keys = emails, keys

    @classmethod
    def start(cls, pool: ThreadPoolExecutor, text: pd.Series, salt: str) -> _Hashing:
        emails: Future[Emails] = Future()

        def run() -> ContactKeys:
            try:
                norm = normalise_emails(text)
            except BaseException as exc:
                emails.set_exception(exc)
                raise
            emails.set_result(norm)  # the other thread splits the domains from these
            return contact_keys(norm, salt)

        return cls(emails, pool.submit(run))


def _text_work(
    fmt: Format,
    texts: dict[str, pd.Series],
    hashed: tuple[str, pd.Series, str] | None,
    salt: str,
    pool: ThreadPoolExecutor | None,
    early: _Hashing | None = None,
    data: np.ndarray | None = None,
) -> _TextDone:
    """Pseudonymise the email (or contact id) column and trim the text columns.

    With a ``pool`` (a big file) this runs on two threads. Hashing holds the GIL
    (SipHash reads Python objects) while Arrow's kernels, which trim text and split
    domains, release it: so the pool's thread hashes while this one splits the
    domains, and then both trim text columns from one queue until it is empty.
    ``early`` is hashing already started on every row read, of which ``data``
    marks the rows converted here.
    """
    # labelled columns first: the longest tasks go first, so the two threads finish together
    todo = deque(sorted(texts.items(), key=lambda item: item[0] not in fmt.labels))
    cleaned: dict[str, pa.ChunkedArray] = {}

    def drain() -> None:
        while True:
            try:
                target, text = todo.popleft()  # atomic: two threads never take the same column
            except IndexError:
                return
            cleaned[target] = _clean_text(fmt, target, text)

    target, text, _ = hashed or (None, None, None)
    if pool is None:
        norm = normalise_emails(text) if text is not None else None
        keys = contact_keys(norm, salt) if norm is not None else None
        domains = email_domains(norm) if target == "email" else None
        drain()
        return _TextDone(cleaned, keys, domains)
    rows = data if early is not None else None  # early keys cover every row read
    if early is None and text is not None:
        early = _Hashing.start(pool, text, salt)
    helper = pool.submit(drain)  # after the hashing, on the same thread
    domains = email_domains(early.emails.result()) if target == "email" else None
    drain()
    helper.result()
    keys = early.keys.result() if early is not None else None
    if rows is not None:
        keys = keys.take(rows)
        domains = None if domains is None else domains[rows].reset_index(drop=True)
    return _TextDone(cleaned, keys, domains)


def _clean_text(fmt: Format, target: str, text: pd.Series) -> pa.ChunkedArray:
    if target in fmt.labels:
        return map_distinct(text, fmt.labels[target], fmt.read.na_values)
    return clean(text, fmt.read.na_values)


def _convert_items(
    fmt: Format,
    sources: dict[str, _Source],
    items: list[tuple[str, pd.Series, str]],
    body: pd.DataFrame,
    v: Validator,
    done: _TextDone,
) -> dict[str, pd.Series]:
    dtypes = TABLES[fmt.table].dtypes
    opts = fmt.read
    out: dict[str, pd.Series] = {}
    for target, text, label in items:
        if target == _hashed_target(sources):
            # trimmed and lower-cased for key and domain; "" stays missing
            keys = done.keys
            out["contact_key"] = keys.keys
            v.key_ints = (keys.ints, keys.valid, keys.distinct)
            if target == "email":
                out["_email_domain"] = done.domains
            continue
        if target == "contact_id":
            continue
        dtype = dtypes.get(target, "str")
        if target.startswith(DIMENSION_PREFIX):
            dtype = "str"
        src = sources.get(target)
        if dtype in {"Int64", "float64"} and src is not None and src.template and _SUM.fullmatch(src.template):
            parts = [
                parse_numbers(body[str(p)], decimal=opts.decimal, thousands=opts.thousands, na_values=opts.na_values)
                for p in src.positions
            ]
            values = sum((vals.fillna(0) for vals, _, _ in parts), pd.Series(0.0, index=body.index))
            bad = pd.Series(np.logical_or.reduce([b.to_numpy() for _, b, _ in parts]), index=body.index)
            v.flag("bad_value", bad, "text in a numeric column", column=label, expected="numbers", found=text,
                   fix=_NUMERIC_FIX[None])  # fmt: skip
            out[target] = values.astype(dtype) if dtype == "float64" else values.round().astype("Int64")
            continue
        if dtype in {"Int64", "float64"}:
            values, bad, hint = parse_numbers(
                text, decimal=opts.decimal, thousands=opts.thousands, na_values=opts.na_values, integer=dtype == "Int64"
            )
            v.flag(
                "bad_value",
                bad,
                "text in a numeric column" if dtype == "float64" else "not a whole number",
                column=label,
                expected="a number" if dtype == "float64" else "a whole number",
                found=text,
                fix=_NUMERIC_FIX[hint],
            )
            v.bad_cells[target] = bad.to_numpy(dtype=bool)
            out[target] = values.astype(dtype) if dtype == "float64" else values.round().astype("Int64")
        elif dtype.startswith("datetime") and text.dtype.kind == "M":
            out[target] = text.astype("datetime64[us]")  # parsed by the arrow reader (strict ISO 8601)
        elif dtype.startswith("datetime"):
            values, bad, used, ambiguous = parse_dates(
                text, date_format=opts.date_format, dayfirst=opts.dayfirst, na_values=opts.na_values
            )
            if ambiguous:
                sample = text.dropna().head(3).tolist()
                v.error(
                    Problem(
                        "ambiguous dates: every value reads both month-first and day-first",
                        file=v.file,
                        column=label,
                        expected="dates in one known order",
                        found=f"values such as {sample!r}",
                        fix=f"set read.date_format in a column map: {ambiguous[0]!r} (US) or {ambiguous[1]!r} "
                        "(Europe), or read.dayfirst: true",
                    )
                )
                v.mark_error(np.ones(len(text), dtype=bool))
            hint = f"dates like {used!r}" if used else "a date"
            v.flag(
                "bad_date",
                bad,
                "not a date" if used else "no known date format fits",
                column=label,
                expected=hint,
                found=text,
                fix="correct the date, or set read.date_format in a column map (e.g. '%d/%m/%Y')",
            )
            v.bad_cells[target] = bad.to_numpy(dtype=bool)
            out[target] = values
        elif dtype == "boolean":
            values, bad = parse_booleans(text, na_values=opts.na_values)
            v.flag(
                "bad_value",
                bad,
                "not true/false",
                column=label,
                expected="True or False",
                found=text,
                fix="use True/False",
            )
            out[target] = values
        else:
            stripped = as_series(done.cleaned[target], body.index)
            if target in _DOMAIN_TARGETS:
                stripped = normalise_domains(stripped)
            out[target] = stripped
    if "_email_domain" in out:
        email_domain = out.pop("_email_domain")
        key = "account_domain" if fmt.table == "deals" else "company_domain"
        out[key] = out[key].fillna(email_domain) if key in out else email_domain
    return out
