"""Meta (Facebook / Instagram) Ads Manager exports.

UTF-8 with BOM; ``Reporting starts`` / ``Reporting ends`` columns; the currency
sits inside the spend header (``Amount spent (USD)``). ``Link clicks`` feeds
``clicks`` (what CTR uses); ``Clicks (all)`` also counts likes, shares and
expands and goes to ``clicks_all``. ``Results`` count whatever the row's
``Result indicator`` names, so where they go is decided per row by
:data:`RESULT_TARGETS`: likes and post engagements feed ``engagements``,
lead-form leads ``reported_leads`` (each only when the export has no column of
its own for it), and link clicks, landing page views or reach feed neither
(a note in the load report counts them).
Ads Manager leaves a metric cell blank when it is zero (a day with no
delivery), so blank counts and spend load as 0.
"""

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

from kpikit.ingest.formats._common import map_labels
from kpikit.ingest.formats.base import (
    COMMA_DECIMAL,
    DAY_FIRST,
    FRENCH_NUMBERS,
    Format,
    Locale,
    ReadOptions,
    register_format,
)

_ZERO_WHEN_BLANK = ("impressions", "clicks", "clicks_all", "engagements", "cost", "platform_conversions")

#: ``Result indicator`` -> the model column its ``Results`` feed; None: counted in a note, loaded as
#: neither (a link click or a person reached is not an engagement, and not a lead).
RESULT_TARGETS: dict[str, str | None] = {
    **dict.fromkeys(
        (
            "actions:like",
            "like",
            "actions:post_engagement",
            "post_engagement",
            "actions:page_engagement",
            "page_engagement",
            "actions:post_reaction",
            "actions:comment",
            "actions:post",  # shares
            "actions:onsite_conversion.post_save",
        ),
        "engagements",
    ),
    **dict.fromkeys(
        (
            "actions:lead",
            "lead",
            "leadgen",
            "actions:leadgen_grouped",
            "actions:onsite_conversion.lead_grouped",
            "onsite_conversion.lead_grouped",
        ),
        "reported_leads",
    ),
    **dict.fromkeys(
        (
            "actions:link_click",
            "link_click",
            "actions:landing_page_view",
            "landing_page_view",
            "reach",
            "impressions",
            "actions:video_view",
            "video_thruplay_watched_actions",
        ),
        None,
    ),
}
# An indicator not in the registry is a platform conversion when it names one (a pixel purchase,
# a website lead); else, like a link click, it feeds nothing.
_CONVERSION = re.compile(r"lead|conversion|purchase|complete_registration|submit_application|contact")


def _result_target(indicator: str) -> str:
    """Where the Results of one indicator go: a model column, ``"conversion"`` or ``""`` (nowhere)."""
    key = indicator.strip().lower()
    if key in RESULT_TARGETS:
        return RESULT_TARGETS[key] or ""
    return "conversion" if _CONVERSION.search(key) else ""


def blank_is_zero(frame: pd.DataFrame, ctx: Mapping[str, Any]) -> pd.DataFrame:
    """Meta writes nothing for a zero metric: fill those blanks with 0, and route ``Results``.

    ``Results`` count whatever each row's ``Result indicator`` names (:data:`RESULT_TARGETS`):
    engagement results fill ``engagements`` and lead-form results ``reported_leads`` when the
    export has no column of its own for them; only leads and conversions are
    ``platform_conversions``; the others are counted in a note (``ctx["notes"]``).
    """
    has = {c: c in frame for c in ("engagements", "reported_leads")}  # the export's own columns
    frame = frame.assign(**{c: frame[c].fillna(0) for c in _ZERO_WHEN_BLANK if c in frame})
    if "_result_indicator" in frame and "platform_conversions" in frame:
        frame = _route_results(frame, has, ctx.get("notes"))
    return frame


