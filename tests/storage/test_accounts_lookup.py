"""Name resolution: exact (case-insensitive) name, then alias, then suggestions from the same workspace."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.db import ensure_workspace
from storage.models import Account
from storage.reads.accounts import find_account, get_account, list_accounts, name_key
from tests.conftest import NOW


def add(session: Session, team: str, name: str, aliases: list[str] | None = None) -> Account:
    ensure_workspace(session, team)
    acc = Account(
        team_id=team,
        name=name,
        name_key=name_key(name),
        aliases=aliases or [],
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(acc)
    session.flush()
    return acc


def test_name_key_trims_collapses_and_casefolds() -> None:
    assert name_key("  Acme   Corp\tLtd ") == "acme corp ltd"
    assert name_key("STRASSE") == name_key("straße")
    assert name_key("Cafe\u0301 Bleu") == name_key("CAFÉ\u00a0bleu") == "café bleu"
    assert name_key("ＡＣＭＥ　Ｃｏｒｐ") == "acme corp"


def test_exact_name_is_case_and_space_insensitive(session: Session) -> None:
    acme = add(session, "T1", "Acme Corp")
    hit = find_account(session, "T1", "  acme   CORP ")
    assert hit.account is not None and hit.account.id == acme.id
    assert hit.candidates == [acme] and hit.suggestions == [] and not hit.ambiguous


def test_alias_resolves_when_no_name_matches(session: Session) -> None:
    acme = add(session, "T1", "Acme Corporation", aliases=["ACME", "Acme Inc"])
    hit = find_account(session, "T1", "acme inc")
    assert hit.account is not None and hit.account.id == acme.id


def test_name_wins_over_another_accounts_alias(session: Session) -> None:
    add(session, "T1", "Globex", aliases=["Initech"])
    initech = add(session, "T1", "Initech")
    hit = find_account(session, "T1", "initech")
    assert hit.account is not None and hit.account.id == initech.id


def test_shared_alias_is_ambiguous(session: Session) -> None:
    a = add(session, "T1", "Apex Logistics", aliases=["Apex"])
    b = add(session, "T1", "Apex Bank", aliases=["apex"])
    hit = find_account(session, "T1", "APEX")
    assert hit.account is None and hit.ambiguous
    assert {c.id for c in hit.candidates} == {a.id, b.id}
    assert [c.name for c in hit.candidates] == ["Apex Bank", "Apex Logistics"]


def test_miss_suggests_up_to_three_close_names(session: Session) -> None:
    for name in ("Northwind Traders", "Northwind Health", "Northwind Energy", "Northwind Bank", "Contoso"):
        add(session, "T1", name)
    hit = find_account(session, "T1", "Northwnd")
    assert hit.account is None and hit.candidates == []
    assert len(hit.suggestions) == 3
    assert all(s.startswith("Northwind") for s in hit.suggestions)
    assert find_account(session, "T1", "Nortwind Health").suggestions[0] == "Northwind Health"


def test_alias_match_suggests_the_account_name(session: Session) -> None:
    add(session, "T1", "International Business Machines", aliases=["Big Blue"])
    assert find_account(session, "T1", "Big Bleu").suggestions == ["International Business Machines"]


def test_nothing_close_suggests_nothing(session: Session) -> None:
    add(session, "T1", "Contoso")
    assert find_account(session, "T1", "zzzzqqq").suggestions == []
    assert find_account(session, "T1", "   ").suggestions == []


def test_other_workspaces_are_invisible(session: Session) -> None:
    add(session, "T1", "Umbrella Pharma")
    other = add(session, "T2", "Umbrella Corporation", aliases=["Umbrella"])
    assert find_account(session, "T1", "Umbrella Corporation").account is None
    assert find_account(session, "T1", "umbrella").account is None
    assert find_account(session, "T1", "Umbrella Corp").suggestions == ["Umbrella Pharma"]
    assert get_account(session, "T1", other.id) is None
    assert get_account(session, "T2", other.id) is not None
    assert [a.name for a in list_accounts(session, "T1")] == ["Umbrella Pharma"]


def test_aliases_with_non_ascii_letters_and_casefold_expansions(session: Session) -> None:
    strasse = add(session, "T1", "Strasse Holding", aliases=["Straße Group"])
    cafe = add(session, "T1", "Blue Cafe Ltd", aliases=["Café  Bleu"])
    tokyo = add(session, "T1", "Tokyo Power", aliases=["東京電力"])
    add(session, "T1", "Percent 100% Inc", aliases=['100%_under\\score "quoted"'])
    for typed, expected in (
        ("STRASSE GROUP", strasse), ("straße group", strasse), ("café bleu", cafe), ("CAFÉ BLEU", cafe), ("東京電力", tokyo),
    ):  # fmt: skip
        hit = find_account(session, "T1", typed)
        assert hit.account is not None and hit.account.id == expected.id, typed
    assert find_account(session, "T1", '100%_under\\score "quoted"').account is not None
    assert find_account(session, "T1", "cafe bleu").account is None  # accents matter; suggested instead
    assert find_account(session, "T1", "cafe bleu").suggestions[0] == "Blue Cafe Ltd"


def test_ascii_and_non_ascii_spellings_of_one_alias_are_ambiguous(session: Session) -> None:
    a = add(session, "T1", "Alpha", aliases=["Strasse"])
    b = add(session, "T1", "Beta", aliases=["Straße"])
    hit = find_account(session, "T1", "STRASSE")
    assert hit.ambiguous and {c.id for c in hit.candidates} == {a.id, b.id}
