"""The news alerts' "Not relevant" button and the exclusion-phrase modal it opens.

- `news_not_relevant` (value = mention id): records the clicking person's vote at once (one vote per person and
  story: a repeat click is not counted and is answered "You already marked this as not relevant"); the
  account's owner or an admin then gets a modal offering to add an exclusion phrase (on a repeat click too);
  anyone else gets an ephemeral thank-you.
- view `news_exclusion`: adds the phrase to the account's exclusions (owner or admin only, checked again).

"Open grade" on the alert is the shared `open_grade` action (bot.listeners.actions).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.context import BotContext
from bot.listeners.delivery import reply_or_apologise
from bot.listeners.permissions import may_change, standing
from bot.listeners.requests import cached_refusal, make_request, refusal, team_of, user_of
from bot.render.news import (
    EXCLUSION_CALLBACK,
    MAX_PHRASE,
    NOT_RELEVANT,
    PHRASE_ACTION,
    PHRASE_BLOCK,
    render_exclusion_added,
    render_exclusion_modal,
    render_vote_recorded,
)
from bot.render.replies import ADMIN_CHECK_FAILED, render_problem
from storage import mentions as mention_store

log = logging.getLogger("accountbot.news")


def _mention_id(body: dict[str, Any]) -> int | None:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "").strip()
    return int(value) if value.isdigit() else None


def register(app: App, ctx: BotContext) -> None:
    def ack_click(ack: Ack) -> None:
        ack()

    def not_relevant(body: dict[str, Any], client: WebClient, context: Any) -> None:
        req = make_request(ctx, client, body, context)
        team, user, channel = req.team_id, req.user_id, req.channel_id
        mention_id = _mention_id(body)

        def answer(message: Any) -> None:
            reply_or_apologise(
                body.get("response_url"),
                message,
                client=client,
                channel_id=channel,
                user_id=user,
                team_id=team,
                what="the vote",
            )

        stop = refusal(ctx, client, body, req)  # guests and outsiders neither vote nor see the account
        if stop is not None:
            answer(stop)
            return

        if mention_id is None:
            answer(render_problem("That button carries no story; it may come from an old message."))
            return
        with ctx.sessions.begin() as session:
            vote = mention_store.vote_not_relevant(
                session, team_id=team, mention_id=mention_id, user_id=user, now=ctx.now()
            )
        if vote is None:  # unknown here: deleted, or a forged id from another workspace; nothing was stored
            answer(render_problem("That story is not known in this workspace any more."))
            return
        already = not vote.counted
        log.info(
            "news_not_relevant team=%s user=%s mention=%s votes=%s repeat=%s",
            team,
            user,
            mention_id,
            vote.votes,
            already,
        )
        if may_change(vote.owner_user_id, user, req.admin()) and body.get("trigger_id"):
            meta = json.dumps({"account_id": vote.account_id, "mention_id": mention_id})
            view = render_exclusion_modal(vote.account_name, vote.title, meta, already=already)
            try:
                client.views_open(trigger_id=body["trigger_id"], view=view)
                return
            except (SlackApiError, SlackClientError, OSError) as exc:
                log.warning("news_modal_failed team=%s user=%s error=%s", team, user, type(exc).__name__)
        answer(render_vote_recorded(vote.account_name, vote.votes, already=already))

    app.action(NOT_RELEVANT)(ack=ack_click, lazy=[not_relevant])

    @app.view(EXCLUSION_CALLBACK)
    def add_phrase(
        ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient, context: Any
    ) -> None:
        team, user = team_of(body, context), user_of(body)
        stop = cached_refusal(ctx, body, team, user)  # no users.info for membership inside the ack
        if stop is not None:
            ack(response_action="errors", errors={PHRASE_BLOCK: stop.text})
            return
        values = (view.get("state") or {}).get("values") or {}
        phrase = " ".join(
            str((values.get(PHRASE_BLOCK) or {}).get(PHRASE_ACTION, {}).get("value") or "").split()
        )
        try:
            meta = json.loads(view.get("private_metadata") or "{}")
            account_id = int(meta["account_id"])
        except (ValueError, KeyError, TypeError):
            ack(
                response_action="errors",
                errors={PHRASE_BLOCK: "This form is out of date; click Not relevant again."},
            )
            return
        if not phrase:
            ack(
                response_action="errors", errors={PHRASE_BLOCK: "Type the words that mark stories to ignore."}
            )
            return
        if len(phrase) > MAX_PHRASE:
            ack(response_action="errors", errors={PHRASE_BLOCK: f"Keep it under {MAX_PHRASE} characters."})
            return
        with ctx.sessions.begin() as session:
            brief = mention_store.account_brief(session, team_id=team, account_id=account_id)
        if brief is None:
            ack(
                response_action="errors",
                errors={PHRASE_BLOCK: "This account is not in your workspace any more."},
            )
            return
        name, owner = brief
        found = standing(ctx, client, team, user) if owner != user else None
        if found is not None and not may_change(owner, user, found.admin):
            why = "Only the account's owner or an admin can add phrases."
            if found.failed:
                why = f"{ADMIN_CHECK_FAILED}; only the account's owner or an admin can add phrases. Try again in a minute."
            ack(response_action="errors", errors={PHRASE_BLOCK: why})
            return
        with ctx.sessions.begin() as session:
            phrases = mention_store.add_exclusion(
                session, team_id=team, account_id=account_id, phrase=phrase, now=ctx.now()
            )
        log.info("news_exclusion_added team=%s user=%s account=%s", team, user, account_id)
        ack(response_action="update", view=render_exclusion_added(name, phrase, phrases))
