"""Google Ads campaign / ad group reports downloaded from the UI.

UTF-16 tab-separated or UTF-8 comma CSV; a report title and a date range above
the header; ``Total: ...`` footer rows; ``--`` for empty cells; thousands
separators (``1,033.33``). Without a ``Day`` column every row covers the report's
period from the preamble (``date`` its first day, ``date_end`` its last). German,
French and Spanish UIs are read through :data:`LOCALES`.
"""

from kpikit.ingest.formats._common import google_date_range
from kpikit.ingest.formats.base import (
    COMMA_DECIMAL,
    DAY_FIRST,
    FRENCH_NUMBERS,
    Footer,
    Format,
    Locale,
    ReadOptions,
    register_format,
)

# Total rows: the label in the first column, every other dimension cell "--". The table's and the
# account's totals cover every data row and are checked against them; a campaign type's
# ("Total: Search") covers only part of the rows.
FOOTER = (
    Footer(
        r"Total: (?:Account|(?:Filtered |All (?:but removed |enabled )?)?(?:campaigns|ad groups|keywords|ads|search terms))",
        totals=True,
    ),
    Footer(
        r"Total: (?:Search|Display|Video|Shopping|Performance Max|Demand Gen|Discovery|App|Smart|Hotel|Local"
        r"|Local services|Multi-channel|Cross-network|Other)"
    ),
)

# The UI language changes the headers ("Impr." stays), the number format and the total rows;
# the number convention is decided from the file's values (es-ES 1.234,56, es-MX 1,234.56).
LOCALES = (
    Locale(
        "de",
        "German",
        {
            "Day": ("Tag",),
            "Date": ("Datum",),
            "Account name": ("Kontoname",),
            "Account": ("Konto",),
            "Campaign": ("Kampagne",),
            "Ad group": ("Anzeigengruppe",),
            "Impressions": ("Impressionen",),
            "Clicks": ("Klicks",),
            "Cost": ("Kosten",),
            "Currency code": ("Währungscode",),
            "Currency": ("Währung",),
        },
        numbers=COMMA_DECIMAL,
        read=DAY_FIRST,
        footer=("Gesamt:", "Gesamt :"),
    ),
    Locale(
        "fr",
        "French",
        {
            "Day": ("Jour",),
            "Account name": ("Nom du compte",),
            "Account": ("Compte",),
            "Campaign": ("Campagne",),
            "Ad group": ("Groupe d'annonces", "Groupe d’annonces"),
            "Clicks": ("Clics",),
            "Cost": ("Coût",),
            "Currency code": ("Code de la devise",),
            "Currency": ("Devise",),
        },
        numbers=FRENCH_NUMBERS,
        read=DAY_FIRST,
        footer=("Total :", "Total:"),
    ),
    Locale(
        "es",
        "Spanish",
        {
            "Day": ("Día",),
            "Date": ("Fecha",),
            "Account name": ("Nombre de la cuenta",),
            "Account": ("Cuenta",),
            "Campaign": ("Campaña",),
            "Ad group": ("Grupo de anuncios",),
            "Impressions": ("Impresiones",),
            "Clicks": ("Clics",),
            "Cost": ("Coste", "Costo"),
            "Currency code": ("Código de moneda",),
            "Currency": ("Moneda",),
            "Conversions": ("Conversiones",),
        },
        numbers=COMMA_DECIMAL,
        read=DAY_FIRST,
        footer=("Total:", "Total :"),
    ),
)

GOOGLE_ADS = register_format(
    Format(
        name="google_ads",
        table="spend",
        detect=("Campaign", "Impr.", "Cost"),
        columns={
            "date": ("Day", "Date"),
            "date_end": ("Day", "Date"),  # else the last day of the preamble's period (a summary row)
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
        footer=FOOTER,
        preamble=google_date_range,
        description="Google Ads campaign / ad group report (UI download)",
        locales=LOCALES,
    )
)
