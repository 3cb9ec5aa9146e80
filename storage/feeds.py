"""News feeds: adding and listing feeds, leasing due feeds to pollers, recording poll results.

Every query filters by team_id. Feeds are leased (lease_owner, lease_until) so several replicas share the
work and never poll one feed at the same time; on PostgreSQL the claim skips rows another poller has locked.
Mentions and votes are in storage.mentions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from news.guard import check_url
from storage.db import affected, ensure_workspace
from storage.holds import held_workspaces
from storage.models import Account, Feed

MAX_BACKOFF = timedelta(hours=24)
DEFAULT_INTERVAL = 30  # minutes
MIN_INTERVAL, MAX_INTERVAL = 5, 24 * 60
DEFAULT_LEASE = timedelta(minutes=5)
MAX_ERROR_TEXT = 500


class FeedError(ValueError):
    """A feed operation was refused; str(exc) says what was wrong and what to do."""


@dataclass(frozen=True, slots=True)
class FeedView:
    """One feed with its health, for listings."""

    id: int
    url: str
    account: str | None
    channel: str | None
    interval_minutes: int
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime | None
    alerts_paused: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimedFeed:
    """A snapshot of a leased feed: what a poller needs, detached from any session."""

    id: int
    team_id: str
    url: str
    account_id: int | None
    channel: str | None
    etag: str | None
    last_modified: str | None
    interval_minutes: int
    consecutive_failures: int
    alerts_paused: str | None = None


def add_feed(
    session: Session,
    *,
    team_id: str,
    url: str,
    account_id: int | None = None,
    channel: str | None = None,
    added_by: str | None = None,
    allowed_hosts: frozenset[str] = frozenset(),
    now: datetime,
    interval_minutes: int | None = None,
) -> Feed:
    """Add a feed (workspace-wide when account_id is None), or return the existing one for the same URL.

    Raises news.guard.UrlRefused (with the reason) if the URL may not be fetched, FeedError for an unknown
    account or a bad interval. Passing a channel (or interval) for an existing feed updates it; adding an
    existing feed again resumes its paused alerts.
    """
    url = (url or "").strip()
    if interval_minutes is not None and not MIN_INTERVAL <= interval_minutes <= MAX_INTERVAL:
        raise FeedError(
            f"the polling interval must be {MIN_INTERVAL} to {MAX_INTERVAL} minutes (got {interval_minutes})"
        )
    check_url(url, allowed_hosts)
    if account_id is not None:
        exists = session.scalar(
            select(Account.id).where(Account.team_id == team_id, Account.id == account_id)
        )
        if exists is None:
            raise FeedError(f"no account with id {account_id} in this workspace")
    ensure_workspace(session, team_id)
    account_clause = Feed.account_id.is_(None) if account_id is None else Feed.account_id == account_id
    feed = session.scalar(select(Feed).where(Feed.team_id == team_id, Feed.url == url, account_clause))
    if feed is not None:
        if channel:
            feed.channel = channel
        if interval_minutes is not None:
            feed.interval_minutes = interval_minutes
        feed.alerts_paused = feed.alerts_paused_at = None  # adding it again resumes paused alerts
        return feed
    feed = Feed(
        team_id=team_id,
        url=url,
        account_id=account_id,
        channel=channel or None,
        interval_minutes=interval_minutes or DEFAULT_INTERVAL,
        consecutive_failures=0,
        next_poll_at=now,
        added_by=added_by,
        created_at=now,
    )
    session.add(feed)
    session.flush()
    return feed


def remove_feed(session: Session, *, team_id: str, feed_id: int) -> bool:
    feed = session.scalar(select(Feed).where(Feed.team_id == team_id, Feed.id == feed_id))
    if feed is None:
        return False
    session.delete(feed)
    session.flush()
    return True


def retire_account_feed(session: Session, *, team_id: str, account_id: int, url: str) -> bool:
    """Stop polling the account's feed for `url` (its previous news_feed, replaced). The stories already
    seen stay recorded. False if there is no such feed."""
    feed = session.scalar(
        select(Feed).where(Feed.team_id == team_id, Feed.account_id == account_id, Feed.url == url.strip())
    )
    if feed is None:
        return False
    session.delete(feed)
    session.flush()
    return True


def list_feeds(session: Session, *, team_id: str) -> list[FeedView]:
    rows = session.execute(
        select(Feed, Account.name)
        .outerjoin(Account, and_(Account.id == Feed.account_id, Account.team_id == Feed.team_id))
        .where(Feed.team_id == team_id)
        .order_by(Feed.id)
    ).all()
    return [
        FeedView(
            id=f.id,
            url=f.url,
            account=name,
            channel=f.channel,
            interval_minutes=f.interval_minutes,
            last_success_at=f.last_success_at,
            last_error=f.last_error,
            last_error_at=f.last_error_at,
            consecutive_failures=f.consecutive_failures,
            next_poll_at=f.next_poll_at,
            alerts_paused=f.alerts_paused,
        )
        for f, name in rows
    ]


def news_team_ids(session: Session) -> list[str]:
    """Workspaces with at least one feed or one account with a news_feed URL (for the poller's loop), but not
    those on hold (storage.holds: their alerts could not go out)."""
    with_feeds = set(session.scalars(select(Feed.team_id).distinct()))
    with_account_feeds = set(
        session.scalars(
            select(Account.team_id).where(Account.news_feed.is_not(None), Account.news_feed != "").distinct()
        )
    )
    teams = sorted(with_feeds | with_account_feeds)
    held = held_workspaces(session, team_ids=teams)
    return [t for t in teams if t not in held]


def claim_due_feeds(
    session: Session,
    *,
    team_id: str,
    owner: str,
    now: datetime,
    limit: int = 100,
    lease: timedelta = DEFAULT_LEASE,
) -> list[ClaimedFeed]:
    """Lease up to `limit` feeds of the workspace that are due and not leased by anyone else.

    The caller commits right away so other pollers see the lease.
    """
    due = (
        select(Feed.id)
        .where(
            Feed.team_id == team_id,
            or_(Feed.next_poll_at.is_(None), Feed.next_poll_at <= now),
            or_(Feed.lease_until.is_(None), Feed.lease_until < now),
        )
        .order_by(Feed.next_poll_at, Feed.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        # Lock the chosen rows first (skipping rows another poller holds), then lease exactly those.
        # (An IN-subquery with LIMIT ... FOR UPDATE inside the UPDATE may be re-evaluated by the planner.)
        ids: Any = list(session.scalars(due.with_for_update(skip_locked=True)))
        if not ids:
            return []
    else:
        ids = due.scalar_subquery()  # SQLite: one statement, writers are serialised
    stmt = (
        update(Feed)
        .where(
            Feed.team_id == team_id,
            Feed.id.in_(ids),
            or_(Feed.lease_until.is_(None), Feed.lease_until < now),
        )
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(
            Feed.id,
            Feed.team_id,
            Feed.url,
            Feed.account_id,
            Feed.channel,
            Feed.etag,
            Feed.last_modified,
            Feed.interval_minutes,
            Feed.consecutive_failures,
            Feed.alerts_paused,
        )
        .execution_options(synchronize_session=False)
    )
    claimed = [ClaimedFeed(*row) for row in session.execute(stmt).all()]
    return sorted(claimed, key=lambda f: f.id)


def backoff_delay(interval_minutes: int, failures: int) -> timedelta:
    """Delay before the next attempt after `failures` consecutive failures: doubling, capped at 24 hours."""
    base = timedelta(minutes=max(1, interval_minutes))
    if failures <= 0:
        return base
    return min(base * (2 ** min(failures, 16)), MAX_BACKOFF)


def record_success(
    session: Session,
    *,
    team_id: str,
    feed_id: int,
    owner: str,
    now: datetime,
    etag: str | None,
    last_modified: str | None,
) -> bool:
    """Store the validators of a successful fetch (200 or 304), schedule the next poll, release the lease.

    Returns False if the lease was lost (another poller took the feed over); nothing is changed then.
    """
    feed = _leased(session, team_id, feed_id, owner)
    if feed is None:
        return False
    feed.etag = etag
    feed.last_modified = last_modified
    feed.last_success_at = now
    feed.consecutive_failures = 0
    feed.next_poll_at = now + backoff_delay(feed.interval_minutes, 0)
    feed.lease_owner = None
    feed.lease_until = None
    return True


def record_failure(
    session: Session, *, team_id: str, feed_id: int, owner: str, now: datetime, error: str
) -> bool:
    """Count a failure, back off exponentially (capped at 24 h), release the lease."""
    feed = _leased(session, team_id, feed_id, owner)
    if feed is None:
        return False
    feed.consecutive_failures = (feed.consecutive_failures or 0) + 1
    feed.last_error = error[:MAX_ERROR_TEXT]
    feed.last_error_at = now
    feed.next_poll_at = now + backoff_delay(feed.interval_minutes, feed.consecutive_failures)
    feed.lease_owner = None
    feed.lease_until = None
    return True


def _leased(session: Session, team_id: str, feed_id: int, owner: str) -> Feed | None:
    return session.scalar(
        select(Feed).where(Feed.team_id == team_id, Feed.id == feed_id, Feed.lease_owner == owner)
    )


def sync_account_feeds(
    session: Session, *, team_id: str, allowed_hosts: frozenset[str], now: datetime
) -> tuple[int, list[tuple[str, str]]]:
    """Create feeds for accounts whose `news_feed` URL is not polled yet (imports and `/account set` only
    write the column). Returns (feeds added, [(account name, reason)] for URLs the guard refuses)."""
    from news.guard import UrlRefused

    rows = session.execute(
        select(Account.id, Account.name, Account.news_feed)
        .outerjoin(
            Feed,
            and_(
                Feed.team_id == Account.team_id, Feed.account_id == Account.id, Feed.url == Account.news_feed
            ),
        )
        .where(
            Account.team_id == team_id,
            Account.news_feed.is_not(None),
            Account.news_feed != "",
            Feed.id.is_(None),
        )
    ).all()
    added = 0
    refused: list[tuple[str, str]] = []
    for account_id, name, url in rows:
        if not url:
            continue
        try:
            with session.begin_nested():
                add_feed(
                    session,
                    team_id=team_id,
                    url=url,
                    account_id=account_id,
                    allowed_hosts=allowed_hosts,
                    now=now,
                )
            added += 1
        except UrlRefused as exc:
            refused.append((name, str(exc)))
    return added, refused


def feed_trouble(session: Session, *, team_ids: Sequence[str]) -> dict[str, int]:
    """Feeds of these workspaces whose last poll failed, and whose channel alerts are paused (readiness:
    bot.health; `accountbot feeds` has each)."""
    if not team_ids:
        return {"failing": 0, "alerts_paused": 0}
    failing, paused = session.execute(
        select(
            func.count().filter(Feed.consecutive_failures > 0),
            func.count().filter(Feed.alerts_paused.is_not(None)),
        ).where(Feed.team_id.in_(list(team_ids)))
    ).one()
    return {"failing": int(failing or 0), "alerts_paused": int(paused or 0)}


def pause_alerts(session: Session, *, team_id: str, feed_id: int, reason: str, now: datetime) -> Feed | None:
    """Stop the feed's channel alerts (the bot cannot post there); returns the feed when this paused it, None
    when it was paused already or is gone (so the admin is told once). Mentions are still recorded."""
    updated = session.execute(
        update(Feed)
        .where(Feed.team_id == team_id, Feed.id == feed_id, Feed.alerts_paused.is_(None))
        .values(alerts_paused=reason[:MAX_ERROR_TEXT], alerts_paused_at=now)
        .execution_options(synchronize_session=False)
    )
    if not affected(updated):
        return None
    return session.scalar(select(Feed).where(Feed.team_id == team_id, Feed.id == feed_id))
