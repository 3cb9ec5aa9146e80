"""The relay delivers a portfolio_report: the summary message (with the outbox metadata), then both chart
images into the same DM, exactly once, also when an attempt fails half-way and is retried."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from accounts.charts import ChartAccount, concentration_chart, quadrant_chart
from accounts.thresholds import Thresholds
from bot.relay import METADATA_EVENT, Relay
from bot.render.registry import render
from storage.db import ensure_workspace
from storage.models import OutboxMessage
from storage.queues import outbox
from tests.bot.test_relay import TEAM, Clock, _real_now, client_for, make_relay, posts, row
from tests.fakes.slack_api import FakeSlackApi, all_text

ADMIN = "U0ADMIN"
DM = "D0ADMIN"


def chart_account(i: int, quadrant: str = "key", grade: str | None = "A", tier: str = "key") -> ChartAccount:
    return ChartAccount(
        name=f"Account {i}",
        tier=tier,
        grade=grade,
        annual_revenue=1_000_000.0 / (i + 1),
        engagement_pairs=i % 5,
        engagement=None,
        potential=None,
        wallet_share=30.0 + i,
        prospect_fit=None,
        quadrant=quadrant,
    )


def report_facts(accounts: list[ChartAccount]) -> dict[str, Any]:
    """The facts shape jobs.portfolio_report writes (built here from the pure chart functions)."""
    th = Thresholds()
    key = sum(1 for a in accounts if a.tier == "key")
    pareto = concentration_chart([a.annual_revenue for a in accounts if a.tier != "prospect"], key)
    quadrant = quadrant_chart(accounts, th)
    return {
        "week": "2026-W48",
        "monday": "2026-11-23",
        "accounts": len(accounts),
        "tiers": {"key": key, "secondary": len(accounts) - key, "prospect": 0},
        "grades": {"A": len(accounts), "B": 0, "C": 0},
        "quadrants": quadrant.counts(),
        "concentration": {
            "headline": pareto.headline,
            "key_count": pareto.key_count,
            "key_share": pareto.key_share,
            "clients": pareto.n,
        },
        "moves": [
            {
                "account": "Account 1",
                "old_tier": "secondary",
                "new_tier": "key",
                "old_grade": "B",
                "new_grade": "A",
            }
        ],
        "moves_total": 1,
        "quadrant_chart": quadrant.to_facts(),
        "concentration_chart": pareto.to_facts(),
    }


def enqueue_report(sessions, accounts: list[ChartAccount] | None = None) -> int:
    facts = report_facts([chart_account(i) for i in range(4)] if accounts is None else accounts)
    with sessions.begin() as s:
        ensure_workspace(s, TEAM)
        new_id = outbox.enqueue(
            s,
            team_id=TEAM,
            recipient=ADMIN,
            kind="portfolio_report",
            facts=facts,
            period=f"{ADMIN}:2026-W48",
            now=_real_now() - timedelta(seconds=5),
        )
    assert new_id is not None
    return new_id


@pytest.fixture
def slack():
    with FakeSlackApi(team_id=TEAM) as fake:
        yield fake


def assert_delivered_once(fake: FakeSlackApi, sessions, message_id: int) -> None:
    (post,) = posts(fake)
    assert post.params["channel"] == DM
    assert post.params["metadata"] == {
        "event_type": METADATA_EVENT,
        "event_payload": {"outbox_id": message_id},
    }
    shared = fake.shared_files(DM)
    assert [f["filename"] for f in shared] == [
        f"portfolio-2026-W48-outbox-{message_id}-quadrant.png",
        f"portfolio-2026-W48-outbox-{message_id}-concentration.png",
    ]
    for f in shared:
        assert f["alt_txt"] and f["title"].startswith(
            ("Portfolio quadrant, week 2026-W48", "Revenue concentration")
        )
        image = Image.open(io.BytesIO(f["content"]))
        assert image.format == "PNG" and image.size[0] >= 1600 and image.size[1] >= 1000
    r = row(sessions, message_id)
    assert r.status == "sent" and r.slack_ts == post.answer["ts"] and r.channel == DM  # type: ignore[index]


def test_report_is_a_summary_then_two_images_in_the_same_dm(sessions, slack) -> None:
    message_id = enqueue_report(sessions)
    clock = Clock()
    stats = make_relay(sessions, slack, clock).drain()
    assert stats.sent == 1 and stats.dead == 0
    assert_delivered_once(slack, sessions, message_id)
    text = all_text(posts(slack)[0])
    assert (
        "Portfolio report, week 2026-W48" in text
        and "all 4 clients are key tier, with 100% of revenue" in text
    )
    assert "Account 1" in text and "secondary B → key A" in text
    # the summary comes before the images
    methods = [
        c.method for c in slack.calls if c.method in ("chat.postMessage", "files.completeUploadExternal")
    ]
    assert methods == ["chat.postMessage", "files.completeUploadExternal"]
    clock.advance(minutes=30)
    assert make_relay(sessions, slack, clock).drain().claimed == 0


@pytest.mark.parametrize(
    "method,processed",
    [
        ("files.completeUploadExternal", False),  # refused: nothing shared
        ("files.completeUploadExternal", True),  # shared, but the answer was a 500
        ("upload", False),  # the bytes did not arrive
        ("files.getUploadURLExternal", False),
    ],
)
def test_a_failed_upload_is_retried_without_doubling(sessions, slack, method: str, processed: bool) -> None:
    message_id = enqueue_report(sessions)
    clock = Clock()
    kw: dict[str, Any] = {"processed": True} if processed else {}
    slack.fail_next(method, status=500, **kw)
    relay = make_relay(sessions, slack, clock)
    first = relay.run_once()
    assert first.retried == 1 and first.sent == 0
    r = row(sessions, message_id)
    assert r.status == "pending" and r.slack_ts is not None  # the summary is recorded as done
    assert r.last_error and r.last_error.startswith("files")
    clock.advance(minutes=1)
    relay.drain()
    assert_delivered_once(slack, sessions, message_id)
    assert len(slack.calls_to("conversations.history")) >= 1  # the retry looked for earlier files first


def test_a_relay_that_dies_after_the_summary_leaves_only_the_images_to_the_next(sessions, slack) -> None:
    message_id = enqueue_report(sessions)
    clock = Clock()
    dying = make_relay(sessions, slack, clock, worker="dies")

    def die(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed mid-upload")

    dying.client.files_upload_v2 = die  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        dying.run_once()
    assert len(posts(slack)) == 1 and slack.shared_files() == []
    clock.advance(minutes=3)  # the lease (2 minutes) expires
    stats = make_relay(sessions, slack, clock, worker="takes-over").drain()
    assert stats.sent == 1
    assert_delivered_once(slack, sessions, message_id)


def test_a_permanent_upload_error_is_dead_and_retry_sends_only_the_images(sessions, slack) -> None:
    message_id = enqueue_report(sessions)
    clock = Clock()
    slack.fail_next("files.completeUploadExternal", error="restricted_action")
    make_relay(sessions, slack, clock).drain()
    r = row(sessions, message_id)
    assert r.status == "dead" and "restricted_action" in (r.last_error or "")
    with sessions.begin() as s:
        assert outbox.retry(s, team_id=TEAM, message_id=message_id, now=clock()) is not None
    make_relay(sessions, slack, clock).drain()
    assert_delivered_once(slack, sessions, message_id)


def test_empty_and_single_account_reports_draw_something(sessions, slack) -> None:
    empty = enqueue_report(sessions, [])
    clock = Clock()
    make_relay(sessions, slack, clock).drain()
    assert row(sessions, empty).status == "sent"
    assert len(slack.shared_files(DM)) == 2
    assert "0 accounts" in all_text(posts(slack)[0])
    with sessions.begin() as s:
        s.execute(select(OutboxMessage.id))  # the session works after the drain
    one = report_facts([chart_account(0)])
    assert render("portfolio_report", one).text.startswith("Portfolio report, week 2026-W48: 1 account /")


def test_relay_needs_no_new_client(sessions, slack) -> None:
    """The relay's own WebClient (no retry handlers) does the uploads too."""
    relay = Relay(sessions, client_for(slack), team_id=TEAM)
    assert relay.client.retry_handlers == []


