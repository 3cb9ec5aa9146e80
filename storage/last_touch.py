"""Each account's latest interaction and latest `review`, stored in `latest_touches` and kept on every write
to the interactions table, so a nudge run reads them with the accounts instead of aggregating a million
interactions.

Unlike storage.classes and storage.rollups (marked stale, recomputed by the next reader), these are kept in
the writer's transaction: touches are logged all day long, and a recompute per reader would cost what the
stored values save. One pair of connection events covers every way a statement reaches the interactions
table (ORM flushes, `Session.execute`, Core on any connection):

- INSERT: the new rows' own dates raise the stored ones (an upsert keeping the later of the two, so two
  touches logged at once for one account both count, whichever commits first);
- UPDATE and DELETE (no product code does either): the accounts of the rows the WHERE clause selects are
  noted before the statement runs, and recomputed from their interactions after.

Raw driver SQL (COPY, `exec_driver_sql`) bypasses the events: whoever writes that way calls `recompute`
(the benchmark's bulk load does). The stored dates cover all interactions, future-dated ones too;
storage.activity.watched_states falls back to the aggregate when one lies after its `now`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Delete, Insert, Update, and_, case, delete, event, func, or_, select
from sqlalchemy.engine import Engine

from storage.db import conflict_insert
from storage.models import Interaction, LatestTouch, table_of

INTERACTIONS = table_of(Interaction)
LATEST = table_of(LatestTouch)
_PENDING = "accountbot.last_touch.pending"  # Connection.info key: accounts noted before an UPDATE / DELETE
_CHUNK = 5_000  # account ids per statement (well under every driver's bound-parameter limit)


def recompute(conn: Connection, account_ids: Iterable[int] | None = None, team_id: str | None = None) -> None:
    """Set the stored latest touch and review of these accounts (of all `team_id`'s accounts, or of every
    workspace's, when None) from their interactions."""
    i = INTERACTIONS.c
    gone = delete(LATEST)
    fresh = select(
        i.account_id, i.team_id, func.max(i.occurred_at),
        func.max(case((i.kind == "review", i.occurred_at), else_=None)),
    ).group_by(i.account_id, i.team_id)
    if team_id is not None:
        gone, fresh = gone.where(LATEST.c.team_id == team_id), fresh.where(i.team_id == team_id)
    columns = ["account_id", "team_id", "last_touch_at", "last_review_at"]
    if account_ids is None:
        conn.execute(gone)
        conn.execute(LATEST.insert().from_select(columns, fresh))
        return
    ids = sorted(set(account_ids))  # one order for every writer
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        conn.execute(gone.where(LATEST.c.account_id.in_(chunk)))
        conn.execute(LATEST.insert().from_select(columns, fresh.where(i.account_id.in_(chunk))))


def _later(stored: Any, new: Any) -> Any:
    """The later of a stored date and a new one (either may be NULL)."""
    return case((and_(new.is_not(None), or_(stored.is_(None), new > stored)), new), else_=stored)


def raise_to(conn: Connection, latest: Mapping[int, tuple[str, datetime, datetime | None]]) -> None:
    """Account id -> (workspace, latest new touch, latest new review): keep the later of stored and new."""
    if not latest:
        return
    stmt = conflict_insert(conn, LATEST)
    stmt = stmt.on_conflict_do_update(
        index_elements=["account_id"],
        set_={
            "last_touch_at": _later(LATEST.c.last_touch_at, stmt.excluded.last_touch_at),
            "last_review_at": _later(LATEST.c.last_review_at, stmt.excluded.last_review_at),
        },
    )
    rows = [
        {"account_id": aid, "team_id": team, "last_touch_at": touch, "last_review_at": review}
        for aid, (team, touch, review) in sorted(latest.items())  # one order for every writer
    ]
    for start in range(0, len(rows), _CHUNK):
        conn.execute(stmt, rows[start : start + _CHUNK])


def _targets(statement: Any) -> bool:
    """An INSERT, UPDATE or DELETE on interactions (Core, or ORM-enabled on the Interaction class)."""
    return isinstance(statement, Insert | Update | Delete) and getattr(statement.table, "name", None) == INTERACTIONS.name


def _param_sets(
    conn: Connection, statement: Any, multiparams: Sequence[Any], params: Mapping[str, Any]
) -> list[Mapping[str, Any]]:
    """The parameter sets a statement runs with: executemany lists, a single dict, or `.values(...)`."""
    sets: list[Mapping[str, Any]] = []
    for p in multiparams:
        if isinstance(p, Mapping):
            sets.append(p)
        elif isinstance(p, list | tuple):
            sets.extend(q for q in p if isinstance(q, Mapping))
    if params:
        sets.append(params)
    if not sets:  # values given with .values(...), by their column keys (compiling without them gives Nones)
        sets.append(statement.compile(dialect=conn.dialect).params)
    return sets


def _utc(value: Any) -> datetime | None:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _new_touches(sets: list[Mapping[str, Any]]) -> dict[int, tuple[str, datetime, datetime | None]] | None:
    """Per account, the latest date and latest review date among new rows; None when a row's account, team
    or date is not to be seen (an INSERT ... SELECT)."""
    latest: dict[int, tuple[str, datetime, datetime | None]] = {}
    for p in sets:
        aid, team, when = p.get("account_id"), p.get("team_id"), _utc(p.get("occurred_at"))
        if not isinstance(aid, int) or not isinstance(team, str) or when is None:
            return None
        review = when if p.get("kind") == "review" else None
        if aid in latest:
            _, was, was_review = latest[aid]
            when = max(when, was)
            review = was_review if review is None else (review if was_review is None else max(review, was_review))
        latest[aid] = (team, when, review)
    return latest


@event.listens_for(Engine, "before_execute")
def _note_rows_to_change(conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any) -> None:
    if not _targets(statement) or isinstance(statement, Insert):
        return
    selected = select(INTERACTIONS.c.account_id).distinct()
    if statement.whereclause is not None:
        selected = selected.where(statement.whereclause)
    noted: set[int] = set()
    for p in _param_sets(conn, statement, multiparams, params):  # an ORM flush by primary key: once per row
        noted.update(conn.execute(selected, dict(p)).scalars())
    conn.info.setdefault(_PENDING, set()).update(noted)


@event.listens_for(Engine, "after_execute")
def _keep_latest_touches(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any, _result: Any
) -> None:
    if not _targets(statement):
        return
    sets = _param_sets(conn, statement, multiparams, params)
    if isinstance(statement, Insert):
        latest = _new_touches(sets)
        if latest is None:
            recompute(conn)  # new rows not to be seen here: every account, from its interactions
        else:
            raise_to(conn, latest)
        return
    accounts: set[int] = conn.info.pop(_PENDING, set())
    accounts.update(p["account_id"] for p in sets if isinstance(p.get("account_id"), int))  # moved here
    if accounts:
        recompute(conn, accounts)
