"""Per-model preparation shared by every view, computed once and cached.

Normalises campaign keys, links deals to contacts, derives each contact's
stage dates (monotone: reaching SQL implies having passed MQL), flags key
accounts, and decides whether outcomes come from the CRM tables or from the
per-row ``reported_*`` columns of spend (sources without a CRM).

The cache is keyed by the model object (a weak reference), so a workshop that
recomputes views on the same model pays for this step once.
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpikit.analysis.joins import (
    MapMiss,
    _normalise_unique,
    adgroup_owners,
    map_keys,
    map_misses,
    normalise_names,
)
from kpikit.core.measures import STAGES
from kpikit.core.names import normalise_domains, on_uniques, target_domains
from kpikit.errors import CurrencyError
from kpikit.privacy import key_ints


@dataclass
class Prepared:
    currency: str
    mode: str  # "crm" or "reported"
    real_outcome: str
    stages: tuple[str, ...]
    spend: pd.DataFrame
    contacts: pd.DataFrame
    deals: pd.DataFrame
    campaign_display: dict[str, str]
    campaign_platform: dict[str, str]
    crm_display: dict[str, str]
    adgroup_display: dict[str, str]
    lookup: ContactLookup
    has_amounts: bool  # at least one deal carries an amount (else pipeline/revenue are not measured)
    keycodes: dict[str, list]  # table -> [row codes, normalised key per code] of the campaign column
    has_deals: bool
    has_targets: bool
    data_end: pd.Timestamp | None
    notes: list[str] = field(default_factory=list)
    segment_cache: dict[Any, pd.DataFrame] = field(default_factory=dict)
    # Contact-level figures this CRM export cannot measure -> why (shown as None / NaN, never 0):
    # "contact_opportunity", "contact_won" (which contacts reached it), "contact_revenue" (whose revenue it was).
    unmeasured: dict[str, str] = field(default_factory=dict)
    map_misses: list[MapMiss] = field(default_factory=list)  # campaign_map values that name no campaign


_CACHE: dict[int, tuple[weakref.ref, Prepared]] = {}


def prepare(model) -> Prepared:
    """The cached :class:`Prepared` view of ``model``."""
    key = id(model)
    hit = _CACHE.get(key)
    if hit is not None and hit[0]() is model:
        return hit[1]
    prep = _prepare(model)
    try:
        ref = weakref.ref(model, lambda _r, k=key: _CACHE.pop(k, None))
        _CACHE[key] = (ref, prep)
    except TypeError:  # not weak-referenceable: just don't cache
        pass
    return prep


def check_currency(model) -> str:
    """The single currency of the model's money columns; :class:`CurrencyError` if several."""
    config = getattr(model, "config", None)
    target = getattr(config, "currency", None)
    found: dict[str, str] = {}
    for table, col in (("spend", "currency"), ("deals", "currency")):
        frame = getattr(model, table)
        if col in frame.columns and len(frame):
            for cur in frame[col].dropna().unique().tolist():
                found.setdefault(str(cur), table)
    if len(found) > 1:
        raise CurrencyError(
            "money in more than one currency would be added up",
            column="currency",
            expected=f"one currency ({target})" if target else "one currency",
            found=repr(sorted(found)),
            fix="load the model with kpikit.load_client (it converts with the config's fx_rates), "
            "or convert an in-memory model with kpikit.analysis.to_reporting_currency(model)",
        )
    if found:
        return next(iter(found))
    return target or ""


