"""Multi-touch attribution: how each model splits the credit for real outcomes between channels.

A *path* is a contact's touchpoints in time order up to their conversion, the
moment they reached the outcome (the config's real outcome, or ``won``). Times are
compared where both sides have one (HubSpot exports minutes: a touch an hour after
the conversion gets no credit); where a side has only a date, the whole conversion
day counts. Rule-based models give each touch a weight; the weights
of one path sum to 1, so channel credits sum to the number of conversions.
Revenue (won deals linked to the contact) is split with the same weights and
rounded to the cent by largest remainder, so channel revenue sums *exactly* to
the revenue attributed.

=================  ==========================================================
model              weight of each touch in a path of n touches
=================  ==========================================================
``first``          all to the first touch
``last``           all to the last touch
``linear``         1/n each
``time_decay``     2^(-days before conversion / half-life), normalised
``u_shaped``       40% first, 40% last, 20% shared by the touches between
``w_shaped``       30% first, 30% lead-creation touch, 30% opportunity-creation
                   touch, 10% shared by the rest
``full_path``      22.5% each to first, lead creation, opportunity creation
                   and the last (closing) touch, 10% shared by the rest
``markov``         data-driven: removal effect of each channel in a first-order
                   Markov chain over *all* paths, converting or not
=================  ==========================================================

When roles coincide (a one-touch path is first, lead touch and last), their
shares add up on that touch; when no touch is left for "the rest", the key
touches' shares are rescaled to sum to 1. The lead-creation touch is the last
touch on or before the day the contact was created; the opportunity-creation
touch the last on or before the opportunity date (the last touch when there is
none). Conversions with no touchpoint before them are credited to
``"(no touchpoint)"`` in every model, so nothing is dropped.

What the CRM export cannot measure is not credited as 0: when no won deal can be
linked to a contact (a Salesforce opportunities report names no contact; no deals
export; deals without amounts) revenue is NaN per channel and None in ``totals``,
and when the outcome stage itself is not known per contact, so are conversions;
the reason is in ``notes``.

A model loaded with a memory limit (``load_client(..., cache_dir=DIR, memory_limit="6GB")``)
builds its paths with DuckDB over the cached Parquet touchpoints instead
(:mod:`kpikit.analysis._duckpaths`): same credits, bit for bit, within that memory.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from kpikit._arrowtext import as_arrow
from kpikit.analysis._prepare import prepare
from kpikit.analysis.stats import MIN_MARKOV_CONVERSIONS
from kpikit.core.measures import STAGES
from kpikit.core.names import NOT_SET
from kpikit.core.result import Result, json_safe, records
from kpikit.errors import KpikitError, OptionError

__all__ = [
    "ATTRIBUTION_MODELS",
    "AttributionModel",
    "PositionModel",
    "TimeDecayModel",
    "MarkovModel",
    "attribution",
    "AttributionResult",
    "largest_remainder",
]

NO_TOUCH = "(no touchpoint)"
_DAY_US = 86_400_000_000


def largest_remainder(values: np.ndarray, total: float, unit: float = 0.01) -> np.ndarray:
    """Round ``values`` to multiples of ``unit`` so they sum exactly to ``total`` (rounded to ``unit``).

    Examples
    --------
    >>> largest_remainder(np.array([1 / 3, 1 / 3, 1 / 3]) * 100, 100.0).tolist()
    [33.34, 33.33, 33.33]
    """
    values = np.asarray(values, dtype="float64")
    if len(values) == 0:
        return values
    target = int(round(total / unit))
    scaled = values / unit
    floors = np.floor(scaled + 1e-9)
    short = target - int(floors.sum())
    rema = scaled - floors
    order = np.argsort(-rema, kind="stable")
    add = np.zeros(len(values))
    if short > 0:
        add[order[: min(short, len(values))]] = 1
        if short > len(values):  # values far off the total: spread the rest evenly
            add += (short - len(values)) // len(values)
    elif short < 0:
        order_low = np.argsort(rema, kind="stable")
        add[order_low[: min(-short, len(values))]] = -1
    cents = floors + add
    return np.round(cents) * unit if unit != 0.01 else np.round(cents).astype(np.int64) / 100.0


# --- context: sorted touches of every path ---------------------------------------------


@dataclass
class Paths:
    """Touches sorted by path and time, with everything the models need (numpy arrays)."""

    channels: list[str]
    ch: np.ndarray  # channel code per kept touch
    path: np.ndarray  # dense path id per kept touch (sorted)
    ts: np.ndarray  # int64 microseconds
    converts: np.ndarray  # per path: converted
    value: np.ndarray  # per path: revenue
    conv_ts: Cutoff  # per path: where credit stops (the conversion)
    lead_cut: Cutoff  # per path: the lead-creation touch is the last before this
    opp_cut: Cutoff  # per path: the opportunity-creation touch is the last before this
    n_paths: int
    no_touch_conversions: int
    no_touch_revenue: float
    conversions: int
    revenue: float
    orphan_touches: int
    after_conversion: int
    stats: dict[str, Any] = field(default_factory=dict)

    def converting(self) -> Paths:
        """The touches of converting paths only (what rule-based models credit), computed once."""
        sub = self.stats.get("_converting")
        if sub is None:
            keep = self.converts[self.path]
            sub = replace(self, ch=self.ch[keep], path=self.path[keep], ts=self.ts[keep], stats={})
            self.stats["_converting"] = sub
        return sub


@dataclass(frozen=True, eq=False)
class Cutoff:
    """Where a path stops, per path, in int64 microseconds (exclusive).

    ``exact`` is just after the conversion moment when it has a time of day, else the end of
    its day; ``day`` is always the end of the day. A touch with a time of day is compared with
    ``exact``, a date-only touch with ``day``: timestamps are compared where both sides have a
    time, days where a side has only a date (a touch hours after a same-day conversion gets no
    credit; a touch dated that day, time unknown, does). Missing dates never cut.
    """

    exact: np.ndarray
    day: np.ndarray

    @classmethod
    def of(cls, dates: np.ndarray, pad: int = 0, keep: np.ndarray | None = None) -> Cutoff:
        """The cutoffs of ``dates`` (missing: never), then ``pad`` paths that never cut; only where ``keep``.

        Examples
        --------
        >>> cut = Cutoff.of(np.array(["2024-01-02T10:30", "2024-01-03", "NaT"], dtype="datetime64[us]"), pad=1)
        >>> (cut.exact[:2] - cut.day[:2]).tolist(), bool((cut.exact[2:] == np.iinfo(np.int64).max).all())
        ([-48599999999, 0], True)
        """
        t_all = dates.astype("datetime64[us]", copy=False).view(np.int64)
        big = np.iinfo(np.int64).max
        exact = np.full(len(t_all) + pad, big, dtype=np.int64)
        day = np.full(len(t_all) + pad, big, dtype=np.int64)
        for a in range(0, len(t_all), _TOUCH_BLOCK):  # a block at a time: no temporaries the size of the data
            t = t_all[a : a + _TOUCH_BLOCK]
            start = t - t % _DAY_US  # the day's midnight (floored, also before 1970)
            end = start + _DAY_US
            cut = t != np.iinfo(np.int64).min  # NaT
            if keep is not None:
                cut &= keep[a : a + _TOUCH_BLOCK]
            day[a : a + len(t)] = np.where(cut, end, big)
            exact[a : a + len(t)] = np.where(cut, np.where(t != start, t + 1, end), big)
        return cls(exact, day)

    def at(self, idx: np.ndarray, ts: np.ndarray) -> np.ndarray:
        """The cutoff that applies to touches at times ``ts`` on paths ``idx``."""
        timed = ts % _DAY_US != 0
        return np.where(timed, self.exact[idx], self.day[idx])


def build_paths(model, outcome: str | None = None) -> Paths:
    """Sort touchpoints into per-contact paths cut at each contact's conversion day."""
    p = prepare(model)
    outcome = outcome or (p.real_outcome if p.real_outcome in STAGES else "won")
    if outcome not in STAGES:
        raise OptionError("outcome", outcome, STAGES, what="contact stage; attribution needs one")
    c = p.contacts
    n_c = len(c)
    conv_date = c[f"_d_{outcome}"].to_numpy() if n_c else np.empty(0, dtype="datetime64[us]")
    conv_c = ~np.isnat(conv_date)
    # Revenue per contact: won deals linked to it.
    value_c = np.zeros(n_c)
    d = p.deals
    if len(d) and n_c:
        m = (d["_cidx"].to_numpy() >= 0) & d["_won"].to_numpy()
        value_c = np.bincount(d["_cidx"].to_numpy()[m], weights=d["_amount"].to_numpy()[m], minlength=n_c)
    value_c = np.where(conv_c, value_c, 0.0)
    # Only the first row of a duplicated contact_key counts (the lookup returns first rows).
    first = p.lookup.is_first
    conv_c &= first
    value_c = np.where(first, value_c, 0.0)

    # A model read from the Parquet cache with a memory limit: DuckDB sorts the touchpoints.
    store = getattr(model, "store", None)
    if store is not None and store.serves(model):
        return _paths_out_of_core(p, store, outcome, conv_date, conv_c, value_c, n_c)
    tp = model.touchpoints
    # Path id: the contact's row for known contacts; touchpoints of unknown keys get ids after those
    # (they are paths that never converted, which the Markov model needs).
    with ThreadPoolExecutor(1) as pool:
        # Arrow's dictionary encoding releases the GIL: the channel codes come on the second core
        # while the contact lookup (integer hashing, also without the GIL) runs here.
        channels = pool.submit(_channel_codes, tp["channel"])
        codes = p.lookup.positions(tp["contact_key"])  # a new array: the unknown keys' ids are written into it
        ch_codes, ch_uniques = channels.result()
    unknown = (codes < 0) & tp["contact_key"].notna().to_numpy()
    n_unknown = 0
    if unknown.any():
        ucodes, uniq = pd.factorize(tp["contact_key"][unknown])
        codes[unknown] = n_c + ucodes
        n_unknown = len(uniq)
    del unknown
    n_paths = n_c + n_unknown
    pad_b = np.zeros(n_unknown, dtype=bool)
    converts = np.concatenate([conv_c, pad_b])
    value = np.concatenate([value_c, np.zeros(n_unknown)])
    conv_ts = Cutoff.of(conv_date, n_unknown, keep=conv_c)
    lead_cut = Cutoff.of(c["created_date"].to_numpy(), n_unknown)
    opp_cut = Cutoff.of(c["_d_opportunity"].to_numpy(), n_unknown)

    ts = tp["timestamp"].to_numpy().astype("datetime64[us]", copy=False).view(np.int64)  # read only
    path_kept, ts_kept, ch_kept, orphan, n_after = _kept_touches(codes, ts, ch_codes, converts, conv_ts)
    del ch_codes  # the touchpoint-sized arrays, before the sort's peak
    order, path, ts_sorted = _path_order(path_kept, ts_kept, scratch=codes)  # codes are spent: their memory is reused
    del codes, path_kept, ts_kept
    # The channel codes stay narrow (1 or 2 bytes a touch): a random read of those stays in the CPU
    # cache where one of 8 bytes does not, and the paths hold 7 bytes a touch less.
    ch = ch_kept[order]
    has_touch = np.bincount(path, minlength=n_paths) > 0
    # Converted contacts whose path has no touch (or no touchpoints at all).
    no_touch = conv_c & ~has_touch[:n_c]
    return Paths(
        channels=[str(x) for x in ch_uniques],
        ch=ch,
        path=path,
        ts=ts_sorted,
        converts=converts,
        value=value,
        conv_ts=conv_ts,
        lead_cut=lead_cut,
        opp_cut=opp_cut,
        n_paths=n_paths,
        no_touch_conversions=int(no_touch.sum()),
        no_touch_revenue=float(value_c[no_touch].sum()) if n_c else 0.0,
        conversions=int(conv_c.sum()),
        revenue=float(value_c[conv_c].sum()) if n_c else 0.0,
        orphan_touches=orphan,
        after_conversion=n_after,
        stats={"outcome": outcome},
    )


