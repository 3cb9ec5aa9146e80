"""The CRM sync's message to admins: a saved connection stopped for a reason only they can fix."""

from __future__ import annotations

from accounts.facts import CrmSyncFailedFacts
from bot.render.blocks import Message, section, user_text

NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce"}
WHAT = {
    "auth": "refused the saved credentials",
    "daily_limit": "reached its daily API limit",
    "allocation": "reached the share of its 24-hour API allocation the sync may use",
    "keys": "cannot be read: its stored secret opens with none of TOKEN_ENCRYPTION_KEYS",
}


def render_crm_sync_failed(facts: CrmSyncFailedFacts) -> Message:
    name = NAMES.get(facts["source"], facts["source"])
    what = WHAT.get(facts["failure"], "stopped the sync")
    at = f" at {facts['object']}" if facts.get("object") else ""
    text = (
        f":warning: The {name} sync stopped{at}: {name} {what}.\n"
        f"> {user_text(facts['error'][:500])}\n"
        f"*Fix:* {user_text(facts['fix'][:600])}\n"
        "What was synced is kept, and the next sync goes on from its watermark. "
        f"`accountbot crm status` shows the connection."
    )
    return Message(text=f"{name} sync stopped: {what}", blocks=[section(text)])
