"""`accountbot run`: clear errors for missing settings; HTTP mode as a real process with graceful SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.fakes.slack_api import FakeSlackApi
from tests.fakes.slack_signing import SignedSlackClient, command_body

BOT_TOKEN = "xoxb-9999-8888-processtoken"
APP_TOKEN = "xapp-1-A111-2222-appleveltoken"
SECRET = "process-signing-secret-77"
ACCOUNTBOT = [str(Path(sys.executable).with_name("accountbot"))]


def env_for(tmp_path: Path, api_url: str = "http://127.0.0.1:9/api/", **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_") and k != "DATABASE_URL"}
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}",
        SLACK_API_URL=api_url,
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


def run_cli(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(ACCOUNTBOT + args, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)


def test_socket_mode_without_tokens_names_the_missing_settings(tmp_path: Path) -> None:
    result = run_cli(["run"], env_for(tmp_path), tmp_path)
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN" in result.stderr and "SLACK_APP_TOKEN" in result.stderr
    assert "Traceback" not in result.stderr


def test_http_mode_without_signing_secret(tmp_path: Path) -> None:
    result = run_cli(["run", "--http"], env_for(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN), tmp_path)
    assert result.returncode == 1
    assert "SLACK_SIGNING_SECRET" in result.stderr
    assert BOT_TOKEN not in result.stderr


def test_swapped_tokens_are_explained(tmp_path: Path) -> None:
    env = env_for(tmp_path, SLACK_BOT_TOKEN=APP_TOKEN, SLACK_APP_TOKEN=BOT_TOKEN)
    result = run_cli(["run"], env, tmp_path)
    assert result.returncode == 1
    assert "starting with xoxb-" in result.stderr and "starting with xapp-" in result.stderr
    assert APP_TOKEN not in result.stderr and BOT_TOKEN not in result.stderr


def test_socket_mode_connects_with_the_app_token(tmp_path: Path) -> None:
    """The Socket Mode handler asks SLACK_API_URL for a connection with the xapp- token; the fake refuses,
    and the bot says so clearly."""
    with FakeSlackApi() as fake:
        env = env_for(
            tmp_path,
            fake.base_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
        )
        result = run_cli(["run", "--health-port", "0"], env, tmp_path)
        assert result.returncode == 1, result.stderr
        assert "Socket Mode" in result.stderr
        call = fake.last_call("apps.connections.open")
        assert call.token == APP_TOKEN
        assert (
            APP_TOKEN not in result.stderr + result.stdout and BOT_TOKEN not in result.stderr + result.stdout
        )


def ready_lines(proc: subprocess.Popen[str], marker: str, timeout: float = 30) -> list[str]:
    """The process's log lines up to the first with `marker`."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if marker in line:
            return lines
    raise AssertionError("".join(lines))


@pytest.mark.parametrize("mode", [["--http", "--port", "0"], ["--health-port", "0"]])
def test_a_refused_bot_token_stops_the_bot_with_the_fix(tmp_path: Path, mode: list[str]) -> None:
    with FakeSlackApi() as fake:
        fake.fail_next("auth.test", error="invalid_auth")
        env = env_for(
            tmp_path,
            fake.base_url,
            SLACK_BOT_TOKEN=BOT_TOKEN,
            SLACK_APP_TOKEN=APP_TOKEN,
            SLACK_SIGNING_SECRET=SECRET,
        )
        result = run_cli(["run", "--host", "127.0.0.1", *mode], env, tmp_path)
        assert result.returncode == 1, result.stderr
        said = " ".join(result.stderr.split())  # the error box wraps lines
        assert "SLACK_BOT_TOKEN was refused by Slack (invalid_auth)" in said
        assert "OAuth & Permissions" in said
        assert "bot_ready" not in said and "Traceback" not in said
        assert fake.calls_to("apps.connections.open") == []  # stopped before connecting
        assert BOT_TOKEN not in result.stderr + result.stdout


def test_slack_unreachable_at_start_is_explained(tmp_path: Path) -> None:
    env = env_for(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET)  # SLACK_API_URL: port 9
    result = run_cli(["run", "--http", "--port", "0", "--host", "127.0.0.1"], env, tmp_path)
    assert result.returncode == 1, result.stderr
    said = " ".join(result.stderr.split())
    assert "Slack could not be reached to check SLACK_BOT_TOKEN" in said
    assert "SLACK_API_URL" in said and "Traceback" not in said


