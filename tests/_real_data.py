"""Where the real public exports live (``../shared/real_data``, see its PROVENANCE.md).

They are not in the repository (licences unverified). A developer without them
skips those tests; CI (which always has ``../shared``) fails instead, so a
missing folder can never pass as green.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "real_data"


def require_real_data() -> None:
    if REAL.is_dir():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs the shared real data at {REAL}", pytrace=False)
    pytest.skip(f"{REAL} is not beside the repo", allow_module_level=True)


def kag_model():
    """The Kaggle Facebook ads export (KAG_conversion_data.csv) as a spend table: the raw frame and the model."""
    from kpikit.config import ClientConfig
    from kpikit.model import ClientModel, conform

    raw = pd.read_csv(REAL / "KAG_conversion_data.csv", encoding="utf-8-sig")
    spend = conform("spend", pd.DataFrame({
        "date": pd.Timestamp("2017-08-01"), "platform": "facebook", "campaign": raw["xyz_campaign_id"].astype(str),
        "ad_group": raw["fb_campaign_id"].astype(str), "dim_age": raw["age"], "dim_gender": raw["gender"],
        "impressions": raw["Impressions"], "clicks": raw["Clicks"], "cost": raw["Spent"], "currency": "USD",
        "reported_leads": raw["Total_Conversion"], "reported_outcomes": raw["Approved_Conversion"],
    }))  # fmt: skip
    cfg = ClientConfig.from_dict({"client": "kag", "currency": "USD",
                                  "funnel": {"real_outcome": "won", "stages": ["impressions", "clicks", "lead", "won"]}})  # fmt: skip
    return raw, ClientModel(spend=spend, config=cfg)