#: Touches handled at a time by the per-touch steps of :func:`build_paths`: every temporary is a
#: block long and reused, where whole-column temporaries (a dozen arrays of 8 bytes a touch) would
#: page in fresh memory at every step of a large model, which costs more than the arithmetic.
_TOUCH_BLOCK = 1 << 20


def _channel_codes(channel: pd.Series) -> tuple[np.ndarray, list]:
    """Code of each touch's channel (first-appearance order, missing as ``(not set)``), in the narrowest int.

    What ``pd.factorize(channel.fillna(NOT_SET))`` gives, from Arrow's dictionary encoding
    (int32 codes, not int64) without the GIL.

    Examples
    --------
    >>> codes, uniques = _channel_codes(pd.Series(["email", None, "email", "direct"], dtype="str"))
    >>> codes.tolist(), uniques, codes.dtype.name
    ([0, 1, 0, 2], ['email', '(not set)', 'direct'], 'int8')
    """
    if not len(channel):
        return np.zeros(0, dtype=np.int8), []
    arr = as_arrow(channel)
    if arr.null_count:
        arr = arr.fill_null(NOT_SET)
    enc = arr.dictionary_encode()
    uniques = enc.chunk(enc.num_chunks - 1).dictionary.to_pylist()  # every chunk shares the whole dictionary
    narrow = np.int8 if len(uniques) <= 127 else np.int16 if len(uniques) <= 32767 else np.int32
    codes = np.empty(len(channel), dtype=narrow)
    at = 0
    for chunk in enc.chunks:
        codes[at : at + len(chunk)] = chunk.indices.to_numpy(zero_copy_only=False)
        at += len(chunk)
    return codes, uniques


