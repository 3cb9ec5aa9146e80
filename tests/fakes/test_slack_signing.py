"""Signatures made by the test client verify with slack_sdk's own SignatureVerifier."""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, urlencode

from slack_sdk.signature import SignatureVerifier

from tests.fakes.slack_signing import (
    app_home_opened_event,
    block_actions_payload,
    command_body,
    event_callback_body,
    input_select,
    sign,
    view_submission_payload,
)


def test_signature_verifies_with_slack_sdk() -> None:
    body = urlencode(command_body("grade Acme"))
    headers = sign("secret-1", body)
    verifier = SignatureVerifier("secret-1")
    assert verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
    assert not SignatureVerifier("other").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_stale_timestamp_fails_verification() -> None:
    body = "a=b"
    old = int(time.time()) - 6 * 60
    headers = sign("s", body, timestamp=old)
    assert not SignatureVerifier("s").is_valid(
        body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    )


def test_command_body_has_slack_fields() -> None:
    body = parse_qs(
        urlencode(command_body("list key", team_id="T9", user_id="U9", response_url="http://x/r"))
    )
    assert body["command"] == ["/account"] and body["text"] == ["list key"]
    assert body["team_id"] == ["T9"] and body["user_id"] == ["U9"]
    assert body["response_url"] == ["http://x/r"] and body["trigger_id"][0]


def test_payload_shapes() -> None:
    clicked = block_actions_payload("snooze_week", "42", team_id="T1", user_id="U1")
    assert clicked["type"] == "block_actions" and clicked["actions"][0]["value"] == "42"
    assert clicked["team"]["id"] == "T1" and clicked["response_url"]
    home = block_actions_payload("open_grade", "42", view={"id": "V1", "type": "home"})
    assert "response_url" not in home and home["container"]["type"] == "view"
    sub = view_submission_payload(
        "log_touch", {"kind": {"kind": input_select("call")}}, private_metadata="42"
    )
    assert sub["view"]["state"]["values"]["kind"]["kind"]["selected_option"]["value"] == "call"
    event = event_callback_body(app_home_opened_event("U5"), team_id="T2")
    assert event["team_id"] == "T2" and event["event"]["type"] == "app_home_opened"
    json.dumps([clicked, sub, event])
