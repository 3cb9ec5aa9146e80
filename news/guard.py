"""SSRF guard for feed URLs: which URLs we may fetch, and which addresses we may connect to.

http(s) only, no credentials, every resolved address globally routable unless the host is in
NEWS_ALLOWED_HOSTS; news.fetch connects only to addresses vetted here (no DNS rebinding).
See docs/news.md#safety-what-the-fetcher-will-and-will-not-do.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Networks that are never acceptable, named so a refusal can say why. Checked in this order, after
# IPv6 addresses embedding an IPv4 address have been unwrapped.
_BLOCKED: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "a 'this network' address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a carrier-grade NAT address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address (cloud metadata services live here)"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "an IETF protocol address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a 6to4 relay address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a benchmarking address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("240.0.0.0/4", "a reserved address"),
    ("::/128", "the unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address (it reaches IPv4 addresses of the local network)"),
    ("100::/64", "a discard-only address"),
    ("2001:db8::/32", "a documentation address"),
    ("fc00::/7", "a unique-local address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_BLOCKED_NETS = tuple((ipaddress.ip_network(net), why) for net, why in _BLOCKED)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765 SIIT "IPv4-translated" addresses
_IPV4_COMPAT = ipaddress.ip_network("::/96")


class UrlRefused(ValueError):
    """The URL may not be fetched; str(exc) is the reason, written for the person who supplied the URL."""


Resolver = Callable[[str, int], list[str]]


DNS_TIMEOUT = 5.0
_DNS_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="dns")


def system_resolve(host: str, port: int) -> list[str]:
    """Every address (IPv4 and IPv6) the system resolver returns for host, within DNS_TIMEOUT seconds
    (getaddrinfo itself cannot be given a timeout, so it runs on a small pool of threads)."""
    lookup = _DNS_POOL.submit(socket.getaddrinfo, host, port, type=socket.SOCK_STREAM)
    try:
        infos = lookup.result(timeout=DNS_TIMEOUT)
    except FuturesTimeout:
        raise OSError(f"DNS lookup timed out after {DNS_TIMEOUT:g} s") from None
    seen: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        addr = str(sockaddr[0]).split("%", 1)[0]  # drop an IPv6 zone id
        if addr not in seen:
            seen.append(addr)
    return seen


# Tests replace this to simulate host names that resolve to private addresses.
resolve: Resolver = system_resolve


def _embedded_ipv4(addr: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv4-mapped, IPv4-translated, IPv4-compatible, NAT64, 6to4 or Teredo
    IPv6 address."""
    if addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    if addr.sixtofour is not None:
        return addr.sixtofour
    if addr.teredo is not None:
        return addr.teredo[1]
    if addr in _NAT64 or addr in _IPV4_TRANSLATED or (addr in _IPV4_COMPAT and int(addr) > 1):
        return ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
    return None


def address_problem(address: str) -> str | None:
    """Why connecting to this address is refused, or None if it is globally routable."""
    try:
        ip: IPAddress = ipaddress.ip_address(address)
    except ValueError:
        return f"{address!r} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        inner = _embedded_ipv4(ip)
        if inner is not None:
            why = address_problem(str(inner))
            return f"an IPv6 address wrapping {inner}, {why}" if why else None
    for net, why in _BLOCKED_NETS:
        if ip.version == net.version and ip in net:
            return why
    if not ip.is_global:
        return "not a globally routable address"
    return None


def _host_forms(host: str) -> set[str]:
    """The host as given plus its IDNA (xn--) and Unicode spellings, so either may be listed."""
    forms = {host}
    for convert in (lambda h: h.encode("idna").decode("ascii"), lambda h: h.encode("ascii").decode("idna")):
        try:
            forms.add(convert(host).lower())
        except (UnicodeError, ValueError):
            pass
    return forms


def allowed(host: str, port: int, allowed_hosts: frozenset[str]) -> bool:
    """NEWS_ALLOWED_HOSTS lets `host` through: an entry `host:port` on that port only, a bare `host` (any
    spelling, see _host_forms) on any port. Prefer `host:port`: a bare entry also lets a redirect reach the
    host's other services (localhost:5432)."""
    forms = _host_forms(host)
    return bool(forms & allowed_hosts) or any(f"{form}:{port}" in allowed_hosts for form in forms)


def vet_host(host: str, port: int, allowed_hosts: frozenset[str]) -> list[str]:
    """Resolve host and return its addresses if we may connect to them; else raise UrlRefused."""
    host = host.strip("[]").rstrip(".").lower()
    try:
        literal: IPAddress | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses = [str(literal)]
    else:
        try:
            addresses = resolve(host, port)
        except (OSError, UnicodeError) as exc:
            raise UrlRefused(f"cannot resolve the host {host!r} ({exc}); check the URL for typos") from None
        if not addresses:
            raise UrlRefused(f"the host {host!r} does not resolve to any address; check the URL")
    if allowed_hosts and allowed(host, port, allowed_hosts):
        return addresses
    for address in addresses:
        why = address_problem(address)
        if why:
            shown = f"{host} is" if literal is not None else f"{host} resolves to {address},"
            raise UrlRefused(
                f"{shown} {why}; feeds must be on the public internet. If this is a trusted intranet host, "
                f"an admin can add {host}:{port} to NEWS_ALLOWED_HOSTS."
            )
    return addresses


def check_url(url: str, allowed_hosts: frozenset[str] = frozenset()) -> list[str]:
    """Vet a feed URL; return the addresses its host resolves to (all of them acceptable).

    Raises UrlRefused with a reason a person can act on.
    """
    url = (url or "").strip()
    if not url:
        raise UrlRefused("the feed URL is empty; give a full http:// or https:// address")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"{url!r} is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        shown = f"{scheme}:" if scheme else "no scheme"
        raise UrlRefused(
            f"only http:// and https:// feed URLs are allowed (got {shown}); give a full web address"
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UrlRefused(
            "feed URLs with a user name or password (user@host) are refused; remove the credentials"
        )
    host = parts.hostname
    if not host:
        raise UrlRefused(
            f"{url!r} has no host name; give a full address such as https://example.com/feed.xml"
        )
    if any(c in url for c in " \t\r\n\x00"):
        raise UrlRefused("the feed URL contains spaces or control characters; encode them or fix the URL")
    return vet_host(host, port or (443 if scheme == "https" else 80), allowed_hosts)
