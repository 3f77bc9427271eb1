"""Module 1 exercises: vanity vs value.

Ratios a trainee computes from one table row (cost per like, CTR) are checked
against the same pandas arithmetic; the cost per opportunity and the ranking of
campaigns come from the engine (``kpikit.analysis.cost_per_outcome``), which
joins spend to the CRM.

Examples
--------
>>> from kpikit.training import EXERCISES
>>> [e.id for e in EXERCISES.module("m1")]  # doctest: +NORMALIZE_WHITESPACE
['m1.cost_per_like', 'm1.cost_per_real_outcome', 'm1.ctr_lift', 'm1.opportunities_lost', 'm1.best_campaign']
"""

from __future__ import annotations

import importlib
from functools import lru_cache

import pandas as pd

from kpikit.training._core import Exercise, Mistake, Scenario, register
from kpikit.training.scenarios import LIKES, PROGRAMME, PROSPECTING, RETARGETING, SWITCH, practice_model

_SPEND_COLS = ["impressions", "clicks", "clicks_all", "engagements", "cost", "platform_conversions"]


def campaign_table(model) -> pd.DataFrame:
    """Spend per campaign next to the CRM's lead, MQL and opportunity counts.

    Examples
    --------
    >>> from kpikit.training.scenarios import practice_model
    >>> t = campaign_table(practice_model(0))
    >>> list(t.columns)  # doctest: +NORMALIZE_WHITESPACE
    ['platform', 'campaign', 'impressions', 'clicks', 'clicks_all', 'engagements', 'cost',
     'platform_conversions', 'leads', 'mqls', 'opportunities']
    """
    spend = model.spend.groupby(["platform", "campaign"], as_index=False)[_SPEND_COLS].sum()
    c = model.contacts
    crm = c.groupby("campaign").agg(
        leads=("contact_key", "size"), mqls=("mql_date", "count"), opportunities=("opportunity_date", "count")
    )
    out = spend.merge(crm, left_on="campaign", right_index=True, how="left")
    out[["leads", "mqls", "opportunities"]] = out[["leads", "mqls", "opportunities"]].fillna(0).astype("int64")
    return out.sort_values("cost", ascending=False, ignore_index=True)


def _scenario(seed: int) -> Scenario:
    model = practice_model(seed)
    spend = model.spend[["date", "platform", "campaign", "ad_group", *_SPEND_COLS]]
    contacts = model.contacts[
        ["campaign", "ad_group", "created_date", "lifecycle_stage", "mql_date", "opportunity_date"]
    ]
    facts = {
        "likes": LIKES,
        "switch": f"{SWITCH:%d %b %Y}",
        "switch_date": SWITCH,
        "prospecting": PROSPECTING,
        "retargeting": RETARGETING,
    }
    return Scenario(seed, {"campaigns": campaign_table(model), "spend": spend, "contacts": contacts}, facts, model)


@lru_cache(maxsize=32)
def _engine_costs(seed: int) -> pd.DataFrame:
    # Deferred: the engine is heavy and the registry should import fast.
    cost_per_outcome = importlib.import_module("kpikit.analysis.costs").cost_per_outcome
    return cost_per_outcome(practice_model(seed), by="campaign").to_frame().set_index("campaign")


def _row(s: Scenario, campaign: str) -> pd.Series:
    t = s.data["campaigns"]
    return t.loc[t["campaign"] == campaign].iloc[0]


# -- 1.1 cost per like -----------------------------------------------------------------------------------------


def _per(s: Scenario, column: str) -> float:
    r = _row(s, LIKES)
    return float(r["cost"] / r[column])


register(
    Exercise(
        id="m1.cost_per_like",
        title="Cost per like",
        question="What did one like (engagement) cost in the '{likes}' campaign? Use the `campaigns` table.",
        scenario=_scenario,
        answer=lambda s: _per(s, "engagements"),
        unit="USD per like",
        answer_kind="money",
        currency="USD",
        hint="cost of that campaign ÷ its engagements (likes, shares, comments).",
        explanation="Cheap, and it tells you nothing yet about the business: see the next exercise.",
        mistakes=(
            Mistake(
                "all_clicks",
                "divided by all clicks ('Clicks (all)'), which include likes, shares and expands",
                lambda s: _per(s, "clicks_all"),
                "'Clicks (all)' counts every click on the ad, not likes. A like is an engagement.",
                "use the `engagements` column as the denominator.",
            ),
            Mistake(
                "link_clicks",
                "divided by link clicks: that is the cost per click (CPC), not per like",
                lambda s: _per(s, "clicks"),
                "`clicks` are clicks through to the website. The question asks about likes.",
                "use the `engagements` column as the denominator.",
            ),
            Mistake(
                "inverted",
                "divided likes by cost (likes per dollar), the inverse of the cost per like",
                lambda s: 1 / _per(s, "engagements"),
                "A 'cost per X' puts the money on top.",
                "cost ÷ engagements.",
            ),
        ),
    )
)

