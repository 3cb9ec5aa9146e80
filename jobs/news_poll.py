"""Polling news feeds: lease the due feeds, fetch them concurrently, match entries, write alerts.

`poll_once` runs once a minute (`news_tick(sessions, settings)` from jobs.scheduler); each feed keeps its own
schedule and lease, and its result is written in one transaction. See docs/news.md#how-it-works.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.orm import Session, sessionmaker

from accounts.facts import NewsAlertFacts
from accounts.model import Assessment
from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from jobs.runner import default_worker
from news.fetch import FetchError, FetchResult, fetch_feed, make_client
from news.guard import UrlRefused
from news.match import Matcher
from news.parse import FeedEntry, ParsedFeed, parse_feed
from storage import feeds as feed_store
from storage import mentions as mention_store
from storage.db import utcnow
from storage.queues.outbox import enqueue
from storage.reads.assessments import assess_workspace

log = logging.getLogger("accountbot.news")

KIND = "news_alert"
ALERT_MAX_AGE = timedelta(days=7)  # older stories are recorded as seen but not announced
MAX_ALERTS_PER_FEED = 20  # per poll; a feed that suddenly yields more is recorded, the rest not announced
DEFAULT_CONCURRENCY = 8
TICK_SECONDS = 60.0


@dataclass
class PollReport:
    feeds: int = 0
    fetched: int = 0
    not_modified: int = 0
    failed: int = 0
    entries: int = 0
    mentions: int = 0
    alerts: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Outcome:
    feed: feed_store.ClaimedFeed
    result: FetchResult | None = None
    parsed: ParsedFeed | None = None
    error: str | None = None


@dataclass
class _TeamContext:
    """What matching and alerting need for one workspace, loaded once per tick."""

    matcher: Matcher
    accounts: dict[int, mention_store.MatchAccount]
    assessments: dict[int, Assessment]
    channel: str | None


def _fetch_and_parse(client: httpx.Client, feed: feed_store.ClaimedFeed, allowed: frozenset[str]) -> _Outcome:
    try:
        result = fetch_feed(
            client, feed.url, allowed_hosts=allowed, etag=feed.etag, last_modified=feed.last_modified
        )
    except UrlRefused as exc:
        return _Outcome(feed, error=f"refused: {exc}")
    except FetchError as exc:
        return _Outcome(feed, error=str(exc))
    except Exception as exc:  # never let one feed stop the tick
        return _Outcome(feed, error=f"{type(exc).__name__}: {exc}")
    if result.not_modified:
        return _Outcome(feed, result=result)
    try:
        parsed = parse_feed(result.body, url=result.url, headers=result.headers)
    except Exception as exc:
        return _Outcome(feed, error=f"could not parse the feed ({type(exc).__name__}: {exc})")
    if not parsed.is_feed:
        ctype = result.headers.get("content-type", "unknown type")
        return _Outcome(feed, error=f"not an RSS or Atom feed (got {ctype}); check the URL")
    return _Outcome(feed, result=result, parsed=parsed)


def _load_team(
    session: Session, team_id: str, now: datetime, th: Thresholds, default_channel: str | None
) -> _TeamContext:
    accounts = mention_store.match_accounts(session, team_id=team_id)
    try:
        with session.begin_nested():  # a failure rolls back to here, the session stays usable
            assessments = assess_workspace(session, team_id, now, th)
    except Exception:  # grading must never stop the news (alerts then go without tier and grade)
        log.exception("news_assess_failed team=%s", team_id)
        assessments = {}
    channel = mention_store.workspace_news_channel(session, team_id=team_id) or default_channel
    return _TeamContext(Matcher(accounts), {a.id: a for a in accounts}, assessments, channel)


def alert_facts(
    account: mention_store.MatchAccount,
    verdict: Assessment | None,
    entry: FeedEntry,
    mention_id: int,
    feed_id: int,
) -> NewsAlertFacts:
    return {
        "account": account.name,
        "account_id": account.id,
        "tier": verdict.tier if verdict else None,
        "grade": verdict.grade if verdict else None,
        "title": entry.title,
        "link": entry.link,
        "source": entry.source,
        "published": entry.published.isoformat() if entry.published else None,
        "mention_id": mention_id,
        "feed_id": feed_id,
    }


def _record(
    session: Session,
    outcome: _Outcome,
    ctx: _TeamContext | None,
    owner: str,
    now: datetime,
    report: PollReport,
) -> None:
    feed = outcome.feed
    if outcome.error is not None or outcome.result is None:
        report.failed += 1
        report.errors.append(f"feed {feed.id} ({feed.url}): {outcome.error}")
        feed_store.record_failure(
            session,
            team_id=feed.team_id,
            feed_id=feed.id,
            owner=owner,
            now=now,
            error=outcome.error or "unknown error",
        )
        log.warning("news_feed_failed team=%s feed=%s error=%s", feed.team_id, feed.id, outcome.error)
        return
    result = outcome.result
    kept = feed_store.record_success(
        session,
        team_id=feed.team_id,
        feed_id=feed.id,
        owner=owner,
        now=now,
        etag=result.etag,
        last_modified=result.last_modified,
    )
    if not kept:
        log.warning("news_lease_lost team=%s feed=%s", feed.team_id, feed.id)
        return
    if result.not_modified:
        report.not_modified += 1
        return
    report.fetched += 1
    if outcome.parsed is None or ctx is None:
        return
    alerts_left = MAX_ALERTS_PER_FEED
    for entry in outcome.parsed.entries:
        report.entries += 1
        for account_id in ctx.matcher.entry_accounts(entry.title, entry.summary, feed.account_id):
            account = ctx.accounts.get(account_id)
            if account is None:
                continue
            mention_id = mention_store.record_mention(
                session,
                team_id=feed.team_id,
                account_id=account_id,
                story_key=entry.story_key,
                feed_id=feed.id,
                title=entry.title,
                link=entry.link,
                source=entry.source,
                published_at=entry.published,
                now=now,
            )
            if mention_id is None:
                continue  # this story was already seen for this account
            report.mentions += 1
            if entry.published is not None and now - entry.published > ALERT_MAX_AGE:
                continue
            if alerts_left <= 0:
                continue
            alerts_left -= 1
            verdict = ctx.assessments.get(account_id)
            facts = alert_facts(account, verdict, entry, mention_id, feed.id)
            # a paused feed (the bot could not post in its channel) still DMs the owners of A accounts
            recipients = [r for r in (feed.channel or ctx.channel,) if r and not feed.alerts_paused]
            if verdict is not None and verdict.grade == "A" and account.owner_user_id:
                recipients.append(account.owner_user_id)
            for recipient in recipients:
                if (
                    enqueue(
                        session,
                        team_id=feed.team_id,
                        recipient=recipient,
                        kind=KIND,
                        facts=facts,
                        period=f"mention-{mention_id}",
                        now=now,
                        account_id=account_id,
                    )
                    is not None
                ):
                    report.alerts += 1
            if not recipients:
                log.info(
                    "news_no_channel team=%s account=%s mention=%s", feed.team_id, account_id, mention_id
                )


def poll_once(
    sessions: sessionmaker[Session],
    *,
    allowed_hosts: frozenset[str] = frozenset(),
    news_channel: str | None = None,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
    now: datetime | None = None,
    owner: str | None = None,
    team_id: str | None = None,
    max_feeds: int = 500,
    concurrency: int = DEFAULT_CONCURRENCY,
    client: httpx.Client | None = None,
    served: Collection[str] | None = None,
) -> PollReport:
    """Poll every due feed (of one workspace, or all; among `served` when given: the workspaces the bot has a
    token for) once. Safe to run on several replicas at once."""
    now = now or utcnow()
    owner = owner or f"{default_worker()}:news"
    report = PollReport()
    own_client = client is None
    http = client or make_client(allowed_hosts, max_connections=max(concurrency * 2, 10))
    try:
        if team_id:
            teams = [team_id]
        else:
            with sessions.begin() as session:
                teams = feed_store.news_team_ids(session)
        teams = [t for t in teams if served is None or t in served]
        for team in teams:
            _poll_team(
                sessions,
                team,
                http,
                allowed_hosts,
                news_channel,
                thresholds,
                now,
                owner,
                max_feeds,
                concurrency,
                report,
            )
    finally:
        if own_client:
            http.close()
    return report


_refused_logged: set[tuple[str, str]] = set()


def _poll_team(
    sessions: sessionmaker[Session],
    team: str,
    http: httpx.Client,
    allowed: frozenset[str],
    news_channel: str | None,
    th: Thresholds,
    now: datetime,
    owner: str,
    max_feeds: int,
    concurrency: int,
    report: PollReport,
) -> None:
    with sessions.begin() as session:
        _added, refused = feed_store.sync_account_feeds(session, team_id=team, allowed_hosts=allowed, now=now)
        for name, reason in refused:
            if (team, name) not in _refused_logged:
                _refused_logged.add((team, name))
                log.warning("news_account_feed_refused team=%s account=%s reason=%s", team, name, reason)
    with sessions.begin() as session:
        claimed = feed_store.claim_due_feeds(session, team_id=team, owner=owner, now=now, limit=max_feeds)
    if not claimed:
        return
    report.feeds += len(claimed)
    ctx: _TeamContext | None = None
    with ThreadPoolExecutor(
        max_workers=max(1, min(concurrency, len(claimed))), thread_name_prefix="news"
    ) as pool:
        futures = [pool.submit(_fetch_and_parse, http, feed, allowed) for feed in claimed]
        for future in as_completed(futures):
            outcome = future.result()
            try:
                if ctx is None and outcome.parsed is not None and outcome.parsed.entries:
                    with sessions.begin() as session:  # its own transaction: reads only
                        ctx = _load_team(session, team, now, th, news_channel)
                with sessions.begin() as session:
                    _record(session, outcome, ctx, owner, now, report)
            except Exception as exc:  # a database hiccup on one feed; its lease expires and it is retried
                log.exception("news_record_failed team=%s feed=%s", team, outcome.feed.id)
                report.errors.append(f"feed {outcome.feed.id}: could not record ({type(exc).__name__})")
    log.info(
        "news_poll team=%s feeds=%d fetched=%d not_modified=%d failed=%d mentions=%d alerts=%d",
        team,
        len(claimed),
        report.fetched,
        report.not_modified,
        report.failed,
        report.mentions,
        report.alerts,
    )


def news_tick(
    sessions: sessionmaker[Session], settings: Any, served: Callable[[], Collection[str]] | None = None
) -> Callable[[], PollReport]:
    """The function jobs.scheduler calls every TICK_SECONDS in `accountbot run`: poll the feeds due now.

    `settings` is bot.settings.Settings (allowed_news_hosts, news_channel, thresholds); `served` names the
    workspaces the bot has a token for.
    """
    allowed = frozenset(getattr(settings, "allowed_news_hosts", frozenset()))
    channel = getattr(settings, "news_channel", None)
    thresholds = getattr(settings, "thresholds", DEFAULT_THRESHOLDS)

    def tick() -> PollReport:
        only = None if served is None else set(served())
        return poll_once(
            sessions, allowed_hosts=allowed, news_channel=channel, thresholds=thresholds, served=only
        )

    return tick
