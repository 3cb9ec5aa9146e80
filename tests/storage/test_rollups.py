"""storage.stored.rollups: each account's stored decision makers and revenue windows are what its contacts and revenue
months say, they go stale on every write to those (and only those) inputs, and a new month or window
recomputes them; on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import Thresholds
from storage.importing.rows import ContactRow, RevenueRow
from storage.importing.writers import import_contacts, import_revenue
from storage.models import Account, Contact, RevenueMonth, Workspace
from storage.stored.grades import lock_workspace
from storage.stored.rollups import ensure_rollups, rollups_key
from storage.writes import edits
from tests.bot.seed import NOW, OTHER_TEAM, OWNER, TEAM, account, contact
from tests.sql_capture import statements_sent
from tests.threads import in_thread

TH = (
    Thresholds()
)  # revenue_drop_months = 3: at NOW (2026-11-24) recent = Aug..Oct 2026, prior = May..Jul 2026
KEY = "2026-11/3"
NEXT_MONTH = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # recent = Sep..Nov, prior = Jun..Aug
NEXT_YEAR = datetime(2027, 1, 10, 8, 0, tzinfo=UTC)  # recent = Oct..Dec 2026, prior = Jul..Sep 2026

Rollup = tuple[int, str | None, float | None, float | None]  # decision makers, sole name, recent, prior
UNSET: Rollup = (0, None, None, None)  # an account's columns before any refresh


def m(year: int, month: int) -> date:
    return date(year, month, 1)


def revenue(session: Session, acc: Account, month: date, amount: float) -> RevenueMonth:
    row = RevenueMonth(team_id=acc.team_id, account_id=acc.id, month=month, amount=amount)
    session.add(row)
    session.flush()
    return row


def seed(session: Session) -> dict[str, Account]:
    """TEAM: five accounts covering the cases; OTHER_TEAM: one account with a decision maker and revenue."""
    accs = {name: account(session, name) for name in ("Acme", "Globex", "Initech", "Umbrella", "Hooli")}
    acme, globex, initech, umbrella = accs["Acme"], accs["Globex"], accs["Initech"], accs["Umbrella"]
    contact(session, acme, "Jane", "decision_maker", "CFO")
    contact(session, acme, "Kim", "decision_maker", "CEO")
    contact(session, acme, "Old", "decision_maker").active = False  # left: not counted
    contact(session, acme, "Bob", "user", "Buyer")
    contact(session, globex, "Zoe", "decision_maker")
    contact(session, globex, "Al", "decision_maker").active = False  # would be min(name) if counted
    contact(session, globex, "Carl", "influencer")
    contact(session, initech, "Dee", "user")
    session.flush()
    for month, amount in [
        (m(2026, 4), 5000.0),  # before the prior window
        (m(2026, 5), 50.0),
        (m(2026, 6), 60.0),
        (m(2026, 7), 70.0),  # prior
        (m(2026, 8), 100.0),
        (m(2026, 9), 200.0),
        (m(2026, 10), 300.0),  # recent
        (m(2026, 11), 1000.0),  # this month: not complete
    ]:
        revenue(session, acme, month, amount)
    revenue(session, globex, m(2026, 6), 40.0)  # prior only
    revenue(session, initech, m(2026, 9), 12.5)  # recent only
    revenue(session, umbrella, m(2026, 8), 0.0)  # rows of zero are windows of zero, not None
    revenue(session, umbrella, m(2026, 7), 0.0)
    elsewhere = account(session, "Elsewhere", OTHER_TEAM)
    contact(session, elsewhere, "Oscar", "decision_maker")
    revenue(session, elsewhere, m(2026, 9), 10.0)
    return accs


EXPECTED: dict[str, Rollup] = {
    "Acme": (2, None, 600.0, 180.0),
    "Globex": (1, "Zoe", None, 40.0),
    "Initech": (0, None, 12.5, None),
    "Umbrella": (0, None, 0.0, 0.0),
    "Hooli": UNSET,
}
OTHER_EXPECTED: dict[str, Rollup] = {"Elsewhere": (1, "Oscar", 10.0, None)}


def stored(session: Session, team: str = TEAM) -> dict[str, Rollup]:
    a = Account.__table__.c
    rows = session.execute(
        select(a.name, a.decision_makers, a.sole_decision_maker, a.revenue_recent, a.revenue_prior).where(
            a.team_id == team
        )
    )
    return {name: (n, sole, recent, prior) for name, n, sole, recent, prior in rows}


def rollups_for(session: Session, team: str = TEAM) -> str | None:
    """The key the stored rollups are valid for; None when a change was recorded since (stale)."""
    from storage.models import RollupChange

    if session.scalar(select(RollupChange.id).where(RollupChange.team_id == team).limit(1)) is not None:
        return None
    return session.scalar(select(Workspace.rollups_for).where(Workspace.team_id == team))


def _back(day: date, months: int) -> date:
    year, month = day.year, day.month - months
    while month < 1:
        year, month = year - 1, month + 12
    return date(year, month, 1)


def reference(session: Session, team: str, now: datetime, months: int = 3) -> dict[str, Rollup]:
    """The rollups computed plainly in Python from every row of the workspace."""
    names = {
        aid: name
        for aid, name in session.execute(select(Account.id, Account.name).where(Account.team_id == team))
    }
    deciders: dict[int, list[str]] = {aid: [] for aid in names}
    for aid, name, role, active in session.execute(
        select(Contact.account_id, Contact.name, Contact.role, Contact.active).where(Contact.team_id == team)
    ):
        if role == "decision_maker" and active:
            deciders[aid].append(name)
    this = date(now.year, now.month, 1)
    recent_months = {_back(this, k) for k in range(1, months + 1)}
    prior_months = {_back(this, k) for k in range(months + 1, 2 * months + 1)}
    rows = session.execute(
        select(RevenueMonth.account_id, RevenueMonth.month, RevenueMonth.amount).where(
            RevenueMonth.team_id == team
        )
    ).all()
    complete = [month for _, month, _ in rows if month < this]
    usable = bool(complete) and max(complete) >= min(recent_months)
    out = {}
    for aid, name in names.items():
        recent = [amount for a, month, amount in rows if a == aid and month in recent_months]
        prior = [amount for a, month, amount in rows if a == aid and month in prior_months]
        dms = deciders[aid]
        out[name] = (
            len(dms),
            dms[0] if len(dms) == 1 else None,
            float(sum(recent)) if usable and recent else None,
            float(sum(prior)) if usable and prior else None,
        )
    return out


def writes(stmts: list[tuple[str, object]]) -> list[str]:
    """The statements that write or lock rows."""
    return [
        sql for sql, _ in stmts if not sql.lstrip().upper().startswith("SELECT") or " UPDATE" in sql.upper()
    ]


@pytest.fixture
def fresh(session: Session) -> dict[str, Account]:
    """The seeded workspaces with current rollups, committed."""
    accs = seed(session)
    assert ensure_rollups(session, TEAM, NOW, TH) == 4
    assert ensure_rollups(session, OTHER_TEAM, NOW, TH) == 1
    session.commit()
    return accs


# -- refresh -------------------------------------------------------------------------------------------------


def test_refresh_stores_the_rollups_and_a_second_call_writes_nothing(session: Session) -> None:
    seed(session)
    assert rollups_for(session) is None  # a new workspace has none
    assert ensure_rollups(session, TEAM, NOW, TH) == 4  # Hooli has nothing: its row is not rewritten
    assert stored(session) == EXPECTED
    assert stored(session) == reference(session, TEAM, NOW)
    assert rollups_for(session) == KEY == rollups_key(NOW, TH)
    with statements_sent(session.get_bind()) as stmts:
        assert ensure_rollups(session, TEAM, NOW, TH) == 0
    assert writes(stmts) == [] and len(stmts) == 1  # one read of rollups_for: no lock, no write
    assert stored(session) == EXPECTED


def test_refresh_of_one_workspace_never_writes_another(session: Session) -> None:
    seed(session)
    with statements_sent(session.get_bind()) as stmts:
        assert ensure_rollups(session, TEAM, NOW, TH) == 4
    assert stored(session, OTHER_TEAM) == {"Elsewhere": UNSET}
    assert rollups_for(session, OTHER_TEAM) is None
    account_updates = [sql for sql in writes(stmts) if "accounts" in sql.lower() and "update" in sql.lower()]
    assert len(account_updates) == 1 and "team_id" in account_updates[0]
    assert ensure_rollups(session, OTHER_TEAM, NOW, TH) == 1
    assert stored(session, OTHER_TEAM) == OTHER_EXPECTED
    assert stored(session) == EXPECTED


def test_a_stale_refresh_writes_only_the_rows_that_changed(
    session: Session, fresh: dict[str, Account]
) -> None:
    contact(session, fresh["Hooli"], "Uma", "user")  # a contact, but no decision maker: nothing moves
    assert rollups_for(session) is None
    with statements_sent(session.get_bind()) as stmts:
        assert ensure_rollups(session, TEAM, NOW, TH) == 0
    assert [sql for sql in writes(stmts) if "UPDATE accounts" in sql] == []
    assert rollups_for(session) == KEY
    assert stored(session) == EXPECTED


def test_no_revenue_windows_when_the_latest_month_is_before_the_recent_window(session: Session) -> None:
    late = account(session, "Late")
    contact(session, late, "Lou", "decision_maker")
    for month in (m(2026, 5), m(2026, 6), m(2026, 7)):
        revenue(session, late, month, 10.0)
    revenue(session, late, m(2026, 11), 99.0)  # this month does not count as up to date
    assert ensure_rollups(session, TEAM, NOW, TH) == 1
    assert stored(session) == {"Late": (1, "Lou", None, None)}
    # Another account's complete month in the recent window: the history is current, Late's gap is a gap.
    revenue(session, account(session, "Fresh"), m(2026, 8), 5.0)
    assert rollups_for(session) is None
    assert ensure_rollups(session, TEAM, NOW, TH) == 2
    assert stored(session) == {"Late": (1, "Lou", None, 30.0), "Fresh": (0, None, 5.0, None)}


# -- month and window ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "now,key,changed,moved",
    [
        (NEXT_MONTH, "2026-12/3", 2, {"Acme": (2, None, 1500.0, 230.0), "Umbrella": (0, None, None, 0.0)}),
        (
            NEXT_YEAR,
            "2027-01/3",
            4,
            {
                "Acme": (2, None, 1300.0, 370.0),
                "Globex": (1, "Zoe", None, None),
                "Initech": (0, None, None, 12.5),
                "Umbrella": (0, None, None, 0.0),
            },
        ),
    ],
)
def test_a_new_month_moves_the_windows(
    session: Session,
    fresh: dict[str, Account],
    now: datetime,
    key: str,
    changed: int,
    moved: dict[str, Rollup],
) -> None:
    assert ensure_rollups(session, TEAM, now, TH) == changed
    assert rollups_for(session) == key
    assert stored(session) == {**EXPECTED, **moved}
    assert stored(session) == reference(session, TEAM, now)
    assert ensure_rollups(session, TEAM, now, TH) == 0
    assert rollups_for(session, OTHER_TEAM) == KEY  # each workspace catches up on its own read


def test_another_revenue_window_recomputes(session: Session, fresh: dict[str, Account]) -> None:
    one = replace(TH, revenue_drop_months=1)  # recent = Oct, prior = Sep
    assert rollups_key(NOW, one) == "2026-11/1" != KEY
    assert ensure_rollups(session, TEAM, NOW, one) == 4
    assert stored(session) == {
        "Acme": (2, None, 300.0, 200.0),
        "Globex": (1, "Zoe", None, None),
        "Initech": (0, None, None, 12.5),
        "Umbrella": (0, None, None, None),
        "Hooli": UNSET,
    }
    assert stored(session) == reference(session, TEAM, NOW, months=1)
    assert ensure_rollups(session, TEAM, NOW, TH) == 4  # and back
    assert stored(session) == EXPECTED


# -- writes that make the rollups stale ------------------------------------------------------------------------


def _contact(session: Session, name: str) -> Contact:
    found = session.scalar(select(Contact).where(Contact.team_id == TEAM, Contact.name == name))
    assert found is not None
    return found


def _revenue_row(session: Session, acc: Account, month: date) -> RevenueMonth:
    found = session.scalar(
        select(RevenueMonth).where(RevenueMonth.account_id == acc.id, RevenueMonth.month == month)
    )
    assert found is not None
    return found


Write = Callable[[Session, dict[str, Account]], object]


def _set(obj: object, **values: object) -> None:
    for name, value in values.items():
        setattr(obj, name, value)


# name -> (the write, the rollups it leads to (changed accounts only), whether other workspaces may go stale too)
STALE_WRITES: dict[str, tuple[Write, dict[str, Rollup], bool]] = {
    "orm_add_decision_maker": (
        lambda s, a: contact(s, a["Globex"], "Yan", "decision_maker"),
        {"Globex": (2, None, None, 40.0)},
        False,
    ),
    "orm_role": (
        lambda s, a: _set(_contact(s, "Jane"), role="user"),
        {"Acme": (1, "Kim", 600.0, 180.0)},
        False,
    ),
    "orm_deactivate": (
        lambda s, a: _set(_contact(s, "Zoe"), active=False),
        {"Globex": (0, None, None, 40.0)},
        False,
    ),
    "orm_reactivate": (
        lambda s, a: _set(_contact(s, "Old"), active=True),
        {"Acme": (3, None, 600.0, 180.0)},
        False,
    ),
    "orm_rename": (
        lambda s, a: _set(_contact(s, "Zoe"), name="Zora"),
        {"Globex": (1, "Zora", None, 40.0)},
        False,
    ),
    "orm_move_contact_by_column": (
        lambda s, a: _set(_contact(s, "Zoe"), account_id=a["Initech"].id),
        {"Globex": (0, None, None, 40.0), "Initech": (1, "Zoe", 12.5, None)},
        False,
    ),
    "orm_delete_contact": (
        lambda s, a: s.delete(_contact(s, "Kim")),
        {"Acme": (1, "Jane", 600.0, 180.0)},
        False,
    ),
    "orm_add_revenue": (
        lambda s, a: revenue(s, a["Hooli"], m(2026, 10), 5.0),
        {"Hooli": (0, None, 5.0, None)},
        False,
    ),
    "orm_amount": (
        lambda s, a: _set(_revenue_row(s, a["Acme"], m(2026, 9)), amount=250.0),
        {"Acme": (2, None, 650.0, 180.0)},
        False,
    ),
    "orm_month": (
        lambda s, a: _set(_revenue_row(s, a["Globex"], m(2026, 6)), month=m(2026, 9)),
        {"Globex": (1, "Zoe", 40.0, None)},
        False,
    ),
    "orm_delete_revenue": (
        lambda s, a: s.delete(_revenue_row(s, a["Initech"], m(2026, 9))),
        {"Initech": UNSET},
        False,
    ),
    "statement_update_contact": (
        lambda s, a: s.execute(
            update(Contact).where(Contact.team_id == TEAM, Contact.name == "Jane").values(active=False)
        ),
        {"Acme": (1, "Kim", 600.0, 180.0)},
        True,
    ),
    "statement_delete_revenue": (
        lambda s, a: s.execute(
            delete(RevenueMonth).where(RevenueMonth.team_id == TEAM, RevenueMonth.month == m(2026, 10))
        ),
        {"Acme": (2, None, 300.0, 180.0)},
        True,
    ),
    "statement_insert_contact": (
        lambda s, a: s.execute(
            insert(Contact),
            [
                {
                    "team_id": TEAM,
                    "account_id": a["Hooli"].id,
                    "name": "Hal",
                    "name_key": "hal",
                    "role": "decision_maker",
                    "active": True,
                }
            ],
        ),
        {"Hooli": (1, "Hal", None, None)},
        False,
    ),
    "import_contacts": (
        lambda s, a: import_contacts(
            s, TEAM, [ContactRow(2, "Hooli", "Hal", {"role": "decision_maker"})], NOW
        ),
        {"Hooli": (1, "Hal", None, None)},
        False,
    ),
    "import_contacts_deactivates": (
        lambda s, a: import_contacts(s, TEAM, [ContactRow(2, "Acme", "Kim", {"active": False})], NOW),
        {"Acme": (1, "Jane", 600.0, 180.0)},
        False,
    ),
    "import_revenue": (
        lambda s, a: import_revenue(s, TEAM, [RevenueRow(2, "Umbrella", m(2026, 9), 30.0)], NOW),
        {"Umbrella": (0, None, 30.0, 0.0)},
        False,
    ),
    "import_revenue_amount": (
        lambda s, a: import_revenue(s, TEAM, [RevenueRow(2, "Acme", m(2026, 5), 0.0)], NOW),
        {"Acme": (2, None, 600.0, 130.0)},
        False,
    ),
    "edits_add_contact": (
        lambda s, a: edits.add_contact(
            s,
            team_id=TEAM,
            account_id=a["Hooli"].id,
            name="Hal",
            title="CEO",
            decision_maker=True,
            user_id=OWNER,
            now=NOW,
        ),
        {"Hooli": (1, "Hal", None, None)},
        False,
    ),
    "edits_add_contact_brings_back": (
        lambda s, a: edits.add_contact(
            s,
            team_id=TEAM,
            account_id=a["Acme"].id,
            name="old",
            title=None,
            decision_maker=False,
            user_id=OWNER,
            now=NOW,
        ),
        {"Acme": (3, None, 600.0, 180.0)},
        False,
    ),
    "edits_contact_left": (
        lambda s, a: edits.contact_left(
            s, team_id=TEAM, account_id=a["Globex"].id, name="Zoe", user_id=OWNER, now=NOW
        ),
        {"Globex": (0, None, None, 40.0)},
        False,
    ),
}


@pytest.mark.parametrize("write", sorted(STALE_WRITES))
def test_writes_to_contacts_and_revenue_make_the_workspace_stale(
    session: Session, fresh: dict[str, Account], write: str
) -> None:
    do, moved, everywhere = STALE_WRITES[write]
    do(session, fresh)
    session.flush()
    assert rollups_for(session) is None
    if not everywhere:
        assert rollups_for(session, OTHER_TEAM) == KEY  # another workspace's rollups stay valid
    assert stored(session, OTHER_TEAM) == OTHER_EXPECTED
    assert ensure_rollups(session, TEAM, NOW, TH) == len(moved)
    assert stored(session) == {**EXPECTED, **moved}
    assert stored(session) == reference(session, TEAM, NOW)
    assert rollups_for(session) == KEY
    assert ensure_rollups(session, OTHER_TEAM, NOW, TH) == 0  # whatever its key, its rows did not change
    assert stored(session, OTHER_TEAM) == OTHER_EXPECTED


def test_a_stale_mark_is_part_of_the_writing_transaction(sessions: sessionmaker[Session]) -> None:
    """Rolled back with the write: the rollups are valid again, as the data is what they were computed from."""
    with sessions.begin() as s:
        accs = seed(s)
        ensure_rollups(s, TEAM, NOW, TH)
    s = sessions()
    try:
        contact(s, s.get_one(Account, accs["Hooli"].id), "Hal", "decision_maker")
        assert rollups_for(s) is None
        s.rollback()
        assert rollups_for(s) == KEY
        assert stored(s) == EXPECTED
    finally:
        s.close()


def test_a_write_committed_while_the_refresh_reads_leaves_the_workspace_stale(
    sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both databases: a new decision maker committed after the refresh counted them, before it stamps
    rollups_for, must not end up behind the current key. On PostgreSQL the write goes through at once and its
    change row, which the refresh did not see, stays; on SQLite the database's write lock holds the write off
    until the refresh commits."""
    import storage.stored.rollups as rollups

    with sessions.begin() as s:
        hooli = seed(s)["Hooli"].id
    edited = threading.Event()
    writer, errors, done = in_thread(lambda s: _add_decision_maker(s, hooli), sessions)
    real = rollups.revenue_windows

    def windows_while_someone_writes(*args, **kwargs):  # type: ignore[no-untyped-def]
        out = real(*args, **kwargs)  # decision makers are counted by now
        writer.start()
        edited.set()
        done.wait(1.0)  # the write commits now, unless the refresh's lock holds it off
        return out

    monkeypatch.setattr(rollups, "revenue_windows", windows_while_someone_writes)
    refresher = sessions()
    try:
        assert ensure_rollups(refresher, TEAM, NOW, TH) == 4
        refresher.commit()
    finally:
        refresher.close()
    writer.join(35)
    monkeypatch.setattr(rollups, "revenue_windows", real)
    assert edited.is_set() and done.is_set()
    assert errors == []
    with sessions.begin() as s:
        assert rollups_for(s) is None
        assert ensure_rollups(s, TEAM, NOW, TH) == 1
        assert stored(s) == {**EXPECTED, "Hooli": (1, "Hal", None, None)}


