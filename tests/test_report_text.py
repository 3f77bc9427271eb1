"""What the client reads is words: no identifier, no Python value, no e-notation, no internal name.

Scans the rendered text of every sample report (the page's text and the text inside its SVG
charts) and of the index. consultant.html is the agency's page and is not scanned: config
advice and file names belong there.
"""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import pytest
from _report_batch import SAMPLE_CLIENTS, sample_batch

pytestmark = pytest.mark.slow

#: Pattern -> what it catches. Campaign names are the client's own words and may hold anything,
#: but the sample clients' names hold none of these.
FORBIDDEN = {
    "snake_case identifier": re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b"),
    "Python boolean": re.compile(r"\b(?:True|False)\b"),
    "missing value as nan": re.compile(r"\b(?:nan|NaN|None)\b"),
    "e-notation number": re.compile(r"\b\d+(?:\.\d+)?[eE][+-]?\d+\b"),
    "internal name": re.compile(r"match_campaigns|campaign_map|client\.yaml|kpikit\."),
}


class _Text(HTMLParser):
    SKIP = {"style", "script", "title"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.images: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        src = dict(attrs).get("src") or ""
        if tag == "img" and src.startswith("data:image/svg+xml;base64,"):
            self.images.append(base64.b64decode(src.split(",", 1)[1]).decode("utf-8"))
        if tag == "img" and dict(attrs).get("alt"):
            self.parts.append(dict(attrs)["alt"])

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.parts.append(data.strip())


def rendered_text(page: str) -> str:
    """The page's visible text plus the text of its SVG charts."""
    parser = _Text()
    parser.feed(page)
    svg_text = [t for svg in parser.images for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    return "\n".join(parser.parts + svg_text)


def problems(text: str) -> list[str]:
    found = []
    for what, pattern in FORBIDDEN.items():
        hits = sorted({m.group(0) for m in pattern.finditer(text)})
        if hits:
            found.append(f"{what}: {hits[:8]}")
    return found


def test_the_scan_catches_what_it_should():
    assert problems("step_low 0.0339; nested True; leads take up to nan days; 9.2e-05%; see match_campaigns") == [
        "snake_case identifier: ['match_campaigns', 'step_low']",
        "Python boolean: ['True']",
        "missing value as nan: ['nan']",
        "e-notation number: ['9.2e-05']",
        "internal name: ['match_campaigns']",
    ]
    assert problems("Cost per opportunity EUR 1,821.78 (95% range 1,412.31 – 2,393.16), 0.00064% of impressions") == []


@pytest.mark.parametrize("client", SAMPLE_CLIENTS)
def test_every_sample_report_reads_in_words(client):
    page = (sample_batch() / client / "report.html").read_text(encoding="utf-8")
    text = rendered_text(page)
    assert "Key findings" in text and "Appendix: full tables" in text
    assert problems(text) == []


def test_the_index_reads_in_words():
    text = rendered_text((sample_batch() / "index.html").read_text(encoding="utf-8"))
    assert "generated" in text and problems(text) == []


def test_consultant_notes_are_on_their_own_page():
    for client in SAMPLE_CLIENTS:
        notes = (sample_batch() / client / "consultant.html").read_text(encoding="utf-8")
        assert "Every engine note, verbatim" in notes and "Files loaded" in notes
        assert "Key findings" not in rendered_text(notes)
