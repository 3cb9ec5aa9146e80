"""storage.stored.latest_touch: every way a statement reaches the interactions table keeps each account's stored
latest touch and latest review equal to a plain aggregate of its interactions, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import delete, func, insert, literal, select, update
from sqlalchemy.orm import Session, sessionmaker

from storage.db import ensure_workspace
from storage.importing.rows import InteractionRow
from storage.importing.writers import import_interactions
from storage.models import Account, Interaction, LatestTouch
from storage.reads.accounts import name_key
from storage.stored.latest_touch import recompute
from storage.writes.edits import log_touch
from tests.conftest import NOW

TEAM, OTHER = "TLT1", "TLT2"


def _accounts(session: Session, team: str = TEAM, n: int = 3) -> list[int]:
    ensure_workspace(session, team)
    ids = []
    for i in range(n):
        acc = Account(
            team_id=team,
            name=f"Co {team} {i}",
            name_key=name_key(f"Co {team} {i}"),
            aliases=[],
            exclusions=[],
            created_at=NOW,
            updated_at=NOW,
        )
        session.add(acc)
        session.flush()
        ids.append(acc.id)
    return ids


def _touch(
    session: Session, account_id: int, days_ago: float, kind: str = "call", team: str = TEAM
) -> Interaction:
    row = Interaction(
        team_id=team,
        account_id=account_id,
        occurred_at=NOW - timedelta(days=days_ago),
        kind=kind,
        colleague="U1",
        dedup_key=uuid.uuid4().hex,
    )
    session.add(row)
    session.flush()
    return row


def stored(session: Session) -> dict[int, tuple[datetime | None, datetime | None]]:
    return {r.account_id: (r.last_touch_at, r.last_review_at) for r in session.scalars(select(LatestTouch))}


def expected(session: Session) -> dict[int, tuple[datetime | None, datetime | None]]:
    """The plain aggregate the stored values stand for."""
    rows = session.execute(
        select(Interaction.account_id, func.max(Interaction.occurred_at)).group_by(Interaction.account_id)
    ).all()
    reviews = dict(
        session.execute(
            select(Interaction.account_id, func.max(Interaction.occurred_at))
            .where(Interaction.kind == "review")
            .group_by(Interaction.account_id)
        ).all()
    )
    return {aid: (last, reviews.get(aid)) for aid, last in rows}


def test_orm_inserts_raise_the_stored_dates_and_older_ones_do_not_lower_them(session: Session) -> None:
    a, b, _ = _accounts(session)
    _touch(session, a, 10)
    _touch(session, a, 3, kind="review")
    _touch(session, a, 20)  # older: changes nothing
    _touch(session, b, 40)
    assert stored(session) == expected(session)
    assert stored(session)[a] == (NOW - timedelta(days=3), NOW - timedelta(days=3))
    assert stored(session)[b] == (NOW - timedelta(days=40), None)


def test_log_touch_and_import_keep_them(session: Session) -> None:
    a, b, c = _accounts(session)
    log_touch(
        session,
        team_id=TEAM,
        account_id=a,
        kind="review",
        occurred_at=NOW - timedelta(days=2),
        created_by="U1",
    )
    log_touch(
        session, team_id=TEAM, account_id=a, kind="call", occurred_at=NOW - timedelta(days=5), created_by="U1"
    )
    rows = [
        InteractionRow(2, f"Co {TEAM} 1", NOW - timedelta(days=7), "meeting", None, None, None),
        InteractionRow(3, f"Co {TEAM} 1", NOW - timedelta(days=1), "review", None, None, None),
        InteractionRow(4, f"Co {TEAM} 2", NOW - timedelta(days=9), "email", None, None, None),
    ]
    import_interactions(session, TEAM, rows, NOW)
    session.flush()
    assert stored(session) == expected(session)
    assert stored(session)[b] == (NOW - timedelta(days=1), NOW - timedelta(days=1))
    assert stored(session)[c] == (NOW - timedelta(days=9), None)
    import_interactions(session, TEAM, rows, NOW)  # the same file again: nothing new, nothing moves
    assert stored(session) == expected(session)


def test_deletes_and_updates_recompute_the_accounts_they_touch(session: Session) -> None:
    a, b, _ = _accounts(session)
    latest = _touch(session, a, 1, kind="review")
    _touch(session, a, 8)
    _touch(session, b, 30)
    session.delete(latest)  # ORM delete by primary key
    session.flush()
    assert stored(session)[a] == (NOW - timedelta(days=8), None)
    session.execute(update(Interaction).where(Interaction.account_id == b).values(kind="review"))
    assert stored(session)[b] == (NOW - timedelta(days=30), NOW - timedelta(days=30))
    session.execute(update(Interaction).where(Interaction.account_id == a).values(account_id=b))  # moved
    assert stored(session) == expected(session)
    assert stored(session)[b] == (NOW - timedelta(days=8), NOW - timedelta(days=30))
    assert a not in stored(session)
    session.execute(delete(Interaction).where(Interaction.team_id == TEAM))
    assert stored(session) == expected(session) == {}


def test_core_statements_on_any_connection_keep_them(session: Session) -> None:
    a, b, _ = _accounts(session)
    conn = session.connection()
    conn.execute(
        insert(Interaction),
        [
            {
                "team_id": TEAM,
                "account_id": a,
                "occurred_at": NOW - timedelta(days=4),
                "kind": "call",
                "dedup_key": "k1",
            },
            {
                "team_id": TEAM,
                "account_id": a,
                "occurred_at": NOW - timedelta(days=2),
                "kind": "review",
                "dedup_key": "k2",
            },
        ],
    )
    assert stored(session)[a] == (NOW - timedelta(days=2), NOW - timedelta(days=2))
    # INSERT ... SELECT: the new rows are not to be seen in its parameters, so every account is recomputed
    copy = select(
        Interaction.team_id,
        Interaction.occurred_at,
        Interaction.kind,
        literal("c") + Interaction.dedup_key,
        literal(b),
    ).where(Interaction.account_id == a)
    conn.execute(
        insert(Interaction).from_select(["team_id", "occurred_at", "kind", "dedup_key", "account_id"], copy)
    )
    assert stored(session) == expected(session)
    assert stored(session)[b] == stored(session)[a]


def test_recompute_repairs_what_raw_sql_wrote_and_keeps_workspaces_apart(session: Session) -> None:
    a, _, _ = _accounts(session)
    (x,) = _accounts(session, OTHER, 1)
    _touch(session, a, 5)
    _touch(session, x, 6, team=OTHER)
    session.execute(update(LatestTouch).values(last_touch_at=None))  # as if written behind the events' back
    recompute(session.connection(), team_id=TEAM)
    assert stored(session)[a] == (NOW - timedelta(days=5), None)
    assert stored(session)[x] == (None, None)  # the other workspace is left alone
    recompute(session.connection())
    assert stored(session) == expected(session)


def test_two_touches_logged_at_once_both_count(sessions: sessionmaker[Session]) -> None:
    """The later touch wins whichever transaction commits first (the upsert keeps the later date)."""
    with sessions.begin() as s:
        (a,) = _accounts(s, TEAM, 1)
    first = sessions()
    try:
        log_touch(first, team_id=TEAM, account_id=a, kind="call", occurred_at=NOW, created_by="U1")  # open
        errors: list[BaseException] = []

        def older() -> None:
            try:
                with sessions.begin() as s:
                    log_touch(
                        s,
                        team_id=TEAM,
                        account_id=a,
                        kind="call",
                        occurred_at=NOW - timedelta(days=3),
                        created_by="U2",
                    )
            except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
                errors.append(exc)

        worker = threading.Thread(target=older)
        worker.start()
        worker.join(0.5)  # on PostgreSQL it waits for the first one's row; SQLite serialises writers
        first.commit()
        worker.join(15)
        assert not worker.is_alive()
        assert errors == []
    finally:
        first.close()
    with sessions.begin() as s:
        assert stored(s) == expected(s)
        assert stored(s)[a][0] == NOW


def test_moves_to_accounts_given_per_row_or_by_subquery_are_recomputed(session: Session) -> None:
    from sqlalchemy import bindparam

    a, b, c = _accounts(session)
    old = _touch(session, a, 30)
    new = _touch(session, a, 1)
    _touch(session, c, 60)
    session.connection().execute(  # executemany: SET account_id = a bound parameter per row
        update(Interaction).where(Interaction.id == bindparam("iid")).values(account_id=bindparam("dest")),
        [{"iid": new.id, "dest": b}, {"iid": old.id, "dest": b}],
    )
    assert stored(session) == expected(session)
    assert stored(session)[b][0] == NOW - timedelta(days=1)
    biggest = select(func.max(Account.id)).where(Account.team_id == TEAM).scalar_subquery()
    session.execute(update(Interaction).where(Interaction.account_id == b).values(account_id=biggest))
    assert stored(session) == expected(session)
    assert stored(session)[c][0] == NOW - timedelta(days=1)


def test_an_interaction_filed_under_another_workspace_counts_nowhere_and_breaks_nothing(
    session: Session,
) -> None:
    a, _, _ = _accounts(session)
    _accounts(session, OTHER, 1)
    _touch(session, a, 5)
    stray = _touch(session, a, 1)
    session.execute(update(Interaction).where(Interaction.id == stray.id).values(team_id=OTHER))
    recompute(session.connection())  # one row per account, from its own workspace's interactions
    assert stored(session)[a] == (NOW - timedelta(days=5), None)


def test_an_upsert_that_moves_a_touch_earlier_is_recomputed(session: Session) -> None:
    from storage.upsert import conflict_insert

    a, _, _ = _accounts(session)
    row = _touch(session, a, 1)
    stmt = conflict_insert(session, Interaction).values(
        team_id=TEAM, account_id=a, occurred_at=NOW - timedelta(days=9), kind="call", dedup_key=row.dedup_key
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["team_id", "dedup_key"], set_={"occurred_at": stmt.excluded.occurred_at}
        )
    )
    assert stored(session)[a] == (NOW - timedelta(days=9), None) == expected(session)[a]


def test_deleting_many_interactions_by_primary_key_costs_a_few_statements(session: Session) -> None:
    from sqlalchemy import event

    a, b, _ = _accounts(session)
    rows = [_touch(session, a if i % 2 else b, i + 1) for i in range(60)]
    sent: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        for r in rows[:-1]:
            session.delete(r)
        session.flush()  # one executemany DELETE by primary key
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(sent) < 10, sent
    assert stored(session) == expected(session)


def test_a_failed_update_leaves_nothing_noted_for_the_next_statement(session: Session) -> None:
    from sqlalchemy.exc import IntegrityError

    from storage.stored.latest_touch import _PENDING

    a, _, _ = _accounts(session)
    _touch(session, a, 3)
    nested = session.begin_nested()
    try:
        session.execute(update(Interaction).where(Interaction.account_id == a).values(kind=None))
    except IntegrityError:
        nested.rollback()
    assert _PENDING not in session.connection().info


def test_two_interaction_imports_in_crossing_order_do_not_deadlock(
    pg_sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each import's chunks are separate statements; the latest touches are raised once per import, at its
    end, in one sorted upsert, so two imports never hold each other's rows crosswise. (PostgreSQL only:
    SQLite serialises writers, so two imports there never interleave.)"""
    import storage.importing.writers as importing

    sessions = pg_sessions

    with sessions.begin() as s:
        a1, a2, _ = _accounts(s)
    names = {a1: f"Co {TEAM} 0", a2: f"Co {TEAM} 1"}
    meet = threading.Barrier(2)
    one_by_one = importing._chunks

    def chunks(items, size=1):  # noqa: ANN001, ANN202 - first chunk, meet, then the rest
        for k, chunk in enumerate(one_by_one(items, 1)):
            if k == 1:
                meet.wait(5)
            yield chunk

    monkeypatch.setattr(importing, "_chunks", chunks)
    outcome: dict[str, str] = {}

    def run(order: list[int], tag: str) -> None:
        rows = [
            InteractionRow(i + 2, names[aid], NOW - timedelta(days=i + 1), "call", None, None, f"{tag}{i}")
            for i, aid in enumerate(order)
        ]
        try:
            with sessions.begin() as s:
                import_interactions(s, TEAM, rows, NOW)
            outcome[tag] = "ok"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome[tag] = repr(exc)

    threads = [
        threading.Thread(target=run, args=([a2, a1], "A")),
        threading.Thread(target=run, args=([a1, a2], "B")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert outcome == {"A": "ok", "B": "ok"}
    with sessions.begin() as s:
        assert stored(s) == expected(s)


def test_an_executemany_on_a_range_of_ids_is_not_taken_for_exact_ids(session: Session) -> None:
    """Only `id = :param` per row names the rows; `id >= :lo` selects others (second review)."""
    from sqlalchemy import bindparam

    a, b, c = _accounts(session)
    first = _touch(session, a, 3)
    _touch(session, b, 2)
    _touch(session, c, 1)
    session.connection().execute(
        delete(Interaction).where(Interaction.id >= bindparam("lo")), [{"lo": first.id}, {"lo": first.id}]
    )
    assert stored(session) == expected(session) == {}


def test_an_upsert_that_moves_a_row_to_another_account_recomputes_both(session: Session) -> None:
    from storage.upsert import conflict_insert

    a, b, _ = _accounts(session)
    row = _touch(session, a, 2)
    stmt = conflict_insert(session, Interaction).values(
        team_id=TEAM, account_id=b, occurred_at=row.occurred_at, kind="call", dedup_key=row.dedup_key
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["team_id", "dedup_key"], set_={"account_id": stmt.excluded.account_id}
        )
    )
    assert stored(session) == expected(session)
    assert a not in stored(session)
