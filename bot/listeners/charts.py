"""`/account chart quadrant [mine|all] [in #channel]` and `/account chart concentration [in #channel]`.

Three steps, none inside an open transaction: read the requester's workspace (one unit of work), draw the
PNG, upload it with files_upload_v2 to the requester's DM (conversations.open) or the named channel. The
reply on the response_url is a short ephemeral confirmation, or what went wrong and what to do.

Decisions:
- `quadrant` without `mine`/`all`: the requester's own accounts when they own any, else the whole workspace
  (the confirmation says which). `mine` with no accounts of one's own still posts a (sensibly empty) chart.
- `concentration` always covers the workspace: the key-tier cut is made across all clients.
- Posting into a channel is allowed to anyone, like a card's **Share in channel** button: looking things up
  is open to the whole workspace, so a picture of it is too. The file message names who asked for it.
  The bot must be in the channel (Slack's rule for files); otherwise the answer says to invite it.
- Only the requester's workspace is ever read (every query is scoped by the request's team id).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from accounts.charts import MAX_DRAWN_POINTS, concentration_chart, quadrant_chart
from bot import command_parser as cp
from bot.context import BotContext
from bot.listeners.answers import Request
from bot.render.format import context, section, user_text
from bot.render.kit import Message, user_mention
from bot.render.replies import HELP_HINT, render_done, render_problem
from bot.uploads import Png, UploadFailed, upload_png
from storage.reads.charts import chart_accounts, concentration_inputs

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


def answer_chart(ctx: BotContext, req: Request, cmd: cp.Chart) -> Message:
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


def draw(ctx: BotContext, req: Request, cmd: cp.Chart) -> Drawn:
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