def enqueue_nudge(db_url: str, team_id: str) -> None:
    """One pending outbox row, as a job would write it; the running bot's relay must deliver it."""
    from datetime import timedelta

    from storage.db import ensure_schema, ensure_workspace, make_engine, session_factory, utcnow
    from storage.queues import outbox

    engine = make_engine(db_url)
    ensure_schema(engine)
    facts = {
        "account": "Acme",
        "old_tier": "secondary",
        "new_tier": "key",
        "old_grade": "B",
        "new_grade": "A",
        "reasons": ["revenue grew"],
    }
    with session_factory(engine).begin() as s:
        ensure_workspace(s, team_id)
        outbox.enqueue(
            s,
            team_id=team_id,
            recipient="U0OWNER",
            kind="tier_change",
            facts=facts,
            period="p1",
            now=utcnow() - timedelta(seconds=5),
        )
    engine.dispose()


@pytest.mark.slow
def test_http_mode_serves_runs_services_and_stops_on_sigterm(tmp_path: Path) -> None:
    with FakeSlackApi() as fake:
        env = env_for(tmp_path, fake.base_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET)
        enqueue_nudge(env["DATABASE_URL"], fake.team_id)
        proc = subprocess.Popen(
            ACCOUNTBOT + ["run", "--http", "--host", "127.0.0.1", "--port", "0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            lines: list[str] = []
            url = None
            deadline = time.monotonic() + 30
            while url is None and time.monotonic() < deadline:
                line = proc.stderr.readline()  # type: ignore[union-attr]
                if not line:
                    break
                lines.append(line)
                m = re.search(r"bot_ready mode=http url=(\S+)", line)
                if m:
                    url = m.group(1)
            assert url, "".join(lines)
            health = httpx.get(url + "/healthz")
            assert health.status_code == 200 and health.json()["ok"] is True
            ready = httpx.get(url + "/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["token"]["team_id"] == fake.team_id
            client = SignedSlackClient(url + "/slack/events", SECRET)
            resp = client.post_form(command_body("help", response_url=fake.response_url("p1")))
            assert resp.status_code == 200
            assert client.post_form(command_body("help"), sign_with="nope").status_code == 401
            client.close()
            # the background services run: the relay delivers the pending nudge as a DM
            post = fake.wait_for("chat.postMessage", timeout=20, where=lambda c: c.ok)[0]
            assert post.params["channel"].startswith("D") and "Acme" in post.params["text"]
            assert post.token == BOT_TOKEN
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        log = "".join(lines) + err
        assert proc.returncode == 0, log
        assert "bot_stopping signal=SIGTERM" in log and "bot_stopped" in log
        assert BOT_TOKEN not in log + out and SECRET not in log + out


@pytest.mark.slow
def test_socket_mode_round_trip(tmp_path: Path) -> None:
    """`accountbot run` in Socket Mode: connects with the xapp- token, acks a slash command envelope, answers
    through the response_url, handles app_home_opened, and stops on SIGTERM."""
    from tests.fakes.slack_signing import app_home_opened_event, event_callback_body
    from tests.fakes.slack_socket import FakeSocketMode

    with FakeSlackApi() as fake, FakeSocketMode() as socket_mode:
        fake.socket_mode = socket_mode
        env = env_for(tmp_path, fake.base_url, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN)
        proc = subprocess.Popen(
            ACCOUNTBOT + ["run", "--host", "127.0.0.1", "--health-port", "0"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            lines = ready_lines(proc, "bot_ready mode=socket")
            socket_mode.wait_connected(timeout=30)
            assert fake.last_call("apps.connections.open").token == APP_TOKEN
            url = re.search(r"health=(\S+)/healthz", lines[-1])
            assert url, lines
            assert httpx.get(url.group(1) + "/healthz").status_code == 200
            ready = httpx.get(url.group(1) + "/readyz")
            assert ready.status_code == 200, ready.text
            assert ready.json()["checks"]["slack"]["state"] == "connected"
            envelope = socket_mode.send_slash_command(
                command_body("help", response_url=fake.response_url("sm1"))
            )
            assert socket_mode.wait_for_ack(envelope)["envelope_id"] == envelope
            answer = fake.wait_for("response", where=lambda c: c.path.endswith("/sm1"), timeout=10)[0]
            assert "/account" in str(answer.params)
            socket_mode.send_event(event_callback_body(app_home_opened_event("U0SOCK")))
            assert fake.wait_for("views.publish", timeout=10)[0].params["user_id"] == "U0SOCK"
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        assert proc.returncode == 0, err
        assert "bot_stopped" in err
        assert APP_TOKEN not in err + out and BOT_TOKEN not in err + out
