"""Module 3 exercises: the funnel and the cost per real outcome.

Expected answers come from the analysis engine (``kpikit.analysis``: funnel
step rates, stage times, lead cohorts, Wilson intervals) run on the seeded
practice client; the mistakes are the shortcuts people take by hand.

Examples
--------
>>> from kpikit.training import EXERCISES
>>> [e.id for e in EXERCISES.module("m3")]  # doctest: +NORMALIZE_WHITESPACE
['m3.mql_to_sql', 'm3.days_to_close', 'm3.mature_cohort', 'm3.interval_high']
"""

from __future__ import annotations

import importlib
import math
from functools import lru_cache

import numpy as np
import pandas as pd

from kpikit.training._core import Exercise, Mistake, Scenario, register
from kpikit.training.scenarios import AS_OF, RETARGETING, practice_model


def _scenario(seed: int) -> Scenario:
    model = practice_model(seed)
    contacts = model.contacts[
        ["contact_key", "company_domain", "campaign", "created_date", "mql_date", "sql_date", "opportunity_date"]
    ]
    deals = model.deals[["deal_id", "created_date", "close_date", "amount", "stage", "is_closed", "is_won", "campaign"]]
    targets = model.target_accounts[["account_domain", "account_name"]]
    facts = {"as_of": f"{AS_OF:%d %b %Y}", "retargeting": RETARGETING}
    return Scenario(seed, {"contacts": contacts, "deals": deals, "target_accounts": targets}, facts, model)


def _engine():
    # Deferred: the engine pulls in scipy; the registry should import fast.
    return importlib.import_module("kpikit.analysis.funnel"), importlib.import_module("kpikit.analysis.stats")


# -- 3.1 stage conversion ----------------------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _funnel_frame(seed: int) -> pd.DataFrame:
    return _engine()[0].funnel(practice_model(seed)).to_frame()


@lru_cache(maxsize=32)
def _stage_times(seed: int) -> pd.DataFrame:
    return _engine()[0].stage_times(practice_model(seed))


@lru_cache(maxsize=32)
def _cohort_frame(seed: int) -> pd.DataFrame:
    return _engine()[0].cohorts(practice_model(seed))


def _step_rate(s: Scenario, stage: str = "sql") -> float:
    frame = _funnel_frame(s.seed)
    return float(frame.loc[frame["stage"] == stage, "step_rate"].iloc[0])


def _count(s: Scenario, column: str) -> int:
    return int(s.data["contacts"][column].count())


def _averaged_step(s: Scenario) -> float:
    c = s.data["contacts"]
    g = c.groupby("campaign")[["mql_date", "sql_date"]].count()
    g = g.loc[g["mql_date"] > 0]
    return float((g["sql_date"] / g["mql_date"]).mean())


register(
    Exercise(
        id="m3.mql_to_sql",
        title="Stage conversion: MQL to SQL",
        question=(
            "What share of marketing-qualified leads (MQLs) became sales-qualified leads (SQLs), over the whole "
            "account? Answer as a fraction."
        ),
        scenario=_scenario,
        answer=_step_rate,
        unit="fraction (0.5 = 50%)",
        answer_kind="rate",
        hint="count contacts with an `sql_date` and divide by contacts with an `mql_date`.",
        explanation="A step rate divides by the stage just before, not by the top of the funnel.",
        mistakes=(
            Mistake(
                "from_leads",
                "divided by all leads instead of by MQLs",
                lambda s: _count(s, "sql_date") / len(s.data["contacts"]),
                "That is the cumulative rate from lead to SQL. The step rate divides by the stage just before.",
                "divide SQLs by MQLs.",
            ),
            Mistake(
                "averaged",
                "averaged the campaigns' rates instead of pooling",
                _averaged_step,
                "A campaign with 5 MQLs counts as much as one with 200 in an average of rates.",
                "count SQLs and MQLs over the whole account, then divide once.",
            ),
            Mistake(
                "percent",
                "gave the rate in percent",
                lambda s: 100 * _step_rate(s),
                "The number is right, but the check expects a fraction.",
                "enter 0.5 for 50%.",
            ),
        ),
    )
)

# -- 3.2 time to close -------------------------------------------------------------------------------------------


def _days_to_close(s: Scenario) -> float:
    times = _stage_times(s.seed)
    row = times.loc[(times["from_stage"] == "opportunity") & (times["to_stage"] == "won")]
    return float(row["median_days"].iloc[0])


def _deal_days(s: Scenario, rows: str) -> pd.Series:
    d = s.data["deals"]
    days = (d["close_date"] - d["created_date"]).dt.days
    keep = {"won": d["is_won"].astype(bool), "closed": d["is_closed"].astype(bool), "all": d["deal_id"].notna()}
    return days[keep[rows]]


