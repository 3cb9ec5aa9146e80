"""Every action, callback and block id the bot puts into Slack, in one place.

Renderers draw buttons, modals and inputs with these ids and bot.listeners routes Slack's requests by
them, so a renamed id cannot leave a button without its listener (tests/bot/test_cmd_action_ids.py).
"""

from __future__ import annotations

import re

# Buttons (action ids). Their value is the account name, looked up again in the clicking user's workspace.
OPEN_GRADE = "open_grade"  # also `open_grade:N` when several sit in one block (suggestions, candidates)
LOG_TOUCH = "log_touch"
SNOOZE_WEEK = "snooze_week"
SNOOZE_MONTH = "snooze_month"
SHARE_CARD = "share_card"
LIST_PAGE = "list_page"  # value `FILTER:PAGE`
LIST_PAGE_PREV = LIST_PAGE + ":prev"
NOT_RELEVANT = "news_not_relevant"  # value: the mention id
OPEN_PREFS = "open_prefs"  # App Home and `/account prefs`: the digest settings modal (value unused)

# What the listeners match: the numbered and "previous" variants of a button go to the same listener.
OPEN_GRADE_ANY = re.compile(rf"^{OPEN_GRADE}(:\d+)?$")
SNOOZE_ANY = re.compile(rf"^({SNOOZE_WEEK}|{SNOOZE_MONTH})$")
LIST_PAGE_ANY = re.compile(rf"^{LIST_PAGE}(:prev)?$")

# Modals (callback ids).
LOG_TOUCH_CALLBACK = "log_touch_modal"
EXCLUSION_CALLBACK = "news_exclusion"
PREFS_CALLBACK = "prefs_modal"

# Inputs of the Log-touch modal: block id == action id, so the submission reads state.values[X][X].
KIND, CONTACT, CONTACT_NAME, DATE, NOTE = "kind", "contact", "contact_name", "date", "note"

# The exclusion-phrase input of the news modal.
PHRASE_BLOCK = "phrase"
PHRASE_ACTION = "phrase"

# Inputs of the digest settings modal (block id == action id).
PREFS_TIME, PREFS_DAYS, PREFS_FREQUENCY, PREFS_WEEKLY_DAY = (
    "prefs_time",
    "prefs_days",
    "prefs_frequency",
    "prefs_weekly_day",
)
PREFS_QUIET, PREFS_PAUSE, PREFS_BACKUP = "prefs_quiet", "prefs_pause", "prefs_backup"
