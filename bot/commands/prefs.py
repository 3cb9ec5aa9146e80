"""`/account prefs`: a person's own digest rhythm (time, days, frequency, quiet days, a pause and a backup),
and, for admins, the workspace defaults (`/account prefs default ...`). The App Home settings modal
(bot.listeners.prefs) reads its fields with the same parsers. The rules: accounts.timing;
docs/nudges.md#each-persons-own-rhythm.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from sqlalchemy.orm import Session

from accounts import numbers
from accounts.timing import DAILY, DAY_NAMES, EVERY_DAY, LATEST_AT, OFF, WEEKLY, WORKDAYS, rhythm_of
from bot.commands.text import Token, parse_user, plain
from bot.commands.types import Command, CommandError, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message, person
from bot.render.help import HelpLine
from bot.render.prefs import PrefsView, clock, days_text, render_prefs, rhythm_text
from bot.render.replies import render_admin_check_failed, render_admin_only
from storage import preferences as store
from storage.reads.slack_users import slack_user

USAGE = "/account prefs time 08:30"
HELP = (
    HelpLine(
        "prefs [time HH:MM | days mon-fri | frequency daily|weekly DAY|off | pause until YYYY-MM-DD|off | "
        "quiet on|off | backup @person | reset]",
        "your digest rhythm: when and how often it comes, a pause for a holiday and who covers meanwhile",
        "/account prefs days mon-thu",
    ),
    HelpLine(
        "prefs default [time ... | days ... | frequency ... | quiet ... | reset]",
        "the workspace defaults everyone gets unless they chose their own (changing them is for admins)",
        "/account prefs default time 08:30",
    ),
)
MAX_PAUSE_DAYS = 365
DAY_WORDS: dict[str, int] = {
    **{name: i for i, name in enumerate(DAY_NAMES)},
    **{
        full: i
        for i, full in enumerate(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
        )
    },
    **{"tues": 1, "wednes": 2, "thur": 3, "thurs": 3},
}
DAY_GROUPS: dict[str, frozenset[int]] = {
    "weekdays": WORKDAYS,
    "workdays": WORKDAYS,
    "weekend": frozenset({5, 6}),
    "weekends": frozenset({5, 6}),
    "all": EVERY_DAY,
    "everyday": EVERY_DAY,
    "every-day": EVERY_DAY,
    "daily": EVERY_DAY,
}
ON_WORDS, OFF_WORDS = ("on", "yes", "true"), ("off", "no", "false")
_TIME_RE = re.compile(r"^([0-9]{1,2})(?:[:.h]([0-9]{2}))?\s*(am|pm)?$", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True, slots=True)
class Prefs(Command):
    """`action`: show | set | reset | pause | unpause. `settings`: Prefs field -> value (set); `until`: the
    first day back (pause); `workspace`: the workspace defaults instead of the person's own."""

    action: str = "show"
    settings: tuple[tuple[str, object], ...] = ()
    until: date | None = None
    workspace: bool = False


# ------------------------------------------------------------------------------------------------ parsing


def parse_time(text: str, usage: str = USAGE) -> time:
    """A time of day: `08:30`, `8:30`, `8`, `17.45`, `8am`, `5:30pm`; 00:00 to 22:59."""
    raw = plain(text).strip()
    m = _TIME_RE.match(raw)
    hour = numbers.whole(m.group(1), low=0, high=23) if m else None
    minute = numbers.whole(m.group(2) or "0", low=0, high=59) if m else None
    if m and m.group(3) and hour is not None:
        hour = None if not 1 <= hour <= 12 else hour % 12 + (12 if m.group(3).lower() == "pm" else 0)
    if hour is None or minute is None:
        raise CommandError(
            f"`{raw[:20]}` is not a time of day. Write it as HH:MM on the 24-hour clock, for example 08:30 or 17:00.",
            usage,
        )
    at = time(hour, minute)
    if at > LATEST_AT:
        raise CommandError(
            f"{clock(at)} is too late: pick a time before 23:00 (the digest's window is an hour at least and "
            "ends before midnight).",
            usage,
        )
    return at


