"""The one Bolt app factory, used by Socket Mode and by the HTTP server alike."""

from __future__ import annotations

import importlib
import json
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltUnhandledRequestError

from bot.context import BotContext
from bot.deferred import DeferringExecutor
from bot.log_format import correlate_requests
from bot.redaction import install_redaction
from bot.slack_client import make_web_client
from storage import seen_events

log = logging.getLogger("accountbot.bot")

Registrar = Callable[[App, BotContext], None]

SORRY = "Sorry, something went wrong on our side. Please try again in a minute; if it keeps failing, tell your admin."
LISTENER_THREADS = 16


def _default_registrar() -> Registrar:
    """`bot.listeners.register`; a clear error if that package is missing or incomplete."""
    try:
        module = importlib.import_module("bot.listeners")
    except ModuleNotFoundError as exc:
        if exc.name == "bot.listeners":
            raise RuntimeError(
                "bot.listeners is missing: the Slack listeners package is not installed"
            ) from None
        raise
    register = getattr(module, "register", None)
    if register is None:
        raise RuntimeError("bot.listeners has no register(app, ctx) function")
    return register


def create_app(
    ctx: BotContext,
    *,
    token: str | None = None,
    register: Registrar | None = None,
    socket_mode: bool = False,
) -> App:
    """Build the Bolt app.

    - signing secret from SLACK_SIGNING_SECRET; Web API client on SLACK_API_URL with the bot token (or `token`)
      and slack_sdk retry handlers for 429 and 5xx;
    - no auth.test at start (token_verification_enabled=False), so it starts offline; Bolt calls auth.test
      once, lazily, on the first request;
    - process_before_response=True for both transports: the ack function runs on the request's own
      thread and its answer goes back at once; the slow part of every listener is a Bolt *lazy* function,
      started on the listener thread pool after the ack. So acks never queue behind follow-up work (with
      False, Bolt runs ack and follow-ups on the same pool and a burst of follow-ups can delay acks past
      Slack's 3 s); listeners that answer in the ack itself (modal field errors) simply finish first.
      The lazy functions start once the ack is written (bot.deferred, used by bot.server and
      bot.socket_mode), so they do not compete with it for the GIL;
    - a global error handler that logs (never tokens) and shows the user a short apology, never a trace;
    - listeners from `register` (default: bot.listeners.register).

    `socket_mode=True`: requests come over Slack's WebSocket, not HTTP, so they carry no signature and the
    signing secret is optional.
    """
    settings = ctx.settings
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    bot_token = token or (settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None)
    app_token = settings.slack_app_token.get_secret_value() if settings.slack_app_token else None
    install_redaction(secret, bot_token, app_token)
    if not secret and not socket_mode:
        raise RuntimeError("SLACK_SIGNING_SECRET is not set (HTTP mode verifies every request with it)")

    oauth: dict[str, Any] = {}
    if settings.oauth:  # many workspaces: each request's token comes from the installation store
        from bot.installations import oauth_settings

        engine = ctx.sessions.kw["bind"]
        oauth = {"oauth_settings": oauth_settings(settings, engine)}
        bot_token = None
    app = App(
        signing_secret=secret or "",
        request_verification_enabled=not socket_mode,
        client=make_web_client(settings, token=bot_token),
        token_verification_enabled=False,
        **oauth,
        process_before_response=True,
        listener_executor=DeferringExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="bolt-listener"),
        logger=logging.getLogger("accountbot.bolt"),
        ignoring_self_events_enabled=True,
        url_verification_enabled=True,
        raise_error_for_unhandled_request=True,  # answered by _on_error: 200, logged, no error icon
    )
    app.error(_on_error)
    app.use(correlate_requests())  # a correlation id per request in the log lines (LOG_FORMAT=json)
    app.use(_once_per_event(ctx))
    (register or _default_registrar())(app, ctx)
    return app


