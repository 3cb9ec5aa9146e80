"""The "Not relevant" button and the exclusion modal, end to end: real bot over HTTP, fake Slack on loopback."""

from __future__ import annotations

import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.render.registry import render
from storage import mentions as mention_store
from storage.db import ensure_workspace
from storage.models import Account, NewsMention, NewsVote
from tests.bot.conftest import (  # noqa: F401 - fixtures
    BotHarness,
    bot_server,
    bot_server_any_db,
    fake_slack,
    make_bot_server,
)
from tests.fakes.slack_signing import input_text
from tests.news.conftest import NOW

OWNER = "U0OWNER01"
STRANGER = "U0OTHER01"


def _seed(sessions: sessionmaker[Session], team: str) -> tuple[int, int]:
    with sessions.begin() as s:
        ensure_workspace(s, team)
        acc = Account(
            team_id=team,
            name="Shell",
            name_key="shell",
            owner_user_id=OWNER,
            exclusions=[],
            created_at=NOW,
            updated_at=NOW,
        )
        s.add(acc)
        s.flush()
        mention = mention_store.record_mention(
            s,
            team_id=team,
            account_id=acc.id,
            story_key="k" * 64,
            feed_id=None,
            title="Shell company in Delaware hid <millions>",
            link="https://news.example.com/x",
            source="Wire",
            published_at=NOW,
            now=NOW,
        )
        assert mention is not None
        return acc.id, mention


def _votes(sessions: sessionmaker[Session], team: str, mention_id: int) -> int:
    with sessions.begin() as s:
        mention = s.get(NewsMention, mention_id)
        assert mention is not None and mention.team_id == team
        return mention.not_relevant_votes


def test_owner_votes_and_adds_an_exclusion_phrase(bot_server: BotHarness) -> None:  # noqa: F811
    h = bot_server
    account_id, mention_id = _seed(h.sessions, h.team_id)
    resp = h.post_action("news_not_relevant", value=str(mention_id), user_id=OWNER)
    assert resp.status_code == 200
    view = h.fake_slack.wait_for("views.open")[-1].params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert view["callback_id"] == "news_exclusion"
    assert "&lt;millions&gt;" in json.dumps(view)  # the headline is escaped
    assert _votes(h.sessions, h.team_id, mention_id) == 1

    empty = h.post_view_submission(
        "news_exclusion",
        {"phrase": {"phrase": input_text("  ")}},
        private_metadata=view["private_metadata"],
        user_id=OWNER,
    )
    assert h.ack_json(empty)["response_action"] == "errors"

    done = h.post_view_submission(
        "news_exclusion",
        {"phrase": {"phrase": input_text("shell  company")}},
        private_metadata=view["private_metadata"],
        user_id=OWNER,
    )
    ack = h.ack_json(done)
    assert ack["response_action"] == "update" and "shell company" in json.dumps(ack["view"])
    with h.sessions.begin() as s:
        assert s.get(Account, account_id).exclusions == ["shell company"]  # type: ignore[union-attr]


def test_anyone_else_gets_a_thank_you_and_cannot_forge_the_form(bot_server: BotHarness) -> None:  # noqa: F811
    h = bot_server
    account_id, mention_id = _seed(h.sessions, h.team_id)
    h.post_action("news_not_relevant", value=str(mention_id), user_id=STRANGER)
    reply = h.fake_slack.wait_for_response()
    assert "not relevant for *Shell*" in json.dumps(reply.params)
    assert not h.fake_slack.calls_to("views.open")
    assert _votes(h.sessions, h.team_id, mention_id) == 1

    meta = json.dumps({"account_id": account_id, "mention_id": mention_id})
    forged = h.post_view_submission(
        "news_exclusion",
        {"phrase": {"phrase": input_text("anything")}},
        private_metadata=meta,
        user_id=STRANGER,
    )
    assert "owner or an admin" in json.dumps(h.ack_json(forged))
    # Another workspace cannot touch this account either.
    other = h.post_view_submission(
        "news_exclusion",
        {"phrase": {"phrase": input_text("x")}},
        private_metadata=meta,
        user_id=OWNER,
        team_id="T0OTHER99",
    )
    assert "not in your workspace" in json.dumps(h.ack_json(other))


