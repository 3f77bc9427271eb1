"""The client report and the batch index in Debian chromium, with the network cut off.

A copy of the sample client ``lumora`` (it plants a campaign named
``<img src=x onerror=alert(1)>``) gets a workshop snapshot whose summary is
hostile too, then one report is built with the real workbook. The page is
opened via file://; every request that is not ``file:`` or ``data:`` is
aborted and fails the test. Charts must draw (every image decoded), the hostile
names must show as text, and no dialog may open. Screenshots go to
``tests/artifacts/``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from _chromium import CHROMIUM, LAUNCH_ARGS, require_chromium

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CLIENT = "lumora"
XSS = "<img src=x onerror=alert(1)>"

require_chromium()

SNAPSHOT_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="240" height="60"><rect width="200" height="30" fill="#e07b39"/>'
    '<text x="6" y="20">&lt;script&gt;alert(2)&lt;/script&gt;</text></svg>'
)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from kpikit.report import run_reports

    root = tmp_path_factory.mktemp("report_browser")
    client = root / CLIENT
    shutil.copytree(ROOT / "data_samples" / CLIENT, client)
    snaps = client / "snapshots"
    snaps.mkdir()
    (snaps / "targeting-20260101T101500-index.svg").write_text(SNAPSHOT_SVG, encoding="utf-8")
    (snaps / "targeting-20260101T101500.json").write_text(
        json.dumps(
            {
                "schema": "kpikit.workshop-snapshot/1",
                "client": CLIENT,
                "explorer": "targeting",
                "title": "Targeting: recent clickers only",
                "name": "targeting-20260101T101500",
                "created_utc": "2026-01-01T10:15:00Z",
                "currency": "EUR",
                "real_outcome": "opportunity",
                "controls": {"clicked_within": 30.0},
                "numbers": {"before": {"ctr": 0.012}, "after": {"ctr": 0.018}},
                "result": {},
                "summary": f"Agreed in the room: stop {XSS}.",
                "charts": [
                    {"name": "index", "title": "Index", "svg": "targeting-20260101T101500-index.svg", "png": None}
                ],
            }
        ),
        encoding="utf-8",
    )
    batch = run_reports([client / "client.yaml"], root / "out", jobs=1)
    assert batch.ok, batch.summary()
    return root / "out"


def _open_offline(browser, url: str, screenshot: Path):
    page = browser.new_page(viewport={"width": 1200, "height": 1000})
    aborted: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def route(request_route):
        url_ = request_route.request.url
        if url_.startswith(("file:", "data:")):
            request_route.continue_()
        else:
            aborted.append(url_)
            request_route.abort()

    page.route("**/*", route)
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_load_state("load")
    page.screenshot(path=str(screenshot), full_page=True)
    return page, aborted, dialogs, errors


def test_report_renders_offline_with_charts_and_inert_campaign_names(report):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page, aborted, dialogs, errors = _open_offline(
                browser, (report / CLIENT / "report.html").as_uri(), ARTIFACTS / "report_lumora.png"
            )
            charts = page.evaluate(
                """() => Array.from(document.querySelectorAll('img.kk-chart')).map(
                    i => ({alt: i.alt, w: i.naturalWidth, h: i.naturalHeight, shown: i.getBoundingClientRect().width}))"""
            )
            assert len(charts) >= 6, charts
            assert all(c["w"] > 100 and c["h"] > 50 and c["shown"] > 100 for c in charts), charts
            # The hostile name is on the page as text (tables, notes, the snapshot summary) ...
            assert page.get_by_text(XSS, exact=True).first.is_visible()
            assert page.get_by_text(f"Agreed in the room: stop {XSS}.").is_visible()
            # ... and never became an element.
            assert page.locator('img[src="x"]').count() == 0
            assert page.locator("script[src]").count() == 0
            assert page.locator("h1", has_text="Marketing performance report").is_visible()
            assert "Northlight Consulting" in page.locator(".kk-banner").text_content()
            assert page.locator("#key-findings").is_visible()
            assert page.locator("text=campaign_map").count() == 0  # config advice is the consultant's page
            # Every table fits the 1,080 px column: nothing scrolls sideways.
            assert page.evaluate("document.documentElement.scrollWidth") <= 1200
            page.close()

            notes, aborted_c, dialogs_c, errors_c = _open_offline(
                browser, (report / CLIENT / "consultant.html").as_uri(), ARTIFACTS / "report_lumora_consultant.png"
            )
            assert notes.get_by_text("Notes for the consultant").first.is_visible()
            assert notes.locator("img[src='x']").count() == 0
            notes.close()
            aborted += aborted_c
            dialogs += dialogs_c
            errors += errors_c

            index, aborted_i, dialogs_i, errors_i = _open_offline(
                browser, (report / "index.html").as_uri(), ARTIFACTS / "report_index.png"
            )
            assert index.locator(f'tr[data-client="{CLIENT}"] a').first.get_attribute("href") == f"{CLIENT}/report.html"
            assert index.locator(f'tr[data-client="{CLIENT}"] a', has_text="consultant notes").count() == 1
            assert "generated" in index.locator("p.kk-sub").text_content()
            index.close()
        finally:
            browser.close()
    assert aborted + aborted_i == [], f"requests left the page: {aborted + aborted_i}"
    assert dialogs + dialogs_i == [], f"a dialog fired: {dialogs + dialogs_i}"
    assert errors + errors_i == []
