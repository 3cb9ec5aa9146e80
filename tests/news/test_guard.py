"""The SSRF guard: schemes, credentials, literal addresses and host names resolving to private addresses."""

from __future__ import annotations

import pytest

from news import guard
from news.guard import UrlRefused, address_problem, check_url


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    table: dict[str, list[str]] = {}

    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    monkeypatch.setattr(guard, "resolve", resolve)
    return table


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "127.5.5.5",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "255.255.255.255",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "2002:0a00:0001::1",
        "2001:0:4136:e378:8000:63bf:f5ff:fffe",
        "192.0.2.1",
        "198.18.0.1",
    ],
)
def test_non_global_addresses_are_refused(address: str) -> None:
    assert address_problem(address) is not None


@pytest.mark.parametrize("address", ["93.184.215.14", "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_problem(address) is None


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("ftp://example.com/feed", "only http:// and https://"),
        ("file:///etc/passwd", "only http:// and https://"),
        ("javascript:alert(1)", "only http:// and https://"),
        ("example.com/feed", "no scheme"),
        ("https://user:pw@example.com/feed", "user name or password"),
        ("https://user@example.com/feed", "user name or password"),
        ("http://127.0.0.1/feed", "loopback"),
        ("http://[::1]:8080/feed", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::ffff:10.0.0.1]/", "wrapping 10.0.0.1"),
        ("http:///nohost", "no host"),
        ("", "empty"),
        ("http://example.com:99999/", "not a valid URL"),
    ],
)
def test_refusals_say_why(url: str, words: str, fake_dns: dict[str, list[str]]) -> None:
    fake_dns["example.com"] = ["93.184.215.14"]
    with pytest.raises(UrlRefused) as info:
        check_url(url, frozenset())
    assert words in str(info.value)


def test_host_name_resolving_to_private_address_is_refused(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["intranet.example.com"] = ["93.184.215.14", "10.0.0.7"]
    with pytest.raises(UrlRefused) as info:
        check_url("https://intranet.example.com/feed.xml", frozenset())
    assert "resolves to 10.0.0.7" in str(info.value)
    assert "NEWS_ALLOWED_HOSTS" in str(info.value)


def test_metadata_alias_name_is_refused(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["metadata.google.internal"] = ["169.254.169.254"]
    with pytest.raises(UrlRefused, match="link-local"):
        check_url("http://metadata.google.internal/computeMetadata/v1/", frozenset())


def test_localhost_by_name_uses_the_real_resolver() -> None:
    with pytest.raises(UrlRefused, match="loopback"):
        check_url("http://localhost:8080/feed.xml", frozenset())


def test_unresolvable_host_is_refused_with_reason(fake_dns: dict[str, list[str]]) -> None:
    with pytest.raises(UrlRefused, match="cannot resolve"):
        check_url("https://no-such-host.example/feed", frozenset())


def test_allowed_hosts_let_named_intranet_hosts_through(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["news.corp.local"] = ["10.0.0.7"]
    assert check_url("https://news.corp.local/feed.xml", frozenset({"news.corp.local"})) == ["10.0.0.7"]
    assert check_url("http://127.0.0.1:8000/feed", frozenset({"127.0.0.1"})) == ["127.0.0.1"]
    # Allowing one host does not allow another that resolves to the same place.
    fake_dns["other.corp.local"] = ["10.0.0.7"]
    with pytest.raises(UrlRefused):
        check_url("https://other.corp.local/feed.xml", frozenset({"news.corp.local"}))


def test_public_host_returns_vetted_addresses(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["news.example.com"] = ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    assert check_url("https://NEWS.example.com./rss", frozenset()) == fake_dns["news.example.com"]


def test_allowed_hosts_match_either_spelling_of_an_international_name(fake_dns: dict[str, list[str]]) -> None:
    fake_dns["bücher.intern"] = ["10.0.0.8"]
    fake_dns["xn--bcher-kva.intern"] = ["10.0.0.8"]
    assert check_url("http://bücher.intern/feed", frozenset({"xn--bcher-kva.intern"})) == ["10.0.0.8"]
    assert guard.vet_host("xn--bcher-kva.intern", 80, frozenset({"bücher.intern"})) == ["10.0.0.8"]


def test_slow_dns_times_out_with_a_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    def slow(*args: object, **kwargs: object) -> list[object]:
        time.sleep(1.0)
        return []

    monkeypatch.setattr(guard.socket, "getaddrinfo", slow)
    monkeypatch.setattr(guard, "DNS_TIMEOUT", 0.2)
    start = time.monotonic()
    with pytest.raises(UrlRefused, match="timed out"):
        check_url("https://slow-dns.example/feed", frozenset())
    assert time.monotonic() - start < 0.9


# ----------------------------------------------------------------------------------------------------
# IPv6 spellings of private IPv4 addresses that the SSRF guard used to let through.


@pytest.mark.parametrize(
    "address",
    [
        "::ffff:0:7f00:1",  # RFC 2765 IPv4-translated 127.0.0.1 (SIIT translators turn it into IPv4)
        "::ffff:0:a9fe:a9fe",  # ... 169.254.169.254, the cloud metadata service
        "::ffff:0:a00:1",  # ... 10.0.0.1
        "64:ff9b:1::a00:1",  # RFC 8215 local-use NAT64 prefix: the local network behind the NAT64 gateway
        "64:ff9b:1:ffff::808:808",
    ],
)
def test_ipv6_wrappings_of_private_ipv4_are_refused(address: str) -> None:
    assert address_problem(address) is not None


def test_ipv4_translated_public_address_still_passes() -> None:
    assert address_problem("::ffff:0:808:808") is None  # 8.8.8.8, translated


def test_host_resolving_to_ipv4_translated_metadata_address_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda host, port: ["::ffff:0:a9fe:a9fe"])
    with pytest.raises(UrlRefused, match="169.254.169.254"):
        check_url("https://metadata.example/latest/meta-data/")
    with pytest.raises(UrlRefused):
        check_url("http://[::ffff:0:7f00:1]/feed.xml")
