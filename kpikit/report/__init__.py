"""Batch client reports: run the report workbook for many clients, write HTML, metrics and an index.

``kpikit report CLIENTS.yaml --out DIR`` (:mod:`kpikit.report.cli`) calls
:func:`run_reports`; the workbook (``workbooks/report.ipynb``) uses
:class:`ReportBook` and the ``save_*`` helpers. Importing this package stays
light (no papermill, nbconvert or altair) so the workbook's kernel starts fast.
"""

from kpikit.report.book import ReportBook
from kpikit.report.outputs import save_chart_png, save_chart_svg, save_metrics
from kpikit.report.runner import BatchResult, ClientResult, client_dir, run_reports

__all__ = [
    "BatchResult",
    "ClientResult",
    "ReportBook",
    "client_dir",
    "run_reports",
    "save_chart_png",
    "save_chart_svg",
    "save_metrics",
]
