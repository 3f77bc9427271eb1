"""The per-segment aggregate every view is computed from.

:func:`segment_table` sums spend and counts outcomes per segment (platform,
campaign, ad group, period, ``source``/``medium`` or any ``dim_*`` column) in
one pass. Funnel, cost and vanity views are cheap arithmetic on this small
table, so a workshop can build it once and recompute views from it at
interactive speed (:func:`kpikit.analysis.costs.cost_table` takes it directly).

Attribution rules (how an outcome gets a segment):

* **campaign**: the contact's (or deal's) campaign, normalised and mapped
  (:mod:`kpikit.analysis.joins`) onto the ad platform's campaign; CRM names
  that match no spend keep their CRM spelling (cost 0: "outcomes without spend").
* **platform**: the platform that spends most on the matched campaign.
* **period**: cohort basis, the period the lead was created in; a deal uses its
  contact's creation date, or its own creation date when it has no contact.
* Any other dimension: the row's own column; a deal without it inherits its
  contact's value. Empty values become ``"(not set)"``; a literal value such as
  ``"unknown"`` is kept as its own segment (the two kinds of missing differ).

Counts are floats so that a stage the data cannot measure is NaN (missing),
never a misleading 0.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.analysis._prepare import Prepared, prepare
from kpikit.analysis.joins import normalise_names
from kpikit.core.measures import STAGES
from kpikit.core.names import NOT_SET
from kpikit.errors import KpikitError, OptionError

__all__ = ["segment_table", "SEGMENT_MEASURES", "PERIODS", "resolve_by"]

PERIODS = {"D": "day", "W": "week (starting Monday)", "M": "month", "Q": "quarter", "Y": "year"}
_ALIASES = {"day": "D", "week": "W", "month": "M", "quarter": "Q", "year": "Y", "MS": "M", "QS": "Q", "YS": "Y"}

#: Columns of :func:`segment_table` after the segment columns, in order.
SEGMENT_MEASURES: tuple[str, ...] = (
    "impressions",
    "clicks",
    "clicks_all",
    "engagements",
    "cost",
    "lead",
    "mql",
    "sql",
    "opportunity",
    "won",
    "customers",
    "key_account",
    "pipeline",
    "revenue",
)
_CORE_DIMS = ("platform", "campaign", "ad_group", "period", "source", "medium")


def _freq(period: str | None) -> str | None:
    if period is None:
        return None
    f = _ALIASES.get(str(period), str(period)).upper()
    if f not in PERIODS:
        # The aliases are accepted too, so a near miss of "month" is suggested as such.
        raise OptionError("period", period, [*PERIODS, *_ALIASES], fix="use 'W' for weeks or 'M' for months")
    return f


def resolve_by(model, by, period=None) -> tuple[tuple[str, ...], str | None]:
    """Validate ``by`` / ``period`` and return (dimensions, frequency)."""
    if by is None:
        dims: list[str] = []
    elif isinstance(by, str):
        dims = [by]
    else:
        dims = list(by)
    freq = _freq(period)
    if "period" in dims and freq is None:
        freq = "M"
    if freq is not None and "period" not in dims:
        dims.append("period")
    known = set(_CORE_DIMS)
    for t in (model.spend, model.contacts, model.deals):
        known |= {c for c in t.columns if isinstance(c, str) and c.startswith("dim_")}
    bad = [d for d in dims if d not in known]
    if bad:
        raise OptionError(
            "by", bad[0], sorted(known), what="dimension; cannot segment by it",
            fix="pick a listed dimension, or map a dim_<name> column in the column map",
        )  # fmt: skip
    if len(set(dims)) != len(dims):
        raise KpikitError("a dimension is listed twice", column="by", found=repr(dims), fix="list each once")
    return tuple(dims), freq


# --- labels ---------------------------------------------------------------------------


def _from_values(values: pd.Series) -> pd.Categorical:
    s = values.astype("str").str.strip()
    s = s.where(s != "", NOT_SET).fillna(NOT_SET)
    return pd.Categorical(s)


def _from_keys(keys: pd.Series, primary: dict, fallback: dict | None = None, default: str | None = None):
    codes, uniques = pd.factorize(keys, use_na_sentinel=True)
    return _from_codes(codes, list(uniques), primary, fallback, default)


def _from_codes(codes, uniques: list, primary: dict, fallback=None, default=None) -> pd.Categorical:
    """Labels from integer codes into ``uniques`` (-1 or a missing key: not set), without re-hashing rows."""
    fb = fallback or {}
    names = [
        NOT_SET if not isinstance(k, str) else primary.get(k, fb.get(k, k if default is None else default))
        for k in uniques
    ]
    names.append(NOT_SET)
    cats, inv = np.unique(np.asarray(names, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inv[codes], categories=cats)


def period_start(dates, freq: str) -> np.ndarray:
    """First day of the period containing each date (``datetime64[D]``; NaT stays NaT).

    Examples
    --------
    >>> import numpy as np
    >>> period_start(np.array(["2024-01-10", "2024-05-31"], dtype="datetime64[D]"), "Q").tolist()
    [datetime.date(2024, 1, 1), datetime.date(2024, 4, 1)]
    """
    d = np.asarray(dates).astype("datetime64[D]")
    nat = np.isnat(d)
    if freq == "D":
        out = d
    elif freq == "W":
        days = d.astype(np.int64)
        out = (days - (days + 3) % 7).astype("datetime64[D]")  # 1970-01-01 was a Thursday
    elif freq == "M":
        out = d.astype("datetime64[M]").astype("datetime64[D]")
    elif freq == "Q":
        m = d.astype("datetime64[M]").astype(np.int64)
        out = (m - m % 3).astype("datetime64[M]").astype("datetime64[D]")
    else:
        out = d.astype("datetime64[Y]").astype("datetime64[D]")
    return np.where(nat, np.datetime64("NaT"), out).astype("datetime64[D]")


def period_label(start: np.ndarray, freq: str) -> list[str]:
    """Sortable text labels: ``2024-01-15`` (D, W), ``2024-01`` (M), ``2024-Q1``, ``2024``."""
    out = []
    for v in start:
        if np.isnat(v):
            out.append(NOT_SET)
            continue
        iso = str(v)
        if freq in ("D", "W"):
            out.append(iso)
        elif freq == "M":
            out.append(iso[:7])
        elif freq == "Q":
            out.append(f"{iso[:4]}-Q{(int(iso[5:7]) - 1) // 3 + 1}")
        else:
            out.append(iso[:4])
    return out


def _period_start_by_day(dates, freq: str) -> np.ndarray:
    """:func:`period_start`, computed once per calendar day in the data's range and spread back.

    Calendar units (months, years) cost far more per element than days; dates span a few
    hundred days, so a table of those days does the calendar work.
    """
    day = np.asarray(dates).astype("datetime64[D]")
    nat = np.isnat(day)
    if nat.all():
        return period_start(day, freq)
    ints = day.astype(np.int64)
    lo, hi = int(ints[~nat].min()), int(ints[~nat].max())
    if hi - lo >= 1 << 20:
        return period_start(day, freq)
    table = period_start(np.arange(lo, hi + 1).astype("datetime64[D]"), freq)
    out = table[np.where(nat, 0, ints - lo)]
    out[nat] = np.datetime64("NaT")
    return out


def _from_dates(dates, freq: str) -> pd.Categorical:
    start = _period_start_by_day(dates, freq)
    nat = np.isnat(start)
    days = start.astype(np.int64)
    if len(days) and not nat.all():
        # Period starts span few distinct days: count-based uniques, no sort of the whole column.
        lo = int(days[~nat].min())
        rel = np.where(nat, 0, days - lo)
        present = np.bincount(rel[~nat], minlength=int(rel.max()) + 1) > 0
        uniq_days = np.flatnonzero(present)
        pos = np.cumsum(present) - 1
        inv = np.where(nat, len(uniq_days), pos[rel])
        uniq = np.append((uniq_days + lo).astype("datetime64[D]"), np.datetime64("NaT"))
    else:
        uniq, inv = np.unique(start, return_inverse=True)
    labels = period_label(uniq, freq)
    cats, inv2 = np.unique(np.asarray(labels, dtype=object).astype(str), return_inverse=True)
    return pd.Categorical.from_codes(inv2[inv], categories=cats)


def _labels(p: Prepared, table: str, dim: str, freq: str | None, cache: dict) -> pd.Categorical:
    key = (table, dim, freq)
    if key in cache:
        return cache[key]
    frame = {"spend": p.spend, "contacts": p.contacts, "deals": p.deals}[table]
    kc = p.keycodes.get(table) or None
    if dim == "campaign":
        if kc:
            lab = _from_codes(kc[0], kc[1], p.campaign_display, p.crm_display)
        else:
            lab = _from_keys(frame["_ckey"], p.campaign_display, p.crm_display)
    elif dim == "platform":
        if table == "spend":
            lab = _from_values(frame["platform"])
        elif kc:
            lab = _from_codes(kc[0], kc[1], p.campaign_platform, default=NOT_SET)
        else:
            lab = _from_keys(frame["_ckey"], p.campaign_platform, default=NOT_SET)
    elif dim == "period":
        col = {"spend": "date", "contacts": "created_date", "deals": "_period_date"}[table]
        lab = _from_dates(frame[col].to_numpy(), freq or "M")
    elif dim == "ad_group" and table == "deals":
        lab = _via_contact(p, frame, dim, freq, cache)
    elif dim == "ad_group":
        keys = frame["_agkey"] if "_agkey" in frame.columns else normalise_names(frame["ad_group"])
        lab = _from_keys(keys, p.adgroup_display)
    elif table == "deals" and dim in frame.columns and len(p.contacts):
        own = _from_values(frame[dim])
        via = _via_contact(p, frame, dim, freq, cache)
        merged = np.where(np.asarray(own) == NOT_SET, np.asarray(via, dtype=object), np.asarray(own, dtype=object))
        lab = pd.Categorical(merged.astype(str))
    elif dim in frame.columns:
        lab = _from_values(frame[dim])
    elif table == "deals" and len(p.contacts):
        lab = _via_contact(p, frame, dim, freq, cache)
    else:
        lab = pd.Categorical.from_codes(np.zeros(len(frame), dtype=np.int8), categories=[NOT_SET])
    cache[key] = lab
    return lab


def _via_contact(p: Prepared, deals: pd.DataFrame, dim: str, freq, cache) -> pd.Categorical:
    cl = _labels(p, "contacts", dim, freq, cache)
    cidx = deals["_cidx"].to_numpy()
    codes = np.asarray(cl.codes)
    cats = list(cl.categories)
    if NOT_SET not in cats:
        cats.append(NOT_SET)
    ns = cats.index(NOT_SET)
    out = np.where(cidx >= 0, codes[np.maximum(cidx, 0)] if len(codes) else ns, ns)
    return pd.Categorical.from_codes(out, categories=cats)


# --- aggregation ----------------------------------------------------------------------


def _group(frame: pd.DataFrame, labels: dict[str, pd.Categorical], agg: dict) -> pd.DataFrame:
    """Sum / count ``agg`` columns by the label columns (no labels: one total row)."""
    if not labels:
        row = {}
        for name, fn in agg.items():
            v = np.asarray(fn(frame), dtype="float64")
            row[name] = float(np.nansum(v)) if (~np.isnan(v)).any() else np.nan
        return pd.DataFrame([row])
    g = pd.DataFrame({**{k: v for k, v in labels.items()}, **{name: fn(frame) for name, fn in agg.items()}})
    out = g.groupby(list(labels), observed=True, sort=False).sum(min_count=1).reset_index()
    for k in labels:
        out[k] = out[k].astype("str")
    return out


def segment_table(model, by=None, period=None) -> pd.DataFrame:
    """Spend and outcome totals per segment: the aggregate the funnel and cost views use.

    Parameters
    ----------
    model : ClientModel
    by : str or list of str, optional
        Segment columns: ``platform``, ``campaign``, ``ad_group``, ``period``,
        ``source``, ``medium`` or any ``dim_*`` column. None: one total row.
    period : {'D', 'W', 'M', 'Q', 'Y'}, optional
        Adds a ``period`` column (cohort basis for outcomes).

    Returns
    -------
    DataFrame
        Segment columns (text) then :data:`SEGMENT_MEASURES` (floats; NaN where
        the data cannot measure a stage). ``customers`` counts distinct won
        accounts (CAC's denominator), ``key_account`` distinct target accounts
        with at least one contact.

    Examples
    --------
    >>> import pandas as pd
    >>> from kpikit.model import ClientModel, conform
    >>> spend = conform("spend", pd.DataFrame({"date": pd.to_datetime(["2024-01-01", "2024-02-01"]),
    ...     "platform": ["meta", "meta"], "campaign": ["A", "A"], "impressions": [1000, 1000],
    ...     "clicks": [10, 30], "cost": [100.0, 50.0], "currency": ["EUR", "EUR"]}))
    >>> contacts = conform("contacts", pd.DataFrame({"contact_key": ["k1", "k2"], "campaign": ["a", "a"],
    ...     "created_date": pd.to_datetime(["2024-01-05", "2024-02-05"]),
    ...     "mql_date": pd.to_datetime(["2024-01-09", None])}))
    >>> segment_table(ClientModel(spend=spend, contacts=contacts), by="campaign", period="M")[
    ...     ["campaign", "period", "clicks", "cost", "lead", "mql"]]
      campaign   period  clicks   cost  lead  mql
    0        A  2024-01    10.0  100.0   1.0  1.0
    1        A  2024-02    30.0   50.0   1.0  0.0
    """
    dims, freq = resolve_by(model, by, period)
    p = prepare(model)
    ck = (dims, freq)
    hit = p.segment_cache.get(ck)
    if hit is not None:
        return hit.copy()
    cache: dict = {}

    def col(name):
        def f(frame):
            if name not in frame.columns:
                return np.full(len(frame), np.nan)
            return frame[name].to_numpy(dtype="float64", na_value=np.nan)

        return f

    spend_agg = {m: col(m) for m in ("impressions", "clicks", "clicks_all", "engagements", "cost")}
    if p.mode == "reported":
        spend_agg["_rep_leads"] = col("reported_leads")
        spend_agg["_rep_outcomes"] = col("reported_outcomes")
        spend_agg["_rep_revenue"] = col("reported_revenue")
    s = _group(p.spend, {d: _labels(p, "spend", d, freq, cache) for d in dims}, spend_agg)
    # A spend column that is entirely missing stays NaN; otherwise missing cells count as 0.
    for m in ("impressions", "clicks", "cost"):
        s[m] = s[m].fillna(0.0)
    parts = [s]

    if p.mode == "crm":
        cagg = {
            st: (lambda fr, st=st: fr[f"_r_{st}"].to_numpy(dtype="float64"))
            for st in STAGES
            if not (p.has_deals and st in ("opportunity", "won"))
        }
        if not p.has_deals:
            cagg["customers"] = lambda fr: fr["_r_won"].to_numpy(dtype="float64")
        clabels = {d: _labels(p, "contacts", d, freq, cache) for d in dims}
        parts.append(_group(p.contacts, clabels, cagg))
        if p.has_targets:
            acc = p.contacts["_account"]
            has = acc.notna().to_numpy()
            # Rows with an account only, selected before the labels and accounts become Python strings.
            ka = pd.DataFrame({**{k: np.asarray(v[has]) for k, v in clabels.items()}, "_a": acc[has].to_numpy()})
            if dims:
                ka = ka.groupby(list(dims), observed=True, sort=False)["_a"].nunique().rename("key_account")
                ka = ka.reset_index()
                for k in dims:
                    ka[k] = ka[k].astype("str")
            else:
                ka = pd.DataFrame({"key_account": [float(ka["_a"].nunique())]})
            parts.append(ka)
        if p.has_deals:
            dl = p.deals
            won = dl["_won"].to_numpy()
            dagg = {
                "opportunity": lambda fr: np.ones(len(fr)),
                "won": lambda fr: fr["_won"].to_numpy(dtype="float64"),
                "pipeline": lambda fr: fr["_amount"].to_numpy(),
                "revenue": lambda fr: np.where(fr["_won"].to_numpy(), fr["_amount"].to_numpy(), 0.0),
            }
            dlabels = {d: _labels(p, "deals", d, freq, cache) for d in dims}
            parts.append(_group(dl, dlabels, dagg))
            # Customers: distinct won accounts (account domain, else name, else contact, else deal).
            who = dl["_account"].fillna(dl["account_domain"]).fillna(dl["account"]).fillna(dl["contact_key"])
            who = who.fillna(dl["deal_id"]).to_numpy()[won]
            cu = pd.DataFrame({**{k: np.asarray(v[won]) for k, v in dlabels.items()}, "_w": who})
            if dims:
                cu = cu.groupby(list(dims), observed=True, sort=False)["_w"].nunique().rename("customers")
                cu = cu.reset_index()
                for k in dims:
                    cu[k] = cu[k].astype("str")
            else:
                cu = pd.DataFrame({"customers": [float(cu["_w"].nunique())]})
            parts.append(cu)

    if dims:
        out = parts[0]
        for part in parts[1:]:
            out = out.merge(part, on=list(dims), how="outer", sort=False)
    else:
        out = pd.concat(parts, axis=1)

    if p.mode == "reported":
        out["lead"] = out.pop("_rep_leads")
        rev = out.pop("_rep_revenue")
        outc = out.pop("_rep_outcomes")
        if p.real_outcome in STAGES and p.real_outcome != "lead":
            out[p.real_outcome] = outc
        out["revenue"] = rev
    # Outcome columns measured by this model: missing in a segment means 0 there.
    measured = set()
    if p.mode == "crm":
        measured |= set(STAGES) | {"customers"}
        if p.has_targets:
            measured.add("key_account")
        if p.has_deals and p.has_amounts:
            measured |= {"pipeline", "revenue"}
        elif "pipeline" in out.columns:  # deals without amounts: value is not measured, not zero
            out["pipeline"] = np.nan
            out["revenue"] = np.nan
    else:
        measured |= {c for c in ("lead", p.real_outcome, "revenue") if c in out.columns and out[c].notna().any()}
    for m in SEGMENT_MEASURES:
        if m not in out.columns:
            out[m] = np.nan
        out[m] = out[m].astype("float64")
        if m in measured or m in ("impressions", "clicks", "cost"):
            out[m] = out[m].fillna(0.0)
    out = out[[*dims, *SEGMENT_MEASURES]]
    if dims:
        out = out.sort_values(list(dims), kind="stable").reset_index(drop=True)
    p.segment_cache[ck] = out
    return out.copy()