# name -> a write outside the rollups' inputs
VALID_WRITES: dict[str, Write] = {
    "orm_title": lambda s, a: _set(_contact(s, "Jane"), title="Chief Financial Officer"),
    "orm_email_and_left_at": lambda s, a: _set(_contact(s, "Old"), email="old@example.com", left_at=NOW),
    "orm_same_role_again": lambda s, a: _set(_contact(s, "Zoe"), role="decision_maker", active=True),
    "edits_add_contact_new_title": lambda s, a: edits.add_contact(
        s,
        team_id=TEAM,
        account_id=a["Acme"].id,
        name="Bob",
        title="Head buyer",
        decision_maker=False,
        user_id=OWNER,
        now=NOW,
    ),
    "edits_log_touch": lambda s, a: edits.log_touch(
        s, team_id=TEAM, account_id=a["Acme"].id, kind="call", occurred_at=NOW, created_by=OWNER
    ),
    "edits_set_field": lambda s, a: edits.set_field(
        s,
        team_id=TEAM,
        account_id=a["Acme"].id,
        field="strategic_value",
        value="high",
        user_id=OWNER,
        now=NOW,
    ),
}


@pytest.mark.parametrize("write", sorted(VALID_WRITES))
def test_writes_outside_the_inputs_leave_the_rollups_valid(
    session: Session, fresh: dict[str, Account], write: str
) -> None:
    VALID_WRITES[write](session, fresh)
    session.flush()
    assert rollups_for(session) == KEY
    assert rollups_for(session, OTHER_TEAM) == KEY
    assert stored(session) == EXPECTED == reference(session, TEAM, NOW)


