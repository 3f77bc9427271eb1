"""kpikit: put the cost per real outcome next to the vanity KPIs.

Workbooks import only from this module. The public surface is ``__all__``.

Names load on first use (PEP 562): ``import kpikit.explore.cli`` or ``kpikit workshop`` do not
pay for pandas, scipy and the analysis engine before they need them (about 0.8 s of every
command's start-up), while ``from kpikit import load_client`` and ``kpikit.metrics`` work as usual.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:  # what static tools see; at run time ``__getattr__`` imports on first use
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

#: Where each lazily loaded public name lives.
_LAZY: dict[str, str] = {
    "ATTRIBUTION_MODELS": "kpikit.analysis",
    "OUTCOMES": "kpikit.analysis",
    "VANITY_KPIS": "kpikit.analysis",
    "attribution": "kpikit.analysis",
    "cost_per_outcome": "kpikit.analysis",
    "findings": "kpikit.analysis",
    "funnel": "kpikit.analysis",
    "headline_cost": "kpikit.analysis",
    "key_accounts": "kpikit.analysis",
    "kpi_alignment": "kpikit.analysis",
    "match_campaigns": "kpikit.analysis",
    "metrics": "kpikit.analysis",
    "segment_table": "kpikit.analysis",
    "vanity_vs_value": "kpikit.analysis",
    "wilson_interval": "kpikit.analysis",
    "forecast": "kpikit.analysis.forecast",
    "ClientConfig": "kpikit.config",
    "load_config": "kpikit.config",
    "LoadReport": "kpikit.ingest",
    "load_client": "kpikit.ingest",
    "load_file": "kpikit.ingest",
    "TABLES": "kpikit.model",
    "ClientModel": "kpikit.model",
    "ReportBook": "kpikit.report",
    "run_reports": "kpikit.report",
    "SAMPLE_CLIENTS": "kpikit.samples",
    "sample_model": "kpikit.samples",
    "explore": "kpikit.explore",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        # a subpackage reached as an attribute (``kpikit.analysis.funnel`` after ``import kpikit``)
        if not name.startswith("_") and importlib.util.find_spec(f"kpikit.{name}") is not None:
            return importlib.import_module(f"kpikit.{name}")
        raise AttributeError(f"module 'kpikit' has no attribute {name!r}")
    mod = importlib.import_module(module)
    value = mod if name == "explore" else getattr(mod, name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
