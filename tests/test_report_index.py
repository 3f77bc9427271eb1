"""kpikit.report.index: one row per client, escaped, headline numbers from metrics.json."""

from __future__ import annotations

import datetime
import re
from html.parser import HTMLParser

from kpikit.report.index import HEADLINES, index_page, write_index
from kpikit.report.runner import BatchResult, ClientResult

METRICS = {
    "client": {"id": "acme", "name": "Acme <Industrial>"},
    "currency": "EUR",
    "totals": {"spend": 200128.23, "clicks": 102598, "ctr": 0.011909, "pipeline": 11004000.0},
    "real_outcome": "opportunity",
    "date_range": {"start": "2026-01-01", "end": "2026-06-30"},
    "real_outcome_cost": {"stage": "opportunity", "count": 255, "cost_per": 784.82, "low": 692.0, "high": 887.3},
}


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.text = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def results():
    return [
        ClientResult("acme", "ok", "/c/acme/client.yaml", metrics=METRICS),
        ClientResult(
            "beta",
            "failed",
            "/c/beta/client.yaml",
            error="row 3: found '<script>alert(1)</script>'",
            error_type="ValidationError",
            failed_cell=3,
        ),
        ClientResult("gamma", "failed", "/c/gamma/client.yaml", error="not valid YAML", error_type="ConfigError"),
    ]


def test_every_client_has_a_row_with_status_and_numbers(tmp_path):
    path = write_index(results(), tmp_path)
    page = path.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(page)
    text = " ".join(parser.text)
    assert [a["data-client"] for t, a in parser.tags if t == "tr" and "data-client" in a] == ["acme", "beta", "gamma"]
    for shown in ("EUR 200,128.23", "1.19%", "255", "EUR 784.82", "EUR 11,004,000.00", "opportunities"):
        assert shown in text
    assert "Acme <Industrial>" in text and "<Industrial>" not in page  # escaped, shown as text
    assert "1 report written, 2 failed" in text


def test_failures_are_explained_and_escaped(tmp_path):
    page = index_page(results())
    parser = _Text()
    parser.feed(page)
    assert not any(tag == "script" for tag, _ in parser.tags)
    text = " ".join(parser.text)
    assert "row 3: found '<script>alert(1)</script>'" in text
    assert "Open report.ipynb at cell In [3]." in " ".join(text.split())
    links = [a["href"] for t, a in parser.tags if t == "a"]
    assert links == ["acme/report.html", "beta/report.ipynb"]  # gamma never ran: nothing to link
    assert "Content-Security-Policy" in page


def test_missing_numbers_show_a_dash_not_zero():
    row = ClientResult("x", "ok", "c.yaml", metrics={"totals": {"spend": None}})
    page = index_page([row])
    assert len(re.findall(r'<td class="(?:num|txt|kk-range)">–</td>', page)) == len(HEADLINES) + 1


def test_portfolio_page_has_period_generation_date_stage_and_intervals(tmp_path):
    gbp = dict(METRICS, currency="GBP", client={"id": "beta", "name": "Beta"},
               headline={"outcome": "won", "cost_per_real_outcome_paid": 1000.0, "paid_outcomes": 10,
                         "paid_spend": 10000.0, "cost_per_real_outcome_blended": 800.0})  # fmt: skip
    rows = [ClientResult("acme", "ok", "a.yaml", metrics=METRICS), ClientResult("beta", "ok", "b.yaml", metrics=gbp)]
    (tmp_path / "acme").mkdir()
    (tmp_path / "acme" / "report.pdf").write_bytes(b"%PDF")
    (tmp_path / "acme" / "consultant.html").write_text("x")
    path = write_index(rows, tmp_path, generated=datetime.date(2026, 7, 3))
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    text = " ".join(" ".join(parser.text).split())
    assert "data from 1 January 2026 to 30 June 2026 · generated 3 July 2026 · 2 reports written" in text
    assert "opportunities" in text and "won deals" in text  # each client's real outcome, in words
    assert "EUR 692.00 – 887.30" in text  # the interval from metrics.json
    assert "GBP 1,000.00" in text and "GBP 543.76 – 2,085.34" in text  # paid headline, interval from its counts
    links = [a["href"] for t, a in parser.tags if t == "a"]
    assert links == ["acme/report.html", "acme/report.pdf", "acme/consultant.html", "beta/report.html"]
    assert sum(t == "svg" for t, _ in parser.tags) == 2  # one range bar per client


def test_batch_result_summary_and_repr():
    batch = BatchResult(results=tuple(results()), out_dir=__import__("pathlib").Path("/out"))
    assert not batch.ok and [r.client for r in batch.failed] == ["beta", "gamma"]
    summary = batch.summary()
    assert summary.splitlines()[0] == "1 of 3 client reports written to /out"
    assert "FAILED beta: ValidationError: row 3" in summary
    assert batch["acme"].ok and 'data-client="acme"' in batch._repr_html_()
    assert list(batch.to_frame()["status"]) == ["ok", "failed", "failed"]
