"""The *Digest settings* button (App Home, `/account prefs`) opens the settings modal; its submission is read
and saved inside the ack (field errors must be in the HTTP answer), with the parsers of `/account prefs`.

A setting the person leaves as it came (inherited from the workspace defaults or the built-in ones) stays
inherited: only what they change becomes their own.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from accounts.timing import FREQUENCIES, WEEKLY, Prefs, Rhythm, rhythm_of
from bot.commands.prefs import check_pause, parse_time
from bot.commands.types import CommandError, Request, today
from bot.context import BotContext
from bot.listeners.actions import refuse_click
from bot.listeners.delivery import reply
from bot.listeners.guard import Answer, Body, member_only
from bot.render.blocks import Message
from bot.render.ids import (
    PREFS_BACKUP,
    PREFS_DAYS,
    PREFS_FREQUENCY,
    PREFS_PAUSE,
    PREFS_QUIET,
    PREFS_TIME,
    PREFS_WEEKLY_DAY,
)
from bot.render.prefs import QUIET_VALUE, render_prefs_modal, render_prefs_saved
from bot.render.replies import render_slack_failed
from bot.slack_client import classify
from storage import preferences as store
from storage.reads.slack_users import slack_user

log = logging.getLogger("accountbot.prefs")
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")


@dataclass(frozen=True, slots=True)
class PrefsForm:
    at: time
    days: frozenset[int]
    frequency: str
    weekly_day: int
    quiet: bool
    paused_until: date | None
    backup: str | None


def _value(values: dict[str, Any], block: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(block) or {}


def read_prefs_form(
    view: dict[str, Any], today_: date, user_id: str
) -> tuple[PrefsForm | None, dict[str, str]]:
    """The modal's values, or field errors keyed by block id. Pure: no database, no Slack."""
    values = (view.get("state") or {}).get("values") or {}
    errors: dict[str, str] = {}
    at = time(9, 0)
    try:
        at = parse_time(str(_value(values, PREFS_TIME).get("selected_time") or ""))
    except CommandError as exc:
        errors[PREFS_TIME] = exc.message
    days: set[int] = set()
    for option in _value(values, PREFS_DAYS).get("selected_options") or []:
        raw = str((option or {}).get("value") or "")
        day = raw.isdecimal() and len(raw) == 1 and int(raw) < 7
        if not day:
            errors[PREFS_DAYS] = "Pick the days from the list."
            break
        days.add(int(raw))
    if not days and PREFS_DAYS not in errors:
        errors[PREFS_DAYS] = "Pick at least one day. To stop the digest, set How often to Off."
    frequency = str((_value(values, PREFS_FREQUENCY).get("selected_option") or {}).get("value") or "")
    if frequency not in FREQUENCIES:
        errors[PREFS_FREQUENCY] = "Pick how often: daily, weekly or off."
    raw_day = str((_value(values, PREFS_WEEKLY_DAY).get("selected_option") or {}).get("value") or "0")
    weekly_day = int(raw_day) if raw_day.isdecimal() and len(raw_day) == 1 and int(raw_day) < 7 else None
    if weekly_day is None:
        errors[PREFS_WEEKLY_DAY] = "Pick the day from the list."
    quiet = any(
        (o or {}).get("value") == QUIET_VALUE
        for o in _value(values, PREFS_QUIET).get("selected_options") or []
    )
    paused_until = None
    raw_date = _value(values, PREFS_PAUSE).get("selected_date")
    if raw_date:
        try:
            paused_until = check_pause(date.fromisoformat(str(raw_date)), today_)
        except CommandError as exc:  # a ValueError too: caught first
            errors[PREFS_PAUSE] = exc.message
        except ValueError:
            errors[PREFS_PAUSE] = "Pick the day from the calendar."
    backup = _value(values, PREFS_BACKUP).get("selected_user") or None
    if backup is not None and not USER_ID.match(str(backup)):
        errors[PREFS_BACKUP] = "Pick a person from the list."
    elif backup == user_id:
        errors[PREFS_BACKUP] = "You cannot be your own backup: pick a colleague, or leave it empty."
    if errors or weekly_day is None:
        return None, errors
    return PrefsForm(at, frozenset(days), frequency, weekly_day, quiet, paused_until, backup), {}


