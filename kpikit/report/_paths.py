"""Deprecated home of the report's file locations: use :mod:`kpikit.core.paths`.

Kept only for importers outside ``kpikit/`` (``tests/test_report_book.py``,
``tests/test_report_html.py``); delete it once they import from ``kpikit.core.paths``.
"""

from __future__ import annotations

from kpikit.core.paths import REPORT_TEMPLATE_NAME, client_template, report_template_dir, templates_dir, workbook

__all__ = ["WORKBOOK", "TEMPLATES", "REPORT_TEMPLATES", "REPORT_TEMPLATE_NAME", "CLIENT_TEMPLATE"]

WORKBOOK = workbook("report.ipynb")
TEMPLATES = templates_dir()
REPORT_TEMPLATES = report_template_dir()
CLIENT_TEMPLATE = client_template()
