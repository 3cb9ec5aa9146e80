"""What each `/account` subcommand does: resolve names in the request's workspace, read or write through
storage, and render the reply. No Slack I/O here except through the `admin` callable of the Request
(users.info, asked only when a write needs it), so commands and buttons share one implementation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot import command_parser as cp
from bot.context import BotContext
from bot.listeners.permissions import Standing, may_change
from bot.render.card import render_card
from bot.render.contacts import render_contacts
from bot.render.feeds import render_feeds
from bot.render.focus import render_focus
from bot.render.format import days, name, user_text
from bot.render.help import render_help
from bot.render.kit import Message, user_mention
from bot.render.list import render_list
from bot.render.replies import (
    render_admin_check_failed,
    render_admin_only,
    render_ambiguous,
    render_done,
    render_not_found,
    render_problem,
    render_refusal,
)
from news.guard import UrlRefused
from storage.feeds import FeedError, add_feed, list_feeds, retire_account_feed
from storage.models import Account
from storage.reads import cards, contacts, home, summaries
from storage.reads.accounts import find_account
from storage.writes import edits

log = logging.getLogger("accountbot.commands")

FIELD_LABELS = {
    "strategic_value": "strategic value",
    "pain_factor": "pain factor",
    "wallet_share": "wallet share",
    "profit_margin": "profit margin",
}


@dataclass
class Request:
    """Who asks, from which workspace and channel. `admin()` answers (and caches) whether they are an admin;
    `standing()` (when set) is the users.info look-up behind it, shared with the membership check."""

    team_id: str
    user_id: str
    channel_id: str | None
    admin: Callable[[], bool]
    client: WebClient | None = None  # the Web API client of the request (charts upload with it); None offline
    standing: Callable[[], Standing] | None = None

    def admin_check_failed(self) -> bool:
        """Not an admin only because users.info failed (the refusal then says the check failed)."""
        return self.standing is not None and not self.admin() and self.standing().failed


class Refused(Exception):
    """A reply that ends the command early (not found, ambiguous, not allowed)."""

    def __init__(self, message: Message) -> None:
        super().__init__(message.text)
        self.message = message


def today(ctx: BotContext) -> date:
    return ctx.now().astimezone(UTC).date()


# The furthest time zone ahead of UTC (Line Islands, UTC+14): its date is the latest "today" anywhere.
EARLIEST_ZONE_AHEAD = timedelta(hours=14)


def latest_today(ctx: BotContext) -> date:
    """The latest date that is today somewhere on Earth: a person ahead of UTC may log a touch on their own
    today before it is today in UTC."""
    return (ctx.now().astimezone(UTC) + EARLIEST_ZONE_AHEAD).date()


def answer_text(ctx: BotContext, req: Request, text: str | None) -> Message:
    """Parse and run `/account <text>`; every failure becomes a helpful message."""
    try:
        command = cp.parse(text, today(ctx))
    except cp.CommandError as exc:
        return render_problem(exc.message, exc.usage)
    return run(ctx, req, command)


def run(ctx: BotContext, req: Request, command: cp.Command) -> Message:
    if isinstance(command, cp.Chart):  # reads, renders and uploads in steps of its own (no open transaction)
        from bot.listeners.charts import answer_chart

        return answer_chart(ctx, req, command)
    handler = HANDLERS[type(command)]
    try:
        with ctx.sessions.begin() as session:
            return handler(ctx, req, session, command)
    except Refused as stop:
        return stop.message
    except cp.CommandError as exc:
        return render_problem(exc.message, exc.usage)


# ---------------------------------------------------------------------------------------------- helpers


def resolve(session: Session, team_id: str, typed: str) -> Account:
    """The account `typed` names in this workspace, or Refused with a not-found / ambiguous reply."""
    found = find_account(session, team_id, typed)
    if found.account is not None:
        return found.account
    if found.ambiguous:
        raise Refused(render_ambiguous(typed, [a.name for a in found.candidates]))
    raise Refused(render_not_found(typed, found.suggestions))


def require_change_right(req: Request, acc: Account, action: str) -> None:
    if acc.owner_user_id == req.user_id:
        return
    if not may_change(acc.owner_user_id, req.user_id, req.admin()):
        if req.admin_check_failed():
            raise Refused(render_admin_check_failed(action, acc.name, acc.owner_user_id))
        raise Refused(render_refusal(action, acc.name, acc.owner_user_id))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def _shown(value: object) -> str:
    if value is None or value == []:
        return "not set"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# ---------------------------------------------------------------------------------------------- handlers


def _help(ctx: BotContext, req: Request, session: Session, cmd: cp.Help) -> Message:
    return render_help(cmd.topic)


def _grade(ctx: BotContext, req: Request, session: Session, cmd: cp.Grade) -> Message:
    try:
        acc = resolve(session, req.team_id, cmd.name)
    except Refused:
        first = cmd.name.split()[0]
        meant = cp.close_subcommand(first) if cmd.implicit else None
        if meant is None:
            raise
        raise cp.CommandError(
            f"`{first}` is not a command, and no account is named {cmd.name}. Did you mean `{meant}`?",
            cp.USAGES.get(meant),
        ) from None
    card = cards.account_card(session, req.team_id, acc.id, ctx.now(), ctx.thresholds)
    assert card is not None  # resolved in this workspace a moment ago, same session
    return render_card(card)


def card_of(ctx: BotContext, team_id: str, typed: str) -> cards.AccountCard | Message:
    """The card data for a button's account name (or the reply explaining why there is none)."""
    with ctx.sessions.begin() as session:
        try:
            acc = resolve(session, team_id, typed)
        except Refused as stop:
            return stop.message
        card = cards.account_card(session, team_id, acc.id, ctx.now(), ctx.thresholds)
        assert card is not None
        return card


