"""Turning feed bytes into plain entries with feedparser, safely.

The DOCTYPE internal subset is removed first, the body goes in as a stream with the real headers, `bozo` is
a warning, links are http(s) only (Google Alerts links unwrapped), titles plain text.
See docs/news.md#safety-what-the-fetcher-will-and-will-not-do.
"""

from __future__ import annotations

import codecs
import hashlib
import html
import io
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

import feedparser

from news.links import http_url

MAX_TITLE = 500
MAX_SUMMARY = 1000

_DOCTYPE_SUBSET = re.compile(rb"(<!DOCTYPE\b[^\[>]*)\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_DOCTYPE_SUBSET_STR = re.compile(r"(<!DOCTYPE\b[^\[>]*)\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_STRAY_ENTITY = re.compile(rb"<!ENTITY\b[^>]*>", re.IGNORECASE)
_STRAY_ENTITY_STR = re.compile(r"<!ENTITY\b[^>]*>", re.IGNORECASE)
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (b"", "utf-32-be", b"\x00\x00\x00<"),
    (b"", "utf-32-le", b"<\x00\x00\x00"),
    (b"", "utf-16-be", b"\x00<\x00?"),
    (b"", "utf-16-le", b"<\x00?\x00"),
)
TRACKING_PARAMS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "ocid", "cmpid", "_ga"}
)
GOOGLE_HOSTS = frozenset({"google.com", "www.google.com", "news.google.com"})


@dataclass(frozen=True, slots=True)
class FeedEntry:
    key: str  # id, else the normalized link, else a hash of feed URL and title
    story_key: str  # 64 hex chars, the same for one story in any feed (normalized link when there is one)
    title: str  # plain text (not yet escaped for Slack)
    link: str | None  # http(s) only, redirect wrappers removed
    summary: str  # plain text, shortened
    source: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    entries: list[FeedEntry]
    is_feed: bool  # False for an HTML page or anything else feedparser could not recognise
    warning: str | None  # feedparser's bozo exception, if any


def strip_doctype_subset(data: bytes) -> bytes:
    """Remove the internal subset of a DOCTYPE (and any stray ENTITY declaration), in any encoding."""
    for spec in _WIDE_ENCODINGS:
        bom, codec = spec[0], spec[1]
        prefix = spec[2] if len(spec) == 3 else bom
        if prefix and data.startswith(prefix):
            text = data[len(bom) :].decode(codec, errors="replace")
            if "<!" not in text:
                return data
            text = _STRAY_ENTITY_STR.sub("", _DOCTYPE_SUBSET_STR.sub(r"\1>", text, count=1))
            return bom + text.encode(codec)
    if b"<!" not in data:
        return data
    return _STRAY_ENTITY.sub(b"", _DOCTYPE_SUBSET.sub(rb"\1>", data, count=1))


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def plain_text(value: str | None, limit: int = MAX_TITLE) -> str:
    """Tags stripped, entities unescaped, whitespace collapsed, shortened to `limit` characters."""
    if not value:
        return ""
    if "<" in value or "&" in value:
        extractor = _TextExtractor()
        try:
            extractor.feed(value)
            extractor.close()
            value = "".join(extractor.parts)
        except Exception:  # HTMLParser is lenient; this is a last resort
            value = re.sub(r"<[^>]*>", " ", value)
        value = html.unescape(value)  # doubly escaped feeds ("&amp;amp;") are common
        value = value.replace("<", "‹").replace(">", "›") if re.search(r"<[A-Za-z/!?]", value) else value
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unwrap_redirect(url: str) -> str:
    """The real article URL inside a Google (Alerts, News) redirect link; other URLs unchanged."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    if (parts.hostname or "").lower() in GOOGLE_HOSTS and parts.path == "/url":
        params = parse_qs(parts.query)
        for name in ("url", "q"):
            for candidate in params.get(name, []):
                if http_url(candidate):
                    return candidate
    return url


def normalize_link(url: str) -> str:
    """Lower-case scheme and host, no default port, no fragment, no tracking parameters."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    netloc = host if port is None or (scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not k.lower().startswith("utm_") and k.lower() not in TRACKING_PARAMS
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def _entry_link(entry: Mapping[str, Any]) -> str | None:
    candidates: list[str] = []
    if isinstance(entry.get("link"), str):
        candidates.append(entry["link"])
    for item in entry.get("links") or []:
        if isinstance(item, Mapping) and item.get("rel", "alternate") == "alternate" and item.get("href"):
            candidates.append(str(item["href"]))
    for candidate in candidates:
        url = http_url(unwrap_redirect(candidate.strip()))
        if url:
            return url
    return None


def _published(entry: Mapping[str, Any]) -> datetime | None:
    for name in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(name)
        if isinstance(value, time.struct_time | tuple) and len(value) >= 6:
            try:
                year, month, day, hour, minute, second = (int(v) for v in value[:6])
                return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
            except (TypeError, ValueError):
                continue
    return None


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def entry_keys(feed_url: str, entry_id: str | None, link: str | None, title: str) -> tuple[str, str]:
    """(entry key, story key) for one entry. See FeedEntry."""
    normalized = normalize_link(link) if link else None
    entry_id = (entry_id or "").strip()[:1000] or None
    key = entry_id or normalized or "sha256:" + _sha(f"{feed_url}\n{title}")[:40]
    if normalized:
        story = _sha("link:" + normalized)
    elif entry_id:
        story = _sha("id:" + entry_id)
    else:
        story = _sha("title:" + " ".join(title.casefold().split()))
    return key, story


def parse_feed(data: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a fetched feed. `url` is the final URL (after redirects); `headers` the response headers."""
    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    response_headers["content-location"] = url
    result = feedparser.parse(
        io.BytesIO(strip_doctype_subset(data)),
        response_headers=response_headers,
        resolve_relative_uris=True,
        sanitize_html=True,
    )
    feed_info = result.get("feed") or {}
    feed_title = plain_text(feed_info.get("title")) or None
    feed_host = (urlsplit(url).hostname or None) if http_url(url) else None
    entries: list[FeedEntry] = []
    seen: set[str] = set()
    for raw in result.get("entries") or []:
        title = plain_text(raw.get("title"))
        summary = plain_text(raw.get("summary"), MAX_SUMMARY)
        if not title and not summary:
            continue
        link = _entry_link(raw)
        key, story = entry_keys(url, raw.get("id") if isinstance(raw.get("id"), str) else None, link, title)
        if key in seen:
            continue
        seen.add(key)
        source_info = raw.get("source") or {}
        source = (
            plain_text(source_info.get("title") if isinstance(source_info, Mapping) else None) or feed_title
        )
        if not source and link:
            source = urlsplit(link).hostname
        entries.append(
            FeedEntry(
                key=key,
                story_key=story,
                title=title or summary[:MAX_TITLE],
                link=link,
                summary=summary,
                source=source or feed_host,
                published=_published(raw),
            )
        )
    is_feed = bool(result.get("version")) or bool(entries)
    warning = None
    if result.get("bozo"):
        exc = result.get("bozo_exception")
        warning = f"{type(exc).__name__}: {exc}"[:300] if exc else "feed is not well-formed"
    return ParsedFeed(title=feed_title, entries=entries, is_feed=is_feed, warning=warning)
