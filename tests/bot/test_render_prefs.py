"""What each person's rhythm adds to the Slack face: the backup's covering section, the welcome back after a
pause, the short "nothing due" digest, `/account prefs` and the settings modal; escaped and within limits."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest

from accounts.timing import Prefs, rhythm_of
from bot.render.nudges import NOTHING_DUE, render_digest
from bot.render.prefs import (
    PrefsView,
    days_text,
    render_prefs,
    render_prefs_modal,
    render_prefs_saved,
    rhythm_text,
)
from tests.bot.test_limits import check

EVIL = "<!channel> *bold* <https://evil.example|click> `code` &amp; _x_"


def _stale(i: int, name: str) -> dict[str, Any]:
    return {
        "account_id": i,
        "account": f"{name} {i}",
        "days_since": 40 + i,
        "cadence_days": 14,
        "last_touch": None,
    }


def _cover(owner: str, n: int, name: str = "Acme") -> dict[str, Any]:
    return {"owner": owner, "until": "2026-12-24", "items": [_stale(i, name) for i in range(min(n, 10))],
            "more": max(0, n - 10)}  # fmt: skip


def _away(name: str = "Acme", moves: int = 1) -> dict[str, Any]:
    move = {"account": name, "old_tier": "secondary", "new_tier": "key", "old_grade": "B", "new_grade": "A"}
    return {"since": "2026-11-10T09:00:00+00:00", "touches": 7, "touched_accounts": 6, "touched": [name] * 5,
            "moves": [move] * min(moves, 5), "moves_total": moves, "backup": "U0BACKUP1"}  # fmt: skip


def _text(message: Any) -> str:
    return str(message.payload())


def test_a_backups_digest_names_who_they_cover_for_with_log_touch_buttons() -> None:
    facts = {"owner": "U0B", "date": "2026-11-24", "sections": {}, "covering": [_cover("U0AWAY01", 12)]}
    message = render_digest(facts)  # type: ignore[arg-type]
    blocks = message.payload()["blocks"]
    assert "Covering for <@U0AWAY01>* (away until 2026-12-24)" in blocks[1]["text"]["text"]
    buttons = [b["accessory"]["action_id"] for b in blocks if "accessory" in b]
    assert buttons == ["log_touch"] * 10
    assert "…and 2 more of theirs." in _text(message)
    assert message.text == "Your accounts today: 12 overdue while U0AWAY01 is away"
    assert check(message) == []


def test_the_welcome_back_tells_touches_and_tier_changes() -> None:
    facts = {"owner": "U0A", "date": "2026-11-24", "sections": {}, "away": _away(moves=7)}
    message = render_digest(facts)  # type: ignore[arg-type]
    text = message.payload()["blocks"][1]["text"]["text"]
    assert text.startswith("*:wave: Welcome back.* While you were away (since 2026-11-10):")
    assert "• 7 touches on 6 of your accounts: *Acme*, *Acme*, *Acme*, *Acme*, *Acme* and 1 more" in text
    assert "• *Acme* is now a key account, grade A (was secondary account, grade B)" in text
    assert "• and 2 more tier or grade changes" in text and "<@U0BACKUP1> covered your key accounts." in text
    assert (
        "Nothing else is due today." in _text(message) and message.text == "Your accounts today: welcome back"
    )


def test_nothing_due_says_so() -> None:
    message = render_digest({"owner": "U0A", "date": "2026-11-24", "sections": {}})
    assert message.payload()["blocks"][1]["text"]["text"] == NOTHING_DUE
    assert message.text == "Your accounts today: nothing due today" and check(message) == []


@pytest.mark.parametrize("name", ["Acme", EVIL * 10])
def test_a_full_digest_with_covers_and_hostile_names_stays_within_slacks_limits(name: str) -> None:
    sections = {
        s: {"items": [_stale(i, name) for i in range(10)], "more": 30}
        for s in ("stale", "checkup_due")
    }  # fmt: skip
    covers = [_cover(f"U0AWAY0{k}", 15, name) for k in range(3)]
    facts = {
        "owner": "U0B",
        "date": "2026-11-24",
        "sections": sections,
        "covering": covers,
        "away": _away(name, 9),
    }
    message = render_digest(facts)  # type: ignore[arg-type]
    assert check(message) == []
    assert "<!channel>" not in _text(message) and "<https://evil" not in _text(message)


def test_rhythm_in_words() -> None:
    assert rhythm_text(rhythm_of(None)) == "daily from 09:00, Monday to Friday"
    assert (
        rhythm_text(rhythm_of(Prefs(days=frozenset({0, 2, 3, 4}))))
        == "daily from 09:00, Monday, Wednesday to Friday"
    )
    assert (
        rhythm_text(rhythm_of(Prefs(frequency="weekly", weekly_day=0, at=time(7, 5))))
        == "weekly, on Mondays from 07:05"
    )
    assert rhythm_text(rhythm_of(Prefs(frequency="off"))) == "off: no digest and no weekly focus"
    assert (
        days_text(frozenset(range(7))) == "every day" and days_text(frozenset({5, 6})) == "Saturday, Sunday"
    )


def test_prefs_answer_modal_and_confirmation_stay_within_limits() -> None:
    mine = Prefs(at=time(8, 30), quiet=False, paused_until=date(2026, 12, 24), backup="U0BACKUP1")
    view = PrefsView(mine, Prefs(days=frozenset({0, 1, 2, 3})), rhythm_of(mine, Prefs(days=frozenset({0, 1, 2, 3}))),
                     "Europe/Berlin", date(2026, 11, 24))  # fmt: skip
    answer = render_prefs(view, done="Saved.")
    text = _text(answer)
    assert "*Time:* 08:30;" in text and "*Days:* Monday to Thursday _(workspace default)_" in text
    assert "paused until 2026-12-24" in text and "<@U0BACKUP1>" in text and "Europe/Berlin" in text
    assert check(answer) == []
    modal = render_prefs_modal(view.rhythm, "U0BACKUP1", EVIL)
    assert check(modal) == [] and "<!channel>" not in str(modal.to_dict())
    assert check(render_prefs_saved(view.rhythm, date(2026, 11, 24))) == []
