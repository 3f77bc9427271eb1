"""The explorer registry: explorer name -> class, and the explorers' public names in one place.

Each explorer family lives in its own module; what they share (the :class:`Explorer` base,
the chart-spec cache, the offline bundle, the readout table) is :mod:`kpikit.explore._base`:

=========================  =============================================================
module                     explorers
=========================  =============================================================
``explore._targeting``      :class:`TargetingExplorer` (narrow the audience)
``explore._budget``         :class:`BudgetExplorer` (move weekly spend, response curves)
``explore._outcomes``       :class:`OutcomeExplorer` (switch the real outcome),
                           :class:`VanityCostExplorer` (cost of a vanity KPI)
``explore._attribution``    :class:`AttributionExplorer` (flip attribution models)
``explore._incentive``      :class:`IncentiveExplorer` (gaming vs relevance)
``explore._forecast``       :class:`PlanQuarterExplorer` (plan next quarter: the forecast)
``explore._intro``          :func:`intro_widget` (the workshop's header)
=========================  =============================================================

Examples
--------
>>> sorted(EXPLORERS)
['attribution_switch', 'budget_shift', 'incentive', 'outcome_switch', 'plan_quarter', 'targeting', 'vanity_cost']
"""

from __future__ import annotations

from kpikit.explore._attribution import AttributionExplorer
from kpikit.explore._base import Explorer
from kpikit.explore._budget import BudgetExplorer
from kpikit.explore._forecast import PlanQuarterExplorer
from kpikit.explore._incentive import IncentiveExplorer
from kpikit.explore._intro import intro_widget
from kpikit.explore._outcomes import OutcomeExplorer, VanityCostExplorer
from kpikit.explore._targeting import TargetingExplorer

__all__ = [
    "intro_widget",
    "Explorer",
    "EXPLORERS",
    "TargetingExplorer",
    "BudgetExplorer",
    "OutcomeExplorer",
    "AttributionExplorer",
    "IncentiveExplorer",
    "VanityCostExplorer",
    "PlanQuarterExplorer",
]

# Registry: explorer name -> class (the public functions of :mod:`kpikit.explore` read it).
EXPLORERS: dict[str, type[Explorer]] = {
    cls.name: cls
    for cls in (
        TargetingExplorer,
        BudgetExplorer,
        OutcomeExplorer,
        AttributionExplorer,
        IncentiveExplorer,
        VanityCostExplorer,
        PlanQuarterExplorer,
    )
}
