"""Build one sample client's ground truth, personal data included.

The frames built here are the single source for both the raw export files
(:mod:`kpikit.samples.writers`) and the normalised :class:`~kpikit.model.ClientModel`
(:func:`kpikit.samples.sample_model`), so the two can never disagree.

Random numbers come from one ``numpy.random.Generator`` per client, seeded from
the client spec and consumed in a fixed order; nothing depends on the clock,
the locale or dict ordering.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from kpikit.samples import _people
from kpikit.samples._clients import CLIENTS, ClientSpec

DAY = np.timedelta64(1, "D")

# platform -> (utm_source, utm_medium, HubSpot original source, Salesforce lead source, touchpoint channel)
_PAID = {
    "google_ads": ("google", "cpc", "Paid Search", "Paid Search", "paid_search"),
    "google_display": ("google", "display", "Paid Search", "Display", "display"),
    "linkedin": ("linkedin", "paid_social", "Paid Social", "LinkedIn", "paid_social"),
    "meta": ("facebook", "paid_social", "Paid Social", "Facebook", "paid_social"),
    "partner_media": ("cfohebdo", "sponsored", "Other Campaigns", "Partner Referral", "sponsored_content"),
}
_PREFIX = {"google_ads": "GA - ", "linkedin": "LI - ", "meta": "FB - ", "partner_media": ""}
# Non-paid origins: (HubSpot source, Salesforce source, channel, utm_source, utm_medium, utm_campaign, weight)
_ORGANIC = (
    ("Organic Search", "Web", "organic_search", None, None, None, 0.34),
    ("Direct Traffic", "Web", "direct", None, None, None, 0.2),
    ("Referrals", "Partner Referral", "referral", None, None, None, 0.12),
    ("Email Marketing", "Email", "email", "newsletter", "email", "Newsletter - Monthly", 0.14),
    ("Offline Sources", "Trade Show", "event", None, None, None, 0.2),
)
# Contacts remember their origin as a code: >= 0 is an ad group's index in the spec, _OLD the
# unmatched campaign, _ORIGIN0 - j the j-th entry of _ORGANIC.
_OLD, _ORIGIN0 = -1, -2
_EVENT = _ORIGIN0 - [o[0] for o in _ORGANIC].index("Offline Sources")
TRADE_SHOW_CAMPAIGN = "Expo Hidráulica México 2026"  # non-ASCII, Windows-1252 in the Salesforce files

HUBSPOT_OPEN_STAGES = (
    "Appointment Scheduled",
    "Qualified To Buy",
    "Presentation Scheduled",
    "Decision Maker Bought-In",
    "Contract Sent",
)
SALESFORCE_OPEN_STAGES = (
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Proposal/Price Quote",
    "Negotiation/Review",
)
SALESFORCE_OPEN_STATUSES = ("Open - Not Contacted", "Working - Contacted")
_PRODUCTS = {
    "lumora": ("Data Platform Enterprise", "Data Platform Team", "Pipeline Add-on"),
    "ironbridge": ("Pump Station Retrofit", "Valve Service Contract", "Centrifugal Pump Order"),
    "harbourline": ("Statutory Audit", "Tax Advisory Retainer", "Transaction Services"),
    "veldmark": ("Endpoint Suite Enterprise", "Managed Detection Retainer", "Incident Response Package"),
}


@dataclass(frozen=True)
class SampleData:
    """Ground truth of one client, with the personal data the raw exports carry.

    ``spend`` has model columns plus ``export`` (file it is written to);
    ``contacts`` and ``deals`` have model columns (without hashes) plus
    ``email``, ``first_name``, ``last_name``, ``phone``, ``job_title``, ``notes``,
    ``owner``, ``record_id``, ``utm_source``; ``touchpoints`` has ``email``.
    """

    spec: ClientSpec
    spend: pd.DataFrame
    contacts: pd.DataFrame
    deals: pd.DataFrame
    touchpoints: pd.DataFrame
    target_accounts: pd.DataFrame


def _weekday(spec: ClientSpec, days: np.ndarray) -> np.ndarray:
    """Monday = 0 for day offsets from the client's period start (1970-01-01 was a Thursday)."""
    return ((spec.start + days).astype("int64") + 3) % 7