register(
    Exercise(
        id="m3.days_to_close",
        title="Time to close",
        question=(
            "How many days does it typically take to win a deal: the median number of days from deal creation "
            "to close, over the deals that were won?"
        ),
        scenario=_scenario,
        answer=_days_to_close,
        unit="days",
        answer_kind="number",  # a median of whole days can end in .5, which "days" would round away
        abs=0.5,
        rel=0.0,
        rounding=False,  # whole days: no rounding to 2 significant figures
        hint="(close_date − created_date).dt.days for the won deals (`is_won`), then .median().",
        explanation="Use it to judge when a cohort of leads has had time to turn into revenue.",
        mistakes=(
            Mistake(
                "mean",
                "took the mean, not the median",
                lambda s: float(_deal_days(s, "won").mean()),
                "A few slow deals pull the mean up; the median is the typical deal.",
                "use .median().",
            ),
            Mistake(
                "all_deals",
                "included lost and open deals",
                lambda s: float(_deal_days(s, "all").median()),
                "Lost deals are usually dropped within weeks, and an open deal's close date is only the "
                "salesperson's forecast: neither says how long it takes to win.",
                "keep only rows with `is_won` True.",
            ),
        ),
    )
)

# -- 3.3 immature cohorts ----------------------------------------------------------------------------------------


def _cohorts(s: Scenario) -> pd.DataFrame:
    return _cohort_frame(s.seed)


def _cohort_rate(s: Scenario, cohort: str | None, numerator: str = "won", denominator: str = "leads") -> float:
    c = _cohorts(s)
    rows = c if cohort is None else c.loc[c["cohort"] == cohort]
    return float(rows[numerator].sum() / rows[denominator].sum())


register(
    Exercise(
        id="m3.mature_cohort",
        title="Cohorts that are not mature yet",
        question=(
            "The CRM was exported on {as_of}. Leads from January have had time to close; leads from March "
            "mostly have not. What share of the leads created in January 2026 became won deals?"
        ),
        scenario=_scenario,
        answer=lambda s: _cohort_rate(s, "2026-01"),
        unit="fraction of January's leads",
        answer_kind="rate",
        hint="contacts created in January; link them to won deals (or use kpikit.funnel(model).cohorts).",
        explanation="Quote the rate of a mature cohort; say that recent cohorts are still closing.",
        mistakes=(
            Mistake(
                "all_cohorts",
                "used every lead, including the recent cohorts that have not had time to close",
                lambda s: _cohort_rate(s, None),
                "Recent leads are still in the pipeline: counting them makes the win rate look falsely low.",
                "keep only the leads created in January 2026.",
            ),
            Mistake(
                "latest",
                "used the latest cohort (March)",
                lambda s: _cohort_rate(s, "2026-03"),
                "March's leads have not had time to close.",
                "use January's cohort.",
            ),
            Mistake(
                "of_opportunities",
                "divided by January's opportunities, not its leads (a win rate of opportunities)",
                lambda s: _cohort_rate(s, "2026-01", denominator="opportunity"),
                "The question is about leads: of the people who became leads in January, how many were won.",
                "divide won deals by January's leads.",
            ),
        ),
    )
)

# -- 3.4 intervals on small numbers ------------------------------------------------------------------------------


def _retargeting(s: Scenario) -> tuple[int, int]:
    c = s.data["contacts"]
    rows = c.loc[c["campaign"] == RETARGETING]
    return int(rows["opportunity_date"].count()), len(rows)


def _wilson(s: Scenario) -> tuple[float, float]:
    return _engine()[1].wilson_interval(*_retargeting(s))


def _wald_high(s: Scenario) -> float:
    k, n = _retargeting(s)
    p = k / n
    return p + 1.959964 * math.sqrt(p * (1 - p) / n)


register(
    Exercise(
        id="m3.interval_high",
        title="Intervals on small numbers",
        question=(
            "Only a handful of the '{retargeting}' campaign's leads became opportunities. Before you call its "
            "rate 'terrible', how good could it plausibly be? Give the **upper end of the 95% Wilson interval** "
            "on its lead-to-opportunity rate (`kpikit.wilson_interval(successes, trials)` returns (low, high))."
        ),
        scenario=_scenario,
        answer=lambda s: float(_wilson(s)[1]),
        unit="fraction",
        answer_kind="rate",
        rel=0.01,
        hint="trials = the campaign's leads; successes = those with an `opportunity_date`.",
        explanation="With a few dozen leads the honest statement is a range, not a single rate.",
        mistakes=(
            Mistake(
                "point",
                "gave the rate itself, not the upper end of its interval",
                lambda s: np.divide(*_retargeting(s)),
                "On a few dozen leads the true rate could be quite a bit higher or lower.",
                "pass successes and trials to kpikit.wilson_interval and take the second value.",
            ),
            Mistake(
                "wald",
                "used the textbook normal approximation (p ± 1.96·√(p(1−p)/n))",
                _wald_high,
                "That approximation is poor on small samples and near 0%: it makes the range far too narrow.",
                "use kpikit.wilson_interval.",
            ),
            Mistake(
                "low_end",
                "gave the lower end of the interval",
                lambda s: float(_wilson(s)[0]),
                "The question asks how good the rate could plausibly be: the upper end.",
                "take the second value of the (low, high) pair.",
            ),
        ),
    )
)