def _spellings(raw: pd.Series, weight=None, cmap: dict | None = None, codes_out: list | None = None):
    """Normalised (and mapped) key per row, and key -> the raw spelling with the most weight (or rows).

    Works on the distinct raw values only: one factorize of the column, the rest is tiny.
    """
    codes, uniques = pd.factorize(raw, use_na_sentinel=True)
    u = pd.Series(uniques, dtype="str")
    keys_u = map_keys(normalise_names(u), cmap)
    valid = codes >= 0
    w = np.bincount(
        codes[valid], weights=None if weight is None else np.asarray(weight, dtype="float64")[valid],
        minlength=len(u),
    )  # fmt: skip
    keys = pd.Series(pd.array(keys_u, dtype="str").take(codes, allow_fill=True), index=raw.index)
    if codes_out is not None:  # segment labels reuse the codes instead of hashing the keys again
        codes_out.extend([codes, keys_u.tolist()])
    df = pd.DataFrame({"k": keys_u, "r": u.str.strip(), "w": w}).dropna(subset=["k", "r"])
    if df.empty:
        return keys, {}
    g = df.groupby(["k", "r"], sort=True)["w"].sum().reset_index()
    g = g.sort_values(["k", "w"], ascending=[True, False], kind="stable").drop_duplicates("k")
    return keys, dict(zip(g["k"], g["r"], strict=True))


def _top_bits(ints: np.ndarray, bits: int) -> np.ndarray:
    """The top ``bits`` (at most 8) of each uint64, as uint8."""
    if bits == 0:
        return np.zeros(len(ints), dtype=np.uint8)
    return (ints >> np.uint64(64 - bits)).astype(np.uint8)


class _PartitionedIndex:
    """uint64 key -> row, looked up in hash tables small enough to stay in the CPU cache.

    One hash table of millions of keys is probed at random: past a few million keys every
    probe is a cache miss, and the lookup grows faster than the data (4.5x the time for 3x
    the keys). Keys are split by their top bits (uniform for hashed keys) into buckets of
    about 2^16, and each bucket's queries go to that bucket's table only: about 2.5x
    faster at 3M contacts / 9M touchpoints, and the same rows.

    Examples
    --------
    >>> keys = np.array([5, 2**63 + 7, 9], dtype=np.uint64)
    >>> _PartitionedIndex(keys, np.array([10, 11, 12])).rows_of(np.array([9, 2**63 + 7, 4], dtype=np.uint64)).tolist()
    [12, 11, -1]
    """

    _BUCKET = 1 << 16

    def __init__(self, keys: np.ndarray, rows: np.ndarray) -> None:
        self.bits = self.bits_for(len(keys))
        order = np.argsort(self._bucket(keys), kind="stable")  # uint8: a counting sort
        self.keys, self.rows = keys[order], rows[order]
        self.bounds = np.concatenate([[0], np.cumsum(np.bincount(self._bucket(keys), minlength=1 << self.bits))])
        self.tables: dict[int, pd.Index] = {}

    @classmethod
    def bits_for(cls, n: int) -> int:
        """How many top bits pick the bucket for ``n`` keys (buckets of about 2^16, at most 256)."""
        return int(min(8, max(0, np.ceil(np.log2(max(n, 1) / cls._BUCKET)))))

    def _bucket(self, ints: np.ndarray) -> np.ndarray:
        return _top_bits(ints, self.bits)

    @classmethod
    def first_rows(cls, ints: np.ndarray) -> np.ndarray:
        """Whether each row is the first with its integer: ``~pd.Index(ints).duplicated()``, bucket by bucket.

        Equal integers share a bucket and keep their row order in it (the counting sort is
        stable), so the first of each is the same row; each hash table stays cache-sized.

        Examples
        --------
        >>> _PartitionedIndex.first_rows(np.array([7, 2**63, 7, 0, 2**63], dtype=np.uint64)).tolist()
        [True, True, False, True, False]
        """
        bits = cls.bits_for(len(ints))
        if bits == 0:
            return ~pd.Index(ints).duplicated(keep="first")
        bucket = _top_bits(ints, bits)
        order = np.argsort(bucket, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(bucket, minlength=1 << bits))]).tolist()
        sorted_ints = ints[order]
        dup = np.empty(len(ints), dtype=bool)
        for a, z in zip(bounds[:-1], bounds[1:], strict=True):
            dup[a:z] = pd.Index(sorted_ints[a:z]).duplicated(keep="first")
        first = np.empty(len(ints), dtype=bool)
        first[order] = ~dup
        return first

    def rows_of(self, ints: np.ndarray) -> np.ndarray:
        """The row of each key (``-1`` where it is not a key)."""
        qb = self._bucket(ints)
        qorder = np.argsort(qb, kind="stable")
        qbounds = np.concatenate([[0], np.cumsum(np.bincount(qb, minlength=1 << self.bits))])
        sorted_q = ints[qorder]
        out = np.empty(len(ints), dtype=np.int64)  # every query is written once, by its bucket
        for j in range(1 << self.bits):
            k0, k1, q0, q1 = self.bounds[j], self.bounds[j + 1], qbounds[j], qbounds[j + 1]
            if q0 == q1:
                continue
            if k0 == k1:
                out[qorder[q0:q1]] = -1
                continue
            table = self.tables.get(j)
            if table is None:
                table = self.tables[j] = pd.Index(self.keys[k0:k1])
            at = table.get_indexer(sorted_q[q0:q1])
            out[qorder[q0:q1]] = np.where(at >= 0, self.rows[k0:k1][np.maximum(at, 0)], -1)
        return out


