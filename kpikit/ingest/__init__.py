"""Load a client's raw exports into one reconciled, PII-free model.

Public names: :func:`load_client`, :func:`load_file`, :class:`LoadReport`
(re-exported from :mod:`kpikit`), plus :func:`register_format` and
:func:`neutralise_formulas` for extensions and writers.
"""

from kpikit.ingest.client import inspect_client, load_client
from kpikit.ingest.column_map import load_column_map
from kpikit.ingest.formats import FORMATS, Format, ReadOptions, register_format
from kpikit.ingest.loader import LoadedFile, inspect_file, load_file
from kpikit.ingest.report import FileReport, LoadReport
from kpikit.ingest.safe import neutralise_formulas

__all__ = [
    "FORMATS",
    "FileReport",
    "Format",
    "LoadReport",
    "LoadedFile",
    "ReadOptions",
    "inspect_client",
    "inspect_file",
    "load_client",
    "load_column_map",
    "load_file",
    "neutralise_formulas",
    "register_format",
]
