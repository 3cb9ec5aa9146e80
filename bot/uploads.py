"""Uploading PNG charts to Slack with slack_sdk's `files_upload_v2`: `upload_pngs` (the DM opened first for
a user, every file shared together in one call; failures raised as `UploadFailed`) and `find_shared` (a
file carrying an outbox row's marker already in the channel's history). See docs/slack-commands.md#how-replies-and-files-are-delivered.
"""

from __future__ import annotations

import logging
import urllib.error
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackRequestError

from bot.slack_client import SlackFailure, classify

log = logging.getLogger("accountbot.uploads")

Step = Literal["open", "prepare", "bytes", "share", "unknown"]


@dataclass(frozen=True, slots=True)
class Png:
    """One image to upload: its bytes, the file name, the title shown above it and its alt text."""

    filename: str
    title: str
    alt_text: str
    content: bytes


@dataclass(frozen=True, slots=True)
class Uploaded:
    channel: str  # the conversation the files went to (the DM id for a user)
    file_ids: tuple[str, ...]


class UploadFailed(Exception):
    """The upload did not (certainly) go through. `failure.kind`: rate_limited | retryable | permanent | unknown."""

    def __init__(
        self, step: Step, failure: SlackFailure, *, channel: str | None = None, answered: bool = False
    ) -> None:
        super().__init__(f"{step}: {failure.error}")
        self.step = step
        self.failure = failure
        self.channel = channel
        self.answered = answered  # Slack answered with a definite error (HTTP 200 ok:false, or 4xx)

    @property
    def error(self) -> str:
        return self.failure.error

    @property
    def maybe_shared(self) -> bool:
        """True when the files may be in the channel although we got an error: the sharing step (or a step
        we cannot tell) failed without a definite answer (timeout, connection error, 5xx). A definite Slack
        error, a rate limit, or a failure in an earlier step means nothing was shared."""
        if self.step in ("open", "prepare", "bytes") or self.answered:
            return False
        return self.failure.kind in ("retryable", "unknown")

    def user_message(self, where: str) -> str:
        """What to tell the person who asked; `where` names the destination ("your DM", "<#C123>")."""
        error = self.error
        if self.step == "open":
            return (
                f"I could not open a direct message with you ({error}). Check that direct messages with "
                "accountbot are allowed, or post the chart into a channel with `in #channel`."
            )
        if error == "not_in_channel":
            return f"Invite @accountbot to {where} first (type `/invite @accountbot` there), then try again."
        if error in ("channel_not_found", "invalid_channel"):
            return (
                f"I cannot see {where}. If it is a private channel, invite @accountbot to it first "
                "(`/invite @accountbot`), then try again."
            )
        if error == "is_archived":
            return f"{where} is archived; pick another channel."
        if error in ("missing_scope", "not_allowed_token_type", "restricted_action"):
            return (
                f"accountbot may not upload files to {where} ({error}). Ask a workspace admin to reinstall "
                "the app with the files:write permission."
            )
        if self.failure.kind == "rate_limited":
            return "Slack is busy right now (rate limited). Please try again in a minute."
        return f"Slack did not accept the chart ({error}). Please try again in a minute."


def open_conversation(client: WebClient, recipient: str) -> str:
    """The channel to post into: a user's DM (conversations.open), or the channel id itself."""
    if recipient[:1] not in ("U", "W"):
        return recipient
    try:
        response = client.conversations_open(users=recipient, return_im=False)
    except Exception as exc:
        raise UploadFailed("open", classify(exc)) from exc
    channel = str((response.get("channel") or {}).get("id") or "")
    if not channel:
        raise UploadFailed("open", SlackFailure("permanent", "no_channel"))
    return channel


