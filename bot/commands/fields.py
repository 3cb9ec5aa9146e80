"""`/account set NAME FIELD VALUE`: change one field of an account (its owner or an admin only)."""

from __future__ import annotations

import re
from datetime import date

from sqlalchemy.orm import Session

from accounts import numbers
from accounts.levels import parse_level
from bot.commands.feeds import add_feed_for
from bot.commands.lookup import require_change_right, resolve
from bot.commands.text import MAX_NAME, Token, join_name, parse_url, parse_user, plain
from bot.commands.types import CommandError, Request, SetField, in_session
from bot.context import BotContext
from bot.render.blocks import Message, name, user_mention, user_text
from bot.render.help import HelpLine
from bot.render.replies import render_done
from storage.feeds import retire_account_feed
from storage.reads.cards import account_card
from storage.writes import edits

LEVEL_FIELDS: tuple[str, ...] = ("strategic_value", "pain_factor", "profitability")
HIGH_LOW_FIELDS: tuple[str, ...] = ("engagement", "potential")
PERCENT_FIELDS: tuple[str, ...] = ("wallet_share", "profit_margin")
SET_FIELDS: tuple[str, ...] = (
    *LEVEL_FIELDS,
    *HIGH_LOW_FIELDS,
    *PERCENT_FIELDS,
    "stage",
    "owner",
    "sponsor",
    "aliases",
    "feed",
)
SPONSOR_LEVELS: dict[str, str] = {
    "executive": "executive",
    "exec": "executive",
    "project_manager": "project_manager",
    "project-manager": "project_manager",
    "pm": "project_manager",
}
CLEAR_WORDS = frozenset({"none", "unknown", "clear", "-"})
FIELD_LABELS = {
    "strategic_value": "strategic value",
    "pain_factor": "pain factor",
    "wallet_share": "wallet share",
    "profit_margin": "profit margin",
}

USAGE = "/account set Acme strategic_value high   (fields: " + ", ".join(SET_FIELDS) + ")"
HELP = (
    HelpLine(
        "set NAME FIELD VALUE",
        "strategic_value, pain_factor, profitability (high/medium/low), engagement, potential "
        "(high/low), wallet_share, profit_margin (percent), stage (client/prospect), owner @user, "
        "sponsor @user [executive|project_manager], aliases (a; b), feed URL; `none` clears",
        "/account set Acme sponsor @dana executive",
    ),
)


# ---------------------------------------------------------------------------------------------- parsing


def parse(args: list[Token], today: date) -> SetField:
    at = next((i for i, t in enumerate(args) if i >= 1 and not t.quoted and t.word in SET_FIELDS), None)
    if at is None:
        if args and not args[-1].quoted and len(args) >= 2:
            maybe = args[-2].word if len(args) >= 3 else args[-1].word
            raise CommandError(f"`{plain(maybe)[:40]}` is not a field I can set.", USAGE)
        raise CommandError("Say which account, which field and the new value.", USAGE)
    account = join_name(args[:at], usage=USAGE)
    field_name = args[at].word
    value, level = _set_value(field_name, args[at + 1 :])
    return SetField(name=account, field=field_name, value=value, sponsor_level=level)


def parse_rating(value: str, allowed: tuple[str, ...] = ("high", "medium", "low")) -> str:
    """high | medium | low (H/M/L in any case, via the shared accounts.levels parser), limited to `allowed`."""
    try:
        level = parse_level(value)
    except ValueError:
        level = None
    if level is None or level not in allowed:
        shown = ", ".join(allowed)
        raise CommandError(
            f"`{plain(value)[:40]}` is not a rating here; use {shown} (or the first letter).", USAGE
        )
    return level


def parse_percent(value: str, field_name: str, *, low: float, high: float) -> float:
    number = numbers.decimal(value.strip().removesuffix("%"))
    if number is None:  # accounts.numbers: ASCII digits, one decimal point; no 1e2, ٤٥ or ４５
        raise CommandError(
            f"{field_name} must be a percentage written with the digits 0-9, such as 60, 60% or 62.5; "
            f"got `{plain(value)[:40]}`."
        )
    if not (low <= number <= high):
        raise CommandError(
            f"{field_name} must be between {low:g} and {high:g} percent; got {plain(value)[:40]}."
        )
    return number


