"""Google Ads campaign / ad group reports downloaded from the UI.

UTF-16 tab-separated or UTF-8 comma CSV; a report title and a date range above
the header; ``Total: ...`` footer rows; ``--`` for empty cells; thousands
separators (``1,033.33``). Without a ``Day`` column every row is dated with the
report's start day from the preamble.
"""

from kpikit.ingest.formats._common import google_date_range
from kpikit.ingest.formats.base import Format, ReadOptions, register_format

GOOGLE_ADS = register_format(
    Format(
        name="google_ads",
        table="spend",
        detect=("Campaign", "Impr.", "Cost"),
        columns={
            "date": ("Day", "Date"),
            "account": ("Account name", "Account", "Customer name"),
            "campaign": ("Campaign",),
            "ad_group": ("Ad group",),
            "impressions": ("Impr.", "Impressions"),
            "clicks": ("Clicks",),
            "engagements": ("Engagements",),
            "cost": ("Cost",),
            "currency": ("Currency code", "Currency"),
            "platform_conversions": ("Conversions",),
        },
        constants={"platform": "google_ads"},
        read=ReadOptions(thousands=",", date_format="%Y-%m-%d", na_values=("--",)),
        footer=("Total:",),
        preamble=google_date_range,
        description="Google Ads campaign / ad group report (UI download)",
    )
)
