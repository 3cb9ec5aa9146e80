"""End-to-end fixtures: the real bot over real HTTP, talking to a loopback fake Slack.

Fixtures
- `fake_slack`: a started `tests.fakes.slack_api.FakeSlackApi` (records calls, injects failures).
- `bot_server`: the bot (create_app + serve_http on 127.0.0.1:0) on a migrated SQLite database, with
  SLACK_API_URL pointing at `fake_slack`. Yields a `BotHarness`.
- `bot_server_any_db`: the same, run once on SQLite and once on PostgreSQL (uses tests/conftest.py `db_url`).
- `bot`: the seeded bot: `bot_server_any_db` with its clock at `tests.bot.seed.NOW` and `seed.portfolio`
  in its workspace (settings from the `bot_settings` fixture, which a module may override).
- `make_bot_server`: a factory for custom set-ups: `make_bot_server(register=..., clock=..., db_url=...,
  admin_user_ids="U1,U2", **settings)`. `register` replaces bot.listeners.register (transport tests use it).

Using the harness

    def test_grade(bot_server):
        h = bot_server
        seed(h.sessions)                                   # write rows with storage helpers
        resp = h.post_command("grade Acme")                # signed POST /slack/events, returns httpx.Response
        assert resp.status_code == 200
        ack = h.ack_json(resp)                             # the ack body (dict) or None when empty
        follow = h.followup(resp)                          # waits for the respond() post of THAT request
        assert "Acme" in all_text(follow)
        h.fake_slack.wait_for("views.open")                # any Web API call the bot makes

    h.post_action("log_touch", value="42")                 # block_actions on a message (response_url set)
    h.post_action("snooze", value="42", view={"id": "V1", "type": "home"})   # click inside App Home
    h.post_view_submission("log_touch", {"kind": {"kind": input_select("call")}}, private_metadata="42")
    h.open_home(user_id="U0ALICE")                         # app_home_opened event
    h.post_event({...inner event...})

Defaults: team `h.team_id` ("T0FAKE", the fake's auth.test team), user `h.user_id` ("U0ALICE"), channel
"C0GENERAL". Every post_* takes team_id= / user_id= to act as another workspace or user, and signature
keyword arguments of `SignedSlackClient.post_raw` (timestamp=, signature=, sign_with=, unsigned=).
`h.ctx.clock` may be replaced to freeze time: `h.ctx.clock = lambda: datetime(2026, 1, 5, tzinfo=UTC)`.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from slack_bolt import App
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.app import Registrar, create_app, drain
from bot.context import BotContext
from bot.server import HttpServer, serve_http
from bot.settings import load_settings
from storage.db import make_engine, session_factory, utcnow
from tests.bot.seed import NOW, portfolio
from tests.fakes.slack_api import FakeSlackApi, SlackCall
from tests.fakes.slack_signing import (
    DEFAULT_CHANNEL,
    DEFAULT_TEAM,
    DEFAULT_USER,
    SignedSlackClient,
    app_home_opened_event,
    block_actions_payload,
    command_body,
    event_callback_body,
    view_submission_payload,
)

SIGNING_SECRET = "test-signing-secret-8f2b1c"
BOT_TOKEN = "xoxb-1111-2222-testtokenvalue"


@dataclass
class BotHarness:
    """A running bot plus what a test needs to drive and observe it."""

    app: App
    ctx: BotContext
    server: HttpServer
    fake_slack: FakeSlackApi
    client: SignedSlackClient
    engine: Engine
    team_id: str = DEFAULT_TEAM
    user_id: str = DEFAULT_USER
    channel_id: str = DEFAULT_CHANNEL
    _keys: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.ctx.sessions

    @property
    def url(self) -> str:
        return self.server.url

    def _response_url(self) -> str:
        return self.fake_slack.response_url(f"r{next(self._keys)}")

    # ------------------------------------------------------------ requests

    def post_command(
        self,
        text: str,
        *,
        team_id: str | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
        command: str = "/account",
        trigger: str | None = None,
        **sign_kw: Any,
    ) -> httpx.Response:
        """A signed slash command; its response_url points at the fake (see followup())."""
        body = command_body(
            text,
            command=command,
            team_id=team_id or self.team_id,
            user_id=user_id or self.user_id,
            channel_id=channel_id or self.channel_id,
            response_url=self._response_url(),
            trigger=trigger,
        )
        return self.client.post_form(body, **sign_kw)

    def post_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        team_id: str | None = None,
        user_id: str | None = None,
        channel_id: str | None = None,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        block_id: str = "actions",
        trigger: str | None = None,
        **sign_kw: Any,
    ) -> httpx.Response:
        """A block_actions click. With `view` it is a click inside App Home / a modal (no response_url)."""
        payload = block_actions_payload(
            action_id,
            value,
            team_id=team_id or self.team_id,
            user_id=user_id or self.user_id,
            channel_id=channel_id or self.channel_id,
            block_id=block_id,
            response_url=None if view is not None else self._response_url(),
            trigger=trigger,
            message=message,
            view=view,
        )
        return self.client.post_payload(payload, **sign_kw)

    def post_view_submission(
        self,
        callback_id: str,
        values: dict[str, dict[str, dict[str, Any]]],
        *,
        private_metadata: str = "",
        team_id: str | None = None,
        user_id: str | None = None,
        view_id: str | None = None,
        **sign_kw: Any,
    ) -> httpx.Response:
        """A modal submission; the ack body (errors / update / clear) is in ack_json(resp)."""
        payload = view_submission_payload(
            callback_id,
            values,
            private_metadata=private_metadata,
            team_id=team_id or self.team_id,
            user_id=user_id or self.user_id,
            view_id=view_id,
        )
        return self.client.post_payload(payload, **sign_kw)

    def post_event(
        self, event: dict[str, Any], *, team_id: str | None = None, **sign_kw: Any
    ) -> httpx.Response:
        """An Events API event_callback wrapping `event`."""
        return self.client.post_json(event_callback_body(event, team_id=team_id or self.team_id), **sign_kw)

    def open_home(self, *, user_id: str | None = None, team_id: str | None = None) -> httpx.Response:
        return self.post_event(app_home_opened_event(user_id or self.user_id), team_id=team_id)

    # ------------------------------------------------------------ observing

    @staticmethod
    def ack_json(resp: httpx.Response) -> dict[str, Any] | None:
        """The ack body as a dict, or None for an empty ack. Bolt answers ack("text") with a plain-text
        body, which Slack shows as a message: that comes back as {"text": ...}."""
        if not resp.content:
            return None
        if resp.headers.get("content-type", "").startswith("application/json"):
            return resp.json()  # type: ignore[no-any-return]
        return {"text": resp.text}

    def followup(self, resp: httpx.Response, *, count: int = 1, timeout: float = 5.0) -> SlackCall:
        """Wait for the `count`-th response_url post (Bolt's respond()) made for the request behind `resp`."""
        url = _response_url_of(resp)
        if url is None:
            raise AssertionError("that request carried no response_url (App Home / modal clicks have none)")
        path = httpx.URL(url).path
        return self.fake_slack.wait_for(
            "response", count=count, timeout=timeout, where=lambda c: c.path == path
        )[count - 1]

    def followups(self, resp: httpx.Response) -> list[SlackCall]:
        """The response_url posts made for `resp` so far (no waiting)."""
        url = _response_url_of(resp)
        path = httpx.URL(url).path if url else None
        return [c for c in self.fake_slack.responses if c.path == path]

    def wait_for_response(self, count: int = 1, timeout: float = 5.0) -> SlackCall:
        """The `count`-th response_url post of any request."""
        return self.fake_slack.wait_for_response(count=count, timeout=timeout)


def _response_url_of(resp: httpx.Response) -> str | None:
    form = parse_qs(resp.request.content.decode("utf-8"))
    if "response_url" in form:
        return form["response_url"][0]
    if "payload" in form:
        payload = json.loads(form["payload"][0])
        return payload.get("response_url")
    return None


BotFactory = Callable[..., BotHarness]


@pytest.fixture
def fake_slack() -> Iterator[FakeSlackApi]:
    """A started loopback fake Slack Web API."""
    with FakeSlackApi() as fake:
        yield fake


@pytest.fixture
def make_bot_server(fake_slack: FakeSlackApi, sqlite_url: str) -> Iterator[BotFactory]:
    """Factory: make_bot_server(db_url=None, register=None, clock=None, **settings) -> BotHarness."""
    started: list[BotHarness] = []

    def make(
        db_url: str | None = None,
        *,
        register: Registrar | None = None,
        clock: Callable[[], datetime] | None = None,
        **settings: Any,
    ) -> BotHarness:
        values: dict[str, Any] = {
            "database_url": db_url or sqlite_url,
            "slack_api_url": fake_slack.base_url,
            "slack_signing_secret": SIGNING_SECRET,
            "slack_bot_token": BOT_TOKEN,
            "slack_app_token": None,
        }
        values.update(settings)
        cfg = load_settings(_env_file=None, **values)
        engine = make_engine(cfg.database_url)
        ctx = BotContext(settings=cfg, sessions=session_factory(engine), clock=clock or utcnow)
        app = create_app(ctx, register=register)
        server = serve_http(app, ctx, host="127.0.0.1", port=0).start_in_thread()
        harness = BotHarness(
            app=app,
            ctx=ctx,
            server=server,
            fake_slack=fake_slack,
            client=SignedSlackClient(server.events_url, SIGNING_SECRET),
            engine=engine,
        )
        started.append(harness)
        return harness

    yield make
    for h in started:
        h.client.close()
        h.server.close()
        drain(h.app, timeout=10)  # follow-ups still running finish before the fake Slack goes away
        h.engine.dispose()


@pytest.fixture
def bot_server(make_bot_server: BotFactory) -> BotHarness:
    """The real bot (bot.listeners) over HTTP on SQLite, Slack faked on loopback."""
    return make_bot_server()


@pytest.fixture
def bot_server_any_db(make_bot_server: BotFactory, db_url: str) -> BotHarness:
    """Like bot_server, run on SQLite and on PostgreSQL."""
    return make_bot_server(db_url)


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    """Extra settings for `bot` (a module overrides this fixture, e.g. to set admin_user_ids)."""
    return {}


@pytest.fixture
def bot(make_bot_server: BotFactory, db_url: str, bot_settings: dict[str, Any]) -> BotHarness:
    """The seeded bot: the real bot on SQLite and on PostgreSQL, its clock at tests.bot.seed.NOW, with
    tests.bot.seed.portfolio in its workspace. A module adds to it by overriding `bot` (requesting `bot`)."""
    h = make_bot_server(db_url, clock=lambda: NOW, **bot_settings)
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    return h
