"""The admins' daily dead-letter count, on SQLite and PostgreSQL: counted by reason with each fix, once a day
per admin from 09:00 their time, quiet on a day without any, never counting itself."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from accounts.dead_letters import FIXES, reason_of, summarize
from accounts.thresholds import Thresholds
from jobs import dead_letters
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.jobs.conftest import NOW, TEAM, Builder


def _dead(
    s: Session, n: int, reason: str, kind: str = "digest", at: datetime = NOW - timedelta(hours=2)
) -> None:
    for i in range(n):
        new_id = outbox.enqueue(s, team_id=TEAM, recipient=f"U{i}{reason[:3]}", kind=kind, facts={},
                                period=f"{reason}-{kind}-{i}", now=at)  # fmt: skip
        row = s.get(OutboxMessage, new_id)
        row.status, row.last_error, row.dead_at = "dead", reason, at


def test_reasons_reduce_to_one_word_and_carry_their_fix() -> None:
    assert reason_of("not_in_channel") == "not_in_channel"
    assert reason_of("gave up after 10 attempts: retryable: internal_error") == "gave_up"
    assert reason_of("render_failed: no renderer for message kind 'x'") == "render_failed"
    facts = summarize("2026-11-24", [("digest", "not_in_channel")] * 2 + [("news_alert", "weird")])
    assert facts is not None and facts["total"] == 3
    assert facts["reasons"][0] == {"reason": "not_in_channel", "count": 2, "fix": FIXES["not_in_channel"]}
    assert "accountbot outbox" in facts["reasons"][1]["fix"]
    assert summarize("2026-11-24", [("dead_letters", "not_in_channel")]) is None  # never counts itself


def test_each_admin_hears_once_a_day_and_not_on_a_quiet_day(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        b = Builder(s)
        b.user("U0ADMIN", tz="UTC").is_admin = True
        b.user("U0TOKYO", tz="Asia/Tokyo").is_admin = True  # 18:00 there: past the cut-off, told tomorrow
        b.user("U0DELHI", tz="Asia/Kolkata").is_admin = True  # 14:30 there: due too
        b.user("U0PLAIN", tz="UTC")
        _dead(s, 3, "not_in_channel")
        _dead(s, 1, "gave up after 10 attempts: retryable: internal_error", kind="news_alert")
        _dead(s, 2, "channel_not_found", at=NOW - timedelta(days=3))  # an older day: not counted again
    th = Thresholds()
    with sessions() as s:
        result = dead_letters.run(s, NOW, th, listed_admins=lambda team: ())
    assert sorted(m.recipient for _, m in result.messages) == ["U0ADMIN", "U0DELHI"]
    facts = result.messages[0][1].facts
    assert facts["total"] == 4 and [r["reason"] for r in facts["reasons"]] == ["not_in_channel", "gave_up"]
    with sessions() as s:
        assert dead_letters.run(s, NOW + timedelta(hours=1), th).enqueued == 0  # once a day
        assert dead_letters.run(s, NOW + timedelta(days=1), th).enqueued == 0  # nothing new: quiet
