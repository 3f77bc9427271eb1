"""Stage 4 of a load: the row checks of each model table, on the converted rows.

Each rule flags rows on the :class:`~kpikit.ingest.validate.Validator` under a
named check; the check's level (error, warn, drop or off:
:data:`~kpikit.ingest.validate.CHECK_LEVELS`, which a column map's ``checks:``
can change) decides what happens to those rows. :func:`run_checks` runs the
rules in a fixed order, so a row dropped by two checks is counted under the
first:

=====================  ===================================================  =================
rule                   checks                                               tables
=====================  ===================================================  =================
required values        ``missing_value`` (a cell already flagged as bad     every table
                       is not flagged again)
currency codes         ``bad_value`` (not 3 capital letters)                with a currency
spend counts           ``negative_spend``, ``negative_count``,              spend
                       ``clicks_gt_impressions``
duplicates             ``duplicate``: identical in every cell read          every table
contact keys           ``no_contact_key``, ``duplicate_contact``            contacts
contact keys           ``missing_value`` (no email / contact id)            touchpoints
deal ids               ``conflicting_id``                                   deals
=====================  ===================================================  =================

:func:`check_rates` is the one file-level check: with a client config, money in
a currency that has no exchange rate raises :class:`~kpikit.errors.CurrencyError`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.errors import CurrencyError
from kpikit.ingest.headers import _required
from kpikit.ingest.validate import Validator
from kpikit.privacy import all_distinct

__all__ = ["check_rates", "run_checks"]


def run_checks(table: str, out: pd.DataFrame, body: pd.DataFrame, v: Validator) -> None:
    """Flag the rows of ``out`` (the converted ``body``) that break a rule of ``table``.

    Parameters
    ----------
    table
        The model table the file feeds.
    out
        The converted rows.
    body
        The same rows as text, as read: duplicates are judged on every cell read.
    v
        Receives the flags; its levels decide errors, warnings and drops.
    """
    _required_values(table, out, v)
    _currency_codes(out, v)
    if table == "spend":
        _spend_counts(out, v)
    repeats = _duplicates(out, body, v)
    if "contact_key" in out and table in {"contacts", "touchpoints"}:
        _contact_keys(table, out, repeats, v)
    if table == "deals" and "deal_id" in out:
        _deal_ids(out, repeats, v)


def _required_values(table: str, out: pd.DataFrame, v: Validator) -> None:
    for col in _required(table):
        if col in out and col != "contact_key":
            already = v.bad_cells.get(col, np.zeros(len(out), dtype=bool))
            v.flag(
                "missing_value",
                out[col].isna().to_numpy(dtype=bool) & ~already,
                "required value is empty",
                column=col,
                expected=f"a {col}",
                fix=f"fill in the {col} on that row (or drop the row in the source system and re-export)",
            )


def _currency_codes(out: pd.DataFrame, v: Validator) -> None:
    if "currency" in out:
        cur = out["currency"]
        badcur = cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool)
        v.flag(
            "bad_value",
            badcur,
            "not an ISO 4217 currency code",
            column="currency",
            expected="e.g. EUR, USD",
            found=cur,
            fix="use a 3-letter code",
        )


def _spend_counts(out: pd.DataFrame, v: Validator) -> None:
    cost = out["cost"]
    v.flag("negative_spend", (cost < 0).fillna(False), "negative spend", column="cost", expected="cost >= 0", found=cost,
           fix="refunds and credits are not delivery: remove them from the export or load them separately")  # fmt: skip
    for col in ("impressions", "clicks"):
        v.flag(
            "negative_count",
            (out[col] < 0).fillna(False),
            f"negative {col}",
            column=col,
            expected=">= 0",
            found=out[col],
            fix="re-export the report",
        )
    gt = ((out["clicks"] > out["impressions"]) & (out["impressions"] >= 0)).fillna(False)
    v.flag(
        "clicks_gt_impressions",
        gt,
        "more clicks than impressions",
        column="clicks",
        expected="clicks <= impressions",
        found=out["clicks"].astype("str") + " clicks / " + out["impressions"].astype("str") + " impressions",
        fix="check the column mapping (clicks and impressions swapped?); if the platform really reports it, "
        "set checks: {clicks_gt_impressions: warn} in the column map",
    )


@dataclass(frozen=True)
class _Repeats:
    """Which rows repeat an earlier one, for the rules after the duplicate check."""

    dup: np.ndarray  # identical in every cell read to an earlier row
    repeat: np.ndarray  # not the first row with its key (contact_key or deal_id)
    codes: np.ndarray | None  # a code per distinct key (see _key_codes); None without a key column


def _duplicates(out: pd.DataFrame, body: pd.DataFrame, v: Validator) -> _Repeats:
    # Exact duplicates: identical in every cell read. For CRM tables only rows sharing a key
    # can be identical, so the (costly) whole-row comparison runs on those rows alone.
    dup = np.zeros(len(body), dtype=bool)
    cols = list(body.columns)
    if not (cols and len(body)):
        return _Repeats(dup, np.zeros(len(body), dtype=bool), None)
    key = next((k for k in ("contact_key", "deal_id") if k in out), None)
    if key:
        # One factorize serves both the duplicate-row candidates and the per-key checks below.
        codes = _key_codes(out[key], v.key_ints if key == "contact_key" else None)
        counts = np.bincount(codes)
        if len(counts) == len(codes):  # a code per row: no key repeats
            first = np.ones(len(codes), dtype=bool)
            cand = np.zeros(len(codes), dtype=bool)
        else:
            # codes number the keys in order of first appearance: a row is a key's first
            # exactly when its code is above every earlier code
            first = np.empty(len(codes), dtype=bool)
            first[0] = True
            first[1:] = codes[1:] > np.maximum.accumulate(codes)[:-1]
            cand = counts[codes] > 1
        repeat = ~first  # not the first row with its key
    else:
        codes = None
        cand = np.ones(len(body), dtype=bool)
        repeat = np.zeros(len(body), dtype=bool)
    if cand.all():
        dup = body.duplicated(subset=cols, keep="first").to_numpy(dtype=bool)
    elif cand.any():
        dup[np.flatnonzero(cand)] = body[cand].duplicated(subset=cols, keep="first").to_numpy(dtype=bool)
    v.flag(
        "duplicate",
        dup,
        "identical to an earlier row",
        fix="nothing to do if the export repeated rows; otherwise check the export",
    )
    return _Repeats(dup, repeat, codes)


def _contact_keys(table: str, out: pd.DataFrame, repeats: _Repeats, v: Validator) -> None:
    nokey = out["contact_key"].isna().to_numpy(dtype=bool)
    dup = repeats.dup
    if table == "contacts":
        v.flag("no_contact_key", nokey & ~dup, "no email / contact id, so the row cannot be matched", column="contact_key",
               fix="add the email (or an id column mapped to contact_id) to the export")  # fmt: skip
        again = repeats.repeat & ~nokey & ~dup
        v.flag("duplicate_contact", again, "same contact as an earlier row (first row kept)", column="contact_key",
               fix="merge duplicate contacts in the CRM")  # fmt: skip
    else:
        v.flag("missing_value", nokey, "required value is empty", column="contact_key", expected="an email or contact id",
               fix="fill in the email on that row")  # fmt: skip


def _deal_ids(out: pd.DataFrame, repeats: _Repeats, v: Validator) -> None:
    ids, dup, codes = out["deal_id"], repeats.dup, repeats.codes
    # the id is on more than one row once exact duplicates are set aside
    again = np.zeros(len(ids), dtype=bool)
    if codes is not None:
        again = (np.bincount(codes[~dup], minlength=len(codes))[codes] > 1) & ~dup
    again &= ids.notna().to_numpy(dtype=bool)
    v.flag("conflicting_id", again, "the same deal id on rows that differ", column="deal_id", expected="one row per deal",
           found=ids, fix="keep one row per deal in the CRM report (which amount / stage is right?)")  # fmt: skip


def _key_codes(keys: pd.Series, ints: tuple[np.ndarray, np.ndarray, bool | None] | None) -> np.ndarray:
    """Codes 0, 1, ... per distinct key in order of first appearance; missing keys share one code."""
    if ints is None:
        codes, _ = pd.factorize(keys, use_na_sentinel=False)
        return codes
    values, valid, distinct = ints
    if distinct is None:
        distinct = all_distinct(values[valid])
    if distinct:
        # The usual export: every present key distinct (a sort proves it several times faster
        # than a hash table), so the codes are a running count.
        if valid.all():
            return np.arange(len(valid))
        new = valid.copy()
        missing = np.flatnonzero(~valid)
        new[missing[0]] = True
        codes = np.cumsum(new) - 1
        codes[missing] = codes[missing[0]]
        return codes
    codes, _ = pd.factorize(pd.arrays.IntegerArray(values, ~valid), use_na_sentinel=False)
    return codes


def check_rates(frame: pd.DataFrame, config: ClientConfig, file: str) -> None:
    """Raise :class:`~kpikit.errors.CurrencyError` for the first currency in ``frame`` with no rate in ``config``."""
    for cur in sorted(frame["currency"].dropna().unique()):
        if config.rate(str(cur)) is None:
            raise CurrencyError(
                f"money in {cur} cannot be mixed with the reporting currency {config.currency}: no exchange rate",
                file=file,
                column="currency",
                expected=f"fx_rates: {{{cur}: <{config.currency} per 1 {cur}>}} in the client config",
                found=repr(str(cur)),
                fix=f"add `fx_rates: {{{cur}: RATE}}` to {config.source or 'client.yaml'}",
            )
