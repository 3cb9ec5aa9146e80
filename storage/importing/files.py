"""The one way into the database for imported data: `import_file` parses a CSV file (a path or its bytes)
and hands the rows to `import_rows`, which writes them and brings the stored values (storage.stored) up to
date in the same transaction, so the next nudge run finds them ready. A new source calls `import_rows`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from accounts.thresholds import Thresholds
from storage.importing.csv_formats import parse_rows, read_file
from storage.importing.rows import ImportResult
from storage.importing.writers import (
    Progress,
    import_accounts,
    import_contacts,
    import_interactions,
    import_revenue,
)
from storage.stored.grades import ensure_classified
from storage.stored.rollups import ensure_rollups

WRITERS: dict[str, Callable[..., ImportResult]] = {
    "accounts": import_accounts,
    "contacts": import_contacts,
    "interactions": import_interactions,
    "revenue": import_revenue,
}


def import_file(
    session: Session,
    team_id: str,
    kind: str,
    source: Path | bytes,
    now: datetime,
    thresholds: Thresholds,
    *,
    checked: Progress | None = None,
    written: Progress | None = None,
) -> ImportResult:
    """Parse one CSV file of `kind` and import it in the caller's transaction; raises BadFile or
    ImportRejected (nothing written). A path is checked in a first streamed pass, then read again as its rows
    are written, so a file of any size takes the same memory (docs/data.md#memory); bytes are parsed once and
    held. `checked` and `written` are told how many rows were parsed and written."""
    rows = read_file(kind, source, checked) if isinstance(source, Path) else parse_rows(kind, source, checked)
    return import_rows(session, team_id, kind, rows, now, thresholds, written)


def import_rows(
    session: Session,
    team_id: str,
    kind: str,
    rows: Iterable[Any],
    now: datetime,
    thresholds: Thresholds,
    progress: Progress | None = None,
) -> ImportResult:
    """Write parsed rows of `kind`, then store the new rollups, tiers and grades in the same transaction. A
    rating the rules reject leaves the classification stale: the grading commands name it."""
    result = WRITERS[kind](session, team_id, rows, now, progress)
    ensure_rollups(session, team_id, now, thresholds)
    try:
        ensure_classified(session, team_id, thresholds)
    except ValueError:
        pass
    return result
