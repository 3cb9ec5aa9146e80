"""Nudge renderers: content, buttons, escaping and Slack's limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from accounts.signals import AccountState, build_digest
from accounts.thresholds import Thresholds
from bot.render.blocks import MAX_BLOCKS, MAX_SECTION_TEXT
from bot.render.registry import RENDERERS, UnknownKind, render
from tests.conftest import NOW


def _texts(node: Any) -> list[str]:
    if isinstance(node, dict):
        out = []
        for k, v in node.items():
            out.extend([v] if k == "text" and isinstance(v, str) else _texts(v))
        return out
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str]]:
    found = []
    for b in blocks:
        for el in [b.get("accessory")] + list(b.get("elements") or []):
            if isinstance(el, dict) and el.get("type") == "button":
                found.append((el["action_id"], el["value"]))
    return found


def check_limits(payload: dict[str, Any]) -> None:
    assert payload["text"]
    assert 0 < len(payload["blocks"]) <= MAX_BLOCKS
    for b in payload["blocks"]:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= MAX_SECTION_TEXT
        if b["type"] == "actions":
            ids = [e["action_id"] for e in b["elements"]]
            assert len(ids) == len(set(ids)), "action ids must be unique within a block"


def _digest_facts(n: int, name: str = "Acme") -> dict[str, Any]:
    accounts = [
        AccountState(
            id=i,
            name=f"{name} {i}",
            tier="key",
            grade="A",
            owner="U1",
            last_touch=None,
            last_review=None,
            decision_makers=0,
            sponsor_user_id=None,
            revenue_recent=1.0,
            revenue_prior=100.0,
            annual_revenue=float(i),
        )
        for i in range(n)
    ]
    digest = build_digest("U1", date(2026, 11, 24), accounts, NOW, Thresholds())
    assert digest is not None
    return digest.to_facts()


def test_small_digest_has_a_button_per_item() -> None:
    payload = render("digest", _digest_facts(2)).payload()
    check_limits(payload)
    text = "\n".join(_texts(payload["blocks"]))
    for title in (
        "Overdue for a touch",
        "Single point of failure",
        "Check-up due",
        "Sponsor missing",
        "Revenue dropping",
    ):
        assert title in text
    assert "never touched" in text and "no review on record" in text and "needs an executive sponsor" in text
    assert "99% below the 3 before" in text
    buttons = _buttons(payload["blocks"])
    assert ("log_touch", "Acme 1") in buttons and ("open_grade", "Acme 0") in buttons
    assert payload["text"].startswith("Your accounts today: 2 overdue for a touch")


def test_full_digest_stays_within_limits_and_points_to_app_home() -> None:
    payload = render("digest", _digest_facts(25)).payload()
    check_limits(payload)
    text = "\n".join(_texts(payload["blocks"]))
    assert text.count("and 15 more") == 5 and "Home" in text
    assert "25 overdue for a touch" in payload["text"]


def test_hostile_names_are_escaped() -> None:
    facts = _digest_facts(1, name="<!channel> & <https://evil.example|click>")
    payload = render("digest", facts).payload()
    text = "\n".join(_texts(payload["blocks"]))
    assert "<!channel>" not in text and "&lt;!channel&gt; &amp;" in text
    focus = render("weekly_focus", {"account": "<b>&", "days_since": 20, "cadence_days": 14}).payload()
    assert "&lt;b&gt;&amp;" in "\n".join(_texts(focus["blocks"])) and "<b>" not in focus["text"]


def test_spof_names_contact_and_colleague() -> None:
    facts = {
        "sections": {
            "single_point_of_failure": {
                "items": [
                    {
                        "account": "Acme",
                        "reasons": ["concentration"],
                        "decision_makers": 3,
                        "contact": "Jo Solo",
                        "share_percent": 85,
                        "colleague": "U42",
                    },
                    {
                        "account": "Beta",
                        "reasons": ["decision_makers"],
                        "decision_makers": 1,
                        "contact": "Ann",
                        "share_percent": None,
                        "colleague": "bob@example.com",
                    },
                ],
                "more": 0,
            }
        }
    }
    text = "\n".join(_texts(render("digest", facts).payload()["blocks"]))
    assert (
        "85% of the last 90 days' touches went through one contact. Relies on Jo Solo; <@U42> has met" in text
    )
    assert "1 active decision maker. Relies on Ann; bob@example.com has met other contacts there" in text


def test_weekly_focus_has_the_four_buttons() -> None:
    payload = render(
        "weekly_focus",
        {
            "account": "Acme",
            "days_since": None,
            "cadence_days": 14,
            "annual_revenue": 1_200_000.0,
            "grade": "A",
        },
    ).payload()
    check_limits(payload)
    assert [a for a, _ in _buttons(payload["blocks"])] == [
        "log_touch",
        "open_grade",
        "snooze_week",
        "snooze_month",
    ]
    assert {v for _, v in _buttons(payload["blocks"])} == {"Acme"}
    text = "\n".join(_texts(payload["blocks"]))
    assert "never been touched" in text and "$1,200,000" in text


def test_tier_change_says_what_and_why() -> None:
    payload = render(
        "tier_change",
        {
            "account": "Acme",
            "old_tier": "secondary",
            "new_tier": "key",
            "old_grade": "B",
            "new_grade": "A",
            "reasons": ["revenue high: top 10% of 40 clients"],
        },
    ).payload()
    check_limits(payload)
    assert payload["text"] == "Acme is now a key account, grade A (was secondary account, grade B)"
    assert "revenue high: top 10% of 40 clients" in "\n".join(_texts(payload["blocks"]))
    assert _buttons(payload["blocks"]) == [("open_grade", "Acme")]


def test_registry() -> None:
    assert {"digest", "weekly_focus", "tier_change"} <= set(RENDERERS)
    with pytest.raises(UnknownKind, match="no renderer for message kind 'nope'"):
        render("nope", {})


def test_rendering_is_deterministic() -> None:
    facts = _digest_facts(3)
    assert render("digest", facts).payload() == render("digest", facts).payload()