def _kept_touches(codes, ts, ch_codes, converts, conv_ts):
    """The touches that get credit, in row order: path id, time and channel code of each; and what was left out.

    A touch is left out without a known path (``orphan``: no contact key), without a time,
    or at or after its path's conversion (``after``; only converting paths have a cutoff,
    the others' is the largest int64, so only their touches are compared with it).
    """
    n = len(codes)
    # Untouched tails of these are never paged in: only the kept touches are written.
    path_out = np.empty(n, dtype=np.int64)
    ts_out = np.empty(n, dtype=np.int64)
    ch_out = np.empty(n, dtype=ch_codes.dtype)
    kept = orphan = n_after = 0
    nat, big = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    for a in range(0, n, _TOUCH_BLOCK):
        cb, tb = codes[a : a + _TOUCH_BLOCK], ts[a : a + _TOUCH_BLOCK]
        keep = cb >= 0
        orphan += len(cb) - int(np.count_nonzero(keep))
        keep &= tb != nat
        after = tb == big
        on_conv = np.flatnonzero(keep & converts[np.maximum(cb, 0)])
        after[on_conv] = tb[on_conv] >= conv_ts.at(cb[on_conv], tb[on_conv])
        after &= keep
        keep &= ~after
        n_after += int(np.count_nonzero(after))
        idx = np.flatnonzero(keep)
        z = kept + len(idx)
        np.take(cb, idx, out=path_out[kept:z])
        np.take(tb, idx, out=ts_out[kept:z])
        np.take(ch_codes[a : a + _TOUCH_BLOCK], idx, out=ch_out[kept:z])
        kept = z
    return path_out[:kept], ts_out[:kept], ch_out[:kept], orphan, n_after