def parse_days(text: str, usage: str = USAGE) -> frozenset[int]:
    """Weekdays from `mon-fri`, `mon,wed,fri`, `mon wed`, `sun-thu` (a range may wrap), `weekdays`, `all`."""
    parts = [p for p in re.split(r"[,\s]+", plain(text).casefold()) if p]
    if not parts:
        raise CommandError("Say which days, for example `days mon-fri` or `days mon,wed,fri`.", usage)
    picked: set[int] = set()
    for part in parts:
        if part in DAY_GROUPS:
            picked |= DAY_GROUPS[part]
            continue
        first, dash, last = part.partition("-")
        if dash:
            if first not in DAY_WORDS or last not in DAY_WORDS:
                raise CommandError(_not_a_day(first if first not in DAY_WORDS else last), usage)
            a, b = DAY_WORDS[first], DAY_WORDS[last]
            picked |= {(a + i) % 7 for i in range((b - a) % 7 + 1)}
        elif part in DAY_WORDS:
            picked.add(DAY_WORDS[part])
        else:
            raise CommandError(_not_a_day(part), usage)
    return frozenset(picked)


def _not_a_day(word: str) -> str:
    return (
        f"`{word[:20]}` is not a day. Use mon, tue, wed, thu, fri, sat, sun, a range such as mon-fri, or a list "
        "such as mon,wed,fri."
    )


def parse_day(text: str, usage: str = USAGE) -> int:
    word = plain(text).casefold()
    if word not in DAY_WORDS:
        raise CommandError(_not_a_day(word), usage)
    return DAY_WORDS[word]


def check_pause(until: date, today: date, usage: str = USAGE) -> date:
    """A first day back: after today, at most MAX_PAUSE_DAYS ahead."""
    if until <= today:
        raise CommandError(
            f"{until.isoformat()} is not in the future. Give your first day back, for example "
            f"{(today + timedelta(days=14)).isoformat()}; `pause off` ends a pause now.",
            usage,
        )
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise CommandError(
            f"A pause lasts at most {MAX_PAUSE_DAYS} days (until {(today + timedelta(days=MAX_PAUSE_DAYS)).isoformat()}). "
            "To stop digests for good, use `frequency off`.",
            usage,
        )
    return until


def _on_off(args: list[Token], what: str, usage: str) -> bool:
    if len(args) != 1 or args[0].word not in ON_WORDS + OFF_WORDS:
        raise CommandError(f"`{what}` takes on or off.", usage)
    return args[0].word in ON_WORDS


def parse(args: list[Token], today: date) -> Prefs:
    workspace = bool(args) and args[0].word in ("default", "defaults")
    if workspace:
        args = args[1:]
    usage = "/account prefs default time 08:30" if workspace else USAGE
    if not args:
        return Prefs("show", workspace=workspace)
    word, rest = args[0].word, args[1:]
    if word == "reset":
        if rest:
            raise CommandError("`reset` takes nothing after it.", usage)
        return Prefs("reset", workspace=workspace)
    if word in ("time", "at"):
        if len(rest) != 1:
            raise CommandError("Give one time, for example `time 08:30`.", usage)
        return Prefs("set", (("at", parse_time(rest[0].text, usage)),), workspace=workspace)
    if word == "days":
        return Prefs(
            "set", (("days", parse_days(" ".join(t.text for t in rest), usage)),), workspace=workspace
        )
    if word in ("frequency", "freq"):
        return Prefs("set", _parse_frequency(rest, usage), workspace=workspace)
    if word == "quiet":
        return Prefs("set", (("quiet", _on_off(rest, "quiet", usage)),), workspace=workspace)
    if word in ("pause", "backup") and workspace:
        raise CommandError(
            f"`{word}` is for each person, not a workspace default: use `/account prefs {word} ...`.", usage
        )
    if word == "pause":
        return _parse_pause(rest, today)
    if word == "backup":
        if len(rest) != 1:
            raise CommandError("Mention one person, for example `backup @jane`, or `backup none`.", USAGE)
        if rest[0].word in ("none", "nobody", "off"):
            return Prefs("set", (("backup", None),))
        return Prefs("set", (("backup", parse_user(rest[0])),))
    raise CommandError(
        f"`{plain(args[0].text)[:30]}` is not a setting. Use time, days, frequency, pause, quiet, backup or reset"
        + (" (pause and backup are each person's own)." if workspace else "."),
        usage,
    )


def _parse_frequency(rest: list[Token], usage: str) -> tuple[tuple[str, object], ...]:
    words = [t.word for t in rest if t.word != "on"]
    if words == [DAILY]:
        return (("frequency", DAILY), ("weekly_day", None))
    if words == [OFF]:
        return (("frequency", OFF), ("weekly_day", None))
    if words and words[0] == WEEKLY:
        if len(words) != 2:
            raise CommandError(
                "Say which day a weekly digest comes, for example `frequency weekly mon`.", usage
            )
        return (("frequency", WEEKLY), ("weekly_day", parse_day(words[1], usage)))
    raise CommandError("`frequency` is daily, weekly DAY (for example weekly mon) or off.", usage)


