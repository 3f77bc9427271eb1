"""The report workbook (workbooks/report.ipynb) and the ReportBook its cells call, without a kernel."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import papermill
import pytest

import kpikit
from kpikit.core.paths import workbook
from kpikit.errors import ReportError
from kpikit.report import ReportBook
from kpikit.report.book import MAX_FINDINGS, SECTIONS, SLICE_COLUMNS, client_note, snapshot_tables
from kpikit.samples import sample_model

WORKBOOK = workbook("report.ipynb")
XSS = "<img src=x onerror=alert(1)>"
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


@pytest.fixture(scope="module")
def model():
    from kpikit.analysis import to_reporting_currency

    return to_reporting_currency(sample_model("lumora"))


@pytest.fixture(scope="module")
def book(model):
    return ReportBook(model)


class _Text(HTMLParser):
    """The text a reader sees (no markup, no attribute values)."""

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.tables: list[list[list[str]]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1].append("")

    def handle_data(self, data):
        self.parts.append(data)
        if self.tables and self.tables[-1] and self.tables[-1][-1]:
            self.tables[-1][-1][-1] += data


def parse(markup: str) -> _Text:
    parser = _Text()
    parser.feed(markup)
    return parser


def test_workbook_parameters_are_documented_and_outputs_stripped():
    params = papermill.inspect_notebook(str(WORKBOOK))
    assert list(params) == ["client_config", "output_dir", "xlsx", "cache_dir"]
    assert [p["inferred_type_name"] for p in params.values()] == ["str", "str", "bool", "str"]
    assert all(p["help"] for p in params.values())
    nb = nbformat.read(WORKBOOK, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert all(not c.outputs and c.execution_count is None for c in code)
    # ruff format puts a blank line after imports: count lines of code, not blank ones.
    # The parameters cell is one declaration per parameter (cache_dir is set by kpikit report).
    assert sum(bool(s.strip()) for s in code[0].source.splitlines()) == len(params)
    assert all(sum(bool(s.strip()) for s in c.source.splitlines()) <= 2 for c in code[1:]), "code cells stay 1-2 lines"
    used = set(re.findall(r'book\.section\("(\w+)"\)', "\n".join(c.source for c in code)))
    assert used == set(SECTIONS)  # every registered section is in the story
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for heading in ("Headline numbers", "Funnel", "Cost per real outcome", "Vanity vs value", "Key accounts",
                    "Attribution comparison", "KPI alignment", "Data quality", "Workshop snapshot"):  # fmt: skip
        assert f"## {heading}" in markdown


def test_key_findings_come_first_and_consultant_cells_last():
    nb = nbformat.read(WORKBOOK, as_version=4)
    sources = [c.source for c in nb.cells]
    findings = sources.index("book.key_findings()")
    assert findings == sources.index("book.title()") + 1
    first_table = min(i for i, s in enumerate(sources) if s.startswith(("book.section", "book.headline")))
    assert findings < first_table
    tags = [set(c.metadata.get("tags", [])) for c in nb.cells]
    consultant = [i for i, t in enumerate(tags) if "consultant" in t]
    assert consultant and consultant == list(range(consultant[0], consultant[-1] + 1))  # one block, at the end
    assert 'book.section("campaign_matching")' in {sources[i] for i in consultant}
    assert "book.consultant_notes()" in {sources[i] for i in consultant}
    assert all("kpikit-hide" in tags[i] for i in range(consultant[-1] + 1, len(sources)))


@pytest.mark.parametrize(
    ("config", "out", "message"),
    [(123, "", "client_config must be"), ("", "", "client_config must be"), ("x.yaml", 5, "output_dir must be"),
     ("x.yaml", "/nonexistent/kpikit-out", "output folder does not exist")],
)  # fmt: skip
def test_open_validates_parameters(config, out, message):
    with pytest.raises(ReportError, match=message):
        ReportBook.open(config, out)


def test_sections_render_escaped_tables_and_offline_charts(book):
    for name in SECTIONS:
        markup = book.section(name)._repr_html_()
        assert XSS not in markup, name
        images = re.findall(r'<img class="kk-chart" alt="[^"]*" src="data:image/svg\+xml;base64,([^"]+)">', markup)
        assert len(images) == 1, name
        svg = base64.b64decode(images[0]).decode()
        assert svg.startswith("<svg") and "<script" not in svg
    assert "&lt;img src=x onerror=alert(1)&gt;" in book.section("cost_per_outcome")._repr_html_()
    with pytest.raises(ReportError, match="unknown report section"):
        book.section("nope")


def test_client_tables_fit_the_page_key_column_first_headers_in_words(book):
    for name, spec in SECTIONS.items():
        if spec.audience != "client":
            continue
        tables = parse(book.section(name)._repr_html_()).tables
        assert tables, name
        for table in tables:
            head = table[0]
            assert len(head) <= 9, (name, head)  # about eight; attribution shows its eight models by channel
            assert all(not SNAKE.search(h) for h in head), (name, head)
    cost = parse(book.section("cost_per_outcome")._repr_html_()).tables[0]
    assert cost[0] == ["campaign", "spend (EUR)", "CTR", "leads", "opportunities", "cost per opportunity (EUR)",
                       "95% range (EUR)", "outcomes counted"]  # fmt: skip
    funnel = parse(book.section("funnel")._repr_html_()).tables[0]
    assert funnel[0][0] == "stage" and [r[0] for r in funnel[1:4]] == ["impressions", "clicks", "leads"]
    assert all("(EUR)" not in h for h in funnel[0])  # the funnel holds counts and rates: no currency on it


def test_the_same_figure_has_the_same_precision_everywhere(book):
    m = book.metrics
    from kpikit.core.fmt import fmt

    ctr = fmt(m["totals"]["ctr"], "rate")
    assert f"CTR {ctr}" in book.headline()._repr_html_()
    funnel = parse(book.section("funnel")._repr_html_()).tables[0]
    clicks = next(r for r in funnel if r[0] == "clicks")
    assert clicks[2] == ctr  # conversion from impressions to clicks is the CTR, printed alike
    text = " ".join(parse(book.section("funnel")._repr_html_()).parts)
    assert not re.search(r"\d[eE][+-]?\d", text) and "nan" not in text.split()


def test_headline_matches_the_metrics(book):
    html = book.headline()._repr_html_()
    m = book.metrics
    assert f"EUR {m['totals']['spend']:,.2f}" in html
    assert f"EUR {m['headline']['cost_per_real_outcome_blended']:,.2f}" in html  # labelled blended
    assert f"{m['headline']['paid_outcomes']:,}" in html
    assert "Real outcomes: opportunities from paid media" in html
    assert f"EUR {m['headline']['cost_per_real_outcome_paid']:,.2f}" in html


def test_headline_block_of_the_findings_engine_defines_the_cost(model):
    book = ReportBook(model)
    book.metrics = {**book.metrics, "headline": {
        "outcome": "opportunity", "cost_per_real_outcome_paid": 1000.0, "paid_outcomes": 200, "paid_spend": 200000.0,
        "cost_per_real_outcome_blended": 769.72, "all_outcomes": 260, "unattributed_outcomes": 60,
        "definition": "Cost per real outcome = paid-media spend / opportunities attributed to a paid campaign."}}  # fmt: skip
    text = " ".join(parse(book.headline()._repr_html_()).parts)
    assert "Cost per opportunity from paid media" in text and "EUR 1,000.00" in text
    assert "95% range EUR 870.62 – EUR 1,154.46" in text  # spend / exact Poisson bounds of 200 outcomes
    assert "blended over all opportunities: EUR 769.72" in text and "260 in all, organic included" in text
    assert "paid-media spend / opportunities attributed to a paid campaign" in text
    without = ReportBook(model)
    without.metrics = {k: v for k, v in without.metrics.items() if k != "headline"}
    text = " ".join(parse(without.headline()._repr_html_()).parts)
    assert f"EUR {without.metrics['real_outcome_cost']['cost_per']:,.2f}" in text and "blended" not in text


def test_key_findings_rank_by_money_at_stake_and_vanish_without_findings(model):
    book = ReportBook(model)
    assert book.metrics.get("findings"), "the sample client has findings"
    assert book.key_findings()._repr_html_().startswith('<h2 id="key-findings">Key findings</h2>')
    book.metrics = {k: v for k, v in book.metrics.items() if k != "findings"}
    assert book.key_findings()._repr_html_() == ""  # no key, no heading, no placeholder
    findings = [
        {"id": f"f{i}", "kind": "waste", "level": "campaign", "segment": f"Campaign {i}", "text": f"Finding {i}",
         "figures": {"cost": {"value": 1.0, "kind": "money"}}, "money_at_stake": float(i * 100)}
        for i in range(10)
    ] + [{"id": "x", "kind": "waste", "level": "campaign", "segment": XSS, "text": f"Stop {XSS}", "figures": {},
          "money_at_stake": None}]  # fmt: skip
    book.metrics = {**book.metrics, "findings": findings}
    markup = book.key_findings()._repr_html_()
    shown = re.findall(r'<p class="kk-finding-text">([^<]*)</p>', markup)
    assert shown == [f"Finding {i}" for i in range(9, 9 - MAX_FINDINGS, -1)]
    assert "Money at stake: EUR 900.00" in markup and XSS not in markup
    book.metrics = {**book.metrics, "findings": findings[-1:]}
    assert "Stop &lt;img src=x onerror=alert(1)&gt;" in book.key_findings()._repr_html_()


@pytest.mark.parametrize(
    ("note", "client"),
    [("3 segment(s) have outcomes but no matched spend (see match_campaigns).",
      "3 segment(s) have outcomes but no matched spend."),
     ("2 CRM campaign name(s) match no ad campaign: add them to campaign_map in the client config.", None),
     ("Column trap on meta: CTR on all clicks is 2.31%. Report CTR on link clicks.", None),
     ("Cohort(s) 2026-06 are not mature: leads take up to – days to reach won.", None),
     ("campaign_manager: ctr improved while opportunity fell.", "campaign manager: CTR improved while opportunity fell.")],
)  # fmt: skip
def test_engine_notes_reach_the_client_in_words_or_go_to_the_consultant(note, client):
    assert client_note(note) == client


def test_what_to_keep_in_mind_repeats_nothing_shown_above(model):
    book = ReportBook(model)
    for name in SECTIONS:
        book.section(name)
    shown = " ".join(parse("".join(book.section(n)._repr_html_() for n in SECTIONS)).parts)
    quality = book.data_quality()._repr_html_()
    for item in re.findall(r"<li>([^<]*)</li>", quality):
        assert item not in shown
    fresh = ReportBook(model)  # nothing shown yet: the caveats the client can use are all listed
    assert "What to keep in mind" in fresh.data_quality()._repr_html_()


def test_appendix_has_every_table_in_page_wide_slices(book):
    markup = book.appendix()._repr_html_()
    assert markup.startswith('<h2 class="kk-appendix-start"')
    tables = parse(markup).tables
    assert all(len(t[0]) <= SLICE_COLUMNS for t in tables)
    cost_slices = [t for t in tables if t[0][0] == "campaign" and any("CPM" in h for t2 in [t] for h in t2[0])]
    assert cost_slices
    keys = {t[0][0] for t in tables}
    assert {"stage", "campaign", "channel", "role"} <= keys  # each slice starts with its key column
    text = " ".join(parse(markup).parts)
    assert not SNAKE.search(text.replace(XSS, "")), SNAKE.findall(text)[:5]
    assert not re.search(r"\b(True|False|nan|NaN)\b", text)


def test_consultant_notes_hold_the_fixes_the_client_never_sees(book):
    markup = book.consultant_notes()._repr_html_()
    assert "campaign_map" in markup and "Every engine note, verbatim" in markup
    assert "Column traps" in markup
    client = "".join(book.section(n)._repr_html_() for n, s in SECTIONS.items() if s.audience == "client")
    assert "campaign_map" not in client and "match_campaigns" not in client


def test_save_metrics_and_charts_into_the_output_folder(model, tmp_path):
    book = ReportBook(model, tmp_path)
    book.section("funnel")
    assert (tmp_path / "charts" / "funnel.svg").read_text().startswith("<svg")
    book.save_metrics()
    text = (tmp_path / "metrics.json").read_text()
    assert json.loads(text) == json.loads(json.dumps(kpikit.metrics(model)))
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    ReportBook(model, "").save_metrics()  # run by hand: writes nothing anywhere
    assert ReportBook(model, "").save_tables() is None


def test_missing_data_is_said_not_drawn(model):
    no_touch = model.replace(touchpoints=model.touchpoints.iloc[0:0], target_accounts=model.target_accounts.iloc[0:0])
    book = ReportBook(no_touch)
    assert "No touchpoint export" in book.section("attribution")._repr_html_()
    assert "No target-account list" in book.section("key_accounts")._repr_html_()
    assert "No load report" in book.consultant_notes()._repr_html_()
    assert all(section != "attribution" for section, _ in book.tables())


def test_workshop_snapshots_are_shown_escaped_and_confined(model, tmp_path):
    book = ReportBook(model.replace(config=dataclasses.replace(model.config, base_dir=tmp_path)))
    assert "No workshop snapshot" in book.snapshots()._repr_html_()
    snaps = tmp_path / "snapshots"
    snaps.mkdir()
    (snaps / "s1-index.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><text>ok</text></svg>')
    (tmp_path / "secret.svg").write_text("<svg>outside the snapshots folder</svg>")
    doc = {
        "schema": "kpikit.workshop-snapshot/1", "client": "lumora", "explorer": "targeting", "name": "s1",
        "title": f"Targeting {XSS}", "created_utc": "2026-01-01T10:00:00Z", "summary": f"Stop {XSS}",
        "numbers": {"before": {"ctr": 0.012, "impressions": 8615131.0}, "after": {"ctr": 0.018, "impressions": 2e6},
                    "change": {"ctr": 0.5, "impressions": -0.77}, "audiences_kept": ["a", "b"]},
        "charts": [{"name": "index", "svg": "s1-index.svg"}, {"name": "evil", "svg": "../secret.svg"}],
    }  # fmt: skip
    (snaps / "s1.json").write_text(json.dumps(doc))
    markup = book.snapshots()._repr_html_()
    assert XSS not in markup and "Stop &lt;img src=x onerror=alert(1)&gt;" in markup
    assert "Saved 1 January 2026, 10:00 UTC" in markup
    table = parse(markup).tables[0]
    assert table[0] == ["figure", "before", "after", "change"]
    assert table[1] == ["CTR", "1.20%", "1.80%", "+50.0%"]  # a CTR prints as a rate, as in every table
    assert table[2] == ["impressions", "8,615,131", "2,000,000", "-77.0%"]  # not 8.615e+06
    images = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', markup)
    assert [base64.b64decode(i).decode() for i in images] == [(snaps / "s1-index.svg").read_text()]


def test_snapshot_scenario_pairs_read_as_now_and_scenario():
    tables = snapshot_tables({"spend_now": 1000.0, "spend_scenario": 1500.0, "outcome_now": 4.0,
                              "outcome_scenario": 5.5, "warnings": []}, "EUR")  # fmt: skip
    assert tables[0].to_dict("list") == {"figure": ["spend", "outcome"], "now": ["EUR 1,000.00", "4"],
                                         "scenario": ["EUR 1,500.00", "5.5"]}  # fmt: skip


def test_workbook_default_client_exists():
    default = papermill.inspect_notebook(str(WORKBOOK))["client_config"]["default"].strip('"')
    assert (WORKBOOK.parent / default).resolve().is_file()
    assert Path(WORKBOOK).is_file()


def test_attribution_models_head_the_table_in_the_registry_words(book):
    from kpikit.core.measures import MODEL_WORDS

    head = parse(book.section("attribution")._repr_html_()).tables[0][0]
    assert head[0] == "channel" and head[1:] == [MODEL_WORDS[m] for m in book.result("attribution").models]


def test_a_column_shorthand_is_the_col_it_stands_for_and_a_bad_kind_says_what_was_meant():
    from kpikit.errors import OptionError
    from kpikit.report.book import Col, Table

    t = Table("", lambda r: r.frame, ("accounts:count", "pipeline", Col("low", "high", header="95% range")))
    assert t.columns == (Col("accounts", kind="count"), Col("pipeline"), Col("low", "high", header="95% range"))
    with pytest.raises(OptionError, match=re.escape("did you mean 'count'?")):
        Table("", lambda r: r.frame, ("accounts:cuont",))
