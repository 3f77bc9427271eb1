"""The one PII scan of kpikit's outputs: what a file holds as text, and planted personal data in it.

The report tests (sample clients, the hostile client) and the hostile-input corpus all
scan with :class:`PiiScanner` over :func:`file_texts`, so "every output" means the same
everywhere: the text of HTML, notebooks, JSON and SVG, PNG text chunks, base64 data URIs
and notebook image outputs decoded, Excel cell text, and PDF text (``pdftotext``).

The scanner is written independently of :mod:`kpikit.privacy` on purpose: a test that
matched with the code under test would miss what that code misses.
"""

from __future__ import annotations

import base64
import re
import shutil
import struct
import subprocess
import unicodedata
import zlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["PiiScanner", "file_texts", "png_text_chunks", "decoded_payloads", "read_planted"]


def read_planted(path: Path) -> set[str]:
    """The planted values of a list file: one a line, ``#`` comments and blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return {line.strip() for line in lines if line.strip() and not line.startswith("#")}


def png_text_chunks(data: bytes) -> str:
    """Text held in a PNG's tEXt/zTXt/iTXt chunks (where image metadata lives)."""
    texts, pos = [], 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            texts.append(body.decode("latin-1"))
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            texts.append(key.decode("latin-1") + zlib.decompress(rest[1:]).decode("latin-1"))
        elif kind == b"iTXt":
            texts.append(body.decode("utf-8", "replace"))
        pos += 12 + length
    return "\n".join(texts)


def decoded_payloads(text: str) -> list[str]:
    """Base64 data URIs and notebook image outputs decoded: charts and logos are embedded this way."""
    found = []
    for kind, payload in re.findall(r"data:([a-z]+/[a-z0-9.+-]+);base64,([A-Za-z0-9+/=\\n]+)", text):
        raw = base64.b64decode(payload.replace("\\n", ""))
        found.append(png_text_chunks(raw) if kind == "image/png" else raw.decode("utf-8", "replace"))
    for payload in re.findall(r'"image/png": "([A-Za-z0-9+/=\\n]+)"', text):
        found.append(png_text_chunks(base64.b64decode(payload.replace("\\n", ""))))
    return found


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    cells = [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]
    return "\n".join([*book.sheetnames, *cells])


def _pdf_text(path: Path) -> str:
    exe = shutil.which("pdftotext")
    assert exe, "pdftotext (poppler-utils) is needed to scan a PDF"
    return subprocess.run([exe, "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout.decode()


def _parquet_text(path: Path) -> str:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    cells = [str(v) for col in table.columns for v in col.to_pylist() if v is not None]
    return "\n".join([*table.column_names, *cells])


def file_texts(path: Path) -> list[str]:
    """Every text ``path`` holds, decoded the way a reader of that file would see it."""
    raw = path.read_bytes()
    if path.suffix == ".png":
        return [png_text_chunks(raw)]
    if path.suffix == ".xlsx":
        return [_xlsx_text(path)]
    if path.suffix == ".pdf":
        return [_pdf_text(path)]
    if path.suffix == ".parquet":  # the batch's parsed-exports cache: every cell, as text
        return [_parquet_text(path)]
    if path.suffix == ".pickle":  # the cached load report: its strings are UTF-8 inside the pickle
        return [raw.decode("utf-8", errors="replace")]
    text = raw.decode("utf-8")
    return [text, *decoded_payloads(text)]


class PiiScanner:
    """Finds planted personal data in text, case-insensitively, on word boundaries.

    27,000 strings as one regex alternation would take minutes per file, so
    text is tokenised once and looked up in sets: emails as tokens, names and
    phone numbers as word n-grams (long free-text notes by their first six
    words), and phone numbers again by their digits whatever the formatting.
    Text and planted values are NFKC-folded first (a full-width ``＠`` is an
    ``@``) and ``%40`` reads as ``@`` (URL-encoded UTM values).
    """

    # Lookbehind: a match may only start at a token boundary, else a long base64 run costs O(n^2).
    EMAIL = re.compile(r"(?<![\w.+'-])[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
    PHONE = re.compile(r"(?<![\d(+])\+?\(?\d[\d\s().-]{6,}\d")
    WORD = re.compile(r"\w+")
    LONG = 6

    @staticmethod
    def fold(text: str) -> str:
        text = text if text.isascii() else unicodedata.normalize("NFKC", text)
        return text.replace("%40", "@").casefold()

    def __init__(self, pii: set[str]) -> None:
        self.emails, self.grams, self.digits = set(), {}, set()
        for item in pii:
            low = self.fold(item)
            if "@" in low:
                self.emails.add(low.removeprefix("mailto:"))
                continue
            bare = low.removeprefix("tel:")
            if re.fullmatch(r"[\d\s()+.-]+", bare):
                self.digits.add(re.sub(r"\D", "", bare)[-9:])  # country prefixes vary: compare the tail
            words = tuple(self.WORD.findall(bare))
            key = words[: self.LONG]
            self.grams.setdefault(len(key), {})[key] = item

    def find(self, text: str) -> str | None:
        """The first planted value in ``text``, or None."""
        low = self.fold(text)
        for email in self.EMAIL.findall(low):
            if email in self.emails:
                return email
        words = self.WORD.findall(low)
        for n, table in self.grams.items():
            for i in range(len(words) - n + 1):
                hit = table.get(tuple(words[i : i + n]))
                if hit is not None:
                    return hit
        for candidate in self.PHONE.findall(low):
            digits = re.sub(r"\D", "", candidate)
            if len(digits) >= 9 and digits[-9:] in self.digits:
                return candidate
        return None

    def scan_tree(self, root: Path) -> tuple[int, list[str]]:
        """How many files under ``root`` were scanned, and ``"<file>: <value>"`` for each hit."""
        scanned, hits = 0, []
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            for text in file_texts(path):
                hit = self.find(text)
                if hit is not None:
                    hits.append(f"{path.relative_to(root)}: {hit!r}")
            scanned += 1
        return scanned, hits

    def texts(self, items: Iterable[tuple[str, str]]) -> list[str]:
        """``"<where>: <value>"`` for each ``(where, text)`` holding a planted value."""
        return [f"{where}: {hit!r}" for where, text in items if (hit := self.find(text)) is not None]
