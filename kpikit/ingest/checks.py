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
duplicates             ``duplicate``: identical in every source cell        every table
                       (cells the arrow engine did not read are fetched
                       for the rows that agree on every cell it read)
contact keys           ``no_contact_key``, ``duplicate_contact``            contacts
contact keys           ``missing_value`` (no email / contact id)            touchpoints
deal ids               ``conflicting_id``                                   deals
=====================  ===================================================  =================

:func:`check_totals` then compares the export's own totals with its data rows:

=====================  ===================================================  =================
rule                   checks                                               level
=====================  ===================================================  =================
``platform_totals``    a footer with totals (Google ``Total: Account``)     error: rows are
                       equals the data rows of its export in cost (to the   missing or extra
                       cent, per currency), impressions and clicks; a
                       record count (Salesforce ``Grand Totals (12
                       records)``) equals the number of data rows. Exact
                       duplicates are not counted (the platform's total
                       never counts an export's repeated copy)
``total_row``          a data row shaped like a total ("Totals", "Summe",   error
                       its dimensions blank) that no footer rule knows:
                       kept as data only when the export's own totals
                       match with it counted
=====================  ===================================================  =================

:func:`check_rates` is the one file-level check: with a client config, money in
a currency that has no exchange rate raises :class:`~kpikit.errors.CurrencyError`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.core.fmt import fmt
from kpikit.errors import CurrencyError, Problem
from kpikit.ingest.headers import _required
from kpikit.ingest.rows import PlatformTotal, SortedRows
from kpikit.ingest.validate import Validator
from kpikit.privacy import all_distinct

__all__ = ["check_rates", "check_totals", "run_checks"]


def run_checks(
    table: str,
    out: pd.DataFrame,
    body: pd.DataFrame,
    v: Validator,
    *,
    unread: Callable[[np.ndarray], pd.DataFrame] | None = None,
) -> None:
    """Flag the rows of ``out`` (the converted ``body``) that break a rule of ``table``.

    Parameters
    ----------
    table
        The model table the file feeds.
    out
        The converted rows.
    body
        The same rows as text, as read.
    v
        Receives the flags; its levels decide errors, warnings and drops.
    unread
        The source cells ``body`` lacks (the arrow engine reads only the mapped columns),
        for given rows (:func:`~kpikit.ingest.rows.unread_cells`): exact duplicates are
        judged on every source cell.
    """
    _required_values(table, out, v)
    _currency_codes(out, v)
    if table == "spend":
        _spend_counts(out, v)
    repeats = _duplicates(out, body, v, _IDENTITY.get(table), unread)
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


# The column naming what one row of a table is: rows sharing it are the only candidates for an
# exact duplicate, and the per-key rules below count on it. A deal's contact is not its identity
# (one contact has several deals, many deals have none), so deals are keyed on their id.
_IDENTITY = {"contacts": "contact_key", "touchpoints": "contact_key", "deals": "deal_id"}


@dataclass(frozen=True)
class _Repeats:
    """Which rows repeat an earlier one, for the rules after the duplicate check."""

    dup: np.ndarray  # identical in every cell read to an earlier row
    repeat: np.ndarray  # not the first row with its key (the table's _IDENTITY column)
    codes: np.ndarray | None  # a code per distinct key (see _key_codes); None without a key column


def _duplicates(
    out: pd.DataFrame,
    body: pd.DataFrame,
    v: Validator,
    identity: str | None,
    unread: Callable[[np.ndarray], pd.DataFrame] | None = None,
) -> _Repeats:
    # Exact duplicates: identical in every source cell. For CRM tables only rows sharing a key
    # can be identical, so the (costly) whole-row comparison runs on those rows alone.
    dup = np.zeros(len(body), dtype=bool)
    cols = list(body.columns)
    if not (cols and len(body)):
        return _Repeats(dup, np.zeros(len(body), dtype=bool), None)
    key = identity if identity in out else None
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
    if dup.any() and unread is not None:
        dup = _whole_row_duplicates(body, cand, dup, unread)
    v.flag(
        "duplicate",
        dup,
        "identical to an earlier row",
        fix="nothing to do if the export repeated rows; otherwise check the export",
    )
    return _Repeats(dup, repeat, codes)


def _whole_row_duplicates(
    body: pd.DataFrame, cand: np.ndarray, dup: np.ndarray, unread: Callable[[np.ndarray], pd.DataFrame]
) -> np.ndarray:
    """``dup`` (identical in every cell read) narrowed to rows identical in every source cell.

    Only rows in a group that agrees on the cells read can be whole-row copies, so the other
    cells are fetched for those rows alone (a device-segmented report's zero rows agree on
    every mapped cell and differ in the unmapped ``Device``).
    """
    pos = np.flatnonzero(cand)
    group = np.zeros(len(body), dtype=bool)
    group[pos] = body.iloc[pos].duplicated(keep="last").to_numpy(dtype=bool)
    group |= dup
    rows = np.flatnonzero(group)
    # dates the arrow reader parsed are compared as the text they were read from
    text = body.iloc[rows][[c for c in body.columns if body[c].dtype.kind != "M"]].reset_index(drop=True)
    whole = pd.concat([text, unread(rows)], axis=1)
    out = np.zeros(len(body), dtype=bool)
    out[rows] = whole.duplicated(keep="first").to_numpy(dtype=bool)
    return out


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


def check_totals(out: pd.DataFrame, v: Validator, kinds: SortedRows) -> list[dict[str, Any]]:
    """Compare each export's own totals with its data rows; settle the rows shaped like totals.

    Parameters
    ----------
    out
        The converted data rows (duplicates already flagged on ``v``).
    v
        Receives the problems (checks ``platform_totals`` and ``total_row``).
    kinds
        The footers' totals, the suspect rows and where each export of the file starts.

    Returns
    -------
    list of dict
        One per total checked, JSON-safe: ``label``, ``row``, ``matched`` and the export's
        figures (``spend`` per currency, ``impressions``, ``clicks``, ``records``), for the
        load report (``kpikit validate`` prints "platform totals match: GBP 6,756.08").
    """
    if not len(out) or not (kinds.totals or kinds.suspects):
        return []
    lines = np.asarray(v.lines)
    part = np.searchsorted(kinds.parts, lines, side="right")
    copies = np.zeros(len(out), dtype=bool)
    copies[v.drops.get("duplicate", np.zeros(0, dtype=np.int64))] = True
    counted = ~copies
    suspect = np.isin(lines, [s.row for s in kinds.suspects])
    checked: list[dict[str, Any]] = []
    proven: set[int] = set()  # exports whose own total matches with their suspect rows counted as data
    for t in kinds.totals:
        rows = counted & (part == t.part)
        figures, wrong = _compare(t, out, rows, v)
        if not figures:
            continue
        checked.append({"label": t.label, "row": t.row, "matched": not wrong, **figures})
        if not wrong:
            proven.add(t.part)
            continue
        # A total that matches only without the suspect rows says they are totals themselves; one
        # that matches only with the exact duplicates counted says they are real rows.
        why = None
        if (rows & suspect).any() and not _compare(t, out, rows & ~suspect, v)[1]:
            why = "suspects"
        elif (copies & (part == t.part)).any() and not _compare(t, out, part == t.part, v)[1]:
            why = "duplicates"
        _report_mismatch(t, wrong, why, v)
    doubtful = suspect & ~np.isin(part, sorted(proven))
    if doubtful.any():
        _report_suspects(kinds, lines, doubtful, v)
    return checked


def _compare(t: PlatformTotal, out: pd.DataFrame, rows: np.ndarray, v: Validator) -> tuple[dict[str, Any], list]:
    """The total's figures, and each (measure, its figure, the data rows') that differs."""
    figures: dict[str, Any] = {}
    wrong: list[tuple[str, str, str]] = []
    if t.records is not None:
        figures["records"] = t.records
        if int(rows.sum()) != t.records:
            wrong.append(("records", f"{t.records:,} records", f"{int(rows.sum()):,} data rows"))
    for m in ("cost", "impressions", "clicks"):
        if m not in t.values or m not in out or v.bad_cells.get(m, np.zeros(len(out), dtype=bool))[rows].any():
            continue  # a cell that did not convert is an error of its own
        sel = rows
        if m == "cost":
            cur = t.currency
            if "currency" in out:
                curs = out["currency"]
                if cur is None:
                    present = curs[rows].dropna().unique()
                    if len(present) > 1:
                        continue  # a total in no currency over several: nothing to compare it with
                    cur = str(present[0]) if len(present) else None
                else:
                    sel = rows & (curs == cur).fillna(False).to_numpy(dtype=bool)
            total = round(t.values[m], 2)
            got = round(math.fsum(np.nan_to_num(out[m].to_numpy(dtype=float)[sel])), 2)
            figures["spend"] = {cur or "": total}
            if round(total * 100) != round(got * 100):
                wrong.append((m, fmt(total, "money", cur or ""), fmt(got, "money", cur or "")))
        else:
            total, got = round(t.values[m]), int(out[m].fillna(0).to_numpy(dtype=np.int64)[sel].sum())
            figures[m] = total
            if total != got:
                wrong.append((m, f"{fmt(total, 'count')} {m}", f"{fmt(got, 'count')} {m}"))
    return figures, wrong


_MISMATCH_FIX = {
    "suspects": "the export's own total matches once the rows shaped like a total are left out: they are "
    "totals; declare them as footers (footer: [...] in a column map)",
    "duplicates": "the export's own total counts the rows dropped as exact duplicates, so they are real rows "
    "that differ only in a column the report leaves out (e.g. Device): add that column to the report, or "
    "keep them with checks: {duplicate: off} in a column map",
    None: "rows are missing or extra (a filtered view, or rows deleted or added by hand): export the report "
    "again unfiltered, for the whole period, and do not edit it; if the difference is expected, set "
    "checks: {platform_totals: warn} in a column map",
}


def _report_mismatch(t: PlatformTotal, wrong: list[tuple[str, str, str]], why: str | None, v: Validator) -> None:
    level = v.level("platform_totals")
    if level == "off":
        return
    said = ", ".join(w[1] for w in wrong)
    got = ", ".join(w[2] for w in wrong)
    if any(w[0] != "records" for w in wrong):
        got += " in the data rows"
    fix = _MISMATCH_FIX[why]
    problem = Problem(
        f"the export's own total ({t.label!r}) does not match its data rows",
        file=v.file,
        row=t.row,
        column=wrong[0][0] if len(wrong) == 1 and wrong[0][0] != "records" else None,
        expected=said,
        found=got,
        fix=fix,
    )
    (v.error if level == "error" else v.warn)(problem)


def _report_suspects(kinds: SortedRows, lines: np.ndarray, doubtful: np.ndarray, v: Validator) -> None:
    by_line = {s.row: s for s in kinds.suspects}
    rows = [by_line[int(x)] for x in lines[doubtful]]
    labels = sorted({s.label for s in rows})
    column = rows[0].column if len({s.column for s in rows}) == 1 else None
    v.flag(
        "total_row",
        doubtful,
        "the row looks like a total (a total's label, its other dimensions blank) but is none of the "
        "format's total rows, and no total of the export proves it is data",
        column=column,
        expected="a data row, or a footer the format knows",
        found=pd.Series([s.label for s in rows], dtype="str"),
        fix=f"if it is a total, declare it in a column map: footer: [{labels[0]!r}] (or {{label: {labels[0]!r}, "
        "totals: true}} to check its figures against the rows); if it is real data (a campaign with that "
        "name), set checks: {total_row: warn} in the column map",
    )


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
