"""A person's digest rhythm: `/account prefs` (and `prefs default`), the App Home line with its *Digest
settings* button, and the settings modal with its confirmation. Pure: preferences in, Message / View out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time

from slack_sdk.models.blocks import (
    Block,
    ButtonElement,
    CheckboxesElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextObject,
    StaticSelectElement,
    TimePickerElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from accounts.timing import DAILY, FREQUENCIES, OFF, WEEKLY, Prefs, Rhythm
from bot.render.blocks import Message, button, context, header, person, section, user_text
from bot.render.ids import (
    OPEN_PREFS,
    PREFS_BACKUP,
    PREFS_CALLBACK,
    PREFS_DAYS,
    PREFS_FREQUENCY,
    PREFS_PAUSE,
    PREFS_QUIET,
    PREFS_TIME,
    PREFS_WEEKLY_DAY,
)

DAY_TITLES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
FREQUENCY_TITLES = {DAILY: "Daily", WEEKLY: "Weekly, on one day", OFF: "Off"}
QUIET_VALUE = "quiet"
CHANGE_HINT = (
    "Change it: `/account prefs time 08:30` · `days mon-fri` · `frequency daily|weekly mon|off` · "
    "`pause until YYYY-MM-DD` · `pause off` · `quiet on|off` · `backup @person` · `reset`"
)
DEFAULTS_HINT = (
    "Admins: `/account prefs default time 08:30` · `default days mon-fri` · `default frequency daily|weekly "
    "mon|off` · `default quiet on|off` · `default reset`. A person's own setting wins over the default."
)


def clock(at: time) -> str:
    return f"{at.hour:02d}:{at.minute:02d}"


def days_text(days: frozenset[int]) -> str:
    """Monday to Friday, Monday, Wednesday, every day, ... (runs of three or more as a range)."""
    picked = sorted(d for d in days if 0 <= d < 7)
    if len(picked) == 7:
        return "every day"
    if not picked:
        return "no day"
    parts: list[str] = []
    run: list[int] = []
    for d in [*picked, 99]:
        if run and d == run[-1] + 1:
            run.append(d)
            continue
        if len(run) >= 3:
            parts.append(f"{DAY_TITLES[run[0]]} to {DAY_TITLES[run[-1]]}")
        else:
            parts.extend(DAY_TITLES[x] for x in run)
        run = [d]
    return ", ".join(parts)


def rhythm_text(r: Rhythm) -> str:
    """How often and when the digest comes, in words (mrkdwn-safe: no user text)."""
    if r.frequency == OFF:
        return "off: no digest and no weekly focus"
    if r.frequency == WEEKLY:
        return f"weekly, on {DAY_TITLES[r.weekly_day]}s from {clock(r.at)}"
    return f"daily from {clock(r.at)}, {days_text(r.days)}"


def pause_text(r: Rhythm, today: date) -> str | None:
    if r.paused_until is None or r.paused_until <= today:
        return None
    return f"paused until {r.paused_until.isoformat()} (digests come back that day)"


def home_line(r: Rhythm, today: date) -> str:
    """The App Home line next to the *Digest settings* button."""
    line = f"*:alarm_clock: Your digest:* {rhythm_text(r)}"
    paused = pause_text(r, today)
    return line + (f"; {paused}" if paused else "")


def settings_button() -> ButtonElement:
    return button("Digest settings", OPEN_PREFS, "open")


@dataclass(frozen=True, slots=True)
class PrefsView:
    """What `/account prefs` shows: the person's own settings (or, for `prefs default`, the workspace's), the
    workspace defaults, the rhythm that results and the zone their times are in."""

    mine: Prefs | None
    workspace: Prefs | None
    rhythm: Rhythm
    tz: str | None
    today: date
    defaults: bool = False  # showing the workspace defaults


def _origin(field: str, view: PrefsView) -> str:
    mine, ours = view.mine, view.workspace
    if view.defaults:
        return "" if mine is not None and getattr(mine, field) is not None else " _(built-in)_"
    if mine is not None and getattr(mine, field) is not None:
        return ""
    if ours is not None and getattr(ours, field) is not None:
        return " _(workspace default)_"
    return " _(default)_"


def render_prefs(view: PrefsView, done: str | None = None) -> Message:
    """A person's rhythm (or the workspace defaults) with where each setting comes from; `done` (mrkdwn
    safe) confirms a change first."""
    r = view.rhythm
    freq = _origin("frequency", view)
    lines = [
        f"*Digest:* {rhythm_text(r)}{freq}",
    ]
    if r.frequency != OFF:
        lines.append(
            f"*Time:* {clock(r.at)}{_origin('at', view)}; sent at the first hourly round from then, never after {clock(r.cutoff)}"
        )
        lines.append(
            f"*Days:* {days_text(r.days)}{_origin('days', view)} (also the weekly focus and check-up reminders)"
        )
        quiet = "no digest (quiet)" if r.quiet else 'a short "nothing due today" digest'
        lines.append(f"*When nothing is due:* {quiet}{_origin('quiet', view)}")
    if not view.defaults:
        paused = pause_text(r, view.today)
        lines.append(f"*Pause:* {paused or 'not paused'}")
        backup = view.mine.backup if view.mine is not None else None
        lines.append(
            f"*Backup while you are away:* {person(backup) if backup else 'nobody: your key accounts wait for you'}"
        )
        zone = (
            f"in your Slack time zone, {user_text(view.tz)}"
            if view.tz
            else "in your Slack time zone, not known yet (no digest until it is)"
        )
        lines.append(f"_Times are {zone}._")
    title = "Workspace digest defaults" if view.defaults else "Your digest rhythm"
    blocks: list[Block] = [header(title)]
    if done:
        blocks.append(section(f":white_check_mark: {done}"))
    blocks.append(section("\n".join(lines), accessory=None if view.defaults else settings_button()))
    blocks.append(context(DEFAULTS_HINT if view.defaults else CHANGE_HINT))
    text = f"{title}: {rhythm_text(r)}"
    if done:
        text = done.replace("*", "") + " " + text
    return Message(text=text, blocks=blocks)


def _option(text: str, value: str) -> Option:
    return Option(text=PlainTextObject(text=text), value=value)


DAY_OPTIONS = [_option(title, str(i)) for i, title in enumerate(DAY_TITLES)]
FREQUENCY_OPTIONS = [_option(FREQUENCY_TITLES[f], f) for f in FREQUENCIES]
QUIET_OPTION = _option("Skip the digest on days when nothing is due", QUIET_VALUE)


def render_prefs_modal(r: Rhythm, backup: str | None, tz: str | None) -> View:
    """The settings modal, filled with the person's current rhythm."""
    zone = tz or "your Slack time zone (not known yet)"
    blocks: list[Block] = [
        section(f"When the bot sends your digest and weekly focus. Times are in {user_text(zone)}."),
        InputBlock(
            block_id=PREFS_TIME,
            label="Digest time",
            hint="Sent at the first hourly round from then (never after 18:00, or an hour after a later time).",
            element=TimePickerElement(action_id=PREFS_TIME, initial_time=clock(r.at)),
        ),
        InputBlock(
            block_id=PREFS_DAYS,
            label="Days",
            hint="The weekly focus and check-up reminders follow the same days.",
            element=CheckboxesElement(
                action_id=PREFS_DAYS,
                options=DAY_OPTIONS,
                initial_options=[DAY_OPTIONS[d] for d in sorted(r.days)] or None,
            ),
        ),
        InputBlock(
            block_id=PREFS_FREQUENCY,
            label="How often",
            element=StaticSelectElement(
                action_id=PREFS_FREQUENCY,
                options=FREQUENCY_OPTIONS,
                initial_option=FREQUENCY_OPTIONS[FREQUENCIES.index(r.frequency)],
            ),
        ),
        InputBlock(
            block_id=PREFS_WEEKLY_DAY,
            label="Day of a weekly digest",
            hint="Only used when How often is Weekly.",
            element=StaticSelectElement(
                action_id=PREFS_WEEKLY_DAY, options=DAY_OPTIONS, initial_option=DAY_OPTIONS[r.weekly_day]
            ),
        ),
        InputBlock(
            block_id=PREFS_QUIET,
            label="Quiet days",
            optional=True,
            element=CheckboxesElement(
                action_id=PREFS_QUIET,
                options=[QUIET_OPTION],
                initial_options=[QUIET_OPTION] if r.quiet else None,
            ),
        ),
        InputBlock(
            block_id=PREFS_PAUSE,
            label="Pause until (your first day back)",
            optional=True,
            hint="Vacation: no digest and no weekly focus before this day. Leave empty for no pause.",
            element=DatePickerElement(
                action_id=PREFS_PAUSE,
                initial_date=r.paused_until.isoformat() if r.paused_until is not None else None,
            ),
        ),
        InputBlock(
            block_id=PREFS_BACKUP,
            label="Backup while you are away",
            optional=True,
            hint="Gets your key accounts that are overdue for a touch while you are paused. Nobody: they wait.",
            element=UserSelectElement(action_id=PREFS_BACKUP, initial_user=backup),
        ),
    ]
    return View(
        type="modal",
        callback_id=PREFS_CALLBACK,
        title="Digest settings",
        submit="Save",
        close="Cancel",
        blocks=blocks,
    )


def render_prefs_saved(r: Rhythm, today: date) -> View:
    paused = pause_text(r, today)
    body = (
        f":white_check_mark: Saved. Your digest: {rhythm_text(r)}" + (f"; {paused}" if paused else "") + "."
    )
    return View(type="modal", title="Digest settings", close="Done", blocks=[section(body)])
