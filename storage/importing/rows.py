"""What an import is made of, whatever the source (accountbot's CSV, a CRM export, later a live CRM sync): the
parsed rows, the cell errors, the skipped rows and the result. A source builds these rows;
storage.importing.writers writes them.

Identity: a row from a CRM carries `source` ("hubspot", "salesforce", "pipedrive") and `source_id` (the
record's id there; Salesforce ids always in their 18-character form). Rows that point at another record
(a contact's account, a touch's contacts) do so by that record's source id in the same source wherever the
export has one (`account_source_id`, `contact_source_ids`), and by name only where it has nothing else.
Rows of accountbot's own format have `source` None unless an export wrote the columns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


# Why a source row was not imported (docs/data.md#reason-codes). Every row ends imported or skipped.
REASONS = (
    "footer", "blank", "no_name", "no_account", "stage", "not_done", "not_connected", "cancelled", "future",
    "duplicate", "currency", "invalid",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Skip:
    """One source row that was not imported: file (as given), line (the header is line 1), reason, the value."""

    file: str
    line: int
    reason: str  # one of REASONS
    value: str


SkipSink = Callable[[int, str, str], None]  # (line, reason, value): how a writer reports a row it skips


@dataclass(frozen=True, slots=True)
class AccountRow:
    line: int
    name: str
    fields: dict[str, Any]  # only the columns present in the file; parsed values (None = empty cell)
    source: str | None = None
    source_id: str | None = None


@dataclass(frozen=True, slots=True)
class ContactRow:
    line: int
    account: str  # the account's name ("" when the row joins by account_source_id only)
    name: str
    fields: dict[str, Any]
    source: str | None = None
    source_id: str | None = None
    account_source_id: str | None = None  # the account's id in `source`; wins over `account`


@dataclass(frozen=True, slots=True)
class InteractionRow:
    line: int
    account: str  # the account's name ("" when the row joins by account_source_id only)
    occurred_at: datetime
    kind: str
    contact: str | None = None  # name or email of a contact of that account
    colleague: str | None = None  # Slack user id or email
    note: str | None = None
    source: str | None = None
    source_id: str | None = None  # with source: the touch's identity (re-imports and renames change nothing)
    account_source_id: str | None = None
    contacts: tuple[str, ...] = ()  # more contacts (names or emails) it involved, besides `contact`
    contact_source_ids: tuple[str, ...] = ()  # every contact it involved, by id in `source`


@dataclass(frozen=True, slots=True)
class RevenueRow:
    line: int
    account: str
    month: date  # first day of the month
    amount: float
    source: str | None = None  # the account's source and id, when the row joins by id
    account_source_id: str | None = None


@dataclass(frozen=True, slots=True)
class DealRow:
    """A CRM deal (HubSpot) or opportunity (Salesforce, Pipedrive deal). Closed-won ones are spend with us:
    their amounts, in the workspace currency, summed by close month, are the account's revenue months."""

    line: int
    source: str
    source_id: str
    account: str  # name ("" when joined by id)
    account_source_id: str | None
    name: str
    status: str  # won | lost | open
    closed_on: date | None
    amount: float | None  # in the workspace currency (converted with --rate); None when empty


@dataclass
class ImportResult:
    kind: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0  # rows the writer skipped (a CRM row it cannot join): created + ... + skipped == rows
    notes: list[str] = field(default_factory=list)
