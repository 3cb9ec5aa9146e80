"""Socket Mode against a loopback websocket (tests.fakes.slack_socket): acks stay fast through Slack's routine
refreshes, a dead or half-open socket is noticed and replaced, and a Web API outage while reconnecting is
retried. The speed figures themselves are in bench/bench_socket.py; the bounds here are Slack's."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import App

from bot.app import create_app, drain
from bot.context import BotContext
from bot.settings import load_settings
from bot.socket_mode import DEAD_AFTER, AckFirstSocketModeHandler, socket_mode_handler
from storage.db import make_engine, session_factory
from tests.bot.conftest import BOT_TOKEN
from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import command_body
from tests.fakes.slack_socket import FakeSocketMode

APP_TOKEN = "xapp-1-A1-2-socketsecret"


def quick_listeners(app: App, ctx: BotContext) -> None:
    def ack_command(ack: Any, command: dict[str, Any]) -> None:
        ack(text=f"ack:{command['text']}")

    app.command("/account")(ack_command)


class Harness:
    def __init__(
        self, fake: FakeSlackApi, sm: FakeSocketMode, handler: AckFirstSocketModeHandler, sessions: Any
    ) -> None:
        self.fake, self.sm, self.handler, self.sessions = fake, sm, handler, sessions

    def command(self, text: str, *, on: int | None = None) -> str:
        return self.sm.send_slash_command(
            command_body(text, response_url=self.fake.response_url(text)), on=on
        )


@pytest.fixture
def make_socket_bot(fake_slack: FakeSlackApi, sqlite_url: str) -> Iterator[Callable[..., Harness]]:
    """make_socket_bot(register=quick_listeners): the app behind our Socket Mode client, connected to a
    loopback Socket Mode server; register=None runs the real listeners."""
    opened: list[tuple[AckFirstSocketModeHandler, App, Any]] = []

    def make(register: Callable[[App, BotContext], None] | None = quick_listeners) -> Harness:
        settings = load_settings(_env_file=None, database_url=sqlite_url, slack_api_url=fake_slack.base_url,
                                 slack_bot_token=BOT_TOKEN, slack_app_token=APP_TOKEN)  # fmt: skip
        engine = make_engine(settings.database_url)
        sessions = session_factory(engine)
        app = create_app(
            BotContext(settings=settings, sessions=sessions), register=register, socket_mode=True
        )
        handler = socket_mode_handler(app, APP_TOKEN)
        fake_slack.socket_mode = sm
        handler.connect()
        opened.append((handler, app, engine))
        sm.wait_connected()
        return Harness(fake_slack, sm, handler, sessions)

    with FakeSocketMode() as sm:
        yield make
        for handler, app, engine in opened:
            handler.close()
            drain(app)
            engine.dispose()


@pytest.fixture
def socket_bot(make_socket_bot: Callable[..., Harness]) -> Harness:
    return make_socket_bot()


def test_acks_stay_under_half_a_second_through_ten_refreshes_in_a_row(socket_bot: Harness) -> None:
    sm = socket_bot.sm
    envelopes: list[str] = []
    for i in range(10):
        sm.refresh(close_after=3.0)  # Slack keeps the old connection up a while after its disconnect
        for j in range(4):  # on the old connection, then across the switch, then on the new one
            envelopes.append(socket_bot.command(f"r{i}-{j}"))
            time.sleep(0.1)
    for envelope in envelopes:
        assert sm.wait_for_ack(envelope)["payload"]["text"].startswith("ack:r")
    slowest = max(sm.ack_latency(e) for e in envelopes)
    assert slowest < 0.5, f"an ack took {slowest:.3f}s during a refresh"
    assert sm.connections == 11
    assert socket_bot.handler.client.status()["reconnects"] == 10


def test_an_envelope_is_acked_on_the_connection_it_came_in_on(socket_bot: Harness) -> None:
    sm = socket_bot.sm
    old = sm.refresh(close_after=1.0)
    # on the old connection, which stays open for a second while the new one opens (sent there by number: the
    # new one may already be up, and the newest connection is where envelopes go by default)
    first = socket_bot.command("just-after-disconnect", on=old)
    sm.wait_for_ack(first)
    sm.wait_connected(count=2)
    later = socket_bot.command("on-the-new-one")
    sm.wait_for_ack(later)
    assert sm.acked[first][1] == old
    assert sm.acked[later][1] == 2


def test_a_half_open_socket_is_noticed_within_15_seconds(socket_bot: Harness) -> None:
    sm = socket_bot.sm
    sm.half_open()
    started = time.monotonic()
    sm.wait_connected(count=2, timeout=15)
    noticed = time.monotonic() - started
    assert DEAD_AFTER <= noticed + 1.0 and noticed < 15  # given up after pings went unanswered, not at once
    envelope = socket_bot.command("after-half-open")
    assert sm.wait_for_ack(envelope)["payload"] == {"text": "ack:after-half-open"}
    assert socket_bot.handler.client.status()["state"] == "connected"


def test_a_reset_connection_is_replaced_at_once(socket_bot: Harness) -> None:
    sm = socket_bot.sm
    sm.reset()
    sm.wait_connected(count=2, timeout=3)
    assert sm.wait_for_ack(socket_bot.command("after-reset"))["payload"] == {"text": "ack:after-reset"}


def test_a_web_api_outage_while_reconnecting_is_retried_and_shown(socket_bot: Harness) -> None:
    sm, fake, client = socket_bot.sm, socket_bot.fake, socket_bot.handler.client
    # 3 calls per reconnect attempt (the Web API client retries a 500 twice itself): two attempts fail
    fake.fail_next("apps.connections.open", status=500, error="internal_error", times=6)
    sm.reset()
    deadline = time.monotonic() + 5
    while client.status()["last_error"] is None and time.monotonic() < deadline:
        time.sleep(0.05)
    status = client.status()
    assert status["state"] == "reconnecting" and status["last_error"], status
    sm.wait_connected(count=2, timeout=15)
    assert sm.wait_for_ack(socket_bot.command("back"))["payload"] == {"text": "ack:back"}
    deadline = time.monotonic() + 2  # the fake may read the ack a moment before the client notes it
    while client.status()["last_ack_at"] is None and time.monotonic() < deadline:
        time.sleep(0.01)
    status = client.status()
    assert status["state"] == "connected" and status["last_error"] is None and status["last_ack_at"]


def test_close_stops_every_connection_and_reconnects_no_more(socket_bot: Harness) -> None:
    sm = socket_bot.sm
    socket_bot.handler.close()
    time.sleep(0.5)
    assert socket_bot.handler.client.status()["state"] == "closed"
    assert sm.connections == 1
    with pytest.raises(AssertionError):
        sm.wait_connected(count=2, timeout=1)


def test_a_form_resent_across_a_refresh_saves_one_touch(make_socket_bot: Callable[..., Harness]) -> None:
    """Slack resends a submission whose ack it did not get: across a refresh, the same form saves once."""
    import json
    from datetime import UTC, datetime

    from sqlalchemy import func, select

    from storage.models import Account, Interaction
    from tests.bot.seed import OWNER, portfolio
    from tests.fakes.slack_signing import input_date, input_select, view_submission_payload

    h = make_socket_bot(register=None)  # the real listeners
    with h.sessions.begin() as s:
        portfolio(s, team=h.fake.team_id)
        acme = s.scalar(select(Account.id).where(Account.name == "Acme Corp"))
        before = s.scalar(select(func.count()).select_from(Interaction)) or 0
    today = datetime.now(UTC).date().isoformat()  # a touch today is stamped with each submission's time
    values = {"kind": {"kind": input_select("call")}, "date": {"date": input_date(today)}}
    form = view_submission_payload("log_touch_modal", values, private_metadata=json.dumps({"account_id": acme}),
                                   team_id=h.fake.team_id, user_id=OWNER, view_id="V0ACROSSREFRESH")  # fmt: skip
    first = h.sm.send_interactive(form)
    h.sm.refresh(close_after=3.0)
    again = h.sm.send_interactive(form)  # Slack's resend, the same view
    for envelope in (first, again):
        assert h.sm.wait_for_ack(envelope)["payload"]["response_action"] == "update"
    with h.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == before + 1
