"""Workshop explorers: live widgets that show what each KPI choice really costs.

Each explorer is one call on a :class:`~kpikit.model.ClientModel` and returns a
displayable widget (an ``ipywidgets.AppLayout``) that also exposes
``controls`` (name -> widget), ``result`` and ``numbers`` (what it shows),
``charts`` (name -> ``altair.JupyterChart``) and ``snapshot()``:

=====================  ======================================================
``targeting``          narrow the audience (clicked within N days, top-k by
                       CTR, exclusions): CTR up, real outcomes down?
``budget_shift``       move weekly spend between platforms; diminishing-returns
                       curves fitted to the client's weeks, with a 90 % band
                       and a warning beyond observed spend
``outcome_switch``     switch the real outcome; campaigns re-rank; vanity vs
                       value quadrant
``attribution_switch`` flip attribution models; channel credit and cost per
                       outcome move
``incentive``          a KPI target for a role: gaming (narrowing) path vs
                       relevance (conversion-lift) path
``vanity_cost``        cost per vanity unit next to cost per real outcome
``plan_quarter``       plan next quarter: weekly spend sliders per platform;
                       forecast opportunities, pipeline, won deals and revenue
                       by week with 80 % / 95 % bands beside the current plan
=====================  ======================================================

Three layers, kept apart: :mod:`~kpikit.explore.precompute` (the model reduced
once to a small cube, through the engine), :mod:`~kpikit.explore.scenarios`
(pure functions: cube + control values -> numbers, calling the statistics of
:mod:`kpikit.analysis` rather than re-implementing them), and
:mod:`~kpikit.explore.charts` / the explorer modules (Altair builders and
ipywidgets wiring: :mod:`~kpikit.explore._targeting`,
:mod:`~kpikit.explore._budget`, :mod:`~kpikit.explore._outcomes`,
:mod:`~kpikit.explore._attribution`, :mod:`~kpikit.explore._incentive`, on the
shared :mod:`~kpikit.explore._base`; :mod:`~kpikit.explore.widgets` holds the
registry). Measures, labels and number formats are the core's
(:mod:`kpikit.core.measures`, :func:`kpikit.core.fmt.fmt`).

When the data is missing
------------------------
An explorer whose data this client lacks (no touchpoint export for attribution; ad
exports of monthly or quarterly totals for the weekly budget curves; no ad delivery)
shows its title and a one-paragraph notice instead of its controls, and the rest of
the workshop works (``explorer.unavailable``, ``explorer.reason``; see
:class:`~kpikit.explore._base.Explorer`).

The workbook loads the client with :func:`load_client`: :func:`kpikit.load_client`,
read from the copy ``kpikit workshop`` prepared while its server started
(:mod:`kpikit.explore.preload`).

Snapshots
---------
The Snapshot button (or ``explorer.snapshot(folder=None, name=None)``) writes
into ``<client folder>/snapshots/`` (the folder of ``client.yaml``):

* ``<name>.json``, with ``name`` = ``<explorer>-<yyyymmddThhmmss>`` (UTC;
  ``-2``, ``-3``... if taken) unless a name is given;
* ``<name>-<chart>.svg`` and ``<name>-<chart>.png`` for each chart.

JSON schema ``kpikit.workshop-snapshot/1`` (all values plain JSON; NaN and
infinity are written as ``null``)::

    {
      "schema": "kpikit.workshop-snapshot/1",
      "client": "acme",                 # client id
      "explorer": "targeting",          # one of the explorer names above
      "title": "Targeting: ...",        # heading shown in the workshop
      "name": "targeting-20260101T101500",
      "created_utc": "2026-01-01T10:15:00Z",
      "currency": "EUR",
      "real_outcome": "opportunity",
      "controls": {"clicked_within": 30.0, "top_k": 0, "exclude": []},
      "numbers": {...},                 # the headline figures shown (per explorer, below)
      "result": {...},                  # the scenario's to_dict(): view, currency, rows, controls, numbers, notes
      "summary": "Narrowing to 3 audiences moves CTR +53.1% and opportunities -56.4%.",
      "charts": [{"name": "index", "title": "...", "svg": "<name>-index.svg", "png": "<name>-index.png"}]
    }

``numbers`` per explorer: targeting ``{before, after, change: {metric: value},
audiences_kept_count, audiences_kept}`` (names: the first 50) with metrics ``ctr, impressions, clicks, lead,
opportunity, cost, cost_per_opportunity``; budget_shift ``{spend_now,
spend_scenario, outcome_now, outcome_scenario, outcome_low, outcome_high,
cost_per_outcome_now, cost_per_outcome_scenario, warnings}`` (weekly);
outcome_switch ``{top_by_vanity, top_by_value, outcomes, cost_per_outcome,
rank_correlation, spend_share_vanity_only}`` (``rank_correlation`` is Kendall's
tau-b between the vanity and the value ranking over campaigns with spend: the
report's ``vanity.kendall_tau`` for the same outcome and KPI); attribution_switch ``{model,
credit: {channel: credit}, top_channel, cost_per_outcome: {campaign: cost}}``;
incentive ``{kpi_target, <path>_kpi, <path>_outcome, <path>_cost,
<path>_impressions, gaming_meets_target, gaming_audiences_count,
gaming_audiences}`` (names: the first 50) for paths
``baseline, gaming, relevance``; vanity_cost ``{cost_per_vanity,
cost_per_real_outcome_entered, cost_per_real_outcome_data,
real_outcomes_budget_buys, vanity_per_real_outcome_entered}``; plan_quarter ``{plan,
current_plan: {platform: weekly spend}, extrapolated, totals: {stage: {current, plan,
low80, high80}}, origin, horizon_weeks, warnings}`` (quarter totals for ``lead, opportunity,
won, revenue``). Rates are
fractions (0.05 = 5 %), money is in ``currency``. Read them all with
:func:`kpikit.explore.snapshot.read_snapshots`.

Examples
--------
>>> from kpikit import explore
>>> from kpikit.samples import synthetic_model
>>> t = explore.targeting(synthetic_model(2_000, 6_000, seed=1))
>>> t.controls["top_k"].value = 1
>>> t.numbers["after"]["ctr"] >= t.numbers["before"]["ctr"]
True
"""