def _set_value(field_name: str, values: list[Token]) -> tuple[object, str | None]:
    if not values:
        raise CommandError(f"`{field_name}` needs a value.", USAGE)
    first = values[0]
    clearing = len(values) == 1 and first.word in CLEAR_WORDS
    if field_name in LEVEL_FIELDS:
        return (None if clearing else parse_rating(_one(values, field_name).text)), None
    if field_name in HIGH_LOW_FIELDS:
        return (None if clearing else parse_rating(_one(values, field_name).text, ("high", "low"))), None
    if field_name == "wallet_share":
        return (
            None
            if clearing
            else parse_percent(_one(values, field_name).text, "wallet_share", low=0, high=100)
        ), None
    if field_name == "profit_margin":
        return (
            None
            if clearing
            else parse_percent(_one(values, field_name).text, "profit_margin", low=-1000, high=100)
        ), None
    if field_name == "stage":
        word = _one(values, field_name).word
        stage = {"client": "client", "customer": "client", "prospect": "prospect", "lead": "prospect"}.get(
            word
        )
        if stage is None:
            raise CommandError(f"stage is client or prospect; got `{plain(first.text)[:40]}`.", USAGE)
        return stage, None
    if field_name == "owner":
        return parse_user(_one(values, field_name)), None
    if field_name == "sponsor":
        if clearing:
            return None, None
        user = parse_user(first)
        level = None
        if len(values) > 2:
            raise CommandError(
                "sponsor takes a person and optionally a level: executive or project_manager.", USAGE
            )
        if len(values) == 2:
            level = SPONSOR_LEVELS.get(values[1].word)
            if level is None:
                raise CommandError(
                    f"`{plain(values[1].text)[:40]}` is not a sponsor level; use executive or project_manager.",
                    USAGE,
                )
        return user, level
    if field_name == "aliases":
        if clearing:
            return [], None
        raw = plain(" ".join(t.text for t in values))
        parts = [" ".join(p.split()) for p in re.split(r"[;,]", raw)]
        aliases = [p for p in parts if p]
        if any(len(a) > MAX_NAME for a in aliases):
            raise CommandError(f"An alias has at most {MAX_NAME} characters.", USAGE)
        if len(aliases) > 20:
            raise CommandError("An account has at most 20 aliases.", USAGE)
        return aliases, None
    if field_name == "feed":
        return (None if clearing else parse_url(_one(values, field_name))), None
    raise CommandError(f"`{field_name}` cannot be set.", USAGE)  # pragma: no cover - SET_FIELDS guards this


def _one(values: list[Token], field_name: str) -> Token:
    if len(values) != 1:
        shown = plain(" ".join(t.text for t in values))[:60]
        raise CommandError(f"`{field_name}` takes one value; got `{shown}`.", USAGE)
    return values[0]


# ---------------------------------------------------------------------------------------------- handling


def _shown(value: object) -> str:
    if value is None or value == []:
        return "not set"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: SetField) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    require_change_right(req, acc, f"change the {FIELD_LABELS.get(cmd.field, cmd.field)} of")
    now = ctx.now()
    before = account_card(session, req.team_id, acc.id, now, ctx.thresholds)
    if cmd.field == "feed" and cmd.value is None:
        if acc.news_feed:  # `set NAME feed none`: stop polling the account's feed
            retire_account_feed(session, team_id=req.team_id, account_id=acc.id, url=acc.news_feed)
    elif cmd.field == "feed":
        assert isinstance(cmd.value, str)
        add_feed_for(ctx, req, session, cmd.value, account_id=acc.id, now=now, usage=USAGE)
        if acc.news_feed and acc.news_feed.strip() != cmd.value.strip():
            # the account's feed is replaced, not doubled: the previous one stops being polled
            retire_account_feed(session, team_id=req.team_id, account_id=acc.id, url=acc.news_feed)
    change = edits.set_field(
        session,
        team_id=req.team_id,
        account_id=acc.id,
        field=cmd.field,
        value=cmd.value,
        user_id=req.user_id,
        now=now,
    )
    extra = ""
    if cmd.field == "sponsor" and (cmd.sponsor_level is not None or cmd.value is None):
        # a new level goes with the sponsor; clearing the sponsor clears the level too
        level_change = edits.set_field(
            session,
            team_id=req.team_id,
            account_id=acc.id,
            field="sponsor_level",
            value=cmd.sponsor_level,
            user_id=req.user_id,
            now=now,
        )
        if cmd.sponsor_level is not None and level_change.changed:
            extra = f" ({cmd.sponsor_level.replace('_', ' ')})"
    label = FIELD_LABELS.get(cmd.field, cmd.field)
    if cmd.field in ("owner", "sponsor"):
        new = user_mention(cmd.value if isinstance(cmd.value, str) else None) if cmd.value else "nobody"
        old = user_mention(change.old) if change.old else "nobody"
    else:
        new, old = user_text(_shown(cmd.value)), user_text(change.old or "not set")
    if not change.changed and not extra:
        return render_done(f"The {label} of *{name(acc.name)}* already is {new}; nothing changed.")
    after = account_card(session, req.team_id, acc.id, now, ctx.thresholds)
    detail = None
    if before is not None and after is not None:
        b, a = before.assessment, after.assessment
        if (b.tier, b.grade) != (a.tier, a.grade):
            detail = f"Now {a.tier} tier, grade {a.grade or 'none'} (was {b.tier}, {b.grade or 'none'})."
        else:
            detail = f"Still {a.tier} tier, grade {a.grade or 'none'}" + (
                f" (score {a.score})." if a.score is not None else "."
            )
    return render_done(f"The {label} of *{name(acc.name)}* changed: {old} → {new}{user_text(extra)}.", detail)
