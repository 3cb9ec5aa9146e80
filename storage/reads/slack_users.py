"""Slack users as remembered in slack_users: one by id, owners given as emails still to resolve, and owners
whose profile (time zone) needs a refresh. The Slack calls live in bot.directory; the writes are in
storage.writes.slack_users."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.models import Account, SlackUser


def unresolved_owner_emails(session: Session, team_id: str) -> list[str]:
    """Distinct lower-cased owner emails of accounts that have no Slack user id yet."""
    rows = session.scalars(
        select(func.lower(Account.owner))
        .where(Account.team_id == team_id, Account.owner_user_id.is_(None), Account.owner.like("%@%"))
        .distinct()
    )
    return sorted(r for r in rows if r)


def known_email(session: Session, team_id: str, email: str) -> str | None:
    """The Slack user id remembered for this email, if any."""
    return session.scalar(
        select(SlackUser.user_id)
        .where(SlackUser.team_id == team_id, func.lower(SlackUser.email) == email.lower())
        .limit(1)
    )


def owners_to_refresh(session: Session, team_id: str, stale_before: datetime) -> list[str]:
    """Owners whose Slack profile (time zone) we never fetched, or fetched before `stale_before`."""
    owner_ids = (
        select(Account.owner_user_id.label("user_id"))
        .where(Account.team_id == team_id, Account.owner_user_id.is_not(None))
        .distinct()
        .subquery()
    )
    rows = session.scalars(
        select(owner_ids.c.user_id)
        .outerjoin(SlackUser, (SlackUser.team_id == team_id) & (SlackUser.user_id == owner_ids.c.user_id))
        .where(
            or_(
                SlackUser.id.is_(None),
                SlackUser.refreshed_at.is_(None),
                SlackUser.refreshed_at < stale_before,
            )
        )
    )
    return sorted(rows)


def slack_user(session: Session, team_id: str, user_id: str) -> SlackUser | None:
    return session.scalar(select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id))
