"""Every message and view the Slack face renders, built from plain data (no database, fixed clock).

`samples(hostile=False)` gives realistic ones for the snapshots; `samples(hostile=True)` the same types
filled with the worst input we can think of (huge, markup, control characters, thousands of rows), for
the limits check.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from slack_sdk.models.views import View

from accounts.grading import assess_portfolio
from accounts.model import AccountFacts, Assessment
from bot.commands.registry import help_message as render_help
from bot.render.blocks import Message
from bot.render.card import card_blocks, render_card, render_shared_card
from bot.render.contacts import render_contacts
from bot.render.feeds import render_feeds
from bot.render.focus import render_focus
from bot.render.home import render_home
from bot.render.list import render_list
from bot.render.modal import (
    render_card_modal,
    render_log_touch_modal,
    render_reply_modal,
    render_touch_logged,
)
from bot.render.registry import render as render_outbox
from bot.render.replies import (
    render_admin_only,
    render_ambiguous,
    render_done,
    render_not_found,
    render_problem,
    render_refusal,
    render_slack_failed,
)
from storage.feeds import FeedView
from storage.reads.cards import AccountCard, TouchView
from storage.reads.contacts import ContactView
from storage.reads.home import HomeData, SpofWarning
from storage.reads.summaries import AccountSummary
from tests.conftest import NOW

HOME_AS_OF = NOW + timedelta(
    hours=1
)  # the App Home snapshots show "as of 10:00 UTC"; they stay byte-identical

EVIL = "<!channel> *Ev&l* <@U0BAD|x> <https://evil.example|click> `code` ~s~ _i_ \u202e\u200b\x07 '; DROP TABLE x; --"


def _name(i: int, hostile: bool) -> str:
    if not hostile:
        return ["Acme Corp", "Globex", "Initech", "Umbrella", "Hooli"][i % 5] + ("" if i < 5 else f" {i}")
    return (f"{i} " + EVIL * 10)[:200]


def _assessments(n: int, hostile: bool) -> list[Assessment]:
    facts = [
        AccountFacts(
            name=_name(i, hostile),
            id=i + 1,
            annual_revenue=2_000_000 / (i + 1),
            wallet_share=40 + i % 50,
            profit_margin=-5 if i % 7 == 3 else 30 - i % 25,
            strategic_value="high" if i == 0 else None,
            pain_factor="high" if i % 7 == 3 else "low",
            stage="prospect" if i % 11 == 4 else "client",
        )
        for i in range(n)
    ]
    verdicts = assess_portfolio(facts)
    if hostile:
        verdicts = [
            Assessment(
                name=v.name,
                tier=v.tier,
                grade=v.grade,
                score=v.score,
                quadrant=v.quadrant,
                ratings=v.ratings,
                flags=[*v.flags, EVIL * 3],
                reasons=[EVIL * 20] * 40,
                next_step=EVIL * 100,
                treatment=EVIL * 100,
                id=v.id,
            )
            for v in verdicts
        ]
    return verdicts


def _summary(a: Assessment, i: int, hostile: bool) -> AccountSummary:
    last = None if i % 4 == 2 else NOW - timedelta(days=3 + 9 * i % 120)
    days_since = None if last is None else (NOW - last).days
    cadence = {"A": 14, "B": 30, "C": 90}.get(a.grade or "")
    if cadence and a.tier == "key":
        cadence = min(cadence, 30)
    snoozed = NOW + timedelta(days=7) if i % 9 == 5 else None
    overdue = bool(cadence) and snoozed is None and (days_since is None or days_since > (cadence or 0))
    return AccountSummary(
        id=a.id or i,
        name=a.name,
        owner_user_id="U0OWNER01",
        stage="prospect" if a.tier == "prospect" else "client",
        annual_revenue=2_000_000 / (i + 1),
        assessment=a,
        last_touch_at=last,
        days_since_touch=days_since,
        cadence_days=cadence,
        snoozed_until=snoozed,
        overdue=overdue,
    )


def _contacts(n: int, hostile: bool) -> list[ContactView]:
    return [
        ContactView(
            id=i + 1,
            name=(EVIL * 5)[:200] if hostile else ["Jane Doe", "Bob Stone", "Kim Lee", "Al Gone"][i % 4],
            title=(EVIL * 5)[:200] if hostile else ["CFO", "Buyer", None, "CTO"][i % 4],
            email=None if i % 2 else ("jane@acme.example" if not hostile else EVIL[:320]),
            role="decision_maker" if i % 3 == 0 else "user",
            active=i % 4 != 3,
            left_at=NOW - timedelta(days=30) if i % 4 == 3 else None,
        )
        for i in range(n)
    ]


def _card(a: Assessment, s: AccountSummary, hostile: bool) -> AccountCard:
    return AccountCard(
        summary=s,
        owner=None,
        sponsor_user_id="U0SPONSOR" if not hostile else "<!channel>",
        sponsor_level="executive",
        wallet_share=40,
        profit_margin=30,
        profitability=None,
        strategic_value="high",
        pain_factor=None,
        engagement=None,
        potential=None,
        aliases=[EVIL] if hostile else ["ACME"],
        last_touch=TouchView(
            NOW - timedelta(days=20),
            EVIL if hostile else "call",
            EVIL if hostile else "Bob Stone",
            "U0OWNER01",
            EVIL * 50 if hostile else "renewal",
        ),
        decision_makers=1,
        active_contacts=2,
        snooze_reason=EVIL * 30 if hostile else None,
    )


Sample = Callable[[], Message | View]


def outbox_samples(hostile: bool) -> dict[str, Sample]:
    """The outbox renderers (nudges, news) fed with facts made by the real rules, so the limits walk covers
    every message the bot can send, not only the command answers."""
    from accounts.dead_letters import summarize
    from accounts.signals import AccountState, ContactTouches, build_digest, choose_focus, tier_change
    from bot.render.registry import render

    n = 40 if hostile else 3
    states = [
        AccountState(
            id=i + 1,
            name=_name(i, hostile),
            tier="key",
            grade="A",
            owner="U0OWNER01",
            annual_revenue=1e6 - i,
            last_touch=None,
            decision_makers=i % 2,
            sole_decision_maker=(EVIL if hostile else "Jane Doe") if i % 2 else None,
            window_touches=(
                ContactTouches(EVIL if hostile else "Jane Doe", 9, ("U0COLLEAG",)),
                ContactTouches("B", 1, ("U0OTHER1",)),
            ),
            revenue_recent=10.0,
            revenue_prior=100.0,
        )
        for i in range(n)
    ]
    digest = build_digest("U0OWNER01", NOW.date(), states, NOW)
    focus = choose_focus(states, NOW)
    verdict = _assessments(1, hostile)[0]
    change = tier_change(1, "secondary", "C", verdict)
    assert digest is not None and focus is not None and change is not None
    news = {
        "account": _name(0, hostile),
        "account_id": 1,
        "title": EVIL * 20 if hostile else "Acme opens a plant",
        "link": "javascript:alert(1)" if hostile else "https://news.example/acme",
        "source": EVIL if hostile else "Example News",
        "published": NOW.isoformat(),
        "tier": "key",
        "grade": "A",
        "mention_id": 7,
    }
    return {
        "outbox_digest": lambda: render("digest", digest.to_facts()),
        "outbox_weekly_focus": lambda: render("weekly_focus", focus.to_facts()),
        "outbox_tier_change": lambda: render("tier_change", change.to_facts()),
        "outbox_news_alert": lambda: render("news_alert", news),
        "outbox_portfolio_report": lambda: render("portfolio_report", _report_facts(n, hostile)),
        "outbox_dead_letters": lambda: render(
            "dead_letters",
            summarize(
                "2026-11-24",
                [("digest", EVIL if hostile else "not_in_channel")] * 3
                + [("news_alert", f"gave up after 10 attempts: {EVIL if hostile else 'internal_error'}")],
            ),
        ),  # fmt: skip
        "outbox_escalation": lambda: render("escalation", escalation_facts(hostile)),
        "outbox_feed_paused": lambda: render(
            "feed_paused",
            {
                "feed_id": 3,
                "url": ("https://n.example/" + EVIL * 40) if hostile else "https://n.example/rss",
                "channel": "C0NEWS",
                "error": "not_in_channel",
            },
        ),  # fmt: skip
        "outbox_crm_sync_failed": lambda: render(
            "crm_sync_failed",
            {
                "source": "hubspot",
                "failure": "auth",
                "object": "companies",
                "error": (EVIL * 20) if hostile else "HubSpot refused the access token (401: expired).",
                "fix": "create a new Service Key, then `accountbot crm connect hubspot --team T1 --save`",
                "since": NOW.isoformat(),
            },
        ),  # fmt: skip
    }


def escalation_facts(hostile: bool) -> dict[str, object]:
    """An escalation's facts, made by the real rule (accounts.escalation) for a never-touched key account."""
    from accounts.escalation import SentNudge, escalation
    from accounts.signals import AccountState

    state = AccountState(
        id=1, name=_name(0, hostile), tier="key", grade="A", owner=EVIL if hostile else "U0OWNER01"
    )
    reasons = [EVIL, "stale"] if hostile else ["stale", "checkup_due", "stale"]
    sent = [SentNudge(i, NOW - timedelta(days=3 - i), r) for i, r in enumerate(reasons)] + [
        SentNudge(9, NOW, "stale")
    ]
    found = escalation(state, sent, NOW)
    assert found is not None
    return dict(found.to_facts("2026-W48", "manager"))