_LOOKUP_BLOCK = 1 << 22


class ContactLookup:
    """contact_key -> row position of its first occurrence in contacts.

    Uses integer keys when every key is 16 hex digits (the hashed form), Arrow hashing otherwise.
    """

    def __init__(self, keys: pd.Series) -> None:
        self.n = len(keys)
        self._keys = keys
        self._index = None
        self._ints = key_ints(keys)
        if self._ints is not None:
            ints, valid = self._ints
            # First row of each integer (hashing, no sort); a missing key's 0 still shadows a real
            # all-zero key after it, as the sorted version did.
            self.is_first = _PartitionedIndex.first_rows(ints) & valid
            self.first = np.flatnonzero(self.is_first)
            self._first_keys = ints[self.first]  # unique: looked up by hash
            self._rows = self.first
            self._set = None
        else:
            dup = keys.duplicated().to_numpy() if len(keys) else np.zeros(0, dtype=bool)
            self.is_first = ~dup & keys.notna().to_numpy()
            self.first = np.flatnonzero(self.is_first)
            self._set = pa.array(keys.astype("str").array).take(pa.array(self.first)) if len(keys) else None

    def positions(self, values: pd.Series) -> np.ndarray:
        """Row positions (``-1`` where the key is missing or not a contact)."""
        if self.n == 0 or not len(values):
            return np.full(len(values), -1, dtype=np.int64)
        if self._ints is not None:
            out = self._int_positions(values)
            if out is not None:
                return out
            if self._set is None:  # values are not all hex: fall back to text matching
                self._set = pa.array(self._keys.astype("str").array).take(pa.array(self.first))
        arr = pa.array(values.astype("str").array)
        idx = pc.index_in(arr, value_set=self._set).fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
        return np.where(idx >= 0, self.first[np.maximum(idx, 0)], -1)

    def _int_positions(self, values: pd.Series) -> np.ndarray | None:
        """:meth:`positions` by integer keys, a block of values at a time (None if some value is not hex).

        Only the answer is as long as ``values``: the keys' integers and the lookup's
        temporaries are one block long and reused, where whole-column temporaries (about 40
        bytes a touchpoint) would page in fresh memory at every step of a large model.
        """
        if self._index is None:  # integer hash indexes, built once
            self._index = _PartitionedIndex(self._first_keys, self._rows)
        out = np.empty(len(values), dtype=np.int64)
        for a in range(0, len(values), _LOOKUP_BLOCK):
            got = key_ints(values.iloc[a : a + _LOOKUP_BLOCK])
            if got is None:
                return None
            ints, valid = got
            rows = self._index.rows_of(ints)
            rows[~valid] = -1
            out[a : a + len(rows)] = rows
        return out


