"""tier_watch: the first run records; a later change is announced once to the owner, with reasons."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from accounts.thresholds import Thresholds
from jobs import tier_watch
from storage.models import Account, OutboxMessage
from tests.jobs.conftest import NOW, Builder

TH = Thresholds()


def test_first_run_records_then_changes_are_announced_once(session, build: Builder) -> None:
    rising = build.account("Rising", owner="U1", revenue=10_000, profitability="high")
    top = build.account("Top", owner="U2", revenue=9_000_000, profitability="high")
    build.filler(6, owner="U3", revenue=50_000)
    session.commit()

    first = tier_watch.run(session, NOW, TH)
    assert first.claimed == 1 and first.enqueued == 0
    session.refresh(rising)
    assert (rising.last_tier, rising.last_grade) == ("secondary", rising.last_grade) and rising.last_grade

    # Rising becomes the biggest client: key tier, better grade. Top drops to secondary.
    rising.annual_revenue = 20_000_000
    top.annual_revenue = 1_000
    session.commit()
    assert tier_watch.run(session, NOW + timedelta(hours=1), TH).claimed == 0  # tonight already done
    second = tier_watch.run(session, NOW + timedelta(days=1), TH)
    assert second.enqueued == 2
    rows = {r.recipient: r for r in session.scalars(select(OutboxMessage))}
    assert set(rows) == {"U1", "U2"}
    up = rows["U1"].facts
    assert up["account"] == "Rising" and up["old_tier"] == "secondary" and up["new_tier"] == "key"
    assert up["reasons"], "the change says why"
    assert rows["U2"].facts["new_tier"] == "secondary"

    third = tier_watch.run(session, NOW + timedelta(days=2), TH)
    assert third.enqueued == 0
    assert session.scalar(select(Account.last_tier).where(Account.id == rising.id)) == "key"


def test_dry_run_records_nothing(session, build: Builder) -> None:
    build.account("Solo", revenue=1_000_000, profitability="high")
    session.commit()
    tier_watch.run(session, NOW, TH, dry_run=True)
    assert session.scalar(select(Account.last_tier)) is None


def test_the_nightly_run_brings_the_rollups_up_to_date(session, build: Builder) -> None:
    """Recorded contact changes do not pile up for a workspace whose digests nobody reads."""
    from storage.models import RollupChange, Workspace

    acme = build.account("Acme", owner=None, revenue=1_000_000)  # no owner: no digest ever reads it
    build.contact(acme, "Ann")
    build.contact(acme, "Bob")
    session.commit()
    assert session.scalar(select(RollupChange.id).limit(1)) is not None
    tier_watch.run(session, NOW, TH)
    assert session.scalar(select(RollupChange.id).limit(1)) is None
    assert session.scalar(select(Workspace.rollups_for)) == "2026-11/3"
    assert session.scalar(select(Account.decision_makers).where(Account.id == acme.id)) == 2
