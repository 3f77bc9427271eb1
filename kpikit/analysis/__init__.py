"""The analysis engine: pure pandas views of a :class:`~kpikit.model.ClientModel`.

Every view returns a frozen result object with ``to_frame()``, ``to_dict()``
(JSON-safe), ``_repr_html_()`` (every label escaped) and ``chart()``.

=========================  =====================================================
view                       module
=========================  =====================================================
:func:`funnel`             :mod:`kpikit.analysis.funnel`
:func:`match_campaigns`    :mod:`kpikit.analysis.joins`
:func:`cost_per_outcome`   :mod:`kpikit.analysis.costs`
:func:`vanity_vs_value`    :mod:`kpikit.analysis.vanity`
:func:`key_accounts`       :mod:`kpikit.analysis.key_accounts`
:func:`attribution`        :mod:`kpikit.analysis.attribution`
:func:`kpi_alignment`      :mod:`kpikit.analysis.alignment`
:func:`metrics`            :mod:`kpikit.analysis.metrics`
:func:`findings`           :mod:`kpikit.analysis.findings` (traceable sentences)
:func:`headline_cost`      :mod:`kpikit.analysis.costs` (the one cost per real outcome)
:func:`segment_table`      :mod:`kpikit.analysis.segments` (the shared aggregate)
:func:`backtest`           :mod:`kpikit.analysis.forecast` (``kpikit.forecast``: the pipeline forecast)
=========================  =====================================================

Statistics the workshop calls rather than re-implements: :func:`rank_agreement` (how far a
vanity ranking agrees with the value ranking, :mod:`kpikit.analysis.vanity`) and
:func:`fit_response_curves` (diminishing returns of weekly spend, :mod:`kpikit.analysis.response`).

The forecast itself is ``kpikit.forecast`` (:func:`kpikit.analysis.forecast.forecast`); here the
name ``forecast`` stays the module, so ``kpikit.analysis.forecast.backtest`` reads as written.
For a new plan per interaction, fit once with :func:`fit_forecast` and call ``.forecast(plan)``.

For interactive use, build :func:`segment_table` once and recompute views from it with the
pure functions :func:`cost_table` and :func:`funnel_table` (milliseconds on small aggregates).
"""

from kpikit.analysis.alignment import ALIGNMENT_KPIS, AlignmentResult, kpi_alignment
from kpikit.analysis.attribution import ATTRIBUTION_MODELS, AttributionResult, attribution
from kpikit.analysis.costs import OUTCOMES, CostResult, cost_per_outcome, cost_table, headline_cost, headline_sentence
from kpikit.analysis.findings import Finding, FindingsResult, findings
from kpikit.analysis.forecast import BacktestResult, Forecaster, ForecastResult, backtest, fit_forecast
from kpikit.analysis.funnel import FunnelResult, funnel, funnel_table
from kpikit.analysis.joins import MatchResult, match_campaigns, normalise_names
from kpikit.analysis.key_accounts import KeyAccountResult, key_accounts
from kpikit.analysis.metrics import SCHEMA_VERSION, metrics
from kpikit.analysis.response import ResponseCurve, fit_response_curves
from kpikit.analysis.segments import segment_table
from kpikit.analysis.shrink import honest_flags, shrink_hierarchy, shrink_rates
from kpikit.analysis.stats import cost_per_outcome_interval, wilson_interval
from kpikit.analysis.vanity import VANITY_KPIS, RankAgreement, VanityResult, rank_agreement, vanity_vs_value
from kpikit.core.money import to_reporting_currency

__all__ = [
    "ALIGNMENT_KPIS",
    "ATTRIBUTION_MODELS",
    "OUTCOMES",
    "SCHEMA_VERSION",
    "VANITY_KPIS",
    "AlignmentResult",
    "AttributionResult",
    "BacktestResult",
    "CostResult",
    "Finding",
    "FindingsResult",
    "ForecastResult",
    "Forecaster",
    "FunnelResult",
    "KeyAccountResult",
    "MatchResult",
    "RankAgreement",
    "ResponseCurve",
    "VanityResult",
    "attribution",
    "backtest",
    "cost_per_outcome",
    "cost_per_outcome_interval",
    "cost_table",
    "findings",
    "fit_forecast",
    "fit_response_curves",
    "funnel",
    "funnel_table",
    "headline_cost",
    "headline_sentence",
    "honest_flags",
    "key_accounts",
    "kpi_alignment",
    "match_campaigns",
    "metrics",
    "normalise_names",
    "rank_agreement",
    "segment_table",
    "shrink_hierarchy",
    "shrink_rates",
    "to_reporting_currency",
    "vanity_vs_value",
    "wilson_interval",
]
