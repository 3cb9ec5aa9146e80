"""What an import is made of, whatever the source (CSV today, a CRM later): the parsed rows, the cell errors,
and the result. A source builds these rows; storage.importing.writers writes them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one cell: file line (the header is line 1), column, the value found, what was expected."""

    line: int
    column: str
    value: str
    expected: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {shown(self.value)} - expected {self.expected}"


def shown(value: str, limit: int = 60) -> str:
    """A value as it appears in an error message: quoted, and shortened when long."""
    if len(value) > limit:
        return repr(value[:limit]) + f"... ({len(value):,} characters)"
    return repr(value)


class ImportRejected(Exception):
    """The import was refused; nothing was written. `errors` holds at most MAX_ERRORS, `total` counts all."""

    MAX_ERRORS = 20

    def __init__(self, errors: Sequence[RowError], total: int | None = None) -> None:
        self.errors = list(errors)[: self.MAX_ERRORS]
        self.total = total if total is not None else len(errors)
        super().__init__(f"{self.total} error(s); nothing was imported")


@dataclass(frozen=True, slots=True)
class AccountRow:
    line: int
    name: str
    fields: dict[str, Any]  # only the columns present in the file; parsed values (None = empty cell)


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    account: str
    name: str
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class InteractionRow:
    line: int
    account: str
    occurred_at: datetime
    kind: str
    contact: str | None = None  # name or email of a contact of that account
    colleague: str | None = None  # Slack user id or email
    note: str | None = None


@dataclass(frozen=True, slots=True)
class RevenueRow:
    line: int
    account: str
    month: date  # first day of the month
    amount: float


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    notes: list[str] = field(default_factory=list)