def _season(spec: ClientSpec, days: np.ndarray) -> np.ndarray:
    """The demand multiplier of each day offset (its calendar month's entry in ``spec.season``)."""
    month = (spec.start + days).astype("datetime64[M]").astype("int64") % 12
    return np.asarray(spec.season, dtype=float)[month]


def _spend(spec: ClientSpec, rng: np.random.Generator) -> pd.DataFrame:
    parts = []
    for k, ag in enumerate(spec.ad_groups):
        days = np.arange(ag.start, spec.days if ag.end is None else ag.end)
        weekend = _weekday(spec, days) >= 5
        if ag.weekend == 0:
            days, weekend = days[~weekend], weekend[~weekend]
        n = len(days)
        late = np.ones(n) if spec.late_start is None else np.where(days >= spec.late_start, ag.late_budget, 1.0)
        budget = ag.budget * np.where(weekend, ag.weekend, 1.0) * late * rng.lognormal(0.0, 0.18, n)
        cost = np.round(np.maximum(budget, 0.05), 2)
        cpm = ag.cpm * rng.lognormal(0.0, 0.1, n)
        if spec.saturation:  # a bigger day reaches further out in the audience, at a higher price
            cpm = cpm * (cost / ag.budget) ** spec.saturation
        impressions = np.maximum(np.rint(cost / cpm * 1000.0), 1).astype(np.int64)
        ctr = np.clip(ag.ctr * rng.lognormal(0.0, 0.15, n), 0.0, 0.6)
        clicks = rng.binomial(impressions, ctr)
        extra = rng.binomial(impressions, ag.other_clicks)
        engagements = rng.binomial(impressions, ag.engagement_rate)
        lead_rate = ag.lead_rate if spec.season is None else ag.lead_rate * _season(spec, days)
        leads = rng.binomial(clicks, lead_rate)
        if ag.platform == "google_ads":
            conversions = np.round(leads * rng.uniform(0.9, 1.6, n), 2)
        elif ag.platform == "partner_media":
            conversions = np.full(n, np.nan)
        else:  # lead forms count view-through fills too: platforms over-report
            conversions = (leads + rng.poisson(0.35 * leads + 0.02)).astype(float)
        parts.append(
            pd.DataFrame(
                {
                    "_k": k,
                    "_day": days,
                    "date": (spec.start + days).astype("datetime64[us]"),
                    "platform": ag.platform,
                    "campaign": ag.campaign,
                    "ad_group": ag.ad_group,
                    "impressions": impressions,
                    "clicks": clicks,
                    "clicks_all": clicks + extra,
                    "engagements": engagements,
                    "cost": cost,
                    "currency": spec.platform_currency[ag.platform],
                    "platform_conversions": conversions,
                    "_leads": leads,
                }
            )
        )
    spend = pd.concat(parts, ignore_index=True).sort_values(["_day", "_k"], kind="stable", ignore_index=True)
    plat = spend["platform"]
    # Columns a platform's export does not have are missing, not zero.
    spend["clicks_all"] = spend["clicks_all"].astype("Int64").mask(plat.isin(["google_ads", "partner_media"]))
    spend["engagements"] = spend["engagements"].astype("Int64").mask(plat.isin(["google_ads", "partner_media"]))
    spend["account"] = pd.Series(np.where(plat == "linkedin", spec.name, None), dtype="str")
    return spend


def _variant(rng: np.random.Generator, campaign: str, platform: str, n: int) -> np.ndarray:
    """utm_campaign as people type it: mostly exact, some lower case, trailing space or platform prefix."""
    r = rng.random(n)
    out = np.full(n, campaign, dtype=object)
    out[(r >= 0.62) & (r < 0.75)] = campaign.lower()
    out[(r >= 0.75) & (r < 0.86)] = campaign + " "
    prefix = _PREFIX[platform]
    if prefix:
        out[r >= 0.86] = prefix + campaign
    return out


