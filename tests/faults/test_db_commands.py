"""Scenario 3, database blips, in the bot: signed `/account` commands into the real Bolt app over HTTP while the
fault proxy cuts its PostgreSQL connection (tests.faults.db_proxy).

- A read whose connection drops once is asked again and answers as it would have: once, correctly.
- While the database stays away the answer names the database, never Slack, and nothing is half-written (the
  stored grades of a unit of work cut between its statements are all rolled back); the bot answers again as soon
  as the database is back, without a restart.
- A write whose connection drops is not repeated: the reply says the database failed, the statements that had
  reached the server are rolled back, and the person's next try is stored once.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.render.replies import DATABASE_DOWN
from storage.models import Account, Interaction, LatestTouch, Workspace
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, portfolio
from tests.fakes.slack_api import SlackCall, all_text
from tests.faults.db_proxy import DbProxy

pytestmark = pytest.mark.postgres

SLACK_BLAMED = "Slack did not answer"


@pytest.fixture
def bot(make_bot_server: BotFactory, proxied_url: str, pg_sessions: sessionmaker[Session]) -> BotHarness:
    """The real bot behind the proxy, its clock at the seed's NOW, the seed portfolio written past the proxy."""
    h = make_bot_server(proxied_url, clock=lambda: NOW)
    with pg_sessions.begin() as s:
        portfolio(s, team=h.team_id)
    return h


def answer_to(h: BotHarness, text: str) -> SlackCall:
    """The response_url post made for `/account text` (acked at once with an empty 200, answered later)."""
    resp = h.post_command(text)
    assert resp.status_code == 200 and h.ack_json(resp) is None
    return h.followup(resp, timeout=30)


def answered_once_each(h: BotHarness, commands: int) -> bool:
    """Each of the `commands` sent got exactly one answer (no second answer after a retry, none missing)."""
    paths = [c.path for c in h.fake_slack.responses]
    return len(paths) == commands and len(set(paths)) == commands


def stored_grades(sessions: sessionmaker[Session], team: str) -> dict[str, Any]:
    """The grades the bot stores with the accounts, and the fingerprint that says they are current."""
    with sessions() as s:
        grades = {
            a.name: (a.tier, a.grade) for a in s.scalars(select(Account).where(Account.team_id == team))
        }
        return {"accounts": grades, "classified_with": s.get(Workspace, team).classified_with}


def touches(sessions: sessionmaker[Session], team: str) -> tuple[int, Any]:
    """Acme Corp's touches and its stored latest touch."""
    with sessions() as s:
        acme = s.scalar(select(Account.id).where(Account.team_id == team, Account.name == "Acme Corp"))
        count = s.scalar(select(func.count()).select_from(Interaction).where(Interaction.account_id == acme))
        latest = s.get(LatestTouch, acme)
        return int(count or 0), (latest.last_touch_at if latest else None)


@pytest.mark.parametrize("text", ["grade Acme", "list"])
def test_a_read_whose_connection_drops_once_is_asked_again_and_answered(
    bot: BotHarness,
    db_proxy: DbProxy,
    pg_sessions: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
    text: str,
) -> None:
    caplog.set_level(logging.WARNING, logger="accountbot.commands")
    db_proxy.cut_when(b"FROM accounts")  # the handler's first read of the accounts (the member check is done)
    answered = answer_to(bot, text)
    assert db_proxy.cuts == 1 and not db_proxy.armed  # the cut happened inside the command
    said = all_text(answered)
    assert answered.params["text"] != DATABASE_DOWN and "Acme Corp" in said and SLACK_BLAMED not in said
    assert "attempt=1" in caplog.text and "attempt=2" not in caplog.text  # asked again once, and it worked
    after_fault = stored_grades(pg_sessions, bot.team_id)
    assert after_fault["classified_with"] is not None and after_fault["accounts"]["Acme Corp"] == ("key", "A")

    again = answer_to(bot, text)  # no fault: the same answer, the same stored grades
    assert again.params["blocks"] == answered.params["blocks"]
    assert stored_grades(pg_sessions, bot.team_id) == after_fault
    assert answered_once_each(bot, 2)


@pytest.mark.parametrize(
    "cut_at",
    [
        None,  # before the command: the member check already meets a dead database
        b"FROM accounts",  # in the handler: the second try cannot connect either
        b"UPDATE workspaces SET classified_with",  # between the stored grades' statements of one transaction
    ],
    ids=["before", "in-handler", "mid-transaction"],
)
def test_while_the_database_stays_away_the_answer_names_it_and_nothing_is_half_written(
    bot: BotHarness, db_proxy: DbProxy, pg_sessions: sessionmaker[Session], cut_at: bytes | None
) -> None:
    before = stored_grades(pg_sessions, bot.team_id)
    assert before["classified_with"] is None  # never graded yet: the command would store the grades
    if cut_at is None:
        db_proxy.cut(refuse=True)
    else:
        db_proxy.cut_when(cut_at, refuse=True)
    answered = answer_to(bot, "grade Acme")
    assert db_proxy.cuts == 1 and db_proxy.refused >= 1  # the cut happened, and a new connection was refused
    assert answered.params["text"] == DATABASE_DOWN and "the database did not answer" in all_text(answered)
    assert SLACK_BLAMED not in all_text(answered)
    db_proxy.restore()
    assert stored_grades(pg_sessions, bot.team_id) == before  # the cut transaction left nothing behind

    back = answer_to(bot, "grade Acme")  # the database is back: the same bot answers, no restart
    assert back.params["text"] != DATABASE_DOWN and "Acme Corp" in all_text(back)
    assert stored_grades(pg_sessions, bot.team_id)["accounts"]["Acme Corp"] == ("key", "A")
    assert answered_once_each(bot, 2)


def test_a_write_whose_connection_drops_is_not_repeated_and_nothing_is_half_written(
    bot: BotHarness, db_proxy: DbProxy, pg_sessions: sessionmaker[Session]
) -> None:
    before = touches(pg_sessions, bot.team_id)
    assert before[0] == 2
    # The touch's INSERT reaches the server; the stored latest touch of the same transaction does not.
    db_proxy.cut_when(b"INSERT INTO latest_touches")
    answered = answer_to(bot, "log Acme call")
    assert db_proxy.cuts == 1 and db_proxy.seen(b"INSERT INTO interactions") == 1
    assert answered.params["text"] == DATABASE_DOWN and SLACK_BLAMED not in all_text(answered)
    assert "Logged" not in all_text(answered)
    assert touches(pg_sessions, bot.team_id) == before  # the INSERT that got through was rolled back

    retried = answer_to(bot, "log Acme call")  # the person tries again: stored once
    assert "Logged a call" in all_text(retried)
    assert db_proxy.seen(b"INSERT INTO interactions") == 2  # once per command: the bot never repeated it
    count, latest = touches(pg_sessions, bot.team_id)
    assert count == before[0] + 1 and latest is not None and latest > before[1]
    assert answered_once_each(bot, 2)
