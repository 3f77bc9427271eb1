"""kpikit: put the cost per real outcome next to the vanity KPIs.

Workbooks import only from this module. The public surface is ``__all__``.
"""

from kpikit.analysis import (
    ATTRIBUTION_MODELS,
    OUTCOMES,
    VANITY_KPIS,
    attribution,
    cost_per_outcome,
    findings,
    funnel,
    headline_cost,
    key_accounts,
    kpi_alignment,
    match_campaigns,
    metrics,
    segment_table,
    vanity_vs_value,
    wilson_interval,
)
from kpikit.analysis.forecast import forecast
from kpikit.config import ClientConfig, load_config
from kpikit.errors import (
    ConfigError,
    ConfigValidationError,
    CurrencyError,
    DataError,
    KpikitError,
    MemoryLimitError,
    OptionError,
    Problem,
    ReportError,
    UnknownFormatError,
    ValidationError,
)
from kpikit.ingest import LoadReport, load_client, load_file
from kpikit.model import TABLES, ClientModel
from kpikit.report import ReportBook, run_reports
from kpikit.samples import SAMPLE_CLIENTS, sample_model

__version__ = "0.1.0"

__all__ = [
    "TABLES",
    "ClientConfig",
    "ClientModel",
    "ConfigError",
    "ConfigValidationError",
    "CurrencyError",
    "DataError",
    "KpikitError",
    "MemoryLimitError",
    "OptionError",
    "Problem",
    "ReportError",
    "UnknownFormatError",
    "ValidationError",
    "LoadReport",
    "load_client",
    "load_config",
    "load_file",
    "SAMPLE_CLIENTS",
    "sample_model",
    "ATTRIBUTION_MODELS",
    "OUTCOMES",
    "VANITY_KPIS",
    "attribution",
    "cost_per_outcome",
    "findings",
    "forecast",
    "funnel",
    "headline_cost",
    "key_accounts",
    "kpi_alignment",
    "match_campaigns",
    "metrics",
    "segment_table",
    "vanity_vs_value",
    "wilson_interval",
    "ReportBook",
    "run_reports",
    "explore",
]


def __getattr__(name: str):
    # The workshop sub-namespace (widgets, altair) loads on first use, not on `import kpikit`.
    if name == "explore":
        import importlib

        return importlib.import_module("kpikit.explore")
    raise AttributeError(f"module 'kpikit' has no attribute {name!r}")
