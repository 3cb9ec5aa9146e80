"""storage.importing.owners: the owner directory fed from any source's users records."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from storage.importing.owners import OwnerDirectory
from storage.importing.values import salesforce_id

JANE_15 = "0055e000001AbCd"
JANE_18 = salesforce_id(JANE_15)


def directory() -> OwnerDirectory:
    d = OwnerDirectory()
    # accountbot's own form: name,email[,id][,active]
    d.add({"name": "Pat Lee", "email": "Pat@Example.com"}, "accountbot")
    d.add({"name": "Old Timer", "email": "old@example.com", "active": "no"}, "accountbot")
    # a Salesforce User extract (Data Loader): API names mapped to canonical fields
    d.add(
        {"id": JANE_18, "first_name": "Jane", "last_name": "Doe", "email": "jane@example.com", "active": "true",
         "user_type": "Standard"},
        "salesforce",
    )  # fmt: skip
    d.add(
        {"id": "0055e000002XyZw", "name": "Integration User", "email": "integration@00d5e.ext", "active": "true",
         "user_type": "Standard"},
        "salesforce",
    )  # fmt: skip
    d.add(
        {"id": "0055e000003AuTo", "name": "Automated Process", "email": "autoproc@00d5e000000abc",
         "active": "true", "user_type": "AutomatedProcess"},
        "salesforce",
    )  # fmt: skip
    d.add(
        {"id": "0055e000004GoNe", "name": "Sam Gone", "email": "sam@example.com", "active": "0"}, "salesforce"
    )
    # a HubSpot users export
    d.add(
        {"id": "51234", "first_name": "Alex", "last_name": "Kim", "email": "alex.kim@example.com"}, "hubspot"
    )
    d.add({"id": "51235", "name": "alex  KIM", "email": "alex.kim2@example.com"}, "hubspot")
    # a Pipedrive users export without an email column
    d.add({"id": "9001", "name": "Noa Mail", "active": "Active"}, "pipedrive")
    return d


def test_email_is_returned_as_is() -> None:
    d = directory()
    assert d.resolve("Someone@Elsewhere.com") == ("someone@elsewhere.com", None)
    assert d.resolve(" pat@example.com ") == ("pat@example.com", None)
    assert d.resolve("Pat Lee <pat@example.com>") == ("pat@example.com", None)


def test_full_names_resolve_in_any_case_and_spacing() -> None:
    d = directory()
    assert d.resolve("Pat Lee") == ("pat@example.com", None)
    assert d.resolve("  JANE   doe ") == ("jane@example.com", None)  # first + last


def test_salesforce_15_and_18_character_ids_are_the_same_user() -> None:
    d = directory()
    assert d.resolve(JANE_15) == ("jane@example.com", None)
    assert d.resolve(JANE_18) == ("jane@example.com", None)
    assert d.resolve(JANE_18.lower()) == ("jane@example.com", None)  # the 18-character form is case-blind
    assert d.resolve(JANE_15.lower()) == (None, "unknown")  # the 15-character form is not
    assert d.resolve(JANE_15, source="salesforce") == ("jane@example.com", None)


def test_fed_by_15_found_by_18() -> None:
    d = OwnerDirectory()
    d.add({"id": JANE_15, "name": "Jane Doe", "email": "jane@example.com"}, "salesforce")
    assert d.resolve(JANE_18) == ("jane@example.com", None)


def test_numeric_ids_and_their_sources() -> None:
    d = directory()
    assert d.resolve("51234") == ("alex.kim@example.com", None)
    assert d.resolve("51234", source="hubspot") == ("alex.kim@example.com", None)
    assert d.resolve("51234", source="pipedrive") == (None, "unknown")  # a HubSpot id means nothing there
    assert d.resolve("424242") == (None, "unknown")


def test_inactive_users() -> None:
    d = directory()
    assert d.resolve("Old Timer") == (None, "inactive")
    assert d.resolve("Sam Gone") == (None, "inactive")
    assert d.resolve("0055e000004GoNe") == (None, "inactive")
    # an export may mark the owner deactivated in the cell itself
    assert d.resolve("Pat Lee (Deactivated User)") == (None, "inactive")
    assert d.resolve("Nobody Known (Deactivated)") == (None, "inactive")


def test_non_persons() -> None:
    d = directory()
    assert d.resolve("Integration User") == (None, "not_a_person")
    assert d.resolve("0055e000002XyZw") == (None, "not_a_person")
    assert d.resolve("Automated Process") == (None, "not_a_person")  # by its UserType and its name
    assert d.resolve("autoproc@00d5e000000abc.com") == (
        "autoproc@00d5e000000abc.com",
        None,
    )  # unknown address


def test_non_person_by_user_type_alone() -> None:
    d = OwnerDirectory()
    d.add(
        {"id": "0055e0000099999", "name": "Site Guest", "email": "guest@x.com", "user_type": "Guest"},
        "salesforce",
    )
    d.add({"name": "Chatter Expert", "email": "chatty@x.com"}, "salesforce")
    d.add({"name": "Platform Integration User", "email": "pint@x.com"}, "salesforce")
    assert d.resolve("Site Guest") == (None, "not_a_person")
    assert d.resolve("chatter expert") == (None, "not_a_person")
    assert d.resolve("Platform Integration User") == (None, "not_a_person")
    assert d.resolve("guest@x.com") == (None, "not_a_person")


def test_a_shared_name_is_never_guessed() -> None:
    d = directory()
    assert d.resolve("Alex Kim") == (None, "unknown")
    assert d.ambiguous_names == ["Alex Kim"]
    assert "2 users" in d.lookup("Alex Kim").detail
    assert d.resolve("51235") == ("alex.kim2@example.com", None)  # the id still tells them apart


def test_unknown_and_empty() -> None:
    d = directory()
    assert d.resolve("Who Ever") == (None, "unknown")
    assert d.resolve("Noa Mail") == (None, "unknown")  # in the directory, without an email
    assert "no email" in d.lookup("Noa Mail").detail
    assert d.resolve("") == (None, None)
    assert d.resolve("   ") == (None, None)
    assert OwnerDirectory().resolve("Pat Lee") == (None, "unknown")


def test_the_same_person_from_two_files_is_one_user() -> None:
    d = OwnerDirectory()
    d.add({"name": "Jane Doe", "email": "jane@example.com"}, "accountbot")
    d.add({"id": JANE_18, "name": "Jane Doe", "email": "JANE@example.com", "active": "true"}, "salesforce")
    assert len(d) == 1
    assert d.resolve("Jane Doe") == ("jane@example.com", None)  # not ambiguous: one person
    assert d.resolve(JANE_15) == ("jane@example.com", None)
    # the later record wins where they disagree
    d.add({"id": JANE_15, "email": "jane@example.com", "active": "false"}, "salesforce")
    assert d.resolve("Jane Doe") == (None, "inactive")


def test_records_naming_nobody_are_ignored() -> None:
    d = OwnerDirectory()
    assert d.add({"name": " ", "email": "", "id": ""}, "hubspot") is None
    assert len(d) == 0
    # an email that does not parse is dropped, the rest kept
    user = d.add({"name": "Bad Mail", "email": "n/a"}, "hubspot")
    assert user is not None and user.email is None
    assert d.resolve("Bad Mail") == (None, "unknown")


def test_accountbot_ids_count_for_any_source() -> None:
    d = OwnerDirectory()
    d.add({"name": "Pat Lee", "email": "pat@example.com", "id": "77"}, "accountbot")
    assert d.resolve("77", source="hubspot") == ("pat@example.com", None)


def test_a_renamed_user_is_found_by_the_new_name_only() -> None:
    d = OwnerDirectory()
    d.add({"id": "1", "name": "Jane Smith", "email": "jane@example.com"}, "hubspot")
    d.add({"id": "1", "name": "Jane Doe", "email": "jane@example.com"}, "hubspot")
    assert d.resolve("Jane Doe") == ("jane@example.com", None)
    assert d.resolve("Jane Smith") == (None, "unknown")


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(st.lists(st.text(alphabet=ALNUM, min_size=12, max_size=12), min_size=1, max_size=10, unique=True))
def test_every_salesforce_user_is_found_by_either_id_form(tails: list[str]) -> None:
    d = OwnerDirectory()
    ids = ["005" + tail for tail in tails]
    for n, id15 in enumerate(ids):
        d.add({"id": salesforce_id(id15) if n % 2 else id15, "email": f"u{n}@example.com"}, "salesforce")
    for n, id15 in enumerate(ids):
        assert d.resolve(id15) == (f"u{n}@example.com", None)
        assert d.resolve(salesforce_id(id15)) == (f"u{n}@example.com", None)
