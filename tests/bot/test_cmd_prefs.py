"""`/account prefs` and the App Home *Digest settings* modal over signed HTTP, on SQLite and PostgreSQL: each
person's rhythm is stored for their workspace only, bad input says what was wrong and what to type, and only
admins change the workspace defaults."""

from __future__ import annotations

from datetime import date, time
from typing import Any

import pytest
from sqlalchemy import select

from accounts.timing import Prefs
from bot.commands.prefs import parse_days, parse_time
from bot.commands.types import CommandError
from bot.listeners.prefs import PrefsForm, changes, read_prefs_form
from storage import preferences
from storage.models import Preference
from tests.bot.conftest import BotHarness
from tests.bot.seed import ADMIN, NOW, OWNER, STRANGER, all_text
from tests.fakes.slack_signing import input_date, input_select, input_user

pytestmark = pytest.mark.slow

TODAY = NOW.date()


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_user_ids": ADMIN}


@pytest.fixture
def bot(bot: BotHarness) -> BotHarness:
    bot.fake_slack.add_user(OWNER, tz="Europe/Berlin")
    return bot


def ask(bot: BotHarness, text: str, user_id: str = OWNER, **kw: object) -> str:
    resp = bot.post_command(text, user_id=user_id, **kw)
    assert resp.status_code == 200
    return all_text(bot.followup(resp).params)


def stored(bot: BotHarness, user_id: str = OWNER, team_id: str | None = None) -> Prefs | None:
    with bot.sessions.begin() as s:
        return preferences.prefs_of(s, team_id or bot.team_id, user_id)


def test_prefs_shows_the_built_in_rhythm_and_the_zone(bot: BotHarness) -> None:
    answer = ask(bot, "prefs")
    assert "Your digest rhythm" in answer
    assert "daily from 09:00, Monday to Friday _(default)_" in answer
    assert "never after 18:00" in answer and "Europe/Berlin" in answer
    assert "nobody: your key accounts wait for you" in answer
    assert stored(bot) is None  # showing writes nothing


def test_each_setting_is_stored_and_confirmed(bot: BotHarness) -> None:
    assert "Your digest now comes from 08:30." in ask(bot, "prefs time 08:30")
    assert "Monday, Wednesday" in ask(bot, "prefs days mon,wed")
    assert "weekly, on Thursdays from 08:30" in ask(bot, "prefs frequency weekly thu")
    assert "short one" in ask(bot, "prefs quiet off")
    assert f"<@{STRANGER}> is your backup" in ask(bot, f"prefs backup <@{STRANGER}|sam>")
    answer = ask(bot, "prefs pause until 2026-12-24")
    assert "Paused until 2026-12-24" in answer and f"<@{STRANGER}> gets your key accounts" in answer
    mine = stored(bot)
    assert mine is not None
    assert (mine.at, mine.days, mine.frequency, mine.weekly_day, mine.quiet, mine.backup) == (
        time(8, 30), frozenset({0, 2}), "weekly", 3, False, STRANGER,
    )  # fmt: skip
    assert mine.paused_until == date(2026, 12, 24) and mine.paused_since == NOW
    assert "Pause ended" in ask(bot, "prefs pause off")
    assert stored(bot).paused_until is None and stored(bot).paused_since == NOW  # the next digest tells
    assert "follow the workspace defaults again" in ask(bot, "prefs reset")
    after = stored(bot)
    assert (after.at, after.days, after.frequency, after.quiet, after.backup) == (
        None,
        None,
        None,
        None,
        STRANGER,
    )
    assert "No backup" in ask(bot, "prefs backup none") and stored(bot).backup is None


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("prefs time 25:00", "`25:00` is not a time of day. Write it as HH:MM"),
        ("prefs time 23:30", "23:30 is too late: pick a time before 23:00"),
        ("prefs time 8:3", "`8:3` is not a time of day"),
        ("prefs days funday", "`funday` is not a day. Use mon, tue"),
        ("prefs days", "Say which days"),
        ("prefs frequency weekly", "Say which day a weekly digest comes"),
        ("prefs frequency hourly", "`frequency` is daily, weekly DAY"),
        ("prefs pause until 2026-02-30", "`2026-02-30` is not a date; write it as YYYY-MM-DD"),
        ("prefs pause until 2026-11-01", "2026-11-01 is not in the future"),
        ("prefs pause until 2028-01-01", "A pause lasts at most 365 days"),
        ("prefs pause off", "You are not paused"),
        ("prefs quiet maybe", "`quiet` takes on or off"),
        ("prefs backup me", "`me` is not a Slack user"),
        (f"prefs backup <@{OWNER}>", "You cannot be your own backup"),
        ("prefs colour blue", "`colour` is not a setting"),
        ("prefs default pause until 2026-12-24", "`pause` is for each person"),
    ],
)
def test_bad_input_says_what_was_wrong_and_what_to_type(bot: BotHarness, text: str, said: str) -> None:
    answer = ask(bot, text)
    assert said in answer
    assert "Try: `/account prefs" in answer or "/account set Acme owner @jane" in answer
    assert stored(bot) is None


