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


def test_a_run_of_nul_bytes_is_refused_but_utf16_text_is_not(tmp_path):
    import pytest

    from kpikit.errors import DataError

    cut = tmp_path / "cut.csv"
    cut.write_bytes(b"Day,Campaign,Cost\n2026-01-01,Brand,1.00\n" + b"\x00" * 64)
    with pytest.raises(DataError, match="run of NUL bytes from byte 40"):
        open_raw(cut)
    utf16 = tmp_path / "utf16.tsv"
    utf16.write_bytes("\ufeffDay\tCampaign\tCost\r\n2026-01-01\t\t1.00\r\n".encode("utf-16-le"))
    assert open_raw(utf16).encoding == "utf-16"


def test_a_cell_over_the_csv_field_limit_in_the_head_says_its_line(tmp_path):
    import pytest

    from kpikit.errors import DataError

    path = tmp_path / "long.csv"
    path.write_text('Report\nDay,Campaign\n2026-01-01,"' + "x" * 150_000 + '"\n')
    raw = open_raw(path)
    assert sniff_separator(raw.lines) == ","  # the separator is still found
    with pytest.raises(DataError) as info:
        raw.head_rows(",")
    assert info.value.row == 3 and "field limit" in str(info.value)


def test_a_workbook_is_read_whatever_its_name_and_lists_its_sheets(tmp_path):
    import shutil
    from pathlib import Path

    from kpikit.ingest.readers import xlsx_sheets

    renamed = tmp_path / "report.csv"  # an .xlsx saved under a .csv name
    shutil.copy(Path(__file__).parent / "fixtures" / "ingest" / "google_ads.xlsx", renamed)
    raw = open_raw(renamed)
    assert raw.origin == renamed and raw.path != renamed and raw.encoding == "utf-8"
    assert xlsx_sheets(renamed)


def test_a_zip_archive_is_not_taken_for_a_workbook(tmp_path):
    import zipfile

    import pytest

    from kpikit.errors import DataError

    path = tmp_path / "export.csv"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("export.csv", "a,b\n1,2\n")
    with pytest.raises(DataError, match="ZIP archive"):
        open_raw(path)
