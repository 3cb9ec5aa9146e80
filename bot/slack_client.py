"""The one way to build a Slack Web API client, and how to read its failures.

Retries: 429 (waits Retry-After) and 5xx are retried by slack_sdk's RetryHandlers. Connection errors are
NOT retried automatically: a post whose answer was lost may already be in the channel, and a blind retry
would post it twice (the outbox relay reconciles such cases by message metadata instead).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler, ServerErrorRetryHandler

from bot import metrics
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


class _CountedRateLimitRetry(RateLimitErrorRetryHandler):
    def prepare_for_next_attempt(self, **kw: Any) -> None:  # a 429 waited out: counted (bot.metrics)
        metrics.rate_limited(kw["request"].url)
        metrics.slack_error(kw["request"].url, "ratelimited")
        metrics.retry("rate_limited", source="slack_sdk")
        super().prepare_for_next_attempt(**kw)


class _CountedServerErrorRetry(ServerErrorRetryHandler):
    def prepare_for_next_attempt(self, **kw: Any) -> None:  # a 5xx retried: counted (bot.metrics)
        response = kw.get("response")
        status = response.status_code if response is not None else 0
        body = None if response is None else (response.body or response.data)
        metrics.slack_error(kw["request"].url, metrics.error_code(status, body))
        metrics.retry("server_error", source="slack_sdk")
        super().prepare_for_next_attempt(**kw)


def retry_handlers(max_retry_count: int = 2) -> list[RetryHandler]:
    """Rate-limit and server-error retries; deliberately no connection-error retry (see module doc)."""
    return [
        _CountedRateLimitRetry(max_retry_count=max_retry_count),
        _CountedServerErrorRetry(max_retry_count=max_retry_count),
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
    """Map a slack_sdk exception to a SlackFailure (rate limit carries Retry-After), and count it once
    (bot.metrics: Slack API errors by method and code, 429s): call it once per failed call."""
    failure = _classify(exc)
    response = getattr(exc, "response", None) if isinstance(exc, SlackApiError) else None
    method = str(getattr(response, "api_url", "") or "")
    metrics.slack_error(method, failure.error)
    if failure.kind == "rate_limited":
        metrics.rate_limited(method)
    return failure


def _classify(exc: Exception) -> SlackFailure:
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
