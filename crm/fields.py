"""Which records and fields the sync reads: the same as the file import's API-name profiles.

HubSpot properties are those of the `hubspot-api-*` profiles of storage/importing/profiles.toml (the
Exports API's internal names), Salesforce fields those of the `salesforce-dataloader-*` profiles (API
names), so a synced record's `fields` is a row those profiles map as they map a file's row.
tests/crm/test_fields.py holds the two lists equal (crm/ may not import storage/, so they are written out
here rather than read from the profiles).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HubSpotKind:
    name: str  # the object type in the API path: "companies", "contacts", "calls", ...
    modified: str  # the property that holds the modification time (contacts have their own)
    properties: tuple[str, ...]  # read on every record
    associations: tuple[str, ...] = ()  # object types whose associated ids each record carries
    profile: str | None = None  # the import profile whose columns these are (None: no profile yet)


HUBSPOT_KINDS: dict[str, HubSpotKind] = {
    kind.name: kind
    for kind in (
        HubSpotKind(
            "companies",
            "hs_lastmodifieddate",
            ("hs_object_id", "name", "hubspot_owner_id", "type", "lifecyclestage", "domain", "website",
             "industry", "annualrevenue"),
            profile="hubspot-api-companies",
        ),
        HubSpotKind(
            "contacts",
            "lastmodifieddate",
            ("hs_object_id", "firstname", "lastname", "email", "jobtitle", "hs_buying_role", "hubspot_owner_id",
             "associatedcompanyid", "company"),
            associations=("companies",),
            profile="hubspot-api-contacts",
        ),
        HubSpotKind(
            "calls",
            "hs_lastmodifieddate",
            ("hs_object_id", "hs_call_title", "hs_timestamp", "hs_call_body", "hs_call_disposition",
             "hs_call_status", "hubspot_owner_id"),
            associations=("companies", "contacts"),
            profile="hubspot-api-calls",
        ),
        HubSpotKind(
            "meetings",
            "hs_lastmodifieddate",
            ("hs_object_id", "hs_meeting_title", "hs_meeting_start_time", "hs_meeting_outcome",
             "hs_meeting_location", "hs_meeting_body", "hubspot_owner_id"),
            associations=("companies", "contacts"),
            profile="hubspot-api-meetings",
        ),
        HubSpotKind(
            "emails",  # no file profile reads HubSpot emails yet: the sync engine adds `hubspot-api-emails`
            "hs_lastmodifieddate",
            ("hs_object_id", "hs_email_subject", "hs_timestamp", "hs_email_text", "hs_email_status",
             "hs_email_direction", "hubspot_owner_id"),
            associations=("companies", "contacts"),
        ),
        HubSpotKind(
            "deals",
            "hs_lastmodifieddate",
            ("hs_object_id", "dealname", "dealstage", "closedate", "amount", "deal_currency_code",
             "hubspot_owner_id"),
            associations=("companies",),
            profile="hubspot-api-deals",
        ),
    )
}  # fmt: skip
HUBSPOT_OWNERS = "owners"  # the owners API (not a CRM object): id, email, firstName, lastName, userId
HUBSPOT_ORDER = ("owners", "companies", "contacts", "calls", "meetings", "emails", "deals")  # import order


@dataclass(frozen=True)
class SalesforceKind:
    name: str  # the sObject: "Account", "Contact", "Task", ...
    fields: tuple[str, ...]  # read on every record (Id first)
    deletable: bool = True  # has IsDeleted (User records are deactivated, never deleted)
    profile: str | None = None


SALESFORCE_KINDS: dict[str, SalesforceKind] = {
    kind.name: kind
    for kind in (
        SalesforceKind(
            "User",
            ("Id", "Name", "FirstName", "LastName", "Email", "IsActive", "UserType", "ManagerId"),
            deletable=False,
            profile="salesforce-dataloader-user",
        ),
        SalesforceKind(
            "Account",
            ("Id", "Name", "OwnerId", "Type", "Industry", "Website", "AnnualRevenue", "CurrencyIsoCode"),
            profile="salesforce-dataloader-account",
        ),
        SalesforceKind(
            "Contact",
            ("Id", "Name", "FirstName", "LastName", "Email", "Title", "AccountId", "OwnerId"),
            profile="salesforce-dataloader-contact",
        ),
        SalesforceKind(
            "Task",
            ("Id", "Subject", "TaskSubtype", "Type", "ActivityDate", "Status", "CallDisposition", "AccountId",
             "WhoId", "OwnerId", "Description"),
            profile="salesforce-dataloader-task",
        ),
        SalesforceKind(
            "Event",
            ("Id", "Subject", "Type", "StartDateTime", "ActivityDateTime", "Location", "AccountId", "WhoId",
             "OwnerId", "Description"),
            profile="salesforce-dataloader-event",
        ),
        SalesforceKind(
            "Opportunity",
            ("Id", "Name", "StageName", "IsWon", "IsClosed", "CloseDate", "Amount", "CurrencyIsoCode",
             "AccountId", "OwnerId"),
            profile="salesforce-dataloader-opportunity",
        ),
    )
}  # fmt: skip
SALESFORCE_ORDER = ("User", "Account", "Contact", "Task", "Event", "Opportunity")  # import order
