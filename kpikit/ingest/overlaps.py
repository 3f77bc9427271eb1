"""Rows that two exports of one client both hold, so that nothing is ever counted twice in silence.

A client's exports overlap more often than not: the same download saved twice
(``google.csv``, ``google (1).csv``), a January export next to a January-to-March
one, a campaign report next to the ad group report of the same days, a deal that
moved from Salesforce to HubSpot. :func:`check_overlaps` compares every export
with the earlier exports of the same table, once each loaded on its own, by these
named rules:

=========================  =====  ===========================================================
rule                       level  what
=========================  =====  ===========================================================
``repeated_rows``          drop   rows with the same identity (:data:`SAME`) in two exports and
                                  the same values in every other model column: loaded once,
                                  from the earlier export, with a warning naming both and the count
``conflicting_rows``       error  the same identity with different values (a later export
                                  revised the figures, a deal changed stage): which is right?
``overlapping_levels``     error  spend of the same campaign and day at two levels or periods
                                  (a campaign report and an ad group report, a period total and
                                  daily rows)
``deal_in_two_crms``       error  two deals with different ids from two CRM formats, with the
                                  same company, amount, currency and close date
``identical_files``        error  two exports that are the same bytes (:func:`identical_files`,
                                  run by :func:`~kpikit.ingest.client.load_client`): a refusal
                                  naming both, never a silent double count
=========================  =====  ===========================================================

A refusal is a problem of the client-level section of the load report (the client does
not load); a drop is a warning there, and the export's report counts the rows as dropped
``in_other_export`` (its spend under ``spend_dropped``), so every file still reconciles.
Messages quote ids, dates, campaign names and figures only, never a personal or unknown
column (a contact is named by its rows).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from kpikit.errors import Problem
from kpikit.ingest.report import Overlap
from kpikit.model import TABLES

__all__ = ["SAME", "Same", "Export", "Found", "check_overlaps", "identical_files"]

_LINEAGE = ("source_file", "source_row")
_LISTED = 5  # rows quoted per problem


@dataclass(frozen=True)
class Same:
    """What makes rows of one table in two exports the same row.

    ``key`` is the identity; ``optional`` key columns count only when both exports fill
    them (one Google export has an account column, the other not); ``shown`` are the key
    columns a message may quote; ``what`` names one row in messages.
    """

    key: tuple[str, ...]
    what: str
    optional: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()


#: The identity of a row, per table (the one place to add a table).
SAME: dict[str, Same] = {
    "spend": Same(
        ("platform", "date", "campaign", "ad_group"), "delivery", ("account",), ("date", "campaign", "ad_group")
    ),
    "deals": Same(("deal_id",), "deal", shown=("deal_id",)),
    "contacts": Same(("contact_key",), "contact (same email)"),
    "touchpoints": Same(
        ("contact_key", "timestamp", "channel", "campaign"), "touchpoint", shown=("timestamp", "channel")
    ),
}


@dataclass
class Export:
    """One export that loaded on its own: its name, format (``source``), table and rows."""

    name: str
    path: str
    source: str
    table: str
    frame: pd.DataFrame


@dataclass
class Found:
    """What :func:`check_overlaps` found: records, problems (the client does not load), warnings,
    and per export (by position) the rows to drop as repeats of an earlier export."""

    overlaps: list[Overlap] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    drops: dict[int, np.ndarray] = field(default_factory=dict)

    def refuse(self, b: Export, message: str, row: Any = None, **detail: Any) -> None:
        """Record why export ``b`` cannot load beside an earlier one (at its spreadsheet ``row`` when given)."""
        self.problems.append(Problem(message, file=b.path, row=None if row is None else int(row), **detail))


def identical_files(paths: list[Path]) -> dict[Path, Path]:
    """Each file that is byte for byte an earlier one -> that earlier file.

    Only files of equal size are hashed, so a client's exports are read again only when
    two of them could be copies.
    """
    by_size: dict[int, list[Path]] = defaultdict(list)
    for p in paths:
        if p.is_file():
            by_size[p.stat().st_size].append(p)
    out: dict[Path, Path] = {}
    for group in by_size.values():
        seen: dict[str, Path] = {}
        for p in group if len(group) > 1 else ():
            with p.open("rb") as f:
                digest = hashlib.file_digest(f, "sha256").hexdigest()
            if digest in seen:
                out[p] = seen[digest]
            else:
                seen[digest] = p
    return out


def check_overlaps(exports: list[Export]) -> Found:
    """Compare every export with the earlier ones of its table (see the module docstring)."""
    found = Found()
    frames = [e.frame for e in exports]
    for j, b in enumerate(exports):
        same = SAME.get(b.table)
        if same is None or not len(b.frame):
            continue
        for i, a in enumerate(exports[:j]):
            if a.table != b.table or not len(frames[i]):
                continue
            drop = _repeated(a, frames[i], b, frames[j], same, found)
            if drop.any():
                frames[j] = frames[j][~drop]
                found.drops[j] = found.drops.get(j, np.zeros(len(b.frame), dtype=bool))
                found.drops[j][np.flatnonzero(~found.drops[j])[drop]] = True
            if b.table == "spend":
                _levels(a, frames[i], b, frames[j], found)
            if b.table == "deals" and a.source != b.source:
                _two_crms(a, frames[i], b, frames[j], found)
    return found


def _hash(frame: pd.DataFrame, cols: list[str]) -> np.ndarray:
    # NA equals NA here: an ad group column empty in both exports is the same ad group
    return pd.util.hash_pandas_object(frame[cols], index=False).to_numpy()


def _repeated(a: Export, fa: pd.DataFrame, b: Export, fb: pd.DataFrame, same: Same, found: Found) -> np.ndarray:
    """Rows of ``fb`` that repeat ``fa`` exactly (to drop); records conflicting rows as problems."""
    key = [*same.key, *(c for c in same.optional if fa[c].notna().any() and fb[c].notna().any())]
    values = [c for c in TABLES[b.table].names if c not in key and c not in _LINEAGE and c not in same.optional]
    ka, kb = _hash(fa, key), _hash(fb, key)
    shared = np.isin(kb, ka)
    if not shared.any():
        return shared
    # A key may hold several rows in one export (a report segmented by device): the copies agree
    # when the key holds the same rows, as many times, in both.
    in_a = np.isin(ka, kb)
    va, vb = _hash(fa[in_a], values), _hash(fb[shared], values)
    pairs = pd.DataFrame(
        {
            "k": np.concatenate([ka[in_a], kb[shared]]),
            "v": np.concatenate([va, vb]),
            "side": np.repeat([0, 1], [len(va), len(vb)]),
        }
    )
    counts = pairs.groupby(["k", "v", "side"]).size().unstack("side", fill_value=0)
    bad_keys = counts.index[counts[0] != counts[1]].get_level_values("k").unique().to_numpy()
    conflict = shared & np.isin(kb, bad_keys)
    drop = shared & ~conflict
    what = _and(key)
    if drop.any():
        n = int(drop.sum())
        spend = _money(fb[drop]) if b.table == "spend" else {}
        found.overlaps.append(Overlap(b.table, a.name, b.name, n, "dropped", what, "repeated_rows", spend))
        found.warnings.append(
            Problem(
                f"{b.name}: {n:,} row(s) dropped as 'repeated_rows': they repeat rows of {a.name} exactly "
                f"(same {what}, same figures), so they are loaded once, from {a.name}",
                file=b.path,
                fix="nothing to do if the exports overlap on purpose (e.g. date ranges); otherwise remove the "
                "repeated rows or one of the files from exports",
            )
        )
    if conflict.any():
        _conflicts(a, fa, b, fb, same, key, values, ka, kb, conflict, found)
    return drop


def _conflicts(a, fa, b, fb, same, key, values, ka, kb, conflict, found) -> None:
    n = int(conflict.sum())
    found.overlaps.append(Overlap(b.table, a.name, b.name, n, "refused", _and(key), "conflicting_rows"))
    first_a = pd.Series(np.arange(len(ka)), index=ka)
    first_a = first_a[~first_a.index.duplicated()]
    rows_b = np.flatnonzero(conflict)
    for pos in rows_b[:_LISTED]:
        ra = fa.iloc[int(first_a[kb[pos]])]
        rb = fb.iloc[int(pos)]
        differ = [c for c in values if not _equal(ra[c], rb[c])]
        shown = ", ".join(f"{c} {_quote(rb[c])}" for c in same.shown if pd.notna(rb[c]))
        found.refuse(
            b,
            f"{b.name}: the same {same.what}{' (' + shown + ')' if shown else ''} as row {ra['source_row']} "
            f"of {a.name}, with different {', '.join(differ) or 'rows'}: loading both would count it twice, "
            "and one of them is wrong",
            rb["source_row"],
            column=differ[0] if differ else None,
            expected=f"the same values as {a.name}",
            found=_found(b.table, ra, rb, differ, a.name, b.name),
            fix=f"keep it in one export only: re-export {b.name} (or {a.name}) without the overlap, "
            "or remove one of the files from exports",
        )
    if n > _LISTED:
        found.refuse(
            b,
            f"{b.name}: {n - _LISTED:,} more row(s) like the ones above also differ from {a.name}",
            fix="keep the overlapping rows in one export only",
        )


def _equal(x, y) -> bool:
    if pd.isna(x) and pd.isna(y):
        return True
    return bool(x == y) if not (pd.isna(x) or pd.isna(y)) else False


def _quote(value) -> str:
    if pd.isna(value):
        return "empty"
    if isinstance(value, pd.Timestamp):
        return repr(value.strftime("%Y-%m-%d") if value == value.normalize() else value.isoformat(sep=" "))
    return repr(value.item() if isinstance(value, np.generic) else value)


def _found(table: str, ra: pd.Series, rb: pd.Series, differ: list[str], na: str, nb: str) -> str | None:
    # Only figures, dates and flags are quoted: a CRM's text (a stage, a source) is named, never shown.
    dtypes = TABLES[table].dtypes
    safe = [c for c in differ if dtypes[c] != "str"]
    if not safe:
        return None
    return "; ".join(f"{c} {_quote(ra[c])} in {na}, {_quote(rb[c])} in {nb}" for c in safe)


def _and(names: list[str]) -> str:
    """``["platform", "date", "ad_group"]`` -> ``"platform, date and ad group"``."""
    words = [n.replace("_", " ") for n in names]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _money(frame: pd.DataFrame) -> dict[str, float]:
    from kpikit.ingest.loader import _money as money  # the loader's one rule: math.fsum, to the cent

    return money(frame)


def _coverage(frame: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Each campaign-day a spend export covers, with the grain it covers it at (level and period)."""
    start = frame["date"].dt.normalize()
    end = frame["date_end"].dt.normalize().fillna(start) if "date_end" in frame else start
    days = ((end - start).dt.days.fillna(0).clip(lower=0) + 1).astype(int).to_numpy()
    level = np.where(frame["ad_group"].notna().to_numpy(), "ad group level", "campaign level")
    period = np.where(
        (end != start).to_numpy(),
        "totals for " + start.dt.strftime("%Y-%m-%d") + " to " + end.dt.strftime("%Y-%m-%d"),
        "daily",
    )
    rep = np.repeat(np.arange(len(frame)), days)
    offset = np.arange(len(rep)) - np.repeat(np.cumsum(days) - days, days)
    out = frame[key].iloc[rep].reset_index(drop=True)
    out["day"] = start.to_numpy()[rep] + offset.astype("timedelta64[D]")
    out["grain"] = pd.Series(level, dtype="str").str.cat(pd.Series(period, dtype="str"), sep=", ").to_numpy()[rep]
    out["row"] = frame["source_row"].to_numpy()[rep]
    return out.drop_duplicates([*key, "day", "grain"])