def test_a_second_click_by_the_same_person_answers_already_and_counts_once(
    bot_server_any_db: BotHarness,  # noqa: F811
) -> None:
    h = bot_server_any_db
    _, mention_id = _seed(h.sessions, h.team_id)
    h.post_action("news_not_relevant", value=str(mention_id), user_id=STRANGER)
    first = json.dumps(h.fake_slack.wait_for_response().params)
    assert "Thanks, marked as not relevant" in first and "1 person so far" in first
    resp = h.post_action("news_not_relevant", value=str(mention_id), user_id=STRANGER)
    assert resp.status_code == 200
    again = json.dumps(h.fake_slack.wait_for_response(count=2).params)
    assert "You already marked this as not relevant" in again and "1 person so far" in again
    assert _votes(h.sessions, h.team_id, mention_id) == 1
    # Another person's vote still counts.
    h.post_action("news_not_relevant", value=str(mention_id), user_id="U0THIRD01")
    assert "2 people so far" in json.dumps(h.fake_slack.wait_for_response(count=3).params)
    assert _votes(h.sessions, h.team_id, mention_id) == 2


def test_the_owner_clicking_again_still_gets_the_phrase_form(bot_server: BotHarness) -> None:  # noqa: F811
    h = bot_server
    _, mention_id = _seed(h.sessions, h.team_id)
    for _ in range(3):
        assert h.post_action("news_not_relevant", value=str(mention_id), user_id=OWNER).status_code == 200
    views = h.fake_slack.wait_for("views.open", count=3)
    texts = [
        json.dumps(json.loads(v) if isinstance(v, str) else v) for v in (c.params["view"] for c in views)
    ]
    assert sum("You already marked this as not relevant" in t for t in texts) == 2
    assert sum("your vote is recorded" in t for t in texts) == 1
    assert all('"callback_id": "news_exclusion"' in t for t in texts)
    assert _votes(h.sessions, h.team_id, mention_id) == 1


def test_a_mention_id_from_another_workspace_does_nothing(bot_server: BotHarness) -> None:  # noqa: F811
    h = bot_server
    _, mention_id = _seed(h.sessions, h.team_id)
    _seed(h.sessions, "T0OTHER99")
    h.fake_slack.add_user("U0INTRUDER", team_id="T0OTHER99")  # a full member over there
    h.post_action("news_not_relevant", value=str(mention_id), user_id="U0INTRUDER", team_id="T0OTHER99")
    assert "not known in this workspace" in json.dumps(h.fake_slack.wait_for_response().params)
    assert _votes(h.sessions, h.team_id, mention_id) == 0
    with h.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(NewsVote)) == 0


def test_unknown_mention_gets_a_clear_answer(bot_server: BotHarness) -> None:  # noqa: F811
    h = bot_server
    h.post_action("news_not_relevant", value="99999", user_id=OWNER)
    assert "not known" in json.dumps(h.fake_slack.wait_for_response().params)


def test_alert_renders_through_the_registry() -> None:
    facts = {
        "account": "AT&T <Inc>",
        "account_id": 3,
        "tier": "key",
        "grade": "A",
        "mention_id": 17,
        "title": "AT&T *wins* <big> deal",
        "link": "https://news.example.com/a?b=1&c=2",
        "source": "Wire <x>",
        "published": "2026-03-02T07:00:00+00:00",
        "feed_id": 1,
    }
    message = render("news_alert", facts)
    payload = json.dumps(message.payload())
    assert "AT&amp;T *wins* &lt;big&gt; deal" in payload
    assert "<https://news.example.com/a?b=1&c=2|" in json.loads(payload)["blocks"][0]["text"]["text"]
    assert "Key account" in payload and "grade A" in payload and "Wire &lt;x&gt;" in payload
    assert "<!date^1772434800^" in payload
    buttons = message.payload()["blocks"][-1]["elements"]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        ("open_grade", "AT&T <Inc>"),
        ("news_not_relevant", "17"),
    ]
    # A dangerous link is dropped, the title stays as text; missing facts are fine.
    bare = render("news_alert", {"account": "X", "title": "T", "link": "javascript:alert(1)"}).payload()
    assert "javascript" not in json.dumps(bare) and len(bare["blocks"]) == 2