# Writes through the Account.contacts relationship: the flush sets the contact's account_id (or deletes the
# orphan) only after its before_flush hook ran, so the hook must see the relationship change itself.
RELATIONSHIP_WRITES: dict[str, tuple[Write, dict[str, Rollup]]] = {
    "contact_account_assigned": (
        lambda s, a: _set(_contact(s, "Zoe"), account=a["Initech"]),
        {"Globex": (0, None, None, 40.0), "Initech": (1, "Zoe", 12.5, None)},
    ),
    "appended_to_another_account": (
        lambda s, a: a["Hooli"].contacts.append(_contact(s, "Kim")),
        {"Acme": (1, "Jane", 600.0, 180.0), "Hooli": (1, "Kim", None, None)},
    ),
    "removed_from_its_account": (  # delete-orphan: the flush deletes it
        lambda s, a: a["Globex"].contacts.remove(_contact(s, "Zoe")),
        {"Globex": (0, None, None, 40.0)},
    ),
}


@pytest.mark.parametrize("write", sorted(RELATIONSHIP_WRITES))
def test_contacts_moved_or_orphaned_through_the_relationship_make_the_workspace_stale(
    session: Session, fresh: dict[str, Account], write: str
) -> None:
    do, moved = RELATIONSHIP_WRITES[write]
    do(session, fresh)
    session.flush()
    assert rollups_for(session) is None
    assert rollups_for(session, OTHER_TEAM) == KEY
    assert ensure_rollups(session, TEAM, NOW, TH) == len(moved)
    assert stored(session) == {**EXPECTED, **moved}
    assert stored(session) == reference(session, TEAM, NOW)


