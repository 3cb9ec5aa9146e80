"""Record the SQL statements a block of code sends (for tests that check every query is scoped by team)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event


@contextmanager
def statements_sent(bind: Any) -> Iterator[list[tuple[str, Any]]]:
    """(SQL text, parameters) of every statement `bind` executes inside the block."""
    statements: list[tuple[str, Any]] = []

    def seen(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        statements.append((statement, parameters))

    event.listen(bind, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(bind, "before_cursor_execute", seen)