def _paths_out_of_core(p, store, outcome, conv_date, conv_c, value_c, n_c) -> Paths:
    """:func:`build_paths` by DuckDB over the cached Parquet touchpoints (:mod:`kpikit.analysis._duckpaths`).

    Holds only the converting paths' touches; the Markov counts over every path come with it.
    """
    from kpikit.analysis._duckpaths import paths_from_parquet

    c = p.contacts
    got = paths_from_parquet(store, p.lookup, Cutoff.of(conv_date, keep=conv_c), conv_c, n_c)
    n_unknown = got["n_unknown"]
    n_paths = n_c + n_unknown
    converts = np.concatenate([conv_c, np.zeros(n_unknown, dtype=bool)])
    path = got["path"]
    has_touch = np.bincount(path, minlength=n_paths) > 0
    no_touch = conv_c & ~has_touch[:n_c]
    return Paths(
        channels=[str(x) for x in got["channels"]],
        ch=got["ch"],
        path=path,
        ts=got["ts"],
        converts=converts,
        value=np.concatenate([value_c, np.zeros(n_unknown)]),
        conv_ts=Cutoff.of(conv_date, n_unknown, keep=conv_c),
        lead_cut=Cutoff.of(c["created_date"].to_numpy(), n_unknown),
        opp_cut=Cutoff.of(c["_d_opportunity"].to_numpy(), n_unknown),
        n_paths=n_paths,
        no_touch_conversions=int(no_touch.sum()),
        no_touch_revenue=float(value_c[no_touch].sum()) if n_c else 0.0,
        conversions=int(conv_c.sum()),
        revenue=float(value_c[conv_c].sum()) if n_c else 0.0,
        orphan_touches=got["orphan"],
        after_conversion=got["after"],
        stats={"outcome": outcome, "touches_used": got["used"], "markov_counts": got["markov"]},
    )


