"""`/account help`: every subcommand with an example, and who may change what."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.render.blocks import Message, context, header, section

COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "grade NAME",
        "the grade card: tier, grade, ratings and why, next step, treatment, last touch",
        "/account grade Acme Corp   (or just /account Acme Corp)",
    ),
    (
        "list [FILTER] [PAGE]",
        "accounts, 20 a page; filters: key, secondary, a, b, c, mine, stale, prospects, "
        "growth, maintenance, service",
        "/account list stale",
    ),
    (
        "log NAME KIND [with CONTACT] [-- note]",
        "record a touch now (meeting, call, video, email, visit, review, other); resets the staleness clock",
        "/account log Acme meeting with Jane Doe -- renewal in March",
    ),
    ("contacts NAME", "who we know there, decision makers first", "/account contacts Acme"),
    (
        'contact add NAME "Full Name" [title] [decision-maker]',
        "add a contact (quote the person's name)",
        '/account contact add Acme "Jane Doe" CFO decision-maker',
    ),
    ('contact left NAME "Full Name"', "someone left the client", '/account contact left Acme "Jane Doe"'),
    (
        "set NAME FIELD VALUE",
        "strategic_value, pain_factor, profitability (high/medium/low), engagement, potential "
        "(high/low), wallet_share, profit_margin (percent), stage (client/prospect), owner @user, "
        "sponsor @user [executive|project_manager], aliases (a; b), feed URL; `none` clears",
        "/account set Acme sponsor @dana executive",
    ),
    (
        "snooze NAME 7d|2w|until YYYY-MM-DD [reason]",
        "quiet the nudges about an account for a while",
        "/account snooze Acme 2w waiting for their budget",
    ),
    ("focus", "this week's focus account", "/account focus"),
    (
        "feeds / feeds add URL [#channel]",
        "news feeds of the workspace (adding one is for admins)",
        "/account feeds add https://example.com/news.rss #client-news",
    ),
    (
        "chart quadrant [mine|all] [in #channel] / chart concentration [in #channel]",
        "a picture of the portfolio, as a PNG in your DM (or the channel): accounts on potential x engagement, "
        "or how concentrated revenue is; quadrant defaults to your accounts if you own any",
        "/account chart quadrant all in #sales",
    ),
)

RIGHTS = (
    "*Who may change what*: anyone in the workspace may look things up, log touches and edit contacts. "
    "Only the account's owner or a workspace admin may `set` fields or snooze it; only admins add workspace feeds. "
    "Every change is recorded (who, when, old -> new)."
)


def render_help(topic: str | None = None) -> Message:
    entries = [c for c in COMMANDS if topic and c[0].split()[0] == topic] or list(COMMANDS)
    blocks: list[Block] = [header("/account: key accounts in Slack")]
    lines = [f"*`{usage}`*\n{what}\n_e.g._ `{example}`" for usage, what, example in entries]
    for i in range(0, len(lines), 4):
        blocks.append(section("\n\n".join(lines[i : i + 4])))
    blocks.append(section(RIGHTS))
    blocks.append(
        context("Names are matched without case, then by alias; a near miss suggests up to three names.")
    )
    return Message(text="/account commands: " + ", ".join(c[0].split()[0] for c in entries), blocks=blocks)
