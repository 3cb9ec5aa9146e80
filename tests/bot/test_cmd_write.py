"""/account write commands end to end: who may change what, the audit trail, workspace isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from storage.models import Account, AccountChange, Contact, Feed, Interaction, SlackUser, Snooze
from tests.bot.conftest import BotFactory, BotHarness
from tests.bot.seed import ADMIN, NOW, OWNER, STRANGER, all_text, portfolio

pytestmark = pytest.mark.slow

SLACK_ADMIN = "U0SLACKADM"


@pytest.fixture
def bot_settings() -> dict[str, Any]:
    return {"admin_user_ids": ADMIN}


@pytest.fixture
def bot(bot: BotHarness) -> BotHarness:
    """The seeded bot (tests/bot/conftest.py) with ADMIN in ADMIN_USER_IDS and a Slack admin."""
    bot.fake_slack.add_user(SLACK_ADMIN, is_admin=True)
    return bot


def ask(bot: BotHarness, text: str, user_id: str = OWNER, **kw: object) -> str:
    resp = bot.post_command(text, user_id=user_id, **kw)
    assert resp.status_code == 200
    return all_text(bot.followup(resp).params)


def audit(bot: BotHarness, name: str = "Acme Corp") -> list[tuple[str, str, str | None, str | None]]:
    with bot.sessions.begin() as s:
        acc = s.scalar(select(Account).where(Account.name == name))
        rows = s.scalars(
            select(AccountChange).where(AccountChange.account_id == acc.id).order_by(AccountChange.id)
        )
        return [(r.user_id, r.field, r.old_value, r.new_value) for r in rows]


def test_log_touch_resets_the_clock(bot: BotHarness) -> None:
    answer = ask(bot, "log Acme Corp visit with jane doe -- <!channel> renewal & pricing", user_id=STRANGER)
    assert "Logged a visit with Jane Doe at Acme Corp. Its staleness clock is reset." in answer
    with bot.sessions.begin() as s:
        row = s.scalar(select(Interaction).where(Interaction.occurred_at == NOW))
        assert (row.kind, row.colleague, row.note) == ("visit", STRANGER, "@channel renewal & pricing")
    card = bot.followup(bot.post_command("grade Acme Corp")).params
    assert "visit with Jane Doe, today" in all_text(card)
    assert "overdue" not in all_text(card)


def test_log_with_unknown_contact_explains(bot: BotHarness) -> None:
    answer = ask(bot, "log Acme call with Nobody Here")
    assert "no contact named Nobody Here" in answer and "Jane Doe" in answer and "contact add" in answer


def test_contacts_add_and_leave(bot: BotHarness) -> None:
    assert "Added Kim Lee at Acme Corp as a decision maker" in ask(
        bot, 'contact add Acme Corp "Kim Lee" CTO decision-maker', user_id=STRANGER
    )
    assert "Marked Kim Lee as gone" in ask(bot, 'contact left Acme Corp "kim lee"')
    assert "no contact named Someone" in ask(bot, 'contact left Acme Corp "Someone"')
    with bot.sessions.begin() as s:
        kim = s.scalar(select(Contact).where(Contact.name == "Kim Lee"))
        assert (kim.title, kim.role, kim.active) == ("CTO", "decision_maker", False)
    assert [r[1] for r in audit(bot)] == ["contact", "contact"]


def test_owner_sets_ratings_with_audit(bot: BotHarness) -> None:
    answer = ask(bot, "set Acme Corp pain_factor H")
    assert "pain factor of Acme Corp changed: low → high" in answer
    assert "wallet share of Globex changed: 80 → 35" in ask(bot, "set Globex wallet_share 35%")
    assert "already is high" in ask(bot, "set Acme Corp pain_factor high")
    assert audit(bot) == [(OWNER, "pain_factor", "low", "high")]


def test_stranger_is_refused_and_nothing_changes(bot: BotHarness) -> None:
    answer = ask(bot, "set Acme Corp strategic_value low", user_id=STRANGER)
    assert (
        "Only its owner <@U0OWNER01> or a workspace admin may change the strategic value of *Acme Corp*"
        in answer
    )
    assert "Only its owner" in ask(bot, "snooze Acme Corp 2w", user_id=STRANGER)
    assert audit(bot) == []
    with bot.sessions.begin() as s:
        assert s.scalar(select(Account.strategic_value).where(Account.name == "Acme Corp")) == "high"
        assert s.scalars(select(Snooze)).all() == []
        # users.info was asked once and remembered (non-admin)
        cached = s.scalar(select(SlackUser).where(SlackUser.user_id == STRANGER))
        assert cached is not None and cached.is_admin is False
    assert len([c for c in bot.fake_slack.calls_to("users.info") if c.params.get("user") == STRANGER]) == 1


def test_admins_from_settings_and_from_slack(bot: BotHarness) -> None:
    assert "changed: <@U0OWNER01> → <@U0NEWOWN1>" in ask(
        bot, "set Acme Corp owner <@U0NEWOWN1|new>", user_id=ADMIN
    )
    assert bot.fake_slack.calls_to("users.info") == []  # ADMIN_USER_IDS needs no Slack call
    answer = ask(bot, "set Initech sponsor <@U0SPONSOR> executive", user_id=SLACK_ADMIN)
    assert "sponsor of Initech changed: nobody → <@U0SPONSOR> (executive)" in answer
    assert audit(bot, "Initech") == [
        (SLACK_ADMIN, "sponsor", None, "U0SPONSOR"),
        (SLACK_ADMIN, "sponsor_level", None, "executive"),
    ]
    with bot.sessions.begin() as s:
        assert s.scalar(select(SlackUser.is_admin).where(SlackUser.user_id == SLACK_ADMIN)) is True
    assert "changed: <@U0SPONSOR> → nobody" in ask(bot, "set Initech sponsor none", user_id=SLACK_ADMIN)
    with bot.sessions.begin() as s:
        initech = s.scalar(select(Account).where(Account.name == "Initech"))
        assert (initech.sponsor_user_id, initech.sponsor_level) == (None, None)


def test_set_reports_a_grade_change(bot: BotHarness) -> None:
    answer = ask(bot, "set Initech strategic_value high", user_id=STRANGER)  # STRANGER owns Initech
    assert "Now" in answer and "grade B" in answer and "was" in answer


def test_aliases_stage_and_feed(bot: BotHarness) -> None:
    assert "aliases of Globex changed: not set → GX; Globex Corp" in ask(
        bot, "set Globex aliases GX; Globex Corp"
    )
    assert ask(bot, "grade gx").startswith("Globex:")
    assert "stage of Umbrella changed: client → prospect" in ask(bot, "set Umbrella stage prospect")
    refused = ask(bot, "set Globex feed http://127.0.0.1:9/feed")
    assert "That feed cannot be used" in refused
    with bot.sessions.begin() as s:
        assert s.scalars(select(Feed)).all() == []


def test_snooze_by_owner(bot: BotHarness) -> None:
    assert "Snoozed Acme Corp until 2026-12-08 (budget round)" in ask(bot, "snooze Acme Corp 2w budget round")
    with bot.sessions.begin() as s:
        row = s.scalar(select(Snooze))
        assert row.until == NOW.replace(hour=0) + timedelta(days=14) and row.created_by == OWNER
    assert "snoozed until 2026-12-08 (budget round)" in all_text(
        bot.followup(bot.post_command("grade Acme Corp")).params
    )


def test_feeds_admin_only(bot: BotHarness) -> None:
    assert "Only workspace admins may add workspace news feeds" in ask(
        bot, "feeds add https://news.example/rss", user_id=STRANGER
    )
    assert "No news feeds yet" in ask(bot, "feeds")
    assert "cannot be used" in ask(bot, "feeds add http://10.0.0.1/rss", user_id=ADMIN)


def test_writes_cannot_reach_another_workspace(bot: BotHarness) -> None:
    other = "T0OTHERWS"
    bot.fake_slack.add_user(OWNER, team_id=other)  # a full member of that workspace
    assert "No account named" in ask(bot, "log Acme Corp call", team_id=other)
    assert "No account named" in ask(bot, "set Acme Corp pain_factor high", user_id=ADMIN, team_id=other)
    assert "No account named" in ask(bot, 'contact add Acme Corp "Eve"', team_id=other)
    assert audit(bot) == []


def test_feed_for_an_account_and_for_the_workspace(make_bot_server: BotFactory) -> None:
    h = make_bot_server(admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    answer = ask(h, "set Globex feed <http://127.0.0.1:8999/globex.rss>")
    assert "feed of Globex changed: not set → http://127.0.0.1:8999/globex.rss" in answer
    assert "Added the feed http://127.0.0.1:8999/all.rss into <#C0NEWS>" in ask(
        h, "feeds add http://127.0.0.1:8999/all.rss <#C0NEWS|news>", user_id=ADMIN
    )
    listing = ask(h, "feeds")
    assert "for *Globex*" in listing and "workspace-wide → <#C0NEWS>" in listing
    with h.sessions.begin() as s:
        feeds = {f.url: f for f in s.scalars(select(Feed))}
        assert feeds["http://127.0.0.1:8999/globex.rss"].added_by == OWNER
        assert feeds["http://127.0.0.1:8999/all.rss"].account_id is None
        assert (
            s.scalar(select(Account.news_feed).where(Account.name == "Globex"))
            == "http://127.0.0.1:8999/globex.rss"
        )
    assert audit(h, "Globex") == [(OWNER, "feed", None, "http://127.0.0.1:8999/globex.rss")]


# ----------------------------------------------------------------------------------------------------
# A contact name whose normalised form is longer than its column is refused with a clear answer.
# Names are unique by their `name_key` (casefolded, NFKC), which can be longer than the name: "ß" becomes
# "ss", "ﷺ" 18 characters. The CSV import checks the key's length; `/account contact add` checked only the
# name's, so on PostgreSQL the insert failed (contacts.name_key holds 200) and the person got "Something went
# wrong"; on SQLite an over-long key was stored.


def test_contact_name_too_long_once_normalised(bot: BotHarness) -> None:
    with bot.sessions.begin() as s:
        before = s.scalar(select(func.count()).select_from(Contact))
    resp = bot.post_command('contact add Acme Corp "' + "ß" * 150 + '" CFO', user_id=OWNER)
    answer = all_text(bot.followup(resp).params)
    assert "Something went wrong" not in answer
    assert "too long" in answer
    with bot.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Contact)) == before


# ----------------------------------------------------------------------------------------------------
# `/account set NAME feed URL` replaces the account's feed; the old one stops being polled.
# Before: the new URL was added as a second feed of the account and the previous one kept being polled (and
# alerting) forever, with no way to stop it from Slack.


def _feeds(bot: BotHarness) -> set[tuple[str, str | None]]:
    with bot.sessions.begin() as s:
        rows = s.execute(
            select(Feed.url, Account.name).outerjoin(Account, Account.id == Feed.account_id)
        ).all()
        return {(url, name) for url, name in rows}


def test_setting_a_new_feed_retires_the_previous_one(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    assert "changed: not set → http://127.0.0.1:8999/old.rss" in ask(
        h, "set Globex feed http://127.0.0.1:8999/old.rss"
    )
    assert "feeds add" not in ask(h, "feeds add http://127.0.0.1:8999/all.rss", user_id=ADMIN)
    answer = ask(h, "set Globex feed http://127.0.0.1:8999/new.rss")
    assert "changed: http://127.0.0.1:8999/old.rss → http://127.0.0.1:8999/new.rss" in answer
    assert _feeds(h) == {("http://127.0.0.1:8999/new.rss", "Globex"), ("http://127.0.0.1:8999/all.rss", None)}
    # setting the same URL again changes nothing and keeps it
    assert "nothing changed" in ask(h, "set Globex feed http://127.0.0.1:8999/new.rss")
    assert ("http://127.0.0.1:8999/new.rss", "Globex") in _feeds(h)


def test_setting_the_feed_to_none_stops_polling_it(make_bot_server: BotFactory, db_url: str) -> None:
    h = make_bot_server(db_url, admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    with h.sessions.begin() as s:
        portfolio(s, team=h.team_id)
    ask(h, "set Globex feed http://127.0.0.1:8999/old.rss")
    assert ("http://127.0.0.1:8999/old.rss", "Globex") in _feeds(h)
    answer = ask(h, "set Globex feed none")
    assert "http://127.0.0.1:8999/old.rss →" in answer
    assert _feeds(h) == set()
    with h.sessions.begin() as s:
        assert s.scalar(select(Account.news_feed).where(Account.name == "Globex")) is None


@pytest.mark.parametrize(
    ("channel", "setup", "said"),
    [
        ("C0QUIET", {"member": False}, "I am not in <#C0QUIET>"),
        ("C0SECRET", {"member": False, "private": True}, "I cannot see <#C0SECRET>"),
        ("C0OLD", {"archived": True}, "<#C0OLD> is archived"),
    ],
)
def test_a_feed_into_a_channel_the_bot_cannot_post_in_is_not_saved(
    make_bot_server: BotFactory, channel: str, setup: dict[str, bool], said: str
) -> None:
    h = make_bot_server(admin_user_ids=ADMIN, clock=lambda: NOW, news_allowed_hosts="127.0.0.1")
    h.fake_slack.add_channel(channel, **setup)
    answer = ask(h, f"feeds add http://127.0.0.1:8999/all.rss <#{channel}|news>", user_id=ADMIN)
    assert "The feed was not added" in answer and said in answer
    if setup.get("member") is False:
        assert "/invite @accountbot" in answer
    with h.sessions.begin() as s:
        assert s.scalar(select(func.count()).select_from(Feed)) == 0
    h.fake_slack.add_channel(channel)  # invited (or a channel in use): now it is saved
    assert f"Added the feed http://127.0.0.1:8999/all.rss into <#{channel}>" in ask(
        h, f"feeds add http://127.0.0.1:8999/all.rss <#{channel}|news>", user_id=ADMIN
    )
