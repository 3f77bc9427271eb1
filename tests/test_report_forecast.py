"""The report's "If the plan holds" section: the engine's forecast and backtest, printed in words.

Every figure is compared with a fresh call to the engine (``kpikit.forecast`` and
``kpikit.analysis.forecast.backtest``, same seed): the section adds words, never numbers.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from test_report_text import problems, rendered_text

import kpikit
from kpikit.analysis.forecast import backtest
from kpikit.core.fmt import fmt
from kpikit.core.measures import label
from kpikit.report.book import SECTIONS, ReportBook, date_words
from kpikit.samples import sample_model


@pytest.fixture(scope="module")
def model():
    return sample_model("veldmark")


@pytest.fixture(scope="module")
def page(model):
    return ReportBook(model).section("forecast")._repr_html_()


def cells(page: str, table: int) -> list[list[str]]:
    body = re.findall(r"<tbody>(.*?)</tbody>", page, flags=re.S)[table]
    return [re.findall(r"<td>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


def test_the_section_is_registered_after_kpi_alignment_and_titled_in_words():
    names = list(SECTIONS)
    assert names.index("forecast") == names.index("kpi_alignment") + 1
    assert SECTIONS["forecast"].title == "If the plan holds"


def test_weekly_figures_are_the_engines(model, page):
    f = kpikit.forecast(model).frame
    rows = cells(page, 0)
    assert len(rows) == 13
    for stage, col in (("lead", 1), ("opportunity", 2), ("won", 4)):
        s = f[f["stage"] == stage]
        assert [r[col] for r in rows] == [fmt(v, "number") for v in s["mean"]]
    opp = f[f["stage"] == "opportunity"]
    ranges = [
        f"{fmt(lo, 'number')}\u00a0–\u2060\u00a0{fmt(hi, 'number')}"
        for lo, hi in zip(opp["low80"], opp["high80"], strict=True)
    ]
    assert [r[3] for r in rows] == ranges
    assert rows[0][0] == date_words(f["week"].iloc[0].date().isoformat())


def test_weekly_money_is_the_engines_pipeline_and_won_revenue(model, page):
    f = kpikit.forecast(model).frame
    heads = re.findall(r"<th>(.*?)</th>", re.findall(r"<thead>(.*?)</thead>", page, flags=re.S)[1])
    assert heads == ["week of", "pipeline (EUR)", "pipeline, 80% range (EUR)", "won revenue (EUR)",
                     "won revenue, 80% range (EUR)"]  # fmt: skip
    rows = cells(page, 1)
    assert len(rows) == 13
    for stage, col in (("pipeline", 1), ("revenue", 3)):
        s = f[f["stage"] == stage]
        assert [r[col] for r in rows] == [fmt(v, "money") for v in s["mean"]]  # the header carries the currency
        ranges = [
            f"{fmt(lo, 'money')}\u00a0–\u2060\u00a0{fmt(hi, 'money')}".replace(" ", "\u00a0")
            for lo, hi in zip(s["low80"], s["high80"], strict=True)
        ]
        assert [r[col + 1] for r in rows] == ranges
    r = kpikit.forecast(model)
    lead = page.split("</p>")[0]
    assert f"({fmt(r.total('pipeline'), 'money', 'EUR')} of pipeline)" in lead


def test_the_plan_table_shows_the_engines_plan_and_its_evidence(model, page):
    r = kpikit.forecast(model)
    rows = cells(page, 2)
    assert [row[0] for row in rows] == [label(p) for p in r.plan]
    assert [row[1] for row in rows] == [fmt(v, "money") for v in r.plan.values()]
    assert [row[2] for row in rows] == [fmt(r.max_weekly[p], "money") for p in r.plan]
    assert {row[3] for row in rows} == {"within the weeks observed"}  # the current plan never passed its own top


def test_the_accuracy_sentence_is_the_backtests_own_figures(model, page):
    bt = backtest(model)
    assert bt.origins >= 10  # 18 months of history: the minimum number of origins
    assert bt.sentence() in page.replace("&#x27;", "'")
    for figure in (bt.wape, bt.baseline_wape, bt.coverage80, bt.coverage95):
        assert fmt(figure, "rate") in bt.sentence()
    r = kpikit.forecast(model)
    lead = page.split("</p>")[0]
    assert f"{fmt(r.total('opportunity'), 'count')} opportunities" in lead
    assert fmt(sum(r.plan.values()), "money", "EUR") in lead


def test_the_section_reads_in_words_and_draws_its_chart_offline(page):
    text = rendered_text(page)
    assert problems(text) == []
    assert "opportunities" in text and "won revenue (EUR)" in text and "current plan" in text
    assert "pipeline (EUR)" in text  # a table header and the chart's panel
    assert 'src="data:image/svg+xml;base64,' in page and "http" not in page


def test_a_client_without_contacts_gets_the_reason_instead(model):
    bare = model.replace(contacts=model.contacts.iloc[0:0], deals=model.deals.iloc[0:0])
    html = ReportBook(bare).section("forecast")._repr_html_()
    assert "No forecast for this client" in html and "<table" not in html
    assert problems(rendered_text(html)) == []


def test_a_client_without_amounts_gets_no_money_table_and_no_zero_pipeline(model):
    bare = model.replace(deals=model.deals.assign(amount=np.nan))
    html = ReportBook(bare).section("forecast")._repr_html_()
    text = rendered_text(html)
    assert problems(text) == []
    assert "Money, week by week" not in text and "pipeline (EUR)" not in text
    assert "of pipeline" not in html.split("</p>")[0] and "won revenue" not in html.split("</p>")[0]
    assert "pipeline and revenue are not forecast" in text
