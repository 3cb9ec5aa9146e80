"""The sync reads the records and fields the file import reads: crm.fields against the import profiles."""

from __future__ import annotations

import pytest

from crm.fields import HUBSPOT_KINDS, SALESFORCE_KINDS
from storage.importing.profiles import header_label, profiles
from storage.importing.sync import ASSOCIATION_COLUMNS

PROFILES = {p.name: p for p in profiles()}
# The associated ids the sync writes next to the properties (storage.importing.sync), as the UI exports them
ASSOCIATION_LABELS = {header_label(label) for label in ASSOCIATION_COLUMNS.values()}
ASSOCIATED_FIELDS = {"companies": "account_ids", "contacts": "contact_ids"}


@pytest.mark.parametrize("kind", [k for k in HUBSPOT_KINDS.values() if k.profile], ids=lambda k: k.name)
def test_hubspot_properties_are_the_api_profile_columns(kind: object) -> None:
    from crm.fields import HubSpotKind

    assert isinstance(kind, HubSpotKind) and kind.profile
    profile = PROFILES[kind.profile]
    assert profile.source == "hubspot"
    assert {header_label(p) for p in kind.properties} == set(profile.fields) - ASSOCIATION_LABELS
    # each association the client reads has the profile's column, mapped to the ids field of its kind
    assert {t: profile.fields.get(header_label(ASSOCIATION_COLUMNS[t])) for t in kind.associations} == {
        t: ASSOCIATED_FIELDS[t] for t in kind.associations
    }


@pytest.mark.parametrize("kind", SALESFORCE_KINDS.values(), ids=lambda k: k.name)
def test_salesforce_fields_are_the_data_loader_profile_columns(kind: object) -> None:
    from crm.fields import SalesforceKind

    assert isinstance(kind, SalesforceKind) and kind.profile
    profile = PROFILES[kind.profile]
    assert profile.source == "salesforce"
    assert {header_label(f) for f in kind.fields} == set(profile.fields)


def test_every_kind_of_the_issue_is_read() -> None:
    assert set(HUBSPOT_KINDS) == {"companies", "contacts", "calls", "meetings", "emails", "deals"}
    assert set(SALESFORCE_KINDS) == {"Account", "Contact", "Task", "Event", "Opportunity", "User"}
    # HubSpot emails have no import profile yet (the sync leaves them out); the owners API has its own
    assert HUBSPOT_KINDS["emails"].profile is None and "hubspot-api-emails" not in PROFILES
    owners = PROFILES["hubspot-api-owners"]
    assert owners.kind == "users" and set(owners.fields) == {"id", "email", "firstname", "lastname", "active"}
