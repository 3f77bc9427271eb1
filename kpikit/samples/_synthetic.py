"""Big, fast, fully vectorised models and CRM frames for benchmarks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpikit.config import ClientConfig
from kpikit.model import ClientModel, conform
from kpikit.samples import _people
from kpikit.samples._clients import COMPETITION_CAMPAIGN, LADDER, PERIOD_DAYS, PERIOD_START

_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_MIN = np.timedelta64(1, "m")

# (platform, campaign, ad group, ctr, cpm, lead rate, quality, key share, engagement rate, budget)
_CATALOG = (
    ("google_ads", "Search - Brand", "Brand - Exact", 0.09, 60.0, 0.05, 0.30, 0.03, 0.0, 70.0),
    ("google_ads", "Search - Generic", "Generic - Software", 0.035, 110.0, 0.035, 0.35, 0.03, 0.0, 120.0),
    ("linkedin", "Demand Gen", "Prospecting - Job Titles", 0.0045, 36.0, 0.06, 0.45, 0.05, 0.003, 180.0),
    ("linkedin", "Demand Gen", "Prospecting - Lookalike", 0.006, 30.0, 0.05, 0.40, 0.04, 0.003, 120.0),
    *(
        ("linkedin", "Demand Gen", name, ctr, 55.0, 0.012, 0.06, 0.008, 0.004, b)
        for name, ctr, b in zip(LADDER, (0.026, 0.020, 0.015, 0.011), (25.0, 30.0, 40.0, 50.0), strict=True)
    ),
    ("meta", COMPETITION_CAMPAIGN, "Broad - 25-54", 0.0022, 4.2, 0.003, 0.0, 0.0, 0.2, 210.0),
    ("meta", "Lead Gen - Guide", "Lookalike 1%", 0.011, 11.0, 0.025, 0.2, 0.01, 0.004, 90.0),
)


def _mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser: a bijection on uint64, so distinct inputs give distinct keys."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _hex16(values: np.ndarray) -> np.ndarray:
    nibbles = values.astype(">u8").view(np.uint8).reshape(-1, 8)
    chars = np.empty((len(values), 16), dtype=np.uint8)
    chars[:, 0::2] = _HEX[nibbles >> 4]
    chars[:, 1::2] = _HEX[nibbles & 0x0F]
    return chars.view("S16").ravel().astype("U16")


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' default ``str`` dtype


def _text(codes: np.ndarray, labels) -> pd.Series:
    """Strings from small-vocabulary codes, taken in Arrow (no Python loop); code -1 -> missing."""
    codes = np.asarray(codes)
    idx = pa.array(codes, mask=codes < 0)
    return pd.Series(pc.take(pa.array(list(labels), type=pa.large_string()), idx), dtype=_STR)


def _strs(values: np.ndarray) -> pd.Series:
    return pd.Series(pa.array(values, type=pa.large_string()), dtype=_STR)


def _catalog(n_contacts: int, rng: np.random.Generator) -> pd.DataFrame:
    cat = pd.DataFrame(
        _CATALOG,
        columns=[
            "platform",
            "campaign",
            "ad_group",
            "ctr",
            "cpm",
            "lead_rate",
            "quality",
            "key_share",
            "eng",
            "budget",
        ],
    )
    extra = max(0, n_contacts // 300 - len(cat))  # spend rows grow with the contacts
    if extra:
        more = pd.DataFrame(
            {
                "platform": "linkedin",
                "campaign": "Demand Gen - Segments",
                "ad_group": [f"Prospecting - Segment {i:04d}" for i in range(extra)],
                "ctr": rng.uniform(0.003, 0.02, extra),
                "cpm": rng.uniform(25, 60, extra),
                "lead_rate": rng.uniform(0.01, 0.06, extra),
                "quality": rng.uniform(0.05, 0.45, extra),
                "key_share": rng.uniform(0.0, 0.05, extra),
                "eng": 0.003,
                "budget": rng.uniform(20, 150, extra),
            }
        )
        cat = pd.concat([cat, more], ignore_index=True)
    return cat


def synthetic_model(n_contacts: int, n_touchpoints: int, seed: int = 0) -> ClientModel:
    rng = np.random.default_rng(seed)
    n_contacts, n_touchpoints = int(n_contacts), int(n_touchpoints)
    cat = _catalog(n_contacts, rng)
    n_ag, n_days = len(cat), PERIOD_DAYS

    # Spend: every ad group every day; budgets scaled so paid leads ~ 85% of contacts.
    ag = np.repeat(np.arange(n_ag), n_days)
    day = np.tile(np.arange(n_days), n_ag)
    leads_per_cost = (1000.0 / cat["cpm"] * cat["ctr"] * cat["lead_rate"]).to_numpy()
    scale = 0.85 * max(n_contacts, 1) / (cat["budget"].to_numpy() * leads_per_cost).sum() / n_days
    cost = np.round(cat["budget"].to_numpy()[ag] * scale * rng.lognormal(0, 0.18, len(ag)), 2) + 0.01
    impressions = np.maximum(np.rint(cost / cat["cpm"].to_numpy()[ag] * 1000), 1).astype(np.int64)
    clicks = rng.binomial(impressions, cat["ctr"].to_numpy()[ag])
    clicks_all = clicks + rng.binomial(impressions, 0.002)
    engagements = rng.binomial(impressions, cat["eng"].to_numpy()[ag])
    platforms = sorted(set(cat["platform"]))
    plat_code = np.searchsorted(platforms, cat["platform"].to_numpy())
    camps = list(dict.fromkeys(cat["campaign"]))
    camp_code = np.array([camps.index(c) for c in cat["campaign"]])
    spend = pd.DataFrame(
        {
            "date": (PERIOD_START + day).astype("datetime64[us]"),
            "platform": _text(plat_code[ag], platforms),
            "campaign": _text(camp_code[ag], camps),
            "ad_group": _text(ag, cat["ad_group"]),
            "impressions": impressions,
            "clicks": clicks,
            "clicks_all": clicks_all,
            "engagements": engagements,
            "cost": cost,
            "currency": "EUR",
        }
    )
    weight = clicks * cat["lead_rate"].to_numpy()[ag]
    spend["platform_conversions"] = np.round(weight * 1.2, 2)

    # Contacts: 85% from a spend row (chance proportional to its expected leads), the rest organic.
    n = n_contacts
    n_paid = int(round(0.85 * n))
    row = np.full(n, -1)
    if weight.sum():  # a multinomial draw is far cheaper than choice(p=...) over 600k rows
        row[:n_paid] = np.repeat(np.arange(len(ag)), rng.multinomial(n_paid, weight / weight.sum()))
    rng.shuffle(row)
    paid = row >= 0
    r = np.where(paid, row, 0)
    ag_c = np.where(paid, ag[r], -1)
    day_c = np.where(paid, day[r], rng.integers(0, n_days, n))
    created = (PERIOD_START + day_c).astype("datetime64[m]") + rng.integers(420, 1260, n) * _MIN
    key_share = np.where(paid, cat["key_share"].to_numpy()[np.maximum(ag_c, 0)], 0.04)
    is_key = rng.random(n) < key_share
    freemail = ~is_key & (rng.random(n) < 0.1)
    n_targets = 40
    target_domains = [f"key-account-{i:02d}.example" for i in range(n_targets)]
    pool_j = rng.integers(0, max(n // 4, 1), n)
    key_j = rng.integers(0, n_targets, n)
    # Domains built in Arrow: a million f-strings would dominate the run time.
    ls = pa.large_string()
    digits = pc.utf8_lpad(pc.cast(pa.array(pool_j), ls), 7, "0")
    pool_domain = pc.binary_join_element_wise(
        pa.scalar("company-", ls), digits, pa.scalar(".example", ls), pa.scalar("", ls)
    )
    domain = pc.if_else(
        pa.array(is_key), pc.take(pa.array(target_domains, type=pa.large_string()), pa.array(key_j)), pool_domain
    )
    domain = pc.if_else(pa.array(freemail), pa.scalar("gmail.com", pa.large_string()), domain)
    quality = np.where(paid, cat["quality"].to_numpy()[np.maximum(ag_c, 0)], 0.3)
    p_mql = np.where(is_key, 0.85, np.where(freemail, 0.3, 0.5))
    p_sql = np.where(is_key, 0.8, np.where(freemail, 0.0, 0.5))
    q = np.where(is_key, 0.7, quality)
    u = rng.random((n, 4))
    mql_at = created + ((0.2 + rng.exponential(2.5, n)) * 1440).astype(np.int64) * _MIN
    sql_at = mql_at + ((1.0 + rng.exponential(5.0, n)) * 1440).astype(np.int64) * _MIN
    opp_at = sql_at + ((2.0 + rng.exponential(8.0, n)) * 1440).astype(np.int64) * _MIN
    close_at = opp_at + ((20.0 + rng.exponential(45.0, n)) * 1440).astype(np.int64) * _MIN
    end = (PERIOD_START + n_days + 2).astype("datetime64[m]")
    mql = (u[:, 0] < p_mql) & (mql_at < end)
    sql = mql & (u[:, 1] < p_sql) & (sql_at < end)
    opp = sql & (u[:, 2] < q) & (opp_at < end)
    closed = opp & (close_at < end)
    won = closed & (u[:, 3] < np.where(is_key, 0.45, 0.33))
    nat = np.datetime64("NaT", "m")
    keys = _hex16(_mix64(np.arange(n, dtype=np.uint64) + np.uint64(seed) * np.uint64(1 << 40)))
    stage_code = np.select([won, opp, sql, mql], [4, 3, 2, 1], 0)
    ag_names = cat["ad_group"].tolist()
    contacts = pd.DataFrame(
        {
            "contact_key": _strs(keys),
            "company_domain": pd.Series(domain, dtype=_STR),
            "created_date": created.astype("datetime64[us]"),
            "source": _text(np.where(paid, plat_code[np.maximum(ag_c, 0)], len(platforms)), platforms + ["organic"]),
            "campaign": _text(np.where(paid, camp_code[np.maximum(ag_c, 0)], -1), camps),
            "ad_group": _text(ag_c, ag_names),
            "lifecycle_stage": _text(stage_code, ["lead", "mql", "sql", "opportunity", "won"]),
            "lead_date": created.astype("datetime64[us]"),
            "mql_date": np.where(mql, mql_at, nat).astype("datetime64[us]"),
            "sql_date": np.where(sql, sql_at, nat).astype("datetime64[us]"),
            "opportunity_date": np.where(opp, opp_at, nat).astype("datetime64[us]"),
            "won_date": np.where(won, close_at, nat).astype("datetime64[us]"),
        }
    )

    # Deals: one per opportunity; key accounts bring the big ones.
    d = np.flatnonzero(opp)
    amount = np.where(
        is_key[d],
        np.round(rng.lognormal(np.log(150_000), 0.45, len(d)), -2),
        np.round(rng.lognormal(9.5, 0.55, len(d)), -2),
    )
    deal_stage = np.where(won[d], 1, np.where(closed[d], 2, 0))
    deals = pd.DataFrame(
        {
            "deal_id": _strs(np.char.add("D", np.arange(len(d)).astype("U9"))),
            "account_domain": contacts["company_domain"].take(d).reset_index(drop=True),
            "contact_key": _strs(keys[d]),
            "created_date": opp_at[d].astype("datetime64[us]"),
            "close_date": close_at[d].astype("datetime64[us]"),
            "amount": amount,
            "currency": "EUR",
            "stage": _text(deal_stage, ["Contract Sent", "Closed Won", "Closed Lost"]),
            "is_closed": closed[d],
            "is_won": won[d],
            "campaign": contacts["campaign"].take(d).reset_index(drop=True),
        }
    )

    # Touchpoints: spread over contacts, around each contact's conversion.
    who = rng.integers(0, n, n_touchpoints) if n else np.zeros(0, dtype=np.int64)
    offset = rng.integers(-30 * 1440, 45 * 1440, n_touchpoints) * _MIN
    channels = ["paid_search", "paid_social", "email", "organic_search", "direct"]
    ch = rng.integers(0, len(channels), n_touchpoints)
    own = np.where(paid[who], camp_code[np.maximum(ag_c[who], 0)], -1) if n else who
    camp_tp = np.where(
        ch < 2, np.where(rng.random(n_touchpoints) < 0.6, own, rng.integers(0, len(camps), n_touchpoints)), -1
    )
    touchpoints = pd.DataFrame(
        {
            "contact_key": pd.Series(pc.take(pa.array(contacts["contact_key"].array), pa.array(who)), dtype=_STR),
            "timestamp": (created[who] + offset if n else np.array([], dtype="datetime64[m]")).astype("datetime64[us]"),
            "channel": _text(ch, channels),
            "campaign": _text(camp_tp, camps),
        }
    )
    target = pd.DataFrame(
        {
            "account_domain": target_domains,
            "account_name": [f"Key Account {i:02d}" for i in range(n_targets)],
            "tier": ["Tier 1" if i < 10 else "Tier 2" for i in range(n_targets)],
        }
    )
    config = synthetic_config(seed)
    return ClientModel(
        spend=conform("spend", spend),
        contacts=conform("contacts", contacts),
        deals=conform("deals", deals),
        touchpoints=conform("touchpoints", touchpoints),
        target_accounts=conform("target_accounts", target),
        config=config,
    )


def synthetic_crm_contacts(n: int, seed: int = 0) -> pd.DataFrame:
    """A HubSpot-shaped contacts frame *with fake personal data*, for export benchmarks.

    The frame has what :func:`kpikit.samples.writers.write_hubspot_contacts` needs.
    """
    model = synthetic_model(n, 0, seed=seed)
    c = model.contacts
    rng = np.random.default_rng(seed + 1)
    firsts = np.array(_people.FIRST_NAMES)
    lasts = np.array(_people.LAST_NAMES)
    fi = rng.integers(0, len(firsts), n)
    li = rng.integers(0, len(lasts), n)
    first = pd.Series(firsts[fi], dtype="str")
    last = pd.Series(lasts[li], dtype="str")
    folded_first = pd.Series(np.array([_people.ascii_fold(x) for x in firsts])[fi], dtype="str")
    folded_last = pd.Series(np.array([_people.ascii_fold(x).replace(" ", "") for x in lasts])[li], dtype="str")
    email = folded_first + "." + folded_last + "." + pd.Series(np.arange(n).astype("U9"), dtype="str")
    email = email + "@" + c["company_domain"]
    phone = pd.Series(np.char.add("+49 30 ", rng.integers(1_000_000, 9_999_999, n).astype("U7")), dtype="str")
    return pd.DataFrame(
        {
            "record_id": pd.Series((51_000_000_000 + np.arange(n)).astype("U12"), dtype="str"),
            "first_name": first,
            "last_name": last,
            "email": email,
            "phone": phone,
            "company": c["company_domain"],
            "job_title": _text(rng.integers(0, len(_people.JOB_TITLES), n), _people.JOB_TITLES),
            "owner": "Katrin Vogelsang",
            "lifecycle_stage": c["lifecycle_stage"],
            "created_date": c["created_date"],
            "source": c["source"],
            "utm_source": c["source"],
            "medium": "paid_social",
            "campaign": c["campaign"],
            "ad_group": c["ad_group"],
            "lead_date": c["lead_date"],
            "mql_date": c["mql_date"],
            "sql_date": c["sql_date"],
            "opportunity_date": c["opportunity_date"],
            "won_date": c["won_date"],
            "notes": _text(rng.integers(-1, 3, n), ["Asked for pricing", "Met at the booth", "Call back next week"]),
        }
    )


#: Touchpoints per generated block of :func:`write_synthetic_parquet` (each block its own random stream).
TOUCH_BLOCK = 1 << 20


def synthetic_config(seed: int = 0) -> ClientConfig:
    """The config of the synthetic client of ``seed`` (what :func:`synthetic_model` attaches)."""
    return ClientConfig.from_dict(
        {
            "client": f"synthetic-{seed}",
            "name": "Synthetic Client",
            "currency": "EUR",
            "salt": "synthetic",
            "exports": [],
            "kpis": {"campaign_manager": "ctr", "head_of_digital": "clicks", "cmo": "pipeline"},
        }
    )


def _touch_block(
    b: int, m: int, seed: int, keys: pa.Array, created_us: np.ndarray, own: np.ndarray, camps
) -> pd.DataFrame:
    """Touchpoints of block ``b`` (``m`` rows): drawn like :func:`synthetic_model`'s, from stream (seed, b)."""
    rng = np.random.default_rng([seed, 1, b])
    n = len(created_us)
    who = rng.integers(0, n, m)
    offset_us = rng.integers(-30 * 1440, 45 * 1440, m) * 60_000_000
    channels = ["paid_search", "paid_social", "email", "organic_search", "direct"]
    ch = rng.integers(0, len(channels), m)
    camp_tp = np.where(ch < 2, np.where(rng.random(m) < 0.6, own[who], rng.integers(0, len(camps), m)), -1)
    frame = pd.DataFrame(
        {
            "contact_key": pd.Series(pc.take(keys, pa.array(who)), dtype=_STR),
            "timestamp": (created_us[who] + offset_us).astype("datetime64[us]"),
            "channel": _text(ch, channels),
            "campaign": _text(camp_tp, camps),
        }
    )
    return conform("touchpoints", frame)