def upload_pngs(
    client: WebClient,
    recipient: str,
    files: Sequence[Png],
    *,
    initial_comment: str | None = None,
    thread_ts: str | None = None,
) -> Uploaded:
    """Upload `files` into the recipient's DM (user id) or channel, shared together as one message."""
    if not files:
        raise ValueError("nothing to upload")
    channel = open_conversation(client, recipient)
    uploads = [
        {"content": f.content, "filename": f.filename, "title": f.title, "alt_txt": _alt(f.alt_text)}
        for f in files
    ]
    try:
        response = client.files_upload_v2(
            file_uploads=uploads, channel=channel, initial_comment=initial_comment, thread_ts=thread_ts
        )
    except Exception as exc:
        failure = _classify(exc)
        answered = isinstance(exc, SlackApiError) and (
            failure.kind == "rate_limited" or getattr(exc.response, "status_code", 200) < 500
        )
        raise UploadFailed(_step_of(exc), failure, channel=channel, answered=answered) from exc
    ids = tuple(str(f.get("id")) for f in (response.get("files") or []) if isinstance(f, dict))
    log.info("files_uploaded channel=%s files=%d", channel, len(ids))
    return Uploaded(channel, ids)


def upload_png(
    client: WebClient,
    recipient: str,
    png: Png,
    *,
    initial_comment: str | None = None,
    thread_ts: str | None = None,
) -> Uploaded:
    """One PNG (see upload_pngs)."""
    return upload_pngs(client, recipient, [png], initial_comment=initial_comment, thread_ts=thread_ts)


class HistoryUnavailable(Exception):
    """conversations.history could not be read (`error`: Slack's error, e.g. missing_scope)."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def find_shared(client: WebClient, channel: str, marker: str, oldest: str) -> list[str]:
    """Names of the files in `channel` (messages since `oldest`, a Slack ts) whose name contains `marker`;
    [] when there are none. Raises HistoryUnavailable when the history cannot be read."""
    cursor = None
    found: list[str] = []
    for _ in range(10):
        try:
            response = client.conversations_history(channel=channel, oldest=oldest, limit=200, cursor=cursor)
        except Exception as exc:
            raise HistoryUnavailable(classify(exc).error) from exc
        for message in response.get("messages") or []:
            for f in message.get("files") or []:
                name = str((f or {}).get("name") or "")
                if marker in name:
                    found.append(name)
        cursor = ((response.get("response_metadata") or {}).get("next_cursor")) or None
        if not response.get("has_more") or not cursor:
            break
    return found


MAX_ALT_TEXT = 1000  # Slack cuts longer alt text; keep the start (the sentence that matters)


def _alt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_ALT_TEXT else text[: MAX_ALT_TEXT - 1] + "…"


def _step_of(exc: Exception) -> Step:
    if isinstance(exc, SlackApiError):
        url = str(getattr(exc.response, "api_url", "") or "")
        if url.endswith("files.getUploadURLExternal"):
            return "prepare"
        if url.endswith("files.completeUploadExternal"):
            return "share"
        return "unknown"
    if isinstance(exc, urllib.error.HTTPError):
        return "share" if "files.completeUploadExternal" in str(exc.url or "") else "bytes"
    if isinstance(exc, SlackRequestError) and "Failed to upload a file" in str(exc):
        return "bytes"
    return "unknown"


def _classify(exc: Exception) -> SlackFailure:
    """classify() plus the upload step's own failures (urllib raises HTTPError for the bytes' POST)."""
    if isinstance(exc, urllib.error.HTTPError):
        status = int(exc.code or 0)
        if status == 429:
            return SlackFailure("rate_limited", "ratelimited", _retry_after(exc))
        if status >= 500:
            return SlackFailure("retryable", f"http_{status}")
        return SlackFailure("unknown", f"http_{status}")
    if isinstance(exc, urllib.error.URLError):
        return SlackFailure("unknown", "URLError")
    return classify(exc)


def _retry_after(exc: urllib.error.HTTPError) -> int:
    raw: Any = exc.headers.get("Retry-After") if exc.headers else None
    try:
        return max(1, int(raw))
    except (TypeError, ValueError):
        return 1
