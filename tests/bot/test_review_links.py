"""Review: a very long URL must not be cut inside its <url|label> markup when a text is capped.

Before: a news alert whose article URL was ~3,000 characters long (feeds may carry such links) was cut at
Slack's 3,000-character section limit in the middle of the link: an unterminated `<https://...` and no
account line. The feed list did the same past its 1,000-character line cap.
"""

from __future__ import annotations

from datetime import UTC, datetime

from bot.render.blocks import MAX_SECTION_TEXT
from bot.render.feeds import render_feeds
from bot.render.news import render_news_alert
from storage.feeds import FeedView


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
