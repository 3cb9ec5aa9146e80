"""Dead letters, counted for the admins who can fix them: each stored reason reduced to one word, and what to do
about it. Pure: jobs.dead_letters feeds it the day's dead letters, bot.render.dead_letters shows it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from accounts.facts import DeadLetterFacts, DeadLetterReason

# reason -> what an admin does about it (a reason not listed gets GENERIC)
FIXES = {
    "not_in_channel": "invite the bot to the channel (`/invite @accountbot`), or point the feed at another channel",
    "channel_not_found": "the channel is gone or private without the bot: invite it, or pick another channel",
    "is_archived": "the channel was archived: unarchive it, or pick another channel",
    "user_not_found": "the person left the workspace: give their accounts a new owner (`/account set NAME owner @user`)",
    "user_disabled": "the person was deactivated: give their accounts a new owner (`/account set NAME owner @user`)",
    "cannot_dm_bot": "an account's owner is a bot user: give it a person as owner",
    "messages_tab_disabled": "turn on the Messages tab in the app's App Home settings",
    "missing_scope": "reinstall the app so it gets the scopes in manifest.yml",
    "gave_up": "Slack kept failing; check status.slack.com, then `accountbot outbox retry ID`",
    "render_failed": "a bug on our side: report it with `accountbot outbox --dead` output",
}
GENERIC = "see `accountbot outbox --dead` for each message, then `accountbot outbox retry ID`"
SELF = "dead_letters"  # this report's own kind: never counted, or a failing report would report itself


def reason_of(last_error: str) -> str:
    """The one-word reason of a stored dead reason ("gave up after 10 attempts: ..." -> gave_up)."""
    text = last_error.strip()
    if text.startswith("gave up after"):
        return "gave_up"
    word = text.split(":", 1)[0].split(" ", 1)[0].strip()
    return word or "unknown"


def summarize(day: str, dead: Iterable[tuple[str, str]]) -> DeadLetterFacts | None:
    """The day's dead letters (kind, stored reason) by reason, most first, each with its fix; None when none."""
    counts = Counter(reason_of(reason) for kind, reason in dead if kind != SELF)
    if not counts:
        return None
    reasons: list[DeadLetterReason] = [
        {"reason": reason, "count": n, "fix": FIXES.get(reason, GENERIC)}
        for reason, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    ]
    return {"day": day, "total": sum(counts.values()), "reasons": reasons}