def nudge_report(hostile: bool) -> object:
    """An accounts.outcomes.OutcomeReport over made-up nudges: many owners and accounts when hostile."""
    from accounts.outcomes import NudgeRecord, outcome_report

    reasons = ["stale", "single_point_of_failure", "checkup_due", "sponsor_missing", "revenue_drop"]
    n = 3000 if hostile else 12
    records = [
        NudgeRecord(
            i % 40 + 1,
            _name(i % 40, hostile),
            (EVIL[:30] + str(i % 200)) if hostile else f"U0OWNER0{i % 3}",
            (EVIL if hostile and i % 7 == 0 else reasons[i % 5]),
            NOW - timedelta(days=27 - i * 27 / n),
            None if i % 3 == 0 else NOW - timedelta(days=27 - i * 27 / n - 1 - i % 4),
        )
        for i in range(n)
    ]
    return outcome_report(records, NOW - timedelta(days=28), NOW, escalations=2)


def escalated_digest_facts(hostile: bool) -> dict[str, object]:
    """A digest after escalations: the escalated accounts listed instead of their items."""
    notes = [
        {
            "account_id": i + 1,
            "account": _name(i, hostile),
            "to": (EVIL if hostile else "C0ESCAL01") if i % 2 else "U0MANAGER",
            "to_kind": "channel" if i % 2 else "manager",
            "escalated_on": "2026-11-23",
            "days_overdue": None if i == 1 else 6 + i,
            "nudges_ignored": 3 + i,
        }
        for i in range(40 if hostile else 3)
    ]
    return {"owner": "U0OWNER01", "date": "2026-11-24", "sections": {}, "escalated": notes}