def _path_order(
    path: np.ndarray, ts: np.ndarray, scratch: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stable order by (path, time), and ``path`` and ``ts`` in that order.

    One bucketed argsort of a combined integer key when it fits in 62 bits: ``np.lexsort``
    on millions of rows is several times slower than a single argsort, and a stable argsort
    (timsort on int64) about 3x slower than the default introsort. The key is sorted
    unstably, then only the runs of equal keys (same path, same time: rare) are put back in
    row order, which gives exactly the stable order. The sorted path and time are read back
    from the sorted key (a division, in order) instead of gathered at random from the rows.
    ``scratch``, an int64 array at least as long that the caller no longer needs, holds the
    key and then the sorted path: memory already paged in, where a new array of that size
    pages in fresh memory (on a large model that costs more than the arithmetic).

    Examples
    --------
    >>> order, path, ts = _path_order(np.array([1, 0, 1, 0]), np.array([5, 9, 2, 9]) * 1_000_000)
    >>> order.tolist(), path.tolist(), (ts // 1_000_000).tolist()
    ([1, 3, 2, 0], [0, 0, 1, 1], [9, 9, 2, 5])
    """
    n = len(ts)
    if n == 0:
        return np.zeros(0, dtype=np.int64), path[:0], ts[:0]
    t0 = int(ts.min())
    blocks = range(0, n, _TOUCH_BLOCK)
    whole = all(not ((ts[a : a + _TOUCH_BLOCK] - t0) % 1_000_000).any() for a in blocks)
    unit = 1_000_000 if whole else 1  # whole seconds: a smaller key
    # The key is built, and read back, a block at a time in one array: no temporaries the size of the data.
    reuse = (  # a buffer of our dtype, not much longer (the sorted path keeps it alive), sharing no memory
        scratch is not None
        and scratch.dtype == np.int64 == path.dtype
        and n <= len(scratch) <= 2 * n
        and not np.may_share_memory(scratch, path)
        and not np.may_share_memory(scratch, ts)
    )
    key = scratch[:n] if reuse else np.empty(n, dtype=np.int64)
    for a in blocks:
        np.subtract(ts[a : a + _TOUCH_BLOCK], t0, out=key[a : a + _TOUCH_BLOCK])
        if unit > 1:
            key[a : a + _TOUCH_BLOCK] //= unit
    span = int(key.max()) + 1
    if (int(path.max()) + 1) * span >= 2**62:
        first = np.argsort(key, kind="stable")
        order = first[np.argsort(path[first], kind="stable")]
        return order, path[order], ts[order]
    for a in blocks:
        key[a : a + _TOUCH_BLOCK] += path[a : a + _TOUCH_BLOCK].astype(np.int64) * span
    order, sorted_key = _bucketed_argsort(key)
    order = _stable_ties(order, sorted_key)
    path_sorted = key if path.dtype == np.int64 else np.empty(n, dtype=path.dtype)  # the key is spent
    del key
    for a in blocks:  # the sorted times overwrite the sorted key
        q, r = np.divmod(sorted_key[a : a + _TOUCH_BLOCK], span)
        path_sorted[a : a + _TOUCH_BLOCK] = q
        r *= unit
        r += t0
        sorted_key[a : a + _TOUCH_BLOCK] = r
    return order, path_sorted, sorted_key


_SORT_BUCKET = 1 << 13


def _bucketed_argsort(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """An argsort of non-negative int64 ``key`` (unstable within equal keys) and the sorted key, in cache-sized pieces.

    One argsort of millions of keys jumps around the whole array: past the CPU cache every
    step is a miss, and the time grows faster than the data. Here the rows are first
    bucketed by the key's top bits (a stable counting sort of a uint16: linear), then each
    bucket of about 8k rows is sorted on its own, in cache, half of the buckets on a second
    thread (numpy sorts without the GIL). Buckets are ranges of the key, so the buckets in
    turn give the full order: on one core about 2.5x faster than ``np.argsort`` at 3M rows,
    3x at 9M.

    Examples
    --------
    >>> key = np.array([7, 3, 2**40, 0, 3])
    >>> order, sorted_key = _bucketed_argsort(key)
    >>> key[order].tolist() == sorted_key.tolist() == [0, 3, 3, 7, 2**40]
    True
    """
    n = len(key)
    if n <= 2 * _SORT_BUCKET:
        order = np.argsort(key)
        return order, key[order]
    bits = int(key.max()).bit_length()
    nb = min(16, int(np.ceil(np.log2(n / _SORT_BUCKET))))
    bucket = (key >> max(bits - nb, 0)).astype(np.uint16)
    rows = np.argsort(bucket, kind="stable")  # radix sort for 16-bit keys
    bounds = np.concatenate([[0], np.cumsum(np.bincount(bucket, minlength=1 << nb))])
    del bucket
    sorted_key = key[rows]

    def sort_buckets(j0: int, j1: int) -> None:  # each bucket in place: no third array of the data's size
        for a, z in zip(bounds[j0:j1].tolist(), bounds[j0 + 1 : j1 + 1].tolist(), strict=True):
            if z - a > 1:
                o = np.argsort(sorted_key[a:z])
                rows[a:z] = rows[a:z][o]
                sorted_key[a:z] = sorted_key[a:z][o]

    mid = int(np.searchsorted(bounds, n // 2))  # about half of the rows each
    with ThreadPoolExecutor(1) as pool:
        other = pool.submit(sort_buckets, mid, len(bounds) - 1)
        sort_buckets(0, mid)
        other.result()
    return rows, sorted_key


def _stable_ties(order: np.ndarray, sorted_key: np.ndarray) -> np.ndarray:
    """``order`` (an unstable argsort of a key) with every run of equal keys in ascending row order, in place.

    Examples
    --------
    >>> _stable_ties(np.array([2, 0, 1, 3]), np.array([5, 5, 7, 9])).tolist()
    [0, 2, 1, 3]
    """
    tie = np.zeros(len(order), dtype=bool)
    same = sorted_key[1:] == sorted_key[:-1]
    tie[1:] |= same
    tie[:-1] |= same
    if not tie.any():
        return order
    at = np.flatnonzero(tie)
    # Sorting the tied rows by (key, row) is small: ties are rows of one path at one instant.
    fixed = at[np.lexsort((order[at], sorted_key[at]))]
    order[at] = order[fixed]  # in place: the right side is gathered first
    return order


# --- models ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttributionModel:
    """Base: ``credit(paths)`` returns per-channel (conversions, revenue) arrays."""

    name: str
    description: str

    def weights(self, paths: Paths, params: dict) -> np.ndarray:
        raise NotImplementedError

    def credit(self, paths: Paths, params: dict) -> tuple[np.ndarray, np.ndarray, dict]:
        # Rule-based credit only concerns converting paths: work on those touches alone.
        sub = paths.converting()
        if "_value" not in sub.stats:
            sub.stats["_value"] = sub.value[sub.path]
        w = self.weights(sub, params)
        k = len(sub.channels)
        c = np.bincount(sub.ch, weights=w, minlength=k)
        r = np.bincount(sub.ch, weights=w * sub.stats["_value"], minlength=k)
        return c, r, {}


def _positions(paths: Paths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per touch: position in its path, path length, path start index (computed once per Paths)."""
    if "_positions" in paths.stats:
        return paths.stats["_positions"]
    paths.stats["_positions"] = out = _compute_positions(paths)
    return out


def _compute_positions(paths: Paths) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    path = paths.path
    n = np.bincount(path, minlength=paths.n_paths)
    starts = np.concatenate([[0], np.cumsum(n)[:-1]])
    pos = np.arange(len(path)) - starts[path]
    return pos, n[path], starts


@dataclass(frozen=True)
class PositionModel(AttributionModel):
    """Shares for key touches (``first``, ``lead``, ``opportunity``, ``last``) plus a share for the rest."""

    roles: tuple[tuple[str, float], ...] = ()
    rest: float = 0.0

    def weights(self, paths: Paths, params: dict) -> np.ndarray:
        pos, n, _ = _positions(paths)
        if not self.roles:
            return 1.0 / n
        path = paths.path
        role_idx = {"first": np.zeros_like(pos), "last": n - 1}
        if any(r in ("lead", "opportunity") for r, _ in self.roles):
            if "_roles" not in paths.stats:
                roles = {}
                for role, cut in (("lead", paths.lead_cut), ("opportunity", paths.opp_cut)):
                    before = np.bincount(path, weights=paths.ts < cut.at(path, paths.ts), minlength=paths.n_paths)
                    k = before.astype(np.int64)[path]
                    roles[role] = np.maximum(np.minimum(k, n) - 1, 0)
                paths.stats["_roles"] = roles
            role_idx.update(paths.stats["_roles"])
        key_w = np.zeros(len(pos))
        is_key = np.zeros(len(pos), dtype=bool)
        for role, share in self.roles:
            hit = pos == role_idx[role]
            key_w += share * hit
            is_key |= hit
        n_key = np.bincount(path, weights=is_key.astype(np.float64), minlength=paths.n_paths)[path]
        n_rest = n - n_key
        key_total = sum(s for _, s in self.roles)
        with np.errstate(divide="ignore", invalid="ignore"):
            w = np.where(
                n_rest > 0,
                np.where(is_key, key_w, self.rest / np.maximum(n_rest, 1)),
                key_w / key_total,
            )
        return w


@dataclass(frozen=True)
class TimeDecayModel(AttributionModel):
    """Weight halves every ``half_life_days`` before the conversion."""

    def weights(self, paths: Paths, params: dict) -> np.ndarray:
        half = float(params.get("half_life_days", 7.0))
        if not half > 0:
            raise KpikitError("half-life must be positive", column="half_life_days", found=repr(half), fix="e.g. 7")
        path = paths.path
        # Age relative to the path's last touch: same shape as to the conversion, no overflow.
        # Shifting every age of a path by a constant cancels in the normalisation.
        last = np.zeros(paths.n_paths, dtype=np.int64)
        n = np.bincount(path, minlength=paths.n_paths)
        ends = np.cumsum(n) - 1
        has = n > 0
        last[has] = paths.ts[ends[has]]
        age_days = (last[path] - paths.ts) / _DAY_US
        raw = np.exp2(-age_days / half)
        tot = np.bincount(path, weights=raw, minlength=paths.n_paths)
        return raw / tot[path]


@dataclass(frozen=True)
class MarkovModel(AttributionModel):
    """First-order Markov chain removal effect over every path (converting or not)."""

    def credit(self, paths: Paths, params: dict) -> tuple[np.ndarray, np.ndarray, dict]:
        k = len(paths.channels)
        size = k + 3
        path = paths.path
        ch = paths.ch
        m = int(paths.stats.get("touches_used", len(path)))
        if m == 0:
            return np.zeros(k), np.zeros(k), {"p_conversion": None}
        counts = paths.stats.get("markov_counts")  # the out-of-core builder counted them in SQL
        if counts is None:
            counts = _transition_counts(path, ch, paths.converts, k).reshape(size, size).astype(np.float64)
        p_full = _absorb(counts, k, removed=None)
        effects = np.array([1.0 - _absorb(counts, k, removed=i) / p_full if p_full > 0 else 0.0 for i in range(k)])
        effects = np.clip(effects, 0.0, None)
        touched_conv = paths.converts & (np.bincount(path, minlength=paths.n_paths) > 0)
        n_conv = float(touched_conv.sum())
        rev = float(paths.value[touched_conv].sum())
        total = effects.sum()
        share = effects / total if total > 0 else np.zeros(k)
        info = {
            "p_conversion": p_full,
            "removal_effects": dict(zip(paths.channels, effects.tolist(), strict=True)),
            "converting_paths": int(n_conv),
            "reliable": bool(n_conv >= MIN_MARKOV_CONVERSIONS),
        }
        return share * n_conv, share * rev, info


_COUNT_BLOCK = 1 << 20


def _transition_counts(path: np.ndarray, ch: np.ndarray, converts: np.ndarray, k: int) -> np.ndarray:
    """Flat ``(k + 3) ** 2`` counts of start -> channel, channel -> next channel, conversion or null.

    Counted a block of touches at a time: the temporaries stay small and are reused instead of
    paging in fresh memory (several arrays of 8 bytes a touch) at every step of a large model.

    Examples
    --------
    >>> _transition_counts(np.array([0, 0, 1]), np.array([0, 1, 1]), np.array([True, False]), 2).reshape(5, 5)[
    ...     [2, 0, 1, 1, 2], [0, 1, 3, 4, 1]].tolist()
    [1, 1, 1, 1, 1]
    """
    start, conv_s, null_s = k, k + 1, k + 2
    size = k + 3
    m = len(path)
    counts = np.zeros(size * size, dtype=np.int64)
    for a in range(0, m, _COUNT_BLOCK):
        b = min(a + _COUNT_BLOCK, m)
        p, c = path[a:b], ch[a:b].astype(np.int64)  # narrow codes: c * size must not overflow
        p_next, c_next = path[a + 1 : b + 1], ch[a + 1 : b + 1]  # one touch past the block, if any
        first = np.ones(b - a, dtype=bool)
        first[1:] = p[1:] != p[:-1]
        if a > 0:
            first[0] = path[a] != path[a - 1]
        last = np.ones(b - a, dtype=bool)
        last[: len(p_next)] = p_next != p[: len(p_next)]
        nxt = np.empty(b - a, dtype=np.int64)
        nxt[: len(c_next)] = c_next
        nxt = np.where(last, np.where(converts[p], conv_s, null_s), nxt)
        counts += np.bincount(start * size + c[first], minlength=size * size)
        counts += np.bincount(c * size + nxt, minlength=size * size)
    return counts


def _absorb(counts: np.ndarray, k: int, removed: int | None) -> float:
    """Probability of reaching ``conversion`` from ``start`` (transient states: channels + start)."""
    c = counts.copy()
    if removed is not None:
        # Every visit to the removed channel ends the path without conversion.
        c[removed, :] = 0.0
        c[removed, k + 2] = 1.0
    rows = c.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        probs = np.where(rows > 0, c / rows, 0.0)
    transient = list(range(k + 1))
    q = probs[np.ix_(transient, transient)]
    r = probs[transient, k + 1]
    # States never left (no outgoing transitions) absorb into null: rows are 0, fine for I - Q.
    x = np.linalg.solve(np.eye(k + 1) - q, r)
    return float(x[k])


#: Attribution models by name (registry: add one with ``ATTRIBUTION_MODELS[name] = model``).
ATTRIBUTION_MODELS: dict[str, AttributionModel] = {
    m.name: m
    for m in (
        PositionModel("first", "all credit to the first touch", roles=(("first", 1.0),)),
        PositionModel("last", "all credit to the last touch before conversion", roles=(("last", 1.0),)),
        PositionModel("linear", "equal credit to every touch"),
        TimeDecayModel("time_decay", "credit halves every half-life (days) before conversion"),
        PositionModel("u_shaped", "40% first, 40% last, 20% the rest", roles=(("first", 0.4), ("last", 0.4)), rest=0.2),
        PositionModel(
            "w_shaped",
            "30% first, 30% lead creation, 30% opportunity creation, 10% the rest",
            roles=(("first", 0.3), ("lead", 0.3), ("opportunity", 0.3)),
            rest=0.1,
        ),
        PositionModel(
            "full_path",
            "22.5% each to first, lead creation, opportunity creation and closing touch, 10% the rest",
            roles=(("first", 0.225), ("lead", 0.225), ("opportunity", 0.225), ("last", 0.225)),
            rest=0.1,
        ),
        MarkovModel("markov", "data-driven: Markov-chain removal effect of each channel"),
    )
}


@dataclass(frozen=True, eq=False, kw_only=True)
class AttributionResult(Result):
    """``frame``: one row per channel, one column of conversion credit per model.

    ``credits``: long table (model, channel, conversions, revenue, share);
    ``totals``: conversions and revenue every model's credits add up to.
    """

    view = "attribution"
    title = "Channel credit by attribution model"

    models: tuple[str, ...]
    credits: pd.DataFrame
    totals: dict[str, Any]
    markov: dict[str, Any]

    def _extra(self) -> dict[str, Any]:
        by_model: dict[str, Any] = {}
        for row in records(self.credits):
            by_model.setdefault(row["model"], {})[row["channel"]] = {
                "conversions": row["conversions"],
                "revenue": row["revenue"],
            }
        return {"models": list(self.models), "credits": by_model, "totals": self.totals, "markov": self.markov}

    def revenue_frame(self) -> pd.DataFrame:
        """One row per channel, one column of revenue credit per model."""
        return self.credits.pivot(index="channel", columns="model", values="revenue")[list(self.models)].reset_index()

    def chart(self):
        from kpikit import charts

        return charts.attribution_chart(self.credits)


def attribution(model, models=None, half_life_days: float = 7.0, *, outcome: str | None = None) -> AttributionResult:
    """Credit for conversions and revenue by channel under every attribution model, side by side.

    Parameters
    ----------
    model : ClientModel
    models : list of str, optional
        Keys of :data:`ATTRIBUTION_MODELS`; default all of them.
    half_life_days : float
        Half-life of the ``time_decay`` model.
    outcome : str, optional
        Contact stage that counts as a conversion; default the config's real
        outcome (``won`` when that is ``key_account``).

    Returns
    -------
    AttributionResult

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> contacts = conform("contacts", pd.DataFrame({"contact_key": ["a", "b"],
    ...     "created_date": pd.to_datetime(["2024-01-05", "2024-01-05"]),
    ...     "opportunity_date": pd.to_datetime(["2024-01-20", None])}))
    >>> tp = conform("touchpoints", pd.DataFrame({"contact_key": ["a", "a", "a", "b"],
    ...     "timestamp": pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-19", "2024-01-02"]),
    ...     "channel": ["paid_social", "paid_search", "email", "paid_social"]}))
    >>> r = attribution(ClientModel(contacts=contacts, touchpoints=tp), models=["first", "last", "u_shaped"])
    >>> r.to_frame()
           channel  first  last  u_shaped
    0        email    0.0   1.0       0.4
    1  paid_search    0.0   0.0       0.2
    2  paid_social    1.0   0.0       0.4
    >>> r.totals["conversions"]
    1
    """
    names = list(ATTRIBUTION_MODELS) if models is None else [models] if isinstance(models, str) else list(models)
    bad = [m for m in names if m not in ATTRIBUTION_MODELS]
    if bad:
        raise OptionError("models", bad[0], ATTRIBUTION_MODELS, what="attribution model")
    p = prepare(model)
    paths = build_paths(model, outcome)
    channels = [*paths.channels, NO_TOUCH]
    params = {"half_life_days": half_life_days}
    rows = []
    markov_info: dict[str, Any] = {}
    total_rev_cents = round(paths.revenue, 2)
    for name in names:
        conv, rev, info = ATTRIBUTION_MODELS[name].credit(paths, params)
        conv = np.append(conv, paths.no_touch_conversions)
        rev = np.append(rev, paths.no_touch_revenue)
        if name == "markov":
            markov_info = info
            # Markov credits need at least one converting path with touches; otherwise give none.
            missing = paths.conversions - conv.sum()
            if abs(missing) > 1e-9 * max(1, paths.conversions):
                conv[-1] += missing
                rev[-1] += paths.revenue - rev.sum()
        rev = largest_remainder(rev, total_rev_cents)
        for ch, cv, rv in zip(channels, conv, rev, strict=True):
            rows.append({"model": name, "channel": ch, "conversions": float(cv), "revenue": float(rv)})
    credits = pd.DataFrame(rows, columns=["model", "channel", "conversions", "revenue"])
    unused = credits.groupby("channel")[["conversions", "revenue"]].transform(lambda s: (s.abs() < 1e-12).all())
    credits = credits[~((credits["channel"] == NO_TOUCH) & unused["conversions"] & unused["revenue"])]
    tot = max(paths.conversions, 1)
    credits["share"] = credits["conversions"] / tot if paths.conversions else np.nan
    credits = credits.reset_index(drop=True)
    # What the export cannot say is not measured, never credited as 0 (after the empty-row filter above).
    no_revenue = p.unmeasured.get("contact_revenue")
    no_outcome = p.unmeasured.get(f"contact_{paths.stats['outcome']}")
    if no_revenue or no_outcome:
        credits["revenue"] = np.nan
    if no_outcome:
        credits[["conversions", "share"]] = np.nan
    frame = credits.pivot(index="channel", columns="model", values="conversions")
    frame = frame.reindex(columns=names).reset_index().rename_axis(columns=None)
    notes = list(p.notes)
    if "markov" in names and not markov_info.get("reliable", False):
        notes.append(
            f"Only {markov_info.get('converting_paths', 0)} converting paths: too few for the data-driven "
            f"Markov model (need {MIN_MARKOV_CONVERSIONS}); read its credits as indicative only."
        )
    if paths.no_touch_conversions:
        notes.append(f"{paths.no_touch_conversions:,} conversion(s) had no touchpoint before them: '{NO_TOUCH}'.")
    if paths.orphan_touches:
        notes.append(f"{paths.orphan_touches:,} touchpoint(s) have no contact key and were not used.")
    if paths.after_conversion:
        notes.append(f"{paths.after_conversion:,} touchpoint(s) came after their contact converted: not credited.")
    notes += [f"{why[0].upper()}{why[1:]}." for why in dict.fromkeys((no_outcome, no_revenue)) if why]
    totals = {
        "outcome": paths.stats["outcome"],
        "conversions": None if no_outcome else paths.conversions,
        "revenue": None if no_revenue or no_outcome else total_rev_cents,
        "paths": paths.n_paths,
        "touchpoints_used": int(paths.stats.get("touches_used", len(paths.path))),
        "touchpoints_after_conversion": paths.after_conversion,
        "touchpoints_without_contact": paths.orphan_touches,
        "conversions_without_touchpoint": paths.no_touch_conversions,
        "half_life_days": half_life_days,
    }
    return AttributionResult(
        frame=frame,
        currency=p.currency,
        models=tuple(names),
        credits=credits,
        totals=json_safe(totals),
        markov=json_safe(markov_info),
        notes=tuple(notes),
    )
