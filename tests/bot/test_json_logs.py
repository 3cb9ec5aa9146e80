"""LOG_FORMAT=json (bot.log_format): one JSON object per line, never a token, with the workspace, the job and a
correlation id shared by every line of one Slack request (ack and follow-up) and of one job run."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from slack_bolt import App

from accountbot.cli.run import configure_logging
from bot import metrics
from bot.context import BotContext
from bot.log_format import JsonFormatter, job_context
from bot.redaction import install_redaction
from bot.settings import ConfigError, load_settings
from tests.bot.conftest import BOT_TOKEN, BotFactory

log = logging.getLogger("accountbot.test")


@pytest.fixture
def lines() -> Iterator[Callable[[], list[dict[str, Any]]]]:
    """Log lines of the `accountbot` loggers, formatted by JsonFormatter, parsed back (each must be JSON)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("accountbot")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    def parsed() -> list[dict[str, Any]]:
        handler.flush()
        return [json.loads(line) for line in out.getvalue().splitlines()]

    try:
        yield parsed
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def _record(msg: str, *args: object, exc_info: Any = None) -> logging.LogRecord:
    """A record made without the redacting record factory: the formatter alone must keep tokens out."""
    return logging.LogRecord("accountbot.relay", logging.WARNING, __file__, 1, msg, args, exc_info)


def test_a_line_is_one_json_object_with_the_fields_of_its_message() -> None:
    record = _record("outbox_sent team=%s outbox_id=%s kind=%s job=%s", "T0123ABCD", 7, "digest", "digest")
    line = JsonFormatter().format(record)
    assert "\n" not in line
    out = json.loads(line)
    assert set(out) == {"time", "level", "logger", "message", "event", "team_id", "job"}
    assert out["message"] == "outbox_sent team=T0123ABCD outbox_id=7 kind=digest job=digest"
    assert (out["level"], out["logger"], out["event"]) == ("WARNING", "accountbot.relay", "outbox_sent")
    assert (out["team_id"], out["job"]) == ("T0123ABCD", "digest")
    assert out["time"].endswith("Z") and len(out["time"]) == len("2026-01-05T09:00:00.123Z")


def test_tokens_never_reach_the_output_not_even_in_a_traceback() -> None:
    secret = "s3cr3t-signing-value-9f"
    install_redaction(secret)
    token = "xoxb-1111-2222-abcdefSECRET"
    try:
        raise RuntimeError(f"Slack said no to {token} and {secret}")
    except RuntimeError:
        exc_info = sys.exc_info()
    line = JsonFormatter().format(
        _record("auth_failed team=T1 token=%s secret=%s", token, secret, exc_info=exc_info)
    )
    assert token not in line and secret not in line and "SECRET" not in line
    out = json.loads(line)
    assert out["message"] == "auth_failed team=T1 token=[redacted] secret=[redacted]"
    assert "RuntimeError: Slack said no to [redacted] and [redacted]" in out["exc"]


def test_unknown_team_words_are_not_taken_for_a_team() -> None:
    out = json.loads(JsonFormatter().format(_record("listener_error team=None user=U1 kind=command")))
    assert "team_id" not in out and "job" not in out and "correlation_id" not in out


def test_each_job_run_has_its_own_correlation_id_and_its_job(
    lines: Callable[[], list[dict[str, Any]]],
) -> None:
    timer = metrics.JobTimer()

    def digest_tick() -> None:
        log.info("digest_step one")
        log.info("digest_step two team=T7")

    run = timer.wrap("digest", digest_tick)
    run()
    run()
    log.info("after_the_runs")
    got = lines()
    steps = [line for line in got if line["event"] == "digest_step"]
    assert len(steps) == 4 and all(line["job"] == "digest" for line in steps)
    assert steps[1]["team_id"] == "T7" and "team_id" not in steps[0]
    ids = [line["correlation_id"] for line in steps]
    assert ids[0] == ids[1] and ids[2] == ids[3] and ids[0] != ids[2]
    after = next(line for line in got if line["event"] == "after_the_runs")
    assert "correlation_id" not in after and "job" not in after
    with job_context("weekly_focus") as correlation:
        log.info("inside")
    inside = lines()[-1]
    assert (inside["job"], inside["correlation_id"]) == ("weekly_focus", correlation)


def _probe_listener(app: App, ctx: BotContext) -> None:
    """/account whose ack and follow-up (a lazy function, on the listener pool) both log."""

    def ack_fn(ack: Callable[..., None], body: dict[str, Any]) -> None:
        log.info("probe_ack text=%s", body.get("text"))
        ack()

    def work(body: dict[str, Any], respond: Callable[..., Any]) -> None:
        log.info("probe_work token=%s", BOT_TOKEN)  # a careless line: the token must not come out
        log.warning("probe_done text=%s", body.get("text"))
        respond("done")

    app.command("/account")(ack=ack_fn, lazy=[work])


def test_one_request_shares_one_correlation_id_across_ack_and_follow_up(
    make_bot_server: BotFactory, lines: Callable[[], list[dict[str, Any]]]
) -> None:
    h = make_bot_server(register=_probe_listener)
    for text in ("first", "second"):
        resp = h.post_command(text)
        assert resp.status_code == 200
        h.followup(resp)
    got = lines()
    probes = [line for line in got if str(line.get("event", "")).startswith("probe_")]
    by_request: dict[str, list[str]] = {}
    for line in probes:
        by_request.setdefault(line["correlation_id"], []).append(line["event"])
    assert sorted(by_request.values()) == [["probe_ack", "probe_work", "probe_done"]] * 2
    texts = {line["correlation_id"]: line["message"] for line in probes if line["event"] == "probe_ack"}
    assert sorted(texts.values()) == ["probe_ack text=first", "probe_ack text=second"]
    assert all(line["team_id"] == h.team_id for line in probes)  # from the request, not the message
    assert BOT_TOKEN not in json.dumps(got)
    work = next(line for line in probes if line["event"] == "probe_work")
    assert work["message"] == "probe_work token=[redacted]"


def test_configure_logging_json_puts_the_formatter_on_stderr() -> None:
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    try:
        configure_logging("INFO", "json")
        assert [type(h.formatter) for h in root.handlers] == [JsonFormatter]
        configure_logging("INFO", "text")
        assert [type(h.formatter) for h in root.handlers] == [logging.Formatter]
    finally:
        for handler in root.handlers[:]:
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


def test_log_format_setting_takes_text_or_json_only() -> None:
    assert load_settings(_env_file=None, log_format="json").log_format == "json"
    assert load_settings(_env_file=None).log_format == "text"
    with pytest.raises(ConfigError, match="LOG_FORMAT"):
        load_settings(_env_file=None, log_format="xml")