def write_synthetic_parquet(folder, n_contacts: int, n_touchpoints: int, seed: int = 0) -> ClientModel:
    """Write a synthetic client as ``<table>.parquet`` files without holding its touchpoints.

    Spend, contacts, deals and target accounts are :func:`synthetic_model`'s (``n_contacts`` in
    memory); the touchpoints are drawn the same way but in blocks of :data:`TOUCH_BLOCK` rows,
    each from its own stream ``(seed, block)``, and appended to ``touchpoints.parquet`` one
    block (row group) at a time, so memory does not grow with ``n_touchpoints``. Same arguments,
    same files. Returns the in-memory part of the model (touchpoints empty).
    """
    import pyarrow.parquet as pq

    from kpikit.model import TABLES, empty_table

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model = synthetic_model(n_contacts, 0, seed=seed)
    for name in TABLES:
        if name != "touchpoints":
            getattr(model, name).to_parquet(folder / f"{name}.parquet")
    c = model.contacts
    camps = list(dict.fromkeys(model.spend["campaign"]))
    own = pd.Categorical(c["campaign"], categories=camps).codes.astype(np.int64)  # missing -> -1
    created_us = c["created_date"].to_numpy().astype("datetime64[us]").astype(np.int64)
    keys = pa.array(c["contact_key"].array)
    schema = pa.Schema.from_pandas(empty_table("touchpoints"), preserve_index=False)
    tmp = folder / "touchpoints.parquet.tmp"
    with pq.ParquetWriter(tmp, schema) as writer:
        for b, start in enumerate(range(0, n_touchpoints, TOUCH_BLOCK)):
            m = min(TOUCH_BLOCK, n_touchpoints - start)
            block = _touch_block(b, m, seed, keys, created_us, own, camps)
            writer.write_table(pa.Table.from_pandas(block, schema=schema, preserve_index=False))
    tmp.replace(folder / "touchpoints.parquet")
    return model
