"""Where the report workbook and templates live (the repository root, beside ``kpikit/``)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "workbooks" / "report.ipynb"
TEMPLATES = ROOT / "templates"
REPORT_TEMPLATES = TEMPLATES / "report"
REPORT_TEMPLATE_NAME = "kpikit_report"
CLIENT_TEMPLATE = TEMPLATES / "client.yaml"
