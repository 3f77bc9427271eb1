"""kpikit: put the cost per real outcome next to the vanity KPIs.

Workbooks import only from this module. The public surface is ``__all__``.
"""

from kpikit.config import ClientConfig, load_config
from kpikit.errors import (
    ConfigError,
    CurrencyError,
    DataError,
    KpikitError,
    Problem,
    ReportError,
    UnknownFormatError,
    ValidationError,
)
from kpikit.model import TABLES, ClientModel

__version__ = "0.1.0"

__all__ = [
    "TABLES",
    "ClientConfig",
    "ClientModel",
    "ConfigError",
    "CurrencyError",
    "DataError",
    "KpikitError",
    "Problem",
    "ReportError",
    "UnknownFormatError",
    "ValidationError",
    "load_config",
]
