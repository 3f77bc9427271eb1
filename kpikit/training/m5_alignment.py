"""Module 5 exercises: KPI alignment and incentives.

Expected answers come from the KPI alignment audit (``kpikit.analysis.alignment``)
on the seeded practice client and from the workshop's incentive simulator
(``kpikit.explore.scenarios.incentive_scenario``) on the campaign manager's
programme alone.

Examples
--------
>>> from kpikit.training import EXERCISES
>>> [e.id for e in EXERCISES.module("m5")]  # doctest: +NORMALIZE_WHITESPACE
['m5.misaligned_role', 'm5.gaming_loss', 'm5.relevance_gain', 'm5.bonus_kpi']
"""

from __future__ import annotations

import importlib
from functools import lru_cache

import pandas as pd

from kpikit.training._core import Exercise, Mistake, Scenario, register
from kpikit.training.scenarios import PROGRAMME, practice_model

TARGET_LIFT = 10  # percent: the campaign manager's bonus target, CTR +10%
DEFAULT_CONVERSION_LIFT = 10  # percent: the simulator's default relevance lift
BONUS_KPIS = {"ctr": "ctr", "cost per click": "cpc", "cost per opportunity": "cost_per_opportunity"}


def _lift(seed: int) -> int:
    return (15, 20, 25, 30)[seed % 4]


def programme_model(seed: int):
    """The practice client cut down to the campaign manager's two campaigns.

    Examples
    --------
    >>> sorted(programme_model(0).spend["campaign"].unique())
    ['Prospecting - Broad', 'Retargeting']
    """
    m = practice_model(seed)
    c = m.contacts.loc[m.contacts["campaign"].isin(PROGRAMME)].reset_index(drop=True)
    keys = set(c["contact_key"])
    return m.replace(
        spend=m.spend.loc[m.spend["campaign"].isin(PROGRAMME)].reset_index(drop=True),
        contacts=c,
        deals=m.deals.loc[m.deals["contact_key"].isin(keys)].reset_index(drop=True),
        touchpoints=m.touchpoints.loc[m.touchpoints["contact_key"].isin(keys)].reset_index(drop=True),
    )


@lru_cache(maxsize=32)
def _programme(seed: int):
    return programme_model(seed)


@lru_cache(maxsize=32)
def _alignment(seed: int, kpis: tuple[tuple[str, str], ...] | None = None) -> pd.DataFrame:
    align = importlib.import_module("kpikit.analysis.alignment").kpi_alignment
    return align(practice_model(seed), period="W", kpis=dict(kpis) if kpis else None).to_frame()


@lru_cache(maxsize=64)
def _incentive(seed: int, conversion_lift: int) -> dict:
    explore = importlib.import_module("kpikit.explore.scenarios")
    cube = importlib.import_module("kpikit.explore.precompute").precompute(_programme(seed))
    r = explore.incentive_scenario(
        cube, kpi="ctr", target_lift=TARGET_LIFT / 100, conversion_lift=conversion_lift / 100
    )
    return r.numbers


def _scenario(seed: int) -> Scenario:
    model = practice_model(seed)
    weekly = model.spend.groupby("date", as_index=False)[["impressions", "clicks", "cost"]].sum()
    data = {"weekly_spend": weekly, "programme": _programme(seed), "conversion_lift": _lift(seed)}
    facts = {"lift": _lift(seed), "target": TARGET_LIFT, "bonus_kpis": ", ".join(BONUS_KPIS)}
    return Scenario(seed, data, facts, model)


# -- 5.1 which KPI moves against the business ------------------------------------------------------------------


def _by_correlation(s: Scenario, last: bool) -> str:
    f = _alignment(s.seed).sort_values("correlation", kind="stable")
    return str(f["role"].iloc[-1 if last else 0])


register(
    Exercise(
        id="m5.misaligned_role",
        title="Whose KPI moves against the business?",
        question=(
            "Run the KPI alignment audit on the practice client (`kpikit.kpi_alignment(ex.model)`). Which role is "
            "paid on the KPI that moves least with opportunities (the lowest correlation)?"
        ),
        scenario=_scenario,
        kind="choice",
        choices=lambda s: sorted(_alignment(s.seed)["role"]),
        answer=lambda s: _by_correlation(s, last=False),
        hint="sort the audit's table by `correlation`; the smallest (or most negative) is the least aligned.",
        explanation="That role can hit its target while the business loses pipeline: its bonus needs a second KPI.",
        mistakes=(
            Mistake(
                "most_aligned",
                "picked the role whose KPI is the *most* aligned",
                lambda s: _by_correlation(s, last=True),
                "A correlation near +1 means the KPI moves with the outcome: that one is fine.",
                "take the lowest correlation.",
            ),
        ),
    )
)

# -- 5.2 the gaming path ---------------------------------------------------------------------------------------


