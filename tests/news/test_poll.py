"""jobs.news_poll end to end: loopback feeds, real databases (SQLite and PostgreSQL), outbox rows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from accounts.thresholds import DEFAULT_THRESHOLDS
from jobs.news_poll import PollReport, news_tick, poll_once
from jobs.scheduler import JobScheduler
from storage import feeds as feed_store
from storage.db import ensure_workspace
from storage.models import Account, Feed, NewsMention, OutboxMessage, Workspace
from storage.reads.assessments import assess_workspace
from tests.fakes.feed_server import FeedServer
from tests.news.conftest import NOW

LOCAL = frozenset({"127.0.0.1"})


def rss(*items: tuple[str, str], title: str = "Industry wire") -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><pubDate>Mon, 02 Mar 2026 07:00:00 GMT</pubDate></item>"
        for t, link in items
    )
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>{title}</title>{body}</channel></rss>"


@pytest.fixture(scope="module")
def server() -> Iterator[FeedServer]:
    with FeedServer() as srv:
        yield srv


def _setup(sessions: sessionmaker[Session]) -> dict[str, int]:
    ids = {}
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        s.get(Workspace, "T1").news_channel = "CNEWS"  # type: ignore[union-attr]
        for name, kw in {
            "Globex": dict(
                annual_revenue=9_000_000,
                profit_margin=30,
                wallet_share=20,
                strategic_value="high",
                pain_factor="low",
                owner_user_id="UOWNER",
            ),
            "Initech": dict(annual_revenue=100_000, profit_margin=2, wallet_share=90, owner_user_id="UOTHER"),
            "Umbrella": dict(stage="prospect"),
        }.items():
            acc = Account(
                team_id="T1", name=name, name_key=name.casefold(), created_at=NOW, updated_at=NOW, **kw
            )
            s.add(acc)
            s.flush()
            ids[name] = acc.id
        ensure_workspace(s, "T2")
        s.add(Account(team_id="T2", name="Globex", name_key="globex", created_at=NOW, updated_at=NOW))
    with sessions() as s:
        grades = {a.name: a.grade for a in assess_workspace(s, "T1", NOW, DEFAULT_THRESHOLDS).values()}
    assert grades["Globex"] == "A" and grades["Initech"] != "A", grades
    return ids


def _alerts(sessions: sessionmaker[Session]) -> list[OutboxMessage]:
    with sessions() as s:
        return list(
            s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "news_alert").order_by(OutboxMessage.id)
            )
        )


def test_poll_writes_mentions_and_alerts_once(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str
) -> None:
    ids = _setup(sessions)
    tag = db_url.rsplit("/", 1)[-1][-12:]
    wire = server.add_feed(
        f"wire-{tag}",
        rss(
            ("Globex opens a plant in Ohio", "https://news.example.com/globex-ohio?utm_source=rss"),
            ("Initech reports loss", "https://news.example.com/initech-loss"),
            ("Markets rally on rate hopes", "https://news.example.com/markets"),
            ("Umbrella's prospects look up", "https://news.example.com/umbrella"),
        ),
    )
    # The same Globex story through a second feed (different tracking parameters, another channel).
    other = server.add_feed(
        f"other-{tag}",
        rss(
            ("Globex opens a plant in Ohio, creating 300 jobs", "https://news.example.com/globex-ohio"),
        ),
    )
    with sessions.begin() as s:
        feed_store.add_feed(s, team_id="T1", url=wire, allowed_hosts=LOCAL, now=NOW)
        feed_store.add_feed(s, team_id="T1", url=other, channel="CINDUSTRY", allowed_hosts=LOCAL, now=NOW)

    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.feeds == 2 and report.fetched == 2 and report.failed == 0, report
    assert report.mentions == 3  # Globex once (two feeds, one story), Initech, Umbrella

    alerts = _alerts(sessions)
    by = sorted((a.recipient, a.facts["account"]) for a in alerts)
    assert by == [
        ("CNEWS", "Globex"),
        ("CNEWS", "Initech"),
        ("CNEWS", "Umbrella"),
        ("UOWNER", "Globex"),
    ] or by == [("CINDUSTRY", "Globex"), ("CNEWS", "Initech"), ("CNEWS", "Umbrella"), ("UOWNER", "Globex")]
    globex = next(a for a in alerts if a.recipient == "UOWNER")
    assert globex.facts["grade"] == "A" and globex.facts["tier"] == "key"
    assert globex.facts["link"].startswith("https://news.example.com/globex-ohio")
    assert (
        globex.facts["source"] == "Industry wire" and globex.facts["published"] == "2026-03-02T07:00:00+00:00"
    )
    assert globex.account_id == ids["Globex"]
    with sessions() as s:
        assert s.scalars(select(NewsMention.team_id).distinct()).all() == ["T1"]  # T2's Globex untouched

    # Not due yet: nothing is fetched.
    assert poll_once(sessions, allowed_hosts=LOCAL, now=NOW + timedelta(minutes=5)).feeds == 0
    # Due again: conditional GET answers 304, nothing new.
    before = server.not_modified
    again = poll_once(sessions, allowed_hosts=LOCAL, now=NOW + timedelta(minutes=31))
    assert again.feeds == 2 and again.not_modified == 2 and again.mentions == 0
    assert server.not_modified == before + 2
    # The feed changes (new ETag) but still carries the old stories plus one new one: only the new alerts.
    server.add_feed(
        f"wire-{tag}",
        rss(
            ("Globex opens a plant in Ohio", "https://news.example.com/globex-ohio"),
            ("Initech hires a new CEO", "https://news.example.com/initech-ceo"),
        ),
    )
    third = poll_once(sessions, allowed_hosts=LOCAL, now=NOW + timedelta(minutes=62))
    assert third.mentions == 1 and third.alerts == 1
    assert len(_alerts(sessions)) == 5


def test_per_account_feed_from_the_account_column(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str
) -> None:
    ids = _setup(sessions)
    tag = db_url.rsplit("/", 1)[-1][-12:]
    url = server.add_feed(
        f"alerts-{tag}",
        rss(
            ("New CFO named at the company", "https://news.example.com/cfo"),
            ("Initech wins contract", "https://news.example.com/initech-contract"),
        ),
    )
    with sessions.begin() as s:
        s.get(Account, ids["Initech"]).news_feed = "http://127.0.0.1:1/closed-port"  # type: ignore[union-attr]
        s.get(Account, ids["Umbrella"]).news_feed = url  # type: ignore[union-attr]
    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.feeds == 2  # both account feeds were picked up
    with sessions() as s:
        mentions = {(m.account_id, m.title) for m in s.scalars(select(NewsMention))}
    assert (ids["Umbrella"], "New CFO named at the company") in mentions
    assert (ids["Initech"], "Initech wins contract") in mentions  # names another account: that account's
    assert (ids["Umbrella"], "Initech wins contract") not in mentions


def test_failures_back_off_and_show_in_health(sessions: sessionmaker[Session], server: FeedServer) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        feed_store.add_feed(s, team_id="T1", url=server.url("/status/500"), allowed_hosts=LOCAL, now=NOW)
        feed_store.add_feed(s, team_id="T1", url=server.url("/html"), allowed_hosts=LOCAL, now=NOW)
    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.failed == 2
    with sessions() as s:
        views = {v.url.rsplit("/", 1)[-1]: v for v in feed_store.list_feeds(s, team_id="T1")}
    assert views["500"].consecutive_failures == 1 and "HTTP 500" in (views["500"].last_error or "")
    assert "not an RSS or Atom feed" in (views["html"].last_error or "")
    assert views["500"].next_poll_at == NOW + timedelta(minutes=60)
    # With the host no longer allowed, the fetch is refused (the guard runs on every fetch, not only at add).
    refused = poll_once(sessions, allowed_hosts=frozenset(), now=NOW + timedelta(hours=2))
    assert refused.failed == 2 and all("refused" in e for e in refused.errors)


def test_two_pollers_never_fetch_one_feed_twice(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str
) -> None:
    _setup(sessions)
    tag = db_url.rsplit("/", 1)[-1][-12:]
    paths = []
    with sessions.begin() as s:
        for i in range(12):
            name = f"race-{tag}-{i}"
            url = server.add_feed(name, rss((f"Story {i}", f"https://news.example.com/{tag}/{i}")))
            paths.append(f"/feeds/{name}")
            feed_store.add_feed(s, team_id="T1", url=url, allowed_hosts=LOCAL, now=NOW)
    reports = []

    def run(owner: str) -> None:
        reports.append(poll_once(sessions, allowed_hosts=LOCAL, now=NOW, owner=owner, concurrency=3))

    threads = [threading.Thread(target=run, args=(f"replica-{n}",)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r.feeds for r in reports) == 12
    assert all(server.hits[p] == 1 for p in paths), {p: server.hits[p] for p in paths}
    with sessions() as s:
        assert s.scalar(select(Feed).where(Feed.lease_owner.is_not(None))) is None


def test_news_polling_ticks_in_the_scheduler_and_stops(
    sessions: sessionmaker[Session], server: FeedServer
) -> None:
    _setup(sessions)
    with sessions.begin() as s:
        feed_store.add_feed(s, team_id="T1", url=server.url("/feeds/default"), allowed_hosts=LOCAL, now=NOW)

    class Settings:
        allowed_news_hosts = LOCAL
        news_channel = "CFALLBACK"
        thresholds = DEFAULT_THRESHOLDS

    poller = JobScheduler(sessions, jobs={}, pollers={"news_poll": (news_tick(sessions, Settings()), 0.05)})
    poller.start(catch_up=False)
    try:
        for _ in range(100):
            if "news_poll" in poller.last_poll:
                break
            threading.Event().wait(0.05)
    finally:
        poller.stop()
    assert not poller.running
    report = poller.last_poll.get("news_poll")
    assert isinstance(report, PollReport) and report.failed == 0
    with sessions() as s:
        (view,) = feed_store.list_feeds(s, team_id="T1")
    assert view.last_success_at is not None


def test_old_stories_are_recorded_without_alerts_and_alerts_are_capped(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str
) -> None:
    _setup(sessions)
    tag = db_url.rsplit("/", 1)[-1][-12:]
    old = (
        "<item><title>Initech reports archive results</title><link>https://news.example.com/old</link>"
        "<pubDate>Mon, 02 Feb 2026 07:00:00 GMT</pubDate></item>"
    )
    many = "".join(
        f"<item><title>Initech reports result {i}</title><link>https://news.example.com/{tag}/many/{i}</link></item>"
        for i in range(25)
    )
    url = server.add_feed(
        f"backlog-{tag}", f"<rss version='2.0'><channel><title>B</title>{old}{many}</channel></rss>"
    )
    with sessions.begin() as s:
        feed_store.add_feed(s, team_id="T1", url=url, allowed_hosts=LOCAL, now=NOW)
    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.mentions == 26 and report.alerts == 20
    assert not any(a.facts["title"] == "Initech reports archive results" for a in _alerts(sessions))


def test_alerts_still_go_out_when_grading_fails(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import jobs.news_poll as news_poll

    _setup(sessions)

    def broken(*args: object, **kwargs: object) -> dict[int, object]:
        raise RuntimeError("grading exploded")

    monkeypatch.setattr(news_poll, "assess_workspace", broken)
    tag = db_url.rsplit("/", 1)[-1][-12:]
    url = server.add_feed(
        f"nograde-{tag}", rss(("Globex wins contract", f"https://news.example.com/{tag}/ng"))
    )
    with sessions.begin() as s:
        feed_store.add_feed(s, team_id="T1", url=url, allowed_hosts=LOCAL, now=NOW)
    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.alerts == 1 and report.failed == 0
    (alert,) = _alerts(sessions)
    assert alert.recipient == "CNEWS" and alert.facts["grade"] is None and alert.facts["account"] == "Globex"


def test_a_paused_feed_records_stories_and_dms_owners_but_posts_no_channel_alert(
    sessions: sessionmaker[Session], server: FeedServer, db_url: str
) -> None:
    _setup(sessions)
    url = server.add_feed(
        f"paused-{db_url.rsplit('/', 1)[-1][-12:]}", rss(("Globex wins a prize", "https://n.example/g"))
    )
    with sessions.begin() as s:
        feed = feed_store.add_feed(s, team_id="T1", url=url, allowed_hosts=LOCAL, now=NOW)
        assert feed_store.pause_alerts(s, team_id="T1", feed_id=feed.id, reason="not_in_channel in <#CNEWS>",
                                       now=NOW) is not None  # fmt: skip
        assert feed_store.pause_alerts(s, team_id="T1", feed_id=feed.id, reason="again", now=NOW) is None
    report = poll_once(sessions, allowed_hosts=LOCAL, now=NOW)
    assert report.mentions == 1
    assert [(a.recipient, a.facts["account"]) for a in _alerts(sessions)] == [("UOWNER", "Globex")]
