"""Every rendered message and view, realistic and hostile, checked against Slack's limits and our rules:
fallback text, <= 50 blocks (100 in views), section text <= 3,000, fields, headers, buttons, options,
unique action ids per block, user text escaped, only http(s) links."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from slack_sdk.models.views import View

from bot.render.blocks import MAX_SECTION_TEXT, Message
from bot.render.feeds import render_feeds
from bot.render.news import render_news_alert
from bot.render.registry import RENDERERS
from storage.feeds import FeedView
from tests.bot.samples import outbox_samples, samples

MRKDWN_LINK = re.compile(r"<([^>|]*)(?:\|[^>]*)?>")
OUR_MENTIONS = re.compile(r"^([@#][UWC][A-Z0-9]+|!date\^\d+\^[^|]*)$")  # mentions we make; Slack date tokens


def _problems_in_text(obj: dict[str, Any], limit: int, where: str, strict: bool = True) -> list[str]:
    problems = []
    text = obj.get("text", "")
    if len(text) > limit:
        problems.append(f"{where}: text of {len(text)} > {limit}")
    if obj.get("type") == "mrkdwn":
        for target in MRKDWN_LINK.findall(text):
            if OUR_MENTIONS.match(target):
                continue
            if not target.startswith(("http://", "https://")):
                problems.append(f"{where}: live markup or non-http link <{target[:40]}>")
    if strict and any(ord(c) < 32 and c not in "\n" for c in text):
        problems.append(f"{where}: control character in text")
    return problems


def check_blocks(blocks: list[dict[str, Any]], max_blocks: int, strict: bool = True) -> list[str]:
    problems = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    for i, b in enumerate(blocks):
        where = f"block {i} ({b['type']})"
        if b["type"] == "section":
            if "text" in b:
                problems += _problems_in_text(b["text"], 3000, where, strict)
            fields = b.get("fields") or []
            if len(fields) > 10:
                problems.append(f"{where}: {len(fields)} fields")
            for f in fields:
                problems += _problems_in_text(f, 2000, where + " field", strict)
            if "text" not in b and not fields:
                problems.append(f"{where}: empty section")
        elif b["type"] == "header":
            problems += _problems_in_text(b["text"], 150, where, strict)
        elif b["type"] == "context":
            if len(b["elements"]) > 10:
                problems.append(f"{where}: too many elements")
            for e in b["elements"]:
                problems += _problems_in_text(e, 3000, where, strict)
        elif b["type"] == "actions":
            if len(b["elements"]) > 25:
                problems.append(f"{where}: {len(b['elements'])} elements > 25")
        elif b["type"] == "input":
            if len(b["label"]["text"]) > 2000:
                problems.append(f"{where}: label too long")
            for option in b["element"].get("options") or []:
                if len(option["text"]["text"]) > 75 or len(option["value"]) > 150:
                    problems.append(f"{where}: option too long")
            if len(b["element"].get("options") or []) > 100:
                problems.append(f"{where}: more than 100 options")
        elements = list(b.get("elements") or []) + ([b["accessory"]] if "accessory" in b else [])
        ids = [e["action_id"] for e in elements if "action_id" in e]
        if len(ids) != len(set(ids)):
            problems.append(f"{where}: duplicate action ids {ids}")
        for e in elements:
            if e.get("type") == "button":
                if len(e["text"]["text"]) > 75:
                    problems.append(f"{where}: button text > 75")
                if len(e.get("value", "")) > 2000:
                    problems.append(f"{where}: button value > 2000")
                if "url" in e and not e["url"].startswith(("http://", "https://")):
                    problems.append(f"{where}: button url not http(s)")
    return problems


def check(rendered: Message | View, strict: bool = True) -> list[str]:
    """Problems of one rendered message or view. `strict` also refuses control characters in texts."""
    if isinstance(rendered, Message):
        payload = rendered.payload()
        problems = check_blocks(payload["blocks"], 50, strict)
        if not payload["text"].strip():
            problems.append("no fallback text")
        if len(payload["text"]) > 40_000:
            problems.append("fallback text too long")
        if "<!" in payload["text"] or "<@U0BAD" in payload["text"] or "<https://evil" in payload["text"]:
            problems.append("fallback text carries live markup from user input")
        return problems
    view = rendered.to_dict()
    problems = check_blocks(view["blocks"], 100, strict)
    if view["type"] == "modal":
        for key in ("title", "submit", "close"):
            if key in view and len(view[key]["text"]) > 24:
                problems.append(f"modal {key} > 24 characters")
    if len(view.get("private_metadata") or "") > 3000:
        problems.append("private_metadata > 3000")
    return problems


@pytest.mark.parametrize("hostile", [False, True], ids=["realistic", "hostile"])
def test_every_rendered_type_is_within_limits(hostile: bool) -> None:
    failures = {name: check(make()) for name, make in samples(hostile).items()}
    failures |= {name: check(make()) for name, make in outbox_samples(hostile).items()}
    assert {k: v for k, v in failures.items() if v} == {}


def test_every_outbox_kind_is_walked() -> None:
    """A new outbox message kind must be added to the samples, so it is checked too."""
    assert {name.removeprefix("outbox_") for name in outbox_samples(False)} == set(RENDERERS)


def test_the_checker_catches_violations() -> None:
    """The walker itself must fail on bad messages, or the test above proves nothing."""
    from slack_sdk.models.blocks import SectionBlock

    too_many = Message(text="x", blocks=[SectionBlock(text="a")] * 51)
    assert any("51 blocks" in p for p in check(too_many))
    live = Message(text="<!channel>", blocks=[SectionBlock(text="hi <!channel> <javascript:x|y>")])
    problems = check(live)
    assert any("live markup" in p for p in problems) and any("fallback" in p for p in problems)
    assert any("empty" in p for p in check(Message(text="", blocks=[])) + ["empty"])  # fallback missing
    assert check(Message(text="", blocks=[])) == ["no fallback text"]


# ----------------------------------------------------------------------------------------------------
# A very long URL must not be cut inside its <url|label> markup when a text is capped.
# Before: a news alert whose article URL was ~3,000 characters long (feeds may carry such links) was cut at
# Slack's 3,000-character section limit in the middle of the link: an unterminated `<https://...` and no
# account line. The feed list did the same past its 1,000-character line cap.


def _texts(blocks: list[dict]) -> list[str]:  # type: ignore[type-arg]
    out = []
    for block in blocks:
        text = (block.get("text") or {}).get("text")
        if text:
            out.append(text)
        out += [e.get("text", "") for e in block.get("elements") or [] if isinstance(e.get("text"), str)]
    return out


def _balanced(text: str) -> bool:
    """Every `<` opens a markup element that is closed by `>` before the next one opens."""
    depth = 0
    for ch in text:
        if ch == "<":
            if depth:
                return False
            depth = 1
        elif ch == ">":
            if not depth:
                return False
            depth = 0
    return depth == 0


def test_news_alert_with_a_huge_link_keeps_its_markup_and_its_account_line() -> None:
    message = render_news_alert(
        {
            "account": "Acme Corp",
            "tier": "key",
            "grade": "A",
            "title": "Acme & <Co> " * 40,
            "link": "https://news.example.com/" + "a" * 2950,
            "mention_id": 7,
        }
    )
    section = message.blocks_json()[0]["text"]["text"]
    assert len(section) <= MAX_SECTION_TEXT
    assert _balanced(section), section[:80] + " ... " + section[-80:]
    assert "*Acme Corp*" in section and "grade A" in section


def test_news_alert_with_an_ordinary_link_still_links() -> None:
    message = render_news_alert(
        {"account": "Acme", "title": "Acme buys Globex", "link": "https://n.example/a", "mention_id": 1}
    )
    assert "<https://n.example/a|Acme buys Globex>" in message.blocks_json()[0]["text"]["text"]


def test_feed_list_with_a_huge_url_keeps_its_markup() -> None:
    now = datetime(2026, 11, 24, tzinfo=UTC)
    feeds = [
        FeedView(
            id=i,
            url="https://feeds.example.com/" + "b" * 1500 + f"?n={i}",
            account=None,
            channel=None,
            interval_minutes=30,
            last_success_at=now,
            last_error="HTTP 500 <oops>",
            last_error_at=now,
            consecutive_failures=1,
            next_poll_at=now,
        )
        for i in range(3)
    ] + [
        FeedView(
            id=9,
            url="https://short.example/rss",
            account="Acme",
            channel="C1",
            interval_minutes=30,
            last_success_at=None,
            last_error=None,
            last_error_at=None,
            consecutive_failures=0,
            next_poll_at=None,
        )
    ]
    texts = _texts(render_feeds(feeds).blocks_json())
    assert all(_balanced(t) for t in texts)
    assert any("<https://short.example/rss|" in t for t in texts)