def _n(s: Scenario, key: str, lift: int | None = None) -> float:
    return float(_incentive(s.seed, DEFAULT_CONVERSION_LIFT if lift is None else lift)[key])


register(
    Exercise(
        id="m5.gaming_loss",
        title="What gaming the CTR target costs",
        question=(
            "Open the incentive simulator on the campaign manager's programme (`explore.incentive(programme)`), "
            "CTR target +{target}%. The *gaming* path narrows targeting to her best-CTR audiences. How many "
            "opportunities does it lose compared with the baseline?"
        ),
        scenario=_scenario,
        answer=lambda s: _n(s, "baseline_outcome") - _n(s, "gaming_outcome"),
        unit="opportunities (positive if fewer)",
        answer_kind="count",
        rel=0.01,
        abs=0.5,
        hint="read `sim.numbers`: baseline_outcome − gaming_outcome.",
        explanation="Her bonus is met; the business pays for it in pipeline.",
        mistakes=(
            Mistake(
                "sign",
                "subtracted the other way round",
                lambda s: _n(s, "gaming_outcome") - _n(s, "baseline_outcome"),
                "The question asks how many are *lost*: baseline − gaming.",
                "baseline_outcome − gaming_outcome.",
            ),
            Mistake(
                "relative",
                "gave the loss as a share of the baseline",
                lambda s: 1 - _n(s, "gaming_outcome") / _n(s, "baseline_outcome"),
                "The question asks for a number of opportunities.",
                "baseline_outcome − gaming_outcome.",
            ),
        ),
    )
)

# -- 5.3 the relevance path ------------------------------------------------------------------------------------

register(
    Exercise(
        id="m5.relevance_gain",
        title="The relevance path",
        question=(
            "The *relevance* path meets the same CTR target with better creative, and assumes better-targeted "
            "messages also convert more. Set the conversion-rate lift to {lift}% "
            '(`sim.controls["conversion_lift"].value = {lift}`). How many more opportunities than the baseline '
            "does it give?"
        ),
        scenario=_scenario,
        answer=lambda s: _n(s, "relevance_outcome", _lift(s.seed)) - _n(s, "baseline_outcome"),
        unit="opportunities",
        answer_kind="number",  # an expected gain is fractional: one decimal, not a whole count
        rel=0.01,
        abs=0.5,
        hint="after setting the control, sim.numbers['relevance_outcome'] − sim.numbers['baseline_outcome'].",
        explanation="Same target, opposite effect on the business: reward the route, not just the number.",
        mistakes=(
            Mistake(
                "default_lift",
                "left the conversion-rate lift at its default of 10%",
                lambda s: _n(s, "relevance_outcome") - _n(s, "baseline_outcome"),
                "The simulator recomputes when you change a control.",
                "set sim.controls['conversion_lift'].value to the lift in the question, then read sim.numbers.",
            ),
            Mistake(
                "total",
                "gave the relevance path's total, not the gain over the baseline",
                lambda s: _n(s, "relevance_outcome", _lift(s.seed)),
                "The question asks how many *more* than the baseline.",
                "subtract baseline_outcome.",
            ),
        ),
    )
)

# -- 5.4 the KPI to propose ------------------------------------------------------------------------------------


def _bonus_ranking(s: Scenario) -> list[str]:
    f = _alignment(s.seed, tuple((k, v) for k, v in BONUS_KPIS.items()))
    return list(f.sort_values("correlation", kind="stable", ascending=False)["role"])


register(
    Exercise(
        id="m5.bonus_kpi",
        title="A KPI the business can live with",
        question=(
            "Which of these KPIs ({bonus_kpis}) would you propose for the campaign manager's next bonus? Pick the "
            "one that moves most with opportunities: `kpikit.kpi_alignment(ex.model, kpis=...)` compares them."
        ),
        scenario=_scenario,
        kind="choice",
        choices=lambda s: list(BONUS_KPIS),
        answer=lambda s: _bonus_ranking(s)[0],
        hint="pass kpis={'ctr': 'ctr', 'cost per click': 'cpc', 'cost per opportunity': 'cost_per_opportunity'} "
        "and take the highest correlation.",
        explanation="A KPI that moves with the outcome can be paid on safely; keep CTR as a diagnostic, not a target.",
        mistakes=(
            Mistake(
                "kept_ctr",
                "kept CTR",
                lambda s: "ctr" if _bonus_ranking(s)[0] != "ctr" else None,
                "CTR is exactly the KPI she could game by narrowing the audience.",
                "compare the correlations in the audit.",
            ),
            Mistake(
                "cheap_clicks",
                "chose cost per click",
                lambda s: "cost per click" if _bonus_ranking(s)[0] != "cost per click" else None,
                "Cheap clicks are a vanity too: retargeting makes them cheap and the pipeline thin.",
                "compare the correlations in the audit.",
            ),
        ),
    )
)
