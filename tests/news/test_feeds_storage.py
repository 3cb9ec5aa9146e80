"""storage.feeds on SQLite and PostgreSQL: adding, listing, leasing, backoff, idempotent mentions."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, func, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from news.guard import UrlRefused
from storage import feeds, mentions
from storage.db import ensure_workspace
from storage.models import Account, Base, Feed, NewsMention, NewsVote, Workspace
from tests.news.conftest import NOW

LOCAL = frozenset({"127.0.0.1"})


def _account(session: Session, team: str, name: str, **kw: object) -> Account:
    ensure_workspace(session, team)
    acc = Account(team_id=team, name=name, name_key=name.casefold(), created_at=NOW, updated_at=NOW, **kw)
    session.add(acc)
    session.flush()
    return acc


def test_add_feed_refuses_private_urls_with_reason(session: Session) -> None:
    ensure_workspace(session, "T1")
    with pytest.raises(UrlRefused, match="loopback"):
        feeds.add_feed(session, team_id="T1", url="http://127.0.0.1:9/feed", now=NOW)
    with pytest.raises(UrlRefused, match="only http"):
        feeds.add_feed(session, team_id="T1", url="gopher://example.com/", now=NOW)
    assert session.query(Feed).count() == 0


def test_add_feed_is_idempotent_and_lists_health(session: Session) -> None:
    acc = _account(session, "T1", "Acme Corp")
    f1 = feeds.add_feed(session, team_id="T1", url="http://127.0.0.1:1/a.xml", allowed_hosts=LOCAL, now=NOW)
    f2 = feeds.add_feed(
        session, team_id="T1", url=" http://127.0.0.1:1/a.xml ", channel="C9", allowed_hosts=LOCAL, now=NOW
    )
    assert f1.id == f2.id and f2.channel == "C9"
    f3 = feeds.add_feed(
        session, team_id="T1", url="http://127.0.0.1:1/a.xml", account_id=acc.id, allowed_hosts=LOCAL, now=NOW
    )
    assert f3.id != f1.id
    feeds.add_feed(session, team_id="T2", url="http://127.0.0.1:1/b.xml", allowed_hosts=LOCAL, now=NOW)
    listed = feeds.list_feeds(session, team_id="T1")
    assert [(v.url, v.account, v.channel) for v in listed] == [
        ("http://127.0.0.1:1/a.xml", None, "C9"),
        ("http://127.0.0.1:1/a.xml", "Acme Corp", None),
    ]
    with pytest.raises(feeds.FeedError, match="no account"):
        feeds.add_feed(
            session,
            team_id="T2",
            url="http://127.0.0.1:1/c.xml",
            account_id=acc.id,
            allowed_hosts=LOCAL,
            now=NOW,
        )


def test_claims_never_overlap_and_leases_expire(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        for i in range(5):
            feeds.add_feed(s, team_id="T1", url=f"http://127.0.0.1:1/{i}.xml", allowed_hosts=LOCAL, now=NOW)
    with sessions.begin() as s:
        a = feeds.claim_due_feeds(s, team_id="T1", owner="a", now=NOW, limit=3)
    with sessions.begin() as s:
        b = feeds.claim_due_feeds(s, team_id="T1", owner="b", now=NOW, limit=10)
    with sessions.begin() as s:
        c = feeds.claim_due_feeds(s, team_id="T1", owner="c", now=NOW, limit=10)
    assert len(a) == 3 and len(b) == 2 and c == []
    assert not {f.id for f in a} & {f.id for f in b}
    with sessions.begin() as s:
        assert feeds.claim_due_feeds(s, team_id="T2", owner="x", now=NOW) == []
    # A poller that dies leaves its lease; it expires and another poller takes the feed.
    later = NOW + feeds.DEFAULT_LEASE + timedelta(seconds=1)
    with sessions.begin() as s:
        d = feeds.claim_due_feeds(s, team_id="T1", owner="d", now=later, limit=10)
    assert {f.id for f in d} == {f.id for f in a} | {f.id for f in b}
    # The old owner's late result is ignored.
    with sessions.begin() as s:
        assert not feeds.record_success(
            s, team_id="T1", feed_id=a[0].id, owner="a", now=later, etag="x", last_modified=None
        )
        assert feeds.record_success(
            s,
            team_id="T1",
            feed_id=a[0].id,
            owner="d",
            now=later,
            etag='"v1"',
            last_modified="Mon, 02 Mar 2026 09:00:00 GMT",
        )
    with sessions.begin() as s:
        feed = s.get(Feed, a[0].id)
        assert feed is not None and feed.etag == '"v1"' and feed.lease_owner is None
        assert feed.next_poll_at == later + timedelta(minutes=30)


def test_failures_back_off_up_to_a_day(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ensure_workspace(s, "T1")
        fid = feeds.add_feed(s, team_id="T1", url="http://127.0.0.1:1/x.xml", allowed_hosts=LOCAL, now=NOW).id
    now = NOW
    delays = []
    for _ in range(8):
        with sessions.begin() as s:
            (claimed,) = feeds.claim_due_feeds(s, team_id="T1", owner="p", now=now)
            assert claimed.id == fid
            assert feeds.record_failure(s, team_id="T1", feed_id=fid, owner="p", now=now, error="boom")
        with sessions.begin() as s:
            feed = s.get(Feed, fid)
            assert feed is not None and feed.next_poll_at is not None
            delays.append(feed.next_poll_at - now)
            assert feeds.claim_due_feeds(s, team_id="T1", owner="p", now=now) == []  # not due yet
            now = feed.next_poll_at
    assert delays[:3] == [timedelta(minutes=60), timedelta(minutes=120), timedelta(minutes=240)]
    assert delays[-1] == timedelta(hours=24)
    with sessions.begin() as s:
        (view,) = feeds.list_feeds(s, team_id="T1")
        assert view.consecutive_failures == 8 and view.last_error == "boom"


def test_record_mention_is_idempotent_per_account_and_story(session: Session) -> None:
    acc = _account(session, "T1", "Shell")
    other = _account(session, "T1", "Gap")
    kw = dict(
        feed_id=None,
        title="Shell raises dividend",
        link="https://news.example/a",
        source="Wire",
        published_at=NOW,
        now=NOW,
    )
    first = mentions.record_mention(session, team_id="T1", account_id=acc.id, story_key="k1", **kw)
    again = mentions.record_mention(session, team_id="T1", account_id=acc.id, story_key="k1", **kw)
    for_other = mentions.record_mention(session, team_id="T1", account_id=other.id, story_key="k1", **kw)
    assert first is not None and again is None and for_other is not None
    voted = mentions.vote_not_relevant(session, team_id="T1", mention_id=first, user_id="U1", now=NOW)
    assert voted is not None and voted.votes == 1 and voted.counted and voted.account_name == "Shell"
    assert mentions.vote_not_relevant(session, team_id="T2", mention_id=first, user_id="U1", now=NOW) is None
    assert mentions.add_exclusion(
        session, team_id="T1", account_id=acc.id, phrase=" shell  company ", now=NOW
    ) == ["shell company"]
    assert mentions.add_exclusion(
        session, team_id="T1", account_id=acc.id, phrase="Shell Company", now=NOW
    ) == ["shell company"]
    with pytest.raises(feeds.FeedError, match="empty"):
        mentions.add_exclusion(session, team_id="T1", account_id=acc.id, phrase="  ", now=NOW)


def _mention(session: Session, team: str, name: str, key: str = "k1") -> int:
    acc = _account(session, team, name)
    mention = mentions.record_mention(
        session,
        team_id=team,
        account_id=acc.id,
        story_key=key,
        feed_id=None,
        title=f"{name} in the news",
        link=None,
        source=None,
        published_at=NOW,
        now=NOW,
    )
    assert mention is not None
    return mention


def _stored_votes(session: Session, mention_id: int) -> tuple[int, list[tuple[str, str]]]:
    mention = session.scalars(select(NewsMention).where(NewsMention.id == mention_id)).one()
    session.refresh(mention)
    voters = session.execute(
        select(NewsVote.team_id, NewsVote.user_id)
        .where(NewsVote.mention_id == mention_id)
        .order_by(NewsVote.user_id)
    ).all()
    return mention.not_relevant_votes, [tuple(v) for v in voters]


def test_the_same_person_voting_twice_counts_once(session: Session) -> None:
    mention = _mention(session, "T1", "Shell")
    first = mentions.vote_not_relevant(session, team_id="T1", mention_id=mention, user_id="U1", now=NOW)
    again = mentions.vote_not_relevant(
        session, team_id="T1", mention_id=mention, user_id="U1", now=NOW + timedelta(seconds=1)
    )
    assert first is not None and first.counted and first.votes == 1
    assert again is not None and not again.counted and again.votes == 1
    assert _stored_votes(session, mention) == (1, [("T1", "U1")])


def test_two_people_voting_count_two(session: Session) -> None:
    mention = _mention(session, "T1", "Shell")
    a = mentions.vote_not_relevant(session, team_id="T1", mention_id=mention, user_id="U1", now=NOW)
    b = mentions.vote_not_relevant(session, team_id="T1", mention_id=mention, user_id="U2", now=NOW)
    assert a is not None and b is not None and (a.votes, b.votes) == (1, 2) and a.counted and b.counted
    assert _stored_votes(session, mention) == (2, [("T1", "U1"), ("T1", "U2")])


def test_a_mention_of_another_workspace_is_refused_and_nothing_is_stored(session: Session) -> None:
    theirs = _mention(session, "T1", "Shell")
    _mention(session, "T2", "Gap")  # the voter's workspace exists and has stories of its own
    assert mentions.vote_not_relevant(session, team_id="T2", mention_id=theirs, user_id="U9", now=NOW) is None
    assert (
        mentions.vote_not_relevant(session, team_id="T2", mention_id=theirs + 1000, user_id="U9", now=NOW)
        is None
    )
    assert _stored_votes(session, theirs) == (0, [])
    assert session.scalar(select(func.count()).select_from(NewsVote)) == 0


def test_votes_go_with_their_mention(session: Session) -> None:
    mention = _mention(session, "T1", "Shell")
    mentions.vote_not_relevant(session, team_id="T1", mention_id=mention, user_id="U1", now=NOW)
    session.execute(delete(NewsMention).where(NewsMention.team_id == "T1", NewsMention.id == mention))
    assert session.scalar(select(func.count()).select_from(NewsVote)) == 0  # ON DELETE CASCADE


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("second_user", "expected"), [("U1", 1), ("U2", 2)], ids=["same-person", "two-people"]
)
def test_concurrent_votes_on_postgres(pg_url: str, second_user: str, expected: int) -> None:
    """Two sessions vote on one mention at the same time. The same person's double click: the second insert
    waits on the first's unique key, then does nothing, so the count stays 1. Two people: the second
    increment waits for the first's row lock and then adds to it, so the count is 2."""
    from storage.db import ensure_schema, make_engine, session_factory

    engine = make_engine(pg_url)
    ensure_schema(engine)
    sessions = session_factory(engine)
    team = "TVOTERACE"
    with sessions.begin() as s:
        mention = _mention(s, team, "Race Co")
    first = sessions()
    outcome: dict[str, object] = {}
    finished = threading.Event()

    def click() -> None:
        try:
            with sessions.begin() as s:
                outcome["vote"] = mentions.vote_not_relevant(
                    s, team_id=team, mention_id=mention, user_id=second_user, now=NOW
                )
        except Exception as exc:  # reported by the assertion below
            outcome["error"] = exc
        finished.set()

    try:
        mine = mentions.vote_not_relevant(first, team_id=team, mention_id=mention, user_id="U1", now=NOW)
        assert mine is not None and mine.counted  # not committed yet: holds the new key and the mention's row
        worker = threading.Thread(target=click)
        worker.start()
        time.sleep(0.5)
        assert not finished.is_set(), "the second click should wait for the first click's transaction"
        first.commit()
        worker.join(20)
    finally:
        first.close()
    vote = outcome.get("vote")
    assert isinstance(vote, mentions.NotRelevantVote), outcome
    assert vote.counted == (expected == 2) and vote.votes == expected
    with sessions.begin() as s:
        assert _stored_votes(s, mention) == (expected, [(team, u) for u in sorted({"U1", second_user})])
        s.execute(delete(NewsMention).where(NewsMention.team_id == team))
        s.execute(delete(Account).where(Account.team_id == team))
        s.execute(delete(Workspace).where(Workspace.team_id == team))
    engine.dispose()


def test_news_votes_table_matches_the_model(engine: Engine) -> None:
    """Migration 0005 creates exactly what storage.models.NewsVote declares (columns, keys, indexes)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    assert [d for d in diff if "news_votes" in repr(d)] == []
    assert "news_votes" in inspect(engine).get_table_names()
