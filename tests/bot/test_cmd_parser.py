"""The command grammar: tokens, quotes, Slack markup, every subcommand, and helpful errors. Pure."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.commands import registry
from bot.commands.registry import close_subcommand
from bot.commands.text import plain
from bot.commands.types import (
    Command,
    CommandError,
    ContactAdd,
    ContactLeft,
    Contacts,
    Feeds,
    Focus,
    Grade,
    Help,
    ListAccounts,
    LogTouch,
    SetField,
    Snooze,
)

TODAY = date(2026, 11, 24)


def parse(text: str) -> Command:
    return registry.parse(text, TODAY)


def error(text: str) -> CommandError:
    with pytest.raises(CommandError) as info:
        parse(text)
    return info.value


def test_empty_is_help() -> None:
    assert parse("") == Help()
    assert parse("   ") == Help()
    assert registry.parse(None, TODAY) == Help()
    assert parse("help list") == Help("list")


def test_plain_name_is_grade() -> None:
    assert parse("Acme Corp") == Grade("Acme Corp", implicit=True)
    assert parse("grade  Acme   Corp ") == Grade("Acme Corp")
    assert parse('"list"') == Grade(
        "list", implicit=True
    )  # a quoted first word is a name, never a subcommand
    assert parse("grade AT&amp;T") == Grade("AT&T")  # Slack's escaping is undone


def test_close_subcommand() -> None:
    assert [close_subcommand(w) for w in ("lst", "grdae", "snoze", "Acme", "Globex")] == [
        "list",
        "grade",
        "snooze",
        None,
        None,
    ]


def test_list_filters_and_pages() -> None:
    assert parse("list") == ListAccounts(None, 1)
    assert parse("list KEY") == ListAccounts("key", 1)
    assert parse("list stale 3") == ListAccounts("stale", 3)
    assert parse("list a page 2") == ListAccounts("a", 2)
    err = error("list bogus")
    assert "not a list filter" in err.message and "secondary" in (err.usage or "")


@pytest.mark.parametrize("text", ["list \u00b2", "list key \u00b9\u00b2", "list page \u2075"])
def test_superscript_digits_are_not_a_page(text: str) -> None:
    """`str.isdigit` accepts superscripts and `int()` then raised: "something went wrong". Now they are read
    as words, and the answer says what is wrong."""
    err = error(text)
    assert "not a list filter" in err.message


def test_other_scripts_digits_are_not_a_page() -> None:
    # ARABIC-INDIC DIGIT THREE: int() reads it, but numbers take ASCII digits everywhere (accounts.numbers)
    assert "not a list filter" in error("list key \u0663").message
    assert parse("list key 3") == ListAccounts("key", 3)


def test_log() -> None:
    assert parse("log Acme Corp meeting") == LogTouch("Acme Corp", "meeting")
    assert parse("log Acme call with Jane Doe -- renewal in March") == LogTouch(
        "Acme", "call", "Jane Doe", "renewal in March"
    )
    assert parse('log "Meeting Rooms Ltd" visit') == LogTouch("Meeting Rooms Ltd", "visit")
    assert parse("log Acme email --short note") == LogTouch("Acme", "email", None, "short note")
    assert parse("log Acme email -- ping <!channel> and <@U123|bob>") == LogTouch(
        "Acme", "email", None, "ping @channel and @bob"
    )
    assert "kind of touch" in error("log Acme lunch").message
    assert "Say which account" in error("log meeting").message
    assert "after the kind" in error("log Acme meeting yesterday").message


def test_contacts() -> None:
    assert parse("contacts Acme Corp") == Contacts("Acme Corp")
    assert parse('contact add Acme Corp "Jane Doe" CFO decision-maker') == ContactAdd(
        "Acme Corp", "Jane Doe", "CFO", True
    )
    assert parse("contact add Acme \u201cJane Doe\u201d Head of IT") == ContactAdd(
        "Acme", "Jane Doe", "Head of IT", False
    )
    assert parse('contact add "Acme Corp" "Jane"') == ContactAdd("Acme Corp", "Jane")
    assert parse('contact left Acme "Jane Doe"') == ContactLeft("Acme", "Jane Doe")
    assert "in quotes" in error("contact add Acme Jane Doe").message
    assert "contact add" in error("contact Acme").message


def test_set_fields() -> None:
    assert parse("set Acme strategic_value H") == SetField("Acme", "strategic_value", "high")
    assert parse("set Acme Corp pain_factor medium") == SetField("Acme Corp", "pain_factor", "medium")
    assert parse("set Acme wallet_share 62.5%") == SetField("Acme", "wallet_share", 62.5)
    assert parse("set Acme profit_margin -4") == SetField("Acme", "profit_margin", -4.0)
    assert parse("set Acme engagement low") == SetField("Acme", "engagement", "low")
    assert parse("set Acme stage prospect") == SetField("Acme", "stage", "prospect")
    assert parse("set Acme owner <@U0ABC123|dana>") == SetField("Acme", "owner", "U0ABC123")
    assert parse("set Acme sponsor <@U0ABC123> executive") == SetField(
        "Acme", "sponsor", "U0ABC123", "executive"
    )
    assert parse("set Acme sponsor <@U0ABC123> pm") == SetField(
        "Acme", "sponsor", "U0ABC123", "project_manager"
    )
    assert parse("set Acme sponsor none") == SetField("Acme", "sponsor", None)
    assert parse("set Acme aliases ACME; Acme Inc ,  AC") == SetField(
        "Acme", "aliases", ["ACME", "Acme Inc", "AC"]
    )
    assert parse("set Acme aliases none") == SetField("Acme", "aliases", [])
    assert parse("set Acme feed <https://acme.example/news.rss>") == SetField(
        "Acme", "feed", "https://acme.example/news.rss"
    )
    assert parse("set Acme strategic_value none") == SetField("Acme", "strategic_value", None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("set Acme strategic_value huge", "not a rating"),
        ("set Acme engagement medium", "not a rating"),
        ("set Acme wallet_share 120", "between 0 and 100"),
        ("set Acme wallet_share lots", "percentage"),
        ("set Acme wallet_share nan", "digits 0-9"),
        ("set Acme owner @dana", "Mention the person"),
        ("set Acme sponsor <@U0ABC123> boss", "not a sponsor level"),
        ("set Acme feed javascript:alert(1)", "web address"),
        ("set Acme feed <ftp://x.example/feed>", "web address"),
        ("set Acme stage gone", "client or prospect"),
        ("set Acme colour red", "not a field"),
        ("set Acme", "which field"),
        ("set Acme strategic_value", "needs a value"),
        ("set Acme strategic_value high low", "takes one value"),
    ],
)
def test_set_errors(text: str, expected: str) -> None:
    assert expected in error(text).message


def test_snooze() -> None:
    assert parse("snooze Acme 7d") == Snooze("Acme", date(2026, 12, 1))
    assert parse("snooze Acme Corp 2w waiting for budget") == Snooze(
        "Acme Corp", date(2026, 12, 8), "waiting for budget"
    )
    assert parse("snooze Acme 2 weeks") == Snooze("Acme", date(2026, 12, 8))
    assert parse("snooze Acme until 2027-01-15 holidays") == Snooze("Acme", date(2027, 1, 15), "holidays")
    assert "not a date" in error("snooze Acme until soon").message
    assert "not in the future" in error("snooze Acme until 2026-11-24").message
    assert "at most 365" in error("snooze Acme 60w").message
    assert "at least one day" in error("snooze Acme 0d").message
    assert "how long" in error("snooze Acme").message


def test_focus_and_feeds() -> None:
    assert parse("focus") == Focus()
    assert "nothing after" in error("focus Acme").message
    assert parse("feeds") == Feeds("list")
    assert parse("feeds add https://n.example/rss <#C0NEWS|news>") == Feeds(
        "add", "https://n.example/rss", "C0NEWS"
    )
    assert "not a channel" in error("feeds add https://n.example/rss news").message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x" * 4001, "limit is 4,000"),
        ("grade Acme\x07", "control character (U+0007)"),
        ("grade Acme\x1b[31m", "U+001B"),
        ('contact add Acme "Jane', "never closed"),
    ],
)
def test_hostile_text(text: str, expected: str) -> None:
    assert expected in error(text).message


def test_sql_and_markup_are_just_names() -> None:
    assert parse("grade '; DROP TABLE accounts; --") == Grade("'; DROP TABLE accounts; --")
    assert parse("grade <!channel> *bold* <https://evil.example|click>") == Grade(
        "@channel *bold* click (https://evil.example)"
    )
    assert parse("grade " + "a" * 150) == Grade("a" * 150)
    assert "at most 200" in error("grade " + "a" * 300).message
    assert parse("grade Acme\nCorp\tLtd") == Grade("Acme Corp Ltd")  # newlines and tabs are spaces


def test_plain_converts_markup() -> None:
    assert plain(
        "<@U1|ann> <@U2> <!here> <!subteam^S1|@team> <#C1|general> <https://x.example|X> <mailto:a@b.c>"
    ) == ("@ann @U2 @here @team #general X (https://x.example) mailto:a@b.c")
    assert plain("a &amp;lt; b") == "a &lt; b"


@given(st.text(max_size=300))
def test_any_text_parses_or_explains(text: str) -> None:
    """Whatever arrives, the parser answers with a command or a CommandError with a message, nothing else."""
    try:
        result = registry.parse(text, TODAY)
    except CommandError as exc:
        assert exc.message
    else:
        assert result is not None


# ----------------------------------------------------------------------------------------------------
# Slack ids typed into /account are bounded to what their columns hold.
# Before: `/account set Acme owner U` followed by 100 letters passed the parser and failed in the database
# on PostgreSQL (owner_user_id holds 32 characters), answered with a generic "something went wrong".


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
    with pytest.raises(CommandError):
        registry.parse(text, TODAY)


def test_ordinary_ids_still_parse() -> None:
    owner = registry.parse("set Acme owner <@U0123ABCD|ann>", TODAY)
    assert isinstance(owner, SetField) and owner.value == "U0123ABCD"
    feed = registry.parse("feeds add https://news.example/rss <#C0123ABCD|news>", TODAY)
    assert isinstance(feed, Feeds) and feed.channel == "C0123ABCD"


@pytest.mark.parametrize(
    "name", ["Straße AG", "ＡＣＭＥ  Corp", "Cafe\u0301", "\ufdfa x", "İstanbul", " a\tb "]
)
def test_the_parser_normalises_names_as_storage_does(name: str) -> None:
    from bot.commands.text import name_key as parser_name_key
    from storage.reads.accounts import name_key

    assert parser_name_key(name) == name_key(name)