def _parse_pause(rest: list[Token], today: date) -> Prefs:
    words = [t.word for t in rest]
    if words in (["off"], ["none"], ["end"]):
        return Prefs("unpause")
    if words and words[0] == "until":
        rest = rest[1:]
    if len(rest) != 1:
        raise CommandError(
            "Say until when: `pause until 2026-12-24` (your first day back), or `pause off` to end a pause.",
            USAGE,
        )
    try:
        until = date.fromisoformat(rest[0].text)
    except ValueError:
        raise CommandError(
            f"`{plain(rest[0].text)[:20]}` is not a date; write it as YYYY-MM-DD, for example "
            f"{(today + timedelta(days=14)).isoformat()}.",
            USAGE,
        ) from None
    return Prefs("pause", until=check_pause(until, today))


# ------------------------------------------------------------------------------------------------ handling


def prefs_view(
    session: Session, team_id: str, user_id: str, today: date, *, defaults: bool = False
) -> PrefsView:
    workspace = store.prefs_of(session, team_id, store.DEFAULTS_USER)
    if defaults:
        return PrefsView(workspace, None, rhythm_of(None, workspace), None, today, defaults=True)
    mine = store.prefs_of(session, team_id, user_id)
    known = slack_user(session, team_id, user_id)
    return PrefsView(mine, workspace, rhythm_of(mine, workspace), known.tz if known else None, today)


def _said(cmd: Prefs, view: PrefsView) -> str:
    """The confirmation, in words (mrkdwn-safe)."""
    whose = "The workspace default" if cmd.workspace else "Your digest"
    if cmd.action == "reset":
        return (
            "Workspace defaults cleared: the built-in ones apply."
            if cmd.workspace
            else ("Your time, days, frequency and quiet setting follow the workspace defaults again.")
        )
    if cmd.action == "pause":
        assert cmd.until is not None
        backup = view.mine.backup if view.mine is not None else None
        who = (
            f"{person(backup)} gets your key accounts that are overdue"
            if backup
            else ("your key accounts wait for you (name a backup with `/account prefs backup @person`)")
        )
        return (
            f"Paused until {cmd.until.isoformat()}: no digest or weekly focus before then; meanwhile {who}."
        )
    if cmd.action == "unpause":
        return "Pause ended: your next digest tells what changed while you were away."
    names = dict(cmd.settings)
    if isinstance(at := names.get("at"), time):
        return f"{whose} now comes from {clock(at)}."
    if isinstance(days := names.get("days"), frozenset):
        return f"{whose} now comes on {days_text(days)}."
    if "frequency" in names:
        return f"{whose}: {rhythm_text(view.rhythm)}."
    if "quiet" in names:
        return f"{whose} is {'quiet on days with nothing due' if names['quiet'] else 'sent even on days with nothing due (a short one)'}."
    if "backup" in names:
        backup_id = names["backup"]
        return (
            f"{person(backup_id)} is your backup: while you are paused they get your key accounts that are overdue."
            if isinstance(backup_id, str) and backup_id
            else "No backup: while you are paused your key accounts wait for you."
        )
    return "Saved."


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: Prefs) -> Message:
    now = ctx.now()
    today = now.date()
    who = store.DEFAULTS_USER if cmd.workspace else req.user_id
    if cmd.action == "show":
        return render_prefs(prefs_view(session, req.team_id, req.user_id, today, defaults=cmd.workspace))
    if cmd.workspace and not req.admin():
        if req.admin_check_failed():
            return render_admin_check_failed("change the workspace's digest defaults")
        return render_admin_only("change the workspace's digest defaults")
    if dict(cmd.settings).get("backup") == req.user_id:
        raise CommandError("You cannot be your own backup: mention a colleague, or `backup none`.", USAGE)
    if cmd.action == "reset":
        store.reset(session, req.team_id, who, now=now, by=req.user_id)
    elif cmd.action == "pause":
        assert cmd.until is not None
        store.pause(session, req.team_id, who, cmd.until, now=now, by=req.user_id)
    elif cmd.action == "unpause":
        mine = store.prefs_of(session, req.team_id, who)
        if mine is None or mine.paused_until is None or mine.paused_until <= today:
            raise CommandError(
                "You are not paused. To pause, say until when: `pause until YYYY-MM-DD`.", USAGE
            )
        store.unpause(session, req.team_id, who, now=now, by=req.user_id)
    else:
        store.save(session, req.team_id, who, now=now, by=req.user_id, **dict(cmd.settings))
    view = prefs_view(session, req.team_id, req.user_id, today, defaults=cmd.workspace)
    return render_prefs(view, done=_said(cmd, view))
