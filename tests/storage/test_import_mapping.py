"""storage.importing.mapping: the shipped value tables, the user's mapping file merged over them, and the
messages for a mapping file with a mistake (file, line, key, suggestion)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.importing.mapping import (
    ALL_FIELDS,
    DEFAULTS,
    RATING_INPUTS,
    SOURCES,
    TOKENS,
    MappingError,
    key_lines,
    load_mapping,
    normalise,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    message = str(caught.value)
    assert message.startswith(str(path)), message
    return message


# ------------------------------------------------------------------------------------------- defaults


def test_rating_inputs() -> None:
    assert RATING_INPUTS == (
        "wallet_share", "profit_margin", "profitability", "strategic_value", "pain_factor", "prospect_fit",
        "aliases", "news_feed", "engagement", "potential",
    )  # fmt: skip
    assert set(RATING_INPUTS) <= set(ALL_FIELDS)


def test_defaults_load_and_every_token_is_valid() -> None:
    mapping = load_mapping(None)
    assert mapping.files == (str(DEFAULTS),)
    assert set(mapping.values) == {"hubspot", "salesforce", "pipedrive"}
    for tables in mapping.values.values():
        for name, table in tables.items():
            assert table, name
            for key, token in table.items():
                assert key == normalise(key)
                assert token in TOKENS[name]
    assert mapping.tz == {} and mapping.dates == {}  # those come from --tz / --dates or the user's file


@pytest.mark.parametrize(
    ("source", "field", "raw", "token"),
    [
        ("hubspot", "type", "Prospect", "prospect"),
        ("hubspot", "type", "Partner", "skip"),
        ("hubspot", "type", "Vendor", "skip"),
        ("hubspot", "type", "RESELLER", "skip"),
        ("hubspot", "lifecycle_stage", "Customer", "client"),
        ("hubspot", "lifecycle_stage", "Marketing Qualified Lead", "prospect"),
        ("hubspot", "lifecycle_stage", "salesqualifiedlead", "prospect"),
        ("hubspot", "lifecycle_stage", "evangelist", "client"),
        ("hubspot", "lifecycle_stage", "Other", "skip"),
        ("hubspot", "role", "Decision Maker", "decision_maker"),
        ("hubspot", "role", "BUDGET_HOLDER", "decision_maker"),
        ("hubspot", "role", "Champion", "influencer"),
        ("hubspot", "role", "Legal & Compliance", "influencer"),
        ("hubspot", "role", "END_USER", "user"),
        ("hubspot", "outcome", "Connected", "done"),
        ("hubspot", "outcome", "Left voicemail", "not_connected"),
        ("hubspot", "outcome", "f240bbac-87c9-4f6e-bf70-924b57d47db7", "done"),
        ("hubspot", "outcome", "73A0D17F-1163-4015-BDD5-EC830791DA20", "not_connected"),
        ("hubspot", "outcome", "No Show", "cancelled"),
        ("hubspot", "outcome", "RESCHEDULED", "cancelled"),
        ("hubspot", "outcome", "Scheduled", "not_done"),
        ("hubspot", "call_status", "NO_ANSWER", "not_connected"),
        ("hubspot", "call_status", "COMPLETED", "done"),
        ("hubspot", "call_status", "HOLD", "not_done"),
        ("hubspot", "status", "NOT_STARTED", "not_done"),
        ("hubspot", "deal_stage", "Closed Won", "won"),
        ("hubspot", "deal_stage", "closedlost", "lost"),
        ("hubspot", "deal_stage", "Decision Maker Bought-In", "open"),
        ("salesforce", "type", "Customer - Direct", "client"),
        ("salesforce", "type", "Customer - Channel", "client"),
        ("salesforce", "type", "Channel Partner / Reseller", "skip"),
        ("salesforce", "type", "Technology Partner", "skip"),
        ("salesforce", "activity_type", "ListEmail", "email"),
        ("salesforce", "activity_type", "Event", "meeting"),
        ("salesforce", "status", "Waiting on someone else", "not_done"),
        ("salesforce", "status", "Completed", "done"),
        ("salesforce", "deal_stage", "Proposal/Price Quote", "open"),
        ("salesforce", "deal_stage", "Closed Won", "won"),
        ("salesforce", "is_won", "true", "won"),
        ("salesforce", "is_won", "0", "open"),
        ("salesforce", "is_closed", "TRUE", "closed"),
        ("pipedrive", "label", "Hot lead", "prospect"),
        ("pipedrive", "label", "Customer", "client"),
        ("pipedrive", "activity_type", "Deadline", "task"),
        ("pipedrive", "activity_type", "Lunch", "meeting"),
        ("pipedrive", "done", "To do", "not_done"),
        ("pipedrive", "done", "Done", "done"),
        ("pipedrive", "deal_status", "won", "won"),
        ("pipedrive", "deal_status", "deleted", "lost"),
    ],
)
def test_shipped_values(source: str, field: str, raw: str, token: str) -> None:
    assert load_mapping(None).value(source, field, raw) == token


def test_unmapped_values_are_none_never_guessed() -> None:
    mapping = load_mapping(None)
    assert mapping.value("hubspot", "type", "Customerish") is None
    assert mapping.value("hubspot", "deal_stage", "1234567") is None  # a custom pipeline's stage id
    assert mapping.value("hubspot", "activity_type", "Note") is None  # notes are no touch
    assert mapping.value("pipedrive", "type", "Customer") is None  # no such table
    assert mapping.value("zoho", "type", "Customer") is None


def test_values_are_matched_in_any_case_and_spacing() -> None:
    mapping = load_mapping(None)
    assert mapping.value("hubspot", "lifecycle_stage", "  marketing   QUALIFIED\tlead ") == "prospect"


# ------------------------------------------------------------------------------------------- merging


def test_user_file_merges_over_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
# our portal
[source.hubspot]
tz = "Europe/Berlin"
dates = "dmy"

[source.salesforce]
tz = "America/New_York"

[fields.hubspot]
"Share of Wallet" = "wallet_share"
"Strategic Account Tier" = "strategic_value"
"Company Domain" = "domain"

[values.hubspot.type]
"Partner" = "client"        # our partners buy from us
"Key Customer" = "client"

[values.pipedrive.label]
"Partner" = "skip"
""",
    )
    mapping = load_mapping(path)
    assert mapping.files == (str(DEFAULTS), str(path))
    assert mapping.tz == {"hubspot": "Europe/Berlin", "salesforce": "America/New_York"}
    assert str(mapping.zone("hubspot")) == "Europe/Berlin" and mapping.zone("pipedrive") is None
    assert mapping.dates == {"hubspot": "dmy"} and mapping.date_order("salesforce") is None
    assert mapping.fields["hubspot"]["Share of Wallet"] == "wallet_share"
    assert mapping.rating_fields("hubspot") == {
        "Share of Wallet": "wallet_share",
        "Strategic Account Tier": "strategic_value",
    }
    assert mapping.value("hubspot", "type", "partner") == "client"  # overridden
    assert mapping.value("hubspot", "type", "key customer") == "client"  # added
    assert mapping.value("hubspot", "type", "Vendor") == "skip"  # kept from the defaults
    assert mapping.value("hubspot", "lifecycle_stage", "Customer") == "client"  # other tables untouched
    assert mapping.value("pipedrive", "label", "partner") == "skip"
    assert mapping.value("pipedrive", "label", "Hot lead") == "prospect"
    # the defaults themselves are not changed by loading a user's file
    assert load_mapping(None).value("hubspot", "type", "partner") == "skip"


