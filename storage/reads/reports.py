"""Reads for the weekly portfolio report (jobs.portfolio_report): the admins (remembered Slack admins plus
ADMIN_USER_IDS, with time zones) and the accounts that moved tier or grade lately, read back from the
`tier_change` outbox rows. See docs/data.md#report-inputs.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.facts import MoveFacts
from storage.models import OutboxMessage, SlackUser

TIER_CHANGE_KIND = "tier_change"


def report_admins(session: Session, team_id: str, configured: Collection[str] = ()) -> dict[str, str | None]:
    """Admin user id -> Slack time zone (None when unknown), for one workspace."""
    stored = session.execute(
        select(SlackUser.user_id, SlackUser.tz, SlackUser.is_admin).where(SlackUser.team_id == team_id)
    ).all()
    tz_of = {user_id: tz for user_id, tz, _ in stored}
    admins = {user_id: tz for user_id, tz, is_admin in stored if is_admin}
    for user_id in configured:
        if user_id and user_id[:1] in ("U", "W"):
            admins.setdefault(user_id, tz_of.get(user_id))
    return dict(sorted(admins.items()))


@dataclass(frozen=True, slots=True)
class Move:
    account_id: int | None
    account: str
    old_tier: str | None
    new_tier: str | None
    old_grade: str | None
    new_grade: str | None

    def to_facts(self) -> MoveFacts:
        return {
            "account": self.account,
            "old_tier": self.old_tier,
            "new_tier": self.new_tier,
            "old_grade": self.old_grade,
            "new_grade": self.new_grade,
        }


def recent_moves(session: Session, team_id: str, since: datetime, until: datetime) -> list[Move]:
    """Accounts that changed tier or grade between `since` and `until` (tier_change rows), by name."""
    rows = session.execute(
        select(OutboxMessage.account_id, OutboxMessage.facts, OutboxMessage.created_at, OutboxMessage.id)
        .where(
            OutboxMessage.team_id == team_id,
            OutboxMessage.kind == TIER_CHANGE_KIND,
            OutboxMessage.created_at >= since,
            OutboxMessage.created_at <= until,
        )
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
    first: dict[Any, dict[str, Any]] = {}
    last: dict[Any, dict[str, Any]] = {}
    for account_id, facts, _created, _id in rows:
        facts = dict(facts or {})
        key = account_id if account_id is not None else ("name", facts.get("account"))
        first.setdefault(key, facts)
        last[key] = facts
    moves = []
    for key, was in first.items():
        now = last[key]
        move = Move(
            key if isinstance(key, int) else None,
            str(now.get("account") or was.get("account") or "?"),
            was.get("old_tier"),
            now.get("new_tier"),
            was.get("old_grade"),
            now.get("new_grade"),
        )
        if (move.old_tier, move.old_grade) != (move.new_tier, move.new_grade):
            moves.append(move)
    moves.sort(key=lambda m: m.account.casefold())
    return moves