def _route_results(frame: pd.DataFrame, has: dict[str, bool], notes: list[str] | None) -> pd.DataFrame:
    results = frame["platform_conversions"]  # "Results", blank already 0
    indicator = frame["_result_indicator"]
    target = map_labels(indicator, _result_target).fillna("")
    blank = indicator.isna().to_numpy(dtype=bool)  # no indicator: the row has no results (Meta leaves both blank)
    out = {"platform_conversions": results.where(target.isin(["conversion", "reported_leads"]) | blank)}
    for col in ("engagements", "reported_leads"):
        rows = (target == col).to_numpy(dtype=bool)
        if not has[col] and rows.any():
            out[col] = results.where(rows).round().astype("Int64")
    other = (target == "").to_numpy(dtype=bool) & ~blank
    if notes is not None and other.any():
        per = results[other].groupby(indicator[other].str.strip()).sum()
        listed = ", ".join(f"{name} ({value:,.0f})" for name, value in per.items())
        notes.append(
            f"Results of {int(other.sum()):,} row(s) count {listed}: not engagements, leads or conversions, "
            "so loaded as none of them"
        )
    return frame.assign(**out)


# Ads Manager in another UI language writes these headers (the result indicators such as
# actions:lead stay English); the number convention is decided from the file's values.
LOCALES = (
    Locale(
        "de",
        "German",
        {
            "Reporting starts": ("Berichtsbeginn",),
            "Reporting ends": ("Berichtsende",),
            "Day": ("Tag",),
            "Account name": ("Name des Werbekontos", "Kontoname"),
            "Campaign name": ("Kampagnenname",),
            "Ad set name": ("Anzeigengruppenname",),
            "Impressions": ("Impressionen",),
            "Link clicks": ("Link-Klicks",),
            "Clicks (all)": ("Klicks (alle)",),
            "Post engagement": ("Beitragsinteraktion",),
            "Post engagements": ("Beitragsinteraktionen",),
            "Amount spent": ("Ausgegebener Betrag",),
            "Results": ("Ergebnisse",),
            "Result indicator": ("Ergebnisindikator",),
        },
        numbers=COMMA_DECIMAL,
        read=DAY_FIRST,
    ),
    Locale(
        "fr",
        "French",
        {
            "Reporting starts": ("Début des rapports",),
            "Reporting ends": ("Fin des rapports",),
            "Day": ("Jour",),
            "Account name": ("Nom du compte",),
            "Campaign name": ("Nom de la campagne",),
            "Ad set name": ("Nom de l’ensemble de publicités", "Nom de l'ensemble de publicités"),
            "Link clicks": ("Clics sur un lien",),
            "Clicks (all)": ("Clics (tous)",),
            "Post engagements": ("Interactions avec la publication",),
            "Amount spent": ("Montant dépensé",),
            "Results": ("Résultats",),
            "Result indicator": ("Indicateur de résultats", "Indicateur de résultat"),
            "Leads": ("Prospects",),
        },
        numbers=FRENCH_NUMBERS,
        read=DAY_FIRST,
    ),
    Locale(
        "es",
        "Spanish",
        {
            "Reporting starts": ("Inicio del informe",),
            "Reporting ends": ("Fin del informe",),
            "Day": ("Día",),
            "Account name": ("Nombre de la cuenta",),
            "Campaign name": ("Nombre de la campaña",),
            "Ad set name": ("Nombre del conjunto de anuncios",),
            "Impressions": ("Impresiones",),
            "Link clicks": ("Clics en el enlace",),
            "Clicks (all)": ("Clics (todos)",),
            "Post engagements": ("Interacciones con la publicación",),
            "Amount spent": ("Importe gastado",),
            "Results": ("Resultados",),
            "Result indicator": ("Indicador de resultado", "Indicador de resultados"),
            "Leads": ("Clientes potenciales",),
        },
        numbers=COMMA_DECIMAL,
        read=DAY_FIRST,
    ),
)

META = register_format(
    Format(
        name="meta",
        table="spend",
        detect=("Reporting starts", "Reporting ends", r"re:Amount spent \(([A-Z]{3})\)"),
        columns={
            "date": ("Day", "Reporting starts"),
            "date_end": ("Day", "Reporting ends"),  # a row without a Day column covers starts..ends
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
        locales=LOCALES,
    )
)
