"""A small hand-made client for the explorer tests (retargeting ladder + prospecting).

Kept beside the tests so they run before, and independently of, the sample generator.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kpikit.config import ClientConfig
from kpikit.model import ClientModel, conform

# audience -> (platform, campaign, CTR, leads per click, opportunity rate per lead)
AUDIENCES = {
    "Retargeting - clicked 7d": ("meta", "Retargeting Social", 0.060, 0.020, 0.05),
    "Retargeting - clicked 14d": ("meta", "Retargeting Social", 0.045, 0.025, 0.08),
    "Retargeting - clicked 30d": ("google_ads", "Retargeting Display", 0.030, 0.030, 0.12),
    "Retargeting - clicked 90d": ("google_ads", "Retargeting Display", 0.020, 0.035, 0.18),
    "Prospecting - IT decision makers": ("linkedin", "Prospecting ABM", 0.008, 0.060, 0.30),
    "Prospecting - Lookalike 1%": ("meta", "Prospecting Lookalike", 0.012, 0.040, 0.20),
}


def make_model(tmp_path=None, weeks: int = 20, seed: int = 7) -> ClientModel:
    """Weekly spend with diminishing returns per platform, contacts per audience and week."""
    rng = np.random.default_rng(seed)
    spend_rows, contact_rows, deal_rows, touch_rows = [], [], [], []
    channel_of = {"meta": "paid_social", "linkedin": "paid_social", "google_ads": "display"}
    start = pd.Timestamp("2024-01-01")  # a Monday
    n = 0
    for w in range(weeks):
        day = start + pd.Timedelta(days=7 * w)
        for aud, (platform, campaign, ctr, lpc, opp) in AUDIENCES.items():
            cost = float(rng.uniform(200, 2_000))
            impressions = int(cost * 40 * (1 - np.exp(-cost / 3_000)) / (cost / 3_000))
            clicks = int(rng.binomial(impressions, ctr))
            leads = int(rng.binomial(clicks, lpc))
            spend_rows.append(
                dict(
                    date=day,
                    platform=platform,
                    campaign=campaign,
                    ad_group=aud,
                    impressions=impressions,
                    clicks=clicks,
                    cost=round(cost, 2),
                    currency="EUR",
                    engagements=int(clicks * 3),
                )
            )
            for _ in range(leads):
                n += 1
                is_opp = rng.random() < opp
                won = is_opp and rng.random() < 0.3
                key = f"{n:016x}"
                contact_rows.append(
                    dict(
                        contact_key=key,
                        company_domain=f"co{n % 40}.example",
                        created_date=day + pd.Timedelta(days=2),
                        campaign=campaign,
                        ad_group=aud,
                        lifecycle_stage="won" if won else "opportunity" if is_opp else "lead",
                        lead_date=day + pd.Timedelta(days=2),
                        mql_date=day + pd.Timedelta(days=3) if (is_opp or rng.random() < 0.3) else pd.NaT,
                        opportunity_date=day + pd.Timedelta(days=9) if is_opp else pd.NaT,
                        won_date=day + pd.Timedelta(days=30) if won else pd.NaT,
                    )
                )
                touch_rows.append(dict(contact_key=key, timestamp=day, channel=channel_of[platform], campaign=campaign))
                if rng.random() < 0.5:
                    touch_rows.append(
                        dict(
                            contact_key=key,
                            timestamp=day + pd.Timedelta(days=5),
                            channel="email",
                            campaign="Newsletter",
                        )
                    )
                if is_opp:
                    deal_rows.append(
                        dict(
                            deal_id=f"D{n}",
                            contact_key=key,
                            created_date=day + pd.Timedelta(days=9),
                            amount=10_000.0,
                            currency="EUR",
                            is_closed=won,
                            is_won=won,
                        )
                    )
    # an organic lead nobody paid for, and a deal without a known contact
    contact_rows.append(
        dict(
            contact_key="organic0000000001",
            created_date=start,
            campaign=None,
            ad_group=None,
            lifecycle_stage="lead",
            lead_date=start,
        )
    )
    deal_rows.append(dict(deal_id="orphan", contact_key="nobody", created_date=start, amount=5_000.0, currency="EUR"))
    spend = pd.DataFrame(spend_rows)
    contacts = pd.DataFrame(contact_rows)
    for c in ("created_date", "lead_date", "mql_date", "opportunity_date", "won_date"):
        contacts[c] = pd.to_datetime(contacts[c]).astype("datetime64[us]")
    spend["date"] = spend["date"].astype("datetime64[us]")
    deals = pd.DataFrame(deal_rows)
    deals["created_date"] = deals["created_date"].astype("datetime64[us]")
    targets = pd.DataFrame({"account_domain": [f"co{i}.example" for i in range(5)]})
    config = ClientConfig.from_dict(
        {"client": "fixture", "currency": "EUR", "fx_rates": {"USD": 0.9}, "kpis": {"campaign_manager": "ctr"}},
        base_dir=tmp_path or ".",
    )
    return ClientModel(
        spend=conform("spend", spend),
        contacts=conform("contacts", contacts),
        deals=conform("deals", deals),
        target_accounts=conform("target_accounts", targets),
        touchpoints=conform("touchpoints", pd.DataFrame(touch_rows).astype({"timestamp": "datetime64[us]"})),
        config=config,
    )
