"""The digest job against real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select

from accounts.thresholds import Thresholds
from jobs import digest
from storage.models import JobRun, OutboxMessage
from tests.jobs.conftest import NOW, Builder

TH = Thresholds()


def _rows(session) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _portfolio(build: Builder):
    """Three key A accounts (owner U1) and nine small fillers (owner U2, nothing to say)."""
    neglected = build.account("Neglected", revenue=5_000_000, profitability="high")
    fine = build.account("Fine", revenue=4_000_000, profitability="high")
    lonely = build.account("Lonely", revenue=3_000_000, profitability="high")
    build.filler(9, owner="U2")
    build.healthy(fine)
    build.healthy(lonely)
    return neglected, fine, lonely


def test_digest_sections_and_once_per_day(session, build: Builder) -> None:
    neglected, fine, lonely = _portfolio(build)
    # Lonely: every touch in 90 days went through one contact; a colleague has met someone else there.
    boss = build.contact(lonely, "Solo Boss")
    for days in (3, 4, 5, 6, 7, 8, 9, 10):
        build.touch(lonely, NOW - timedelta(days=days), "call", boss, "U1")
    session.commit()

    result = digest.run(session, NOW, TH)
    assert result.claimed == 2 and result.enqueued == 1  # U2 is due too, but has nothing to hear
    (row,) = _rows(session)
    assert row.recipient == "U1" and row.kind == "digest" and row.team_id == "T1"
    sections = row.facts["sections"]
    assert [i["account"] for i in sections["stale"]["items"]] == ["Neglected"]
    assert [i["account"] for i in sections["checkup_due"]["items"]] == ["Neglected"]
    assert [i["account"] for i in sections["sponsor_missing"]["items"]] == ["Neglected"]
    spof = {i["account"]: i for i in sections["single_point_of_failure"]["items"]}
    assert set(spof) == {"Neglected", "Lonely"}
    assert spof["Lonely"]["contact"] == "Solo Boss" and spof["Lonely"]["share_percent"] == 80
    assert spof["Lonely"]["colleague"] == "U9"  # met Lonely Boss / Lonely Chief
    assert spof["Neglected"]["reasons"] == ["decision_makers"]
    assert "revenue_drop" not in sections

    # Same local day, later tick: nothing new.
    again = digest.run(session, NOW + timedelta(hours=5), TH)
    assert again.claimed == 0 and again.enqueued == 0
    assert len(_rows(session)) == 1
    # Next day: a new digest.
    tomorrow = digest.run(session, NOW + timedelta(days=1), TH)
    assert tomorrow.enqueued == 1 and len(_rows(session)) == 2
    done = session.scalar(select(func.count()).select_from(JobRun).where(JobRun.status == "done"))
    assert done == 4  # U1 and U2, two days


def test_before_nine_local_nothing_is_due(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    result = digest.run(session, NOW - timedelta(minutes=1), TH)
    assert result.claimed == 0 and _rows(session) == []
    assert session.scalar(select(func.count()).select_from(JobRun)) == 0


def test_time_zones_utc_plus_13_and_minus_10(session, build: Builder) -> None:
    build.user("UAKL", tz="Pacific/Auckland")
    build.user("UHNL", tz="Pacific/Honolulu")
    build.account("Kiwi", owner="UAKL", revenue=5_000_000, profitability="high")
    build.account("Aloha", owner="UHNL", revenue=4_000_000, profitability="high")
    build.filler(9)
    session.commit()
    # 20:00 UTC on 23 Nov: 09:00 on 24 Nov in Auckland, 10:00 on 23 Nov in Honolulu.
    evening = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)
    digest.run(session, evening, TH)
    sent = {(r.recipient, r.facts["date"]) for r in _rows(session)}
    assert sent == {("UAKL", "2026-11-24"), ("UHNL", "2026-11-23")}
    # 08:59 UTC on 24 Nov: 21:59 in Auckland (done today), 22:59 on the 23rd in Honolulu (done): nothing.
    digest.run(session, datetime(2026, 11, 24, 8, 59, tzinfo=UTC), TH)
    assert len(_rows(session)) == 2
    # 19:00 UTC on 24 Nov: Honolulu's 24th starts at 09:00; Auckland is already on the 25th (08:00): not yet.
    digest.run(session, datetime(2026, 11, 24, 19, 0, tzinfo=UTC), TH)
    sent = {(r.recipient, r.facts["date"]) for r in _rows(session)}
    assert ("UHNL", "2026-11-24") in sent and ("UAKL", "2026-11-25") not in sent


def test_dst_week_digest_hour_moves_with_local_time(session, build: Builder) -> None:
    build.user("UBER", tz="Europe/Berlin")
    build.account("Berliner", owner="UBER", revenue=5_000_000, profitability="high")
    build.filler(9)
    session.commit()
    sent_at = []
    start = datetime(2026, 10, 23, 0, 0, tzinfo=UTC)  # Fri; summer time ends Sun 25 Oct
    for hour in range(24 * 5):
        now = start + timedelta(hours=hour)
        if digest.run(session, now, TH).enqueued:
            sent_at.append(now)
    # Friday 09:00 CEST, nothing on the weekend, then Monday and Tuesday 09:00 CET
    assert [t.strftime("%a %d %H:%M") for t in sent_at] == ["Fri 23 07:00", "Mon 26 08:00", "Tue 27 08:00"]


def test_snoozed_accounts_are_left_out(session, build: Builder) -> None:
    neglected, fine, lonely = _portfolio(build)
    build.snooze(neglected, NOW + timedelta(days=7))
    build.touch(lonely, NOW - timedelta(days=1), "meeting", None, "U1")
    session.commit()
    digest.run(session, NOW, TH)
    assert _rows(session) == []  # only Neglected had something to say, and it is snoozed
    digest.run(session, NOW + timedelta(days=7), TH)
    (row,) = _rows(session)
    assert "Neglected" in [i["account"] for i in row.facts["sections"]["stale"]["items"]]


def test_revenue_drop_uses_complete_months(session, build: Builder) -> None:
    neglected, fine, lonely = _portfolio(build)
    for month, amount in [(5, 100), (6, 100), (7, 100), (8, 74), (9, 75), (10, 75)]:
        build.revenue(fine, date(2026, month, 1), amount)
    for month, amount in [(5, 100), (6, 100), (7, 100), (8, 75), (9, 75), (10, 75), (11, 1)]:
        build.revenue(lonely, date(2026, month, 1), amount)  # exactly 75%; November is not complete
    session.commit()
    digest.run(session, NOW, TH)
    (row,) = _rows(session)
    drops = row.facts["sections"]["revenue_drop"]["items"]
    assert [i["account"] for i in drops] == ["Fine"]
    assert drops[0]["recent"] == 224 and drops[0]["prior"] == 300


def test_dry_run_records_nothing_and_prints_the_issue_shape(session, build: Builder) -> None:
    _portfolio(build)
    session.commit()
    assert digest.dry_run_json(digest.run(session, NOW - timedelta(hours=1), TH, dry_run=True)) == []
    result = digest.run(session, NOW, TH, dry_run=True)
    assert digest.dry_run_json(result) == [
        {
            "recipient": "U1",
            "stale": ["Neglected"],
            "single_point_of_failure": ["Neglected"],
            "checkup_due": ["Neglected"],
            "sponsor_missing": ["Neglected"],
            "revenue_drop": [],
        }
    ]
    assert _rows(session) == [] and session.scalar(select(func.count()).select_from(JobRun)) == 0
    digest.run(session, NOW, TH)
    assert digest.dry_run_json(digest.run(session, NOW, TH, dry_run=True)) == []  # already done today


def test_workspaces_are_isolated(session, build: Builder) -> None:
    _portfolio(build)
    other = Builder(session, "T2")
    other.account("Other Co", owner="U1", revenue=9_000_000, profitability="high")
    session.commit()
    digest.run(session, NOW, TH, team_id="T1")
    (row,) = _rows(session)
    names = {i["account"] for s in row.facts["sections"].values() for i in s["items"]}
    assert "Other Co" not in names and row.team_id == "T1"
    digest.run(session, NOW, TH)  # all workspaces: T2 gets its own row
    assert {(r.team_id, r.recipient) for r in _rows(session)} == {("T1", "U1"), ("T2", "U1")}


def test_failed_work_is_retried_next_tick(session, build: Builder, monkeypatch) -> None:
    _portfolio(build)
    session.commit()

    def boom(*args, **kwargs):
        raise RuntimeError("database hiccup")

    monkeypatch.setattr(digest, "build_digest", boom)
    try:
        digest.run(session, NOW, TH)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the job should have raised")
    assert _rows(session) == []
    assert set(session.scalars(select(JobRun.status))) == {"failed"}
    monkeypatch.undo()
    assert digest.run(session, NOW + timedelta(hours=1), TH).enqueued == 1


def test_revenue_history_that_stops_early_raises_no_drop(session, build: Builder) -> None:
    neglected, fine, lonely = _portfolio(build)
    for month in (3, 4, 5, 6, 7):  # nothing imported since July: the data is old, not a collapse
        build.revenue(fine, date(2026, month, 1), 100)
    session.commit()
    digest.run(session, NOW, TH)
    (row,) = _rows(session)
    assert "revenue_drop" not in row.facts["sections"]
    # once another account has recent months, Fine's missing months do count as zero
    build.revenue(lonely, date(2026, 10, 1), 100)
    session.commit()
    digest.run(session, NOW + timedelta(days=1), TH)
    latest = _rows(session)[-1]
    assert [i["account"] for i in latest.facts["sections"]["revenue_drop"]["items"]] == ["Fine"]
