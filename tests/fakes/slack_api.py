"""A loopback fake of the Slack Web API: a real HTTP server on 127.0.0.1:<free port>.

Point a `WebClient(base_url=fake.base_url)` (or `SLACK_API_URL`) at it. It records every call, answers like
Slack for the methods the bot uses, and can be told to fail.

    with FakeSlackApi() as fake:
        client = WebClient(token="xoxb-test", base_url=fake.base_url)
        client.chat_postMessage(channel="C1", text="hi")
        assert fake.calls_to("chat.postMessage")[0].params["text"] == "hi"

Failure injection (consumed by the next matching calls, `times` of them):

    fake.fail_next("chat.postMessage", status=429, retry_after=1)   # HTTP 429 + Retry-After
    fake.fail_next("chat.postMessage", status=500)                  # HTTP 500
    fake.fail_next("chat.postMessage", error="channel_not_found")   # HTTP 200, {"ok": false, ...}
    fake.fail_next("response", status=500)                          # the next response_url post fails

File uploads work as Slack's external upload does, in three steps (what slack_sdk's files_upload_v2 sends):
files.getUploadURLExternal (filename, length, alt_txt) answers an `upload_url` on this server and a `file_id`;
the POST of the bytes to that URL is recorded (method "upload"; `fail_next("upload", status=500)` fails it);
files.completeUploadExternal (files=[{id, title}], channel_id, initial_comment, thread_ts) shares the files
into the channel: a message with `files` lands in that channel's history (conversations.history sees it).
`fake.uploads[file_id]` holds filename, alt_txt, title, content (bytes), channel_id, initial_comment,
thread_ts, shared; `fake.shared_files(channel)` lists the shared ones in order.

Other knobs: `rate_per_channel=1` (chat.postMessage beyond N per second per channel gets 429 + Retry-After),
`fake.add_user("U1", tz="Europe/Berlin", is_admin=True, email="a@example.com")`,
`fake.response_url("T1-1")` (a response_url on this server; posts to it land in `fake.responses`).

Calls are recorded for failed answers too; `SlackCall.status` and `.answer` tell what the fake answered.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

# Params Slack accepts as JSON strings inside form bodies; the fake decodes them so tests see structures.
_JSON_PARAMS = ("blocks", "attachments", "view", "metadata")

TEAM_ID = "T0FAKE"
BOT_USER_ID = "UBOTFAKE"
BOT_ID = "BFAKE"


@dataclass
class SlackCall:
    """One request the fake received."""

    method: str  # "chat.postMessage", or "response" for a response_url post, "upload" for file bytes
    params: dict[str, Any]
    headers: dict[str, str]
    http_method: str
    path: str
    status: int = 200
    answer: dict[str, Any] | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def token(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        value = self.params.get("token")
        return value if isinstance(value, str) else None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool((self.answer or {}).get("ok", True))


@dataclass
class _Failure:
    status: int
    error: str | None
    retry_after: int | None
    delay: float
    remaining: int
    processed: bool = False


@dataclass
class SlackUserRecord:
    id: str
    name: str
    real_name: str
    email: str | None
    tz: str
    tz_offset: int
    is_admin: bool
    is_owner: bool
    is_bot: bool
    deleted: bool
    team_id: str
    is_restricted: bool = False  # a multi-channel guest
    is_ultra_restricted: bool = False  # a single-channel guest
    # Enterprise Grid: the organisation, the workspaces of it the user is in, and org-level admin rights
    enterprise_id: str | None = None
    enterprise_teams: tuple[str, ...] = ()
    enterprise_admin: bool = False

    def to_api(self) -> dict[str, Any]:
        grid = (
            {"enterprise_user": {"id": self.id, "enterprise_id": self.enterprise_id, "enterprise_name": "Org",
                                 "is_admin": self.enterprise_admin, "is_owner": False,
                                 "teams": list(self.enterprise_teams or (self.team_id,))}}
            if self.enterprise_id
            else {}
        )  # fmt: skip
        return {
            **grid,
            "id": self.id,
            "team_id": self.team_id,
            "name": self.name,
            "real_name": self.real_name,
            "deleted": self.deleted,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset,
            "is_admin": self.is_admin,
            "is_owner": self.is_owner,
            "is_primary_owner": False,
            "is_bot": self.is_bot,
            "is_app_user": False,
            "is_restricted": self.is_restricted or self.is_ultra_restricted,
            "is_ultra_restricted": self.is_ultra_restricted,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name,
                "email": self.email,
            },
        }


class FakeSlackApi:
    """The fake server. Use as a context manager, or call start() / close()."""

    def __init__(
        self,
        *,
        team_id: str = TEAM_ID,
        rate_per_channel: float | None = None,
        auto_users: bool = True,
        require_token: bool = True,
    ) -> None:
        """`auto_users`: users.info answers for any U/W id with a plain default profile (tz UTC, not admin)
        unless add_user() said otherwise; False makes unknown users `user_not_found` like real Slack.
        `require_token`: Web API calls without a token answer `not_authed`, as Slack does."""
        self.team_id = team_id
        self.rate_per_channel = rate_per_channel
        self.auto_users = auto_users
        self.require_token = require_token
        self.calls: list[SlackCall] = []
        self.users: dict[str, SlackUserRecord] = {}
        self.emails: dict[str, str] = {}  # extra email -> user id for users.lookupByEmail
        self.messages: dict[str, list[dict[str, Any]]] = defaultdict(
            list
        )  # channel -> messages, oldest first
        self.views: dict[str, dict[str, Any]] = {}  # view id -> view
        self.home_views: dict[str, dict[str, Any]] = {}  # user id -> last published home view
        self.uploads: dict[
            str, dict[str, Any]
        ] = {}  # file id -> {"filename", "alt_txt", "content", "title", ...}
        self._failures: dict[str, deque[_Failure]] = defaultdict(deque)
        self._hangs: list[tuple[str, str | None, float]] = []  # (method, channel or None, seconds)
        self._post_times: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Condition()
        self._ts_counter = itertools.count(1)
        self._id_counter = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.socket_mode: Any = None  # a tests.fakes.slack_socket.FakeSocketMode for apps.connections.open
        # OAuth: bot tokens handed out by oauth.v2.access -> their workspace; tokens revoked since
        self.installed: dict[str, str] = {}
        self.revoked: set[str] = set()
        self.refresh_tokens: dict[str, str] = {}  # token rotation: refresh token -> workspace
        # channels whose membership matters to a test (add_channel); any other id is a channel the bot is in
        self.channels: dict[str, dict[str, Any]] = {}

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> FakeSlackApi:
        handler = _make_handler(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSlackApi:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def port(self) -> int:
        assert self._server is not None, "FakeSlackApi is not started"
        return self._server.server_address[1]

    @property
    def root_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @property
    def base_url(self) -> str:
        """The Web API base URL (ends with '/'): pass as SLACK_API_URL or WebClient(base_url=...)."""
        return self.root_url + "api/"

    def response_url(self, key: str = "1") -> str:
        """A response_url on this server; Bolt's respond() posts there and the post lands in `responses`."""
        return f"{self.root_url}response/{key}"

    # ---------------------------------------------------------------- configuration

    def add_user(
        self,
        user_id: str,
        *,
        tz: str = "UTC",
        tz_offset: int = 0,
        is_admin: bool = False,
        is_owner: bool = False,
        email: str | None = None,
        name: str | None = None,
        real_name: str | None = None,
        is_bot: bool = False,
        deleted: bool = False,
        team_id: str | None = None,
        is_restricted: bool = False,
        is_ultra_restricted: bool = False,
        enterprise_id: str | None = None,
        enterprise_teams: tuple[str, ...] = (),
        enterprise_admin: bool = False,
    ) -> SlackUserRecord:
        record = SlackUserRecord(
            id=user_id,
            name=name or user_id.lower(),
            real_name=real_name or name or user_id,
            email=email,
            tz=tz,
            tz_offset=tz_offset,
            is_admin=is_admin,
            is_owner=is_owner,
            is_bot=is_bot,
            deleted=deleted,
            team_id=team_id or self.team_id,
            is_restricted=is_restricted,
            is_ultra_restricted=is_ultra_restricted,
            enterprise_id=enterprise_id,
            enterprise_teams=enterprise_teams,
            enterprise_admin=enterprise_admin,
        )
        with self._lock:
            self.users[user_id] = record
        return record

    def add_channel(
        self,
        channel_id: str,
        *,
        member: bool = True,
        archived: bool = False,
        private: bool = False,
        shared: bool = False,
    ) -> None:
        """A channel as Slack knows it: the bot in it or not, archived or not, shared with another organisation
        (Slack Connect) or not. A private channel the bot is not in does not exist for it (channel_not_found),
        as in Slack."""
        with self._lock:
            self.channels[channel_id] = {
                "id": channel_id,
                "name": channel_id.lower(),
                "is_channel": not private,
                "is_private": private,
                "is_member": member,
                "is_archived": archived,
                "is_ext_shared": shared,
            }

    def fail_next(
        self,
        method: str,
        *,
        status: int | None = None,
        error: str | None = None,
        retry_after: int | None = None,
        times: int = 1,
        delay: float = 0.0,
        processed: bool = False,
    ) -> None:
        """Make the next `times` calls of `method` fail.

        status=429 answers HTTP 429 with Retry-After (default 1 s) and error "ratelimited"; status=5xx answers
        that status; error="..." alone answers HTTP 200 {"ok": false, "error": ...}. `delay` sleeps first
        (for timeouts). method "response" targets response_url posts, "*" any method.
        `processed=True` (Web API methods only): the call takes effect (a message is posted, files are shared)
        and only its answer is the failure, as when Slack's answer is lost after it acted.
        """
        if status is None:
            status = 200
            if error is None:
                raise ValueError("fail_next needs a status or an error")
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            error = error or "ratelimited"
        elif status >= 500:
            error = error or "fatal_error"
        with self._lock:
            self._failures[method].append(_Failure(status, error, retry_after, delay, times, processed))

    # ---------------------------------------------------------------- inspection

    def calls_to(self, method: str) -> list[SlackCall]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def last_call(self, method: str) -> SlackCall:
        calls = self.calls_to(method)
        if not calls:
            raise AssertionError(f"no call to {method}; calls so far: {[c.method for c in self.calls]}")
        return calls[-1]

    def shared_files(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Uploaded files that files.completeUploadExternal shared (into `channel`, if given), in share order."""
        with self._lock:
            shared = [u for u in self.uploads.values() if u.get("shared")]
        shared.sort(key=lambda u: u["shared_seq"])
        return [u for u in shared if channel is None or u.get("channel_id") == channel]

    @property
    def responses(self) -> list[SlackCall]:
        """Posts to response_url (method "response"); params is the JSON body Bolt's respond() sent."""
        return self.calls_to("response")

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 5.0,
        where: Callable[[SlackCall], bool] | None = None,
    ) -> list[SlackCall]:
        """Block until at least `count` calls of `method` (matching `where`) arrived; return them.

        Raises AssertionError naming what did arrive on timeout.
        """
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = [c for c in self.calls if c.method == method and (where is None or where(c))]
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [c.method for c in self.calls]
                    raise AssertionError(
                        f"waited {timeout}s for {count} call(s) to {method}, got {len(found)}; all calls: {seen}"
                    )
                self._lock.wait(left)

    def wait_for_response(self, count: int = 1, timeout: float = 5.0) -> SlackCall:
        """The `count`-th response_url post (waits for it)."""
        return self.wait_for("response", count=count, timeout=timeout)[count - 1]

    def hang_next(self, method: str, seconds: float, *, channel: str | None = None) -> None:
        """The next call of `method` (to `channel`, if given) waits `seconds` before it is answered normally, as
        when Slack is slow to answer one call."""
        with self._lock:
            self._hangs.append((method, channel, seconds))

    def _take_hang(self, method: str, params: dict[str, Any]) -> float:
        with self._lock:
            for i, (m, channel, seconds) in enumerate(self._hangs):
                if m == method and channel in (None, params.get("channel")):
                    del self._hangs[i]
                    return seconds
        return 0.0

    def clear_failures(self) -> None:
        """Drop the failures not yet served (the fault is over)."""
        with self._lock:
            self._failures.clear()

    def reset(self) -> None:
        """Forget calls, failures and stored messages (users stay)."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()
            self._hangs.clear()
            self.messages.clear()
            self.views.clear()
            self.home_views.clear()
            self.uploads.clear()
            self._post_times.clear()

    # ---------------------------------------------------------------- request handling

    def _record(self, call: SlackCall) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    def _take_failure(self, method: str) -> _Failure | None:
        with self._lock:
            for key in (method, "*"):
                queue = self._failures.get(key)
                if queue:
                    failure = queue[0]
                    failure.remaining -= 1
                    if failure.remaining <= 0:
                        queue.popleft()
                    return failure
        return None

    def _rate_limited(self, channel: str) -> bool:
        if not self.rate_per_channel:
            return False
        now = time.monotonic()
        with self._lock:
            window = self._post_times[channel]
            while window and now - window[0] >= 1.0:
                window.popleft()
            if len(window) >= self.rate_per_channel:
                return True
            window.append(now)
            return False

    def _next_ts(self) -> str:
        return f"{int(time.time())}.{next(self._ts_counter):06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._id_counter):08d}"

    def _dm_channel(self, user_id: str) -> str:
        return "D" + user_id[1:] if len(user_id) > 1 else "D0"

    def handle(
        self, method: str, params: dict[str, Any], call: SlackCall
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one Web API call: (status, JSON body, extra headers)."""
        hang = self._take_hang(method, params)
        if hang:
            time.sleep(hang)
        failure = self._take_failure(method)
        if failure is not None:
            if failure.processed and method in _METHODS:
                try:
                    _METHODS[method](self, params)
                except _ApiError:
                    pass
            if failure.delay:
                time.sleep(failure.delay)
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return failure.status, {"ok": False, "error": failure.error}, headers
        if str(call.token) in self.revoked:
            return 200, {"ok": False, "error": "token_revoked"}, {}
        if (
            method == "oauth.v2.access"
        ):  # the app's client id and secret, by HTTP Basic auth, as Slack takes them
            if not call.headers.get("authorization", "").lower().startswith("basic "):
                return 200, {"ok": False, "error": "invalid_client_id"}, {}
        elif self.require_token and not call.token:
            return 200, {"ok": False, "error": "not_authed"}, {}
        handler = _METHODS.get(method)
        if handler is None:
            return 200, {"ok": False, "error": "unknown_method"}, {}
        if method == "auth.test" and str(call.token) in self.installed:
            return 200, {**self._auth_test(params), "team_id": self.installed[str(call.token)]}, {}
        if method == "apps.connections.open" and not str(call.token).startswith("xapp-"):
            return 200, {"ok": False, "error": "not_allowed_token_type"}, {}
        if method == "chat.postMessage" and self._rate_limited(str(params.get("channel", ""))):
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}
        try:
            return 200, handler(self, params), {}
        except _ApiError as exc:
            return 200, {"ok": False, "error": exc.error}, {}

    # ---------------------------------------------------------------- methods

    def _auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://fake.slack.com/",
            "team": "Fake Workspace",
            "user": "accountbot",
            "team_id": self.team_id,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _oauth_v2_access(self, p: dict[str, Any]) -> dict[str, Any]:
        """OAuth v2: a code `code-T...` installs the app into workspace T... and hands out its own bot token;
        with grant_type=refresh_token (token rotation), a refresh token in `refresh_tokens` gets a new token."""
        if p.get("grant_type") == "refresh_token":
            team = self.refresh_tokens.get(str(p.get("refresh_token") or ""))
            if team is None:
                raise _ApiError("invalid_refresh_token")
            token = f"xoxe.xoxb-{team}-{next(self._id_counter)}-rotatedtoken"
            renewal = f"xoxe-1-{team}-{next(self._id_counter)}"
            with self._lock:
                self.installed[token] = team
                self.refresh_tokens[renewal] = team
            return {"ok": True, "access_token": token, "refresh_token": renewal, "expires_in": 43200,
                    "token_type": "bot", "team": {"id": team}, "bot_user_id": BOT_USER_ID, "app_id": "A0ACCOUNTBOT"}  # fmt: skip
        code = str(p.get("code") or "")
        if not code.startswith("code-T"):
            raise _ApiError("invalid_code")
        team = code.removeprefix("code-")
        token = f"xoxb-{team}-{next(self._id_counter)}-installedtoken"
        with self._lock:
            self.installed[token] = team
        return {
            "ok": True,
            "app_id": "A0ACCOUNTBOT",
            "authed_user": {"id": "U0INSTALLER"},
            "scope": str(p.get("scope") or "commands,chat:write"),
            "token_type": "bot",
            "access_token": token,
            "bot_user_id": BOT_USER_ID,
            "team": {"id": team, "name": f"Workspace {team}"},
            "enterprise": None,
            "is_enterprise_install": False,
        }

    def revoke(self, token: str) -> None:
        """The token stops working (the app was uninstalled): every call with it answers token_revoked."""
        with self._lock:
            self.installed.pop(token, None)
            self.revoked.add(token)

    def _connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        """Socket Mode: the WebSocket URL of the attached FakeSocketMode (needs an xapp- token, like Slack)."""
        if self.socket_mode is None:
            raise _ApiError("invalid_auth")
        return {"ok": True, "url": self.socket_mode.url}

    def _resolve_channel(self, channel: str) -> str:
        if not channel:
            raise _ApiError("channel_not_found")
        if channel[:1] in ("U", "W"):
            return self._dm_channel(channel)
        return channel

    def _known_channel(self, channel: str) -> dict[str, Any] | None:
        """The add_channel record of `channel`; channel_not_found for a private one the bot is not in."""
        info = self.channels.get(channel)
        if info is not None and info["is_private"] and not info["is_member"]:
            raise _ApiError("channel_not_found")
        return info

    def _conversations_info(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        info = self._known_channel(channel) or {
            "id": channel, "name": channel.lower(), "is_channel": True, "is_private": False,
            "is_member": True, "is_archived": False,
        }  # fmt: skip
        return {"ok": True, "channel": dict(info)}

    def _post_message(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(p.get("channel") or ""))
        info = self._known_channel(channel)
        if info is not None and info["is_archived"]:
            raise _ApiError("is_archived")
        if info is not None and not info["is_member"]:
            raise _ApiError("not_in_channel")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise _ApiError("no_text")
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "ts": ts,
            "user": BOT_USER_ID,
            "bot_id": BOT_ID,
            "text": p.get("text") or "",
            "team": self.team_id,
        }
        for key in ("blocks", "attachments", "metadata", "thread_ts"):
            if p.get(key) is not None:
                message[key] = p[key]
        with self._lock:
            self.messages[channel].append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": _public_message(message, True)}

    def _post_ephemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        self._resolve_channel(str(p.get("channel") or ""))
        if not p.get("user"):
            raise _ApiError("user_not_in_channel")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            raise _ApiError("no_text")
        return {"ok": True, "message_ts": self._next_ts()}

    def _update(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._resolve_channel(str(p.get("channel") or ""))
        ts = str(p.get("ts") or "")
        with self._lock:
            for message in self.messages.get(channel, []):
                if message["ts"] == ts:
                    for key in ("text", "blocks", "attachments", "metadata"):
                        if p.get(key) is not None:
                            message[key] = p[key]
                    message["edited"] = {"user": BOT_USER_ID, "ts": self._next_ts()}
                    return {"ok": True, "channel": channel, "ts": ts, "text": message["text"]}
        raise _ApiError("message_not_found")

    def _conversations_open(self, p: dict[str, Any]) -> dict[str, Any]:
        users = [u for u in str(p.get("users") or "").split(",") if u]
        if p.get("channel"):
            return {"ok": True, "channel": {"id": p["channel"]}}
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) == 1:
            return {"ok": True, "channel": {"id": self._dm_channel(users[0]), "is_im": True}}
        return {"ok": True, "channel": {"id": "G" + "".join(u[1:4] for u in users), "is_mpim": True}}

    def _conversations_history(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = str(p.get("channel") or "")
        if not channel:
            raise _ApiError("channel_not_found")
        limit = int(p.get("limit") or 100)
        oldest = float(p.get("oldest") or 0)
        latest = float(p["latest"]) if p.get("latest") else None
        with_metadata = str(p.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._lock:
            msgs = [
                m
                for m in self.messages.get(channel, [])
                if float(m["ts"]) >= oldest and (latest is None or float(m["ts"]) <= latest)
            ]
        newest_first = list(reversed(msgs))
        page = newest_first[:limit]
        return {
            "ok": True,
            "messages": [_public_message(m, with_metadata) for m in page],
            "has_more": len(newest_first) > limit,
            "response_metadata": {"next_cursor": ""},
        }

    def _views_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("trigger_id"):
            raise _ApiError("invalid_arguments")
        if p.get("trigger_id") == "expired":
            raise _ApiError("expired_trigger_id")
        return {"ok": True, "view": self._store_view(p.get("view"))}

    def _views_push(self, p: dict[str, Any]) -> dict[str, Any]:
        return self._views_open(p)

    def _views_update(self, p: dict[str, Any]) -> dict[str, Any]:
        view_id = p.get("view_id")
        with self._lock:
            if not view_id and p.get("external_id"):
                view_id = next(
                    (k for k, v in self.views.items() if v.get("external_id") == p["external_id"]), None
                )
            known = bool(view_id) and view_id in self.views
        if not known:
            raise _ApiError("not_found")
        return {"ok": True, "view": self._store_view(p.get("view"), view_id)}

    def _views_publish(self, p: dict[str, Any]) -> dict[str, Any]:
        user_id = str(p.get("user_id") or "")
        if not user_id:
            raise _ApiError("invalid_arguments")
        view = p.get("view")
        if not isinstance(view, dict) or view.get("type") != "home":
            raise _ApiError("invalid_arguments")
        stored = self._store_view(view)
        with self._lock:
            self.home_views[user_id] = stored
        return {"ok": True, "view": stored}

    def _store_view(self, view: Any, view_id: str | None = None) -> dict[str, Any]:
        if not isinstance(view, dict) or "type" not in view:
            raise _ApiError("invalid_arguments")
        stored = dict(view)
        stored["id"] = view_id or self._new_id("V")
        stored["team_id"] = self.team_id
        stored.setdefault("hash", self._next_ts())
        with self._lock:
            self.views[stored["id"]] = stored
        return stored

    def _user(self, user_id: str) -> SlackUserRecord:
        with self._lock:
            record = self.users.get(user_id)
        if record is not None:
            return record
        if self.auto_users and user_id[:1] in ("U", "W") and user_id.isalnum():
            return SlackUserRecord(
                id=user_id,
                name=user_id.lower(),
                real_name=user_id,
                email=None,
                tz="UTC",
                tz_offset=0,
                is_admin=False,
                is_owner=False,
                is_bot=False,
                deleted=False,
                team_id=self.team_id,
            )
        raise _ApiError("user_not_found")

    def _users_info(self, p: dict[str, Any]) -> dict[str, Any]:
        return {"ok": True, "user": self._user(str(p.get("user") or "")).to_api()}

    def _users_lookup_by_email(self, p: dict[str, Any]) -> dict[str, Any]:
        email = str(p.get("email") or "").strip().lower()
        with self._lock:
            user_id = self.emails.get(email) or next(
                (u.id for u in self.users.values() if u.email and u.email.lower() == email), None
            )
        if user_id is None:
            raise _ApiError("users_not_found")
        return {"ok": True, "user": self._user(user_id).to_api()}

    def _files_get_upload_url(self, p: dict[str, Any]) -> dict[str, Any]:
        """Step 1: a file id and an upload URL on this server (Slack's is on files.slack.com)."""
        filename = str(p.get("filename") or "")
        try:
            length = int(p.get("length") or 0)
        except (TypeError, ValueError):
            raise _ApiError("invalid_arguments") from None
        if not filename or length <= 0:
            raise _ApiError("invalid_arguments")
        file_id = self._new_id("F")
        with self._lock:
            self.uploads[file_id] = {
                "id": file_id,
                "filename": filename,
                "length": length,
                "alt_txt": p.get("alt_txt") or None,
                "snippet_type": p.get("snippet_type") or None,
                "content": None,
                "title": None,
                "channel_id": None,
                "initial_comment": None,
                "thread_ts": None,
                "shared": False,
                "shared_seq": None,
            }
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def _files_complete_upload(self, p: dict[str, Any]) -> dict[str, Any]:
        """Step 3: share the uploaded files (all or none) into channel_id as one message with `files`."""
        files = p.get("files")
        if isinstance(files, str):
            try:
                files = json.loads(files)
            except ValueError:
                raise _ApiError("invalid_arguments") from None
        if (
            not isinstance(files, list)
            or not files
            or not all(isinstance(f, dict) and f.get("id") for f in files)
        ):
            raise _ApiError("invalid_arguments")
        target = str(p.get("channel_id") or p.get("channels") or "")
        channel = self._resolve_channel(target) if target else None
        with self._lock:
            uploads = [self.uploads.get(str(f["id"])) for f in files]
            if any(u is None or u["content"] is None for u in uploads):
                raise _ApiError("file_not_found")
            out = []
            for f, upload in zip(files, uploads, strict=True):
                assert upload is not None
                upload["title"] = f.get("title") or upload["filename"]
                if channel is not None:
                    upload.update(
                        channel_id=channel,
                        initial_comment=p.get("initial_comment") or None,
                        thread_ts=p.get("thread_ts") or None,
                        shared=True,
                        shared_seq=next(self._id_counter),
                    )
                out.append({"id": upload["id"], "name": upload["filename"], "title": upload["title"]})
            if channel is not None:
                message: dict[str, Any] = {
                    "type": "message",
                    "ts": self._next_ts(),
                    "user": BOT_USER_ID,
                    "bot_id": BOT_ID,
                    "text": p.get("initial_comment") or "",
                    "team": self.team_id,
                    "upload": True,
                    "files": [
                        {
                            "id": u["id"],
                            "name": u["filename"],
                            "title": u["title"],
                            "mimetype": _mimetype(u["filename"]),
                            "alt_txt": u["alt_txt"],
                            "size": len(u["content"]),
                        }
                        for u in uploads
                        if u is not None
                    ],
                }
                if p.get("thread_ts"):
                    message["thread_ts"] = p["thread_ts"]
                self.messages[channel].append(message)
        return {"ok": True, "files": out}


def _mimetype(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".png"):
        return "image/png"
    if lower.endswith(".csv"):
        return "text/csv"
    return "application/octet-stream"


class _ApiError(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


_METHODS: dict[str, Callable[[FakeSlackApi, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": FakeSlackApi._auth_test,
    "apps.connections.open": FakeSlackApi._connections_open,
    "conversations.info": FakeSlackApi._conversations_info,
    "oauth.v2.access": FakeSlackApi._oauth_v2_access,
    "chat.postMessage": FakeSlackApi._post_message,
    "chat.postEphemeral": FakeSlackApi._post_ephemeral,
    "chat.update": FakeSlackApi._update,
    "conversations.open": FakeSlackApi._conversations_open,
    "conversations.history": FakeSlackApi._conversations_history,
    "views.open": FakeSlackApi._views_open,
    "views.push": FakeSlackApi._views_push,
    "views.update": FakeSlackApi._views_update,
    "views.publish": FakeSlackApi._views_publish,
    "users.info": FakeSlackApi._users_info,
    "users.lookupByEmail": FakeSlackApi._users_lookup_by_email,
    "files.getUploadURLExternal": FakeSlackApi._files_get_upload_url,
    "files.completeUploadExternal": FakeSlackApi._files_complete_upload,
}


def _public_message(message: dict[str, Any], with_metadata: bool) -> dict[str, Any]:
    out = {k: v for k, v in message.items() if k != "metadata"}
    if with_metadata and "metadata" in message:
        out["metadata"] = message["metadata"]
    return out


def _parse_params(raw: bytes, content_type: str, query: str) -> dict[str, Any]:
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if raw:
        if content_type.startswith("application/json"):
            body = json.loads(raw.decode("utf-8"))
            if isinstance(body, dict):
                params.update(body)
            else:
                params["_body"] = body
        elif content_type.startswith("application/x-www-form-urlencoded"):
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True)
            params.update({k: v[-1] for k, v in form.items()})
        else:
            params["_raw"] = raw
    for key in _JSON_PARAMS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            try:
                params[key] = json.loads(value)
            except ValueError:
                pass
    return params


def _make_handler(fake: FakeSlackApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
            return

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            content_type = headers.get("content-type", "")
            try:
                # file bytes (step 2 of an upload) are never a form, whatever Content-Type urllib put on them
                params = _parse_params(
                    b"" if parts.path.startswith("/upload/") else raw, content_type, parts.query
                )
            except ValueError:
                self._send(400, {"ok": False, "error": "invalid_json"})
                return
            segments = parts.path.strip("/").split("/")
            if len(segments) == 2 and segments[0] == "api":
                method = segments[1]
            elif len(segments) == 2 and segments[0] in ("response", "upload"):
                method = segments[0]
                params["_key"] = segments[1]
            else:
                self._send(404, {"ok": False, "error": "not_found"})
                return
            call = SlackCall(method, params, headers, self.command, parts.path)
            if method == "response":
                status, body, extra = self._response_url(call)
            elif method == "upload":
                status, body, extra = self._upload(call, raw)
            else:
                status, body, extra = fake.handle(method, params, call)
            call.status, call.answer = status, body
            fake._record(call)
            self._send(status, body, extra)

        def _response_url(self, call: SlackCall) -> tuple[int, dict[str, Any], dict[str, str]]:
            failure = fake._take_failure("response")
            if failure is not None:
                if failure.delay:
                    time.sleep(failure.delay)
                headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
                return failure.status, {"ok": False, "error": failure.error}, headers
            return 200, {"ok": True}, {}

        def _upload(self, call: SlackCall, raw: bytes) -> tuple[int, dict[str, Any], dict[str, str]]:
            """Step 2: the file's bytes, POSTed to the upload URL (no token, like Slack's)."""
            failure = fake._take_failure("upload")
            if failure is not None:
                if failure.delay:
                    time.sleep(failure.delay)
                return failure.status, {"ok": False, "error": failure.error}, {}
            key = call.params["_key"]
            with fake._lock:
                upload = fake.uploads.get(key)
                if upload is None:
                    return 404, {"ok": False, "error": "not_found"}, {}
                upload["content"] = raw
            call.params["bytes"] = len(raw)  # the bytes themselves are in fake.uploads
            return 200, {"ok": True}, {}

        def _send(self, status: int, body: dict[str, Any], extra: dict[str, str] | None = None) -> None:
            data = json.dumps(body).encode("utf-8")
            self.send_response(
                status, HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else ""
            )
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    return Handler


def iter_texts(call: SlackCall) -> Iterator[str]:
    """Every piece of text in a recorded message call (fallback text and block texts), for assertions."""

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    yield from walk({k: call.params.get(k) for k in ("text", "blocks", "view", "attachments")})


def all_text(call: SlackCall) -> str:
    """The texts of a recorded call joined by newlines (handy for `in` assertions)."""
    return "\n".join(iter_texts(call))
