"""`/account log NAME KIND [with CONTACT] [-- note]`: record a touch now; and the Log-touch modal's write."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from bot.commands.lookup import known_contacts_hint, resolve
from bot.commands.text import MAX_NOTE, Token, join_name, plain
from bot.commands.types import TOUCH_KINDS, CommandError, LogTouch, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message, days, name, user_text
from bot.render.help import HelpLine
from bot.render.replies import render_done
from storage.reads.cards import account_card
from storage.writes import edits

USAGE = "/account log Acme meeting with Jane Doe -- talked about the renewal"
HELP = (
    HelpLine(
        "log NAME KIND [with CONTACT] [-- note]",
        "record a touch now (meeting, call, video, email, visit, review, other); resets the staleness clock",
        "/account log Acme meeting with Jane Doe -- renewal in March",
    ),
)


def parse(args: list[Token], today: date) -> LogTouch:
    note: str | None = None
    for i, tok in enumerate(args):
        if tok.text == "--" and not tok.quoted:
            note = plain(" ".join(t.text if not t.quoted else f'"{t.text}"' for t in args[i + 1 :])) or None
            args = args[:i]
            break
        if tok.text.startswith("--") and not tok.quoted and len(tok.text) > 2:
            rest = [Token(tok.text[2:])] + args[i + 1 :]
            note = plain(" ".join(t.text for t in rest)) or None
            args = args[:i]
            break
    if note is not None and len(note) > MAX_NOTE:
        raise CommandError(
            f"The note is {len(note):,} characters long; notes have at most {MAX_NOTE:,}.", USAGE
        )
    with_at = next((i for i, t in enumerate(args) if t.word == "with" and not t.quoted and i >= 2), None)
    head = args[:with_at] if with_at is not None else args
    contact_tokens = args[with_at + 1 :] if with_at is not None else []
    kind_at = next(
        (i for i in range(len(head) - 1, 0, -1) if head[i].word in TOUCH_KINDS and not head[i].quoted), None
    )
    if kind_at is None:
        if len(head) == 1 or (head and head[-1].word in TOUCH_KINDS):
            raise CommandError("Say which account and what kind of touch it was.", USAGE)
        raise CommandError(
            "Which kind of touch was it? Add one of " + ", ".join(TOUCH_KINDS) + " after the account name.",
            USAGE,
        )
    if kind_at != len(head) - 1:
        extra = plain(" ".join(t.text for t in head[kind_at + 1 :]))[:60]
        raise CommandError(
            f"I did not understand `{extra}` after the kind. Put the contact after `with` and the note after `--`.",
            USAGE,
        )
    account = join_name(head[:kind_at], usage=USAGE)
    contact = join_name(contact_tokens, "contact name", USAGE) if with_at is not None else None
    return LogTouch(name=account, kind=head[kind_at].word, contact=contact, note=note)


@in_session
def handle(ctx: BotContext, req: Request, session: Session, cmd: LogTouch) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    contact_id = None
    contact_name = None
    if cmd.contact:
        contact = edits.find_contact(session, req.team_id, acc.id, cmd.contact)
        if contact is None:
            hint = known_contacts_hint(session, req.team_id, acc)
            raise CommandError(
                f"{acc.name} has no contact named {cmd.contact}. {hint} "
                f'Add them first with /account contact add {acc.name} "{cmd.contact}".',
                USAGE,
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
    card = account_card(session, req.team_id, acc.id, now, ctx.thresholds)
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
    view_id: str | None = None,
) -> bool:
    """The modal's write: a touch on `when`: now if that is today in UTC or later (the person's own today,
    ahead of UTC), else noon UTC that day. One touch per `view_id` (Slack may resend a submission)."""
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
            submission=view_id,
        )