def test_only_admins_change_the_workspace_defaults(bot: BotHarness) -> None:
    refused = ask(bot, "prefs default time 08:00")
    assert "Only workspace admins may change the workspace's digest defaults" in refused
    assert stored(bot, preferences.DEFAULTS_USER) is None
    assert "The workspace default now comes from 08:00." in ask(
        bot, "prefs default time 08:00", user_id=ADMIN
    )
    assert "Workspace digest defaults" in ask(bot, "prefs default")  # anyone may look
    assert stored(bot, preferences.DEFAULTS_USER).at == time(8, 0)
    shown = ask(bot, "prefs")
    assert "daily from 08:00, Monday to Friday" in shown and "*Time:* 08:00 _(workspace default)_" in shown
    ask(bot, "prefs time 07:15")
    assert "daily from 07:15" in ask(bot, "prefs")  # their own setting wins
    assert "built-in ones apply" in ask(bot, "prefs default reset", user_id=ADMIN)
    assert stored(bot, preferences.DEFAULTS_USER).at is None


def test_preferences_belong_to_their_workspace(bot: BotHarness) -> None:
    other = "T0OTHERWS"
    with bot.sessions.begin() as s:
        preferences.save(s, other, OWNER, now=NOW, by=OWNER, at=time(7, 0), quiet=False)
        preferences.save(s, other, preferences.DEFAULTS_USER, now=NOW, by=ADMIN, days=frozenset({6}))
    assert "daily from 09:00, Monday to Friday _(default)_" in ask(bot, "prefs")
    ask(bot, "prefs time 10:00")
    assert stored(bot).at == time(10, 0) and stored(bot).quiet is None
    assert stored(bot, team_id=other).at == time(7, 0)


# ------------------------------------------------------------------------------------------------ App Home


def _home(bot: BotHarness) -> dict[str, Any]:
    bot.open_home(user_id=OWNER)
    return bot.fake_slack.wait_for("views.publish")[-1].params["view"]


def _modal(bot: BotHarness) -> dict[str, Any]:
    resp = bot.post_action("open_prefs", value="open", user_id=OWNER, view={"id": "VHOME", "type": "home"})
    assert resp.status_code == 200
    return bot.fake_slack.wait_for("views.open")[-1].params["view"]


def _values(**kw: Any) -> dict[str, dict[str, dict[str, Any]]]:
    v: dict[str, Any] = {
        "time": "09:00",
        "days": ["0", "1", "2", "3", "4"],
        "frequency": "daily",
        "weekly_day": "0",
        "quiet": True,
        "pause": None,
        "backup": None,
    }
    v.update(kw)
    return {
        "prefs_time": {"prefs_time": {"type": "timepicker", "selected_time": v["time"]}},
        "prefs_days": {"prefs_days": {"type": "checkboxes", "selected_options": [{"value": d} for d in v["days"]]}},
        "prefs_frequency": {"prefs_frequency": input_select(v["frequency"])},
        "prefs_weekly_day": {"prefs_weekly_day": input_select(v["weekly_day"])},
        "prefs_quiet": {"prefs_quiet": {"type": "checkboxes", "selected_options": [{"value": "quiet"}] if v["quiet"] else []}},
        "prefs_pause": {"prefs_pause": input_date(v["pause"])},
        "prefs_backup": {"prefs_backup": input_user(v["backup"])},
    }  # fmt: skip


def test_app_home_shows_the_rhythm_and_a_settings_button(bot: BotHarness) -> None:
    ask(bot, "prefs days mon-thu")
    home = _home(bot)
    line = next(b for b in home["blocks"] if (b.get("accessory") or {}).get("action_id") == "open_prefs")
    assert line["text"]["text"] == "*:alarm_clock: Your digest:* daily from 09:00, Monday to Thursday"


