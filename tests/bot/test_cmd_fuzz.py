"""Any text after /account, including grammar-shaped garbage, gets a well-formed answer from the real
pipeline (parser -> storage -> renderers) and never an exception. In-process, on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session, sessionmaker

from bot.commands.fields import SET_FIELDS
from bot.commands.registry import WORDS as SUBCOMMAND_WORDS
from bot.commands.registry import answer_text
from bot.commands.types import TOUCH_KINDS, Request
from bot.context import BotContext
from bot.settings import load_settings
from storage.db import make_engine, session_factory
from tests.bot.seed import NOW, OWNER, TEAM, portfolio
from tests.bot.test_limits import check

WORDS = [
    *SUBCOMMAND_WORDS,
    *TOUCH_KINDS,
    *SET_FIELDS,
    "Acme",
    "Corp",
    "acme corp",
    "Globex",
    "with",
    "--",
    "add",
    "left",
    "until",
    "2w",
    "7d",
    "2027-01-01",
    "high",
    "none",
    '"Jane Doe"',
    '"',
    "<@U0ABC123|x>",
    "<!channel>",
    "<https://x.example|x>",
    "&amp;",
    "%",
    "-5",
    "1e9",
    "page",
    "2",
    "\u00b2",
]


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    from storage.db import ensure_schema

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    engine = make_engine(url)
    ensure_schema(engine)
    factory = session_factory(engine)
    with factory.begin() as s:
        portfolio(s, team=TEAM)
    yield factory
    engine.dispose()


text_strategy = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.tuples(
        st.sampled_from(list(SUBCOMMAND_WORDS)),
        st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=6),
    ).map(lambda t: " ".join([t[0], *t[1]])),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=text_strategy, admin=st.booleans())
@example(text="list \u00b2", admin=False)  # a superscript once passed isdigit() and crashed int()
def test_any_text_gets_a_well_formed_answer(sessions: sessionmaker[Session], text: str, admin: bool) -> None:
    ctx = BotContext(settings=load_settings(_env_file=None), sessions=sessions, clock=lambda: NOW)
    req = Request(team_id=TEAM, user_id=OWNER, channel_id="C0GENERAL", admin=lambda: admin)
    message = answer_text(ctx, req, text)
    assert check(message) == []