# -- PostgreSQL: the refresh's lock ----------------------------------------------------------------------------


def _add_decision_maker(s: Session, account_id: int) -> None:
    contact(s, s.get_one(Account, account_id), "Hal", "decision_maker")


def _import_revenue(s: Session, account_id: int) -> None:
    import_revenue(s, TEAM, [RevenueRow(2, "Hooli", m(2026, 10), 7.0)], NOW)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "work,moved",
    [(_add_decision_maker, (1, "Hal", None, None)), (_import_revenue, (0, None, 7.0, None))],
    ids=["orm_contact", "import_revenue"],
)
def test_a_write_does_not_wait_for_a_running_refresh_and_leaves_the_workspace_stale(
    pg_sessions: sessionmaker[Session], work: Callable[[Session, int], None], moved: Rollup
) -> None:
    """A refresh holds the workspace row until it commits; a contact or revenue write only records a change
    (a row referencing the workspace), so it goes through at once, and its change is never hidden behind a
    current-looking rollups_for."""
    with pg_sessions.begin() as s:
        hooli = seed(s)["Hooli"].id
    refresher = pg_sessions()
    try:
        assert ensure_rollups(refresher, TEAM, NOW, TH) == 4  # holds the workspace row until commit
        assert rollups_for(refresher) == KEY
        writer, errors, done = in_thread(lambda s: work(s, hooli), pg_sessions)
        writer.start()
        assert done.wait(5.0), "the write waited for the refresh"
        refresher.commit()
        writer.join(10)
        assert errors == []
    finally:
        refresher.close()
    with pg_sessions.begin() as s:
        assert rollups_for(s) is None
        assert rollups_for(s, OTHER_TEAM) is None  # never refreshed
        assert ensure_rollups(s, TEAM, NOW, TH) == 1
        assert stored(s) == {**EXPECTED, "Hooli": moved}


