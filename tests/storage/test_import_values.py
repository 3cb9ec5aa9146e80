"""storage.importing.values: dates and date-times (two passes), amounts, domains, HTML, multi-values,
Salesforce ids, optional emails."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage.importing.values import (
    DateSniffer,
    Invalid,
    Moments,
    NeedOption,
    domain_of,
    optional_email,
    parse_amount,
    salesforce_id,
    settle_order,
    split_multi,
    strip_html,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def sniff(*values: str) -> DateSniffer:
    sniffer = DateSniffer()
    for line, value in enumerate(values, start=2):
        sniffer.feed(value, line)
    return sniffer


# ------------------------------------------------------------------------------------------- sniffer


def test_iso_dates_are_never_ambiguous() -> None:
    sniffer = sniff("2026-03-01", "2026-04-03T10:00:00Z", "2026/05/06")
    assert not sniffer.ambiguous
    assert not sniffer.needs_tz
    assert settle_order(sniffer, None) == "ymd"


def test_a_part_above_12_decides_the_order() -> None:
    assert settle_order(sniff("03/04/2026", "03/31/2026"), None) == "mdy"
    assert settle_order(sniff("03/04/2026", "31.03.2026"), None) == "dmy"
    assert sniff("03/04/2026", "31/03/2026").orders() == {"dmy"}


def test_no_part_above_12_is_ambiguous_and_names_the_option() -> None:
    sniffer = sniff("", "03/04/2026", "1-3-26", "not a date")
    assert sniffer.ambiguous
    assert sniffer.example == "03/04/2026"
    with pytest.raises(NeedOption) as caught:
        settle_order(sniffer, None)
    assert caught.value.option == "--dates"
    assert "03/04/2026" in caught.value.message and "line 3" in caught.value.message
    assert "--dates mdy" in caught.value.message and "--dates dmy" in caught.value.message
    assert settle_order(sniffer, "dmy") == "dmy"
    assert settle_order(sniffer, "mdy") == "mdy"


def test_an_explicit_order_the_file_contradicts_is_refused_with_the_value_and_line() -> None:
    sniffer = sniff("03/04/2026", "04/31/2026")
    with pytest.raises(NeedOption) as caught:
        settle_order(sniffer, "dmy")
    assert caught.value.option == "--dates"
    assert "'04/31/2026' (line 3)" in caught.value.message
    with pytest.raises(NeedOption):
        settle_order(sniffer, "ymd")  # the file has month-first dates
    with pytest.raises(NeedOption):
        settle_order(sniffer, "ydm")


def test_dates_that_contradict_each_other_are_refused() -> None:
    with pytest.raises(NeedOption) as caught:
        settle_order(sniff("13/01/2026", "01/13/2026"), None)
    assert "13/01/2026" in caught.value.message and "01/13/2026" in caught.value.message


def test_the_sniffer_notices_date_times_without_an_offset() -> None:
    sniffer = sniff("2026-03-01T10:00:00Z", "2026-03-01 10:00:00+01:00", "2026-03-02")
    assert not sniffer.needs_tz
    sniffer.feed("3/1/2026 2:30 PM", 9)
    assert sniffer.needs_tz
    assert (sniffer.naive_example, sniffer.naive_line) == ("3/1/2026 2:30 PM", 9)


def test_values_that_are_no_date_under_any_order_do_not_decide() -> None:
    sniffer = sniff("13/13/2026", "00/05/2026", "03/04/2026")
    assert sniffer.ambiguous


# ------------------------------------------------------------------------------------------- moments


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        ("2026-03-01T14:30:05.123Z", datetime(2026, 3, 1, 14, 30, 5, 123000, tzinfo=UTC)),
        ("2026-03-01T14:30Z", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("2026-03-01 14:30:00+00:00", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("2026-03-01T14:30:00+0100", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("2026-03-01T14:30:00-05:00", datetime(2026, 3, 1, 19, 30, tzinfo=UTC)),
        ("2026-03-01 14:30 UTC", datetime(2026, 3, 1, 14, 30, tzinfo=UTC)),
        ("3/1/2026", date(2026, 3, 1)),
        ("3/1/26", date(2026, 3, 1)),
        ("3/1/99", date(1999, 3, 1)),
        ("3/1/2026 2:30 PM", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),  # Berlin is UTC+1 in March
        ("3/1/2026, 2:30 PM", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("3/1/2026 12:05 AM", datetime(2026, 2, 28, 23, 5, tzinfo=UTC)),
        ("3/1/2026 12:05 PM", datetime(2026, 3, 1, 11, 5, tzinfo=UTC)),
        ("3/1/2026 14:30", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("2026/03/01", date(2026, 3, 1)),
    ],
)
def test_month_first_file_in_berlin(raw: str, expected: date | datetime) -> None:
    assert Moments("mdy", BERLIN, None).parse(raw) == expected


def test_day_first_and_dotted() -> None:
    moments = Moments("dmy", BERLIN, None)
    assert moments.parse("01.03.2026") == date(2026, 3, 1)
    assert moments.parse("01.03.2026 14:30") == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert moments.parse("1-3-26") == date(2026, 3, 1)
    assert moments.parse("31/12/2025") == date(2025, 12, 31)
    assert moments.parse("2026-03-01") == date(2026, 3, 1)  # ISO stays year-first


@pytest.mark.parametrize(
    "raw",
    ["2026-02-30", "31/02/2026", "2026-13-01", "3/1/2026 25:00", "3/1/2026 13:00 PM", "3/1/2026 0:30 AM",
     "yesterday", "", "2026-03-01T14", "202/3/1", "3/1/202", "2026-03-01T10:00+25:00"],
)  # fmt: skip
def test_impossible_values_are_invalid(raw: str) -> None:
    with pytest.raises(Invalid):
        Moments("dmy", UTC_ZONE, None).parse(raw)


UTC_ZONE = ZoneInfo("UTC")


def test_offset_less_date_times_need_a_zone() -> None:
    with pytest.raises(NeedOption) as caught:
        Moments("ymd", None, None).parse("2026-03-01 10:00")
    assert caught.value.option == "--tz"
    assert Moments("ymd", None, "utc").parse("2026-03-01 10:00") == datetime(2026, 3, 1, 10, tzinfo=UTC)
    # a date alone needs no zone; an offset makes the zone irrelevant
    assert Moments("ymd", None, None).parse("2026-03-01") == date(2026, 3, 1)
    assert Moments("ymd", None, None).parse("2026-03-01T10:00+02:00") == datetime(2026, 3, 1, 8, tzinfo=UTC)
    # --tz wins over a source's documented UTC
    assert Moments("ymd", BERLIN, "utc").parse("2026-03-01 10:00") == datetime(2026, 3, 1, 9, tzinfo=UTC)


def test_dst_gap_and_fold_follow_fold_zero() -> None:
    moments = Moments("ymd", BERLIN, None)
    # 2026-03-29 02:30 does not exist in Berlin (02:00 -> 03:00): read with the winter offset (+01:00)
    assert moments.parse("2026-03-29 02:30") == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    # 2026-10-25 02:30 happens twice (03:00 -> 02:00): its first occurrence, summer time (+02:00)
    assert moments.parse("2026-10-25 02:30") == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # either side of the change
    assert moments.parse("2026-03-29 01:59") == datetime(2026, 3, 29, 0, 59, tzinfo=UTC)
    assert moments.parse("2026-03-29 03:00") == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    ny = Moments("mdy", NEW_YORK, None)
    assert ny.parse("11/1/2026 1:30 AM") == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # EDT, first
    assert ny.parse("3/8/2026 2:30 AM") == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # gap: EST offset


def test_combine_separate_date_and_time_cells() -> None:
    moments = Moments("dmy", BERLIN, None)
    assert moments.combine("01.03.2026", "14:30") == datetime(2026, 3, 1, 13, 30, tzinfo=UTC)
    assert moments.combine("2026-03-01", "") == date(2026, 3, 1)
    assert moments.combine("2026-03-01", "  ") == date(2026, 3, 1)
    assert moments.combine("2026-03-01", "14:30Z") == datetime(2026, 3, 1, 14, 30, tzinfo=UTC)
    assert Moments("ymd", None, "utc").combine("2026-03-01", "09:15") == datetime(
        2026, 3, 1, 9, 15, tzinfo=UTC
    )
    with pytest.raises(Invalid):
        moments.combine("2026-03-01 10:00", "14:30")
    with pytest.raises(Invalid):
        moments.combine("2026-03-01", "teatime")


ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "Pacific/Chatham"]


@given(
    moment=st.datetimes(
        min_value=datetime(1970, 1, 1), max_value=datetime(2068, 12, 31), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(ZONES),
    style=st.sampled_from(["iso", "iso_offset", "mdy12", "dmy24", "dotted", "z"]),
)
def test_formatted_moments_round_trip(moment: datetime, zone: str, style: str) -> None:
    """Any moment, written in a zone's local time in any supported style, parses back to itself (to the
    second or minute the style keeps). Local styles skip times a DST change makes ambiguous."""
    tz = ZoneInfo(zone)
    moment = moment.replace(microsecond=0)
    local = moment.astimezone(tz)
    naive = local.replace(tzinfo=None)
    wall_unique = naive.replace(tzinfo=tz, fold=0).astimezone(UTC) == moment
    if style == "iso":
        raw, order, expected = local.isoformat(), "ymd", moment
    elif style == "iso_offset":
        raw, order, expected = local.strftime("%Y-%m-%dT%H:%M:%S%z"), "ymd", moment
    elif style == "z":
        raw, order, expected = moment.strftime("%Y-%m-%dT%H:%M:%SZ"), "mdy", moment
    else:
        if not wall_unique:
            return  # a wall time that does not name this moment (the second of a repeated hour)
        expected = moment.replace(second=0) if style != "dmy24" else moment
        if style == "mdy12":
            hour = naive.hour % 12 or 12
            ampm = "AM" if naive.hour < 12 else "PM"
            raw, order = f"{naive.month}/{naive.day}/{naive.year}, {hour}:{naive.minute:02d} {ampm}", "mdy"
            expected = naive.replace(second=0, tzinfo=tz, fold=0).astimezone(UTC)
        elif style == "dmy24":
            raw, order = naive.strftime("%d/%m/%Y %H:%M:%S"), "dmy"
        else:
            raw, order = naive.strftime("%d.%m.%y %H:%M"), "dmy"
            expected = naive.replace(second=0, tzinfo=tz, fold=0).astimezone(UTC)
    assert Moments(order, tz, None).parse(raw) == expected


@given(day=st.dates(min_value=date(1970, 1, 1), max_value=date(2068, 12, 31)))
def test_dates_round_trip_in_every_order(day: date) -> None:
    assert Moments("mdy").parse(f"{day.month}/{day.day}/{day.year}") == day
    assert Moments("dmy").parse(day.strftime("%d.%m.%Y")) == day
    assert Moments("dmy").parse(day.strftime("%d-%m-%y")) == day
    assert Moments("ymd").parse(day.isoformat()) == day
    sniffer = sniff(f"{day.month}/{day.day}/{day.year}")
    assert settle_order(sniffer, "mdy") == "mdy"


def test_moments_rejects_an_unknown_order() -> None:
    with pytest.raises(ValueError):
        Moments("ydm")


def test_offsets_are_applied() -> None:
    moments = Moments("ymd", None, None)
    got = moments.parse("2026-03-01T23:30:00+05:30")
    assert got == datetime(2026, 3, 1, 18, 0, tzinfo=UTC)
    assert got.utcoffset() == timedelta(0)
    assert datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))) == got


# ------------------------------------------------------------------------------------------- amounts


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12000", (12000.0, None)),
        ("12000.50", (12000.5, None)),
        ("12000,5", (12000.5, None)),
        ("$1,200.50", (1200.5, None)),
        ("$1,200", (1200.0, None)),
        ("1.200,50 €", (1200.5, "EUR")),
        ("€1.200,50", (1200.5, "EUR")),
        ("EUR 1.200,00", (1200.0, "EUR")),
        ("eur 1.200", (1200.0, "EUR")),
        ("1 200,50", (1200.5, None)),
        ("1\u00a0200,50 €", (1200.5, "EUR")),
        ("1'200.50 CHF", (1200.5, "CHF")),
        ("JPY 120000", (120000.0, "JPY")),
        ("¥120,000", (120000.0, "JPY")),
        ("120000 JPY", (120000.0, "JPY")),
        ("£99.99", (99.99, "GBP")),
        ("USD 1,200,000.00", (1200000.0, "USD")),
        ("$1,200 USD", (1200.0, "USD")),
        ("1.200.000", (1200000.0, None)),
        ("1,20,000", (120000.0, None)),
        ("0.125", (0.125, None)),
        ("0", (0.0, None)),
    ],
)
def test_amounts(raw: str, expected: tuple[float, str | None]) -> None:
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    ["-5", "-$5", "$-5", "(1,200.00)", "NaN", "inf", "Infinity", "", "-", "1,2,3", "1.2.3,4,5", "€5 USD",
     "1,200.50.3", "12 34", "abc", "1e6", "$"],
)  # fmt: skip
def test_bad_amounts_are_invalid(raw: str) -> None:
    with pytest.raises(Invalid):
        parse_amount(raw)


@given(
    amount=st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False, allow_infinity=False),
    style=st.sampled_from(["en", "de", "fr", "plain", "ch"]),
)
def test_formatted_amounts_round_trip(amount, style) -> None:  # type: ignore[no-untyped-def]
    whole, fraction = f"{amount:.2f}".split(".")
    groups = f"{int(whole):,}"
    text = {
        "en": f"${groups}.{fraction}",
        "de": groups.replace(",", ".") + f",{fraction} €",
        "fr": groups.replace(",", " ") + f",{fraction} EUR",
        "plain": f"{whole}.{fraction}",
        "ch": "CHF " + groups.replace(",", "'") + f".{fraction}",
    }[style]
    value, _ = parse_amount(text)
    assert value == pytest.approx(float(amount))


# ------------------------------------------------------------------------------------------- text cells


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about?x=1", "acme.com"),
        ("http://acme.com:8080/", "acme.com"),
        ("acme.com", "acme.com"),
        ("www.acme.co.uk/", "acme.co.uk"),
        ("ACME.COM.", "acme.com"),
        ("https://shop.acme.com", "shop.acme.com"),
        ("https://user@acme.com/x", "acme.com"),
        ("https://münchen.de", "xn--mnchen-3ya.de"),
        ("www.com", "www.com"),
    ],
)
def test_domain_of(raw: str, expected: str) -> None:
    assert domain_of(raw) == expected


@pytest.mark.parametrize("raw", ["", "not a url", "https://", "localhost", "http://-bad-.com", "acme"])
def test_domain_of_refuses_non_domains(raw: str) -> None:
    with pytest.raises(Invalid):
        domain_of(raw)


def test_strip_html() -> None:
    assert strip_html("<p>Hello&nbsp;<b>world</b></p><div>a &amp; b</div>") == "Hello world\na & b"
    assert strip_html("one<br>two<br/>three") == "one\ntwo\nthree"
    assert strip_html("<p>one</p><p></p><br><br><p>two</p>") == "one\n\ntwo"
    assert strip_html("<style>p {color: red}</style><script>x()</script>text") == "text"
    assert strip_html("  plain   text \r\n\r\n\r\n second  ") == "plain text\n\nsecond"
    assert strip_html("a < b and c > d, 5 &lt; 6") == "a < b and c > d, 5 < 6"
    assert strip_html("<ul><li>first</li><li>second</li></ul>") == "first\nsecond"
    assert strip_html("") == ""


def test_split_multi() -> None:
    assert split_multi("a; b ;;a;  c  d ;") == ["a", "b", "c d"]
    assert split_multi("") == []
    assert split_multi("  ;  ") == []
    assert split_multi("Decision Maker;Champion") == ["Decision Maker", "Champion"]


# ------------------------------------------------------------------------------------------- salesforce ids


def test_salesforce_id_known_values() -> None:
    # the suffix encodes, per five characters, which are upper-case letters
    assert salesforce_id("001000000000000") == "001000000000000AAA"
    assert salesforce_id("0015000000Gv7qJ") == "0015000000Gv7qJAAR"
    assert salesforce_id("a0D30000001n7Pi") == "a0D30000001n7PiEAI"
    assert salesforce_id("AAAAAAAAAAAAAAA") == "AAAAAAAAAAAAAAA555"
    assert salesforce_id("aAAAAaAAAAaAAAA") == "aAAAAaAAAAaAAAA" + "444"  # 0b11110 = 30 -> "4"
    assert salesforce_id(" 001A000001abcdeIAA ") == "001A000001abcdeIAA"
    assert salesforce_id("001A000001abcdeiaa") == "001A000001abcdeIAA"  # the suffix is case-blind


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "001A000001abcd",
        "001A000001abcdeIA",
        "001A000001abcdeAAA",
        "001A000001ABCDEIAA",
        "001A00000-abcde",
    ],
)
def test_salesforce_id_invalid(raw: str) -> None:
    with pytest.raises(Invalid):
        salesforce_id(raw)


ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@given(st.text(alphabet=ALNUM, min_size=15, max_size=15))
def test_salesforce_id_round_trip(id15: str) -> None:
    id18 = salesforce_id(id15)
    assert len(id18) == 18 and id18[:15] == id15
    assert salesforce_id(id18) == id18  # stable
    assert salesforce_id(id18[:15] + id18[15:].lower()) == id18
    # the 18-character form tells apart ids that differ only in case: its lower-casing is a unique key
    swapped = id15.swapcase()
    if swapped != id15:
        assert salesforce_id(swapped).lower() != id18.lower()


# ------------------------------------------------------------------------------------------- emails


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane@Acme.com", "jane@acme.com"),
        ("  jane@acme.com ", "jane@acme.com"),
        ("Jane Doe <Jane@Acme.com>", "jane@acme.com"),
        ("mailto:jane@acme.com", "jane@acme.com"),
    ],
)
def test_optional_email(raw: str, expected: str) -> None:
    assert optional_email(raw) == expected


@pytest.mark.parametrize(
    "raw", ["n/a", "N/A", "none", "-", "unknown", "", "jane", "jane@", "a@b", "a b@c.com"]
)
def test_optional_email_placeholders_are_invalid(raw: str) -> None:
    with pytest.raises(Invalid):
        optional_email(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1 Mar 2026", date(2026, 3, 1)),
        ("01-Mar-26", date(2026, 3, 1)),
        ("1. March 2026", date(2026, 3, 1)),
        ("Mar 1, 2026", date(2026, 3, 1)),
        ("March 1st 2026", date(2026, 3, 1)),
        ("Sun, 1 Mar 2026", date(2026, 3, 1)),
        ("Sept 3, 2026", date(2026, 9, 3)),
        ("Mar 1, 2026 2:30 PM", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("Mar 1, 2026 at 2:30 PM", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
        ("01-Mar-2026 14:30", datetime(2026, 3, 1, 13, 30, tzinfo=UTC)),
    ],
)
def test_month_names_need_no_order(raw: str, expected: date | datetime) -> None:
    for order in ("mdy", "dmy", "ymd"):
        assert Moments(order, BERLIN, None).parse(raw) == expected
    sniffer = sniff(raw)
    assert not sniffer.ambiguous and settle_order(sniffer, None) == "ymd"
    assert sniffer.needs_tz == isinstance(expected, datetime)


@pytest.mark.parametrize("raw", ["1 Foo 2026", "Ma 1, 2026", "31 Feb 2026", "Mar 32, 2026", "1. März 2026"])
def test_bad_month_names_are_invalid(raw: str) -> None:
    with pytest.raises(Invalid):
        Moments("dmy", BERLIN, None).parse(raw)


@given(
    moment=st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2200, 12, 31)),
    shape=st.sampled_from(["date", "minutes", "seconds", "micro", "z", "offset"]),
    sep=st.sampled_from(["T", " "]),
)
def test_the_iso_fast_path_agrees_with_the_general_parser(moment: datetime, shape: str, sep: str) -> None:
    """Common ISO cells take a fast path; a leading space sends the same text through the general parser."""
    raw = {
        "date": moment.strftime("%Y-%m-%d"),
        "minutes": moment.strftime(f"%Y-%m-%d{sep}%H:%M"),
        "seconds": moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S"),
        "micro": moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S.%f"),
        "z": moment.strftime(f"%Y-%m-%d{sep}%H:%M:%SZ"),
        "offset": moment.strftime(f"%Y-%m-%d{sep}%H:%M:%S") + "-03:30",
    }[shape]
    for moments in (Moments("dmy", BERLIN, None), Moments("mdy", None, "utc")):
        assert moments.parse(raw) == moments.parse(" " + raw)


def test_sniffer_reads_date_and_time_cells_together() -> None:
    sniffer = DateSniffer()
    sniffer.feed_pair("03/04/2026", "", 2)
    assert not sniffer.needs_tz and sniffer.ambiguous
    sniffer.feed_pair("03/14/2026", "14:00", 3)
    assert sniffer.needs_tz and sniffer.naive_example == "03/14/2026 14:00" and sniffer.naive_line == 3
    assert settle_order(sniffer, None) == "mdy"
    sniffer = DateSniffer()
    sniffer.feed_pair("2026-03-01", "09:00Z")
    assert not sniffer.needs_tz