# -- 1.2 cost per real outcome ---------------------------------------------------------------------------------

register(
    Exercise(
        id="m1.cost_per_real_outcome",
        title="Cost per real outcome",
        question=(
            "This client's real outcome is an opportunity (a qualified deal in the CRM). What did one "
            "opportunity from the '{likes}' campaign cost?"
        ),
        scenario=_scenario,
        answer=lambda s: float(_engine_costs(s.seed).loc[LIKES, "cost_per_opportunity"]),
        unit="USD per opportunity",
        answer_kind="money",
        currency="USD",
        hint="cost of the campaign ÷ the opportunities the CRM credits to it (the `opportunities` column).",
        explanation="The same money that bought thousands of cheap likes bought about one real opportunity.",
        mistakes=(
            Mistake(
                "platform_conversions",
                "used the platform-reported conversions",
                lambda s: _per(s, "platform_conversions"),
                "Ad platforms count their own 'conversions' (often a page view or a form start, credited "
                "generously). The CRM says what really happened.",
                "count opportunities from the CRM (the `opportunities` column, or the `contacts` table).",
            ),
            Mistake(
                "leads",
                "divided by leads, not opportunities",
                lambda s: _per(s, "leads"),
                "A lead is a form fill; most never become a deal. This client's real outcome is the opportunity.",
                "use the `opportunities` column.",
            ),
            Mistake(
                "mqls",
                "divided by marketing-qualified leads (MQLs), not opportunities",
                lambda s: _per(s, "mqls"),
                "MQLs are one step closer, but sales has not accepted them yet.",
                "use the `opportunities` column.",
            ),
        ),
    )
)

# -- 1.3 the CTR bonus -----------------------------------------------------------------------------------------


