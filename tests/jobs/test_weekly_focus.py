"""weekly_focus: Monday 09:00 local, the most valuable overdue key account, not repeated within 4 weeks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from accounts.thresholds import Thresholds
from jobs import weekly_focus
from storage.escalation import NewEscalation, record_escalations
from storage.models import Account, OutboxMessage
from tests.jobs.conftest import TEAM, Builder

TH = Thresholds()
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def _picks(session) -> list[tuple[str, str]]:
    rows = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "weekly_focus").order_by(OutboxMessage.id)
    )
    return [(r.recipient, r.facts["account"]) for r in rows]


def _setup(build: Builder) -> None:
    # 16 clients: ceil(25% of 16) = 4 key accounts, all owned by U1 and never touched (overdue).
    for name, revenue in [("Big", 9e6), ("Second", 8e6), ("Third", 7e6), ("Fourth", 6e6)]:
        build.account(name, revenue=revenue, profitability="high")
    build.filler(12, owner="U2")


def test_weekly_focus_rotation(session, build: Builder) -> None:
    _setup(build)
    session.commit()
    assert weekly_focus.run(session, MONDAY - timedelta(minutes=1), TH).claimed == 0  # Monday 08:59: not yet
    picks = []
    for week in range(6):
        now = MONDAY + timedelta(weeks=week)
        weekly_focus.run(session, now, TH)
        weekly_focus.run(session, now + timedelta(days=2), TH)  # later in the week: nothing new
        picks = _picks(session)
    assert [a for _, a in picks] == ["Big", "Second", "Third", "Fourth", "Big", "Second"]
    assert {r for r, _ in picks} == {"U1"}


def test_monday_nine_local_time(session, build: Builder) -> None:
    build.user("UHNL", tz="Pacific/Honolulu")
    build.account("Aloha", owner="UHNL", revenue=9e6, profitability="high")
    build.filler(3, owner="U2")
    session.commit()
    first_monday_tick = datetime(2026, 11, 23, 19, 0, tzinfo=UTC)  # 09:00 in Honolulu
    # Sunday 22:00 local (Monday 08:00 UTC): not a working day, so last week's focus is not sent on a Sunday
    assert weekly_focus.run(session, datetime(2026, 11, 23, 8, 0, tzinfo=UTC), TH).claimed == 0
    weekly_focus.run(session, first_monday_tick - timedelta(hours=1), TH)  # Monday 08:00 local: not yet
    assert weekly_focus.run(session, first_monday_tick, TH).claimed == 1
    weeks = [r.facts["week"] for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
    assert weeks == ["2026-W48"]


def test_fresh_accounts_are_not_a_focus(session, build: Builder) -> None:
    _setup(build)
    session.commit()
    for acc in session.scalars(select(Account).where(Account.owner_user_id == "U1")):
        build.touch(acc, MONDAY - timedelta(days=1))
    session.commit()
    result = weekly_focus.run(session, MONDAY, TH)
    assert result.claimed == 2 and result.enqueued == 0


def test_an_escalated_account_is_not_the_focus(session, build: Builder) -> None:
    """Like the digest, the weekly focus does not repeat an account escalated lately (and not touched since):
    the owner's manager has it; the focus goes to the next most valuable one."""
    _setup(build)
    big = session.scalar(select(Account).where(Account.name == "Big"))
    escalated = NewEscalation(big.id, "2026-W48", "U1", "U9", "manager", None, 3)
    record_escalations(session, TEAM, [escalated], now=MONDAY - timedelta(hours=1))
    session.commit()
    weekly_focus.run(session, MONDAY, TH)
    assert _picks(session) == [("U1", "Second")]
    # once a touch follows the escalation, Big is an ordinary account again (touched, so not overdue now:
    # the next weeks rotate through the others)
    build.touch(big, MONDAY + timedelta(hours=1))
    session.commit()
    weekly_focus.run(session, MONDAY + timedelta(weeks=1), TH)
    assert [a for _, a in _picks(session)] == ["Second", "Third"]
