"""One number parser (accounts.numbers) behind every surface: a CSV cell, an `/account` argument, a button value
and a form's metadata read the same forms the same way (ASCII digits, one decimal point); other scripts'
digits, fullwidth digits, superscripts and exponents are refused everywhere, with a clear message."""

from __future__ import annotations

import json
from datetime import date

import pytest

from accounts import numbers
from bot.commands import listing, registry
from bot.commands.types import CommandError
from bot.listeners.views import read_log_touch
from storage.importing.csv_formats import Invalid, percent

REFUSED = ["٤٥", "４５", "1e2", "²", "4²", "inf", "nan", "0x10", "1_000", " ", ""]
ACCEPTED = {"45": 45.0, "45%": 45.0, "62.5": 62.5, "62,5": 62.5, " 7 ": 7.0}


@pytest.mark.parametrize("text", REFUSED)
def test_refused_alike_by_csv_slack_and_the_parser(text: str) -> None:
    assert numbers.decimal(text.removesuffix("%")) is None
    with pytest.raises(Invalid):
        percent(0, 100)(text)
    if text.strip():  # a blank value is "needs a value", checked before the number
        with pytest.raises(CommandError, match="digits 0-9"):
            registry.parse(f"set Acme wallet_share {text}", date(2026, 11, 24))


@pytest.mark.parametrize(("text", "value"), ACCEPTED.items())
def test_accepted_alike(text: str, value: float) -> None:
    assert percent(0, 100)(text) == value
    command = registry.parse(f"set Acme wallet_share {text.strip()}", date(2026, 11, 24))
    assert getattr(command, "value", None) == value


def test_pages_and_ids_take_ascii_digits_only() -> None:
    assert listing.parse([], date(2026, 11, 24)).page == 1
    assert numbers.whole("²") is None and numbers.whole("٣") is None and numbers.whole("12") == 12
    assert numbers.whole("1" * 19) is None  # beyond a 64-bit id
    form = {"private_metadata": json.dumps({"account_id": "1e23"}), "state": {"values": {}}}
    parsed, errors = read_log_touch(form, date(2026, 11, 24))
    assert parsed is None and "out of date" in " ".join(errors.values())
    huge = {"private_metadata": json.dumps({"account_id": 10**23}), "state": {"values": {}}}
    assert read_log_touch(huge, date(2026, 11, 24))[0] is None
