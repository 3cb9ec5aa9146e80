"""What the bot learns about Slack users, written to slack_users, and owners given as emails pointed at the
Slack user they turned out to be. Runs in the caller's unit of work and never commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.db import affected
from storage.models import Account, SlackUser
from storage.upsert import conflict_insert


def remember_slack_user(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    is_admin: bool,
    now: datetime,
    tz: str | None = None,
    real_name: str | None = None,
    email: str | None = None,
    membership: str | None = None,
) -> SlackUser:
    """Upsert what users.info told us about a user (admin flag, membership, time zone, name, email).

    `membership` is always written: None (unknown) when the caller did not learn it, so a refreshed row never
    vouches for an old membership."""
    found = select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
    row = session.scalar(found)
    if row is None:
        # Two first requests of the same person may race here: insert-or-nothing, then read the row back.
        session.execute(
            conflict_insert(session, SlackUser)
            .values(team_id=team_id, user_id=user_id, is_admin=False)
            .on_conflict_do_nothing(index_elements=["team_id", "user_id"])
        )
        row = session.scalars(found.execution_options(populate_existing=True)).one()
    row.is_admin = is_admin
    row.membership = membership
    row.refreshed_at = now
    if tz is not None:
        row.tz = tz
    if real_name is not None:
        row.real_name = real_name
    if email is not None:
        row.email = email
    session.flush()
    return row


def resolve_owner_email(session: Session, team_id: str, email: str, user_id: str) -> int:
    """Point every account owned by `email` (case-insensitive) at `user_id`; returns how many changed."""
    result = session.execute(
        update(Account)
        .where(
            Account.team_id == team_id,
            Account.owner_user_id.is_(None),
            func.lower(Account.owner) == email.lower(),
        )
        .values(owner_user_id=user_id)
        .execution_options(synchronize_session=False)
    )
    return affected(result)