def test_hostile_names_in_the_summary_stay_text_and_every_line_survives() -> None:
    """Moves name accounts: a 10,000-character name used to eat the whole section (Slack's 3,000 limit cut
    the moves line mid-name, leaving a dangling bold)."""
    names = ["<!channel> Alert", "<@U0ADMIN> Corp", "*Bold* _it_ ~s~", "Line\nBreak", "שלום 🚀 Ltd"] + [
        "X" * 10_000
    ] * 4
    facts = report_facts([chart_account(i) for i in range(4)])
    facts["moves"] = [
        {"account": n, "old_tier": "secondary", "new_tier": "key", "old_grade": "B", "new_grade": "A"}
        for n in names
    ]
    facts["moves_total"] = 12
    message = render("portfolio_report", facts)
    payload = message.payload()
    section = payload["blocks"][0]["text"]["text"]
    assert len(section) < 3000 and not section.endswith("…")
    lines = section.split("\n")
    assert (
        len(lines) == 5
        and lines[4].startswith("*Last 7 days:* 12 accounts moved")
        and lines[4].endswith("and 4 more")
    )
    assert "<!channel>" not in section and "&lt;!channel&gt; Alert" in section and "<@U0ADMIN>" not in section
    assert "X" * 121 not in section and "Line Break" in section
    assert "<!channel>" not in payload["text"] and len(payload["text"]) <= 3000


def test_large_counts_are_written_with_thousands_separators() -> None:
    facts = report_facts([chart_account(i) for i in range(4)])
    facts["accounts"] = 100_000
    facts["tiers"] = {"key": 25_000, "secondary": 60_000, "prospect": 15_000}
    facts["moves_total"] = 1_234
    text = render("portfolio_report", facts).text
    assert (
        "100,000 accounts" in text
        and "1,234 accounts moved" in text
        and "25,000 key · 60,000 secondary" in text
    )