def _programme(s: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    sp = s.data["spend"]
    sp = sp.loc[sp["campaign"].isin(PROGRAMME)]
    return sp.loc[sp["date"] < SWITCH], sp.loc[sp["date"] >= SWITCH]


def _ctr(rows: pd.DataFrame, clicks: str = "clicks") -> float:
    return float(rows[clicks].sum() / rows["impressions"].sum())


def _lift(s: Scenario, clicks: str = "clicks") -> float:
    before, after = _programme(s)
    return _ctr(after, clicks) / _ctr(before, clicks) - 1


def _lift_averaged(s: Scenario) -> float:
    before, after = _programme(s)
    mean = lambda rows: float((rows["clicks"] / rows["impressions"]).mean())  # noqa: E731
    return mean(after) / mean(before) - 1


def _points(s: Scenario) -> tuple[float, float]:
    before, after = _programme(s)
    diff = _ctr(after) - _ctr(before)
    return diff, diff * 100


register(
    Exercise(
        id="m1.ctr_lift",
        title="The CTR bonus",
        question=(
            "The campaign manager runs '{prospecting}' and '{retargeting}'. On {switch} she moved her budget "
            "from broad prospecting to retargeting people who had clicked recently. By how much did the CTR of "
            "her programme change, weeks before vs weeks from {switch}? Answer as a relative change: 0.25 for +25%."
        ),
        scenario=_scenario,
        answer=_lift,
        unit="relative change (0.25 = +25%)",
        answer_kind="rate",
        hint="pool each period: total clicks ÷ total impressions, before and after; then after ÷ before − 1.",
        explanation="Her 10% CTR target is met many times over. Now look at what happened to opportunities.",
        mistakes=(
            Mistake(
                "averaged",
                "averaged the weekly ad-group CTRs instead of pooling clicks and impressions",
                _lift_averaged,
                "An average of rates gives a tiny retargeting ad group the same weight as a big one.",
                "sum clicks and impressions over each period first, then divide.",
            ),
            Mistake(
                "all_clicks",
                "used 'Clicks (all)', which include likes, shares and expands",
                lambda s: _lift(s, "clicks_all"),
                "CTR uses link clicks (`clicks`): people who went to the website.",
                "use the `clicks` column.",
            ),
            Mistake(
                "difference",
                "subtracted the two CTRs (a change in percentage points) instead of comparing them",
                _points,
                "A bonus 'CTR +10%' means a relative change: after ÷ before − 1.",
                "divide the after-CTR by the before-CTR, then subtract 1.",
            ),
            Mistake(
                "ratio",
                "divided the after-CTR by the before-CTR without subtracting 1",
                lambda s: _lift(s) + 1,
                "After ÷ before is the ratio of the two CTRs (2.0 = twice as high); the change is that ratio "
                "minus 1 (2.0 − 1 = +100%).",
                "subtract 1 from after ÷ before.",
            ),
            Mistake(
                "percent",
                "gave the change in percent",
                lambda s: 100 * _lift(s),
                "The number is right, but the check expects a fraction.",
                "enter 0.25 for +25%.",
            ),
        ),
    )
)

# -- 1.4 what it cost the business ----------------------------------------------------------------------------


def _programme_contacts(s: Scenario) -> tuple[pd.DataFrame, pd.DataFrame]:
    c = s.data["contacts"]
    c = c.loc[c["campaign"].isin(PROGRAMME)]
    return c.loc[c["created_date"] < SWITCH], c.loc[c["created_date"] >= SWITCH]


def _lost(s: Scenario, column: str = "opportunity_date") -> float:
    before, after = _programme_contacts(s)
    return float(before[column].count() - after[column].count())


register(
    Exercise(
        id="m1.opportunities_lost",
        title="What the CTR bonus cost",
        question=(
            "How many fewer opportunities did her programme produce from leads created from {switch} on, "
            "than from leads created before? Use the `contacts` table (one row per lead)."
        ),
        scenario=_scenario,
        answer=_lost,
        unit="opportunities (a positive number if fewer)",
        answer_kind="count",
        abs=0.5,
        rel=0.0,
        rounding=False,  # a count: no rounding to 2 significant figures
        hint=(
            "split her leads by `created_date` (before the switch vs from the switch on), count the leads in each "
            "half that have an `opportunity_date` (`.count()`), then before − after. Do not compare "
            "`opportunity_date` itself with the switch date."
        ),
        explanation="CTR went up; the pipeline went down. That is the trade-off her bonus hid.",
        mistakes=(
            Mistake(
                "leads",
                "counted leads, not opportunities",
                lambda s: _lost(s, "created_date"),
                "Every row of `contacts` is a lead; only rows with an `opportunity_date` became opportunities.",
                "count non-empty `opportunity_date` values.",
            ),
            Mistake(
                "sign",
                "subtracted the other way round",
                lambda s: -_lost(s),
                "The question asks how many *fewer*: before − after.",
                "before − after.",
            ),
        ),
    )
)

# -- 1.5 which campaign -----------------------------------------------------------------------------------------


def _best_by(s: Scenario, numerator: str, denominator: str, largest: bool = False) -> str:
    t = s.data["campaigns"]
    t = t.loc[t[denominator] > 0]
    ratio = t[numerator] / t[denominator]
    return str(t.loc[ratio.idxmax() if largest else ratio.idxmin(), "campaign"])


register(
    Exercise(
        id="m1.best_campaign",
        title="Which campaign would you fund?",
        question=(
            "Which campaign buys opportunities most cheaply (lowest cost per opportunity)? "
            "Campaigns with no opportunity yet cannot win."
        ),
        scenario=_scenario,
        kind="choice",
        choices=lambda s: sorted(s.data["campaigns"]["campaign"]),
        answer=lambda s: str(_engine_costs(s.seed)["cost_per_opportunity"].idxmin()),
        hint="compute cost ÷ opportunities per campaign in the `campaigns` table and take the smallest.",
        explanation="Often the campaign with the worst CTR and the dearest clicks.",
        mistakes=(
            Mistake(
                "best_ctr",
                "picked the campaign with the best CTR",
                lambda s: _best_by(s, "clicks", "impressions", largest=True),
                "CTR is what the campaign manager is paid on, not what the business needs.",
                "rank by cost ÷ opportunities.",
            ),
            Mistake(
                "cheapest_like",
                "picked the campaign with the cheapest likes",
                lambda s: _best_by(s, "cost", "engagements"),
                "Cheap likes are the bank's $1M prize: plenty of fans, no pipeline.",
                "rank by cost ÷ opportunities.",
            ),
        ),
    )
)
