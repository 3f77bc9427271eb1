"""Meta (Facebook / Instagram) Ads Manager exports.

UTF-8 with BOM; ``Reporting starts`` / ``Reporting ends`` columns; the currency
sits inside the spend header (``Amount spent (USD)``). ``Link clicks`` feeds
``clicks`` (what CTR uses); ``Clicks (all)`` also counts likes, shares and
expands and goes to ``clicks_all``. ``Results`` are the platform's
self-attributed conversions of whatever ``Result indicator`` names.
Ads Manager leaves a metric cell blank when it is zero (a day with no
delivery), so blank counts and spend load as 0.
"""

from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.ingest.formats.base import Format, ReadOptions, register_format

_ZERO_WHEN_BLANK = ("impressions", "clicks", "clicks_all", "engagements", "cost", "platform_conversions")


_CONVERSION = r"lead|conversion|purchase|complete_registration|submit_application|contact"


def blank_is_zero(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Meta writes nothing for a zero metric: fill those blanks with 0.

    ``Results`` count whatever the campaign optimises for; only results whose
    indicator is a lead or conversion are ``platform_conversions`` (likes and
    post engagements are not).
    """
    frame = frame.assign(**{c: frame[c].fillna(0) for c in _ZERO_WHEN_BLANK if c in frame})
    if "_result_indicator" in frame and "platform_conversions" in frame:
        ind = frame["_result_indicator"].fillna("").str.lower()
        is_conv = ind.str.contains(_CONVERSION, regex=True) | (ind == "")
        frame = frame.assign(platform_conversions=frame["platform_conversions"].where(is_conv.astype(bool)))
    return frame


META = register_format(
    Format(
        name="meta",
        table="spend",
        detect=("Reporting starts", "Reporting ends", r"re:Amount spent \(([A-Z]{3})\)"),
        columns={
            "date": ("Day", "Reporting starts"),
            "account": ("Account name",),
            "campaign": ("Campaign name",),
            "ad_group": ("Ad set name",),
            "impressions": ("Impressions",),
            "clicks": ("Link clicks",),
            "clicks_all": ("Clicks (all)",),
            "engagements": ("Post engagement", "Post engagements", "Page engagement"),
            "cost": (r"re:Amount spent \((?P<currency>[A-Z]{3})\)",),
            "platform_conversions": ("Results",),
            "_result_indicator": ("Result indicator",),
            "reported_leads": ("Leads", "On-Facebook leads"),
        },
        constants={"platform": "meta"},
        read=ReadOptions(thousands=",", date_format="%Y-%m-%d"),
        prepare=blank_is_zero,
        description="Meta Ads Manager export",
    )
)
