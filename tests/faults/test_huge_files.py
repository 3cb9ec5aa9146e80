"""Files of any size (docs/data.md#memory): accountbot's own CSV is checked in a streamed first pass and written
in chunks in a second, inside the caller's one transaction, so what an import holds does not grow with the
file. Counted, not timed: the rows alive at once, and whether writing starts before the file is read to its
end. The memory figures themselves are in bench/bench_import.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import DEFAULT_THRESHOLDS
from storage.importing import csv_formats, writers
from storage.importing.files import import_file
from storage.importing.rows import AccountRow, ImportRejected
from storage.models import Account
from tests.conftest import NOW

ROWS = 3 * writers.CHUNK + 123  # more than two chunks: a writer holding every row would show


class Alive:
    """How many rows the parser built are alive now, and at most at once."""

    now = 0
    most = 0


@pytest.fixture
def alive(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[Alive]]:
    class CountedRow(AccountRow):  # a subclass: it gets __weakref__ and __del__ (AccountRow has slots)
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            Alive.now += 1
            Alive.most = max(Alive.most, Alive.now)

        def __del__(self) -> None:
            Alive.now -= 1

    Alive.now = Alive.most = 0
    monkeypatch.setattr(csv_formats, "AccountRow", CountedRow)
    yield Alive


def accounts_file(path: Path, rows: int, last: str | None = None) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("name,owner,stage,annual_revenue,wallet_share,industry,aliases\n")
        for i in range(rows):
            fh.write(f"Company {i:06d},U0OWNER{i % 7},client,{1000 + i},{i % 101}%,Retail,C{i};Co {i}\n")
        if last is not None:
            fh.write(last + "\n")
    return path


def stored(sessions: sessionmaker[Session]) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Account)) or 0


def test_a_bad_last_row_refuses_a_long_file_holding_one_row_at_a_time(
    sessions: sessionmaker[Session], tmp_path: Path, alive: type[Alive]
) -> None:
    path = accounts_file(tmp_path / "accounts.csv", ROWS, last="Last Co,U0OWNER1,client,,150%,,")
    with pytest.raises(ImportRejected) as info, sessions.begin() as s:
        import_file(s, "T1", "accounts", path, NOW, DEFAULT_THRESHOLDS)
    assert info.value.total == 1
    assert str(info.value.errors[0]) == (
        f"line {ROWS + 2}, column wallet_share: '150%' - expected a percentage from 0 to 100 such as 45 or 45%"
    )
    assert stored(sessions) == 0
    assert alive.most <= 2, (
        f"{alive.most} rows alive at once while checking {ROWS}"
    )  # the row in hand, the next


def test_a_repeat_on_the_last_line_names_the_first_line_and_writes_nothing(
    sessions: sessionmaker[Session], tmp_path: Path, alive: type[Alive]
) -> None:
    path = accounts_file(tmp_path / "accounts.csv", ROWS, last="company 000003,,,,,,")
    with pytest.raises(ImportRejected) as info, sessions.begin() as s:
        import_file(s, "T1", "accounts", path, NOW, DEFAULT_THRESHOLDS)
    assert [str(e) for e in info.value.errors] == [
        f"line {ROWS + 2}, column name: 'company 000003' - expected each name only once per file (already on line 5)"
    ]
    assert stored(sessions) == 0
    assert alive.most <= 2


def test_a_long_file_is_written_chunk_by_chunk_as_it_is_read_again(
    sessions: sessionmaker[Session], tmp_path: Path, alive: type[Alive], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = accounts_file(tmp_path / "accounts.csv", ROWS)
    events: list[tuple[str, int]] = []  # ("parsed", line) and ("written", rows), in the order they happen
    parse, upsert = csv_formats._parse, writers._upsert

    def parsing(columns: Any, line: int, fields: list[str], errors: Any) -> Any:
        events.append(("parsed", line))
        return parse(columns, line, fields, errors)

    def writing(*args: Any, **kwargs: Any) -> Any:
        chunk = args[3]  # the rows of one statement (before the fix: a generator of the whole file)
        events.append(("written", len(chunk) if isinstance(chunk, list) else -1))
        return upsert(*args, **kwargs)

    monkeypatch.setattr(csv_formats, "_parse", parsing)
    monkeypatch.setattr(writers, "_upsert", writing)
    with sessions.begin() as s:
        result = import_file(s, "T1", "accounts", path, NOW, DEFAULT_THRESHOLDS)
    assert (result.rows, result.created) == (ROWS, ROWS)
    assert stored(sessions) == ROWS

    last_line = ROWS + 1
    assert [e for e in events if e == ("parsed", last_line)] == [("parsed", last_line)] * 2  # two passes
    second_pass = events.index(("parsed", last_line)) + 1
    first_write = events.index(("written", writers.CHUNK))
    assert second_pass < first_write < events.index(("parsed", last_line), second_pass), (
        "the first chunk is written before the last line is read again"
    )
    assert [n for kind, n in events if kind == "written"] == [writers.CHUNK] * 3 + [123]
    # a chunk in hand and the next being read, never the file
    assert alive.most <= 2 * writers.CHUNK + 2 < ROWS, f"{alive.most} rows alive at once"
