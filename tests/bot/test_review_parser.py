"""Review: Slack ids typed into /account are bounded to what their columns hold.

Before: `/account set Acme owner U` followed by 100 letters passed the parser and failed in the database
on PostgreSQL (owner_user_id holds 32 characters), answered with a generic "something went wrong".
"""

from __future__ import annotations

from datetime import date

import pytest

from bot import command_parser as cp

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    "text",
    [
        "set Acme owner U" + "A" * 100,
        "set Acme owner <@U" + "A" * 100 + ">",
        "set Acme sponsor W" + "1" * 40 + " executive",
        "feeds add https://news.example/rss C" + "A" * 100,
        "feeds add https://news.example/rss <#C" + "A" * 100 + "|news>",
    ],
)
def test_overlong_slack_ids_are_refused_by_the_parser(text: str) -> None:
    with pytest.raises(cp.CommandError):
        cp.parse(text, TODAY)


def test_ordinary_ids_still_parse() -> None:
    assert cp.parse("set Acme owner <@U0123ABCD|ann>", TODAY).value == "U0123ABCD"  # type: ignore[union-attr]
    assert cp.parse("feeds add https://news.example/rss <#C0123ABCD|news>", TODAY).channel == "C0123ABCD"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    "name", ["Straße AG", "ＡＣＭＥ  Corp", "Cafe\u0301", "\ufdfa x", "İstanbul", " a\tb "]
)
def test_the_parser_normalises_names_as_storage_does(name: str) -> None:
    from storage.reads.accounts import name_key

    assert cp._name_key(name) == name_key(name)