def _people_for(spec: ClientSpec, rng: np.random.Generator, n: int, is_key: np.ndarray, freemail: np.ndarray):
    firsts = _people.FIRST_NAMES if spec.crm != "salesforce" else _people.cp1252_safe(_people.FIRST_NAMES)
    lasts = _people.LAST_NAMES if spec.crm != "salesforce" else _people.cp1252_safe(_people.LAST_NAMES)
    pool = _people.companies(rng, 420, spec.company_tlds)
    ta = spec.target_accounts
    weights = 1.0 / np.arange(1, len(ta) + 1) ** 0.6
    key_idx = rng.choice(len(ta), size=n, p=weights / weights.sum())
    pool_idx = rng.integers(0, len(pool), size=n)
    first_i = rng.integers(0, len(firsts), size=n)
    last_i = rng.integers(0, len(lasts), size=n)
    digits = rng.integers(10, 99, size=n)
    free_domain = np.where(rng.random(n) < 0.75, "gmail.com", "outlook.com")
    has_phone = rng.random(n) < 0.85
    titles = rng.integers(0, len(_people.JOB_TITLES), size=n)
    owners = rng.integers(0, len(spec.owners), size=n)
    seen: set[str] = set()
    rows = []
    for i in range(n):
        first, last = firsts[first_i[i]], lasts[last_i[i]]
        if is_key[i]:
            company, domain = ta[key_idx[i]]
        else:
            company, domain = pool[pool_idx[i]]
        if freemail[i]:
            local = f"{_people.ascii_fold(first)}{_people.ascii_fold(last)}{digits[i]}".replace(" ", "")
            mail_domain = free_domain[i]
        else:
            local = f"{_people.ascii_fold(first)}.{_people.ascii_fold(last)}".replace(" ", "")
            mail_domain = domain
        email, j = f"{local}@{mail_domain}", 2
        while email in seen:
            email, j = f"{local}{j}@{mail_domain}", j + 1
        seen.add(email)
        # Some people type their address in capitals: the hash must not care.
        shown = email.title() if i % 53 == 7 else email
        ph = _people.phone(rng, spec.phone_style) if has_phone[i] else None
        owner = spec.owners[owners[i]]
        rows.append(
            (
                first,
                last,
                shown,
                ph,
                company,
                domain,
                _people.JOB_TITLES[titles[i]],
                owner,
                _people.note(rng, first, last, email, ph or "", owner),
            )
        )
    return pd.DataFrame(
        rows,
        columns=["first_name", "last_name", "email", "phone", "company", "domain", "job_title", "owner", "notes"],
    )


