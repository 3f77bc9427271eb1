"""Salesforce report exports (leads, opportunities).

A converted lead's ``Converted Date`` is its opportunity date; without a
lifecycle column the stage is the furthest stage with a date.

Every value quoted; a footer block after the data ("Grand Totals (N records)",
"Confidential Information - Do Not Distribute", "Copyright (c) ...
salesforce.com") that is counted as ``footer`` and never loaded; files saved
from Excel may be Windows-1252. Date order follows the exporting user's
locale, so it is detected from the values; an export whose every date reads
both ways is read in the order client.yaml's ``dates: {order: ...}`` gives,
else in the order the client's other exports show, else refused as ambiguous
(:mod:`kpikit.ingest.dates`).
"""

from kpikit.ingest.formats._common import deal_flags, stages_from_dates
from kpikit.ingest.formats.base import Footer, Format, ReadOptions, register_format

# The report's footer block: the record count (checked against the data rows), the totals line
# below it (a row with every dimension blank), the confidentiality notice and the copyright.
FOOTER = (
    Footer(r"Grand Totals \((?P<records>\d[\d,.\s]*) records?\)"),
    Footer(r"Confidential Information - Do Not Distribute"),
    Footer(r"Copyright (?:\(c\)|©) .*salesforce\.com.*"),
)

SALESFORCE_LEADS = register_format(
    Format(
        name="salesforce_leads",
        table="contacts",
        detect=("Email", "Lead Source", "Created Date"),
        columns={
            "email": ("Email",),
            "company": ("Company / Account", "Company"),
            "created_date": ("Created Date",),
            "lead_date": ("Created Date",),  # a Salesforce lead is a lead from the day it is created
            "source": ("Lead Source",),
            "medium": ("UTM Medium",),
            "campaign": ("UTM Campaign", "Primary Campaign Source", "Campaign Name", "Last Campaign"),
            "ad_group": ("UTM Content", "UTM Term"),
            "lifecycle_stage": ("Lifecycle Stage",),
            "mql_date": ("MQL Date",),
            "sql_date": ("SQL Date",),
            "opportunity_date": ("Converted Date",),
        },
        read=ReadOptions(thousands=","),
        footer=FOOTER,
        prepare=stages_from_dates,
        description="Salesforce leads report",
    )
)

SALESFORCE_OPPORTUNITIES = register_format(
    Format(
        name="salesforce_opportunities",
        table="deals",
        detect=("Opportunity Name", "Stage", "Close Date"),
        columns={
            "deal_id": ("Opportunity ID", "Opportunity ID (18)", "Opportunity Name"),
            "account": ("Account Name",),
            "account_domain": ("Website", "Account Website"),
            "email": ("Contact Email", "Email"),
            "created_date": ("Created Date",),
            "close_date": ("Close Date",),
            "amount": ("Amount",),
            "currency": ("Opportunity Currency", "Amount Currency", "Currency"),
            "stage": ("Stage",),
            "is_won": ("Won",),
            "is_closed": ("Closed",),
            "source": ("Lead Source",),
            "campaign": ("Primary Campaign Source", "Campaign Name"),
        },
        read=ReadOptions(thousands=","),
        footer=FOOTER,
        prepare=deal_flags,
        description="Salesforce opportunities report",
    )
)
