"""News mentions of accounts: what the matcher needs about each account, recorded mentions, "not relevant"
votes and exclusion phrases. Every query filters by team_id; feeds themselves are in storage.feeds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, literal, select, update
from sqlalchemy.orm import Session

from storage.feeds import FeedError
from storage.models import Account, NewsMention, NewsVote, UTCDateTime, Workspace
from storage.upsert import conflict_insert


@dataclass(frozen=True, slots=True)
class MatchAccount:
    """What the matcher and the alerts need about one account."""

    id: int
    name: str
    aliases: tuple[str, ...]
    exclusions: tuple[str, ...]
    owner_user_id: str | None
    stage: str


def match_accounts(session: Session, *, team_id: str) -> list[MatchAccount]:
    """Every account of the workspace (clients and prospects) with its names and exclusion phrases."""
    rows = session.execute(
        select(
            Account.id,
            Account.name,
            Account.aliases,
            Account.exclusions,
            Account.owner_user_id,
            Account.stage,
        )
        .where(Account.team_id == team_id)
        .order_by(Account.id)
    ).all()
    return [
        MatchAccount(
            id=r.id,
            name=r.name,
            aliases=tuple(a for a in (r.aliases or []) if isinstance(a, str) and a.strip()),
            exclusions=tuple(e for e in (r.exclusions or []) if isinstance(e, str) and e.strip()),
            owner_user_id=r.owner_user_id,
            stage=r.stage,
        )
        for r in rows
    ]


def workspace_news_channel(session: Session, *, team_id: str) -> str | None:
    return session.scalar(select(Workspace.news_channel).where(Workspace.team_id == team_id))


def record_mention(
    session: Session,
    *,
    team_id: str,
    account_id: int,
    story_key: str,
    feed_id: int | None,
    title: str,
    link: str | None,
    source: str | None,
    published_at: datetime | None,
    now: datetime,
) -> int | None:
    """Insert the mention unless this story was already seen for this account. Returns the new id or None."""
    values: dict[str, Any] = dict(
        team_id=team_id,
        account_id=account_id,
        story_key=story_key,
        feed_id=feed_id,
        title=title,
        link=link,
        source=source,
        published_at=published_at,
        seen_at=now,
        not_relevant_votes=0,
    )
    stmt = (
        conflict_insert(session, NewsMention)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["team_id", "account_id", "story_key"])
        .returning(NewsMention.id)
    )
    return session.execute(stmt).scalar_one_or_none()


@dataclass(frozen=True, slots=True)
class NotRelevantVote:
    """The outcome of a "Not relevant" click: the mention's account, and whether this click counted."""

    account_id: int
    account_name: str
    owner_user_id: str | None
    title: str
    votes: int  # distinct people who marked the mention, this one included
    counted: bool  # False: this person had already voted (a repeat click, a double click, a Slack retry)


def vote_not_relevant(
    session: Session, *, team_id: str, mention_id: int, user_id: str, now: datetime
) -> NotRelevantVote | None:
    """Record `user_id`'s "not relevant" vote on a mention of this workspace; None if there is no such mention.

    A person counts once: the vote is a news_votes row, unique per (team, mention, user), inserted with ON
    CONFLICT DO NOTHING. Only when the insert adds a row is news_mentions.not_relevant_votes incremented, in
    the same transaction, so it stays the number of distinct voters. Two people clicking at once both count
    (the increments queue on the mention's row); one person's concurrent double click counts once (the
    second insert waits for the first's unique key, then does nothing).
    """
    row = session.execute(
        select(NewsMention.id, NewsMention.title, Account.id, Account.name, Account.owner_user_id)
        .join(Account, and_(Account.id == NewsMention.account_id, Account.team_id == NewsMention.team_id))
        .where(NewsMention.team_id == team_id, NewsMention.id == mention_id)
    ).first()
    if row is None:
        return None
    _, title, account_id, account_name, owner = row
    # INSERT ... SELECT from the mention, scoped by team: a vote can only ever attach to this workspace's story.
    source = select(
        literal(team_id, String()),
        NewsMention.id,
        literal(user_id, String()),
        literal(now, UTCDateTime()),
    ).where(NewsMention.team_id == team_id, NewsMention.id == mention_id)
    stmt = (
        conflict_insert(session, NewsVote)
        .from_select(["team_id", "mention_id", "user_id", "created_at"], source)
        .on_conflict_do_nothing(index_elements=["team_id", "mention_id", "user_id"])
        .returning(NewsVote.id)
    )
    counted = session.execute(stmt).scalar_one_or_none() is not None
    votes: int | None
    if counted:
        votes = session.execute(
            update(NewsMention)
            .where(NewsMention.team_id == team_id, NewsMention.id == mention_id)
            .values(not_relevant_votes=NewsMention.not_relevant_votes + 1)
            .returning(NewsMention.not_relevant_votes)
            .execution_options(synchronize_session=False)
        ).scalar_one()
    else:
        votes = session.scalar(
            select(NewsMention.not_relevant_votes).where(
                NewsMention.team_id == team_id, NewsMention.id == mention_id
            )
        )
    if votes is None:  # the story was deleted between the look-up and the vote
        return None
    return NotRelevantVote(
        account_id=account_id,
        account_name=account_name,
        owner_user_id=owner,
        title=title,
        votes=votes,
        counted=counted,
    )


def add_exclusion(
    session: Session, *, team_id: str, account_id: int, phrase: str, now: datetime
) -> list[str]:
    """Add an exclusion phrase to the account (case-insensitive duplicates ignored); returns the new list."""
    phrase = " ".join((phrase or "").split())
    if not phrase:
        raise FeedError("the exclusion phrase is empty; type the words that mark stories to ignore")
    if len(phrase) > 200:
        raise FeedError("the exclusion phrase is longer than 200 characters; use a shorter phrase")
    account = session.scalar(select(Account).where(Account.team_id == team_id, Account.id == account_id))
    if account is None:
        raise FeedError(f"no account with id {account_id} in this workspace")
    current = [e for e in (account.exclusions or []) if isinstance(e, str)]
    if phrase.casefold() not in {e.casefold() for e in current}:
        account.exclusions = [*current, phrase]
        account.updated_at = now
    session.flush()
    return list(account.exclusions)


def account_brief(session: Session, *, team_id: str, account_id: int) -> tuple[str, str | None] | None:
    """(name, owner user id) of an account of this workspace, or None."""
    row = session.execute(
        select(Account.name, Account.owner_user_id).where(
            Account.team_id == team_id, Account.id == account_id
        )
    ).first()
    return (row[0], row[1]) if row is not None else None
