"""What an import keeps while it reads a file, in memory that does not grow with the file: the first errors and
their count (`Errors`), the keys seen so far for duplicate checks (`FirstSeen`, on disk past a fixed number),
and rows that are read again from their file instead of held (`Reread`). See docs/data.md#memory.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from storage.importing.rows import ImportRejected, RowError

T = TypeVar("T")
P = TypeVar("P")
MEMORY_KEYS = 100_000  # keys FirstSeen keeps in a dict (about 15 MB) before it moves them to disk


class Errors:
    """Cell errors in any number: the `limit` first by (line, column order) are kept, the rest only counted.
    `columns` orders the errors of one line (the file's column order); errors of equal rank keep their order."""

    def __init__(self, columns: Sequence[str] = (), limit: int = ImportRejected.MAX_ERRORS) -> None:
        self.total = 0
        self._rank = {name: index for index, name in enumerate(columns)}
        self._limit = limit
        self._kept: list[tuple[int, int, int, RowError]] = []

    def __bool__(self) -> bool:
        return self.total > 0

    def append(self, error: RowError) -> None:
        self._kept.append((error.line, self._rank.get(error.column, -1), self.total, error))
        self.total += 1
        if len(self._kept) >= 2 * self._limit:
            self._trim()

    def extend(self, errors: Sequence[RowError]) -> None:
        for error in errors:
            self.append(error)

    def _trim(self) -> None:
        self._kept.sort()
        del self._kept[self._limit :]

    @property
    def first(self) -> list[RowError]:
        self._trim()
        return [kept[-1] for kept in self._kept]

    def reject(self) -> None:
        """Raise ImportRejected (the first errors and the total) when there is any error."""
        if self.total:
            raise ImportRejected(self.first, self.total)


def _digest(key: Any) -> bytes:
    """16 bytes standing for a key (a tuple of str, int, date, None): equal keys, equal digests."""
    return hashlib.blake2b(repr(key).encode("utf-8"), digest_size=16).digest()


class FirstSeen(Generic[P]):
    """The line each key was first seen on, over a file of any size. `add` queues a key; `check` says which
    queued keys were seen before (line, first line, payload given to `add`) and remembers the others. Up to
    `memory` keys (MEMORY_KEYS unless told) are kept in a dict, then all of them in a temporary SQLite database on disk (private, deleted
    when closed): memory stays near `memory` keys plus what is queued. Use as a context manager."""

    def __init__(self, memory: int | None = None) -> None:
        self._memory = MEMORY_KEYS if memory is None else memory
        self._known: dict[bytes, int] | None = {}
        self._db: sqlite3.Connection | None = None
        self._queue: dict[bytes, tuple[int, P]] = {}  # a key's first place in the queue
        self._again: list[tuple[bytes, int, P]] = []  # the queue's later places of its keys

    def __enter__(self) -> FirstSeen[P]:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        self._known = {}

    @property
    def queued(self) -> int:
        return len(self._queue) + len(self._again)

    @property
    def on_disk(self) -> bool:
        return self._db is not None

    def add(self, key: Any, line: int, payload: P) -> None:
        digest = _digest(key)
        if digest in self._queue:
            self._again.append((digest, line, payload))
        else:
            self._queue[digest] = (line, payload)

    def check(self) -> list[tuple[int, int, P]]:
        """(line, line of the key's first appearance, payload) for every queued key seen before, by line."""
        queue, again = self._queue, self._again
        self._queue, self._again = {}, []
        if not queue:
            return []
        earlier = self._earlier(queue)
        found = [(line, earlier[key], payload) for key, (line, payload) in queue.items() if key in earlier]
        found += [(line, earlier.get(key, queue[key][0]), payload) for key, line, payload in again]
        self._remember({key: line for key, (line, _) in queue.items() if key not in earlier})
        found.sort(key=lambda f: f[0])
        return found

    def _earlier(self, queue: dict[bytes, tuple[int, P]]) -> dict[bytes, int]:
        if self._known is not None:
            known = self._known
            return {key: known[key] for key in queue if key in known}
        assert self._db is not None
        db = self._db
        db.executemany("INSERT INTO queued VALUES (?)", ((key,) for key in queue))
        found = dict(db.execute("SELECT s.k, s.line FROM queued q JOIN seen s ON s.k = q.k"))
        db.execute("DELETE FROM queued")
        return found

    def _remember(self, new: dict[bytes, int]) -> None:
        if self._known is not None:
            self._known.update(new)
            if len(self._known) <= self._memory:
                return
            new, self._known = self._known, None
            self._db = sqlite3.connect("")  # "": a private database in a temporary file, gone when closed
            self._db.executescript(
                "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -16000;"
                "CREATE TABLE seen (k BLOB PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;"
                "CREATE TABLE queued (k BLOB PRIMARY KEY) WITHOUT ROWID;"
            )
        assert self._db is not None
        self._db.executemany("INSERT INTO seen VALUES (?, ?)", new.items())


class Reread(Generic[T]):
    """Rows read from their file again each time they are iterated (a pass over a checked file), never held;
    `identified` of them carry a CRM identity (source id) and `others` do not. A writer that writes the rows
    with an identity first (storage.importing.writers) reads the file once for each kind it holds."""

    def __init__(self, read: Callable[[bool | None], Iterator[T]], identified: int, others: int) -> None:
        self._read = read
        self.identified = identified
        self.others = others

    def __iter__(self) -> Iterator[T]:
        return self._read(None)

    def __len__(self) -> int:
        return self.identified + self.others

    def only(self, identified: bool) -> Iterator[T]:
        """The rows with a source id (True) or without (False), in file order; nothing read when there are none."""
        if not (self.identified if identified else self.others):
            return iter(())
        return self._read(identified)
