"""The one test of "is this a link we may show or follow": absolute http(s) with a host, nothing that could
break out of Slack's <url|label> syntax or a log line. Shared by the feed parser and the Slack renderers."""

from __future__ import annotations

from urllib.parse import urlsplit

_BREAKING = frozenset(' \t\r\n\x00<>"|')
MAX_URL_LENGTH = (
    2000  # longer links are almost always tracking junk, and cannot fit Slack's button/url fields
)


def http_url(url: object) -> str | None:
    """The URL (trimmed) if it is absolute http(s) with a host and no breaking character; else None."""
    if not url or not isinstance(url, str):
        return None
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    if any(c in _BREAKING for c in url):
        return None
    return url
