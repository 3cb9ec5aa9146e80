"""Short replies: problems (what was wrong, what to type), name misses, refusals, confirmations."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, actions, button, context, name, section, user_mention, user_text
from bot.render.ids import OPEN_GRADE

HELP_HINT = "Type `/account help` for every command with examples."


def render_problem(message: str, usage: str | None = None) -> Message:
    """Bad input: the message says what was wrong; `usage` is an example of what works."""
    text = f":warning: {user_text(message)}"
    if usage:
        text += f"\nTry: `{user_text(usage)}`"
    return Message(text=user_text(message), blocks=[section(text), context(HELP_HINT)])


def render_cannot_post(what: str, problem: str) -> Message:
    """`what` was not done because the bot cannot post in a channel. `problem` comes from bot.channels (a
    channel id Slack gave and Slack's error code), so its `<#C...>` link is kept as mrkdwn."""
    return Message(
        text=f"{what} {problem}", blocks=[section(f":warning: {what} {problem}"), context(HELP_HINT)]
    )


def render_not_found(typed: str, suggestions: list[str]) -> Message:
    """No account by that name (in this workspace); up to three suggestions as buttons."""
    shown = name(typed)
    if not suggestions:
        body = (
            f":mag: No account named *{shown}*. If you meant a command, see `/account help`; "
            "`/account list` shows every account."
        )
        return Message(
            text=user_text(f"No account named {typed}"), blocks=[section(body), context(HELP_HINT)]
        )
    names = ", ".join(f"*{name(s)}*" for s in suggestions[:3])
    buttons = [button(s, f"{OPEN_GRADE}:{i}" if i else OPEN_GRADE, s) for i, s in enumerate(suggestions[:3])]
    return Message(
        text=user_text(f"No account named {typed}. Did you mean {', '.join(suggestions[:3])}?"),
        blocks=[
            section(f":mag: No account named *{shown}*. Did you mean {names}?"),
            actions(*buttons),
            context(HELP_HINT),
        ],
    )


def render_ambiguous(typed: str, candidates: list[str]) -> Message:
    """A name (an alias) that fits several accounts: list them, one button each (at most 25)."""
    shown = ", ".join(f"*{name(c)}*" for c in candidates[:25])
    more = f" and {len(candidates) - 25} more" if len(candidates) > 25 else ""
    buttons = [button(c, f"{OPEN_GRADE}:{i}" if i else OPEN_GRADE, c) for i, c in enumerate(candidates[:25])]
    return Message(
        text=user_text(f"{typed} could mean {len(candidates)} accounts: {', '.join(candidates[:10])}"),
        blocks=[
            section(
                f":twisted_rightwards_arrows: *{name(typed)}* could mean {shown}{more}. Which one? "
                "Use the full name."
            ),
            actions(*buttons),
        ],
    )


def render_refusal(action: str, account: str, owner_user_id: str | None) -> Message:
    """Not allowed: who may do it instead."""
    owner = f"its owner {user_mention(owner_user_id)}" if owner_user_id else "its owner (it has none yet)"
    body = (
        f":no_entry: Only {owner} or a workspace admin may {user_text(action)} *{name(account)}*. "
        "Ask them, or ask an admin to make you the owner."
    )
    return Message(
        text=user_text(f"Only the owner or an admin may {action} {account}."), blocks=[section(body)]
    )


def render_admin_only(action: str) -> Message:
    body = f":no_entry: Only workspace admins may {user_text(action)}. Ask an admin (or add your id to ADMIN_USER_IDS)."
    return Message(text=f"Only admins may {action}.", blocks=[section(body)])


ADMIN_CHECK_FAILED = "I couldn't check whether you are a workspace admin just now (Slack did not answer)"


def render_admin_check_failed(
    action: str, account: str | None = None, owner_user_id: str | None = None
) -> Message:
    """Not allowed because the admin check itself failed (users.info did not answer): say so, not "not an admin"."""
    what = f"{user_text(action)} *{name(account)}*" if account else user_text(action)
    who = "an admin"
    if account is not None:
        who = (
            f"its owner {user_mention(owner_user_id)} or an admin"
            if owner_user_id
            else "an admin (it has no owner yet)"
        )
    body = f":hourglass: {ADMIN_CHECK_FAILED}. Only {who} may {what}. Please try again in a minute."
    plain = f"{ADMIN_CHECK_FAILED}. Please try again in a minute."
    return Message(text=plain, blocks=[section(body)])


NOT_FOR_YOU = "accountbot is for members of this workspace; guests and people from other organisations can't see its accounts."
UNCHECKED = "I couldn't check who you are just now (Slack did not answer), so I can't show accounts. Please try again in a minute."


def render_not_for_you() -> Message:
    """The refusal for guests, Slack Connect users of another organisation and bots: nothing else."""
    return Message(text=NOT_FOR_YOU, blocks=[section(f":lock: {NOT_FOR_YOU}")])


def render_unchecked() -> Message:
    """users.info failed, nothing is cached and the payload is not enough to let the user through."""
    return Message(text=UNCHECKED, blocks=[section(f":hourglass: {UNCHECKED}")])


DATABASE_DOWN = "Nothing was read or saved: the database did not answer. Please try again in a minute."


def render_database_down() -> Message:
    """The database failed while the membership check read it: said as such, not blamed on Slack."""
    return Message(text=DATABASE_DOWN, blocks=[section(f":hourglass: {DATABASE_DOWN}")])


DONE = ":white_check_mark:"


def is_confirmation(message: Message) -> bool:
    """Whether `message` is a render_done confirmation (not a problem, refusal or miss)."""
    first = message.blocks[0].to_dict() if message.blocks else {}
    return str((first.get("text") or {}).get("text", "")).startswith(DONE)


def render_done(text: str, detail: str | None = None) -> Message:
    """A confirmation; `text` is already mrkdwn-safe (callers escape names with blocks.name)."""
    blocks: list[Block] = [section(f"{DONE} {text}")]
    if detail:
        blocks.append(context(detail))
    return Message(text=text.replace("*", ""), blocks=blocks)


def render_slack_failed(what: str) -> Message:
    body = f":warning: Slack did not accept {user_text(what)}. Please try again in a minute."
    return Message(text=f"Slack did not accept {what}. Please try again in a minute.", blocks=[section(body)])
