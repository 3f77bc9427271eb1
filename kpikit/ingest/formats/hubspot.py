"""HubSpot contact and deal exports (display-label headers).

Emails become ``contact_key`` + ``company_domain``; first/last names, phone
numbers and notes are never read. Lifecycle labels ("Marketing Qualified
Lead") become model stages ("mql"); deal stages "Closed Won" / "Closed Lost"
set ``is_won`` / ``is_closed``.
"""

from kpikit.ingest.formats._common import deal_flags, lifecycle_label
from kpikit.ingest.formats.base import Format, ReadOptions, register_format

HUBSPOT_CONTACTS = register_format(
    Format(
        name="hubspot_contacts",
        table="contacts",
        detect=("Email", "Create Date", "Lifecycle Stage"),
        columns={
            "email": ("Email",),
            "company": ("Company Name", "Associated Company"),
            "created_date": ("Create Date",),
            "source": ("Original Source", "Original Source Type"),
            "medium": ("UTM Medium", "utm_medium"),
            "campaign": ("UTM Campaign", "utm_campaign", "Original Source Drill-Down 2"),
            "ad_group": ("UTM Content", "utm_content", "UTM Term", "utm_term"),
            "lifecycle_stage": ("Lifecycle Stage",),
            "lead_date": ("Became a Lead Date",),
            "mql_date": ("Became a Marketing Qualified Lead Date",),
            "sql_date": ("Became a Sales Qualified Lead Date",),
            "opportunity_date": ("Became an Opportunity Date",),
            "won_date": ("Became a Customer Date",),
        },
        labels={"lifecycle_stage": lifecycle_label},
        description="HubSpot contacts export",
    )
)

HUBSPOT_DEALS = register_format(
    Format(
        name="hubspot_deals",
        table="deals",
        detect=("Deal Name", "Deal Stage", "Close Date"),
        columns={
            "deal_id": ("Record ID", "Deal ID"),
            "account": ("Associated Company", "Company Name"),
            "account_domain": ("Company Domain Name", "Associated Company Domain"),
            "email": ("Associated Contact Email", "Contact Email"),
            "created_date": ("Create Date",),
            "close_date": ("Close Date",),
            "amount": ("Amount",),
            "currency": ("Currency", "Deal Currency Code"),
            "stage": ("Deal Stage",),
            "source": ("Original Source", "Original Source Type"),
            "campaign": ("UTM Campaign", "utm_campaign", "Campaign"),
        },
        read=ReadOptions(thousands=","),
        prepare=deal_flags,
        description="HubSpot deals export",
    )
)