def test_an_empty_file_is_the_defaults(tmp_path: Path) -> None:
    assert load_mapping(write(tmp_path, "# nothing yet\n")).values == load_mapping(None).values


def test_the_accountbot_source_is_accepted(tmp_path: Path) -> None:
    mapping = load_mapping(write(tmp_path, '[source.accountbot]\ntz = "UTC"\n'))
    assert mapping.tz["accountbot"] == "UTC"


# ------------------------------------------------------------------------------------------- mistakes


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[values.hubspot.type]\n"customer" = "client"\n"partner" = skip\n')
    assert "line 3" in message and "TOML" in message


def test_unterminated_table_names_the_line(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[source.hubspot]\ntz = "UTC"\n[values.hubspot\n')
    assert "line 3" in message


def test_unknown_top_level_table(tmp_path: Path) -> None:
    message = refusal(tmp_path, '\n[value.hubspot.type]\n"customer" = "client"\n')
    assert "line 2" in message and "value" in message and 'did you mean "values"' in message


def test_unknown_source(tmp_path: Path) -> None:
    message = refusal(
        tmp_path, '[source.hubspot]\ntz = "UTC"\n\n[values.hubsopt.type]\n"customer" = "client"\n'
    )
    assert "line 4" in message and "values.hubsopt" in message and 'did you mean "hubspot"' in message


def test_unknown_field_of_a_value_table(tmp_path: Path) -> None:
    message = refusal(tmp_path, '# comment\n[values.hubspot.typ]\n"customer" = "client"\n')
    assert "line 2" in message and "values.hubspot.typ" in message and 'did you mean "type"' in message


def test_unknown_token_names_the_key_line(tmp_path: Path) -> None:
    message = refusal(
        tmp_path,
        '[values.hubspot.type]\n"customer" = "client"\n"partner" = "clinet"\n',
    )
    assert "line 3" in message
    assert "values.hubspot.type.partner" in message
    assert 'did you mean "client"' in message
    assert "client, prospect, skip" in message


def test_unknown_token_with_a_quoted_key_with_spaces(tmp_path: Path) -> None:
    message = refusal(
        tmp_path,
        '[values.salesforce.type]\n\n"Customer - Direct" = "client"\n"Channel Partner / Reseller" = "partner"\n',
    )
    assert "line 4" in message and 'values.salesforce.type."Channel Partner / Reseller"' in message


def test_unknown_canonical_field_in_fields(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[fields.hubspot]\n"Share of Wallet" = "walet_share"\n')
    assert "line 2" in message and 'fields.hubspot."Share of Wallet"' in message
    assert 'did you mean "wallet_share"' in message


def test_unknown_source_setting(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[source.hubspot]\ntz = "UTC"\ndate = "dmy"\n')
    assert "line 3" in message and "source.hubspot.date" in message and 'did you mean "dates"' in message


def test_bad_tz(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[source.hubspot]\ntz = "Europe/Berln"\n')
    assert (
        "line 2" in message and "source.hubspot.tz" in message and 'did you mean "Europe/Berlin"' in message
    )
    message = refusal(tmp_path, '[source.hubspot]\ntz = "Europe"\n')
    assert "line 2" in message
    message = refusal(tmp_path, "[source.hubspot]\ntz = 1\n")
    assert "line 2" in message and "in quotes" in message


def test_bad_dates(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[source.pipedrive]\ndates = "dym"\n')
    assert "line 2" in message and "source.pipedrive.dates" in message and "ymd, mdy, dmy" in message


def test_dotted_keys_and_inline_tables_are_found(tmp_path: Path) -> None:
    message = refusal(
        tmp_path, 'values.hubspot.type.customer = "client"\nvalues.hubspot.type.partner = "x"\n'
    )
    assert "line 2" in message
    message = refusal(
        tmp_path, '[values.hubspot]\ntype = { customer = "client" }\nrole = { champion = "fan" }\n'
    )
    assert "line 3" in message


def test_the_same_value_twice_with_different_tokens(tmp_path: Path) -> None:
    message = refusal(tmp_path, '[values.hubspot.type]\n"Partner" = "client"\n"partner " = "skip"\n')
    assert "line 3" in message and "same value" in message


def test_wrong_shapes(tmp_path: Path) -> None:
    assert "line 1" in refusal(tmp_path, 'source = "hubspot"\n')
    assert "line 2" in refusal(tmp_path, '[values.hubspot]\ntype = "client"\n')
    assert "line 2" in refusal(tmp_path, "[values.hubspot.type]\ncustomer = 1\n")


def test_missing_and_undecodable_files(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match="no such mapping file"):
        load_mapping(tmp_path / "nope.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes(b'[values.hubspot.type]\n"caf\xe9" = "client"\n')
    with pytest.raises(MappingError, match=r"line 2: not UTF-8"):
        load_mapping(bad)


# ------------------------------------------------------------------------------------------- key_lines


def test_key_lines() -> None:
    text = '# c\n[a]\nb = 1\n"c d" = 2\n\n[e."f.g"]\nh.i = 3\n'
    lines = key_lines(text)
    assert lines[("a",)] == 2
    assert lines[("a", "b")] == 3
    assert lines[("a", "c d")] == 4
    assert lines[("e", "f.g")] == 6
    assert lines[("e", "f.g", "h", "i")] == 7


keys = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)


@given(values=st.dictionaries(keys, st.sampled_from(TOKENS["type"]), min_size=1, max_size=8))
def test_key_lines_finds_every_key_of_a_written_table(values: dict[str, str]) -> None:
    """Whatever the keys (quotes, dots, '=' and '#' in them), each is found on the line it was written on."""
    import json

    body = "".join(f"{json.dumps(k, ensure_ascii=False)} = {json.dumps(v)}\n" for k, v in values.items())
    text = "[values.hubspot.type]\n" + body
    assert tomllib.loads(text)["values"]["hubspot"]["type"] == values
    lines = key_lines(text)
    for number, key in enumerate(values, start=2):
        assert lines[("values", "hubspot", "type", key)] == number


def test_every_source_can_carry_every_table(tmp_path: Path) -> None:
    body = "".join(
        f'[values.{source}.{name}]\n"x" = "{tokens[0]}"\n'
        for source in SOURCES
        for name, tokens in TOKENS.items()
    )
    mapping = load_mapping(write(tmp_path, body))
    for source in SOURCES:
        for name, tokens in TOKENS.items():
            assert mapping.value(source, name, "X") == tokens[0]
