"""``report.pdf``: the client's report.html printed by Chromium, one browser for a whole batch.

``kpikit report ... --pdf`` prints every written report with :class:`PdfPrinter`:
A4 (the page size of the report's print stylesheet), backgrounds kept, a
header line (agency, client) and a footer line with "page X of Y", a tagged
PDF with an outline. The page is opened from ``file://`` and every other
request is aborted, so printing is offline like the report itself. Charts are
SVG data URIs and stay vectors.

Why Chromium and not WeasyPrint: the project already drives Debian's
chromium through Playwright for its browser tests, so the PDF is the page the
client sees on screen, laid out by the same engine; it prints a report in
about 1.1 s once the browser runs (WeasyPrint 2.5-3 s warm, 5 s cold), keeps
the report's ``system-ui`` fonts (WeasyPrint ignores them) and needs no
Pango/HarfBuzz stack on a consultant's Windows or macOS laptop. It needs a
Chromium: ``KPIKIT_CHROMIUM``, ``--browser``, a system chromium/Chrome, or the
one ``playwright install chromium`` downloads.

Playwright is the optional ``pdf`` extra (``pip install kpikit[pdf]``): only
``--pdf`` needs it, and :func:`check_pdf` says so before a batch starts.

Examples
--------
>>> footer_template("Acme <Ltd>", "Northlight")  # doctest: +ELLIPSIS
'<div style="...">...Acme &lt;Ltd&gt; · Northlight...<span class="pageNumber"></span> of <span class="totalPages"></span>...'
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from kpikit.errors import ReportError
from kpikit.report._io import atomic_write_bytes

__all__ = ["PdfPrinter", "check_pdf", "find_browser", "print_reports", "BROWSERS", "BROWSER_ENV", "LAUNCH_ARGS", "PAGE"]

#: Environment variable naming the Chromium (or Chrome) executable to print with.
BROWSER_ENV = "KPIKIT_CHROMIUM"
#: Executables tried in order when neither ``--browser`` nor :data:`BROWSER_ENV` names one.
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
#: Chromium flags for printing and for the browser tests (which import them from here): without the
#: background-networking ones chromium keeps dialling Google's hosts, even offline.
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
#: ``page.pdf`` options: A4 as in the print stylesheet, margins that leave room for header and footer.
PAGE: dict[str, Any] = {
    "format": "A4",
    "print_background": True,
    "prefer_css_page_size": True,
    "display_header_footer": True,
    "margin": {"top": "16mm", "bottom": "16mm", "left": "12mm", "right": "12mm"},
    "tagged": True,
    "outline": True,
}
# Header and footer templates render outside the page's CSS: inline styles only.
_LINE = "font-size:7.5pt;color:#666;width:100%;margin:0 12mm;display:flex;justify-content:space-between;"
_MISSING_EXTRA = "the pdf optional dependency is missing (Playwright, which drives Chromium)"


def header_template(client: str, agency: str) -> str:
    """The line above every page: agency left, client right (escaped: names are untrusted)."""
    return f'<div style="{_LINE}"><span>{html.escape(agency)}</span><span>{html.escape(client)}</span></div>'


def footer_template(client: str, agency: str) -> str:
    """The line below every page: what the document is, and "page X of Y"."""
    what = html.escape(" · ".join(s for s in (client, agency) if s))
    return (
        f'<div style="{_LINE}"><span>{what}</span>'
        '<span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>'
    )


def find_browser(browser: str | os.PathLike | None = None) -> str | None:
    """The Chromium to print with: ``browser``, then ``$KPIKIT_CHROMIUM``, then one on the PATH.

    None means "Playwright's own", which exists only after ``playwright install chromium``.

    Raises
    ------
    ReportError
        when ``browser`` or ``$KPIKIT_CHROMIUM`` names a file that does not exist.
    """
    for given, where in ((browser, "--browser"), (os.environ.get(BROWSER_ENV), BROWSER_ENV)):
        if given:
            path = shutil.which(str(given)) or (str(given) if Path(given).is_file() else None)
            if path is None:
                raise ReportError(
                    "the browser for --pdf was not found",
                    column=where,
                    found=repr(str(given)),
                    fix="give the path of a Chromium or Chrome executable, e.g. /usr/bin/chromium",
                )
            return path
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


def check_pdf(browser: str | os.PathLike | None = None) -> str | None:
    """Fail before a batch starts when ``--pdf`` cannot work; return the browser :func:`find_browser` chose."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        raise ReportError(_MISSING_EXTRA, fix="run `pip install kpikit[pdf]`") from None
    return find_browser(browser)


