"""The HTTP transport over a real socket: signatures, routing, health, body cap, errors, log hygiene.

Uses a tiny listener set (not bot.listeners) so it tests the transport alone.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest
from slack_bolt import App

from bot.context import BotContext
from bot.server import MAX_BODY_BYTES
from tests.bot.conftest import BOT_TOKEN, SIGNING_SECRET, BotFactory, BotHarness
from tests.fakes.slack_signing import url_verification_body


def echo_listeners(app: App, ctx: BotContext) -> None:
    """The production pattern: a cheap ack function, the work in a Bolt lazy function."""

    def ack_command(ack: Any, command: dict[str, Any]) -> None:
        text = command["text"]
        if text == "boom":
            raise RuntimeError(f"exploded with {BOT_TOKEN}")
        ack(text=f"ack:{text}")

    def answer(command: dict[str, Any], respond: Any, client: Any) -> None:
        if command["text"] == "late-boom":
            raise RuntimeError(f"after ack with {BOT_TOKEN}")
        client.users_info(user=command["user_id"])
        respond(text=f"done:{command['text']}", response_type="ephemeral")

    app.command("/account")(ack=ack_command, lazy=[answer])

    def ack_event(ack: Any) -> None:
        ack()

    def home(event: dict[str, Any], client: Any) -> None:
        client.views_publish(user_id=event["user"], view={"type": "home", "blocks": []})

    app.event("app_home_opened")(ack=ack_event, lazy=[home])


@pytest.fixture
def bot(make_bot_server: BotFactory) -> BotHarness:
    return make_bot_server(register=echo_listeners)


def test_good_signature_is_acked_fast_and_followed_up(bot: BotHarness) -> None:
    started = time.monotonic()
    resp = bot.post_command("grade Acme")
    elapsed = time.monotonic() - started
    assert resp.status_code == 200
    assert bot.ack_json(resp) == {"text": "ack:grade Acme"}
    assert elapsed < 3.0  # Slack's limit; the speed target itself lives in bench/bench_ack.py
    follow = bot.followup(resp)
    assert follow.params["text"] == "done:grade Acme"
    users_info = bot.fake_slack.last_call("users.info")
    assert users_info.token == BOT_TOKEN  # the bot's Web API client points at SLACK_API_URL


def test_bad_signature_is_401(bot: BotHarness) -> None:
    resp = bot.post_command("grade Acme", sign_with="wrong-secret")
    assert resp.status_code == 401
    resp = bot.post_command("grade Acme", signature="v0=" + "0" * 64)
    assert resp.status_code == 401
    assert bot.fake_slack.responses == []


def test_stale_timestamp_is_401(bot: BotHarness) -> None:
    resp = bot.post_command("grade Acme", timestamp=int(time.time()) - 6 * 60)
    assert resp.status_code == 401


def test_missing_headers_is_401(bot: BotHarness) -> None:
    resp = bot.post_command("grade Acme", unsigned=True)
    assert resp.status_code == 401
    only_ts = bot.post_command(
        "x", unsigned=True, headers={"X-Slack-Request-Timestamp": str(int(time.time()))}
    )
    assert only_ts.status_code == 401


def test_tampered_body_is_401(bot: BotHarness) -> None:
    client = bot.client
    body = "command=%2Faccount&text=hi&team_id=T0FAKE&user_id=U1"
    from tests.fakes.slack_signing import sign

    headers = sign(SIGNING_SECRET, body)
    resp = client.http.post(
        client.url,
        content=body.replace("hi", "ho"),
        headers={**headers, "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert resp.status_code == 401


def test_url_verification_echoes_challenge(bot: BotHarness) -> None:
    resp = bot.client.post_json(url_verification_body("chal-123"))
    assert resp.status_code == 200
    assert resp.json() == {"challenge": "chal-123"}


def test_event_is_acked_and_handled(bot: BotHarness) -> None:
    resp = bot.open_home(user_id="U0BOB")
    assert resp.status_code == 200
    call = bot.fake_slack.wait_for("views.publish")[0]
    assert call.params["user_id"] == "U0BOB"


def test_healthz_and_readyz_ok(bot: BotHarness) -> None:
    live = httpx.get(bot.url + "/healthz")
    assert live.status_code == 200 and live.json()["ok"] is True and live.json()["mode"] == "http"
    ready = httpx.get(bot.url + "/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["database"] == {"ok": True}
    assert checks["slack"]["last_request_at"] is None
    assert checks["relay"]["waiting"] == 0 and checks["feeds"]["failing"] == 0
    assert bot.post_command("grade Acme").status_code == 200
    assert httpx.get(bot.url + "/readyz").json()["checks"]["slack"]["last_request_at"]


def test_readyz_503_when_database_is_down_and_healthz_still_200(
    make_bot_server: BotFactory, tmp_path: Any
) -> None:
    # A SQLite path inside a missing directory cannot be opened: the ping fails.
    bot = make_bot_server(f"sqlite:///{tmp_path / 'missing' / 'x.db'}", register=echo_listeners)
    resp = httpx.get(bot.url + "/readyz")
    assert resp.status_code == 503
    assert resp.json()["ok"] is False
    assert resp.json()["checks"]["database"]["ok"] is False
    assert httpx.get(bot.url + "/healthz").status_code == 200  # a database outage is no reason to restart


def test_unknown_path_is_404_and_get_on_events_is_405(bot: BotHarness) -> None:
    assert httpx.get(bot.url + "/nope").status_code == 404
    assert httpx.post(bot.url + "/slack/other", content=b"x").status_code == 404
    assert httpx.get(bot.url + "/slack/events").status_code == 405


def test_oversized_body_is_rejected(bot: BotHarness) -> None:
    big = "text=" + "a" * (MAX_BODY_BYTES + 10)
    resp = bot.client.post_raw(big, "application/x-www-form-urlencoded")
    assert resp.status_code == 413
    # and the server keeps serving
    assert bot.post_command("after").status_code == 200


def test_listener_error_before_ack_gets_friendly_reply_and_no_trace(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    resp = bot.post_command("boom")
    assert resp.status_code == 200
    body = resp.json()
    assert body["response_type"] == "ephemeral"
    assert "went wrong" in body["text"]
    assert "Traceback" not in resp.text and "RuntimeError" not in resp.text
    assert "listener_error" in caplog.text
    # still serving
    assert bot.post_command("grade X").status_code == 200


def test_error_in_follow_up_is_logged_and_the_bot_keeps_serving(
    bot: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    resp = bot.post_command("late-boom")
    assert bot.ack_json(resp) == {"text": "ack:late-boom"}
    deadline = time.monotonic() + 5
    while "after ack" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.02)
    assert "after ack" in caplog.text
    assert BOT_TOKEN not in caplog.text
    again = bot.post_command("grade X")
    assert bot.followup(again).params["text"] == "done:grade X"


def test_acks_do_not_wait_for_slow_follow_ups(make_bot_server: BotFactory) -> None:
    """Follow-ups run on the listener pool after the ack; a burst of slow ones never delays acks."""
    import threading

    release = threading.Event()

    def slow(app: App, ctx: BotContext) -> None:
        def ack_command(ack: Any) -> None:
            ack()

        def work(respond: Any) -> None:
            release.wait(10)
            respond(text="late")

        app.command("/account")(ack=ack_command, lazy=[work])

    bot = make_bot_server(register=slow)
    try:
        for i in range(40):  # more than the listener pool has threads
            started = time.monotonic()
            assert bot.post_command(f"n{i}").status_code == 200
            assert time.monotonic() - started < 2.0
    finally:
        release.set()
    bot.fake_slack.wait_for("response", count=40, timeout=10)


def test_tokens_never_appear_in_logs(bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)  # slack_sdk and Bolt log request details at DEBUG
    bot.post_command("grade Acme")
    bot.followup(bot.post_command("grade Beta"))
    bot.post_command("boom")  # the exception message itself carries the token
    bot.fake_slack.wait_for("users.info", count=2)
    logging.getLogger("test").info("leak attempt %s and %s", BOT_TOKEN, SIGNING_SECRET)
    text = caplog.text + "".join(r.getMessage() for r in caplog.records)
    assert caplog.records, "expected some log output to check"
    assert BOT_TOKEN not in text
    assert SIGNING_SECRET not in text
    assert "xoxb-" not in text
    assert "[redacted]" in text


def test_slack_api_5xx_in_follow_up_is_retried(bot: BotHarness) -> None:
    bot.fake_slack.fail_next("users.info", status=500)
    resp = bot.post_command("grade Acme")
    assert bot.followup(resp).params["text"] == "done:grade Acme"
    assert [c.status for c in bot.fake_slack.calls_to("users.info")] == [500, 200]


def test_real_app_over_http_on_both_databases(bot_server_any_db: BotHarness) -> None:
    """The production listeners behind the same transport, on SQLite and PostgreSQL."""
    h = bot_server_any_db
    assert httpx.get(h.url + "/readyz").json()["checks"]["database"] == {"ok": True}
    resp = h.post_command("help")
    assert resp.status_code == 200
    assert "/account" in json.dumps(h.followup(resp).params)
    assert h.open_home().status_code == 200
    assert h.fake_slack.wait_for("views.publish")[0].params["user_id"] == h.user_id
    assert h.post_command("help", sign_with="wrong").status_code == 401


def test_close_lets_a_request_in_flight_finish(make_bot_server: BotFactory) -> None:
    import threading

    entered = threading.Event()

    def slow_ack(app: App, ctx: BotContext) -> None:
        @app.command("/account")
        def account(ack: Any) -> None:
            entered.set()
            time.sleep(0.5)
            ack(text="finished")

    bot = make_bot_server(register=slow_ack)
    result: dict[str, Any] = {}
    sender = threading.Thread(target=lambda: result.setdefault("resp", bot.post_command("x")))
    sender.start()
    assert entered.wait(5)
    bot.server.close()
    sender.join(10)
    assert result["resp"].status_code == 200
    assert result["resp"].text == "finished"
    with pytest.raises(httpx.TransportError):
        httpx.get(bot.url + "/healthz", timeout=2)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("payload=notjson", "application/x-www-form-urlencoded"),
        ("payload=%5B1%2C2%5D", "application/x-www-form-urlencoded"),
        ("[1,2,3]", "application/json"),
        ("{not json", "application/json"),
    ],
)
@pytest.mark.parametrize("signed", [True, False])
def test_malformed_body_is_400_and_the_bot_keeps_serving(
    bot: BotHarness, body: str, content_type: str, signed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    resp = bot.client.post_raw(body, content_type, unsigned=not signed)
    expected = {400} if signed else {400, 401}  # unsigned: refused either for its form or its signature
    assert resp.status_code in expected
    assert "Traceback" not in resp.text
    assert "Traceback" not in caplog.text
    assert bot.post_command("still here").status_code == 200


def test_unknown_action_and_view_are_acked(bot: BotHarness, caplog: pytest.LogCaptureFixture) -> None:
    """Link buttons and buttons of old messages still reach the app: acked (no error icon), logged."""
    caplog.set_level(logging.INFO)
    assert bot.post_action("open_story_link", value="https://example.com").status_code == 200
    assert bot.post_view_submission("retired_modal", {}).status_code == 200
    assert (
        "unhandled_request" in caplog.text
        and "open_story_link" in caplog.text
        and "retired_modal" in caplog.text
    )
    assert bot.post_command("x", command="/retired").status_code == 200


def test_readyz_503_when_postgres_is_unreachable(make_bot_server: BotFactory) -> None:
    bot = make_bot_server("postgresql://postgres@127.0.0.1:1/nowhere", register=echo_listeners)
    resp = httpx.get(bot.url + "/readyz", timeout=10)
    assert resp.status_code == 503
    assert resp.json()["checks"]["database"]["ok"] is False
    assert "DATABASE_URL" in resp.json()["checks"]["database"]["fix"]


def test_socket_mode_uses_the_same_app_factory(fake_slack: Any, sqlite_url: str) -> None:
    """create_app(socket_mode=True) behind bot.socket_mode's handler: envelopes are acked over the WebSocket
    (with the ack's payload), follow-ups go to the response_url, no signing secret needed."""
    from bot.app import create_app, drain
    from bot.settings import load_settings
    from bot.socket_mode import socket_mode_handler
    from storage.db import make_engine, session_factory
    from tests.fakes.slack_signing import command_body
    from tests.fakes.slack_socket import FakeSocketMode

    settings = load_settings(
        _env_file=None,
        database_url=sqlite_url,
        slack_api_url=fake_slack.base_url,
        slack_bot_token=BOT_TOKEN,
        slack_app_token="xapp-1-A1-2-socketsecret",
    )
    engine = make_engine(settings.database_url)
    app = create_app(
        BotContext(settings=settings, sessions=session_factory(engine)),
        register=echo_listeners,
        socket_mode=True,
    )
    with FakeSocketMode() as socket_mode:
        fake_slack.socket_mode = socket_mode
        handler = socket_mode_handler(app, "xapp-1-A1-2-socketsecret")
        handler.connect()
        try:
            socket_mode.wait_connected()
            envelope = socket_mode.send_slash_command(
                command_body("grade Acme", response_url=fake_slack.response_url("s1"))
            )
            ack = socket_mode.wait_for_ack(envelope)
            assert ack["payload"] == {"text": "ack:grade Acme"}
            follow = fake_slack.wait_for("response", where=lambda c: c.path.endswith("/s1"))[0]
            assert follow.params["text"] == "done:grade Acme"
        finally:
            handler.close()
            drain(app)
            engine.dispose()


def test_an_event_slack_retries_is_handled_once_across_replicas(
    make_bot_server: BotFactory, db_url: str
) -> None:
    """Slack resends an event it got no quick 200 for (X-Slack-Retry-Num); with two replicas on one database the
    copy may reach the other one. Each copy is acked, the event handled once."""
    from tests.fakes.slack_signing import app_home_opened_event, event_callback_body

    first = make_bot_server(db_url, register=echo_listeners)
    second = make_bot_server(db_url, register=echo_listeners)
    body = event_callback_body(app_home_opened_event("U0RETRY"), team_id=first.team_id)
    assert first.client.post_json(body).status_code == 200
    for n, replica in ((1, second), (2, first)):
        retry = {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": "http_timeout"}
        assert replica.client.post_json(body, headers=retry).status_code == 200
    first.fake_slack.wait_for("views.publish")
    other = event_callback_body(app_home_opened_event("U0OTHER"), team_id=first.team_id)  # a new event id
    assert second.client.post_json(other).status_code == 200
    first.fake_slack.wait_for("views.publish", where=lambda c: c.params["user_id"] == "U0OTHER")
    assert [c.params["user_id"] for c in first.fake_slack.calls_to("views.publish")] == ["U0RETRY", "U0OTHER"]


def test_a_database_outage_is_named_as_such_not_blamed_on_slack(make_bot_server: BotFactory) -> None:
    from bot.render.replies import DATABASE_DOWN

    bot = make_bot_server("postgresql://postgres@127.0.0.1:1/nowhere")  # the real listeners, no database
    resp = bot.post_command("grade Acme")
    assert resp.status_code == 200
    answer = bot.followup(resp).params
    assert answer["text"] == DATABASE_DOWN and "Slack did not answer" not in str(answer)


def test_a_dropped_connection_is_retried_once_for_reads_never_for_writes(
    bot_server_any_db: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dataclasses

    from sqlalchemy.exc import OperationalError

    from bot.commands import registry
    from bot.render.replies import DATABASE_DOWN

    calls: dict[str, int] = {"list": 0, "log": 0}

    def flaky(word: str, fail_times: int) -> Any:
        real = registry.BY_WORD[word].handle

        def handle(ctx: Any, req: Any, command: Any) -> Any:
            calls[word] += 1
            if calls[word] <= fail_times:
                raise OperationalError("SELECT ...", {}, ConnectionResetError("server closed the connection"))
            return real(ctx, req, command)

        return dataclasses.replace(registry.BY_WORD[word], handle=handle)

    monkeypatch.setitem(registry.BY_WORD, "list", flaky("list", 1))
    monkeypatch.setitem(registry.BY_WORD, "log", flaky("log", 5))
    h = bot_server_any_db
    listed = h.followup(h.post_command("list")).params
    assert calls["list"] == 2 and listed["text"] != DATABASE_DOWN  # read again, answered
    logged = h.followup(h.post_command("log Acme call")).params
    assert calls["log"] == 1 and logged["text"] == DATABASE_DOWN  # a write is not repeated; said plainly