def _levels(a: Export, fa: pd.DataFrame, b: Export, fb: pd.DataFrame, found: Found) -> None:
    """Refuse spend of one campaign and day in two exports at two grains (level or period)."""
    key = ["platform", "campaign", *(c for c in ("account",) if fa[c].notna().any() and fb[c].notna().any())]
    both = _coverage(fa, key).merge(_coverage(fb, key), on=[*key, "day"], suffixes=("_a", "_b"))
    both = both[both["grain_a"] != both["grain_b"]]
    if not len(both):
        return
    first = both.sort_values("day").iloc[0]
    n = len(both[[*key, "day"]].drop_duplicates())
    found.overlaps.append(
        Overlap(
            "spend", a.name, b.name, n, "refused", "campaign and day, at another level or period", "overlapping_levels"
        )
    )
    found.refuse(
        b,
        f"{b.name}: {n:,} campaign-day(s) are also in {a.name} at another level or period "
        f"({first['grain_b']} in {b.name}, {first['grain_a']} in {a.name}), e.g. campaign "
        f"{first['campaign']!r} on {first['day']:%Y-%m-%d} (row {first['row_b']}, and row {first['row_a']} of "
        f"{a.name}): its spend would count twice",
        first["row_b"],
        column="campaign",
        fix="load each campaign-day at one level only: remove the campaign-level (or period totals) export, "
        "or the ad group (or daily) one, from exports",
    )