def _list(ctx: BotContext, req: Request, session: Session, cmd: cp.ListAccounts) -> Message:
    rows = summaries.list_accounts(session, req.team_id, ctx.now(), ctx.thresholds, cmd.filter, req.user_id)
    return render_list(rows, cmd.filter, cmd.page)


def _log(ctx: BotContext, req: Request, session: Session, cmd: cp.LogTouch) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    contact_id = None
    contact_name = None
    if cmd.contact:
        contact = edits.find_contact(session, req.team_id, acc.id, cmd.contact)
        if contact is None:
            known = [c.name for c in contacts.contacts_of(session, req.team_id, acc.id) if c.active][:5]
            hint = ("Known contacts: " + ", ".join(known) + ".") if known else "It has no contacts yet."
            raise cp.CommandError(
                f"{acc.name} has no contact named {cmd.contact}. {hint} "
                f'Add them first with /account contact add {acc.name} "{cmd.contact}".',
                cp.LOG_USAGE,
            )
        contact_id, contact_name = contact.id, contact.name
    now = ctx.now()
    edits.log_touch(
        session,
        team_id=req.team_id,
        account_id=acc.id,
        kind=cmd.kind,
        occurred_at=now,
        created_by=req.user_id,
        contact_id=contact_id,
        note=cmd.note,
    )
    card = cards.account_card(session, req.team_id, acc.id, now, ctx.thresholds)
    who = f" with {name(contact_name)}" if contact_name else ""
    detail = None
    if card is not None and card.summary.cadence_days is not None:
        detail = f"Next touch due within {days(card.summary.cadence_days)} (its meeting cadence)."
    return render_done(
        f"Logged a {user_text(cmd.kind)}{who} at *{name(acc.name)}*. Its staleness clock is reset.", detail
    )


def log_touch_at(
    ctx: BotContext,
    team_id: str,
    user_id: str,
    account_id: int,
    kind: str,
    when: date,
    contact_id: int | None,
    note: str | None,
) -> bool:
    """The modal's write: a touch on `when`: now if that is today in UTC or later (the person's own today,
    ahead of UTC), else noon UTC that day."""
    now = ctx.now()
    occurred = now if when >= now.astimezone(UTC).date() else datetime.combine(when, time(12, 0), tzinfo=UTC)
    with ctx.sessions.begin() as session:
        return edits.log_touch(
            session,
            team_id=team_id,
            account_id=account_id,
            kind=kind,
            occurred_at=occurred,
            created_by=user_id,
            contact_id=contact_id,
            note=note,
        )


def _contacts(ctx: BotContext, req: Request, session: Session, cmd: cp.Contacts) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    return render_contacts(acc.name, contacts.contacts_of(session, req.team_id, acc.id))


def _contact_add(ctx: BotContext, req: Request, session: Session, cmd: cp.ContactAdd) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    contact, created = edits.add_contact(
        session,
        team_id=req.team_id,
        account_id=acc.id,
        name=cmd.full_name,
        title=cmd.title,
        decision_maker=cmd.decision_maker,
        user_id=req.user_id,
        now=ctx.now(),
    )
    role = " as a decision maker" if contact.role == "decision_maker" else ""
    verb = "Added" if created else "Updated"
    return render_done(f"{verb} *{name(contact.name)}* at *{name(acc.name)}*{role}.")


