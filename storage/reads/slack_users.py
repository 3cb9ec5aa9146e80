"""Slack users as remembered in slack_users: one by id, owners given as emails still to resolve, owners
whose profile (time zone) needs a refresh, and the people the nudges cannot reach yet, with why. The Slack calls live in bot.directory; the writes are in
storage.writes.slack_users."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
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


def owners_to_refresh(
    session: Session, team_id: str, stale_before: datetime, also: Collection[str] = ()
) -> list[str]:
    """Owners (and the user ids `also` names: ADMIN_USER_IDS) whose Slack profile (time zone) we never
    fetched, or fetched before `stale_before`."""
    owner_ids = (
        select(Account.owner_user_id.label("user_id"))
        .where(Account.team_id == team_id, Account.owner_user_id.is_not(None))
        .distinct()
        .subquery()
    )
    rows = set(
        session.scalars(
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
    )
    if also:
        fresh = set(
            session.scalars(
                select(SlackUser.user_id).where(
                    SlackUser.team_id == team_id,
                    SlackUser.user_id.in_(sorted(also)),
                    SlackUser.refreshed_at >= stale_before,
                )
            )
        )
        rows |= set(also) - fresh
    return sorted(rows)


UNREACHABLE_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Unreachable:
    """An account owner the nudges cannot reach yet (`who`: their Slack id or the email the data gives)."""

    who: str
    reason: str
    accounts: int


def unreachable_owners(session: Session, team_id: str, limit: int = UNREACHABLE_LIMIT) -> list[Unreachable]:
    """Owners who get no nudge until the directory sync resolves them, with the reason and how many of the
    workspace's accounts they own: an email no Slack user has (yet), a profile whose time zone is not known,
    a bot or a deactivated user."""
    out: list[Unreachable] = []
    emails = session.execute(
        select(func.lower(Account.owner), func.count())
        .where(Account.team_id == team_id, Account.owner_user_id.is_(None), Account.owner.like("%@%"))
        .group_by(func.lower(Account.owner))
        .order_by(func.lower(Account.owner))
        .limit(limit)
    ).all()
    for email, n in emails:
        out.append(Unreachable(email, "no Slack user with this email found yet: check the email in your CRM, "
                                      "or invite them to the workspace", n))  # fmt: skip
    ids = session.execute(
        select(Account.owner_user_id, SlackUser.membership, func.count())
        .outerjoin(SlackUser, (SlackUser.team_id == team_id) & (SlackUser.user_id == Account.owner_user_id))
        .where(
            Account.team_id == team_id,
            Account.owner_user_id.is_not(None),
            or_(
                SlackUser.id.is_(None),
                SlackUser.tz.is_(None),
                SlackUser.membership.in_(("bot", "deactivated")),
            ),
        )
        .group_by(Account.owner_user_id, SlackUser.membership)
        .order_by(Account.owner_user_id)
        .limit(limit)
    ).all()
    for user_id, membership, n in ids:
        if membership == "deactivated":
            reason = "deactivated in Slack: give their accounts another owner"
        elif membership == "bot":
            reason = "a bot user, not a person: give their accounts a person as owner"
        else:
            reason = "time zone not known yet: the directory sync has not read their Slack profile"
        out.append(Unreachable(str(user_id), reason, n))
    return out[:limit]


def slack_user(session: Session, team_id: str, user_id: str) -> SlackUser | None:
    return session.scalar(select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id))
