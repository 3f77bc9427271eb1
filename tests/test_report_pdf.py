"""report.pdf: A4 pages with page numbers, no table cut at the page edge, headings kept with their content.

The sample batch's reports are printed in one Chromium (``print_reports``, what ``kpikit report
--pdf`` runs after the batch), then read back with poppler: ``pdfinfo`` for the page size,
``pdftotext`` for the words on each page, ``pdftoppm`` for PNG pages written to
``tests/artifacts/pdf/`` to look at.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from kpikit.errors import ReportError
from kpikit.report.book import SECTIONS
from kpikit.report.pdf import PAGE, check_pdf, footer_template, header_template

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "tests" / "artifacts" / "pdf"
# The text width of an A4 page inside the PDF margins, in CSS pixels (96 per inch).
A4_TEXT_WIDTH_PX = int((210 - 24) / 25.4 * 96)


def test_a_missing_browser_is_refused_before_anything_runs(tmp_path):
    from kpikit.report import run_reports

    with pytest.raises(ReportError, match="browser for --pdf was not found"):
        check_pdf(tmp_path / "no-such-chromium")
    with pytest.raises(ReportError, match="browser for --pdf was not found"):
        run_reports([tmp_path / "x" / "client.yaml"], tmp_path / "out", pdf=True, browser=tmp_path / "none")
    assert not (tmp_path / "out").exists()


def test_header_and_footer_escape_names_and_number_pages():
    assert "&lt;b&gt;" in header_template("<b>", "Agency") and "<b>" not in header_template("<b>", "A")
    footer = footer_template("Acme", "Northlight")
    assert '<span class="pageNumber"></span> of <span class="totalPages"></span>' in footer
    assert PAGE["format"] == "A4" and PAGE["display_header_footer"] and PAGE["print_background"]


@pytest.fixture(scope="module")
def printed():
    from browser._chromium import require_chromium

    require_chromium()
    if not shutil.which("pdftoppm"):
        pytest.skip("poppler-utils (pdftoppm, pdftotext, pdfinfo) is not installed")
    from _report_batch import sample_batch

    from kpikit.report.pdf import print_reports
    from kpikit.report.runner import ClientResult

    out = sample_batch()
    results = [ClientResult(p.parent.name, "ok", str(p)) for p in sorted(out.glob("*/report.html"))]
    start = time.perf_counter()
    done = print_reports(results, out)
    seconds = time.perf_counter() - start
    assert all(r.ok for r in done), [r.error for r in done]
    return out, [r.client for r in done], seconds


def _pages_text(pdf: Path) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


@pytest.mark.slow
@pytest.mark.browser
def test_pdfs_are_a4_numbered_and_drawn(printed):
    out, clients, seconds = printed
    assert seconds < 20 * len(clients)  # one browser for the batch (about 1-2 s a report here)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for client in clients:
        pdf = out / client / "report.pdf"
        info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True).stdout
        assert re.search(r"Page size:\s+59[45](\.\d+)? x 84[12](\.\d+)? pts \(A4\)", info), info
        pages = _pages_text(pdf)
        assert 5 <= len(pages) <= 40
        for n, page in enumerate(pages, start=1):
            assert f"page {n} of {len(pages)}" in page  # the footer template numbers every page
        assert "Key findings" in pages[0]
        for stale in ARTIFACTS.glob(f"{client}-*.png"):
            stale.unlink()
        subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(ARTIFACTS / client)], check=True)
        assert len(list(ARTIFACTS.glob(f"{client}-*.png"))) == len(pages)


@pytest.mark.slow
@pytest.mark.browser
def test_headings_are_never_the_last_line_of_a_page(printed):
    out, clients, _ = printed
    headings = {s.title for s in SECTIONS.values() if s.audience == "client"}
    headings |= {"Headline numbers", "Data quality", "Workshop snapshot", "Key findings", "Appendix: full tables"}
    for client in clients:
        for n, page in enumerate(_pages_text(out / client / "report.pdf"), start=1):
            lines = [ln.strip() for ln in page.splitlines() if ln.strip() and not re.search(r"page \d+ of \d+", ln)]
            assert lines and lines[-1] not in headings, f"{client} page {n} ends with heading {lines[-1]!r}"


@pytest.mark.slow
@pytest.mark.browser
def test_no_table_is_wider_than_the_printed_page(printed):
    from browser._chromium import CHROMIUM, LAUNCH_ARGS
    from playwright.sync_api import sync_playwright

    out, clients, _ = printed
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": A4_TEXT_WIDTH_PX, "height": 1100})
            page.emulate_media(media="print")
            for client in clients:
                page.goto((out / client / "report.html").as_uri())
                wide = page.evaluate(
                    """(limit) => Array.from(document.querySelectorAll('table')).map(t => ({
                        right: t.getBoundingClientRect().right, cols: t.rows[0] ? t.rows[0].cells.length : 0,
                        head: t.rows[0] ? t.rows[0].innerText.slice(0, 80) : ''})).filter(t => t.right > limit + 1)""",
                    A4_TEXT_WIDTH_PX,
                )
                assert wide == [], f"{client}: tables cut at the page edge: {wide}"
        finally:
            browser.close()