def _prepare(model) -> Prepared:
    currency = check_currency(model)
    config = getattr(model, "config", None)
    funnel_cfg = getattr(config, "funnel", None)
    stages = tuple(getattr(funnel_cfg, "stages", ("impressions", "clicks", *STAGES)))
    real_outcome = str(getattr(funnel_cfg, "real_outcome", "opportunity"))
    notes: list[str] = []
    if config is not None and currency and getattr(config, "currency", currency) != currency:
        notes.append(
            f"Money is in {currency}, not the config's reporting currency {config.currency}: figures are in {currency}."
        )

    # Key-account matching is text work in Arrow, which releases the GIL: it runs on a second core
    # while the rest is prepared here.
    pool = ThreadPoolExecutor(1)
    accounts = pool.submit(_key_accounts, model.target_accounts, model.contacts, model.deals)
    pool.shutdown(wait=False)

    # --- spend ---------------------------------------------------------------------
    spend = model.spend
    cost = spend["cost"].astype("float64").fillna(0.0).to_numpy() + 1e-9
    keycodes: dict[str, list] = {"spend": [], "contacts": []}
    skey, campaign_display = _spellings(spend["campaign"], cost, codes_out=keycodes["spend"])
    agkey, adgroup_display = _spellings(spend["ad_group"], cost)
    spend = spend.assign(_ckey=skey, _agkey=agkey)
    plat = pd.DataFrame({"k": skey, "p": spend["platform"], "w": cost}).dropna(subset=["k", "p"])
    if len(plat):
        pg = plat.groupby(["k", "p"])["w"].sum().reset_index().sort_values(["k", "w"], ascending=[True, False])
        pg = pg.drop_duplicates("k")
        campaign_platform = dict(zip(pg["k"], pg["p"], strict=True))
    else:
        campaign_platform = {}

    cmap = getattr(config, "campaign_map", None) or {}

    # --- contacts ------------------------------------------------------------------
    c = model.contacts
    lookup = ContactLookup(c["contact_key"])
    ckey, crm_display = _spellings(c["campaign"], cmap=cmap, codes_out=keycodes["contacts"])
    dates = {}
    dates["lead"] = c["lead_date"].fillna(c["created_date"]).to_numpy()
    for s in ("mql", "sql", "opportunity", "won"):
        dates[s] = c[f"{s}_date"].to_numpy()

    # --- deals ---------------------------------------------------------------------
    d = model.deals
    has_deals = len(d) > 0
    cidx = lookup.positions(d["contact_key"])  # row of the deal's contact, -1 if none
    dkey, deal_display = _spellings(d["campaign"], cmap=cmap)
    for k, v in deal_display.items():
        crm_display.setdefault(k, v)
    ckey, dkey, c_agkey, misses = _adgroup_fallback(
        spend, campaign_display, adgroup_display, cmap, ckey, dkey, keycodes["contacts"], c, notes
    )
    if len(d):
        linked = cidx >= 0
        if len(c):
            # A deal without a campaign inherits its contact's.
            from_contact = pd.Series(pd.array(ckey, dtype="str").take(cidx, allow_fill=True), index=d.index)
            dkey = dkey.fillna(from_contact)
        is_won = d["is_won"].fillna(False).to_numpy(dtype=bool)
        # Deal-derived stage dates per contact (first deal created, first deal won) fill the
        # contact's own opportunity / won dates where the CRM left them empty.
        if linked.any():
            created = d["created_date"].to_numpy()
            closed = d["close_date"].fillna(d["created_date"]).to_numpy()
            for stage, values, mask in (("opportunity", created, linked), ("won", closed, linked & is_won)):
                if not mask.any():
                    continue
                first_date = pd.Series(values[mask]).groupby(cidx[mask]).min()
                at = first_date.index.to_numpy()
                arr = dates[stage].copy()
                arr[at] = np.where(pd.isna(arr[at]), first_date.to_numpy(), arr[at])
                dates[stage] = arr
        deal_period_date = np.where(
            linked,
            c["created_date"].to_numpy()[np.maximum(cidx, 0)] if len(c) else np.datetime64("NaT"),
            d["created_date"].to_numpy(),
        )
    else:
        is_won = np.zeros(0, dtype=bool)
        deal_period_date = d["created_date"].to_numpy()

    # Monotone reached flags: a later stage implies the earlier ones.
    reached = {}
    later = np.zeros(len(c), dtype=bool)
    for s in reversed(STAGES):
        later = later | ~pd.isna(dates[s])
        reached[s] = later.copy()
    reached["lead"] = np.ones(len(c), dtype=bool)

    # --- key accounts --------------------------------------------------------------
    has_targets, c_account, d_account = accounts.result()
    if has_targets and len(d) and len(c):  # a deal without its own account inherits its contact's
        via = pd.Series(pd.array(c_account, dtype="str").take(cidx, allow_fill=True), index=d.index)
        d_account = d_account.fillna(via)

    unmeasured = _unmeasured(c, d, cidx, dates, has_amounts=bool(len(d) and d["amount"].notna().any()))
    contacts = c.assign(
        _ckey=ckey,
        **({} if c_agkey is None else {"_agkey": c_agkey}),
        _account=c_account,
        **{f"_d_{s}": dates[s] for s in STAGES},
        **{f"_r_{s}": reached[s] for s in STAGES},
    )
    deals = d.assign(
        _ckey=dkey,
        _cidx=cidx,
        _won=is_won,
        _amount=d["amount"].astype("float64").fillna(0.0),
        _period_date=pd.to_datetime(deal_period_date) if len(d) else d["created_date"],
        _account=d_account,
    )

    # --- CRM or per-row reported outcomes ------------------------------------------
    reported_cols = ("reported_leads", "reported_outcomes", "reported_revenue")
    has_reported = any(col in spend.columns and spend[col].notna().any() for col in reported_cols)
    mode = "reported" if (len(c) == 0 and len(d) == 0 and has_reported) else "crm"
    if mode == "reported":
        notes.append(
            "No CRM data: leads and real outcomes are the platform's per-row reported figures "
            f"(reported_leads -> lead, reported_outcomes -> {real_outcome})."
        )

    # Open deals carry a *forecast* close date: only closed deals tell how far the data reaches.
    closed = d["is_closed"].fillna(False).astype(bool) | d["is_won"].fillna(False).astype(bool)
    last_close = d["close_date"][closed].max()
    spend_end = spend["date_end"].fillna(spend["date"]).max() if "date_end" in spend else spend["date"].max()
    candidates = (spend_end, c["created_date"].max(), d["created_date"].max(), last_close)
    ends = [x for x in candidates if pd.notna(x)]
    for s in STAGES[1:]:
        m = contacts[f"_d_{s}"].max() if len(contacts) else pd.NaT
        if pd.notna(m):
            ends.append(m)
    data_end = max(ends) if ends else None

    return Prepared(
        currency=currency,
        mode=mode,
        real_outcome=real_outcome,
        stages=stages,
        spend=spend,
        contacts=contacts,
        deals=deals,
        campaign_display=campaign_display,
        campaign_platform=campaign_platform,
        crm_display=crm_display,
        adgroup_display=adgroup_display,
        lookup=lookup,
        keycodes=keycodes,
        has_amounts=bool(len(d) and d["amount"].notna().any()),
        has_deals=has_deals,
        has_targets=has_targets,
        data_end=data_end,
        notes=notes,
        unmeasured=unmeasured,
        map_misses=misses,
    )


