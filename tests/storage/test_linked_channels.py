"""storage.linked_channels on SQLite and PostgreSQL: one touch per link and day, written only when something is
new, matched to contacts by email, every statement scoped by team, and nothing left behind by unlink or a
workspace purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from storage.linked_channels import link_channel, links_of, record_message, unlink_channel
from storage.models import (
    ChannelLink,
    ChannelTouch,
    ChannelTouchUser,
    Interaction,
    InteractionContact,
    LatestTouch,
)
from storage.workspaces import purge
from tests.bot.seed import OTHER_TEAM, OWNER, TEAM, account, contact
from tests.conftest import NOW
from tests.sql_capture import statements_sent

CHANNEL = "C0SHARED1"
EXT = "U0EXTERN1"


def _count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _latest(session: Session, account_id: int) -> datetime | None:
    row = session.get(LatestTouch, account_id, populate_existing=True)
    return row.last_touch_at if row is not None else None


def _msg(
    session: Session,
    at: datetime,
    user: str = EXT,
    internal: bool = False,
    email: str | None = None,
    **kw: str,
) -> list[int]:
    return record_message(
        session, team_id=kw.get("team", TEAM), channel_id=kw.get("channel", CHANNEL), user_id=user, at=at,
        internal=internal, email=email,
    )  # fmt: skip


def test_a_channel_linked_to_two_accounts_touches_both_and_an_unlinked_one_nothing(session: Session) -> None:
    a, b = account(session, "Acme"), account(session, "Acme Labs")
    for acc in (a, b):
        assert link_channel(
            session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW
        )
    assert not link_channel(
        session, team_id=TEAM, account_id=a.id, channel_id=CHANNEL, user_id=OWNER, now=NOW
    )
    assert sorted(_msg(session, NOW)) == sorted([a.id, b.id])
    assert _msg(session, NOW, channel="C0ELSEWHR") == []
    assert _msg(session, NOW, team=OTHER_TEAM) == []
    assert _count(session, ChannelTouch) == 2 and _count(session, Interaction) == 2
    assert _latest(session, a.id) == NOW and _latest(session, b.id) == NOW
    assert [v.account for v in links_of(session, TEAM)] == ["Acme", "Acme Labs"]
    assert links_of(session, OTHER_TEAM) == []


def test_within_the_hour_a_repeat_writes_nothing_and_later_the_touch_moves(
    session: Session, engine: Engine
) -> None:
    acc = account(session, "Acme")
    link_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW)
    start = NOW - timedelta(hours=5)
    _msg(session, start)
    session.commit()
    with statements_sent(engine) as sent:
        _msg(session, start + timedelta(minutes=59))
        session.commit()
    writes = [sql for sql, _ in sent if sql.lstrip().split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]
    assert sent and writes == []  # reads only
    assert all("team_id" in sql for sql, _ in sent if "channel_" in sql or "FROM interactions" in sql)
    assert _latest(session, acc.id) == start

    _msg(session, start + timedelta(minutes=61))
    _msg(session, start + timedelta(minutes=90), user=OWNER, internal=True)  # a new participant, same time
    session.commit()
    assert _latest(session, acc.id) == start + timedelta(minutes=61)
    (touch,) = session.scalars(select(Interaction)).all()
    assert (touch.occurred_at, touch.colleague, touch.kind, touch.note) == (
        start + timedelta(minutes=61), OWNER, "other", None)  # fmt: skip
    assert sorted(session.scalars(select(ChannelTouchUser.user_id))) == sorted([EXT, OWNER])


def test_external_people_are_matched_by_email_to_active_contacts_of_the_account(session: Session) -> None:
    acc, other = account(session, "Acme"), account(session, "Globex")
    jane, gone, elsewhere = (
        contact(session, acc, "Jane"),
        contact(session, acc, "Old Jane"),
        contact(session, other, "G"),
    )
    jane.email, gone.email, elsewhere.email = "jane@acme.example", "jane@acme.example", "jane@acme.example"
    gone.active = False
    session.flush()
    link_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW)
    _msg(session, NOW, email="JANE@Acme.Example")
    _msg(session, NOW, user="U0NOMAIL1")  # no email: a touch without a contact
    _msg(session, NOW, user=OWNER, internal=True, email="jane@acme.example")  # our own people match nobody
    (touch,) = session.scalars(select(Interaction)).all()
    assert touch.contact_id == jane.id
    assert list(session.scalars(select(InteractionContact.contact_id))) == [jane.id]
    assert _count(session, ChannelTouchUser) == 3


def test_unlink_and_purge_leave_nothing_behind(session: Session) -> None:
    acc = account(session, "Acme")
    jane = contact(session, acc, "Jane")
    jane.email = "jane@acme.example"
    link_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW)
    for days in (1, 2, 3):
        _msg(session, NOW - timedelta(days=days), email="jane@acme.example")
    assert unlink_channel(session, team_id=OTHER_TEAM, account_id=acc.id, channel_id=CHANNEL).found is False
    gone = unlink_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL)
    assert (gone.found, gone.touches, gone.people) == (True, 3, 3)
    for model in (ChannelLink, ChannelTouch, ChannelTouchUser, Interaction, InteractionContact):
        assert _count(session, model) == 0, model.__tablename__
    assert _latest(session, acc.id) is None

    link_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW)
    _msg(session, NOW, email="jane@acme.example")
    session.commit()
    purge(session, TEAM)
    session.commit()
    for model in (ChannelLink, ChannelTouch, ChannelTouchUser, Interaction, InteractionContact):
        assert _count(session, model) == 0, model.__tablename__


def test_the_interactions_export_leaves_channel_touches_out(session: Session) -> None:
    from storage.reads.exports import interaction_rows
    from storage.writes.edits import log_touch

    acc = account(session, "Acme")
    link_channel(session, team_id=TEAM, account_id=acc.id, channel_id=CHANNEL, user_id=OWNER, now=NOW)
    _msg(session, NOW)
    log_touch(
        session,
        team_id=TEAM,
        account_id=acc.id,
        kind="call",
        occurred_at=NOW - timedelta(days=1),
        created_by=OWNER,
    )
    rows = list(interaction_rows(session, TEAM))
    assert [(r[0], r[2]) for r in rows] == [("Acme", "call")]  # the logged call, not the channel's day
