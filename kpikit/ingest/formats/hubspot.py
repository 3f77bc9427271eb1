"""HubSpot contact and deal exports (display-label headers).

Emails become ``contact_key`` + ``company_domain``; first/last names, phone
numbers and notes are never read. Lifecycle labels ("Marketing Qualified
Lead") become model stages ("mql"); deal stages "Closed Won" / "Closed Lost"
set ``is_won`` / ``is_closed``.

A deals export names its contacts in ``Associated Contact``, one
``Name (email)`` per contact, ``;`` between them (and their ids in
``Associated Contact IDs``). One contact has several deals and many deals have
none, so a deal is identified by its ``Record ID`` alone; its contact is the
first one named (:func:`associated_contact`). The names are never kept.
"""

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.ingest.formats._common import deal_flags, lifecycle_label, map_labels
from kpikit.ingest.formats.base import Format, ReadOptions, register_format
from kpikit.privacy import pseudonymise

_EMAIL = re.compile(r"[^\s;,()<>\"]+@[^\s;,()<>\"]+")


def first_email(cell: str) -> str | None:
    """The first email in an ``Associated Contact`` cell, or None.

    Examples
    --------
    >>> first_email("Ana Lopez (ana@acme.io);Ben Ng (ben@acme.io)"), first_email("Ana Lopez")
    ('ana@acme.io', None)
    """
    m = _EMAIL.search(cell)
    return m.group(0) if m else None


def associated_contact(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """A deal's contact from ``Associated Contact`` where the export has no contact email column.

    The first email named becomes the deal's ``contact_key`` (hashed with the client's salt,
    as a contacts export's emails are) and fills ``account_domain``; a deal naming several
    contacts is counted in a note. Then :func:`~kpikit.ingest.formats._common.deal_flags`.
    """
    if "_associated_contact" in frame:
        named = frame["_associated_contact"]
        emails = map_labels(named, first_email)
        if emails.notna().any():
            ids = pseudonymise(emails, ctx.get("salt", "kpikit"))
            key = frame["contact_key"] if "contact_key" in frame else pd.Series(pd.NA, index=frame.index, dtype="str")
            domain = frame["account_domain"] if "account_domain" in frame else ids.domains
            frame = frame.assign(contact_key=key.fillna(ids.keys), account_domain=domain.fillna(ids.domains))
        several = int(named.str.count(_EMAIL.pattern).gt(1).sum())
        notes = ctx.get("notes")
        if several and notes is not None:
            notes.append(
                f"{several:,} deal(s) name several contacts in 'Associated Contact': "
                "the first one named is the deal's contact"
            )
    return deal_flags(frame, ctx)


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
            "_associated_contact": ("Associated Contact",),  # "Name (email);Name (email)": see associated_contact
            "created_date": ("Create Date",),
            "close_date": ("Close Date",),
            "amount": ("Amount",),
            "currency": ("Currency", "Deal Currency Code"),
            "stage": ("Deal Stage",),
            "source": ("Original Source", "Original Source Type"),
            "campaign": ("UTM Campaign", "utm_campaign", "Campaign"),
        },
        read=ReadOptions(thousands=","),
        prepare=associated_contact,
        description="HubSpot deals export",
    )
)