@pytest.mark.postgres
def test_a_write_does_not_wait_for_the_lock_alone(pg_sessions: sessionmaker[Session]) -> None:
    """lock_workspace with the rollups_for column, as ensure_rollups takes it, does not hold off an ORM
    contact insert, which still leaves the workspace stale."""
    with pg_sessions.begin() as s:
        hooli = seed(s)["Hooli"].id
        ensure_rollups(s, TEAM, NOW, TH)
        ensure_rollups(s, OTHER_TEAM, NOW, TH)
    locker = pg_sessions()
    try:
        assert lock_workspace(locker, TEAM, Workspace.__table__.c.rollups_for) == KEY
        writer, errors, done = in_thread(lambda s: _add_decision_maker(s, hooli), pg_sessions)
        writer.start()
        assert done.wait(5.0), "the insert waited for the workspace lock"
        locker.commit()
        writer.join(10)
        assert errors == []
    finally:
        locker.close()
    with pg_sessions.begin() as s:
        assert rollups_for(s) is None
        assert rollups_for(s, OTHER_TEAM) == KEY


def test_an_account_moved_to_another_workspace_makes_both_stale(session: Session) -> None:
    """Its rollups leave one workspace and join the other (review finding)."""
    accounts = seed(session)
    ensure_rollups(session, TEAM, NOW, TH)
    ensure_rollups(session, OTHER_TEAM, NOW, TH)
    accounts["Hooli"].team_id = OTHER_TEAM
    session.flush()
    assert rollups_for(session) is None
    assert rollups_for(session, OTHER_TEAM) is None