def _contact_left(ctx: BotContext, req: Request, session: Session, cmd: cp.ContactLeft) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    try:
        contact = edits.contact_left(
            session,
            team_id=req.team_id,
            account_id=acc.id,
            name=cmd.full_name,
            user_id=req.user_id,
            now=ctx.now(),
        )
    except edits.NotFound:
        known = [c.name for c in contacts.contacts_of(session, req.team_id, acc.id) if c.active][:5]
        hint = ("Known contacts: " + ", ".join(known) + ".") if known else "It has no contacts yet."
        raise cp.CommandError(
            f"{acc.name} has no contact named {cmd.full_name}. {hint}", cp.CONTACT_LEFT_USAGE
        ) from None
    return render_done(f"Marked *{name(contact.name)}* as gone from *{name(acc.name)}*. The history stays.")


def _set(ctx: BotContext, req: Request, session: Session, cmd: cp.SetField) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    require_change_right(req, acc, f"change the {FIELD_LABELS.get(cmd.field, cmd.field)} of")
    now = ctx.now()
    before = cards.account_card(session, req.team_id, acc.id, now, ctx.thresholds)
    if cmd.field == "feed" and cmd.value is None:
        if acc.news_feed:  # `set NAME feed none`: stop polling the account's feed
            retire_account_feed(session, team_id=req.team_id, account_id=acc.id, url=acc.news_feed)
    elif cmd.field == "feed":
        assert isinstance(cmd.value, str)
        try:
            add_feed(
                session,
                team_id=req.team_id,
                url=cmd.value,
                account_id=acc.id,
                added_by=req.user_id,
                allowed_hosts=ctx.settings.allowed_news_hosts,
                now=now,
            )
        except (UrlRefused, FeedError) as exc:
            raise cp.CommandError(f"That feed cannot be used: {exc}", cp.SET_USAGE) from None
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
    after = cards.account_card(session, req.team_id, acc.id, now, ctx.thresholds)
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


def _snooze(ctx: BotContext, req: Request, session: Session, cmd: cp.Snooze) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    return snooze_account(ctx, req, session, acc, cmd.until, cmd.reason)


def snooze_account(
    ctx: BotContext, req: Request, session: Session, acc: Account, until: date, reason: str | None
) -> Message:
    require_change_right(req, acc, "snooze")
    edits.snooze(
        session,
        team_id=req.team_id,
        account_id=acc.id,
        until=_start_of(until),
        reason=reason,
        user_id=req.user_id,
        now=ctx.now(),
    )
    why = f" ({user_text(reason)})" if reason else ""
    return render_done(
        f"Snoozed *{name(acc.name)}* until {until.isoformat()}{why}. No nudges about it until then."
    )


def snooze_by_name(ctx: BotContext, req: Request, typed: str, for_days: int) -> Message:
    return run(ctx, req, cp.Snooze(name=typed, until=today(ctx) + timedelta(days=for_days)))


def _focus(ctx: BotContext, req: Request, session: Session, cmd: cp.Focus) -> Message:
    return render_focus(home.focus_account(session, req.team_id, req.user_id, ctx.now(), ctx.thresholds))


def _feeds(ctx: BotContext, req: Request, session: Session, cmd: cp.Feeds) -> Message:
    if cmd.action == "list":
        return render_feeds(list_feeds(session, team_id=req.team_id))
    if not req.admin():
        if req.admin_check_failed():
            return render_admin_check_failed("add workspace news feeds")
        return render_admin_only("add workspace news feeds")
    assert cmd.url is not None
    try:
        feed = add_feed(
            session,
            team_id=req.team_id,
            url=cmd.url,
            channel=cmd.channel,
            added_by=req.user_id,
            allowed_hosts=ctx.settings.allowed_news_hosts,
            now=ctx.now(),
        )
    except (UrlRefused, FeedError) as exc:
        raise cp.CommandError(f"That feed cannot be used: {exc}", cp.FEEDS_USAGE) from None
    where = f" into <#{feed.channel}>" if feed.channel and feed.channel.isalnum() else ""
    return render_done(
        f"Added the feed {user_text(feed.url)}{where}. It is read every {feed.interval_minutes} minutes."
    )


HANDLERS: dict[type, Callable[..., Message]] = {
    cp.Help: _help,
    cp.Grade: _grade,
    cp.ListAccounts: _list,
    cp.LogTouch: _log,
    cp.Contacts: _contacts,
    cp.ContactAdd: _contact_add,
    cp.ContactLeft: _contact_left,
    cp.SetField: _set,
    cp.Snooze: _snooze,
    cp.Focus: _focus,
    cp.Feeds: _feeds,
}