def _contacts(spec: ClientSpec, spend: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    ad_groups = spec.ad_groups
    # Paid leads: one per lead counted on a spend row.
    row = np.repeat(np.arange(len(spend)), spend["_leads"].to_numpy())
    k = spend["_k"].to_numpy()[row]
    n_paid = len(row)
    minutes = rng.integers(7 * 60, 21 * 60, size=n_paid)
    created_paid = spend["date"].to_numpy()[row].astype("datetime64[m]") + minutes.astype("timedelta64[m]")
    paid = pd.DataFrame({"_k": k, "created": created_paid})
    # Leads from an old campaign that the ad exports no longer show.
    n_old = 14
    old_platform, old_campaign = spec.unmatched_utm
    old = pd.DataFrame(
        {
            "_k": _OLD,
            "created": (spec.start + rng.integers(0, 45, n_old)).astype("datetime64[m]")
            + rng.integers(420, 1260, n_old).astype("timedelta64[m]"),
        }
    )
    # Organic, direct, referral, email and event leads.
    n_org = spec.organic_leads
    weights = np.array([o[-1] for o in _ORGANIC])
    origin = rng.choice(len(_ORGANIC), size=n_org, p=weights / weights.sum())
    if spec.season is None:
        org_days = rng.integers(0, spec.days, n_org)
    else:  # organic demand follows the same season as paid demand
        w = _season(spec, np.arange(spec.days))
        org_days = rng.choice(spec.days, size=n_org, p=w / w.sum())
    org = pd.DataFrame(
        {
            "_k": _ORIGIN0 - origin,
            "created": (spec.start + org_days).astype("datetime64[m]")
            + rng.integers(420, 1260, n_org).astype("timedelta64[m]"),
        }
    )
    c = pd.concat([paid, old, org], ignore_index=True)
    c = c.sort_values("created", kind="stable", ignore_index=True)
    n = len(c)
    kk = c["_k"].to_numpy()
    paid_mask = kk >= 0
    kp = np.where(paid_mask, kk, 0)

    def from_ag(attr, default):
        vals = np.array([getattr(ag, attr) for ag in ad_groups], dtype=object)
        return np.where(paid_mask, vals[kp], default)

    key_share = np.where(paid_mask, from_ag("key_share", 0.0).astype(float), 0.0)
    key_share[kk == _EVENT] = 0.12  # events bring the big accounts
    key_share[(kk <= _ORIGIN0) & (kk != _EVENT)] = 0.04
    is_key = rng.random(n) < key_share
    freemail = (~is_key) & (rng.random(n) < 0.12)
    people = _people_for(spec, rng, n, is_key, freemail)

    platform = from_ag("platform", None)
    platform[kk == _OLD] = old_platform
    campaign = from_ag("campaign", None)
    ad_group = from_ag("ad_group", None)
    campaign_type = from_ag("campaign_type", "")
    channel_key = np.where((platform == "google_ads") & (campaign_type == "Display"), "google_display", platform)

    utm_source = np.full(n, None, dtype=object)
    utm_medium = np.full(n, None, dtype=object)
    hs_source = np.full(n, None, dtype=object)
    sf_source = np.full(n, None, dtype=object)
    channel = np.full(n, None, dtype=object)
    for key, (src, med, hs, sf, ch) in _PAID.items():
        m = channel_key == key
        utm_source[m], utm_medium[m], hs_source[m], sf_source[m], channel[m] = src, med, hs, sf, ch
    for j, (hs, sf, ch, src, med, camp, _) in enumerate(_ORGANIC):
        m = kk == _ORIGIN0 - j
        utm_source[m], utm_medium[m], hs_source[m], sf_source[m], channel[m] = src, med, hs, sf, ch
        campaign[m] = camp

    # utm_campaign as typed; the canonical campaign stays in `true_campaign`.
    true_campaign = campaign.copy()
    utm_campaign = campaign.copy()
    for camp_i in sorted({ag.campaign for ag in ad_groups}):
        m = paid_mask & (campaign == camp_i)
        plat = platform[m][0] if m.any() else "google_ads"
        utm_campaign[m] = _variant(rng, camp_i, plat, int(m.sum()))
    for code, camp_i in sorted(spec.campaign_map.items()):
        m = paid_mask & (campaign == camp_i) & (c["created"].to_numpy() < np.datetime64("2026-04-01"))
        utm_campaign[m & (rng.random(n) < 0.3)] = code
    utm_campaign[kk == _OLD] = old_campaign
    true_campaign[kk == _OLD] = old_campaign

    # Funnel: mql -> sql -> opportunity -> won/lost, each with a delay; censored at the export date.
    quality = np.where(paid_mask, from_ag("quality", 0.0).astype(float), 0.3)
    quality[kk == _OLD] = 0.2
    p_mql = np.where(is_key, 0.85, np.where(freemail, 0.3, spec.funnel[0]))
    p_sql = np.where(is_key, 0.8, np.where(freemail, 0.0, spec.funnel[1]))
    q = np.where(is_key, 0.7, quality)
    u = rng.random((n, 4))
    created = c["created"].to_numpy().astype("datetime64[m]")

    def later(start, base_days, mean_days):
        mins = (base_days + rng.exponential(mean_days, n)) * 1440
        return start + mins.astype("int64").astype("timedelta64[m]")

    mql_at = later(created, 0.2, 2.5)
    sql_at = later(mql_at, 1.0, 5.0)
    opp_at = later(sql_at, 2.0, 8.0)
    close_at = later(opp_at, np.where(is_key, 40.0, 20.0), 45.0)
    # Deals close at the end of a working day; the contact becomes a customer then too.
    close_at = close_at.astype("datetime64[D]").astype("datetime64[m]") + np.timedelta64(17 * 60, "m")
    export = spec.export_date.astype("datetime64[m]")
    mql = (u[:, 0] < p_mql) & (mql_at < export)
    sql = mql & (u[:, 1] < p_sql) & (sql_at < export)
    opp = sql & (u[:, 2] < q) & (opp_at < export)
    decided_won = u[:, 3] < np.where(is_key, 0.45, 0.33)
    closed = opp & (close_at < export)
    won = closed & decided_won

    nat = np.datetime64("NaT", "m")
    out = pd.DataFrame(
        {
            "created_date": created,
            "source": np.where(spec.crm == "salesforce", sf_source, hs_source),
            "medium": utm_medium,
            "utm_source": utm_source,
            "campaign": utm_campaign,
            "ad_group": ad_group,
            "lead_date": created,
            "mql_date": np.where(mql, mql_at, nat),
            "sql_date": np.where(sql, sql_at, nat),
            "opportunity_date": np.where(opp, opp_at, nat),
            "won_date": np.where(won, close_at, nat),
        }
    )
    stage = np.select([won, opp, sql, mql], ["won", "opportunity", "sql", "mql"], "lead")
    out.insert(len(out.columns), "lifecycle_stage", stage)
    out = pd.concat([people, out], axis=1)
    out["is_key_account"] = is_key
    out["true_campaign"] = true_campaign
    out["platform"] = platform
    out["channel"] = channel
    out["_closed"] = closed
    out["_close_at"] = close_at
    out["_event"] = kk == _EVENT
    if spec.crm == "salesforce":
        # Salesforce keeps dates only, and the won stage lives on the opportunity.
        for col in ("created_date", "lead_date", "mql_date", "sql_date", "opportunity_date", "won_date"):
            out[col] = out[col].dt.floor("D")
        out["won_date"] = pd.NaT
        out["lifecycle_stage"] = out["lifecycle_stage"].replace({"won": "opportunity"})
        status = np.array(SALESFORCE_OPEN_STATUSES, dtype=object)[rng.integers(0, 2, n)]
        out["lead_status"] = np.select(
            [opp, sql, mql],
            ["Closed - Converted", "Sales Qualified", "Marketing Qualified"],
            status,
        )
        out["record_id"] = [f"00Q8d00000{i:05d}" for i in range(n)]
    else:
        ids = 51_000_000_000 + np.cumsum(rng.integers(1, 40, n)) * 1000 + rng.integers(0, 1000, n)
        out["record_id"] = [str(int(x)) for x in ids]
    for col in ("created_date", "lead_date", "mql_date", "sql_date", "opportunity_date", "won_date"):
        out[col] = out[col].astype("datetime64[us]")
    return out


def _deals(spec: ClientSpec, contacts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    opp = contacts[contacts["opportunity_date"].notna()].sort_values("opportunity_date", kind="stable")
    n = len(opp)
    is_key = opp["is_key_account"].to_numpy()
    amount = np.where(
        is_key,
        np.round(rng.lognormal(np.log(spec.key_deal_median), 0.45, n) / 500) * 500,
        np.round(rng.lognormal(np.log(spec.deal_median), 0.55, n) / 100) * 100,
    )
    products = _PRODUCTS[spec.client]
    product = np.array(products, dtype=object)[rng.integers(0, len(products), n)]
    open_stages = SALESFORCE_OPEN_STAGES if spec.crm == "salesforce" else HUBSPOT_OPEN_STAGES
    open_stage = np.array(open_stages, dtype=object)[rng.integers(0, len(open_stages), n)]
    closed = opp["_closed"].to_numpy()
    won = closed & contacts.loc[opp.index, "won_date"].notna().to_numpy()
    if spec.crm == "salesforce":  # contacts carry no won date there: decide from the same draw
        won = closed & (rng.random(n) < np.where(is_key, 0.45, 0.33))
    stage = np.where(won, "Closed Won", np.where(closed, "Closed Lost", open_stage))
    close = opp["_close_at"].to_numpy().astype("datetime64[m]")
    created = opp["opportunity_date"].to_numpy().astype("datetime64[m]")
    if spec.crm == "salesforce":
        ids = [f"0068d00000{4000 + i:05d}" for i in range(n)]
        campaign = opp["true_campaign"].to_numpy().copy()
        campaign[opp["_event"].to_numpy()] = TRADE_SHOW_CAMPAIGN
        close = close.astype("datetime64[D]").astype("datetime64[m]")
    else:
        ids = [str(int(x)) for x in 18_000_000_000 + np.cumsum(rng.integers(1, 60, n)) * 100 + rng.integers(0, 100, n)]
        campaign = np.full(n, None, dtype=object)
    deals = pd.DataFrame(
        {
            "deal_id": ids,
            "deal_name": [f"{a} - {p}" for a, p in zip(opp["company"], product, strict=True)],
            "account": opp["company"].to_numpy(),
            "account_domain": opp["domain"].to_numpy(),
            "email": opp["email"].to_numpy(),
            "contact_name": (opp["first_name"] + " " + opp["last_name"]).to_numpy(),
            "owner": opp["owner"].to_numpy(),
            "created_date": created.astype("datetime64[us]"),
            "close_date": close.astype("datetime64[us]"),
            "amount": amount.astype(float),
            "currency": spec.currency,
            "stage": stage,
            "is_closed": closed,
            "is_won": won,
            "source": opp["source"].to_numpy(),
            "campaign": campaign,
            "is_key_account": is_key,
        }
    )
    return deals.reset_index(drop=True)


def _touchpoints(spec: ClientSpec, contacts: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    n = len(contacts)
    is_key = contacts["is_key_account"].to_numpy()
    extra = np.where(is_key, rng.binomial(2, 0.4, n), np.minimum(rng.geometric(spec.touch_p, n) - 1, 9) + 1)
    created = contacts["created_date"].to_numpy().astype("datetime64[s]")
    start_ts, export_ts = spec.start.astype("datetime64[s]"), spec.export_date.astype("datetime64[s]")
    # First touch: the lead's own origin, shortly before it converted (never before the period).
    room = (created - start_ts).astype("int64")
    first_ts = created - (rng.random(n) * np.minimum(2 * 86400, room)).astype("int64").astype("timedelta64[s]")
    first = pd.DataFrame(
        {
            "_i": np.arange(n),
            "timestamp": first_ts,
            "channel": contacts["channel"].to_numpy(),
            "campaign": contacts["true_campaign"].to_numpy(),
        }
    )
    # Other touches from 30 days before to 45 days after the conversion, inside the export window.
    idx = np.repeat(np.arange(n), extra)
    m = len(idx)
    lo = -np.minimum(30 * 86400, room[idx])
    hi = np.minimum(45 * 86400, (export_ts - created[idx]).astype("int64") - 1)
    ts = created[idx] + (lo + rng.random(m) * (hi - lo)).astype("int64").astype("timedelta64[s]")
    clean = [ag for ag in spec.ad_groups if ag.lead_rate > 0 and ag.objective == "leads"]
    search = sorted({ag.campaign for ag in clean if ag.platform == "google_ads" and ag.campaign_type == "Search"})
    social = sorted({ag.campaign for ag in clean if ag.platform in ("linkedin", "meta")})
    options = [("paid_search", search), ("paid_social", social), ("email", ["Newsletter - Monthly"])]
    options += [("organic_search", [None]), ("direct", [None])]
    options = [(ch, camps) for ch, camps in options if camps]
    pick = rng.integers(0, len(options), m)
    which = rng.integers(0, 1000, m)
    channel = np.array([options[p][0] for p in pick], dtype=object)
    campaign = np.array([options[p][1][w % len(options[p][1])] for p, w in zip(pick, which, strict=True)], dtype=object)
    later = pd.DataFrame({"_i": idx, "timestamp": ts, "channel": channel, "campaign": campaign})
    tp = pd.concat([first, later], ignore_index=True).sort_values(["timestamp", "_i"], kind="stable", ignore_index=True)
    pages = np.array(["/", "/pricing", "/contact", "/blog/insights", "/case-studies", "/guide", "/webinars"])
    tp["page_url"] = pages[rng.integers(0, len(pages), len(tp))]
    tp["email"] = contacts["email"].to_numpy()[tp["_i"].to_numpy()]
    tp["timestamp"] = tp["timestamp"].astype("datetime64[us]")
    return tp.drop(columns="_i")


@lru_cache(maxsize=8)
def build(client: str) -> SampleData:
    """The ground truth of one sample client (cached; treat frames as read-only)."""
    spec = CLIENTS[client]
    rng = np.random.default_rng(spec.seed)
    spend = _spend(spec, rng)
    contacts = _contacts(spec, spend, rng)
    deals = _deals(spec, contacts, rng)
    touchpoints = _touchpoints(spec, contacts, rng)
    tiers = ["Tier 1" if i < 10 else "Tier 2" for i in range(len(spec.target_accounts))]
    target = pd.DataFrame(
        {
            "account_domain": [d for _, d in spec.target_accounts],
            "account_name": [a for a, _ in spec.target_accounts],
            "tier": tiers,
        },
        dtype="str",
    )
    return SampleData(spec, spend, contacts, deals, touchpoints, target)
