"""The sample clients: who they are, what they buy, and which stories they hide.

Everything the generator does is driven by these specs, so a reader can see
the planted stories here without reading the generator:

* ``lumora`` (B2B SaaS, EUR): the LinkedIn retargeting ladder, and the
  budget shift to retargeting from 1 May 2026 (CTR up, opportunities down);
  the Meta "Like & Share to Win" competition, billed in USD.
* ``ironbridge`` (industrial, USD): the ladder on Google Display; Salesforce
  exports in Windows-1252; one exact duplicated row in the Google Ads export.
* ``harbourline`` (professional services, GBP): the ladder on Meta ad sets; a
  French partner's ``;``/decimal-comma export in EUR read through a column map;
  a spreadsheet-formula campaign name.
* ``veldmark`` (cybersecurity SaaS, EUR): 18 months of history for
  forecasting: a yearly demand season (summer and December dips), a step up
  in LinkedIn prospecting budget from 1 October 2025, and diminishing returns
  (the cost per impression rises with the day's spend).

Every client has ~30 target accounts that bring few contacts but most of the
pipeline, one utm_campaign that matches no ad campaign, and a campaign named
``<img src=x onerror=alert(1)>``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The default sample period: 181 days of delivery, exported three days after it ended.
PERIOD_START = np.datetime64("2026-01-01", "D")
PERIOD_DAYS = 181  # 2026-01-01 .. 2026-06-30
PERIOD_END = PERIOD_START + PERIOD_DAYS - 1
EXPORT_DATE = np.datetime64("2026-07-03", "D")
LATE_START = 120  # day offset of 2026-05-01: start of the late period (trend client)
# The long-history client: 2025-01-01 .. 2026-06-30, same export date.
LONG_START = np.datetime64("2025-01-01", "D")
LONG_DAYS = 546
BUDGET_STEP = 273  # day offset of 2025-10-01 from LONG_START: LinkedIn prospecting budget steps up

HTML_CAMPAIGN = "<img src=x onerror=alert(1)>"
FORMULA_CAMPAIGN = '=HYPERLINK("http://x","y")'
COMPETITION_CAMPAIGN = "Like & Share to Win - Summer Giveaway"
LADDER = (
    "Retargeting - clicked 7d",
    "Retargeting - clicked 14d",
    "Retargeting - clicked 30d",
    "Retargeting - clicked 90d",
)


@dataclass(frozen=True)
class AdGroup:
    """One targeted unit with its delivery and lead-quality parameters.

    ``budget`` is the mean weekday spend in the export's currency; ``ctr`` the
    link click-through rate; ``lead_rate`` leads per click; ``quality`` the
    chance that a sales-qualified lead becomes an opportunity; ``key_share``
    the share of its leads that come from target accounts.
    """

    platform: str
    campaign: str
    ad_group: str | None
    budget: float
    cpm: float
    ctr: float
    lead_rate: float
    quality: float
    key_share: float = 0.03
    start: int = 0
    end: int | None = None  # day offset the delivery stops at; None: the end of the client's period
    late_budget: float = 1.0  # budget multiplier from the client's ``late_start`` on
    other_clicks: float = 0.002  # non-link clicks per impression (Clicks (all) - link clicks)
    engagement_rate: float = 0.0  # likes, shares, comments per impression
    objective: str = "leads"  # Meta result indicator: leads | engagement
    campaign_type: str = "Search"  # Google Ads campaign type
    weekend: float = 0.5  # weekend delivery relative to weekdays


@dataclass(frozen=True)
class ExportSpec:
    """One raw export file of a client: which writer makes it and how."""

    path: str  # relative to the client folder
    writer: str  # name in kpikit.samples.writers.WRITERS
    table: str  # spend | contacts | deals | touchpoints
    platform: str | None = None  # spend exports: which platform's rows go in
    options: dict = field(default_factory=dict)
    map: str | None = None  # column map path, relative to the client folder


@dataclass(frozen=True)
class ClientSpec:
    client: str
    name: str
    industry: str
    currency: str
    crm: str  # hubspot | salesforce
    seed: int
    salt: str
    website: str
    fx_rates: dict
    platform_currency: dict  # platform -> currency of its export
    ad_groups: tuple[AdGroup, ...]
    exports: tuple[ExportSpec, ...]
    target_accounts: tuple[tuple[str, str], ...]  # (name, domain)
    company_tlds: tuple[str, ...]
    phone_style: str
    organic_leads: int
    unmatched_utm: tuple[str, str]  # (platform, utm_campaign) that matches no campaign
    campaign_map: dict  # cryptic utm_campaign -> ad campaign
    deal_median: float
    key_deal_median: float
    trend: bool = False  # the planted KPI shift story (lumora); the budgets themselves move at late_start
    owners: tuple[str, ...] = ()
    start: np.datetime64 = PERIOD_START
    days: int = PERIOD_DAYS
    export_date: np.datetime64 = EXPORT_DATE
    late_start: int | None = None  # day offset from which each ad group's late_budget applies
    # Demand by calendar month (January first): multiplies leads per click and organic leads.
    season: tuple[float, ...] | None = None
    # Diminishing returns: the cost per impression grows as (day's cost / ad group budget) ** saturation.
    saturation: float = 0.0
    funnel: tuple[float, float] = (0.5, 0.5)  # P(lead -> MQL), P(MQL -> SQL) for a work address, not a key account
    touch_p: float = 0.4  # geometric parameter of a contact's extra web visits (mean 1 / touch_p)


def _ladder(platform, campaign, *, budgets, cpm, ctrs, lead_rate, quality, late=1.0, **kw):
    return tuple(
        AdGroup(platform, campaign, name, b, cpm, c, lead_rate, quality, key_share=0.008, late_budget=late, **kw)
        for name, b, c in zip(LADDER, budgets, ctrs, strict=True)
    )


# fmt: off
# The specs read as tables: one ad group per line.
LUMORA = ClientSpec(
    client="lumora",
    name="Lumora Cloud GmbH",
    industry="B2B SaaS (data platform)",
    currency="EUR",
    crm="hubspot",
    seed=1101,
    salt="lumora-sample-salt",
    website="www.lumora-cloud.de",
    fx_rates={"USD": 0.92},
    platform_currency={"google_ads": "EUR", "linkedin": "EUR", "meta": "USD"},
    ad_groups=(
        AdGroup("google_ads", "Search - Brand", "Brand - Exact", 70, 60, 0.11, 0.05, 0.30, key_share=0.03),
        AdGroup("google_ads", "Search - Brand", "Brand - Competitor Comparison", 45, 45, 0.045, 0.03, 0.25),
        # From May the generic search budget is cut to fund LinkedIn retargeting (the trend).
        AdGroup("google_ads", "Search - Data Platform", "Data Warehouse Software", 120, 110, 0.035, 0.035, 0.35,
                late_budget=0.35),
        AdGroup("google_ads", "Search - Data Platform", "ETL Tools", 90, 95, 0.04, 0.03, 0.30, late_budget=0.35),
        AdGroup("google_ads", "Search - Data Platform", "Data Pipeline Automation", 75, 100, 0.038, 0.032, 0.32,
                late_budget=0.35),
        AdGroup("google_ads", HTML_CAMPAIGN, "Ad group 1", 3.5, 40, 0.02, 0.0, 0.0, key_share=0.0, start=40, end=46),
        AdGroup(
            "linkedin", "Demand Gen - Data Platform", "Prospecting - IT Directors DACH",
            180, 36, 0.0045, 0.06, 0.45, key_share=0.05, late_budget=0.2, engagement_rate=0.003,
        ),
        AdGroup(
            "linkedin", "Demand Gen - Data Platform", "Prospecting - Data Engineers EU",
            150, 32, 0.005, 0.055, 0.40, key_share=0.03, late_budget=0.2, engagement_rate=0.003,
        ),
        AdGroup(
            "linkedin", "Demand Gen - Data Platform", "Prospecting - Lookalike Customers",
            120, 30, 0.006, 0.05, 0.40, key_share=0.04, late_budget=0.2, engagement_rate=0.003,
        ),
        *_ladder(
            "linkedin", "Demand Gen - Data Platform",
            budgets=(25, 30, 40, 50), cpm=55, ctrs=(0.026, 0.020, 0.015, 0.011),
            lead_rate=0.012, quality=0.3, late=5.2, engagement_rate=0.004,
        ),
        AdGroup(
            "linkedin", "Thought Leadership - Webinars", "Webinar - Data Mesh Live",
            60, 28, 0.007, 0.08, 0.15, engagement_rate=0.004, start=14, end=110,
        ),
        AdGroup(
            "meta", COMPETITION_CAMPAIGN, "Broad - DACH 25-54", 210, 4.2, 0.0022, 0.003, 0.0,
            key_share=0.0, start=31, end=73, other_clicks=0.035, engagement_rate=0.2, objective="engagement",
            weekend=1.0,
        ),
        AdGroup(
            "meta", "Lead Gen - Data Maturity Guide", "Lookalike 1% - Customers", 90, 11, 0.011, 0.025, 0.2,
            key_share=0.01, engagement_rate=0.004, weekend=0.9,
        ),
        AdGroup(
            "meta", "Lead Gen - Data Maturity Guide", "Interest - Data Engineering", 70, 9, 0.009, 0.02, 0.15,
            key_share=0.005, engagement_rate=0.004, weekend=0.9,
        ),
    ),
    exports=(
        ExportSpec(
            "exports/google_ads_ad_group_report.csv", "google_ads", "spend", "google_ads",
            {"variant": "utf16_tsv", "level": "ad_group"},
        ),
        ExportSpec("exports/linkedin_campaign_performance.csv", "linkedin", "spend", "linkedin", {"variant": "csv"}),
        ExportSpec("exports/meta_ads_manager.csv", "meta", "spend", "meta"),
        ExportSpec("exports/hubspot_contacts.csv", "hubspot_contacts", "contacts"),
        ExportSpec("exports/hubspot_deals.csv", "hubspot_deals", "deals"),
        ExportSpec("exports/web_touchpoints.csv", "touchpoints", "touchpoints", map="column_maps/touchpoints.yaml"),
    ),
    target_accounts=(
        ("Vireon Logistics AG", "vireon-logistics.de"), ("Koralle Versicherung AG", "koralle-versicherung.de"),
        ("Brennwald Energie GmbH", "brennwald-energie.de"), ("Talvik Retail Group", "talvik-retail.com"),
        ("Sonnfeld Bank AG", "sonnfeld-bank.de"), ("Alpenmark Pharma AG", "alpenmark-pharma.ch"),
        ("Quellbach Telekom GmbH", "quellbach-telekom.de"), ("Ostrava Motors a.s.", "ostrava-motors.cz"),
        ("Helvara Insurance SE", "helvara.eu"), ("Norrsken Mobility AB", "norrsken-mobility.se"),
        ("Falkenried Chemie AG", "falkenried-chemie.de"), ("Grauwerk Maschinenbau GmbH", "grauwerk.de"),
        ("Luminis Health GmbH", "luminis-health.de"), ("Tessaro Foods S.p.A.", "tessaro-foods.it"),
        ("Weidenhof Handel GmbH", "weidenhof-handel.de"), ("Corvalis Airlines", "corvalis-air.com"),
        ("Rheintal Stadtwerke", "rheintal-stadtwerke.de"), ("Bergstrom Media AB", "bergstrom-media.se"),
        ("Kestrel Payments Ltd", "kestrel-payments.com"), ("Danubia Versand GmbH", "danubia-versand.at"),
        ("Stellwerk Bahnsysteme AG", "stellwerk-bahn.de"), ("Marengo Fashion AG", "marengo-fashion.ch"),
        ("Auroch Automotive GmbH", "auroch-automotive.de"), ("Pelikan Reisen GmbH", "pelikan-reisen.de"),
        ("Solvane Chemicals NV", "solvane.be"), ("Hafenkontor Hamburg GmbH", "hafenkontor.de"),
        ("Tiroler Glaswerke AG", "tiroler-glaswerke.at"), ("Emberly Games GmbH", "emberly-games.de"),
        ("Quarzit Halbleiter AG", "quarzit-halbleiter.de"), ("Lindqvist Hotels AB", "lindqvist-hotels.se"),
        ("Zephyr Wind Parks GmbH", "zephyr-windparks.de"), ("Nordkap Fischerei GmbH", "nordkap-fischerei.de"),
    ),
    company_tlds=(".de", ".de", ".com", ".ch", ".at", ".io", ".eu"),
    phone_style="dach",
    organic_leads=450,
    unmatched_utm=("linkedin", "LI - Q4 2025 Brand Awareness"),
    campaign_map={"dp_search_q1": "Search - Data Platform"},
    deal_median=14_000,
    key_deal_median=150_000,
    trend=True,
    late_start=LATE_START,
    owners=("Katrin Vogelsang", "Tobias Reinholt", "Miriam Castellano"),
)

IRONBRIDGE = ClientSpec(
    client="ironbridge",
    name="Ironbridge Industrial Inc.",
    industry="industrial equipment (pumps and valves)",
    currency="USD",
    crm="salesforce",
    seed=2202,
    salt="ironbridge-sample-salt",
    website="www.ironbridge-industrial.com",
    fx_rates={},
    platform_currency={"google_ads": "USD", "linkedin": "USD"},
    ad_groups=(
        AdGroup("google_ads", "Search - Brand", "Brand - Ironbridge", 60, 55, 0.10, 0.05, 0.35, key_share=0.03),
        AdGroup("google_ads", "Search - Industrial Pumps", "Centrifugal Pumps", 140, 120, 0.032, 0.03, 0.40),
        AdGroup("google_ads", "Search - Industrial Pumps", "Pump Repair Services", 80, 90, 0.04, 0.045, 0.25),
        AdGroup("google_ads", "Search - Industrial Pumps", "Industrial Valves", 95, 110, 0.03, 0.03, 0.38),
        AdGroup(
            "google_ads", "Display - Audiences", "Prospecting - In-market Industrial Equipment", 130, 6.5, 0.0028,
            0.025, 0.35, key_share=0.04, campaign_type="Display", other_clicks=0.0,
        ),
        AdGroup(
            "google_ads", "Display - Audiences", "Prospecting - Custom Intent Competitors", 110, 7.0, 0.0032,
            0.025, 0.40, key_share=0.05, campaign_type="Display", other_clicks=0.0,
        ),
        *_ladder(
            "google_ads", "Display - Audiences", budgets=(22, 28, 35, 45), cpm=9.5,
            ctrs=(0.014, 0.010, 0.0072, 0.0052), lead_rate=0.005, quality=0.15, campaign_type="Display",
            other_clicks=0.0,
        ),
        AdGroup(
            "linkedin", "ABM - Tier 1 Accounts", "Matched Audience - Target Accounts", 110, 48, 0.004, 0.04, 0.5,
            key_share=0.25, engagement_rate=0.002,
        ),
        AdGroup(
            "linkedin", "ABM - Tier 1 Accounts", "Job Title - Plant Managers", 130, 34, 0.0045, 0.05, 0.35,
            key_share=0.03, engagement_rate=0.003,
        ),
        AdGroup(
            "linkedin", "Trade Show - FabTech 2026", "FabTech - Booth Invite", 90, 30, 0.006, 0.06, 0.3,
            key_share=0.04, engagement_rate=0.003, start=60, end=105,
        ),
        AdGroup(
            "linkedin", HTML_CAMPAIGN, "Test campaign", 4.0, 35, 0.004, 0.0, 0.0, key_share=0.0, start=75, end=80,
        ),
    ),
    exports=(
        ExportSpec(
            "exports/google_ads_ad_group_report.csv", "google_ads", "spend", "google_ads",
            {"variant": "utf8_csv", "level": "ad_group", "duplicate": 0.37},
        ),
        ExportSpec(
            "exports/linkedin_campaign_performance.csv", "linkedin", "spend", "linkedin", {"variant": "utf16_tsv"}
        ),
        ExportSpec("exports/salesforce_leads.csv", "salesforce_leads", "contacts"),
        ExportSpec("exports/salesforce_opportunities.csv", "salesforce_opportunities", "deals"),
        ExportSpec("exports/web_touchpoints.csv", "touchpoints", "touchpoints", map="column_maps/touchpoints.yaml"),
    ),
    target_accounts=(
        ("Müller Fördertechnik GmbH", "mueller-foerdertechnik.de"), ("Great Lakes Water Authority", "glwa-water.org"),
        ("Cascade Paper Mills", "cascadepapermills.com"), ("Redstone Mining Corp.", "redstonemining.com"),
        ("Bayou Petrochemical LLC", "bayoupetrochem.com"), ("Sierra Brewing Co.", "sierrabrewingco.com"),
        ("Northfield Power & Light", "northfieldpower.com"), ("Keystone Steelworks", "keystonesteelworks.com"),
        ("Prairie Grain Cooperative", "prairiegrain.coop"), ("Atlas Shipyards Inc.", "atlasshipyards.com"),
        ("Tidewater Desalination", "tidewaterdesal.com"), ("Copperline Refining", "copperline-refining.com"),
        ("Summit Pharma Manufacturing", "summitpharma-mfg.com"), ("Evergreen Pulp & Fiber", "evergreenpulp.com"),
        ("Harbor Chemical Works", "harborchemical.com"), ("Blue Ridge Textiles", "blueridgetextiles.com"),
        ("Lone Star Utilities", "lonestarutilities.com"), ("Granite State Foundry", "granitestatefoundry.com"),
        ("Pacific Crest Dairy", "pacificcrestdairy.com"), ("Ozark Cement Company", "ozarkcement.com"),
        ("Mesa Verde Solar", "mesaverdesolar.com"), ("Iron Range Pellets", "ironrangepellets.com"),
        ("Société Lyonnaise de Mécanique", "slm-mecanique.fr"), ("Delta Sugar Refinery", "deltasugar.com"),
        ("Cumberland Wastewater District", "cumberland-wwd.org"), ("Aurora Glass Works", "auroraglassworks.com"),
        ("Chesapeake Boatbuilders", "chesapeakeboats.com"), ("Magnolia Paper Products", "magnoliapaper.com"),
        ("Yukon Hydro Partners", "yukonhydro.com"), ("Timberline Lumber Co.", "timberlinelumber.com"),
        ("Sacramento Valley Irrigation", "svirrigation.org"), ("Piedmont Plastics Group", "piedmontplastics.com"),
        ("Coastal LNG Terminal", "coastal-lng.com"), ("Badlands Fertilizer Inc.", "badlandsfertilizer.com"),
    ),
    company_tlds=(".com", ".com", ".com", ".net", ".us", ".com"),
    phone_style="us",
    organic_leads=520,
    unmatched_utm=("google_ads", "Display - Q4 2025 Remarketing"),
    campaign_map={"pumps_search": "Search - Industrial Pumps"},
    deal_median=38_000,
    key_deal_median=280_000,
    owners=("Dwayne Kowalczyk", "Brenda Oyelaran", "Héctor Villanueva"),
)

HARBOURLINE = ClientSpec(
    client="harbourline",
    name="Harbourline Advisory LLP",
    industry="professional services (audit, tax, advisory)",
    currency="GBP",
    crm="hubspot",
    seed=3303,
    salt="harbourline-sample-salt",
    website="www.harbourline-advisory.co.uk",
    fx_rates={"EUR": 0.86},
    platform_currency={"google_ads": "GBP", "meta": "GBP", "partner_media": "EUR"},
    ad_groups=(
        AdGroup("google_ads", "Search - Brand", None, 55, 50, 0.12, 0.06, 0.35, key_share=0.04),
        AdGroup("google_ads", "Search - Audit Services", None, 150, 120, 0.04, 0.035, 0.40),
        AdGroup("google_ads", "Search - Tax Advisory", None, 130, 105, 0.042, 0.04, 0.30),
        AdGroup("google_ads", FORMULA_CAMPAIGN, None, 3.0, 40, 0.02, 0.0, 0.0, key_share=0.0, start=90, end=95),
        AdGroup(
            "meta", "Lead Gen - Tax Guide 2026", "Prospecting - Finance Directors UK", 95, 9.0, 0.008, 0.025,
            0.35, key_share=0.04, engagement_rate=0.004, weekend=0.8,
        ),
        AdGroup(
            "meta", "Lead Gen - Tax Guide 2026", "Prospecting - Lookalike Clients 1%", 80, 8.0, 0.009, 0.022,
            0.35, key_share=0.03, engagement_rate=0.004, weekend=0.8,
        ),
        *_ladder(
            "meta", "Lead Gen - Tax Guide 2026", budgets=(14, 18, 22, 28), cpm=14.0,
            ctrs=(0.032, 0.024, 0.018, 0.013), lead_rate=0.01, quality=0.05, engagement_rate=0.006, weekend=0.8,
        ),
        AdGroup(
            "meta", HTML_CAMPAIGN, "Ad set 1", 2.5, 7.0, 0.01, 0.0, 0.0, key_share=0.0, start=150, end=154,
            weekend=1.0,
        ),
        AdGroup(
            "partner_media", "Sponsored Content - CFO Hebdo", "Newsletter Slot", 60, 25, 0.004, 0.03, 0.35,
            key_share=0.05, weekend=0.0,
        ),
        AdGroup(
            "partner_media", "Sponsored Content - CFO Hebdo", "Native Article", 45, 30, 0.003, 0.04, 0.30,
            key_share=0.05, weekend=0.0,
        ),
    ),
    exports=(
        ExportSpec(
            "exports/google_ads_campaign_report.csv", "google_ads", "spend", "google_ads",
            {"variant": "utf16_tsv", "level": "campaign"},
        ),
        ExportSpec("exports/meta_ads_manager.csv", "meta", "spend", "meta"),
        ExportSpec(
            "exports/partner_media_fr.csv", "european_spend", "spend", "partner_media",
            map="column_maps/partner_media.yaml",
        ),
        ExportSpec("exports/hubspot_contacts.csv", "hubspot_contacts", "contacts"),
        ExportSpec("exports/hubspot_deals.csv", "hubspot_deals", "deals"),
        ExportSpec("exports/web_touchpoints.csv", "touchpoints", "touchpoints", map="column_maps/touchpoints.yaml"),
    ),
    target_accounts=(
        ("Thamesgate Holdings plc", "thamesgate.co.uk"), ("Pennine Building Society", "pennine-bs.co.uk"),
        ("Caledonia Distillers Ltd", "caledonia-distillers.co.uk"), ("Wexford Retail Group", "wexfordretail.com"),
        ("Albion Rail Services", "albionrail.co.uk"), ("Severn Water plc", "severnwater-plc.co.uk"),
        ("Marlowe Hotels Group", "marlowehotels.com"), ("Kestrel Aerospace Ltd", "kestrel-aero.co.uk"),
        ("Ashdown Care Homes", "ashdowncare.co.uk"), ("Blackfriars Media plc", "blackfriarsmedia.com"),
        ("Northumbria Foods Ltd", "northumbriafoods.co.uk"), ("Cotswold Estates Ltd", "cotswoldestates.co.uk"),
        ("Greyhound Logistics UK", "greyhoundlogistics.co.uk"), ("Solent Marine Engineering", "solentmarine.co.uk"),
        ("Highland Renewables Ltd", "highlandrenewables.co.uk"), ("Pembroke Insurance plc", "pembroke-ins.co.uk"),
        ("Mercia Pharmaceuticals", "merciapharma.co.uk"), ("Tyneside Shipping Ltd", "tynesideshipping.co.uk"),
        ("Lakeland Outdoor Group", "lakelandoutdoor.com"), ("Ravensworth Universities Trust", "ravensworth.ac.uk"),
        ("Brunel Infrastructure plc", "brunelinfra.co.uk"), ("Avonmore Dairies Ltd", "avonmoredairies.co.uk"),
        ("Hadrian Security Group", "hadriansecurity.co.uk"), ("Fenland Agritech Ltd", "fenlandagritech.co.uk"),
        ("Clydebank Steel Ltd", "clydebanksteel.co.uk"), ("Windsor Fine Foods", "windsorfinefoods.co.uk"),
        ("Ulster Telecom Ltd", "ulstertelecom.co.uk"), ("Bristol Channel Ports", "bcports.co.uk"),
    ),
    company_tlds=(".co.uk", ".co.uk", ".com", ".uk", ".co.uk", ".org.uk"),
    phone_style="uk",
    organic_leads=500,
    unmatched_utm=("meta", "FB - Autumn Seminar Promo"),
    campaign_map={"tax-guide-2026": "Lead Gen - Tax Guide 2026"},
    deal_median=18_000,
    key_deal_median=160_000,
    owners=("Priya Ramanathan", "Oliver Wetherby", "Siobhan Gallagher"),
)
VELDMARK = ClientSpec(
    client="veldmark",
    name="Veldmark Security B.V.",
    industry="cybersecurity SaaS (endpoint protection)",
    currency="EUR",
    crm="hubspot",
    seed=4404,
    salt="veldmark-sample-salt",
    website="www.veldmark-security.nl",
    fx_rates={},
    platform_currency={"google_ads": "EUR", "linkedin": "EUR", "meta": "EUR"},
    ad_groups=(
        AdGroup("google_ads", "Search - Brand", "Brand - Exact", 12, 60, 0.10, 0.035, 0.30, key_share=0.03),
        AdGroup("google_ads", "Search - Endpoint Security", "Endpoint Protection Software", 70, 110, 0.035, 0.035,
                0.48),
        AdGroup("google_ads", "Search - Endpoint Security", "Ransomware Protection", 50, 100, 0.04, 0.03, 0.45),
        AdGroup("google_ads", HTML_CAMPAIGN, "Ad group 1", 3.5, 40, 0.02, 0.0, 0.0, key_share=0.0, start=200,
                end=206),
        # The budget change: LinkedIn prospecting gets 80% more from 1 October 2025 (BUDGET_STEP).
        AdGroup(
            "linkedin", "Demand Gen - Zero Trust", "Prospecting - Security Leaders Benelux",
            165, 34, 0.0048, 0.058, 0.52, key_share=0.04, late_budget=1.8, engagement_rate=0.003,
        ),
        *_ladder(
            "linkedin", "Demand Gen - Zero Trust",
            budgets=(10, 12, 15, 20), cpm=55, ctrs=(0.026, 0.020, 0.015, 0.011),
            lead_rate=0.012, quality=0.3, engagement_rate=0.004,
        ),
        AdGroup(
            "meta", "Lead Gen - Security Checklist", "Lookalike 1% - Customers", 22, 11, 0.011, 0.025, 0.2,
            key_share=0.01, engagement_rate=0.004, weekend=0.9,
        ),
    ),
    exports=(
        ExportSpec(
            "exports/google_ads_ad_group_report.csv", "google_ads", "spend", "google_ads",
            {"variant": "utf8_csv", "level": "ad_group"},
        ),
        ExportSpec("exports/linkedin_campaign_performance.csv", "linkedin", "spend", "linkedin", {"variant": "csv"}),
        ExportSpec("exports/meta_ads_manager.csv", "meta", "spend", "meta"),
        ExportSpec("exports/hubspot_contacts.csv", "hubspot_contacts", "contacts"),
        ExportSpec("exports/hubspot_deals.csv", "hubspot_deals", "deals"),
        ExportSpec("exports/web_touchpoints.csv", "touchpoints", "touchpoints", map="column_maps/touchpoints.yaml"),
    ),
    target_accounts=(
        ("Zuiderhaven Logistiek B.V.", "zuiderhaven.nl"), ("Brabantse Waterwerken N.V.", "brabantse-water.nl"),
        ("Kempenland Zorggroep", "kempenland-zorg.nl"), ("Scheldemond Havenbedrijf", "scheldemond-haven.be"),
        ("Veluwe Verzekeringen N.V.", "veluwe-verzekeringen.nl"), ("Deltapoort Energie B.V.", "deltapoort.nl"),
        ("Ardennes Télécom S.A.", "ardennes-telecom.be"), ("Hanzebank N.V.", "hanzebank.nl"),
        ("Polderwind Exploitatie B.V.", "polderwind.nl"), ("Maaskant Chemie B.V.", "maaskant-chemie.nl"),
        ("Limburgse Mijnbouw Holding", "limburgse-mijnbouw.nl"), ("Flevo Agrarisch Coöperatief", "flevo-agri.nl"),
        ("Brugse Brouwerijen N.V.", "brugse-brouwerijen.be"), ("Luxor Spoorwegen S.A.", "luxor-spoor.lu"),
        ("Waddenzee Veerdiensten", "wadden-veer.nl"), ("Gentse Textielfabriek N.V.", "gentse-textiel.be"),
        ("Eindhovense Halfgeleiders B.V.", "ehv-halfgeleiders.nl"), ("Noordzee Offshore B.V.", "noordzee-offshore.nl"),
        ("Utrechtse Ziekenhuisgroep", "utrecht-zhg.nl"), ("Antwerpse Diamantbeurs", "antwerp-diamant.be"),
        ("Twentse Machinefabriek B.V.", "twentse-machines.nl"), ("Rijnmond Raffinaderij B.V.", "rijnmond-raff.nl"),
        ("Zeeuwse Mosselkwekerij", "zeeuwse-mossel.nl"), ("Hollandse Bloemenveiling", "holl-bloemen.nl"),
        ("Luikse Staalgroep S.A.", "luikse-staal.be"), ("Groningse Gasunie Diensten", "gron-gasdiensten.nl"),
        ("Drentse Zuivel B.V.", "drentse-zuivel.nl"), ("Friese Scheepswerf B.V.", "friese-scheepswerf.nl"),
        ("Amstel Pensioenfonds", "amstel-pensioen.nl"), ("Namense Glasindustrie S.A.", "namense-glas.be"),
    ),
    company_tlds=(".nl", ".nl", ".com", ".be", ".eu", ".io", ".lu"),
    phone_style="nl",
    organic_leads=450,
    unmatched_utm=("linkedin", "LI - 2024 Brand Awareness"),
    campaign_map={"eps_search_nl": "Search - Endpoint Security"},
    deal_median=10_000,
    key_deal_median=220_000,
    owners=("Annelot Verbruggen", "Joost Terhorst", "Sanne Wijnbergen"),
    start=LONG_START,
    days=LONG_DAYS,
    late_start=BUDGET_STEP,
    # B2B demand: strong spring and autumn, weak July-August and December.
    season=(0.95, 1.05, 1.15, 1.05, 1.0, 0.95, 0.75, 0.7, 1.1, 1.2, 1.15, 0.8),
    saturation=0.4,
    funnel=(0.65, 0.6),
    touch_p=0.9,
)
# fmt: on

CLIENTS: dict[str, ClientSpec] = {spec.client: spec for spec in (LUMORA, IRONBRIDGE, HARBOURLINE, VELDMARK)}