class PdfPrinter:
    """One headless Chromium that prints report pages to PDF; use it as a context manager.

    Parameters
    ----------
    browser : path, optional
        Chromium or Chrome executable (default: :func:`find_browser`).

    Examples
    --------
    ::

        with PdfPrinter() as printer:
            for client in ("acme", "beta"):
                printer.print(f"out/{client}/report.html", f"out/{client}/report.pdf", client=client)
    """

    def __init__(self, browser: str | os.PathLike | None = None) -> None:
        self.executable = check_pdf(browser)
        self._playwright = None
        self._browser = None
        self.blocked: list[str] = []

    def __enter__(self) -> PdfPrinter:
        from playwright.sync_api import Error, sync_playwright  # deferred: ~0.3 s, and only --pdf needs it

        self._playwright = sync_playwright().start()
        try:
            self._browser = self._playwright.chromium.launch(
                executable_path=self.executable, headless=True, args=LAUNCH_ARGS
            )
        except Error as exc:
            self._playwright.stop()
            raise ReportError(
                "Chromium could not be started to print the PDF",
                found=str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc),
                fix=f"install chromium (apt-get install chromium), or set {BROWSER_ENV} / --browser to Chrome",
            ) from None
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()
        self._browser = self._playwright = None

    def _route(self, route: Any) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:  # the report is self-contained: anything else would be a leak, never a resource it needs
            self.blocked.append(url)
            route.abort()

    def print(self, html_path: str | os.PathLike, pdf_path: str | os.PathLike, *, client: str = "",
              agency: str = "") -> Path:  # fmt: skip
        """Print ``html_path`` to ``pdf_path`` (written atomically); return the PDF's path."""
        if self._browser is None:
            raise ReportError("PdfPrinter.print called outside its `with` block", fix="use `with PdfPrinter() as p:`")
        page = self._browser.new_page()
        try:
            page.route("**/*", self._route)
            page.goto(Path(html_path).resolve().as_uri(), wait_until="load")
            data = page.pdf(
                **PAGE, header_template=header_template(client, agency), footer_template=footer_template(client, agency)
            )
        finally:
            page.close()
        return atomic_write_bytes(Path(pdf_path), data)


def _names(result: Any) -> tuple[str, str]:
    """(client name, agency) for the header and footer lines, from the client's config."""
    from kpikit.config import ClientConfig

    try:
        config = ClientConfig.from_yaml(result.config)
        return config.name or config.client, config.report.agency
    except Exception:  # the report exists, so its config was readable moments ago; names are cosmetic
        return result.client, ""


def print_reports(
    results: Sequence[Any], out_dir: str | os.PathLike, *, browser: str | os.PathLike | None = None
) -> tuple[Any, ...]:
    """Print ``out_dir/<client>/report.pdf`` for every successful result, in one browser.

    A client whose PDF fails becomes a ``failed`` result (``PdfError``; its report.html stays);
    the others carry on. Returns the results in the same order.
    """
    todo = [r for r in results if r.ok]
    if not todo:
        return tuple(results)
    done: dict[str, Any] = {}
    try:
        with PdfPrinter(browser) as printer:
            for r in todo:
                folder = Path(out_dir) / r.client
                client, agency = _names(r)
                try:
                    printer.print(folder / "report.html", folder / "report.pdf", client=client, agency=agency)
                except Exception as exc:  # one client's PDF never stops the others
                    done[r.client] = _failed(r, exc)
    except ReportError as exc:  # no browser at all: every report is there, no PDF is
        done = {r.client: _failed(r, exc) for r in todo}
    return tuple(done.get(r.client, r) for r in results)


def _failed(result: Any, exc: BaseException) -> Any:
    message = f"report.html was written but report.pdf could not be: {exc}"
    return replace(result, status="failed", error=message, error_type="PdfError")