def _report_facts(n: int, hostile: bool) -> dict[str, object]:
    """A weekly portfolio report's facts, made by the job's own summary (charts included)."""
    from datetime import date

    from accounts.charts import ChartAccount
    from accounts.thresholds import Thresholds
    from jobs.portfolio_report import summary_facts

    quadrants = ("key", "growth", "maintenance", "service")
    accounts = [
        ChartAccount(
            name=_name(i, hostile),
            tier="key" if i < n // 4 + 1 else "secondary",
            grade="ABC"[i % 3],
            annual_revenue=1e6 / (i + 1),
            engagement_pairs=i % 6,
            engagement=None,
            potential=None,
            wallet_share=float(i % 100),
            prospect_fit=None,
            quadrant=quadrants[i % 4],
        )
        for i in range(n)
    ]
    moves = [
        {
            "account": _name(i, hostile),
            "old_tier": "secondary",
            "new_tier": "key",
            "old_grade": "C",
            "new_grade": EVIL if hostile else "A",
        }
        for i in range(n)
    ]
    return summary_facts(accounts, Thresholds(), moves, "2026-W48", date(2026, 11, 23))


def samples(hostile: bool = False) -> dict[str, Sample]:
    n = 3000 if hostile else 25
    verdicts = _assessments(n, hostile)
    rows = [_summary(a, i, hostile) for i, a in enumerate(verdicts)]
    card = _card(verdicts[0], rows[0], hostile)
    prospect_card = _card(verdicts[4], rows[4], hostile)
    contacts = _contacts(300 if hostile else 4, hostile)
    spof = [
        SpofWarning(
            r,
            ["decision_makers", "concentration"] if i % 2 else ["decision_makers"],
            i % 2,
            EVIL if hostile else "Jane Doe",
            85,
            "U0COLLEAG" if i % 3 else None,
        )
        for i, r in enumerate(rows[: (200 if hostile else 2)])
    ]
    groups: dict[str, list[AccountSummary]] = {}
    for r in rows:
        groups.setdefault(r.grade or "prospect", []).append(r)
    home = HomeData(viewer="U0OWNER01", groups=groups, focus=rows[0], spof=spof)
    feeds = [
        FeedView(
            i,
            (f"https://news.example/{i}.rss" if not hostile else "javascript:alert(1)//" + EVIL),
            None if i % 2 else rows[i].name,
            "C0NEWS" if i % 2 else None,
            30,
            NOW if i % 3 else None,
            (EVIL * 30) if (hostile or i == 2) else None,
            None,
            0,
            None,
        )
        for i in range(200 if hostile else 3)
    ]
    typed = EVIL * 40 if hostile else "Acme Crop"
    suggestions = [r.name for r in rows[:3]]
    return {
        "card": lambda: render_card(card),
        "card_prospect": lambda: render_card(prospect_card),
        "card_shared": lambda: render_shared_card(card, "U0SHARER1"),
        "list_page1": lambda: render_list(rows, "secondary", 1),
        "list_page2": lambda: render_list(rows, "secondary", 2),
        "list_empty": lambda: render_list([], "stale", 1),
        "contacts": lambda: render_contacts(rows[0].name, contacts),
        "contacts_empty": lambda: render_contacts(rows[0].name, []),
        "help": lambda: render_help(),
        "help_topic": lambda: render_help("log"),
        "problem": lambda: render_problem(typed, "/account grade Acme Corp"),
        "not_found": lambda: render_not_found(typed, suggestions),
        "not_found_plain": lambda: render_not_found(typed, []),
        "ambiguous": lambda: render_ambiguous(typed, [r.name for r in rows[:40]]),
        "refusal": lambda: render_refusal("change the pain factor of", rows[0].name, "U0OWNER01"),
        "refusal_no_owner": lambda: render_refusal("snooze", rows[0].name, None),
        "admin_only": lambda: render_admin_only("add workspace news feeds"),
        "done": lambda: render_done(
            "Snoozed *Acme Corp* until 2026-12-08.", "Still key tier, grade A (score 12)."
        ),
        "slack_failed": lambda: render_slack_failed("the answer"),
        "focus": lambda: render_focus(rows[0]),
        "focus_none": lambda: render_focus(None),
        "feeds": lambda: render_feeds(feeds),
        "feeds_empty": lambda: render_feeds([]),
        "escalation": lambda: render_outbox("escalation", escalation_facts(hostile)),
        "home": lambda: render_home(home, HOME_AS_OF),
        "home_empty": lambda: render_home(HomeData(viewer="U0NEW", groups={}, focus=None), HOME_AS_OF),
        "home_admin_outcomes": lambda: render_home(
            HomeData(viewer="U0ADMIN01", groups={}, focus=None, nudge_outcomes=nudge_report(hostile)),  # type: ignore[arg-type]
            HOME_AS_OF,
        ),
        "modal_log_touch": lambda: render_log_touch_modal(1, rows[0].name, contacts, date(2026, 11, 24)),
        "modal_log_touch_no_contacts": lambda: render_log_touch_modal(
            1, rows[0].name, [], date(2026, 11, 24)
        ),
        "modal_touch_logged": lambda: render_touch_logged(
            rows[0].name, "call", contacts[0].name, date(2026, 11, 24)
        ),
        "modal_card": lambda: render_card_modal(card_blocks(card), card.name),
        "modal_reply": lambda: render_reply_modal(render_refusal("snooze", rows[0].name, "U0OWNER01").blocks),
    }