def _once_per_event(ctx: BotContext) -> Callable[..., BoltResponse | None]:
    """A global middleware: an Events API event already handled (Slack's retry of it, or its copy on another
    replica) is acked with an empty 200 and not handled again (storage.seen_events)."""

    def once(body: dict[str, Any], request: BoltRequest, next: Callable[[], None]) -> BoltResponse | None:
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            team = str(_team_of(body) or "")
            try:
                with ctx.sessions.begin() as session:
                    first = seen_events.first_time(
                        session, team_id=team, event_id=str(event_id), now=ctx.now()
                    )
            except Exception as exc:  # the database is down: handle it (the listener will say so if it fails)
                log.warning("event_dedup_failed team=%s error=%s", team, type(exc).__name__)
                first = True
            if not first:
                retry = ",".join(request.headers.get("x-slack-retry-num") or []) or "-"
                log.info("event_repeat_skipped team=%s event_id=%s retry=%s", team, event_id, retry)
                return BoltResponse(status=200, body="")
        next()
        return None

    return once


def drain(app: App, timeout: float = 10.0) -> bool:
    """Let the follow-up work already started finish (up to `timeout` s) and stop the listener pool.
    Call after the transport stopped taking requests. True when everything finished in time."""
    import threading

    executor = app.listener_runner.listener_executor
    done = threading.Event()

    def shutdown() -> None:
        executor.shutdown(wait=True)
        done.set()

    threading.Thread(target=shutdown, name="bolt-drain", daemon=True).start()
    finished = done.wait(timeout)
    if not finished:
        log.warning("drain_timeout seconds=%s", timeout)
    return finished


def _team_of(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    if isinstance(team, dict):
        return team.get("id")
    return body.get("team_id") or (team if isinstance(team, str) else None)


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    if isinstance(user, dict):
        return user.get("id")
    return body.get("user_id") or (body.get("event") or {}).get("user")


def _on_error(
    error: Exception,
    body: dict[str, Any],
    response: BoltResponse | None,
    respond: Any = None,
) -> BoltResponse | None:
    """Log the failure (type, workspace, user, request kind; no payload, no tokens) and answer the user.

    A request no listener took (a click on a link button - Slack sends those to the app too -, a button
    of an old message, a stray submission) is acked with an empty 200 so Slack shows no error."""
    if isinstance(error, BoltUnhandledRequestError):
        actions = body.get("actions") or [{}]
        what = (
            body.get("command")
            or (actions[0] or {}).get("action_id")
            or (body.get("view") or {}).get("callback_id")
            or (body.get("event") or {}).get("type")
        )
        log.info(
            "unhandled_request team=%s kind=%s id=%s",
            _team_of(body),
            body.get("type") or "command",
            str(what)[:80],
        )
        return BoltResponse(status=200, body="")
    kind = body.get("type") or ("command" if "command" in body else "unknown")
    log.error(
        "listener_error team=%s user=%s kind=%s command=%s error=%s",
        _team_of(body),
        _user_of(body),
        kind,
        body.get("command"),
        type(error).__name__,
        exc_info=error,
    )
    if response is not None:
        # Not acknowledged yet: answer Slack's request itself (200, so Slack does not retry or show an error).
        if "command" in body:
            return BoltResponse(
                status=200,
                body=json.dumps({"response_type": "ephemeral", "text": SORRY}),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        if body.get("type") == "view_submission":
            # An empty 200 would close the modal as if it had been saved.
            return BoltResponse(
                status=200,
                body=json.dumps(_submission_failed(body.get("view") or {})),
                headers={"content-type": "application/json;charset=utf-8"},
            )
        return BoltResponse(status=200, body="")
    if respond is not None and (body.get("response_url") or body.get("response_urls")):
        try:
            respond(text=SORRY, response_type="ephemeral", replace_original=False)
        except Exception as exc:  # best effort; the original error is already logged
            log.warning("error_reply_failed team=%s error=%s", _team_of(body), type(exc).__name__)
    return None


NOT_SAVED = "Sorry, something went wrong on our side and nothing was saved. Please submit again in a minute."


def _submission_failed(view: dict[str, Any]) -> dict[str, Any]:
    """The ack of a modal submission we failed to handle: the apology next to the form's first input, so
    what the person typed stays; a modal without inputs is replaced by the apology."""
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("type") == "input" and block.get("block_id"):
            return {"response_action": "errors", "errors": {str(block["block_id"]): NOT_SAVED}}
    return {
        "response_action": "update",
        "view": {
            "type": "modal",
            "title": {"type": "plain_text", "text": "accountbot"},
            "close": {"type": "plain_text", "text": "Close"},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": NOT_SAVED}}],
        },
    }
