"""The escalation message and the digest's escalated section: account, days overdue, nudges ignored; escaped;
within Slack's limits (the escalation's snapshot is tests/bot/snapshots/escalation.json)."""

from __future__ import annotations

from typing import Any

from bot.render.escalation import channel, escalated_text
from bot.render.registry import render
from tests.bot.samples import EVIL, escalated_digest_facts, escalation_facts
from tests.bot.test_limits import check


def _text(message: Any) -> str:
    return message.text + "\n" + "\n".join(str(b) for b in message.blocks_json())


def test_the_escalation_names_the_account_the_days_overdue_and_the_nudges_ignored() -> None:
    facts: dict[str, Any] = {
        **escalation_facts(False),
        "days_since": 20,
        "days_overdue": 6,
        "nudges_ignored": 3,
        "cadence_days": 14,
    }
    message = render("escalation", facts)
    assert message.text == "Escalation: Acme Corp, 6 days overdue, 3 nudge(s) ignored"
    body = _text(message)
    assert "*6 days overdue*" in body and "*3 nudges ignored*" in body and "Last touch 20 days ago" in body
    assert "owned by <@U0OWNER01>" in body and "as <@U0OWNER01>'s manager" in body
    assert "(check-up due, overdue for a touch)" in body  # the reasons of the ignored nudges, in words
    channel_post = render("escalation", {**facts, "to_kind": "channel"})
    assert "no manager of <@U0OWNER01> is on record" in _text(channel_post)
    never = render("escalation", {**facts, "days_overdue": None, "days_since": None})
    assert "never touched" in never.text and "has *never been touched*" in _text(never)


def test_hostile_escalations_are_escaped_and_within_limits() -> None:
    message = render("escalation", escalation_facts(True))
    assert check(message) == []
    assert "<!channel>" not in " ".join(
        b["text"]["text"] for b in message.blocks_json() if b["type"] == "section"
    )
    digest = render("digest", escalated_digest_facts(True))
    assert check(digest) == []
    assert len(digest.blocks) <= 50


def test_the_digest_lists_escalated_accounts_instead_of_their_items() -> None:
    facts = escalated_digest_facts(False)
    digest = render("digest", facts)
    assert digest.text.startswith("Your accounts today: 3 escalated")
    body = _text(digest)
    assert "Acme Corp*: 6 days overdue, 3 nudges ignored; escalated to <@U0MANAGER> on 2026-11-23" in body
    assert "Globex*: never touched, 4 nudges ignored; escalated to <#C0ESCAL01>" in body
    assert "Nothing is due today" not in body
    with_items = {
        **facts,
        "sections": {"stale": {"items": [{"account_id": 9, "account": "Zeta", "days_since": 40,
                                          "cadence_days": 14, "last_touch": None}], "more": 0}},
    }  # fmt: skip
    both = _text(render("digest", with_items))
    assert both.index("Escalated") < both.index("Zeta")
    assert "Escalated" not in _text(render("digest", {**facts, "escalated": []}))


def test_escalated_text_caps_the_list_and_channels_are_links_only_when_they_are_ids() -> None:
    notes = escalated_digest_facts(True)["escalated"]
    text = escalated_text(notes)  # type: ignore[arg-type]
    assert "_and 30 more_" in text and text.count("\n• ") == 10
    assert channel("C0ESCAL01") == "<#C0ESCAL01>"
    assert channel(EVIL).startswith("&lt;!channel&gt;")
    assert channel(None) == "the escalation channel"
