"""Module 4 exercises: attribution.

Expected answers come from ``kpikit.analysis.attribution`` on the seeded
practice client, whose journeys open on paid social, convert on the ad that
made the lead and close on email nurture, with a visit after some conversions
that no model may credit.

Examples
--------
>>> from kpikit.training import EXERCISES
>>> [e.id for e in EXERCISES.module("m4")]  # doctest: +NORMALIZE_WHITESPACE
['m4.last_touch_share', 'm4.linear_credit', 'm4.biggest_gainer', 'm4.data_driven_safe']
"""

from __future__ import annotations

import importlib
from functools import lru_cache

import pandas as pd

from kpikit.training._core import Exercise, Mistake, Scenario, register
from kpikit.training.scenarios import ABM, practice_model

CHANNEL = {"last_touch_share": "email", "linear_credit": "paid_search"}
MARCH = (pd.Timestamp("2026-03-01"), pd.Timestamp("2026-04-01"))
SAFE_CHOICES = ("yes", "no: too few conversions", "no: the models disagree")


def _attribution(model, models=None):
    # Deferred: the engine is heavy and the registry should import fast.
    return importlib.import_module("kpikit.analysis.attribution").attribution(model, models=models)


@lru_cache(maxsize=32)
def _credits(seed: int) -> pd.DataFrame:
    return _attribution(practice_model(seed)).to_frame().set_index("channel")


def _segment(seed: int):
    """Contacts of the ABM campaign created in March, with their deals and touchpoints."""
    m = practice_model(seed)
    c = m.contacts
    keep = (c["campaign"] == ABM) & (c["created_date"] >= MARCH[0]) & (c["created_date"] < MARCH[1])
    keys = set(c.loc[keep, "contact_key"])
    return m.replace(
        contacts=c.loc[keep].reset_index(drop=True),
        deals=m.deals.loc[m.deals["contact_key"].isin(keys)].reset_index(drop=True),
        touchpoints=m.touchpoints.loc[m.touchpoints["contact_key"].isin(keys)].reset_index(drop=True),
    )


@lru_cache(maxsize=32)
def _segment_markov(seed: int) -> dict:
    return dict(_attribution(_segment(seed), models=["last", "markov"]).markov)


def _scenario(seed: int) -> Scenario:
    model = practice_model(seed)
    c = model.contacts
    conversions = c.loc[c["opportunity_date"].notna(), ["contact_key", "opportunity_date"]]
    conversions = conversions.rename(columns={"opportunity_date": "conversion_date"}).reset_index(drop=True)
    touchpoints = model.touchpoints[["contact_key", "timestamp", "channel"]]
    data = {"touchpoints": touchpoints, "conversions": conversions}
    facts = {
        "email": CHANNEL["last_touch_share"],
        "search": CHANNEL["linear_credit"],
        "abm": ABM,
        "segment_conversions": int(_segment(seed).contacts["opportunity_date"].count()),
    }
    return Scenario(seed, data, facts, model)


def _journeys(s: Scenario, *, cut: bool = True, converted: bool = True) -> pd.DataFrame:
    t = s.data["touchpoints"]
    conv = s.data["conversions"]
    if converted:
        t = t.merge(conv, on="contact_key")
        if cut:
            t = t.loc[t["timestamp"].dt.normalize() <= t["conversion_date"].dt.normalize()]
    return t.sort_values(["contact_key", "timestamp"], kind="stable")


def _touch_share(s: Scenario, which: str = "last", **kw) -> float:
    j = _journeys(s, **kw)
    picked = j.groupby("contact_key")["channel"].agg(which)
    return float((picked == CHANNEL["last_touch_share"]).mean())


# -- 4.1 last touch, by hand -------------------------------------------------------------------------------------

register(
    Exercise(
        id="m4.last_touch_share",
        title="Last touch, by hand",
        question=(
            "Under last-touch attribution, each conversion is credited to the last touchpoint on or before the "
            "day it converted. What share of conversions does '{email}' get? Answer as a fraction."
        ),
        scenario=_scenario,
        answer=lambda s: (
            float(_credits(s.seed).loc[CHANNEL["last_touch_share"], "last"]) / float(_credits(s.seed)["last"].sum())
        ),
        unit="fraction of conversions",
        answer_kind="rate",
        rel=0.005,
        hint="keep touches on or before each contact's conversion day, sort by time, take each contact's last.",
        explanation="Email closes most journeys, so last touch hands it most of the credit.",
        mistakes=(
            Mistake(
                "after_conversion",
                "kept touches that happened after the conversion",
                lambda s: _touch_share(s, cut=False),
                "A visit after someone converted cannot have caused the conversion.",
                "drop touches dated after the contact's conversion day.",
            ),
            Mistake(
                "all_contacts",
                "credited every contact's last touch, including people who never converted",
                lambda s: _touch_share(s, converted=False),
                "Attribution shares out *conversions*: only converting journeys count.",
                "merge the touchpoints with `conversions` first.",
            ),
            Mistake(
                "first_touch",
                "took the first touch instead of the last",
                lambda s: _touch_share(s, "first"),
                "That is first-touch attribution: the question asks about the last touch.",
                "use .last() (after sorting by timestamp), not .first().",
            ),
        ),
    )
)

