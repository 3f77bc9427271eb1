"""Module 2 exercises: reading a client's exports.

The scenario is a set of raw export files, generated from the seed with the
quirks real platforms put in them: a Google Ads report with two preamble lines,
thousands separators and a ``Total: Account`` row; a Meta export in UTF-16,
tab separated, with both ``Link clicks`` and ``Clicks (all)`` and money in
another currency; a CRM export whose ``utm_campaign`` values differ from the ad
platform's campaign names in case and spacing, or are missing.

Examples
--------
>>> from kpikit.training import exercise
>>> ex = exercise("m2.total_spend", seed=0)
>>> ex.data["google_ads.csv"].decode("utf-8").splitlines()[0]
'Campaign performance report'
>>> ex.data["meta_ads.csv"][:2] == b"\\xff\\xfe"  # UTF-16 byte-order mark
True
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from kpikit.training._core import Exercise, Mistake, Scenario, register

_GOOGLE = [
    ("Search - Generic", "Generic terms"),
    ("Search - Generic", "Competitor terms"),
    ("Search - Brand", "Brand exact"),
    ("Display - Remarketing", "All visitors 30d"),
    ("Display - Remarketing", "Cart abandoners"),
    ("Performance Max - Leads", "Asset group 1"),
]
_META = [
    ("Like & Share Competition", "Fans - broad"),
    ("Like & Share Competition", "Lookalike 1%"),
    ("Lead Gen - Whitepaper", "Job titles"),
    ("Lead Gen - Whitepaper", "Retargeting 30d"),
    ("Webinar Promo", "Interests - finance"),
]


def _scenario(seed: int) -> Scenario:
    rng = np.random.default_rng([7, int(seed)])
    google = pd.DataFrame(_GOOGLE, columns=["Campaign", "Ad group"])
    google["Impr."] = rng.integers(3_000, 90_000, len(google))
    google["Clicks"] = (google["Impr."] * rng.uniform(0.01, 0.06, len(google))).astype(int)
    google["Cost"] = (google["Clicks"] * rng.uniform(1.5, 6.0, len(google))).round(2)

    meta = pd.DataFrame(_META, columns=["Campaign name", "Ad set name"])
    # Very different volumes per ad set, so an average of rates is far from the pooled rate.
    meta["Impressions"] = (
        rng.uniform(0.2, 1.0, len(meta)) * np.array([400_000, 250_000, 30_000, 8_000, 60_000])
    ).astype(int)
    meta["Link clicks"] = (meta["Impressions"] * rng.uniform(0.001, 0.004, len(meta))).astype(int)
    meta.loc[3, "Link clicks"] = int(meta.loc[3, "Impressions"] * rng.uniform(0.02, 0.03))  # a small, hot ad set
    meta["Clicks (all)"] = meta["Link clicks"] + (meta["Impressions"] * rng.uniform(0.005, 0.02, len(meta))).astype(int)
    # B2B CPMs on Meta, so Meta is a real share of spend and ignoring its currency shows in the total
    meta["Amount spent (USD)"] = (meta["Impressions"] / 1000 * rng.uniform(18, 32, len(meta))).round(2)

    names = sorted(set(google["Campaign"]) | set(meta["Campaign name"]))
    n_leads = int(rng.integers(120, 220))
    utm = rng.choice(names, n_leads).astype(object)
    messy = rng.random(n_leads)
    utm = np.where(messy < 0.25, [u.lower() for u in utm], utm)
    utm = np.where((messy >= 0.25) & (messy < 0.4), [f" {u} " for u in utm], utm)
    utm = np.where((messy >= 0.4) & (messy < 0.5), "spring_promo", utm)  # matches no campaign
    blank = rng.random(n_leads) < rng.uniform(0.08, 0.15)
    utm = pd.Series(utm, dtype="str").mask(blank)
    crm = pd.DataFrame({"lead_id": [f"L{i:04d}" for i in range(n_leads)], "utm_campaign": utm})

    fx = round(float(rng.uniform(0.80, 0.90)), 4)
    data = {
        "google_ads.csv": _google_bytes(google),
        "meta_ads.csv": _meta_bytes(meta),
        "crm_leads.csv": crm.to_csv(index=False).encode("utf-8"),
        "fx_usd_to_eur": fx,
    }
    truth = {"google": google, "meta": meta, "crm": crm, "campaigns": names}
    return Scenario(seed, data, {"fx": fx}, truth)


def _google_bytes(g: pd.DataFrame) -> bytes:
    out = io.StringIO()
    out.write('Campaign performance report\n"March 1, 2026 - March 31, 2026"\n')
    body = g.assign(**{"Currency code": "EUR"})[["Campaign", "Ad group", "Currency code", "Impr.", "Clicks", "Cost"]]
    total = {
        "Campaign": "Total: Account",
        "Ad group": "--",
        "Currency code": "EUR",
        "Impr.": g["Impr."].sum(),
        "Clicks": g["Clicks"].sum(),
        "Cost": round(g["Cost"].sum(), 2),
    }
    body = pd.concat([body, pd.DataFrame([total])], ignore_index=True)
    # The raw export as Google Ads writes it (thousands separators in the file): trainee input, not kpikit output.
    for col in ("Impr.", "Clicks"):
        body[col] = body[col].map("{:,}".format)
    body["Cost"] = body["Cost"].map("{:,.2f}".format)
    body.to_csv(out, index=False)
    return out.getvalue().encode("utf-8")


def _meta_bytes(m: pd.DataFrame) -> bytes:
    m = m.assign(**{"Reporting starts": "2026-03-01", "Reporting ends": "2026-03-31"})
    return m.to_csv(sep="\t", index=False).encode("utf-16")


# -- 2.1 total spend -------------------------------------------------------------------------------------------


def _google_total(s: Scenario) -> float:
    return float(s.model["google"]["Cost"].sum())


register(
    Exercise(
        id="m2.total_spend",
        title="Total spend in a Google Ads export",
        question=(
            "`google_ads.csv` is a Google Ads campaign report as a client sends it. What is the total cost "
            "of the period, in EUR?"
        ),
        scenario=_scenario,
        answer=_google_total,
        unit="EUR",
        answer_kind="money",
        currency="EUR",
        abs=0.01,
        rel=0.0005,
        hint="look at the first and last lines of the file before you sum anything.",
        explanation="Preamble skipped, thousands separators parsed, Total row left out: spend in = spend out.",
        mistakes=(
            Mistake(
                "with_total",
                "summed the 'Total: Account' row together with the rows it totals",
                lambda s: 2 * _google_total(s),
                "Google Ads (and most platforms) append a total row: summing it counts every cost twice.",
                "drop the row whose Campaign starts with 'Total' before summing.",
            ),
            Mistake(
                "lost_first_row",
                "skipped one line too many, so the first campaign row became the header",
                lambda s: _google_total(s) - float(s.model["google"]["Cost"].iloc[0]),
                "The header is on line 3: there are exactly two preamble lines.",
                "use skiprows=2 and check that the columns are Campaign, Ad group, ...",
            ),
        ),
    )
)

# -- 2.2 Meta CTR ----------------------------------------------------------------------------------------------


def _meta_ctr(s: Scenario, clicks: str = "Link clicks") -> float:
    m = s.model["meta"]
    return float(m[clicks].sum() / m["Impressions"].sum())


register(
    Exercise(
        id="m2.meta_ctr",
        title="CTR from a Meta export",
        question=(
            "`meta_ads.csv` is a Meta Ads Manager export (UTF-16, tab separated). What is the CTR over all its "
            "rows? Answer as a fraction (0.012 for 1.2%)."
        ),
        scenario=_scenario,
        answer=_meta_ctr,
        unit="fraction (0.012 = 1.2%)",
        answer_kind="rate",
        rel=0.01,
        hint="read with encoding='utf-16' and sep='\\t'; CTR = link clicks ÷ impressions, pooled over all rows.",
        explanation="Link clicks are the clicks that reached the website: the only CTR to compare across platforms.",
        mistakes=(
            Mistake(
                "all_clicks",
                "divided by all clicks, including likes and shares ('Clicks (all)')",
                lambda s: _meta_ctr(s, "Clicks (all)"),
                "'Clicks (all)' counts likes, shares, expands and profile clicks: it flatters CTR.",
                "use the 'Link clicks' column.",
            ),
            Mistake(
                "averaged",
                "averaged the rates instead of pooling",
                lambda s: float((s.model["meta"]["Link clicks"] / s.model["meta"]["Impressions"]).mean()),
                "A small ad set with a high CTR counts as much as a huge one in an average of rates.",
                "sum link clicks and impressions over all rows, then divide.",
            ),
            Mistake(
                "percent",
                "gave the CTR in percent",
                lambda s: 100 * _meta_ctr(s),
                "The number is right, but the check expects a fraction.",
                "enter 0.012 for 1.2%.",
            ),
        ),
    )
)

# -- 2.3 currencies --------------------------------------------------------------------------------------------


def _meta_usd(s: Scenario) -> float:
    return float(s.model["meta"]["Amount spent (USD)"].sum())


register(
    Exercise(
        id="m2.spend_in_eur",
        title="Two currencies, one total",
        question=(
            "The client reports in EUR. Google Ads bills in EUR, Meta in USD, and the agreed rate is "
            "1 USD = {fx} EUR (`fx_usd_to_eur`). What is the total spend of both exports, in EUR?"
        ),
        scenario=_scenario,
        answer=lambda s: _google_total(s) + _meta_usd(s) * s.data["fx_usd_to_eur"],
        unit="EUR",
        answer_kind="money",
        currency="EUR",
        rel=0.001,
        hint="convert the Meta total to EUR first (USD × rate), then add the Google total without its Total row.",
        explanation="kpikit does this for you from `fx_rates` in the client config, and refuses to mix currencies "
        "without a rate.",
        mistakes=(
            Mistake(
                "ignored_currency",
                "added USD and EUR as if they were the same currency",
                lambda s: _google_total(s) + _meta_usd(s),
                "The Meta header says 'Amount spent (USD)': the currency is in the column name.",
                "multiply the Meta total by the rate before adding.",
            ),
            Mistake(
                "inverted_rate",
                "divided by the rate instead of multiplying",
                lambda s: _google_total(s) + _meta_usd(s) / s.data["fx_usd_to_eur"],
                "The rate is EUR per 1 USD, so USD × rate = EUR.",
                "multiply the USD amount by the rate.",
            ),
            Mistake(
                "with_total",
                "included Google's 'Total: Account' row",
                lambda s: 2 * _google_total(s) + _meta_usd(s) * s.data["fx_usd_to_eur"],
                "The total row repeats the sum of the rows above it.",
                "drop the 'Total: Account' row.",
            ),
        ),
    )
)

# -- 2.4 match rate --------------------------------------------------------------------------------------------


def _clean(names: pd.Series) -> pd.Series:
    return names.str.strip().str.casefold()


def _matched(s: Scenario, normalise: bool = True) -> pd.Series:
    crm = s.model["crm"]["utm_campaign"]
    known = pd.Series(s.model["campaigns"], dtype="str")
    if normalise:
        crm, known = _clean(crm), _clean(known)
    return crm.isin(set(known)) & crm.notna()


def _match_rate(s: Scenario) -> float:
    return float(_matched(s).mean())


register(
    Exercise(
        id="m2.match_rate",
        title="Match rate: leads that find their campaign",
        question=(
            "`crm_leads.csv` lists the CRM's leads with the `utm_campaign` they arrived with. What share of "
            "**leads** can be matched to a campaign in the two ad exports once you ignore case and surrounding "
            "spaces? Leads without a utm_campaign count as unmatched. Answer as a fraction."
        ),
        scenario=_scenario,
        answer=_match_rate,
        unit="fraction of leads (0.8 = 80%)",
        answer_kind="rate",
        rel=0.005,
        hint="campaign names from both exports and the utm values, each .str.strip().str.lower(); then .isin().",
        explanation="Report the match rate with every cost per outcome: unmatched leads are outcomes with no cost.",
        mistakes=(
            Mistake(
                "exact",
                "compared names exactly, without ignoring case and spaces",
                lambda s: float(_matched(s, normalise=False).mean()),
                "'search - generic ' and 'Search - Generic' are the same campaign typed differently.",
                "strip spaces and lower-case both sides before comparing.",
            ),
            Mistake(
                "dropped_blank",
                "left the leads without a utm_campaign out of the denominator",
                lambda s: float(_matched(s).sum() / s.model["crm"]["utm_campaign"].notna().sum()),
                "A lead with no campaign is still a lead you cannot attribute: it lowers the match rate.",
                "divide by all leads (all rows).",
            ),
        ),
    )
)
