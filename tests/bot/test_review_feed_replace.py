"""Review: `/account set NAME feed URL` replaces the account's feed; the old one stops being polled.

Before: the new URL was added as a second feed of the account and the previous one kept being polled (and
alerting) forever, with no way to stop it from Slack.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from storage.models import Account, Feed
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import ADMIN, NOW, OWNER, all_text, portfolio

pytestmark = pytest.mark.slow


def ask(bot: BotHarness, text: str, user_id: str = OWNER) -> str:
    resp = bot.post_command(text, user_id=user_id)
    assert resp.status_code == 200
    return all_text(bot.followup(resp).params)


def _feeds(bot: BotHarness) -> set[tuple[str, str | None]]:
    with bot.sessions.begin() as s:
        rows = s.execute(
            select(Feed.url, Account.name).outerjoin(Account, Account.id == Feed.account_id)
        ).all()
        return {(url, name) for url, name in rows}


def test_setting_a_new_feed_retires_the_previous_one(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    assert "changed: not set → http://127.0.0.1:8999/old.rss" in ask(
        h, "set Globex feed http://127.0.0.1:8999/old.rss"
    )
    assert "feeds add" not in ask(h, "feeds add http://127.0.0.1:8999/all.rss", user_id=ADMIN)
    answer = ask(h, "set Globex feed http://127.0.0.1:8999/new.rss")
    assert "changed: http://127.0.0.1:8999/old.rss → http://127.0.0.1:8999/new.rss" in answer
    assert _feeds(h) == {("http://127.0.0.1:8999/new.rss", "Globex"), ("http://127.0.0.1:8999/all.rss", None)}
    # setting the same URL again changes nothing and keeps it
    assert "nothing changed" in ask(h, "set Globex feed http://127.0.0.1:8999/new.rss")
    assert ("http://127.0.0.1:8999/new.rss", "Globex") in _feeds(h)


def test_setting_the_feed_to_none_stops_polling_it(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    ask(h, "set Globex feed http://127.0.0.1:8999/old.rss")
    assert ("http://127.0.0.1:8999/old.rss", "Globex") in _feeds(h)
    answer = ask(h, "set Globex feed none")
    assert "http://127.0.0.1:8999/old.rss →" in answer
    assert _feeds(h) == set()
    with h.sessions.begin() as s:
        assert s.scalar(select(Account.news_feed).where(Account.name == "Globex")) is None
