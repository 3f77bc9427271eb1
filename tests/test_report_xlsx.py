"""tables.xlsx: numbers as numbers with formats, a frozen header, and campaign names that never run."""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import load_workbook

from kpikit.report.xlsx import FORMULA_STARTS, Sheet, sheet_name, write_xlsx

HOSTILE = ['=HYPERLINK("http://evil.example","click")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1", "Brand"]


def test_text_that_would_run_is_stored_as_quoted_text(tmp_path):
    frame = pd.DataFrame({"campaign": HOSTILE, "cost": [1234.5, -5.0, 0.0, 1e6, 2.0, 3.0, None],
                          "ctr": [0.0123, 0.5, 0.000417, 0.1, 0.2, 0.3, 0.4],
                          "lead": [3.0, 0, 1, 2, 3, 4, 5]})  # fmt: skip
    kinds = {"campaign": "text", "cost": "money", "ctr": "rate", "lead": "count"}
    headers = {"campaign": "campaign", "cost": "spend (EUR)", "ctr": "CTR", "lead": "=leads"}
    path = write_xlsx(tmp_path / "t.xlsx", [Sheet("Cost per real outcome", frame, headers, kinds)], currency="EUR")
    ws = load_workbook(path)["Cost per real outcome"]
    assert ws.freeze_panes == "B2"
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    assert all(c.data_type != "f" for c in cells)  # openpyxl reads a formula back as "f"
    for text, cell in zip(HOSTILE, ws["A"][1:], strict=True):
        assert cell.data_type == "s" and cell.quotePrefix == text.startswith(FORMULA_STARTS)
        assert cell.value == text.replace("\r", "\n")  # XML keeps a carriage return as a line feed
    assert ws["D1"].value == "=leads" and ws["D1"].quotePrefix  # headers are text too
    assert ws["B2"].value == 1234.5 and ws["B2"].number_format == '"EUR "#,##0.00;-"EUR "#,##0.00'
    assert ws["B8"].value is None  # missing is an empty cell, not "–" or 0
    assert [ws[f"C{i}"].number_format for i in (2, 3, 4)] == ["0.00%", "0.0%", "0.000%"]  # as fmt: 1.23%, 50.0%, 0.042%
    assert ws["D2"].value == 3 and ws["D2"].number_format == "#,##0"


def test_sheet_names_are_valid_and_unique():
    taken: set[str] = set()
    names = [sheet_name(t, taken) for t in ("Funnel", "funnel", "a/b:c*d?e[f]g", "x" * 50, "'quoted'")]
    assert names == ["Funnel", "funnel (2)", "a-b-c-d-e-f-g", "x" * 31, "quoted"]


@pytest.mark.slow
def test_sample_tables_open_with_numbers_formats_and_no_formula():
    from _report_batch import SAMPLE_CLIENTS, sample_batch

    out = sample_batch()
    for client in SAMPLE_CLIENTS:
        book = load_workbook(out / client / "tables.xlsx")
        names = book.sheetnames
        assert names[0] == "Funnel" and "Cost per real outcome" in names and "Vanity vs value" in names
        numbers = formats = 0
        for ws in book.worksheets:
            assert ws.freeze_panes in ("A2", "B2"), ws.title
            assert all(c.font.bold for c in ws[1])
            for row in ws.iter_rows(min_row=2):
                for cell in row:
                    assert cell.data_type != "f", (client, ws.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, int | float):
                        numbers += 1
                        formats += cell.number_format != "General"
                    elif isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                        assert cell.quotePrefix, (client, cell.value)
        assert numbers > 200 and formats == numbers  # every number carries its kind's format
        cost = book["Cost per real outcome"]
        head = [c.value for c in cost[1]]
        spend = head.index(next(h for h in head if h.startswith("spend (")))
        values = [r[spend].value for r in cost.iter_rows(min_row=2)]
        assert all(isinstance(v, float | int) for v in values if v is not None)
        assert cost.cell(row=2, column=spend + 1).number_format.startswith('"')  # the currency code
        ctr = head.index("CTR")
        assert all(r[ctr].number_format.endswith("%") for r in cost.iter_rows(min_row=2) if r[ctr].value is not None)
    harbourline = load_workbook(out / "harbourline" / "tables.xlsx")["Cost per real outcome"]
    planted = [c for c in harbourline["A"] if str(c.value).startswith("=HYPERLINK")]
    assert planted and all(c.data_type == "s" and c.quotePrefix for c in planted)  # the sample plants one
