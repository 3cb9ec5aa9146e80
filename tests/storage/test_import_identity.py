"""CRM identity in the database (storage.importing.records through the writers), on SQLite and PostgreSQL: records
are joined by source id, same-named companies stay apart, touches record every contact, won deals are spend."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from storage.importing.records import CHUNK
from storage.importing.rows import AccountRow, ContactRow, DealRow, ImportRejected, InteractionRow
from storage.importing.writers import import_accounts, import_contacts, import_deals, import_interactions
from storage.models import Account, Contact, Deal, Interaction, InteractionContact, RevenueMonth
from storage.reads.account_states import contact_touches
from storage.reads.accounts import find_account, labels
from tests.conftest import NOW

TEAM = "T1"


def acme(source_id: str, name: str = "Acme Corp", **fields: object) -> AccountRow:
    return AccountRow(2, name, {"stage": "client", **fields}, "hubspot", source_id)


def seed(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        import_accounts(
            s, TEAM, [acme("1"), acme("2", domain="acme-logistics.example")], NOW, skip=lambda *a: None
        )
        import_contacts(
            s, TEAM,
            [ContactRow(2, "", "Ann Lee", {"role": "decision_maker"}, "hubspot", "c1", "1"),
             ContactRow(3, "", "Bob Stone", {"role": "user"}, "hubspot", "c2", "2"),
             ContactRow(4, "", "Jo Park", {"role": "influencer"}, "hubspot", "c3", "1")],
            NOW, skip=lambda *a: None,
        )  # fmt: skip


def test_same_named_companies_stay_apart_and_contacts_join_by_id(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions() as s:
        accounts = {a.source_id: a for a in s.scalars(select(Account).where(Account.team_id == TEAM))}
        assert set(accounts) == {"1", "2"}
        bob = s.scalar(select(Contact).where(Contact.name == "Bob Stone"))
        assert bob is not None and bob.account_id == accounts["2"].id
        found = find_account(s, TEAM, "acme corp")
        assert found.account is None and found.ambiguous
        assert labels(found.candidates) == ["Acme Corp (hubspot:1)", "Acme Corp (hubspot:2)"]
        by_label = find_account(s, TEAM, "Acme Corp (hubspot:2)")
        assert by_label.account is not None and by_label.account.id == accounts["2"].id
        assert find_account(s, TEAM, "hubspot:1").account is not None


def test_rename_updates_and_reimport_changes_nothing(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    with sessions.begin() as s:
        again = import_accounts(s, TEAM, [acme("1"), acme("2", domain="acme-logistics.example")], NOW)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
        renamed = import_accounts(
            s, TEAM, [acme("2", "Acme Logistics", domain="acme-logistics.example")], NOW
        )
        assert (renamed.created, renamed.updated) == (0, 1)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 2
        assert find_account(s, TEAM, "Acme Logistics").account is not None


def test_a_repeated_id_and_an_unknown_company_are_skipped_with_their_reason(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    skipped: list[tuple[int, str, str]] = []
    with sessions.begin() as s:
        result = import_contacts(
            s, TEAM,
            [ContactRow(5, "", "Kim", {}, "hubspot", "c9", "404"),
             ContactRow(6, "", "Lu", {}, "hubspot", "c8", "1"),
             ContactRow(7, "", "Lu", {}, "hubspot", "c8", "1")],
            NOW, skip=lambda line, reason, value: skipped.append((line, reason, value)),
        )  # fmt: skip
    assert skipped == [(5, "no_account", "404"), (7, "duplicate", "c8")]
    assert (result.created, result.skipped, result.rows) == (1, 2, 3)


def test_a_name_two_companies_share_is_never_guessed(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    skipped: list[tuple[int, str, str]] = []
    with sessions.begin() as s:
        import_contacts(
            s, TEAM, [ContactRow(9, "Acme Corp", "Pat", {}, "pipedrive", "p1")], NOW,
            skip=lambda line, reason, value: skipped.append((line, reason, value)),
        )  # fmt: skip
    assert skipped == [(9, "duplicate", "Acme Corp")]


def test_a_touch_with_two_contacts_is_one_touch_that_counts_for_both(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    when = NOW - timedelta(days=3)
    meeting = InteractionRow(2, "", when, "meeting", source="hubspot", source_id="m1", account_source_id="1",
                             contact_source_ids=("c1", "c3"))  # fmt: skip
    with sessions.begin() as s:
        first = import_interactions(s, TEAM, iter([meeting]), NOW, skip=lambda *a: None)
        assert first.created == 1
    with sessions.begin() as s:
        again = import_interactions(s, TEAM, iter([meeting]), NOW, skip=lambda *a: None)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Interaction)) == 1
        assert s.scalar(select(func.count()).select_from(InteractionContact)) == 2
        acc_id = s.scalar(select(Account.id).where(Account.source_id == "1"))
        touches = contact_touches(s, TEAM, NOW, 90)[acc_id]
        assert sorted((t.contact, t.touches) for t in touches) == [("Ann Lee", 1), ("Jo Park", 1)]


def test_a_multi_company_activity_is_a_touch_per_company_and_an_edit_updates(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)
    when = NOW - timedelta(days=5)
    rows = [InteractionRow(2, "", when, "call", note="v1", source="hubspot", source_id="k1", account_source_id=a)
            for a in ("1", "2")]  # fmt: skip
    with sessions.begin() as s:
        assert import_interactions(s, TEAM, iter(rows), NOW, skip=lambda *a: None).created == 2
    edited = [
        InteractionRow(
            2, "", when, "call", note="v2", source="hubspot", source_id="k1", account_source_id="1"
        )
    ]
    with sessions.begin() as s:
        result = import_interactions(s, TEAM, iter(edited), NOW, skip=lambda *a: None)
        assert (result.created, result.updated) == (0, 1)
    with sessions() as s:
        assert sorted(s.scalars(select(Interaction.note))) == ["v1", "v2"]


def test_won_deals_are_spend_and_lost_or_open_ones_are_not(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    closed = (NOW - timedelta(days=40)).date()
    deals = [
        DealRow(2, "hubspot", "d1", "", "1", "renewal", "won", closed, 120_000.0),
        DealRow(3, "hubspot", "d2", "", "1", "expansion", "lost", closed, 45_000.0),
        DealRow(4, "hubspot", "d3", "", "1", "upsell", "open", None, 9_000.0),
        DealRow(5, "hubspot", "d4", "", "1", "old", "won", date(NOW.year - 3, 1, 10), 7.0),
    ]
    with sessions.begin() as s:
        result = import_deals(s, TEAM, deals, NOW, skip=lambda *a: None)
        assert result.created == 4
    with sessions() as s:
        acc = s.scalar(select(Account).where(Account.source_id == "1"))
        assert acc is not None and acc.annual_revenue == 120_000.0  # the 3-year-old deal is outside 12 months
        months = sorted((m.month, m.amount) for m in s.scalars(select(RevenueMonth)))
        assert months == [(date(NOW.year - 3, 1, 1), 7.0), (closed.replace(day=1), 120_000.0)]
        other = s.scalar(select(Account).where(Account.source_id == "2"))
        assert other is not None and other.annual_revenue is None  # no deals: not touched


def test_a_crm_company_adopts_the_one_native_account_of_its_name(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        import_accounts(
            s, TEAM, [AccountRow(2, "Globex", {"stage": "client"})], datetime(2026, 1, 1, tzinfo=UTC)
        )
        result = import_accounts(
            s, TEAM, [AccountRow(2, "GLOBEX", {"stage": "client"}, "salesforce", "001A")], NOW
        )
        assert (result.created, result.updated) == (0, 1) and result.notes
    with sessions() as s:
        (only,) = s.scalars(select(Account)).all()
        assert (only.source, only.source_id, only.name) == ("salesforce", "001A", "GLOBEX")


def test_a_contact_named_by_id_who_works_elsewhere_is_not_on_the_touch(
    sessions: sessionmaker[Session],
) -> None:
    seed(sessions)  # c2 (Bob Stone) works for account 2
    call = InteractionRow(2, "", NOW - timedelta(days=2), "call", source="hubspot", source_id="x1",
                          account_source_id="1", contact_source_ids=("c2", "c1"))  # fmt: skip
    with sessions.begin() as s:
        assert import_interactions(s, TEAM, iter([call]), NOW, skip=lambda *a: None).created == 1
    with sessions() as s:
        touch = s.scalars(select(Interaction)).one()
        ann = s.scalar(select(Contact.id).where(Contact.source_id == "c1"))
        assert touch.contact_id == ann
        assert list(s.scalars(select(InteractionContact.contact_id))) == [ann]


def test_a_stream_of_accountbot_rows_is_imported_by_its_dedup_key(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    native = InteractionRow(2, "", NOW - timedelta(days=1), "meeting", contact="Ann Lee", account_source_id="1",
                            source="hubspot")  # fmt: skip
    crm = InteractionRow(3, "", NOW - timedelta(days=2), "call", source="hubspot", source_id="y1",
                         account_source_id="2")  # fmt: skip
    with sessions.begin() as s:
        result = import_interactions(s, TEAM, (r for r in [native, crm]), NOW)
        assert (result.rows, result.created) == (2, 2)
    with sessions() as s:
        assert sorted(s.scalars(select(Interaction.kind))) == ["call", "meeting"]


def test_reimported_deals_rewrite_no_revenue_month(sessions: sessionmaker[Session]) -> None:
    seed(sessions)
    closed = (NOW - timedelta(days=40)).date()
    deals = [DealRow(2, "hubspot", "d1", "", "1", "renewal", "won", closed, 120_000.0),
             DealRow(3, "hubspot", "d2", "", "1", "old", "won", date(NOW.year - 2, 3, 9), 5.0)]  # fmt: skip
    with sessions.begin() as s:
        import_deals(s, TEAM, deals, NOW, skip=lambda *a: None)
    with sessions() as s:
        before = sorted((m.id, m.month, m.amount) for m in s.scalars(select(RevenueMonth)))
        stamp = s.scalar(select(Account.updated_at).where(Account.source_id == "1"))
    with sessions.begin() as s:
        again = import_deals(s, TEAM, deals, NOW + timedelta(hours=1), skip=lambda *a: None)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with sessions() as s:
        assert sorted((m.id, m.month, m.amount) for m in s.scalars(select(RevenueMonth))) == before
        assert s.scalar(select(Account.updated_at).where(Account.source_id == "1")) == stamp
    lost = [deals[0], DealRow(3, "hubspot", "d2", "", "1", "old", "lost", date(NOW.year - 2, 3, 9), 5.0)]
    with sessions.begin() as s:
        import_deals(s, TEAM, lost, NOW, skip=lambda *a: None)
    with sessions() as s:
        assert [(m.id, m.amount) for m in s.scalars(select(RevenueMonth))] == [
            next((i, a) for i, _, a in before if a == 120_000.0)
        ]


def test_an_accountbot_row_updates_the_one_crm_account_of_its_name(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        import_accounts(s, TEAM, [AccountRow(2, "Initech", {"stage": "client"}, "pipedrive", "77")], NOW)
        result = import_accounts(s, TEAM, [AccountRow(2, "initech", {"domain": "initech.example"})], NOW)
        assert (result.created, result.updated) == (0, 1)
    with sessions() as s:
        (only,) = s.scalars(select(Account)).all()
        assert (only.source_id, only.domain) == ("77", "initech.example")


def test_an_accountbot_row_naming_two_crm_accounts_is_refused(sessions: sessionmaker[Session]) -> None:
    seed(sessions)  # two hubspot accounts named Acme Corp
    with sessions.begin() as s, pytest.raises(ImportRejected) as refused:
        import_accounts(s, TEAM, [AccountRow(7, "ACME corp", {"domain": "acme.example"})], NOW)
    assert refused.value.errors[0].line == 7 and "source_id" in refused.value.errors[0].expected
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 2


def test_crm_accounts_and_deals_are_written_as_they_stream(sessions: sessionmaker[Session]) -> None:
    """A file of any size is never held: when the stream is asked for the row after the first chunk, that
    chunk is already in the database; a repeat of a first-chunk id in a later chunk is still a duplicate."""
    n = CHUNK + 10
    written_before: dict[str, int] = {}
    skipped: list[tuple[int, str, str]] = []

    def stream(s: Session, kind: str, make: Callable[[int], Any], model: type) -> Iterator[Any]:
        for i in range(n):
            if i == CHUNK:
                written_before[kind] = s.scalar(select(func.count()).select_from(model)) or 0
            yield make(i)
        yield make(3)  # line 3 again, in the last chunk

    def company(i: int) -> AccountRow:
        return AccountRow(i + 2, f"Company {i}", {"stage": "client"}, "hubspot", str(i))

    def deal(i: int) -> DealRow:
        return DealRow(i + 2, "hubspot", f"d{i}", "", str(i), "renewal", "won", (NOW - timedelta(days=40)).date(),
                       10.0)  # fmt: skip

    def sink(line: int, reason: str, value: str) -> None:
        skipped.append((line, reason, value))

    with sessions.begin() as s:
        accounts = import_accounts(s, TEAM, stream(s, "accounts", company, Account), NOW, skip=sink)
        deals = import_deals(s, TEAM, stream(s, "deals", deal, Deal), NOW, skip=sink)
    assert written_before == {"accounts": CHUNK, "deals": CHUNK}
    assert (accounts.rows, accounts.created, accounts.skipped) == (n + 1, n, 1)
    assert (deals.rows, deals.created, deals.skipped) == (n + 1, n, 1)
    assert skipped == [(5, "duplicate", "3"), (5, "duplicate", "d3")]
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(RevenueMonth)) == n


def test_an_export_s_same_named_accountbot_and_crm_accounts_stay_twins(
    sessions: sessionmaker[Session],
) -> None:
    """An export holds an accountbot account and a CRM account of one name; imported into an empty workspace
    they stay two accounts (the CRM one adopts nothing and the accountbot row is not moved onto it)."""
    rows = [AccountRow(2, "Globex", {"stage": "client", "domain": "globex.example"}),
            AccountRow(3, "Globex", {"stage": "client", "domain": "globex.example"}, "hubspot", "9")]  # fmt: skip
    with sessions.begin() as s:
        first = import_accounts(s, TEAM, rows, NOW)
        assert first.created == 2
    with sessions.begin() as s:
        again = import_accounts(s, TEAM, rows, NOW)
        assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with sessions() as s:
        assert sorted((a.name, a.source_id or "") for a in s.scalars(select(Account))) == [
            ("Globex", ""), ("Globex", "9")
        ]  # fmt: skip
