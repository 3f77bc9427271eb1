"""Small hand-made client models for the analysis tests; every expected figure is worked out by hand
in the test that uses it (see the comments there)."""

from __future__ import annotations

import pandas as pd

from kpikit.config import ClientConfig
from kpikit.model import ClientModel, conform

XSS = "<img src=x onerror=alert(1)>"


def tiny_model(**config_overrides) -> ClientModel:
    """Three paid campaigns, one unmatched CRM name, one untagged contact, three deals, two target accounts."""
    spend = conform(
        "spend",
        pd.DataFrame(
            {
                "date": pd.to_datetime(["2024-01-01", "2024-01-08", "2024-01-01", "2024-02-05"]),
                "platform": ["linkedin", "linkedin", "meta", "google_ads"],
                "campaign": ["LI - Q3 Launch", "LI - Q3 Launch", "Likes Contest", "Search - Brand"],
                "ad_group": ["CFOs", "CFOs", "Broad", "Exact"],
                "impressions": [10000, 10000, 100000, 5000],
                "clicks": [50, 50, 2000, 250],
                "clicks_all": [120, 100, 9000, None],
                "engagements": [None, None, 5000, None],
                "cost": [500.0, 500.0, 400.0, 1000.0],
                "currency": ["EUR"] * 4,
            }
        ),
    )
    d = pd.to_datetime
    contacts = conform(
        "contacts",
        pd.DataFrame(
            {
                "contact_key": [f"c{i}" for i in range(1, 8)],
                "company_domain": ["bigco.com", "gmail.com", "x.io", "y.io", "www.BigCo.com", "z.io", None],
                "created_date": d(
                    ["2024-01-02", "2024-01-03", "2024-01-09", "2024-01-10", "2024-02-06", "2024-02-07", "2024-02-08"]
                ),
                "campaign": [
                    "q3_launch",
                    "LI-Q3 Launch",
                    "likes contest",
                    "Likes Contest",
                    "search - brand",
                    "newsletter",
                    None,
                ],  # fmt: skip
                "mql_date": d(["2024-01-05", "2024-01-06", None, "2024-01-11", "2024-02-07", "2024-02-08", None]),
                "sql_date": d(["2024-01-10", None, None, None, "2024-02-08", None, None]),
                "opportunity_date": d(["2024-01-20", None, None, None, None, None, None]),
            }
        ),
    )
    deals = conform(
        "deals",
        pd.DataFrame(
            {
                "deal_id": ["d1", "d2", "d3"],
                "account": ["BigCo", "BigCo", "Other Co"],
                "account_domain": ["bigco.com", None, None],
                "contact_key": ["c1", "c5", None],
                "created_date": d(["2024-01-20", "2024-02-15", "2024-02-20"]),
                "close_date": d(["2024-03-01", None, "2024-02-28"]),
                "amount": [10000.0, 5000.0, 2000.0],
                "currency": ["EUR"] * 3,
                "is_won": [True, False, True],
                "campaign": [None, None, "Search - Brand"],
            }
        ),
    )
    targets = conform(
        "target_accounts",
        pd.DataFrame(
            {
                "account_domain": ["bigco.com", "farco.com"],
                "account_name": ["BigCo", "FarCo"],
                "tier": ["tier 1", "tier 2"],
            }
        ),  # fmt: skip
    )
    cfg = {"client": "tiny", "currency": "EUR", "funnel": {"real_outcome": "opportunity"}}
    cfg.update(config_overrides)
    return ClientModel(
        spend=spend, contacts=contacts, deals=deals, target_accounts=targets, config=ClientConfig.from_dict(cfg)
    )