def _key_accounts(ta: pd.DataFrame, c: pd.DataFrame, d: pd.DataFrame) -> tuple[bool, pd.Series, pd.Series]:
    """Whether there are target accounts; the target account (normalised domain) of each contact and deal.

    By the row's own domain, else its company / account name; a deal's contact is not looked at here.
    """
    c_account = pd.Series(np.nan, index=c.index, dtype="str")
    d_account = pd.Series(np.nan, index=d.index, dtype="str")
    if not len(ta):
        return False, c_account, d_account
    t_dom = normalise_domains(ta["account_domain"])
    t_name = normalise_names(ta["account_name"])
    dom_set = set(t_dom.dropna())
    name_to_dom = {n: d for n, d in zip(t_name, t_dom, strict=True) if isinstance(n, str) and isinstance(d, str)}

    def by_name(u: pd.Series) -> pd.Series:
        return _normalise_unique(u).map(name_to_dom).astype("str")

    c_account = target_domains(c["company_domain"], dom_set).fillna(on_uniques(c["company"], by_name))
    d_account = target_domains(d["account_domain"], dom_set).fillna(on_uniques(d["account"], by_name))
    return True, c_account, d_account


def _adgroup_fallback(spend, campaign_display, adgroup_display, cmap, ckey, dkey, contact_codes, c, notes):
    """CRM campaign keys that name an ad group, not a campaign, moved to that ad group's campaign.

    A LinkedIn *campaign* is kpikit's ad group, so a ``utm_campaign`` copied from LinkedIn
    names one. Works on distinct keys; the spend rows are only read when some CRM key (or a
    ``campaign_map`` value) is an ad-group name and no campaign name. Returns the contact and
    deal keys, the contacts' ad-group keys (None when nothing matched this way) and the
    ``campaign_map`` values that name nothing; ``contact_codes`` and ``notes`` are updated.
    """
    known = campaign_display.keys()
    targets = normalise_names(pd.Series(list(cmap.values()), dtype="str")).tolist() if cmap else []
    crm = set(contact_codes[1]) | set(dkey.dropna().unique())
    wanted = {k for k in crm | set(targets) if isinstance(k, str) and k not in known and k in adgroup_display}
    owner, several = adgroup_owners(spend["_ckey"], spend["_agkey"], wanted) if wanted else ({}, {})
    misses = map_misses(cmap, campaign_display, owner, several)
    notes += [
        f"{m}: contacts with that campaign are not matched to spend; fix the value in campaign_map." for m in misses
    ]
    c_agkey = None
    hits = {k: v for k, v in owner.items() if k in crm}
    if hits:
        old_ckey = ckey
        codes, keys_u = contact_codes
        contact_codes[1] = [hits.get(k, k) if isinstance(k, str) else k for k in keys_u]
        ckey = pd.Series(pd.array(contact_codes[1], dtype="str").take(codes, allow_fill=True), index=ckey.index)
        n = int(old_ckey.isin(hits).sum()) + int(dkey.isin(hits).sum())
        dkey = dkey.replace(hits)
        # The contact's ad group is the one its campaign named: beside a LinkedIn campaign, the UTM content or
        # term of its own ad_group column is a creative or keyword, not an ad group of that campaign.
        own = normalise_names(c["ad_group"]) if "ad_group" in c else pd.Series(np.nan, index=c.index, dtype="str")
        c_agkey = old_ckey.where(old_ckey.isin(hits)).fillna(own)
        shown = ", ".join(f"{adgroup_display[a]!r} -> {campaign_display[k]!r}" for a, k in list(hits.items())[:3])
        notes.append(
            f"{n:,} CRM record(s) name an ad group, not a campaign, as their campaign (a LinkedIn campaign is "
            f"kpikit's ad group): matched to its campaign ({shown}{', ...' if len(hits) > 3 else ''})."
        )
    for a, cs in several.items():
        if a in crm:
            notes.append(
                f"CRM campaign {adgroup_display[a]!r} names ad groups of {len(cs)} campaigns "
                f"({', '.join(repr(campaign_display[k]) for k in cs)}): not matched; map it in campaign_map."
            )
    return ckey, dkey, c_agkey, misses


def _unmeasured(c: pd.DataFrame, d: pd.DataFrame, cidx: np.ndarray, dates: dict, *, has_amounts: bool) -> dict:
    """Contact-level figures the CRM export cannot measure, with the reason a note gives.

    A deals export that names no contact (a Salesforce opportunities report) cannot say which
    contact won or whose revenue a deal was: those are not measured, which is not the same as 0.
    """
    if not len(c):
        return {}
    out: dict[str, str] = {}
    if not len(d):
        out["contact_revenue"] = "there is no deals export: revenue by channel is not measured"
    elif not (cidx >= 0).any():
        said = {
            "opportunity": "deals are not linked to contacts in this CRM export: which contacts reached an opportunity",
            "won": "won deals are not linked to contacts in this CRM export: which contacts won",
        }
        for stage, what in said.items():
            if pd.isna(dates[stage]).all():  # the contacts carry no date of their own for it
                out[f"contact_{stage}"] = f"{what} is not measured"
        out["contact_revenue"] = (
            "won deals are not linked to contacts in this CRM export: revenue by channel is not measured"
        )
    elif not has_amounts:
        out["contact_revenue"] = "the deals carry no amounts: revenue by channel is not measured"
    return out
