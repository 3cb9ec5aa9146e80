"""Sign requests like Slack does and build realistic request bodies for the bot's /slack/events URL.

Slack signs `v0:{timestamp}:{raw body}` with HMAC-SHA256 of the app's signing secret and sends
`X-Slack-Request-Timestamp` and `X-Slack-Signature: v0=<hex>`.

    client = SignedSlackClient("http://127.0.0.1:8080/slack/events", secret="s3cret")
    client.post_form(command_body("grade Acme", response_url=fake.response_url("c1")))
    client.post_form({"payload": json.dumps(block_actions_payload(...))})
    client.post_json(event_callback_body(app_home_opened_event("U1")))
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
from typing import Any
from urllib.parse import urlencode

import httpx

DEFAULT_TEAM = "T0FAKE"
DEFAULT_USER = "U0ALICE"
DEFAULT_CHANNEL = "C0GENERAL"
API_APP_ID = "A0ACCOUNTBOT"

_counter = itertools.count(1)


def _next_id(prefix: str) -> str:
    return f"{prefix}{next(_counter):06d}"


def trigger_id() -> str:
    return f"{int(time.time())}.{next(_counter)}.faketrigger"


def sign(secret: str, body: bytes | str, timestamp: int | None = None) -> dict[str, str]:
    """The two Slack signature headers for `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    raw = body.encode("utf-8") if isinstance(body, str) else body
    base = b"v0:" + ts.encode() + b":" + raw
    digest = hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


# ------------------------------------------------------------------ bodies


def command_body(
    text: str = "",
    *,
    command: str = "/account",
    team_id: str = DEFAULT_TEAM,
    user_id: str = DEFAULT_USER,
    channel_id: str = DEFAULT_CHANNEL,
    response_url: str = "https://hooks.slack.com/commands/T0FAKE/1/abc",
    trigger: str | None = None,
    user_name: str | None = None,
    enterprise_id: str | None = None,
) -> dict[str, str]:
    """Form fields of a slash command request, as Slack sends them."""
    body = {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "team_domain": team_id.lower(),
        "channel_id": channel_id,
        "channel_name": "general" if channel_id.startswith("C") else "directmessage",
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger or trigger_id(),
    }
    if enterprise_id:
        body["enterprise_id"] = enterprise_id
    return body


def _user(team_id: str, user_id: str) -> dict[str, str]:
    return {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": team_id}


def block_actions_payload(
    action_id: str,
    value: str | None = None,
    *,
    team_id: str = DEFAULT_TEAM,
    user_id: str = DEFAULT_USER,
    channel_id: str | None = DEFAULT_CHANNEL,
    block_id: str = "actions",
    response_url: str | None = None,
    trigger: str | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    action_type: str = "button",
    selected_option: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A block_actions payload (a button click by default). Pass `view` for clicks inside App Home or a
    modal (then there is no channel or response_url), else it is a click on a message."""
    action: dict[str, Any] = {
        "type": action_type,
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if value is not None:
        action["value"] = value
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id, "emoji": True}
    if selected_option is not None:
        action["selected_option"] = selected_option
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(team_id, user_id),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": trigger or trigger_id(),
        "team": {"id": team_id, "domain": team_id.lower()},
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action],
        "state": {"values": {}},
    }
    if view is not None:
        payload["container"] = {"type": "view", "view_id": view.get("id", "V0HOME")}
        payload["view"] = view
    else:
        msg = message or {"type": "message", "ts": f"{int(time.time())}.000100", "text": "", "blocks": []}
        payload["container"] = {
            "type": "message",
            "message_ts": msg["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        }
        payload["channel"] = {"id": channel_id, "name": "general"}
        payload["message"] = msg
        payload["response_url"] = response_url or "https://hooks.slack.com/actions/T0FAKE/1/abc"
    return payload


def view_submission_payload(
    callback_id: str,
    values: dict[str, dict[str, dict[str, Any]]],
    *,
    private_metadata: str = "",
    team_id: str = DEFAULT_TEAM,
    user_id: str = DEFAULT_USER,
    view_id: str | None = None,
    title: str = "Log touch",
    blocks: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A view_submission payload. `values` is Slack's state shape:
    {block_id: {action_id: {"type": "plain_text_input", "value": "..."}}} - see the input_* helpers."""
    return {
        "type": "view_submission",
        "team": {"id": team_id, "domain": team_id.lower()},
        "user": _user(team_id, user_id),
        "api_app_id": API_APP_ID,
        "token": "deprecated-verification-token",
        "trigger_id": trigger_id(),
        "is_enterprise_install": False,
        "enterprise": None,
        "view": {
            "id": view_id or _next_id("V"),
            "team_id": team_id,
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "title": {"type": "plain_text", "text": title},
            "blocks": blocks or [],
            "state": {"values": values},
            "hash": f"{int(time.time())}.hash",
            "app_id": API_APP_ID,
            "bot_id": "BFAKE",
        },
        "response_urls": [],
    }


def input_text(value: str | None) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


def input_select(value: str | None, text: str | None = None) -> dict[str, Any]:
    option = (
        None if value is None else {"text": {"type": "plain_text", "text": text or value}, "value": value}
    )
    return {"type": "static_select", "selected_option": option}


def input_date(value: str | None) -> dict[str, Any]:
    return {"type": "datepicker", "selected_date": value}


def input_user(value: str | None) -> dict[str, Any]:
    return {"type": "users_select", "selected_user": value}


def event_callback_body(event: dict[str, Any], *, team_id: str = DEFAULT_TEAM) -> dict[str, Any]:
    """Wrap an inner event as Slack's Events API envelope."""
    return {
        "token": "deprecated-verification-token",
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": _next_id("Ev"),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": "UBOTFAKE",
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
    }


def app_home_opened_event(
    user_id: str = DEFAULT_USER, *, tab: str = "home", channel: str | None = None
) -> dict[str, Any]:
    return {
        "type": "app_home_opened",
        "user": user_id,
        "channel": channel or "D" + user_id[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def url_verification_body(
    challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
) -> dict[str, Any]:
    return {"token": "deprecated-verification-token", "challenge": challenge, "type": "url_verification"}


# ------------------------------------------------------------------ client


class SignedSlackClient:
    """Posts signed requests to a bot's /slack/events URL, the way Slack does."""

    def __init__(self, url: str, secret: str, *, timeout: float = 10.0) -> None:
        self.url = url
        self.secret = secret
        self.http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self.http.close()

    def post_raw(
        self,
        body: bytes | str,
        content_type: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
        sign_with: str | None = None,
        headers: dict[str, str] | None = None,
        unsigned: bool = False,
    ) -> httpx.Response:
        """Post `body` signed (or mis-signed: `signature=` overrides, `sign_with=` uses another secret,
        `timestamp=` forges the time, `unsigned=True` sends no signature headers)."""
        raw = body.encode("utf-8") if isinstance(body, str) else body
        h = {"Content-Type": content_type}
        if not unsigned:
            h.update(sign(sign_with or self.secret, raw, timestamp))
            if signature is not None:
                h["X-Slack-Signature"] = signature
        h.update(headers or {})
        return self.http.post(self.url, content=raw, headers=h)

    def post_form(self, fields: dict[str, str], **kw: Any) -> httpx.Response:
        return self.post_raw(urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def post_payload(self, payload: dict[str, Any], **kw: Any) -> httpx.Response:
        """Interactivity (block_actions, view_submission): form field `payload` holding JSON."""
        return self.post_form({"payload": json.dumps(payload)}, **kw)

    def post_json(self, body: dict[str, Any], **kw: Any) -> httpx.Response:
        """Events API (event_callback, url_verification)."""
        return self.post_raw(json.dumps(body), "application/json", **kw)
