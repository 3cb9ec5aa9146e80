"""CSV parsing and validation (storage.importing.csv_formats): exact messages with file line numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from storage.importing.csv_formats import FIELD_LIMIT, BadFile, header_key, parse_rows, read_file
from storage.importing.rows import AccountRow, ContactRow, ImportRejected, InteractionRow, RevenueRow


def rejected(kind: str, text: str | bytes) -> list[str]:
    data = text.encode("utf-8") if isinstance(text, str) else text
    with pytest.raises(ImportRejected) as info:
        parse_rows(kind, data)
    return [str(e) for e in info.value.errors]


def bad_file(kind: str, data: bytes | str) -> str:
    with pytest.raises(BadFile) as info:
        parse_rows(kind, data.encode("utf-8") if isinstance(data, str) else data)
    return str(info.value)


# ------------------------------------------------------------------------------------------ header


def test_header_keys_ignore_case_spaces_and_underscores() -> None:
    assert header_key(" Annual Revenue ") == "annual_revenue"
    assert header_key("ANNUAL_REVENUE") == "annual_revenue"
    assert header_key("annual  _ revenue") == "annual_revenue"
    rows = parse_rows("accounts", b'NAME,Annual Revenue,wallet_SHARE,Prospect Fit\nAcme,"$1,200,000",45%,\n')
    assert rows == [
        AccountRow(2, "Acme", {"annual_revenue": 1_200_000.0, "wallet_share": 45.0, "prospect_fit": None})
    ]


def test_unknown_column_lists_the_allowed_ones() -> None:
    message = bad_file("revenue", "account,month,amount,Anual Revenu,colour\n")
    assert message == (
        "line 1: unknown column(s): 'Anual Revenu', 'colour'. A revenue file accepts these columns: "
        "account, month, amount (any case; spaces and underscores are the same)."
    )
    assert "'anual revenue' (did you mean annual_revenue?)" in bad_file("accounts", "name,anual revenue\n")


def test_missing_required_and_duplicated_columns() -> None:
    assert bad_file("contacts", "name,title\n").startswith("line 1: missing required column(s): account. ")
    assert bad_file("revenue", "account,month,amount,Month\n").startswith(
        "line 1: column month appears twice (header cells 2 and 4). "
    )
    assert bad_file("accounts", "name,,industry\n").startswith(
        "line 1: unknown column(s): an empty header cell. "
    )


def test_empty_files_are_refused_with_the_expected_header() -> None:
    expected = "the file is empty; a revenue file starts with a header line such as: account,month,amount"
    assert bad_file("revenue", b"") == expected
    assert bad_file("revenue", b"\xef\xbb\xbf\r\n  \n") == expected


def test_header_only_gives_no_rows() -> None:
    assert parse_rows("revenue", b"account,month,amount\n") == []


@pytest.mark.parametrize("sep,label", [(";", "semicolons"), ("\t", "tabs")])
def test_wrong_delimiter(sep: str, label: str) -> None:
    assert bad_file("accounts", f"name{sep}owner{sep}stage\nAcme{sep}U1{sep}client\n") == (
        f"line 1: the header seems to be separated by {label}; accountbot reads comma-separated files. "
        "Save the file as CSV with commas (in Excel: 'CSV UTF-8 (Comma delimited)')."
    )


def test_non_utf8_bytes_name_the_line() -> None:
    data = b"name,industry\nAcme,Retail\n" + "Café Bleu,Food\n".encode("latin-1")
    assert bad_file("accounts", data) == (
        "line 3: byte 0xe9 is not UTF-8 text. Save the file as UTF-8 (in Excel: 'CSV UTF-8 (Comma delimited)') "
        "and import it again."
    )


def test_bom_crlf_blank_lines_and_multiline_fields_keep_file_line_numbers() -> None:
    text = (
        "\ufeffaccount,date,kind,note\r\n"
        "\r\n"
        'Acme,2026-03-01,call,"two\r\nlines"\r\n'
        ",,,\r\n"
        "Acme,2026-03-02T14:30:00+02:00,Meeting,\r\n"
        "Acme,yesterday,call,x\r\n"
    )
    with pytest.raises(ImportRejected) as info:
        parse_rows("interactions", text.encode("utf-8"))
    assert [str(e) for e in info.value.errors] == [
        "line 7, column date: 'yesterday' - expected an ISO date or date-time such as 2026-03-31 or 2026-03-31T14:30"
    ]
    rows = parse_rows("interactions", text.rsplit("Acme,yesterday", 1)[0].encode("utf-8"))
    assert rows == [
        InteractionRow(3, "Acme", datetime(2026, 3, 1, tzinfo=UTC), "call", None, None, "two\r\nlines"),
        InteractionRow(6, "Acme", datetime(2026, 3, 2, 12, 30, tzinfo=UTC), "meeting", None, None, None),
    ]


def test_huge_field_is_refused_clearly() -> None:
    huge = "x" * (FIELD_LIMIT + 10)
    message = (
        f'a value is longer than {FIELD_LIMIT:,} characters. Usually a quote (") opened on this line is not '
        "closed and swallows the rest of the file."
    )
    assert bad_file("accounts", f'name,industry\nAcme,"{huge}"\n') == f"line 2: {message}"
    runaway = 'name,industry\nAcme,Retail\nBeta,"Food\n' + "Gamma,Toys\n" * 20_000
    assert bad_file("accounts", runaway) == f"line 3: {message}"


def test_nul_byte_is_refused() -> None:
    assert bad_file("accounts", "name,industry\nAcme,Ret\0ail\n") == (
        "line 2: the file contains a NUL character, so it is not a text CSV (perhaps UTF-16 or a spreadsheet "
        "file). Save it as 'CSV UTF-8 (Comma delimited)'."
    )


def test_long_value_within_csv_limits_is_a_cell_error() -> None:
    long = "y" * 5000
    assert rejected("accounts", f"name,industry\n{long},Retail\n") == [
        f"line 2, column name: '{'y' * 60}'... (5,000 characters) - expected text of at most 200 characters"
    ]


def test_wrong_number_of_values() -> None:
    assert rejected("revenue", "account,month,amount\nAcme,2026-01,1,000\n") == [
        "line 2, column (whole row): '4 value(s)' - expected 3 values, one per header column "
        "(account,month,amount); quote values that contain commas"
    ]


# ------------------------------------------------------------------------------------------ values


def test_account_values_in_every_accepted_form() -> None:
    text = (
        "name,owner,stage,annual_revenue,wallet_share,profit_margin,profitability,strategic_value,pain_factor,"
        "engagement,potential,industry,aliases,domain,news_feed,prospect_fit\n"
        'Acme Corp,U012AB3CD,Client,"$1,200,000",45%,-3.5%,H,m,LOW,h,l,Retail, ACME ; acme;Big A ;,'
        "Acme.COM,https://acme.com/feed.xml,\n"
        "Beta,ana@Beta.io,prospect,,,,,,,,,,,,,Ideal\n"
    )
    acme, beta = parse_rows("accounts", text.encode())
    assert acme == AccountRow(
        2,
        "Acme Corp",
        {
            "owner": "U012AB3CD",
            "stage": "client",
            "annual_revenue": 1_200_000.0,
            "wallet_share": 45.0,
            "profit_margin": -3.5,
            "profitability": "high",
            "strategic_value": "medium",
            "pain_factor": "low",
            "engagement": "high",
            "potential": "low",
            "industry": "Retail",
            "aliases": ["ACME", "Big A"],
            "domain": "acme.com",
            "news_feed": "https://acme.com/feed.xml",
            "prospect_fit": None,
        },
    )
    assert beta.fields["owner"] == "ana@beta.io" and beta.fields["stage"] == "prospect"
    assert beta.fields["prospect_fit"] == "ideal" and beta.fields["annual_revenue"] is None


def test_every_account_column_error_names_line_column_value_and_expectation() -> None:
    text = (
        "name,owner,stage,annual_revenue,wallet_share,profit_margin,profitability,strategic_value,pain_factor,"
        "engagement,potential,industry,aliases,domain,news_feed,prospect_fit\n"
        "Good,,,,,,,,,,,,,,,\n"
        "Bad,bob,lead,12abc,120%,150,very,x,?,medium,big,,,https://acme.com,ftp://x,maybe\n"
    )
    assert rejected("accounts", text) == [
        "line 3, column owner: 'bob' - expected a Slack user id such as U012AB3CD or an email address",
        "line 3, column stage: 'lead' - expected client or prospect (empty means client)",
        "line 3, column annual_revenue: '12abc' - expected an amount such as 1200000 or $1,200,000",
        "line 3, column wallet_share: '120%' - expected a percentage from 0 to 100 such as 45 or 45%",
        "line 3, column profit_margin: '150' - expected a percentage up to 100, may be negative, such as 12.5% or -4",
        "line 3, column profitability: 'very' - expected high, medium or low (or H, M, L; any case)",
        "line 3, column strategic_value: 'x' - expected high, medium or low (or H, M, L; any case)",
        "line 3, column pain_factor: '?' - expected high, medium or low (or H, M, L; any case)",
        "line 3, column engagement: 'medium' - expected high or low (or H, L)",
        "line 3, column potential: 'big' - expected high or low (or H, L)",
        "line 3, column domain: 'https://acme.com' - expected a domain name such as acme.com (no https:// or path)",
        "line 3, column news_feed: 'ftp://x' - expected an http(s) URL of an RSS or Atom feed",
        "line 3, column prospect_fit: 'maybe' - expected ideal or lead",
    ]


def test_required_values_and_duplicate_names() -> None:
    text = "name,industry\nAcme,Retail\n  ,Food\nACME ,Toys\nBeta,\nacme,\n"
    assert rejected("accounts", text) == [
        "line 3, column name: '' - expected a value (the account's name (at most 200 characters)); this column is required",
        "line 4, column name: 'ACME' - expected each name only once per file (already on line 2)",
        "line 6, column name: 'acme' - expected each name only once per file (already on line 2)",
    ]


def test_contact_and_interaction_and_revenue_errors() -> None:
    assert rejected(
        "contacts", "account,name,email,role,active\nAcme,Ann,ann@,boss,maybe\nAcme,ann,,,\n"
    ) == [
        "line 2, column email: 'ann@' - expected an email address such as ana@acme.com",
        "line 2, column role: 'boss' - expected decision_maker, influencer or user (empty means user)",
        "line 2, column active: 'maybe' - expected yes or no (empty means yes)",
    ]
    assert rejected("contacts", "account,name\nAcme,Ann\nacme,ANN\n") == [
        "line 3, column name: 'ANN' - expected each contact of an account only once per file (already on line 2)"
    ]
    assert rejected("interactions", "account,date,kind,colleague\nAcme,2026-02-30,lunch,someone\n") == [
        "line 2, column date: '2026-02-30' - expected an ISO date or date-time such as 2026-03-31 or 2026-03-31T14:30",
        "line 2, column kind: 'lunch' - expected meeting, call, video, email, visit, review or other",
        "line 2, column colleague: 'someone' - expected a Slack user id such as U012AB3CD or an email address",
    ]
    assert rejected(
        "revenue", "account,month,amount\nAcme,2026-13,5\nAcme,03/2026,-5\nAcme,2026-01,5\nacme,2026-01,6\n"
    ) == [
        "line 2, column month: '2026-13' - expected a month as YYYY-MM such as 2026-03",
        "line 3, column month: '03/2026' - expected a month as YYYY-MM such as 2026-03",
        "line 3, column amount: '-5' - expected an amount such as 98000 or $98,000",
        "line 5, column month: '2026-01' - expected each account and month only once per file (already on line 4)",
    ]


def test_revenue_and_contact_values() -> None:
    assert parse_rows("revenue", b'Account,Month,Amount\nAcme,2026-03,"$98,000.50"\n') == [
        RevenueRow(2, "Acme", date(2026, 3, 1), 98_000.5)
    ]
    (row,) = parse_rows("contacts", b"account,name,role,active\nAcme,Ann Lee,Decision Maker,No\n")
    assert row.fields == {"role": "decision_maker", "active": False}


def test_at_most_twenty_errors_are_kept_with_the_total() -> None:
    lines = "\n".join(f"Acme,2026-01,oops{i}" for i in range(30))
    with pytest.raises(ImportRejected) as info:
        parse_rows("revenue", f"account,month,amount\n{lines}\n".encode())
    assert info.value.total == 30 and len(info.value.errors) == 20
    assert str(info.value.errors[0]).startswith("line 2, column amount: 'oops0'")
    assert str(info.value.errors[-1]).startswith("line 21, column amount: 'oops19'")


def test_export_columns_are_accepted_and_ignored() -> None:
    (row,) = parse_rows("accounts", b"name,tier,grade,score,quadrant\nAcme,key,A,9,growth\n")
    assert row == AccountRow(2, "Acme", {})


def test_read_file_reports_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(BadFile, match="^no such file.$"):
        read_file("accounts", tmp_path / "nope.csv")
    with pytest.raises(BadFile, match="^this is a directory"):
        read_file("accounts", tmp_path)


def test_names_are_limited_after_casefolding_and_formula_quotes_are_undone() -> None:
    assert rejected("accounts", "name\n" + "ß" * 150 + "\n") == [
        f"line 2, column name: '{'ß' * 60}'... (150 characters) - expected text of at most 200 characters"
    ]
    (row,) = parse_rows("accounts", b"name,industry,aliases\n'=SUM(A1),'+Retail,'-minus;'x\n")
    assert row == AccountRow(2, "=SUM(A1)", {"industry": "+Retail", "aliases": ["-minus", "'x"]})


# ------------------------------------------------------------------------------- source columns


def test_source_columns_fill_the_row_identity_and_stay_out_of_the_fields() -> None:
    (acc,) = parse_rows("accounts", b"name,industry,Source,Source ID\nAcme,Food,HubSpot,1234\n")
    assert acc == AccountRow(2, "Acme", {"industry": "Food"}, source="hubspot", source_id="1234")
    (contact,) = parse_rows(
        "contacts", b"account,name,source,source_id,account_source_id\nAcme,Ann,salesforce,003A,001A\n"
    )
    assert contact == ContactRow(
        2, "Acme", "Ann", {}, source="salesforce", source_id="003A", account_source_id="001A"
    )
    (native,) = parse_rows("accounts", b"name,source,source_id\nAcme,accountbot,\n")
    assert native == AccountRow(2, "Acme", {})


def test_interactions_take_several_contacts_and_their_ids() -> None:
    text = (
        "account,date,kind,contact,source,source_id,account_source_id,contact_source_id\n"
        "Acme,2026-03-01T14:30:00+00:00,meeting,Ann Lee; bob@acme.com ;Cy,pipedrive,77,5,11;;13\n"
        "Acme,2026-03-02T09:00:00Z,call,Ann Lee,,,,\n"
    )
    first, second = parse_rows("interactions", text.encode())
    assert first == InteractionRow(
        2,
        "Acme",
        datetime(2026, 3, 1, 14, 30, tzinfo=UTC),
        "meeting",
        "Ann Lee",
        source="pipedrive",
        source_id="77",
        account_source_id="5",
        contacts=("bob@acme.com", "Cy"),
        contact_source_ids=("11", "13"),
    )
    assert second == InteractionRow(2 + 1, "Acme", datetime(2026, 3, 2, 9, tzinfo=UTC), "call", "Ann Lee")


def test_revenue_source_columns_identify_the_account() -> None:
    (row,) = parse_rows("revenue", b"account,month,amount,source,source_id\nAcme,2026-03,10,hubspot,99\n")
    assert row == RevenueRow(2, "Acme", date(2026, 3, 1), 10.0, source="hubspot", account_source_id="99")


def test_an_id_needs_a_source_and_the_source_must_be_known() -> None:
    assert rejected("accounts", "name,source,source_id\nAcme,,12\nBeta,accountbot,13\nGamma,zoho,14\n") == [
        "line 2, column source_id: '12' - expected no id without a source: fill the source column "
        "(hubspot, salesforce or pipedrive) or leave the id empty",
        "line 3, column source_id: '13' - expected no id without a source: fill the source column "
        "(hubspot, salesforce or pipedrive) or leave the id empty",
        "line 4, column source: 'zoho' - expected accountbot, hubspot, salesforce or pipedrive "
        "(empty means accountbot)",
    ]
    assert rejected("interactions", "account,date,kind,contact_source_id\nAcme,2026-03-01,call,1;2\n") == [
        "line 2, column contact_source_id: '1;2' - expected no id without a source: fill the source column "
        "(hubspot, salesforce or pipedrive) or leave the id empty"
    ]


def test_duplicates_are_told_by_source_id_when_there_is_one() -> None:
    rows = parse_rows(
        "accounts", b"name,source,source_id\nAcme,hubspot,1\nAcme,hubspot,2\nACME,salesforce,1\n"
    )
    assert [(r.name, r.source, r.source_id) for r in rows] == [
        ("Acme", "hubspot", "1"),
        ("Acme", "hubspot", "2"),
        ("ACME", "salesforce", "1"),
    ]
    assert rejected("accounts", "name,source,source_id\nAcme,hubspot,1\nOther,hubspot,1\n") == [
        "line 3, column source_id: '1' - expected each source id only once per file (already on line 2)"
    ]
    # a contact of two companies may be two rows with one id; twice for one account is a duplicate
    contacts = "account,name,source,source_id,account_source_id\n"
    contacts += "Acme,Ann,hubspot,7,1\nAcme,Ann,hubspot,7,2\nAcme,Ann,hubspot,7,1\n"
    assert rejected("contacts", contacts) == [
        "line 4, column source_id: '7' - expected each source id and account only once per file "
        "(already on line 2)"
    ]
    # same-named accounts told apart by id: their revenue months do not collide
    revenue = "account,month,amount,source,source_id\nAcme,2026-01,1,hubspot,1\nAcme,2026-01,2,hubspot,2\n"
    assert len(parse_rows("revenue", revenue.encode())) == 2
    assert rejected("revenue", revenue + "Acme,2026-01,3,hubspot,1\n") == [
        "line 4, column month: '2026-01' - expected each account and month only once per file (already on line 2)"
    ]


def test_exported_moments_read_back_as_the_same_instant() -> None:
    moment = datetime(2026, 3, 1, 14, 30, 5, 123456, tzinfo=UTC)
    for cell in (moment.isoformat(), moment.isoformat().replace("+00:00", "Z")):
        (row,) = parse_rows("interactions", f"account,date,kind\nAcme,{cell},call\n".encode())
        assert row.occurred_at == moment
