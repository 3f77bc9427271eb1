"""LinkedIn Campaign Manager campaign performance exports.

Preamble lines (``Campaign Performance Report (in UTC)``, ``Report Start: ...``)
above the header, dates as M/D/YYYY. LinkedIn's *campaign group* is the
budgeted campaign and its *campaign* the targeted unit, so they map to
``campaign`` and ``ad_group``. ``Clicks to Landing Page`` feeds ``clicks`` (what
CTR uses); LinkedIn's ``Clicks`` counts every click and goes to ``clicks_all``.
Engagements are the sum of Reactions, Comments, Shares and Follows when the
export has no total; lead-form ``Leads`` are LinkedIn's self-reported conversions
when there is no ``Conversions`` column.
"""

from kpikit.ingest.formats._common import labelled_start
from kpikit.ingest.formats.base import Format, ReadOptions, register_format

LINKEDIN = register_format(
    Format(
        name="linkedin",
        table="spend",
        detect=("Campaign Name", "Total Spent", "Impressions"),
        columns={
            "date": ("Start Date (in UTC)", "Start Date"),
            "account": ("Account Name",),
            "campaign": ("Campaign Group Name", "Campaign Group"),
            "ad_group": ("Campaign Name",),
            "impressions": ("Impressions",),
            "clicks": ("Clicks to Landing Page", "Landing Page Clicks"),
            "clicks_all": ("Clicks",),
            "engagements": ("Total Engagements", "Social Actions", "{Reactions}+{Comments}+{Shares}+{Follows}"),
            "cost": ("Total Spent",),
            "currency": ("Currency",),
            "platform_conversions": ("Conversions", "Leads"),
            "reported_leads": ("Leads",),
        },
        constants={"platform": "linkedin"},
        read=ReadOptions(thousands=",", date_format="%m/%d/%Y"),
        preamble=labelled_start("Report Start", "%m/%d/%Y"),
        description="LinkedIn Campaign Manager campaign performance export",
    )
)
