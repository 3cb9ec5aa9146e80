"""bot.redaction scrubs Slack tokens and registered secrets from every log record, tracebacks included."""

from __future__ import annotations

import logging

import pytest

from bot.redaction import REDACTED, install_redaction, redact


@pytest.mark.parametrize(
    "token",
    ["xoxb-123-456-abcDEF", "xoxp-1-2-3-abc", "xapp-1-A0-123-abcdef", "xoxe.xoxp-1-abc", "xoxe-1-abcdef"],
)
def test_token_shapes_are_redacted(token: str) -> None:
    assert token not in redact(f"calling with {token} now")


def test_registered_secret_is_redacted_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    install_redaction("a-signing-secret-value")
    caplog.set_level(logging.INFO)
    log = logging.getLogger("test.redaction")
    log.info("secret=%s token=%s", "a-signing-secret-value", "xoxb-9-9-zzz")
    try:
        raise ValueError("boom with xoxb-1-2-inside and a-signing-secret-value")
    except ValueError:
        log.exception("failed")
    text = caplog.text
    assert "a-signing-secret-value" not in text
    assert "xoxb-9-9-zzz" not in text and "xoxb-1-2-inside" not in text
    assert text.count(REDACTED) >= 3
    assert "ValueError" in text  # the traceback itself is kept


def test_short_strings_are_not_registered() -> None:
    install_redaction("abc", None, "")
    assert redact("abc") == "abc"
