"""Stored latest touches (`latest_touches`): each account's latest interaction and latest `review`, kept in the
writer's transaction by the engine hooks `install` registers (every INSERT, UPDATE or DELETE on
interactions through SQLAlchemy). `deferred` batches a bulk writer's raises; `recompute` repairs.
See docs/data.md#stored-rollups-and-latest-touches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    Connection,
    Delete,
    Insert,
    Update,
    and_,
    case,
    delete,
    event,
    func,
    or_,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.sql import operators

from storage.models import Account, Interaction, LatestTouch, table_of
from storage.upsert import conflict_insert

ACCOUNTS = table_of(Account)
INTERACTIONS = table_of(Interaction)
LATEST = table_of(LatestTouch)
_PENDING = "accountbot.last_touch.pending"  # Connection.info key: accounts noted before an UPDATE / DELETE
_DEFERRED = "accountbot.last_touch.deferred"  # Connection.info key: new touches collected by `deferred`
_CHUNK = 5_000  # account ids per statement (well under every driver's bound-parameter limit)


def install(engine: Engine) -> None:
    """Keep the latest touches on every connection of `engine` (storage.db does this)."""
    event.listen(engine, "before_execute", _note_rows_to_change)
    event.listen(engine, "handle_error", _forget_noted_rows)
    event.listen(engine, "after_execute", _keep_latest_touches)


def recompute(conn: Connection, account_ids: Iterable[int] | None = None, team_id: str | None = None) -> None:
    """Set the stored latest touch and review of these accounts (of all `team_id`'s accounts, or of every
    workspace's, when None) from their interactions."""
    i, a = INTERACTIONS.c, ACCOUNTS.c
    gone = delete(LATEST)
    fresh = (  # an account's interactions in its own workspace, as the digest's aggregate counts them
        select(
            a.id,
            a.team_id,
            func.max(i.occurred_at),
            func.max(case((i.kind == "review", i.occurred_at), else_=None)),
        )
        .join(ACCOUNTS, (a.id == i.account_id) & (a.team_id == i.team_id))
        .group_by(a.id, a.team_id)
    )
    if team_id is not None:
        gone, fresh = gone.where(LATEST.c.team_id == team_id), fresh.where(a.team_id == team_id)
    columns = ["account_id", "team_id", "last_touch_at", "last_review_at"]
    if account_ids is None:
        conn.execute(gone)
        conn.execute(LATEST.insert().from_select(columns, fresh))
        return
    ids = sorted(set(account_ids))  # one order for every writer
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        conn.execute(gone.where(LATEST.c.account_id.in_(chunk)))
        conn.execute(LATEST.insert().from_select(columns, fresh.where(a.id.in_(chunk))))


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
    return (
        isinstance(statement, Insert | Update | Delete)
        and getattr(statement.table, "name", None) == INTERACTIONS.name
    )


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
    if not isinstance(value, datetime):
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Latest = dict[int, tuple[str, datetime, datetime | None]]  # account id -> (workspace, touch, review)


def _merge(into: Latest, account_id: int, team: str, when: datetime, review: datetime | None) -> None:
    if account_id in into:
        _, was, was_review = into[account_id]
        when = max(when, was)
        review = was_review if review is None else (review if was_review is None else max(review, was_review))
    into[account_id] = (team, when, review)


def _new_touches(sets: list[Mapping[str, Any]]) -> Latest | None:
    """Per account, the latest date and latest review date among new rows; None when a row's account, team
    or date is not to be seen (an INSERT ... SELECT)."""
    latest: Latest = {}
    for p in sets:
        aid, team, when = p.get("account_id"), p.get("team_id"), _utc(p.get("occurred_at"))
        if not isinstance(aid, int) or not isinstance(team, str) or when is None:
            return None
        _merge(latest, aid, team, when, when if p.get("kind") == "review" else None)
    return latest


@contextmanager
def deferred(conn: Connection) -> Iterator[None]:
    """Collect what the inserts run inside add, and raise the stored dates once at the end, in one sorted
    upsert: for a bulk writer (an import of many chunks), so its latest-touch rows stay locked only for the
    end of its transaction (a touch logged meanwhile does not wait for the whole import), and two such
    writers lock them in one order (they cannot deadlock). Not for code that rolls back a savepoint inside
    it: what the rolled-back inserts added would still be raised at the end."""
    collected: Latest = {}
    conn.info[_DEFERRED] = collected
    try:
        yield
    finally:
        conn.info.pop(_DEFERRED, None)
    raise_to(conn, collected)


def _teams(sets: list[Mapping[str, Any]]) -> set[str] | None:
    teams = {p.get("team_id") for p in sets}
    return (
        {t for t in teams if isinstance(t, str)} if teams and all(isinstance(t, str) for t in teams) else None
    )


def _recompute_teams(conn: Connection, teams: set[str] | None) -> None:
    """Every account of these workspaces (of every workspace when they are not to be seen)."""
    if teams is None:
        recompute(conn)
    for team_id in sorted(teams or ()):
        recompute(conn, team_id=team_id)


def _moved_to(statement: Any, sets: list[Mapping[str, Any]]) -> tuple[set[int], bool]:
    """The accounts an UPDATE moves rows to, and whether every target could be read (a bound parameter per
    row or a subquery cannot)."""
    assigned = {getattr(k, "key", k) for k in (getattr(statement, "_values", None) or {})}
    targets = {p["account_id"] for p in sets if isinstance(p.get("account_id"), int)}
    given = [p["account_id"] for p in sets if "account_id" in p]
    readable = all(isinstance(v, int) for v in given) and ("account_id" not in assigned or bool(given))
    return targets, readable


def _noted_by_primary_key(conn: Connection, where: Any, sets: list[Mapping[str, Any]]) -> set[int] | None:
    """Accounts of the rows an executemany by primary key (an ORM flush) changes, in chunked IN queries
    instead of one SELECT per row; None when the WHERE clause is anything else."""
    clauses = getattr(where, "clauses", None)
    if clauses is not None and len(clauses) == 1:  # the ORM's WHERE is an AND of one comparison
        where = clauses[0]
    right, left = getattr(where, "right", None), getattr(where, "left", None)
    key = right.key if isinstance(right, BindParameter) else None
    on_id = (
        getattr(left, "name", None) == "id"
        and getattr(getattr(left, "table", None), "name", None) == INTERACTIONS.name
    )
    if (
        len(sets) < 2
        or not on_id
        or getattr(where, "operator", None) is not operators.eq
        or not isinstance(key, str)
    ):
        return None  # anything but `id = :param` per row selects other rows than the parameters name
    ids = [p.get(key) for p in sets]
    if not all(isinstance(i, int) for i in ids):
        return None
    noted: set[int] = set()
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        noted.update(
            conn.execute(
                select(INTERACTIONS.c.account_id).where(INTERACTIONS.c.id.in_(chunk)).distinct()
            ).scalars()
        )
    return noted


def _note_rows_to_change(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any
) -> None:
    if not _targets(statement) or isinstance(statement, Insert):
        return
    sets = _param_sets(conn, statement, multiparams, params)
    noted = _noted_by_primary_key(conn, statement.whereclause, sets)
    if noted is None:
        selected = select(INTERACTIONS.c.account_id).distinct()
        if statement.whereclause is not None:
            selected = selected.where(statement.whereclause)
        noted = set()
        for p in sets:
            noted.update(conn.execute(selected, dict(p)).scalars())
    conn.info.setdefault(_PENDING, set()).update(noted)


def _forget_noted_rows(context: Any) -> None:
    """A failed UPDATE or DELETE changed nothing: its noted accounts must not ride along to the connection's
    next statement (or next checkout)."""
    if context.connection is not None:
        context.connection.info.pop(_PENDING, None)


def _keep_latest_touches(
    conn: Connection, statement: Any, multiparams: Any, params: Any, _options: Any, _result: Any
) -> None:
    if not _targets(statement):
        return
    sets = _param_sets(conn, statement, multiparams, params)
    if isinstance(statement, Insert):
        latest = _new_touches(sets)
        upsert = getattr(statement, "_post_values_clause", None)
        updates = type(upsert).__name__ == "OnConflictDoUpdate"
        to_set = getattr(upsert, "update_values_to_set", None) or {}
        pairs = to_set.items() if isinstance(to_set, Mapping) else to_set
        sets_on_conflict = {getattr(k, "key", k) for k, _ in pairs}
        if latest is None or (updates and sets_on_conflict & {"account_id", "team_id"}):
            # new rows not to be seen here (INSERT ... SELECT), or existing rows moved to other accounts
            _recompute_teams(conn, _teams(sets))
        elif updates:  # an existing row may have moved to an earlier date
            recompute(conn, latest)
        elif (collected := conn.info.get(_DEFERRED)) is not None:
            for aid, (team, when, review) in latest.items():
                _merge(collected, aid, team, when, review)
        else:
            raise_to(conn, latest)
        return
    accounts: set[int] = conn.info.pop(_PENDING, set())
    targets, readable = _moved_to(statement, sets) if isinstance(statement, Update) else (set(), True)
    if not readable:  # rows moved to accounts not to be seen here: their workspaces, or every one
        if not accounts:
            return  # no row matched: nothing moved
        teams = set(
            conn.execute(select(ACCOUNTS.c.team_id).where(ACCOUNTS.c.id.in_(sorted(accounts)))).scalars()
        )
        _recompute_teams(conn, teams if teams and "team_id" not in _assigned(statement, sets) else None)
        return
    if accounts | targets:
        recompute(conn, accounts | targets)


def _assigned(statement: Any, sets: list[Mapping[str, Any]]) -> set[str]:
    names = {getattr(k, "key", k) for k in (getattr(statement, "_values", None) or {})}
    return names | {k for p in sets for k in p}
