"""Executed report notebook -> client-ready HTML, in-process.

nbconvert's ``lab`` template is kept for its look, but our template
(``templates/report/kpikit_report``) empties every block that loads a script
from a CDN (require.js, MathJax, mermaid, the widget manager), adds the
agency's name, logo and colours, a print stylesheet (A4, tables and charts
never split, headings kept with what follows; ``kpikit report --pdf`` prints
it), and sets a Content-Security-Policy that forbids scripts and remote
requests. Code cells are hidden (no input, no prompts). Charts in the workbook
are SVG, so the page needs no JavaScript.

One executed notebook gives two pages (:data:`AUDIENCES`): the client's
``report.html`` leaves out every cell tagged ``consultant``, and the agency's
``consultant.html`` holds only those cells (data fixes, config advice), so
internal names never reach a client.

The exporter is built once per process and reused: building it (template
discovery, pygments CSS) costs more than converting a small notebook.

Examples
--------
>>> import nbformat
>>> from kpikit.report.html import Branding, export_html
>>> nb = nbformat.v4.new_notebook(cells=[
...     nbformat.v4.new_markdown_cell("# Results"),
...     nbformat.v4.new_code_cell("secret_code = 1"),
... ])
>>> page = export_html(nb, Branding(agency="Acme <Agency>", client_name="Client & Co"))
>>> "secret_code" in page, "Acme &lt;Agency&gt;" in page, "<script src" in page
(False, True, False)
>>> nb.cells.append(nbformat.v4.new_markdown_cell("Fix the CRM export", metadata={"tags": ["consultant"]}))
>>> "Fix the CRM" in export_html(nb), "Fix the CRM" in export_html(nb, audience="consultant")
(False, True)
"""

from __future__ import annotations

import base64
import copy
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from kpikit.core.paths import REPORT_TEMPLATE_NAME, report_template_dir
from kpikit.errors import ReportError

__all__ = ["Branding", "export_html", "has_audience", "LOGO_MAX_BYTES", "AUDIENCES", "CONSULTANT_TAG"]

LOGO_MAX_BYTES = 512 * 1024
_LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
}
# Colours end up inside a <style> block: accept only what cannot break out of it.
_COLOUR = re.compile(r"^(#[0-9A-Fa-f]{3,4}|#[0-9A-Fa-f]{6}|#[0-9A-Fa-f]{8}|[A-Za-z]{3,20})$")
# Cells the client never needs to see, even as an empty box.
HIDDEN_TAGS = frozenset({"parameters", "injected-parameters", "kpikit-hide"})
#: Cells for the agency only: they make consultant.html and never reach report.html.
CONSULTANT_TAG = "consultant"


def _tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


#: Who reads a page -> (which cells it keeps, its title after the client's name).
AUDIENCES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "client": (lambda cell: CONSULTANT_TAG not in _tags(cell), "report"),
    "consultant": (lambda cell: CONSULTANT_TAG in _tags(cell), "notes for the consultant"),
}


@dataclass(frozen=True)
class Branding:
    """What the report header shows: agency, client, logo (a ``data:`` URI) and colours."""

    agency: str = "kpikit"
    client_name: str = ""
    logo: str | None = None
    primary: str = "#1f4e79"
    accent: str = "#e07b39"

    def __post_init__(self) -> None:
        for key in ("primary", "accent"):
            value = getattr(self, key)
            if not _COLOUR.match(value):
                raise ReportError(
                    f"report colour {key!r} is not a CSS colour",
                    key=f"report.colors.{key}",
                    expected="a hex colour like '#1f4e79' or a colour name",
                    found=repr(value),
                    fix="fix report.colors in the client config",
                )

    @classmethod
    def from_config(cls, config: Any) -> Branding:
        """Branding from a :class:`~kpikit.ClientConfig` (its ``report`` section)."""
        style = config.report
        return cls(
            agency=style.agency,
            client_name=config.name or config.client,
            logo=None if style.logo is None else logo_data_uri(style.logo, config_file=config.source),
            primary=style.primary_color,
            accent=style.accent_color,
        )


def logo_data_uri(path: str | Path, *, config_file: Any = None) -> str:
    """Read a logo file into a ``data:`` URI so the report needs no other file."""
    path = Path(path)
    mime = _LOGO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
    where = None if config_file is None else str(config_file)
    if mime not in _LOGO_TYPES.values():
        raise ReportError(
            "the logo must be a PNG, JPEG, GIF or SVG file",
            file=where,
            key="report.logo",
            found=repr(path.name),
            fix="convert the logo to PNG or SVG",
        )
    if not path.is_file():
        raise ReportError(
            "logo file not found",
            file=where,
            key="report.logo",
            found=repr(str(path)),
            fix="put the logo beside client.yaml or set report.logo: null",
        )
    data = path.read_bytes()
    if len(data) > LOGO_MAX_BYTES:
        raise ReportError(
            "logo file is too large to embed in every report",
            file=where,
            key="report.logo",
            expected=f"at most {LOGO_MAX_BYTES // 1024} KB",
            found=f"{len(data) // 1024} KB",
            fix="export a smaller PNG (e.g. 400 px wide) or an SVG",
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def has_audience(nb: Any, audience: str) -> bool:
    """Whether ``nb`` has any cell for ``audience`` (a workbook without consultant cells makes no consultant page)."""
    keep, _ = AUDIENCES[audience]
    return any(keep(cell) for cell in nb.cells)


@lru_cache(maxsize=4)
def _exporter(template_dir: str, template_name: str):
    # Deferred: nbconvert pulls in jinja2, pygments, bleach... (~0.5 s).
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        extra_template_basedirs=[template_dir],
        template_name=template_name,
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
    )
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags=set(HIDDEN_TAGS)), enabled=True)
    return exporter


def export_html(
    nb: Any, branding: Branding | None = None, *, title: str | None = None, audience: str = "client"
) -> str:
    """Render an (executed) notebook as the client's HTML report, or as the consultant's page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        The executed notebook.
    branding : Branding, optional
        Agency name, client name, logo and colours for the header.
    title : str, optional
        The page title; defaults to "<client> report" ("<client> notes for the consultant").
    audience : {"client", "consultant"}
        Which cells the page keeps (see :data:`AUDIENCES`).

    Returns
    -------
    str
        A self-contained HTML page: no script, no remote request.
    """
    if audience not in AUDIENCES:
        raise ReportError("unknown report audience", found=repr(audience), expected=f"one of {list(AUDIENCES)}")
    keep, what = AUDIENCES[audience]
    nb = copy.copy(nb)  # a shallow copy: the cells list is replaced, the cells themselves are not touched
    nb.cells = [cell for cell in nb.cells if keep(cell)]
    branding = branding or Branding()
    exporter = _exporter(str(report_template_dir()), REPORT_TEMPLATE_NAME)
    name = title or (f"{branding.client_name} {what}" if branding.client_name else f"kpikit {what}")
    resources = {
        "metadata": {"name": name},
        "kpikit": {
            "agency": branding.agency,
            "client_name": branding.client_name,
            "logo": branding.logo,
            "primary": branding.primary,
            "accent": branding.accent,
            "audience": audience,
        },
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    return body
