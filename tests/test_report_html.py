"""kpikit.report.html: branding, hidden code, nothing remote, escaping (no kernel needed)."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from kpikit.config import ClientConfig
from kpikit.errors import ReportError
from kpikit.report.html import LOGO_MAX_BYTES, Branding, export_html, has_audience

PNG_1PX = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def executed_notebook():
    param = new_code_cell('client_config: str = "secret/path.yaml"', metadata={"tags": ["parameters"]})
    hidden = new_code_cell("book = open_secret()", metadata={"tags": ["kpikit-hide"]})
    chart = new_code_cell("show_chart()")
    chart.outputs = [
        new_output(
            "display_data", data={"image/svg+xml": "<svg xmlns='http://www.w3.org/2000/svg'><text>A</text></svg>"}
        )
    ]
    table = new_code_cell("show_table()")
    table.outputs = [new_output("display_data", data={"text/html": "<table><tr><td>&lt;b&gt;</td></tr></table>"})]
    return new_notebook(
        cells=[new_markdown_cell("# Report\n\nMoney: $5 and $6, not LaTeX."), param, hidden, chart, table]
    )


def test_code_is_hidden_and_nothing_is_loaded_from_the_network():
    page = export_html(executed_notebook(), Branding(agency="Northlight", client_name="Acme"))
    for code in ("client_config", "open_secret", "show_chart", "show_table"):
        assert code not in page
    assert "<script" not in page  # no require.js, MathJax, mermaid or widget manager, inline or remote
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)
    assert "Content-Security-Policy" in page and "script-src 'none'" in page
    assert "data:image/svg+xml;base64," in page  # charts embedded, not linked
    assert "&lt;b&gt;" in page and "Northlight" in page and "<title>Acme report</title>" in page


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_branding_is_escaped_and_colours_must_be_colours():
    brand = Branding(
        agency='<script>x</script>" onerror="alert(1)', client_name='"Q" & Co', logo="data:image/png;base64,AA"
    )
    page = export_html(new_notebook(), brand)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    parser = _Tags()
    parser.feed(page)
    logos = [attrs for tag, attrs in parser.tags if tag == "img"]
    assert logos == [{"alt": '<script>x</script>" onerror="alert(1) logo', "src": "data:image/png;base64,AA"}]
    assert not any(tag == "script" for tag, _ in parser.tags)
    with pytest.raises(ReportError, match="not a CSS colour"):
        Branding(primary="red;}</style><script>alert(1)</script>")
    assert Branding(primary="#abc", accent="teal").accent == "teal"


def test_branding_from_config_embeds_the_logo(tmp_path):
    (tmp_path / "logo.png").write_bytes(PNG_1PX)
    cfg = ClientConfig.from_dict(
        {"client": "acme", "name": "Acme Ltd", "report": {"agency": "Northlight", "logo": "logo.png",
                                                         "colors": {"primary": "#112233", "accent": "#445566"}}},
        base_dir=tmp_path,
    )  # fmt: skip
    brand = Branding.from_config(cfg)
    assert brand.logo == "data:image/png;base64," + base64.b64encode(PNG_1PX).decode()
    page = export_html(new_notebook(), brand)
    assert brand.logo in page and "--kk-primary: #112233" in page and "Acme Ltd" in page


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [("missing.png", None, "logo file not found"), ("logo.bmp", b"BM", "PNG, JPEG, GIF or SVG"),
     ("big.png", b"\x89PNG" + b"0" * LOGO_MAX_BYTES, "too large")],
)  # fmt: skip
def test_bad_logos_are_clear_errors(tmp_path, name, data, message):
    if data is not None:
        (tmp_path / name).write_bytes(data)
    cfg = ClientConfig.from_dict({"client": "acme", "report": {"logo": name}}, base_dir=tmp_path)
    with pytest.raises(ReportError, match=message):
        Branding.from_config(cfg)


def test_the_template_extends_lab_and_empties_every_cdn_block():
    from kpikit.report._paths import REPORT_TEMPLATE_NAME, REPORT_TEMPLATES

    template = (REPORT_TEMPLATES / REPORT_TEMPLATE_NAME / "index.html.j2").read_text()
    assert "{%- extends 'lab/index.html.j2' -%}" in template
    for block in ("html_head_js_requirejs", "html_head_js_mathjax", "html_head_js_mermaidjs", "jupyter_widgets"):
        assert re.search(rf"{{%- block {block} -%}}{{%- endblock {block} -%}}", template), block
    nbformat.validate(executed_notebook())


def test_consultant_cells_make_their_own_page_and_never_the_clients():
    nb = executed_notebook()
    note = new_markdown_cell("Add the spelling to campaign_map", metadata={"tags": ["consultant"]})
    nb.cells.append(note)
    client = export_html(nb, Branding(agency="Northlight", client_name="Acme"))
    consultant = export_html(nb, Branding(agency="Northlight", client_name="Acme"), audience="consultant")
    assert "campaign_map" not in client and "campaign_map" in consultant
    assert "<title>Acme notes for the consultant</title>" in consultant
    assert "Money: $5" in client and "Money: $5" not in consultant  # the story stays on the client's page
    assert has_audience(nb, "consultant") and not has_audience(executed_notebook(), "consultant")
    with pytest.raises(ReportError, match="unknown report audience"):
        export_html(nb, audience="everyone")


def test_print_stylesheet_fixes_the_lab_css_for_paper():
    from kpikit.report._paths import REPORT_TEMPLATE_NAME, REPORT_TEMPLATES

    page = export_html(executed_notebook(), Branding())
    css = (REPORT_TEMPLATES / REPORT_TEMPLATE_NAME / "report.css").read_text()
    assert css.strip()[:40] in page  # included into the page, not linked
    printed = css[css.index("@media print") :]
    for rule in (".jp-OutputArea-child { break-inside: auto !important; }", "break-after: avoid",
                 "thead { display: table-header-group; }", "break-inside: avoid", "@page { size: A4"):  # fmt: skip
        assert rule in printed or rule in css, rule
    assert "with kpikit." not in page  # the footer names the agency, not the tool
