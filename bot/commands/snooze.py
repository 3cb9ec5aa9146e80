"""`/account snooze NAME 7d|2w|until YYYY-MM-DD [reason]`: no nudges about an account until then (its
owner or an admin only); also what the card's Snooze buttons do."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.orm import Session

from bot.commands.lookup import require_change_right, resolve
from bot.commands.text import MAX_REASON, Token, join_name, plain
from bot.commands.types import CommandError, Request, Snooze, in_session, today
from bot.context import BotContext
from bot.render.blocks import Message, name, user_text
from bot.render.help import HelpLine
from bot.render.replies import render_done
from storage.writes import edits

MAX_SNOOZE_DAYS = 365
_DURATION_RE = re.compile(r"^([0-9]{1,4})\s*(d|day|days|w|wk|week|weeks)$", re.IGNORECASE)  # ASCII digits

USAGE = "/account snooze Acme 2w waiting for the budget round"
HELP = (
    HelpLine(
        "snooze NAME 7d|2w|until YYYY-MM-DD [reason]",
        "quiet the nudges about an account for a while",
        "/account snooze Acme 2w waiting for their budget",
    ),
)


def parse(args: list[Token], today: date) -> Snooze:
    at = next((i for i in range(1, len(args)) if not args[i].quoted and _is_duration_start(args, i)), None)
    if at is None:
        raise CommandError("Say which account and for how long: 7d, 2w or until YYYY-MM-DD.", USAGE)
    account = join_name(args[:at], usage=USAGE)
    until, used = parse_until(args[at:], today)
    reason = plain(" ".join(t.text for t in args[at + used :])) or None
    if reason and len(reason) > MAX_REASON:
        raise CommandError(f"The reason has at most {MAX_REASON} characters.", USAGE)
    return Snooze(name=account, until=until, reason=reason)


def parse_until(tokens: list[Token], today: date) -> tuple[date, int]:
    """A snooze end from `7d`, `2w`, `2 weeks` or `until YYYY-MM-DD`; returns (date, tokens used)."""
    first = tokens[0].word
    if first == "until":
        if len(tokens) < 2:
            raise CommandError("`until` needs a date such as 2026-12-31.", USAGE)
        try:
            until = date.fromisoformat(tokens[1].text)
        except ValueError:
            raise CommandError(
                f"`{plain(tokens[1].text)[:40]}` is not a date; write it as YYYY-MM-DD, e.g. {today + timedelta(days=14)}.",
                USAGE,
            ) from None
        used = 2
    else:
        text = first
        used = 1
        if first.isdecimal() and len(tokens) > 1:
            text, used = first + tokens[1].word, 2
        m = _DURATION_RE.match(text)
        if not m:
            raise CommandError(
                f"`{plain(first)[:40]}` is not a snooze length; use 7d, 2w or until YYYY-MM-DD.", USAGE
            )
        count = int(m.group(1))
        days = count * 7 if m.group(2).lower().startswith("w") else count
        if days < 1:
            raise CommandError("A snooze lasts at least one day.", USAGE)
        if days > MAX_SNOOZE_DAYS:
            raise CommandError(f"A snooze lasts at most {MAX_SNOOZE_DAYS} days.", USAGE)
        until = today + timedelta(days=days)
    if until <= today:
        raise CommandError(f"{until} is not in the future; pick a later date.", USAGE)
    if until > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise CommandError(
            f"A snooze lasts at most {MAX_SNOOZE_DAYS} days (until {today + timedelta(days=MAX_SNOOZE_DAYS)}).",
            USAGE,
        )
    return until, used


def _is_duration_start(tokens: list[Token], i: int) -> bool:
    word = tokens[i].word
    if word == "until":
        return i + 1 < len(tokens)
    if _DURATION_RE.match(word):
        return True
    return word.isdecimal() and i + 1 < len(tokens) and bool(_DURATION_RE.match(word + tokens[i + 1].word))


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: Snooze) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    require_change_right(req, acc, "snooze")
    edits.snooze(
        session,
        team_id=req.team_id,
        account_id=acc.id,
        until=datetime.combine(cmd.until, time(0, 0), tzinfo=UTC),
        reason=cmd.reason,
        user_id=req.user_id,
        now=ctx.now(),
    )
    why = f" ({user_text(cmd.reason)})" if cmd.reason else ""
    return render_done(
        f"Snoozed *{name(acc.name)}* until {cmd.until.isoformat()}{why}. No nudges about it until then."
    )


def snooze_by_name(ctx: BotContext, req: Request, typed: str, for_days: int) -> Message:
    """The card's Snooze a week / a month buttons."""
    return handle(ctx, req, Snooze(name=typed, until=today(ctx) + timedelta(days=for_days)))
