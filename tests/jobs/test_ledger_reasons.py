"""Issue 15, the nudge ledger: a real digest naming one account under all five reasons (stale, single point of
failure, check-up, sponsor missing, revenue drop) is recorded, once delivered, with each of them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from accounts.signals import SECTIONS
from accounts.thresholds import Thresholds
from jobs import digest
from storage.models import NudgeSent, OutboxMessage
from storage.nudge_ledger import record_delivered
from tests.jobs.conftest import TEAM, Builder

TUESDAY = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_a_digest_with_every_section_is_recorded_under_each_reason(session, build: Builder) -> None:
    acme = build.account("Acme", revenue=9e6, profitability="high")  # key tier, grade A, no sponsor at all
    build.filler(6, owner="U2")
    boss = build.contact(acme, "Only Boss")  # one decision maker: a single point of failure
    build.touch(acme, TUESDAY - timedelta(days=40), "meeting", boss)  # overdue, no review in 90 days
    for month, amount in ((5, 90_000), (6, 90_000), (7, 90_000), (8, 10_000), (9, 10_000), (10, 10_000)):
        build.revenue(acme, date(2026, month, 1), amount)  # Aug-Oct below 75% of May-Jul
    session.commit()
    digest.run(session, TUESDAY, Thresholds(), team_id=TEAM)
    row = session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "U1")).one()
    named = {
        name for name, section in row.facts["sections"].items() if section["items"][0]["account"] == "Acme"
    }
    assert named == set(SECTIONS)  # the five
    record_delivered(session, team_id=TEAM, outbox_id=row.id, recipient=row.recipient, kind=row.kind,
                     facts=row.facts, sent_at=TUESDAY)  # fmt: skip
    reasons = session.scalars(select(NudgeSent.reason).where(NudgeSent.account_id == acme.id)).all()
    assert sorted(reasons) == sorted(
        ["stale", "single_point_of_failure", "checkup_due", "sponsor_missing", "revenue_drop"]
    )