def test_the_settings_modal_opens_filled_and_saves_only_what_changed(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        preferences.save(s, bot.team_id, preferences.DEFAULTS_USER, now=NOW, by=ADMIN, at=time(8, 0))
    ask(bot, "prefs days mon-thu")
    view = _modal(bot)
    assert view["callback_id"] == "prefs_modal"
    fields = {b.get("block_id"): b.get("element") for b in view["blocks"]}
    assert fields["prefs_time"]["initial_time"] == "08:00"
    assert [o["value"] for o in fields["prefs_days"]["initial_options"]] == ["0", "1", "2", "3"]
    assert fields["prefs_frequency"]["initial_option"]["value"] == "daily"
    assert [o["value"] for o in fields["prefs_quiet"]["initial_options"]] == ["quiet"]

    bad = bot.post_view_submission(
        "prefs_modal",
        _values(time="08:00", days=[], pause="2026-11-01", backup=OWNER),
        user_id=OWNER,
    )
    errors = bot.ack_json(bad)
    assert errors["response_action"] == "errors"
    assert set(errors["errors"]) == {"prefs_days", "prefs_pause", "prefs_backup"}
    assert "not in the future" in errors["errors"]["prefs_pause"]
    assert "own backup" in errors["errors"]["prefs_backup"]

    good = bot.post_view_submission(
        "prefs_modal",
        _values(time="08:00", days=["0", "1", "2", "3"], frequency="weekly", weekly_day="4", quiet=False,
                pause="2026-12-24", backup=STRANGER),
        user_id=OWNER,
    )  # fmt: skip
    done = bot.ack_json(good)
    assert done["response_action"] == "update"
    assert "Saved. Your digest: weekly, on Fridays from 08:00; paused until 2026-12-24" in all_text(
        done["view"]
    )
    mine = stored(bot)
    assert mine.at is None  # 08:00 came from the workspace default and stays inherited
    assert (mine.days, mine.frequency, mine.weekly_day, mine.quiet) == (
        frozenset({0, 1, 2, 3}),
        "weekly",
        4,
        False,
    )
    assert (mine.paused_until, mine.paused_since, mine.backup) == (date(2026, 12, 24), NOW, STRANGER)

    # Emptying the date ends the pause (its start is kept for the digest after it).
    bot.post_view_submission("prefs_modal", _values(time="08:00", days=["0"], frequency="weekly", weekly_day="4",
                                                    quiet=False, backup=STRANGER), user_id=OWNER)  # fmt: skip
    assert stored(bot).paused_until is None and stored(bot).paused_since == NOW


def test_a_submission_from_another_workspace_stays_there(bot: BotHarness) -> None:
    resp = bot.post_view_submission("prefs_modal", _values(time="06:00"), user_id=OWNER, team_id="T0OTHERWS")
    assert bot.ack_json(resp)["response_action"] == "update"
    assert stored(bot) is None
    assert stored(bot, team_id="T0OTHERWS").at == time(6, 0)
    with bot.sessions.begin() as s:
        teams = set(s.scalars(select(Preference.team_id)))
    assert teams == {"T0OTHERWS"}


# ------------------------------------------------------------------------------------------------ parsers


def test_times_and_days_parse_through_the_one_number_parser() -> None:
    assert [parse_time(t) for t in ("08:30", "8:30", "8", "17.45", "8am", "5:30pm", "12am")] == [
        time(8, 30), time(8, 30), time(8, 0), time(17, 45), time(8, 0), time(17, 30), time(0, 0),
    ]  # fmt: skip
    for bad in ("٠٨:٣٠", "８:30", "8:60", "13pm", "-1", "8:30:00", ""):
        with pytest.raises(CommandError):
            parse_time(bad)
    assert parse_days("mon-fri") == frozenset(range(5))
    assert parse_days("sun-thu") == frozenset({6, 0, 1, 2, 3})  # a range may wrap the week
    assert parse_days("Mon, Wednesday fri") == frozenset({0, 2, 4})
    assert parse_days("weekend") == frozenset({5, 6}) and parse_days("all") == frozenset(range(7))


def test_the_form_reader_is_pure_and_strict() -> None:
    form, errors = read_prefs_form({"state": {"values": _values()}}, TODAY, OWNER)
    assert errors == {} and form == PrefsForm(time(9, 0), frozenset(range(5)), "daily", 0, True, None, None)
    forged = _values(days=["7"], frequency="hourly", weekly_day="9", backup="not-a-user")
    form, errors = read_prefs_form({"state": {"values": forged}}, TODAY, OWNER)
    assert form is None and set(errors) == {
        "prefs_days",
        "prefs_frequency",
        "prefs_weekly_day",
        "prefs_backup",
    }
    # Nothing changed against the built-in rhythm: nothing becomes the person's own.
    assert changes(PrefsForm(time(9, 0), frozenset(range(5)), "daily", 0, True, None, None), None, None) == {}
    off = PrefsForm(time(9, 0), frozenset(range(5)), "off", 0, True, None, None)
    assert changes(off, None, None) == {"frequency": "off", "weekly_day": None}
