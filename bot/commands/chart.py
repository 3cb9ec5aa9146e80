"""`/account chart quadrant [mine|all] [in #channel]` and `/account chart concentration [in #channel]`.

Three steps, none inside an open transaction: read the requester's workspace, draw the PNG, upload it to
the requester's DM or the named channel; the reply is a short confirmation or what went wrong. The choices
(default scope, who may post where) are in docs/slack-commands.md#portfolio-charts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from accounts.charts import MAX_DRAWN_POINTS, concentration_chart, quadrant_chart
from bot.commands.text import BARE_CHANNEL_RE, Token, parse_channel, plain
from bot.commands.types import Chart, CommandError, Request
from bot.context import BotContext
from bot.render.blocks import Message, context, section, user_mention, user_text
from bot.render.help import HelpLine
from bot.render.replies import HELP_HINT, render_done, render_problem
from bot.uploads import Png, UploadFailed, upload_png
from storage.reads.charts import chart_accounts, concentration_inputs

CHART_KINDS: dict[str, str] = {
    "quadrant": "quadrant",
    "quadrants": "quadrant",
    "concentration": "concentration",
    "pareto": "concentration",
}
CHART_SCOPES: tuple[str, ...] = ("mine", "all")

USAGE = (
    "/account chart quadrant mine   (or: /account chart quadrant all in #sales, /account chart concentration)"
)
HELP = (
    HelpLine(
        "chart quadrant [mine|all] [in #channel] / chart concentration [in #channel]",
        "a picture of the portfolio, as a PNG in your DM (or the channel): accounts on potential x engagement, "
        "or how concentrated revenue is; quadrant defaults to your accounts if you own any",
        "/account chart quadrant all in #sales",
    ),
)


def parse(args: list[Token], today: date) -> Chart:
    if not args:
        raise CommandError(
            "Which chart? `quadrant` (engagement x potential) or `concentration` (revenue Pareto).",
            USAGE,
        )
    kind = None if args[0].quoted else CHART_KINDS.get(args[0].word)
    if kind is None:
        raise CommandError(
            f"`{plain(args[0].text)[:40]}` is not a chart; the charts are `quadrant` and `concentration`.",
            USAGE,
        )
    scope: str | None = None
    channel: str | None = None
    rest = args[1:]
    i = 0
    while i < len(rest):
        tok = rest[i]
        if not tok.quoted and tok.word in CHART_SCOPES:
            if scope is not None:
                raise CommandError("Say `mine` or `all` once.", USAGE)
            scope = tok.word
        elif not tok.quoted and tok.word in ("in", "to", "into"):
            if i + 1 >= len(rest):
                raise CommandError(
                    f"`{tok.word}` needs a channel after it, picked with # (for example #sales).", USAGE
                )
            i += 1
            channel = _chart_channel(rest[i], channel)
        elif not tok.quoted and (tok.text.startswith("<#") or BARE_CHANNEL_RE.match(tok.text)):
            channel = _chart_channel(tok, channel)
        else:
            shown = plain(tok.text)[:40]
            if tok.text.startswith("#"):
                raise CommandError(
                    f"`{shown}` is not a linked channel. Pick it from the list Slack shows when you type #.",
                    USAGE,
                )
            raise CommandError(
                f"I did not understand `{shown}`; after the chart come `mine` or `all` and `in #channel`.",
                USAGE,
            )
        i += 1
    if kind == "concentration" and scope is not None:
        raise CommandError(
            "The concentration chart always covers the whole workspace (the key tier is cut across all clients); "
            "leave out `mine`/`all`.",
            "/account chart concentration",
        )
    return Chart(kind=kind, scope=scope, channel=channel)


def _chart_channel(tok: Token, before: str | None) -> str:
    if before is not None:
        raise CommandError("A chart goes to one channel; name only one.", USAGE)
    try:
        return parse_channel(tok)
    except CommandError as exc:
        raise CommandError(exc.message, USAGE) from None


log = logging.getLogger("accountbot.charts")

DRAW_FAILED = (
    "Sorry, I could not draw the {kind} chart (a fault on our side; it is logged for the team). "
    "Nothing was posted. Please try again in a minute."
)
NO_CLIENT = (
    "Charts are uploaded to Slack as images; this request came without a Slack connection. Try it in Slack."
)


@dataclass(frozen=True, slots=True)
class Drawn:
    png: Png
    what: str  # for the confirmation: "quadrant chart of your 12 accounts"
    note: str | None = None


def handle(ctx: BotContext, req: Request, cmd: Chart) -> Message:
    """Reads, draws and uploads in steps of its own (no open transaction)."""
    if req.client is None:
        return render_problem(NO_CLIENT)
    try:
        drawn = draw(ctx, req, cmd)
    except (
        Exception
    ) as exc:  # a drawing (or reading) fault: say which chart failed, log the trace, upload nothing
        log.error(
            "chart_draw_failed team=%s user=%s kind=%s error=%s", req.team_id, req.user_id, cmd.kind,
            type(exc).__name__, exc_info=exc,
        )  # fmt: skip
        return render_problem(DRAW_FAILED.format(kind=cmd.kind))
    where = f"<#{cmd.channel}>" if cmd.channel else "your DM"
    comment = (
        f"{user_mention(req.user_id)} asked for this chart with `/account chart {cmd.kind}`."
        if cmd.channel
        else None
    )
    try:
        done = upload_png(req.client, cmd.channel or req.user_id, drawn.png, initial_comment=comment)
    except UploadFailed as exc:
        log.warning(
            "chart_upload_failed team=%s user=%s kind=%s step=%s error=%s",
            req.team_id,
            req.user_id,
            cmd.kind,
            exc.step,
            exc.error,
        )
        return _upload_problem(exc, cmd.channel)
    log.info(
        "chart_posted team=%s user=%s kind=%s channel=%s", req.team_id, req.user_id, cmd.kind, done.channel
    )
    return render_done(f"Posted the {user_text(drawn.what)} in {where}.", drawn.note)


def _upload_problem(exc: UploadFailed, channel: str | None) -> Message:
    """What went wrong, with the channel as a live link (its id was validated by the parser), never a trace."""
    text = exc.user_message(f"<#{channel}>" if channel else "your DM")
    plain = exc.user_message(f"#{channel}" if channel else "your DM")
    return Message(text=plain, blocks=[section(f":warning: {text}"), context(HELP_HINT)])


def draw(ctx: BotContext, req: Request, cmd: Chart) -> Drawn:
    """Read the workspace and draw the chart `cmd` asks for (no Slack calls)."""
    # matplotlib and numpy are loaded on the first chart, not at start: an idle bot stays small.
    from bot.render.charts import concentration_alt_text, concentration_png, quadrant_alt_text, quadrant_png

    now, th = ctx.now(), ctx.thresholds
    day = now.date().isoformat()
    if cmd.kind == "concentration":
        with ctx.sessions.begin() as session:
            accounts = chart_accounts(session, req.team_id, now, th)
        revenues, key_count = concentration_inputs(accounts)
        pareto = concentration_chart(revenues, key_count)
        title = f"Revenue concentration ({pareto.n:,} client{'s' if pareto.n != 1 else ''})"
        png = Png(
            f"concentration-{day}.png",
            title,
            concentration_alt_text(pareto, title),
            concentration_png(pareto, title=title),
        )
        return Drawn(png, f"concentration chart ({pareto.headline})" if pareto.n else "concentration chart")
    scope = cmd.scope
    note = None
    with ctx.sessions.begin() as session:
        accounts = (
            [] if scope == "all" else chart_accounts(session, req.team_id, now, th, owner_user_id=req.user_id)
        )
        if scope is None:
            scope = "mine" if accounts else "all"
            if not accounts:
                note = "You own no accounts, so this is the whole workspace."
        if scope == "all":
            accounts = chart_accounts(session, req.team_id, now, th)
    if scope == "mine" and not accounts:
        note = "You own no accounts yet, so the chart is empty. `/account chart quadrant all` shows the whole workspace."
    chart = quadrant_chart(accounts, th, max_points=MAX_DRAWN_POINTS)
    n = len(accounts)
    whose = "your" if scope == "mine" else "all"
    title = f"Portfolio quadrant: {whose} accounts ({n:,})"
    png = Png(
        f"quadrant-{scope}-{day}.png",
        title,
        quadrant_alt_text(chart, title),
        quadrant_png(chart, title=title),
    )
    return Drawn(png, f"quadrant chart of {whose} {n:,} account{'s' if n != 1 else ''}", note)