from __future__ import annotations

import os
import sys
from typing import Any

from kpikit.explore.preload import ENV as _WORKSHOP_ENV

# In a kernel started by `kpikit workshop`: jsonschema (which altair imports) loads the
# optional rfc3987-syntax package when installed, and that builds a parser at import, ~3 s
# of every kernel start. Nothing in the workshop validates IRI formats; without the package
# jsonschema just skips that one format check.
if os.environ.get(_WORKSHOP_ENV) and "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)

from kpikit.explore.precompute import Cube, parse_window, precompute
from kpikit.explore.preload import load_client
from kpikit.explore.snapshot import SCHEMA, read_snapshots

__all__ = [
    "load_client",
    "intro",
    "Cube",
    "precompute",
    "parse_window",
    "targeting",
    "budget_shift",
    "outcome_switch",
    "attribution_switch",
    "incentive",
    "vanity_cost",
    "plan_quarter",
    "SCHEMA",
    "read_snapshots",
]


def _explorer(name: str, model: Any, **kwargs: Any):
    # The registry says which class an explorer name is; importing it loads ipywidgets and altair.
    from kpikit.explore.widgets import EXPLORERS

    return EXPLORERS[name](model, **kwargs)


def intro(model: Any):
    """The header for the room: client, period, spend and outcomes, what was unattributed, the
    cost per real outcome and the report's key findings (filled in as soon as they are computed).

    Examples
    --------
    >>> from kpikit.samples import synthetic_model
    >>> "spend" in intro(synthetic_model(2_000, 6_000, seed=1)).children[0].value
    True
    """
    from kpikit.explore.widgets import intro_widget

    return intro_widget(model)


def targeting(model: Any):
    """Targeting narrowness explorer (seed story 1). See :class:`~kpikit.explore.widgets.TargetingExplorer`."""
    return _explorer("targeting", model)


def budget_shift(model: Any, *, by: str = "platform", n_boot: int = 200):
    """Budget shift explorer: one weekly-spend slider per platform (``by="campaign"``: per campaign).

    See :class:`~kpikit.explore.widgets.BudgetExplorer` and
    :mod:`kpikit.analysis.response` for how the curves are fitted.
    """
    return _explorer("budget_shift", model, by=by, n_boot=n_boot)


def outcome_switch(model: Any):
    """Real-outcome switch explorer. See :class:`~kpikit.explore.widgets.OutcomeExplorer`."""
    return _explorer("outcome_switch", model)


def attribution_switch(model: Any):
    """Attribution model switch explorer. See :class:`~kpikit.explore.widgets.AttributionExplorer`."""
    return _explorer("attribution_switch", model)


def incentive(model: Any):
    """Incentive simulator (seed story 1, the bonus). See :class:`~kpikit.explore.widgets.IncentiveExplorer`."""
    return _explorer("incentive", model)


def vanity_cost(model: Any):
    """Cost of a vanity KPI (seed story 2). See :class:`~kpikit.explore.widgets.VanityCostExplorer`."""
    return _explorer("vanity_cost", model)


def plan_quarter(model: Any, *, horizon_weeks: int = 13):
    """Plan next quarter: the pipeline forecast per weekly spend plan. See :class:`~kpikit.explore.widgets.PlanQuarterExplorer`."""
    return _explorer("plan_quarter", model, horizon_weeks=horizon_weeks)
