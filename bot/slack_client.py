"""The one way to build a Slack Web API client, and how to read its failures.

Retries: 429 (waits Retry-After) and 5xx are retried by slack_sdk's RetryHandlers. Connection errors are
NOT retried automatically: a post whose answer was lost may already be in the channel, and a blind retry
would post it twice (the outbox relay reconciles such cases by message metadata instead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot.settings import Settings

log = logging.getLogger("accountbot.slack")

# Slack errors that will not go away by retrying the same call.
# Slack's answers that mean the bot token itself is no good (revoked, app removed, account gone), not a passing
# outage: the workspace goes on hold (storage.holds) instead of dead-lettering its messages.
TOKEN_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"}
)
PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "user_not_found",
        "users_not_found",
        "user_disabled",
        "cannot_dm_bot",
        "invalid_auth",
        "not_authed",
        "account_inactive",
        "token_revoked",
        "missing_scope",
        "invalid_blocks",
        "invalid_arguments",
        "msg_too_long",
        "no_text",
        "too_many_attachments",
        "restricted_action",
        "messages_tab_disabled",
        "expired_trigger_id",
    }
)


def retry_handlers(max_retry_count: int = 2) -> list[RetryHandler]:
    """Rate-limit and server-error retries; deliberately no connection-error retry (see module doc)."""
    return [
        RateLimitErrorRetryHandler(max_retry_count=max_retry_count),
        ServerErrorRetryHandler(max_retry_count=max_retry_count),
    ]


def make_web_client(
    settings: Settings,
    *,
    token: str | None = None,
    retries: bool = True,
    max_retry_count: int = 2,
    timeout: int = 10,
) -> WebClient:
    """A WebClient on SLACK_API_URL with the bot token (or `token`). `retries=False` gives a client that
    surfaces every 429/5xx to the caller (the relay schedules its own retries)."""
    if token is None and settings.slack_bot_token is not None:
        token = settings.slack_bot_token.get_secret_value()
    return WebClient(
        token=token,
        base_url=settings.slack_api_url,
        timeout=timeout,
        retry_handlers=retry_handlers(max_retry_count) if retries else [],
        logger=logging.getLogger("accountbot.slack.web"),
    )


@dataclass(frozen=True)
class SlackFailure:
    """A Slack call that failed, classified for the caller."""

    kind: Literal["rate_limited", "retryable", "permanent", "unknown"]
    error: str  # Slack's error string, or the HTTP status / exception name
    retry_after: int | None = None


def classify(exc: Exception) -> SlackFailure:
    """Map a slack_sdk exception to a SlackFailure (rate limit carries Retry-After)."""
    if isinstance(exc, SlackApiError):
        response = exc.response
        status = getattr(response, "status_code", 200)
        error = ""
        try:
            error = str(response.get("error") or "")
        except Exception:  # body was not JSON
            error = ""
        if status == 429 or error == "ratelimited":
            retry_after = _retry_after(response)
            return SlackFailure("rate_limited", error or "ratelimited", retry_after)
        if status >= 500 or error in (
            "internal_error",
            "fatal_error",
            "service_unavailable",
            "request_timeout",
        ):
            return SlackFailure("retryable", error or f"http_{status}")
        if error in PERMANENT_ERRORS:
            return SlackFailure("permanent", error)
        return SlackFailure("unknown", error or f"http_{status}")
    if isinstance(exc, SlackRequestError | OSError | TimeoutError):
        # The request may or may not have reached Slack: unknown, never blindly retried for posts.
        return SlackFailure("unknown", type(exc).__name__)
    return SlackFailure("unknown", type(exc).__name__)


def _retry_after(response: object) -> int:
    headers = getattr(response, "headers", {}) or {}
    for key, value in headers.items():
        if str(key).lower() == "retry-after":
            raw = value[0] if isinstance(value, list | tuple) else value
            try:
                return max(1, int(raw))
            except (TypeError, ValueError):
                return 1
    return 1
