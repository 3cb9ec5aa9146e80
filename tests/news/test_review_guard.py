"""Review: IPv6 spellings of private IPv4 addresses that the SSRF guard used to let through."""

from __future__ import annotations

import pytest

from news import guard
from news.guard import UrlRefused, address_problem, check_url


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
