"""What an import keeps in bounded memory (storage.importing.bounded) and the streamed reading of a file
(storage.importing.csv_formats): the same rows, errors and messages whatever the chunk sizes and however many
keys have gone to disk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from storage.importing import bounded, csv_formats
from storage.importing.bounded import Errors, FirstSeen, Reread
from storage.importing.csv_formats import BadFile, parse_rows, read_file
from storage.importing.rows import ImportRejected, RowError


def outcome(kind: str, data: bytes) -> Any:
    """The rows, or the errors (first ones and total), or the BadFile message."""
    try:
        return parse_rows(kind, data)
    except ImportRejected as exc:
        return ([str(e) for e in exc.errors], exc.total)
    except BadFile as exc:
        return str(exc)


# ------------------------------------------------------------------------------------------ FirstSeen


@pytest.mark.parametrize("memory", [1_000_000, 3, 0])
def test_first_seen_names_the_first_line_of_each_key_in_memory_and_on_disk(memory: int) -> None:
    with FirstSeen[str](memory) as seen:
        for line, key in enumerate(["a", "b", "a", "c"], start=2):
            seen.add(key, line, key)
        assert seen.check() == [(4, 2, "a")]
        for line, key in enumerate(["d", "b", "d", "e", "a", "d"], start=6):
            seen.add(key, line, key)
        # b and a were first seen before this batch; d's first place is in it; all repeats say the first line
        assert seen.check() == [(7, 3, "b"), (8, 6, "d"), (10, 2, "a"), (11, 6, "d")]
        assert seen.on_disk == (memory < 5)
        assert seen.check() == []


def test_first_seen_keys_are_values_not_spellings() -> None:
    from datetime import date

    with FirstSeen[None](0) as seen:
        seen.add((1, date(2026, 3, 1)), 2, None)
        seen.add((1, date(2026, 4, 1)), 3, None)
        seen.add(("1", date(2026, 3, 1)), 4, None)  # the text "1" is not the id 1
        assert seen.check() == []
        seen.add((1, date(2026, 3, 1)), 5, None)
        assert seen.check() == [(5, 2, None)]


# ------------------------------------------------------------------------------------------ Errors


def test_errors_keep_the_first_by_line_and_column_and_count_all() -> None:
    errors = Errors(["name", "stage"], limit=3)
    for line in (9, 7, 5, 3):
        errors.append(RowError(line, "stage", "x", "client"))
        errors.append(RowError(line, "name", "y", "text"))
    errors.append(RowError(3, "(whole row)", "2 value(s)", "3 values"))
    assert bool(errors) and errors.total == 9
    assert [(e.line, e.column) for e in errors.first] == [(3, "(whole row)"), (3, "name"), (3, "stage")]
    with pytest.raises(ImportRejected) as info:
        errors.reject()
    assert info.value.total == 9 and len(info.value.errors) == 3
    Errors().reject()  # no error: nothing raised


# ------------------------------------------------------------------------------------------ reading in chunks

FILES = {
    "accounts": [
        b'\xef\xbb\xbfname,industry\r\nAcme,Retail\r\n\r\nBeta,"Food\r\nand more"\r\nCaf\xc3\xa9 Bleu,Caf\xc3\xa9s\r\n',
        b"name,industry\nAcme,Retail\nacme,Food\nBeta,Toys\n ACME ,x\n",
        b"name,industry\nAcme,Retail\n" + "Café Bleu,Food\n".encode("latin-1"),
        b"name,industry\nAcme,Retail\nCaf\xc3\xa9,Ret\x00ail\n",
        b"name,industry\nAcme,Retail\nCaf\xc3",  # a character cut off by the end of the file
        b"name,industry\rAcme,Retail\rBeta,Food\r",  # old Mac line ends
        b'name,industry\nAcme,Retail\nBeta,"Food\n' + b"Gamma,Toys\n" * 2000,
        b"name,stage\n"
        + b"".join(b"Co %d,%s\n" % (i, b"client" if i % 3 else b"customer") for i in range(60)),
    ],
    "revenue": [b"account,month,amount\nAcme,2026-01,1\nacme,2026-01,2\nAcme,2026-02,3\nAcme, 2026-01 ,4\n"],
    "contacts": [
        b"account,name,source,source_id\nAcme,Ann,,\nAcme,ann,,\nBeta,Ann,hubspot,1\nAcme,Bob,hubspot,1\n"
    ],
}


@pytest.mark.parametrize("kind,data", [(k, d) for k, files in FILES.items() for d in files])
def test_any_chunk_size_reads_the_same_rows_errors_and_lines(
    kind: str, data: bytes, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = outcome(kind, data)
    for size in (1, 2, 3, 7, 64):
        monkeypatch.setattr(csv_formats, "READ_CHUNK", size)
        assert outcome(kind, data) == expected, size


def test_the_line_and_byte_of_a_bad_byte_and_a_nul_are_exact() -> None:
    assert outcome("accounts", FILES["accounts"][2]).startswith("line 3: byte 0xe9 is not UTF-8 text.")
    assert outcome("accounts", FILES["accounts"][3]).startswith("line 3: the file contains a NUL character")
    assert outcome("accounts", FILES["accounts"][4]).startswith("line 3: byte 0xc3 is not UTF-8 text.")


def test_repeats_found_on_disk_say_the_same_as_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"Co {i % 40}" for i in range(100)]  # lines 2..41 first, then every name again, twice
    data = ("name\n" + "\n".join(names) + "\n").encode()
    in_memory = outcome("accounts", data)
    monkeypatch.setattr(bounded, "MEMORY_KEYS", 5)
    monkeypatch.setattr(csv_formats, "CHECK_EVERY", 7)
    assert outcome("accounts", data) == in_memory
    first, total = in_memory
    assert total == 60
    assert (
        first[0] == "line 42, column name: 'Co 0' - expected each name only once per file (already on line 2)"
    )
    assert (
        first[19]
        == "line 61, column name: 'Co 19' - expected each name only once per file (already on line 21)"
    )


def test_a_line_longer_than_the_limit_is_refused_not_held(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_formats, "LINE_LIMIT", 100)
    monkeypatch.setattr(csv_formats, "READ_CHUNK", 16)
    assert outcome("accounts", b"name,industry\nAcme,Retail\n" + b"," * 500 + b"\n") == (
        "line 3: a line is longer than 100 characters, so this is not a CSV file of one record per line. "
        "Save it as 'CSV UTF-8 (Comma delimited)'."
    )
    assert len(outcome("accounts", b"name\n" + b"".join(b"Co %d\n" % i for i in range(50)))) == 50


def test_read_file_gives_rows_read_again_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("name,source,source_id\nAcme,,\nBeta,hubspot,7\nGamma,,\n")
    rows = read_file("accounts", path)
    assert isinstance(rows, Reread) and (rows.identified, rows.others) == (1, 2)
    assert [r.name for r in rows] == ["Acme", "Beta", "Gamma"] == [r.name for r in rows]
    assert [r.name for r in rows.only(True)] == ["Beta"]
    assert [r.name for r in rows.only(False)] == ["Acme", "Gamma"]
    path.write_text("name,source,source_id\nAcme,,\nBeta,nosuchcrm,7\n")  # changed after it was checked
    with pytest.raises(BadFile, match="^line 3: the file changed while it was imported; import it again.$"):
        list(rows)
