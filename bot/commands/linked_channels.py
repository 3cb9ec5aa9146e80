"""`/account link NAME #channel`, `/account unlink NAME #channel` and `/account links [NAME]`: channels whose
messages count as touches of an account (docs/nudges.md#touches-the-bot-can-see). Linking and unlinking are
for the account's owner or an admin, as `set`; anyone may list. The messages are counted by
bot.listeners.linked_channels."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.orm import Session

from bot.commands.lookup import require_change_right, resolve
from bot.commands.text import Token, join_name, parse_channel
from bot.commands.types import Command, CommandError, Refused, Request, in_session
from bot.context import BotContext
from bot.render.blocks import Message, days, name
from bot.render.help import HelpLine
from bot.render.linked_channels import channel_mention, render_links
from bot.render.replies import render_cannot_post, render_done
from storage.linked_channels import link_channel, links_of, unlink_channel

log = logging.getLogger("accountbot.linked_channels")

LINK_USAGE = "/account link Acme #acme-shared"
UNLINK_USAGE = "/account unlink Acme #acme-shared"
LINKS_USAGE = "/account links [Acme]"
LINK_HELP = (
    HelpLine(
        "link NAME #channel",
        "count messages in a (Slack Connect) channel as touches of the account, once a day; only who and "
        "when are kept, never the text (owner or admin)",
        LINK_USAGE,
    ),
)
UNLINK_HELP = (
    HelpLine(
        "unlink NAME #channel",
        "stop counting the channel and delete what was recorded through it (owner or admin)",
        UNLINK_USAGE,
    ),
)
LINKS_HELP = (HelpLine("links [NAME]", "the linked channels (of one account)", "/account links Acme"),)
INVITE = "Invite me with `/invite @accountbot` in that channel, then link it again."


@dataclass(frozen=True, slots=True)
class Link(Command):
    name: str
    channel: str


@dataclass(frozen=True, slots=True)
class Unlink(Command):
    name: str
    channel: str


@dataclass(frozen=True, slots=True)
class Links(Command):
    name: str | None = None


def _name_and_channel(args: list[Token], word: str, usage: str) -> tuple[str, str]:
    if len(args) < 2:
        raise CommandError(f"`{word}` needs the account and the #channel.", usage)
    try:
        channel = parse_channel(args[-1])
    except CommandError as exc:
        raise CommandError(f"{exc.message} The #channel goes after the account name.", usage) from None
    return join_name(args[:-1], usage=usage), channel


def parse_link(args: list[Token], today: date) -> Link:
    return Link(*_name_and_channel(args, "link", LINK_USAGE))


def parse_unlink(args: list[Token], today: date) -> Unlink:
    return Unlink(*_name_and_channel(args, "unlink", UNLINK_USAGE))


def parse_links(args: list[Token], today: date) -> Links:
    return Links(join_name(args, usage=LINKS_USAGE) if args else None)


def channel_problem(client: WebClient, channel_id: str) -> tuple[str | None, bool]:
    """(what stops the bot from seeing the channel's messages, or None; whether the channel is shared with
    another organisation), from conversations.info."""
    try:
        info = client.conversations_info(channel=channel_id)["channel"] or {}
    except SlackApiError as exc:
        error = str(exc.response.get("error") or "error")
        if error == "channel_not_found":
            return (
                f"I cannot see {channel_mention(channel_id)}: it is private and I am not in it. {INVITE}",
                False,
            )
        log.warning("link_channel_check_failed channel=%s error=%s", channel_id, error)
        return f"I could not check {channel_mention(channel_id)} ({error}). Try again in a minute.", False
    except Exception as exc:  # connection refused, timeout
        log.warning("link_channel_check_failed channel=%s error=%s", channel_id, type(exc).__name__)
        return (
            f"I could not reach Slack to check {channel_mention(channel_id)}. Try again in a minute.",
            False,
        )
    if info.get("is_archived"):
        return f"{channel_mention(channel_id)} is archived. Pick a channel that is in use.", False
    if not info.get("is_member"):
        return f"I am not in {channel_mention(channel_id)}, so I would not see its messages. {INVITE}", False
    return None, bool(info.get("is_ext_shared") or info.get("is_shared"))


@in_session
def handle_link(ctx: BotContext, req: Request, session: Session, cmd: Link) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    require_change_right(req, acc, "link channels to")
    shared = True
    if req.client is not None:  # checked before anything is saved
        problem, shared = channel_problem(req.client, cmd.channel)
        if problem is not None:
            raise Refused(render_cannot_post("The channel was not linked.", problem))
    new = link_channel(
        session, team_id=req.team_id, account_id=acc.id, channel_id=cmd.channel, user_id=req.user_id,
        now=ctx.now(),
    )  # fmt: skip
    log.info("channel_linked team=%s account=%s channel=%s new=%s", req.team_id, acc.id, cmd.channel, new)
    where = channel_mention(cmd.channel)
    if not new:
        return render_done(f"{where} was already linked to *{name(acc.name)}*. Nothing changed.")
    detail = (
        "Only the time, the channel and who took part are kept, never the text. "
        "`/account unlink` stops it and deletes what was recorded."
    )
    if not shared:
        detail = (
            f"{where} is not shared with another organisation: messages by your own colleagues there count "
            "too, so link only channels the client is in. " + detail
        )
    return render_done(
        f"Linked {where} to *{name(acc.name)}*: messages there by its people, or with them, now count as "
        "touches (at most one a day).",
        detail,
    )


@in_session
def handle_unlink(ctx: BotContext, req: Request, session: Session, cmd: Unlink) -> Message:
    acc = resolve(session, req.team_id, cmd.name)
    require_change_right(req, acc, "unlink channels from")
    gone = unlink_channel(session, team_id=req.team_id, account_id=acc.id, channel_id=cmd.channel)
    where = channel_mention(cmd.channel)
    if not gone.found:
        return render_done(
            f"{where} was not linked to *{name(acc.name)}*. Nothing changed.",
            "`/account links` lists the links.",
        )
    log.info(
        "channel_unlinked team=%s account=%s channel=%s touches=%d",
        req.team_id,
        acc.id,
        cmd.channel,
        gone.touches,
    )
    return render_done(
        f"Unlinked {where} from *{name(acc.name)}*: its messages no longer count, and what was recorded "
        f"through it ({days(gone.touches)} with a touch, {gone.people} participants) is deleted."
    )


@in_session
def handle_links(ctx: BotContext, req: Request, session: Session, cmd: Links) -> Message:
    if cmd.name is None:
        return render_links(links_of(session, req.team_id))
    acc = resolve(session, req.team_id, cmd.name)
    return render_links(links_of(session, req.team_id, acc.id), acc.name)
