"""Writes of the Slack face: audit rows, workspace scoping, idempotence; on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from storage.models import Account, AccountChange, Contact, Interaction, SlackUser, Snooze
from storage.writes import edits, slack_users
from tests.bot.seed import ADMIN, NOW, OTHER_TEAM, OWNER, TEAM, portfolio


def changes(session, account_id: int) -> list[tuple[str, str, str | None, str | None]]:
    rows = session.scalars(
        select(AccountChange).where(AccountChange.account_id == account_id).order_by(AccountChange.id)
    )
    return [(r.user_id, r.field, r.old_value, r.new_value) for r in rows]


def test_set_field_records_old_and_new(session) -> None:
    acc = portfolio(session)["Globex"]
    change = edits.set_field(
        session,
        team_id=TEAM,
        account_id=acc.id,
        field="strategic_value",
        value="high",
        user_id=ADMIN,
        now=NOW,
    )
    assert (change.old, change.new) == (None, "high")
    edits.set_field(
        session, team_id=TEAM, account_id=acc.id, field="wallet_share", value=60.0, user_id=ADMIN, now=NOW
    )
    edits.set_field(
        session, team_id=TEAM, account_id=acc.id, field="owner", value="U0NEW0001", user_id=ADMIN, now=NOW
    )
    assert changes(session, acc.id) == [
        (ADMIN, "strategic_value", None, "high"),
        (ADMIN, "wallet_share", "80", "60"),
        (ADMIN, "owner", OWNER, "U0NEW0001"),
    ]
    row = session.get(Account, acc.id)
    assert (row.strategic_value, row.wallet_share, row.owner_user_id, row.owner) == (
        "high",
        60.0,
        "U0NEW0001",
        "U0NEW0001",
    )
    assert row.updated_at == NOW


def test_unchanged_value_records_nothing(session) -> None:
    acc = portfolio(session)["Globex"]
    change = edits.set_field(
        session, team_id=TEAM, account_id=acc.id, field="wallet_share", value=80.0, user_id=ADMIN, now=NOW
    )
    assert not change.changed
    assert changes(session, acc.id) == []


def test_aliases_are_deduplicated_and_exclude_the_name(session) -> None:
    acc = portfolio(session)["Globex"]
    edits.set_field(
        session,
        team_id=TEAM,
        account_id=acc.id,
        field="aliases",
        value=["GX", "gx", "Globex", " Globex  Corp "],
        user_id=OWNER,
        now=NOW,
    )
    assert session.get(Account, acc.id).aliases == ["GX", "Globex Corp"]
    assert changes(session, acc.id) == [(OWNER, "aliases", None, "GX; Globex Corp")]


def test_other_workspace_cannot_write(session) -> None:
    acc = portfolio(session)["Globex"]
    with pytest.raises(edits.NotFound):
        edits.set_field(
            session,
            team_id=OTHER_TEAM,
            account_id=acc.id,
            field="stage",
            value="prospect",
            user_id=ADMIN,
            now=NOW,
        )
    with pytest.raises(edits.NotFound):
        edits.log_touch(
            session, team_id=OTHER_TEAM, account_id=acc.id, kind="call", occurred_at=NOW, created_by=ADMIN
        )
    with pytest.raises(edits.NotFound):
        edits.snooze(
            session, team_id=OTHER_TEAM, account_id=acc.id, until=NOW, reason=None, user_id=ADMIN, now=NOW
        )
    with pytest.raises(edits.NotFound):
        edits.add_contact(
            session,
            team_id=OTHER_TEAM,
            account_id=acc.id,
            name="X",
            title=None,
            decision_maker=False,
            user_id=ADMIN,
            now=NOW,
        )
    assert session.get(Account, acc.id).stage == "client"


def test_log_touch_is_idempotent_and_checks_the_contact(session) -> None:
    accs = portfolio(session)
    acme, globex = accs["Acme Corp"], accs["Globex"]
    jane = session.scalar(select(Contact).where(Contact.name == "Jane Doe"))
    assert edits.log_touch(
        session,
        team_id=TEAM,
        account_id=acme.id,
        kind="visit",
        occurred_at=NOW,
        created_by=OWNER,
        contact_id=jane.id,
        note="n",
    )
    assert not edits.log_touch(
        session,
        team_id=TEAM,
        account_id=acme.id,
        kind="visit",
        occurred_at=NOW,
        created_by=OWNER,
        contact_id=jane.id,
        note="n",
    )
    with pytest.raises(edits.NotFound):  # Jane is not Globex's contact
        edits.log_touch(
            session,
            team_id=TEAM,
            account_id=globex.id,
            kind="visit",
            occurred_at=NOW,
            created_by=OWNER,
            contact_id=jane.id,
        )
    rows = session.scalars(
        select(Interaction).where(Interaction.account_id == acme.id, Interaction.occurred_at == NOW)
    ).all()
    assert len(rows) == 1 and rows[0].colleague == OWNER and rows[0].created_by == OWNER


def test_contacts_add_leave_and_return(session) -> None:
    acme = portfolio(session)["Acme Corp"]
    c, created = edits.add_contact(
        session,
        team_id=TEAM,
        account_id=acme.id,
        name="  Kim   Lee ",
        title="CTO",
        decision_maker=True,
        user_id=OWNER,
        now=NOW,
    )
    assert created and c.name == "Kim Lee" and c.role == "decision_maker"
    left = edits.contact_left(
        session, team_id=TEAM, account_id=acme.id, name="kim lee", user_id=OWNER, now=NOW
    )
    assert not left.active and left.left_at == NOW
    again, created = edits.add_contact(
        session,
        team_id=TEAM,
        account_id=acme.id,
        name="Kim Lee",
        title=None,
        decision_maker=False,
        user_id=OWNER,
        now=NOW,
    )
    assert not created and again.active and again.id == c.id and again.title == "CTO"
    with pytest.raises(edits.NotFound):
        edits.contact_left(session, team_id=TEAM, account_id=acme.id, name="Nobody", user_id=OWNER, now=NOW)
    assert changes(session, acme.id) == [
        (OWNER, "contact", None, "Kim Lee, CTO, decision maker"),
        (OWNER, "contact", "Kim Lee, CTO, decision maker", "Kim Lee, CTO, decision maker, left"),
        (OWNER, "contact", "Kim Lee, CTO, decision maker, left", "Kim Lee, CTO, decision maker"),
    ]
    assert edits.find_contact(session, TEAM, acme.id, "JANE doe").name == "Jane Doe"
    assert edits.find_contact(session, OTHER_TEAM, acme.id, "Jane Doe") is None


def test_snooze_and_audit(session) -> None:
    acme = portfolio(session)["Acme Corp"]
    edits.snooze(
        session,
        team_id=TEAM,
        account_id=acme.id,
        until=NOW + timedelta(days=14),
        reason="budget",
        user_id=OWNER,
        now=NOW,
    )
    row = session.scalar(select(Snooze).where(Snooze.account_id == acme.id))
    assert row.until == NOW + timedelta(days=14) and row.reason == "budget" and row.created_by == OWNER
    assert changes(session, acme.id) == [(OWNER, "snooze", None, "2026-12-08 (budget)")]


def test_remember_slack_user_upserts(session) -> None:
    portfolio(session)
    slack_users.remember_slack_user(
        session, team_id=TEAM, user_id=ADMIN, is_admin=True, now=NOW, tz="Europe/Berlin"
    )
    slack_users.remember_slack_user(
        session, team_id=TEAM, user_id=ADMIN, is_admin=False, now=NOW + timedelta(days=1)
    )
    rows = session.scalars(select(SlackUser).where(SlackUser.user_id == ADMIN)).all()
    assert len(rows) == 1 and rows[0].is_admin is False and rows[0].tz == "Europe/Berlin"


@pytest.mark.postgres
def test_two_first_sightings_of_a_user_at_once_both_succeed(pg_url: str) -> None:
    """Two requests of a person never seen before race to remember them: the second waits for the first
    and updates its row instead of failing on the unique (team, user) constraint."""
    import threading

    from storage.db import ensure_schema, ensure_workspace, make_engine, session_factory

    engine = make_engine(pg_url)
    ensure_schema(engine)
    sessions = session_factory(engine)
    team, user = "TRACEUSER", "U0RACE01"
    with sessions() as s:
        ensure_workspace(s, team)
        s.commit()
    first = sessions()
    errors: list[BaseException] = []
    try:
        slack_users.remember_slack_user(first, team_id=team, user_id=user, is_admin=False, now=NOW, tz="UTC")

        def second() -> None:
            try:
                with sessions() as s:
                    slack_users.remember_slack_user(
                        s, team_id=team, user_id=user, is_admin=True, now=NOW, tz="Asia/Tokyo"
                    )
                    s.commit()
            except BaseException as exc:  # noqa: BLE001 - reported to the test below
                errors.append(exc)

        worker = threading.Thread(target=second)
        worker.start()
        worker.join(0.5)
        assert worker.is_alive(), "the second insert should wait for the first transaction"
        first.commit()
        worker.join(10)
    finally:
        first.close()
    assert errors == []
    with sessions() as s:
        rows = s.scalars(select(SlackUser).where(SlackUser.team_id == team)).all()
        assert [(r.user_id, r.is_admin, r.tz) for r in rows] == [(user, True, "Asia/Tokyo")]
        s.execute(SlackUser.__table__.delete().where(SlackUser.team_id == team))
        s.commit()
    engine.dispose()
