"""Reads of the Slack face (summaries, cards, contacts, App Home), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from accounts.thresholds import Thresholds
from storage.models import OutboxMessage, Snooze
from storage.reads import cards, contacts, home, summaries
from tests.bot.seed import NOW, OTHER_TEAM, OWNER, STRANGER, TEAM, account, contact, portfolio, touch

TH = Thresholds()


def test_card_has_assessment_last_touch_and_coverage(session) -> None:
    accs = portfolio(session)
    card = cards.account_card(session, TEAM, accs["Acme Corp"].id, NOW, TH)
    assert card is not None
    assert card.name == "Acme Corp"
    assert card.assessment.tier == "key"
    assert card.assessment.grade == "A"
    assert card.last_touch is not None and card.last_touch.kind == "call"
    assert card.last_touch.contact == "Bob Stone"
    assert card.summary.days_since_touch == 20
    assert card.summary.cadence_days == 14
    assert card.summary.overdue
    assert (card.decision_makers, card.active_contacts) == (1, 2)
    assert card.aliases == ["ACME", "Acme Inc"]


def test_card_is_scoped_to_the_workspace(session) -> None:
    accs = portfolio(session)
    assert cards.account_card(session, OTHER_TEAM, accs["Acme Corp"].id, NOW, TH) is None


def test_other_workspace_does_not_change_tiers_or_touches(session) -> None:
    accs = portfolio(session)
    other = account(session, "Acme Corp", OTHER_TEAM, annual_revenue=99_000_000)
    touch(session, other, 1)
    card = cards.account_card(session, TEAM, accs["Acme Corp"].id, NOW, TH)
    assert card is not None and card.summary.days_since_touch == 20
    assert card.assessment.tier == "key"
    names = [r.name for r in summaries.account_summaries(session, TEAM, NOW, TH)]
    assert names == ["Acme Corp", "Globex", "Hooli", "Initech", "Umbrella"]


def test_filters(session) -> None:
    portfolio(session)
    rows = summaries.account_summaries(session, TEAM, NOW, TH)

    def names(which: str | None, viewer: str = OWNER) -> list[str]:
        return [r.name for r in summaries.filter_accounts(rows, which, viewer)]

    assert names("prospects") == ["Hooli"]
    assert "Initech" not in names("mine")
    assert names("mine", STRANGER) == ["Initech"]
    assert set(names("key")) | set(names("secondary")) | {"Hooli"} == {r.name for r in rows}
    stale = names("stale")
    assert "Umbrella" not in stale  # touched 10 days ago, grade cadence not passed
    assert stale[0] in ("Globex", "Initech")  # never touched comes first
    assert "Acme Corp" in stale


def test_snooze_hides_overdue(session) -> None:
    accs = portfolio(session)
    session.add(
        Snooze(team_id=TEAM, account_id=accs["Acme Corp"].id, until=NOW + timedelta(days=7), created_at=NOW)
    )
    session.flush()
    rows = {r.name: r for r in summaries.account_summaries(session, TEAM, NOW, TH)}
    assert rows["Acme Corp"].snoozed_until is not None
    assert not rows["Acme Corp"].overdue
    later = {r.name: r for r in summaries.account_summaries(session, TEAM, NOW + timedelta(days=8), TH)}
    assert later["Acme Corp"].overdue


def test_contacts_active_decision_makers_first(session) -> None:
    accs = portfolio(session)
    gone = contact(session, accs["Acme Corp"], "Al Gone", "decision_maker")
    gone.active = False
    session.flush()
    names = [c.name for c in contacts.contacts_of(session, TEAM, accs["Acme Corp"].id)]
    assert names == ["Jane Doe", "Bob Stone", "Al Gone"]
    assert contacts.contacts_of(session, OTHER_TEAM, accs["Acme Corp"].id) == []


def test_home_groups_focus_and_spof(session) -> None:
    accs = portfolio(session)
    data = home.home_data(session, TEAM, OWNER, NOW, TH)
    assert "Initech" not in [r.name for g in data.groups.values() for r in g]
    assert data.groups["prospect"][0].name == "Hooli"
    spof = {w.account.name: w for w in data.spof}
    assert set(spof) == {"Acme Corp"}  # the only key/A account of the owner
    assert spof["Acme Corp"].reasons == ["decision_makers"]
    assert (spof["Acme Corp"].decision_makers, spof["Acme Corp"].contact) == (1, "Jane Doe")
    assert data.focus is not None and data.focus.tier == "key" and data.focus.overdue
    # The weekly job's choice wins over the fallback rule.
    session.add(
        OutboxMessage(
            team_id=TEAM,
            recipient=OWNER,
            kind=home.FOCUS_OUTBOX_KIND,
            account_id=accs["Globex"].id,
            facts={},
            dedup_key="f1",
            status="sent",
            attempts=1,
            next_attempt_at=NOW,
            created_at=NOW - timedelta(days=1),
        )
    )
    session.flush()
    assert home.focus_account(session, TEAM, OWNER, NOW, TH).name == "Globex"


def test_spof_concentration(session) -> None:
    acc = account(session, "Solo", TEAM, owner_user_id=OWNER, annual_revenue=5_000_000)
    a = contact(session, acc, "A One", "decision_maker")
    b = contact(session, acc, "B Two", "decision_maker")
    for d in range(1, 9):
        touch(session, acc, d, who=a)
    touch(session, acc, 9, who=b, colleague=STRANGER)
    rows = summaries.account_summaries(session, TEAM, NOW, TH)
    [warning] = home.spof_warnings(session, TEAM, rows, NOW, TH)
    assert (warning.reasons, warning.contact, warning.share_percent) == (["concentration"], "A One", 89)
    assert warning.colleague == STRANGER
    touch(session, acc, 10, who=b)
    touch(session, acc, 11, who=b)
    assert home.spof_warnings(session, TEAM, rows, NOW, TH) == []


def test_overdue_matches_the_nudge_rule(session) -> None:
    acc = account(
        session,
        "Edge",
        TEAM,
        owner_user_id=OWNER,
        annual_revenue=5_000_000,
        strategic_value="high",
        profit_margin=30,
    )
    touch(session, acc, 14)  # exactly the A cadence: not overdue yet
    [row] = summaries.account_summaries(session, TEAM, NOW, TH)
    assert row.grade == "A" and row.cadence_days == 14 and not row.overdue
    [later] = summaries.account_summaries(session, TEAM, NOW + timedelta(hours=1), TH)
    assert later.overdue and later.days_overdue == 0


def test_card_verdict_equals_the_workspace_verdict(session) -> None:
    """assess_one (the card's fast path) must agree with assess_workspace for every kind of account."""
    from storage.reads.assessments import assess_workspace

    accs = portfolio(session)
    a = accs["Acme Corp"]
    j = contact(session, a, "Pat Pair", "user")
    for i, colleague in enumerate(["U0A", "U0B", "U0C"]):
        touch(session, a, 5 + i, who=j, colleague=colleague)
    everyone = assess_workspace(session, TEAM, NOW, TH)
    for acc in accs.values():
        card = cards.account_card(session, TEAM, acc.id, NOW, TH)
        assert card is not None and card.assessment == everyone[acc.id], acc.name
    assert everyone[a.id].quadrant == "key"  # the pairs counted: engagement high


def test_imported_email_owner_is_not_taken_for_a_slack_id(session) -> None:
    account(session, "Mailed", TEAM, owner="Ursula@example.com")
    account(session, "Ided", TEAM, owner="U0IMPORT1")
    rows = {r.name: r for r in summaries.account_summaries(session, TEAM, NOW, TH)}
    assert rows["Mailed"].owner_user_id is None
    assert rows["Ided"].owner_user_id == "U0IMPORT1"


def test_a_touch_dated_ahead_counts_nowhere_until_its_date(session) -> None:
    """One rule for every reader (docs/data.md#account-state): card, list, App Home and the nudges agree."""
    from storage.reads.account_states import watched_states

    accs = portfolio(session)
    acme = accs["Acme Corp"]
    touch(session, acme, -1, kind="visit")  # dated tomorrow
    card = cards.account_card(session, TEAM, acme.id, NOW, TH)
    assert card is not None and card.last_touch is not None and card.last_touch.kind == "call"
    assert card.summary.days_since_touch == 20 and card.summary.overdue
    listed = {r.name: r for r in summaries.account_summaries(session, TEAM, NOW, TH)}
    assert listed["Acme Corp"].last_touch_at == card.summary.last_touch_at
    [state] = [s for s in watched_states(session, TEAM, NOW, TH) if s.id == acme.id]
    assert state.last_touch == card.summary.last_touch_at
    later = NOW + timedelta(days=2)
    card = cards.account_card(session, TEAM, acme.id, later, TH)
    assert card is not None and card.last_touch is not None and card.last_touch.kind == "visit"
    assert card.summary.days_since_touch == 1 and not card.summary.overdue
    [state] = [s for s in watched_states(session, TEAM, later, TH) if s.id == acme.id]
    assert state.last_touch == card.last_touch.occurred_at
