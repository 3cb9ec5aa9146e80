"""Review: a contact name whose normalised form is longer than its column is refused with a clear answer.

Names are unique by their `name_key` (casefolded, NFKC), which can be longer than the name: "ß" becomes
"ss", "ﷺ" 18 characters. The CSV import checks the key's length; `/account contact add` checked only the
name's, so on PostgreSQL the insert failed (contacts.name_key holds 200) and the person got "Something went
wrong"; on SQLite an over-long key was stored.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import func, select

from storage.models import Contact
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import NOW, OWNER, all_text, portfolio

pytestmark = pytest.mark.slow


@pytest.fixture
def bot(make_bot_server: BotFactory, db_url: str) -> Iterator[BotHarness]:
    h = make_bot_server(db_url, clock=lambda: NOW)
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    yield h


def test_contact_name_too_long_once_normalised(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        before = s.scalar(select(func.count()).select_from(Contact))
    resp = bot.post_command('contact add Acme Corp "' + "ß" * 150 + '" CFO', user_id=OWNER)
    answer = all_text(bot.followup(resp).params)
    assert "Something went wrong" not in answer
    assert "too long" in answer
    with bot.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == before
