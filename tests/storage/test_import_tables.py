"""storage.importing.tables: the tables of CSV, XLSX and ZIP exports, streamed (issue 12)."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook

from storage.importing.csv_formats import BadFile
from storage.importing.tables import Table, cell_text, open_tables

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "crm"


def one(path: Path, encoding: str | None = None) -> Table:
    tables = open_tables(path, encoding)
    assert len(tables) == 1
    return tables[0]


def write(tmp_path: Path, data: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ------------------------------------------------------------------------------------------- CSV


def test_records_start_on_their_physical_line_with_crlf_inside_quotes(tmp_path: Path) -> None:
    data = b'id,note\r\n1,"first\r\nsecond\r\nthird"\r\n2,plain\r\n\r\n3,"a\nb"\r\n4,end\r\n'
    table = one(write(tmp_path, data))
    assert table.header == ["id", "note"] and table.header_line == 1
    assert list(table.records()) == [
        (2, ["1", "first\r\nsecond\r\nthird"]),
        (5, ["2", "plain"]),
        (6, []),
        (7, ["3", "a\nb"]),
        (9, ["4", "end"]),
    ]


def test_records_are_a_fresh_stream_each_call_and_include_blank_records(tmp_path: Path) -> None:
    table = one(write(tmp_path, b"a,b\n1,2\n,\n\n3,4\n"))
    first = list(table.records())
    assert first == [(2, ["1", "2"]), (3, ["", ""]), (4, []), (5, ["3", "4"])]
    assert list(table.records()) == first


def test_a_utf8_bom_is_stripped(tmp_path: Path) -> None:
    table = one(write(tmp_path, '\ufeff"Record ID",Name\n1,Zoë\n'.encode()))
    assert table.header == ["Record ID", "Name"]
    assert list(table.records()) == [(2, ["1", "Zoë"])]


def test_utf16_with_a_bom_is_read(tmp_path: Path) -> None:
    table = one(write(tmp_path, "Name\tOwner\r\nSociété\tJürgen\r\n".encode("utf-16")))
    assert table.header == ["Name", "Owner"]
    assert list(table.records()) == [(2, ["Société", "Jürgen"])]


def test_latin1_is_refused_without_encoding_naming_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Owner\nAcme,Bob\nSociété Générale,Jürgen\n".encode("latin-1"))
    with pytest.raises(BadFile) as exc:
        list(one(path).records())
    message = str(exc.value)
    assert message.startswith("line 3:") and "not UTF-8" in message
    assert "--encoding" in message and "latin-1" in message and "cp1252" in message


def test_latin1_late_in_a_big_file_is_refused_while_reading(tmp_path: Path) -> None:
    body = b"Name,Owner\n" + b"Acme,Bob\n" * 200_000 + "Müller,Jürgen\n".encode("latin-1")
    table = one(write(tmp_path, body))
    with pytest.raises(BadFile, match=r"^line 200002: byte 0xfc is not UTF-8 text"):
        list(table.records())


def test_latin1_is_read_with_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Owner\r\nSociété Générale,Jürgen Müller\r\n".encode("latin-1"))
    table = one(path, "latin-1")
    assert list(table.records()) == [(2, ["Société Générale", "Jürgen Müller"])]


def test_a_utf8_file_is_read_as_utf8_even_with_encoding(tmp_path: Path) -> None:
    path = write(tmp_path, "Name,Note\nZoë,€ 5\n".encode())
    assert list(one(path, "latin-1").records()) == [(2, ["Zoë", "€ 5"])]
    assert list(one(path, "cp1252").records()) == [(2, ["Zoë", "€ 5"])]


def test_an_unknown_encoding_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="--encoding 'latin-9000'"):
        open_tables(write(tmp_path, b"a\n1\n"), "latin-9000")


def test_text_converted_twice_is_refused(tmp_path: Path) -> None:
    for garbled in ("SociÃ©tÃ© GÃ©nÃ©rale", "JÃ¼rgen", "Oâ€™Brien", "KÃ¶ln"):
        path = write(tmp_path, f"Name\nAcme\n{garbled}\n".encode())
        with pytest.raises(BadFile) as exc:
            list(one(path).records())
        assert str(exc.value).startswith("line 3:")
        assert "converted twice" in str(exc.value) and "mojibake" in str(exc.value)
        assert "UTF-8" in str(exc.value)


def test_semicolon_and_tab_separated_files(tmp_path: Path) -> None:
    table = one(write(tmp_path, b'Name;Amount;Note\nAcme;1,5;"a;b"\n'))
    assert table.header == ["Name", "Amount", "Note"]
    assert list(table.records()) == [(2, ["Acme", "1,5", "a;b"])]
    table = one(write(tmp_path, b"Name\tAmount\nAcme\t1,5\n"))
    assert list(table.records()) == [(2, ["Acme", "1,5"])]
    table = one(write(tmp_path, b'"Name","Note; with semicolons; inside"\nAcme,x\n'))
    assert table.header == ["Name", "Note; with semicolons; inside"]


def test_an_unclosed_quote_names_its_line(tmp_path: Path) -> None:
    path = write(tmp_path, b'Name,Note\nAcme,fine\nGlobex,"never closed\nInitech,x\n')
    with pytest.raises(BadFile, match=r"^line 3: .*quote \(\"\) opened on this line is not closed"):
        list(one(path).records())
    huge = b'Name,Note\nAcme,"' + b"x" * 200_000 + b"\n"
    with pytest.raises(BadFile, match=r"^line 2: a value is longer than 131,072 characters"):
        list(one(write(tmp_path, huge)).records())


def test_bad_quoting_is_invalid_csv_with_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, b'Name,Note\nAcme,"closed"garbage\n')
    with pytest.raises(BadFile, match=r"^line 2: the file is not valid CSV"):
        list(one(path).records())


def test_nul_bytes_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, b"Name,Note\nAcme,a\x00b\n")
    with pytest.raises(BadFile, match=r"^line 2: the file contains a NUL character"):
        list(one(path).records())


def test_missing_empty_and_directory(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="no such file"):
        open_tables(tmp_path / "nope.csv")
    with pytest.raises(BadFile, match="directory"):
        open_tables(tmp_path)
    with pytest.raises(BadFile, match="empty"):
        open_tables(write(tmp_path, b"\n\n"))
    with pytest.raises(BadFile, match=r"\.xls"):
        open_tables(write(tmp_path, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls"))


def test_records_stream_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("wb") as fh:
        fh.write(b"id,name,note\n")
        row = b'1,Acme Corp,"a note, with a comma"\n'
        fh.write(row * 400_000)  # ~15 MB
    table = one(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in table.records())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 400_000
    assert peak < 4_000_000


def test_fixture_tables_have_the_rows_expected_json_counts() -> None:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    seen = 0
    for run in expected["runs"].values():
        encoding = "latin-1" if "--encoding" in run["options"] else None
        for name, facts in run["files"].items():
            path = FIXTURES / name.split("!")[0]
            tables = {t.name: t for t in open_tables(path, encoding)}
            table = tables[str(path) + ("!" + name.split("!")[1] if "!" in name else "")]
            lines = [line for line, _ in table.records()]
            assert len(lines) == facts["rows"], name
            skipped = {s["line"] for s in facts["skipped_rows"]}
            assert skipped <= set(lines), name
            seen += 1
    assert seen >= 27


def test_the_salesforce_report_fixtures_need_their_encoding() -> None:
    path = FIXTURES / "salesforce" / "accounts_report.csv"
    with pytest.raises(BadFile, match="not UTF-8"):
        list(one(path).records())
    names = [cells[1] for _, cells in one(path, "latin-1").records() if len(cells) > 1]
    assert "Société Générale" in names and "Müller Maschinenbau GmbH" in names


# ------------------------------------------------------------------------------------------- XLSX and ZIP


def workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_cells_become_export_text(tmp_path: Path) -> None:
    rows: list[list[object]] = [
        ["Record ID", "Create Date", "Closed", "Amount", "Share", "Note"],
        [5012345001, datetime(2024, 2, 11, 9, 14), datetime(2026, 3, 16), 12000.0, 12.5, None],
        [None, None, None, None, None, None],
        [5012345002, datetime(2024, 2, 11, 9, 14, 30), None, 7, None, "text"],
    ]
    table = one(workbook(tmp_path / "companies.xlsx", {"Sheet1": rows}))
    assert table.name == str(tmp_path / "companies.xlsx")
    assert table.header == ["Record ID", "Create Date", "Closed", "Amount", "Share", "Note"]
    assert list(table.records()) == [
        (2, ["5012345001", "2024-02-11T09:14:00", "2026-03-16", "12000", "12.5", ""]),
        (3, ["", "", "", "", "", ""]),
        (4, ["5012345002", "2024-02-11T09:14:30", "", "7", "", "text"]),
    ]
    assert list(table.records()) == list(table.records())


def test_cell_text() -> None:
    assert cell_text(None) == "" and cell_text(True) == "true" and cell_text(3) == "3"
    assert cell_text(1e3) == "1000" and cell_text(0.1) == "0.1"


def test_xlsx_sheets_are_tables_named_by_sheet(tmp_path: Path) -> None:
    path = workbook(
        tmp_path / "book.xlsx",
        {"Companies": [["Name"], ["Acme"]], "Empty": [], "Deals": [[None], ["Deal"], ["Big one"]]},
    )
    tables = open_tables(path)
    assert [t.name for t in tables] == [f"{path}[Companies]", f"{path}[Deals]"]
    assert tables[1].header_line == 2 and list(tables[1].records()) == [(3, ["Big one"])]


def test_the_hubspot_xlsx_fixture_reads_like_its_csv() -> None:
    xlsx = one(FIXTURES / "hubspot" / "companies.xlsx")
    csv_ = one(FIXTURES / "hubspot" / "companies.csv")
    assert xlsx.header == csv_.header
    by_line = dict(xlsx.records())
    assert [line for line, _ in csv_.records()] == list(by_line)
    assert by_line[2][0] == "5012345001"
    assert by_line[2][3] == "2024-02-11T09:14:00"


def test_zip_members_are_tables(tmp_path: Path) -> None:
    book = workbook(tmp_path / "inner.xlsx", {"Sheet1": [["Name"], ["Acme"]]})
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("folder/", b"")
        archive.writestr("folder/companies.csv", "\ufeffName,Owner\r\nSociété,Ann\r\n".encode())
        archive.writestr("__MACOSX/folder/._companies.csv", b"\0\0junk")
        archive.writestr("readme.txt", b"not a table")
        archive.write(book, "book.xlsx")
    tables = open_tables(path)
    assert [t.name for t in tables] == [f"{path}!folder/companies.csv", f"{path}!book.xlsx"]
    assert tables[0].header == ["Name", "Owner"]
    assert list(tables[0].records()) == [(2, ["Société", "Ann"])]
    assert list(tables[1].records()) == [(2, ["Acme"])]


def test_a_zip_without_tables_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", b"nothing")
    with pytest.raises(BadFile, match="no .csv or .xlsx"):
        open_tables(path)


def test_the_hubspot_zip_fixture() -> None:
    path = FIXTURES / "hubspot" / "export.zip"
    tables = open_tables(path)
    assert [t.name for t in tables] == [
        f"{path}!hubspot-crm-exports-companies-2026-11-20.csv",
        f"{path}!hubspot-crm-exports-contacts-2026-11-20.csv",
    ]
    assert tables[0].header[0] == "hs_object_id" and tables[1].header[0] == "hs_object_id"
    assert len(list(tables[0].records())) == 10
