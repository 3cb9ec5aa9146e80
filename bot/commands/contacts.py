"""`/account contacts NAME` (who we know there) and `/account contact add|left NAME "Full Name" ...`."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from bot.commands.lookup import known_contacts_hint, resolve
from bot.commands.text import MAX_NAME, Token, join_name, plain
from bot.commands.types import CommandError, ContactAdd, ContactLeft, Contacts, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message, name
from bot.render.contacts import render_contacts
from bot.render.help import HelpLine
from bot.render.replies import render_done
from storage.reads.contacts import contacts_of
from storage.writes import edits

CONTACTS_USAGE = "/account contacts Acme"
CONTACT_ADD_USAGE = '/account contact add Acme "Jane Doe" CFO decision-maker'
CONTACT_LEFT_USAGE = '/account contact left Acme "Jane Doe"'
CONTACTS_HELP = (
    HelpLine("contacts NAME", "who we know there, decision makers first", "/account contacts Acme"),
)
CONTACT_HELP = (
    HelpLine(
        'contact add NAME "Full Name" [title] [decision-maker]',
        "add a contact (quote the person's name)",
        '/account contact add Acme "Jane Doe" CFO decision-maker',
    ),
    HelpLine(
        'contact left NAME "Full Name"', "someone left the client", '/account contact left Acme "Jane Doe"'
    ),
)
DECISION_MAKER_WORDS = frozenset({"decision-maker", "decision_maker", "decisionmaker", "dm"})


def parse_contacts(args: list[Token], today: date) -> Contacts:
    return Contacts(join_name(args, usage=CONTACTS_USAGE))


def _split_on_quoted_person(args: list[Token], usage: str) -> tuple[str, str, list[Token]]:
    """Account name, quoted person name, the tokens after it."""
    if len(args) >= 2 and args[0].quoted and args[1].quoted:
        return join_name(args[:1], usage=usage), join_name(args[1:2], "contact name", usage), args[2:]
    at = next((i for i, t in enumerate(args) if t.quoted and i >= 1), None)
    if at is None:
        raise CommandError("Put the contact's full name in quotes after the account name.", usage)
    return (
        join_name(args[:at], usage=usage),
        join_name(args[at : at + 1], "contact name", usage),
        args[at + 1 :],
    )


def parse_contact(args: list[Token], today: date) -> ContactAdd | ContactLeft:
    if not args or args[0].word not in ("add", "left", "leave", "gone"):
        raise CommandError(
            "Use `contact add` to add someone or `contact left` when they leave the client.",
            CONTACT_ADD_USAGE,
        )
    action, rest = args[0].word, args[1:]
    if action == "add":
        account, person, tail = _split_on_quoted_person(rest, CONTACT_ADD_USAGE)
        decision_maker = any(t.word in DECISION_MAKER_WORDS and not t.quoted for t in tail)
        title_tokens = [t for t in tail if not (t.word in DECISION_MAKER_WORDS and not t.quoted)]
        title = plain(" ".join(t.text for t in title_tokens)) or None
        if title and len(title) > MAX_NAME:
            raise CommandError(
                f"The title is {len(title)} characters long; titles have at most {MAX_NAME}.",
                CONTACT_ADD_USAGE,
            )
        return ContactAdd(name=account, full_name=person, title=title, decision_maker=decision_maker)
    account, person, tail = _split_on_quoted_person(rest, CONTACT_LEFT_USAGE)
    if tail:
        raise CommandError(
            "`contact left` takes only the account and the contact's quoted name.", CONTACT_LEFT_USAGE
        )
    return ContactLeft(name=account, full_name=person)


@in_session
def handle_contacts(ctx: BotContext, req: Request, session: Session, cmd: Contacts) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    return render_contacts(acc.name, contacts_of(session, req.team_id, acc.id))


@in_session
def handle_contact(ctx: BotContext, req: Request, session: Session, cmd: ContactAdd | ContactLeft) -> Message:
    if isinstance(cmd, ContactAdd):
        return _add(ctx, req, session, cmd)
    return _left(ctx, req, session, cmd)


def _add(ctx: BotContext, req: Request, session: Session, cmd: ContactAdd) -> Message:
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


def _left(ctx: BotContext, req: Request, session: Session, cmd: ContactLeft) -> Message:
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
        hint = known_contacts_hint(session, req.team_id, acc)
        raise CommandError(
            f"{acc.name} has no contact named {cmd.full_name}. {hint}", CONTACT_LEFT_USAGE
        ) from None
    return render_done(f"Marked *{name(contact.name)}* as gone from *{name(acc.name)}*. The history stays.")