def changes(form: PrefsForm, mine: Prefs | None, workspace: Prefs | None) -> dict[str, object]:
    """The settings to store: what the person set before, and what the form changes; a value left as it was
    inherited stays inherited."""
    mine = mine or Prefs()
    current = rhythm_of(mine, workspace)
    out: dict[str, object] = {}
    for field, new, old in (
        ("at", form.at, current.at),
        ("days", form.days, current.days),
        ("quiet", form.quiet, current.quiet),
    ):
        if getattr(mine, field) is not None or new != old:
            out[field] = new
    weekly_day = form.weekly_day if form.frequency == WEEKLY else None
    same = form.frequency == current.frequency and (
        form.frequency != WEEKLY or form.weekly_day == current.weekly_day
    )
    if mine.frequency is not None or not same:
        out["frequency"], out["weekly_day"] = form.frequency, weekly_day
    if form.backup != mine.backup:
        out["backup"] = form.backup
    return out


@member_only(refuse_click)
def open_prefs(ctx: BotContext, req: Request, body: Body, client: WebClient) -> None:
    """The *Digest settings* button: the modal, filled with the person's current rhythm."""
    with ctx.sessions.begin() as session:
        mine = store.prefs_of(session, req.team_id, req.user_id)
        workspace = store.prefs_of(session, req.team_id, store.DEFAULTS_USER)
        known = slack_user(session, req.team_id, req.user_id)
        tz = known.tz if known is not None else None
    rhythm: Rhythm = rhythm_of(mine, workspace)
    if rhythm.paused_until is not None and rhythm.paused_until <= today(ctx):
        rhythm = dataclasses.replace(rhythm, paused_until=None)  # over: the form starts without it
    view = render_prefs_modal(rhythm, mine.backup if mine is not None else None, tz)
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except (SlackApiError, SlackClientError, OSError, KeyError) as exc:
        error = classify(exc).error if not isinstance(exc, KeyError) else "no_trigger"
        log.warning("views_open_failed team=%s user=%s error=%s", req.team_id, req.user_id, error)
        reply(body.get("response_url"), render_slack_failed("the settings form"), team_id=req.team_id)


def refuse_in_form(ctx: BotContext, req: Request, body: Body, client: WebClient, stop: Message) -> Answer:
    return {"response_action": "errors", "errors": {PREFS_TIME: stop.text}}


@member_only(refuse_in_form, cached=True)  # cached: no users.info here, this runs inside the ack
def on_prefs_submitted(ctx: BotContext, req: Request, body: Body, client: WebClient) -> Answer:
    """The ack's answer: field errors, or the confirmation view once the settings are saved."""
    now = ctx.now()
    form, errors = read_prefs_form(body.get("view") or {}, today(ctx), req.user_id)
    if form is None:
        return {"response_action": "errors", "errors": errors}
    team, user = req.team_id, req.user_id
    with ctx.sessions.begin() as session:
        mine = store.prefs_of(session, team, user)
        workspace = store.prefs_of(session, team, store.DEFAULTS_USER)
        store.save(session, team, user, now=now, by=user, **changes(form, mine, workspace))
        was = mine.paused_until if mine is not None else None
        if form.paused_until is not None and form.paused_until != was:
            store.pause(session, team, user, form.paused_until, now=now, by=user)
        elif form.paused_until is None and was is not None and was > today(ctx):
            store.unpause(session, team, user, now=now, by=user)
        saved = rhythm_of(store.prefs_of(session, team, user), workspace)
    log.info("prefs_saved team=%s user=%s", team, user)
    return {"response_action": "update", "view": render_prefs_saved(saved, today(ctx))}
