"""The registry is the one list of subcommands: dispatch, the usage shown with a problem, `/account help`
and the reference tables in the docs all cover the same words."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.commands.registry import BY_WORD, HELP_LINES, SUBCOMMANDS, WORDS, dispatch, help_message, usage_of
from bot.commands.types import Command, CommandError, Grade, Help

TODAY = date(2026, 11, 24)
ROOT = Path(__file__).resolve().parents[2]


def test_words_are_unique() -> None:
    assert len(WORDS) == len(SUBCOMMANDS) == len(BY_WORD)


@pytest.mark.parametrize("word", WORDS)
def test_each_word_dispatches_to_its_own_entry(word: str) -> None:
    """`/account WORD` alone reaches WORD's parser: a command, or a problem shown with WORD's usage."""
    entry = BY_WORD[word]
    try:
        found, command = dispatch(word.upper(), TODAY)
    except CommandError as exc:
        assert exc.usage == entry.usage
    else:
        assert found is entry and isinstance(command, Command)


@pytest.mark.parametrize("word", WORDS)
def test_each_word_has_its_usage(word: str) -> None:
    assert usage_of(word) == BY_WORD[word].usage
    assert BY_WORD[word].usage.startswith(f"/account {word}")


def test_help_covers_every_word_but_help_itself() -> None:
    helped = [line.usage.split()[0] for line in HELP_LINES]
    assert set(helped) == set(WORDS) - {"help"}
    for entry in SUBCOMMANDS:
        assert all(line.usage.split()[0] == entry.word for line in entry.help)


@pytest.mark.parametrize("word", sorted(set(WORDS) - {"help"}))
def test_help_on_a_word_shows_its_lines(word: str) -> None:
    shown = help_message(word).text
    assert shown == "/account commands: " + ", ".join(word for _ in BY_WORD[word].help)


def test_unknown_words_are_names_and_nothing_is_help() -> None:
    assert dispatch("Acme Corp", TODAY) == (BY_WORD["grade"], Grade("Acme Corp", implicit=True))
    assert dispatch("", TODAY) == (BY_WORD["help"], Help())
    assert dispatch("--help", TODAY) == (BY_WORD["help"], Help())


@pytest.mark.parametrize("doc", ["README.md", "docs/slack-commands.md"])
def test_the_reference_tables_list_every_word(doc: str) -> None:
    text = (ROOT / doc).read_text(encoding="utf-8")
    table = text[text.index("### `/account` reference") :]
    rows = re.findall(r"^\| `([a-z]+)", table[: table.index("\n\n", table.index("| Command"))], re.MULTILINE)
    assert set(rows) == set(WORDS)