def _two_crms(a: Export, fa: pd.DataFrame, b: Export, fb: pd.DataFrame, found: Found) -> None:
    """Refuse a deal that two CRMs hold under two ids (same company, amount, currency, close date)."""
    cols = ["deal_id", "amount", "currency", "close_date", "account", "account_domain", "contact_key", "source_row"]
    pa_, pb_ = fa[cols].copy(), fb[cols].copy()
    for p in (pa_, pb_):
        p["close_day"] = p["close_date"].dt.normalize()
        p["company"] = p["account"].str.strip().str.casefold()
    on = ["amount", "currency", "close_day"]
    both = pa_.dropna(subset=on).merge(pb_.dropna(subset=on), on=on, suffixes=("_a", "_b"))
    same_company = np.zeros(len(both), dtype=bool)
    for c in ("account_domain", "contact_key", "company"):
        same_company |= (both[f"{c}_a"] == both[f"{c}_b"]).fillna(False).to_numpy(dtype=bool)
    both = both[same_company & (both["deal_id_a"] != both["deal_id_b"]).to_numpy(dtype=bool)]
    if not len(both):
        return
    found.overlaps.append(
        Overlap(
            "deals",
            a.name,
            b.name,
            len(both),
            "refused",
            "company, amount, currency and close date",
            "deal_in_two_crms",
        )
    )
    for _, m in both.head(_LISTED).iterrows():
        found.refuse(
            b,
            f"{b.name}: deal {m['deal_id_b']!r} (row {m['source_row_b']}) looks like deal {m['deal_id_a']!r} of "
            f"{a.name} (row {m['source_row_a']}), from another CRM: same company, amount, currency and close "
            "date; loading both would count the deal twice",
            m["source_row_b"],
            column="deal_id",
            found=f"{m['currency']} {m['amount']:,.2f} closing {m['close_day']:%Y-%m-%d} in both",
            fix="keep each deal in one CRM's export: remove it from one of them (a deal migrated between "
            "CRMs belongs to one), or remove one export from exports",
        )
