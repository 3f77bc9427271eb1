"""Encoding and separator sniffing; rows keep their spreadsheet line numbers."""

from __future__ import annotations

from kpikit.ingest.readers import open_raw, read_rows, sniff_encoding, sniff_separator


def test_encodings():
    assert sniff_encoding("a,b".encode("utf-16-le")) == ("utf-16-le", 0)
    assert sniff_encoding(b"\xef\xbb\xbfa,b") == ("utf-8", 3)
    assert sniff_encoding("Müller".encode()) == ("utf-8", 0)
    assert sniff_encoding("Müller".encode("cp1252")) == ("cp1252", 0)


def test_separators():
    assert sniff_separator(["a\tb\tc", "1\t2,5\t3"]) == "\t"
    assert sniff_separator(["Title", "", "a,b,c", "1,2,3"]) == ","
    assert sniff_separator(["a;b;c", "1,5;2;3"]) == ";"


def test_line_numbers_with_quoted_newlines(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text('Title\na,b\n1,"two\nlines"\n3,4\n', encoding="utf-8")
    raw = open_raw(path)
    rows = read_rows(raw, ",", 1)
    assert rows.header == ["a", "b"]
    assert rows.lines.tolist() == [3, 5]
    assert rows.frame["1"].tolist() == ["two\nlines", "4"]