# -- 4.2 reading the engine's table -----------------------------------------------------------------------------


def _credit(s: Scenario, model: str) -> float:
    return float(_credits(s.seed).loc[CHANNEL["linear_credit"], model])


def _touch_count(s: Scenario) -> float:
    j = _journeys(s)
    return float((j["channel"] == CHANNEL["linear_credit"]).sum())


register(
    Exercise(
        id="m4.linear_credit",
        title="Linear attribution",
        question=(
            "Under linear attribution every touch of a converting journey gets an equal share of its conversion. "
            "How many conversions does '{search}' get? (Use `kpikit.attribution(ex.model)`.)"
        ),
        scenario=_scenario,
        answer=lambda s: _credit(s, "linear"),
        unit="conversions (may be fractional)",
        answer_kind="number",  # linear credit is fractional: one decimal, not a whole count
        rel=0.005,
        abs=0.05,
        hint="the table has one row per channel and one column per model; read row paid_search, column linear.",
        explanation="Fractions are normal: a journey of three touches gives each a third of a conversion.",
        mistakes=(
            Mistake(
                "last",
                "read the last-touch column",
                lambda s: _credit(s, "last"),
                "Each column is a different model. Linear is the one that shares credit equally.",
                "read the `linear` column.",
            ),
            Mistake(
                "touch_count",
                "counted paid-search touches instead of sharing each conversion between its touches",
                _touch_count,
                "A touch in a four-touch journey earns a quarter of a conversion, not a whole one.",
                "let kpikit share the credit: read the `linear` column.",
            ),
        ),
    )
)

# -- 4.3 why credits differ -------------------------------------------------------------------------------------


def _gain(s: Scenario) -> pd.Series:
    c = _credits(s.seed)
    return (c["first"] - c["last"]).sort_values(kind="stable")


register(
    Exercise(
        id="m4.biggest_gainer",
        title="Why the models disagree",
        question=(
            "Switch from last-touch to first-touch attribution. Which channel gains the most conversions "
            "(first-touch credit minus last-touch credit)?"
        ),
        scenario=_scenario,
        kind="choice",
        choices=lambda s: sorted(_credits(s.seed).index),
        answer=lambda s: str(_gain(s).index[-1]),
        hint="subtract the `last` column from the `first` column and take the largest.",
        explanation="Channels that open journeys win under first touch; channels that close them under last touch. "
        "Neither is 'true': say which question each model answers.",
        mistakes=(
            Mistake(
                "reversed",
                "picked the channel that *loses* the most",
                lambda s: str(_gain(s).index[0]),
                "That channel closes journeys: last touch flatters it.",
                "first minus last, then the largest.",
            ),
        ),
    )
)

# -- 4.4 when data-driven attribution is unsafe -----------------------------------------------------------------


def _safe(s: Scenario) -> str:
    return SAFE_CHOICES[0] if _segment_markov(s.seed).get("reliable") else SAFE_CHOICES[1]


register(
    Exercise(
        id="m4.data_driven_safe",
        title="When is data-driven attribution safe?",
        question=(
            "The client wants data-driven (Markov) attribution for the '{abm}' leads created in March 2026 only: "
            "{segment_conversions} conversions. Should you report it as the answer?"
        ),
        scenario=_scenario,
        kind="choice",
        choices=lambda s: list(SAFE_CHOICES),
        answer=_safe,
        hint="a data-driven model learns from converting journeys: how many are there?",
        explanation="kpikit flags the Markov model below 30 converting journeys: show rule-based models instead, "
        "or widen the period.",
        mistakes=(
            Mistake(
                "it_ran",
                "trusted the model because it produced numbers",
                lambda s: SAFE_CHOICES[0] if _safe(s) != SAFE_CHOICES[0] else None,
                "A model always produces numbers. With a handful of conversions they mostly reflect noise.",
                "count the converting journeys; kpikit's attribution notes say when there are too few.",
            ),
            Mistake(
                "disagree",
                "took disagreement between models as the reason",
                lambda s: SAFE_CHOICES[2],
                "Models always disagree: they answer different questions. That is not what makes one unsafe.",
                "look at how much data the data-driven model has to learn from.",
            ),
        ),
    )
)
