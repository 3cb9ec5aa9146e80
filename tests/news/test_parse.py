"""news.parse: safe feedparser use, links, titles, keys."""

from __future__ import annotations

import time
from pathlib import Path

from news.parse import (
    entry_keys,
    normalize_link,
    parse_feed,
    plain_text,
    strip_doctype_subset,
    unwrap_redirect,
)

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Google Alert - Globex</title>
<entry><id>tag:google.com,2013:googlealerts/feed:1</id>
<title type="html">&lt;b&gt;Globex&lt;/b&gt; opens a plant &amp;amp; hires 200</title>
<link href="https://www.google.com/url?rct=j&amp;sa=t&amp;url=https://news.example.com/globex-plant%3Futm_source%3Dx&amp;ct=ga"/>
<published>2026-03-01T08:00:00Z</published><content type="html">Globex said on Monday...</content></entry>
<entry><title>Relative link</title><link href="/stories/2"/></entry>
<entry><title>Script link</title><link href="javascript:alert(1)"/></entry>
</feed>"""


def test_google_alerts_atom_entry() -> None:
    parsed = parse_feed(ATOM.encode(), url="https://www.google.com/alerts/feeds/1/2", headers={})
    first, relative, script = parsed.entries
    assert first.title == "Globex opens a plant & hires 200"
    assert first.link == "https://news.example.com/globex-plant?utm_source=x"
    assert first.published is not None and first.published.isoformat() == "2026-03-01T08:00:00+00:00"
    assert first.key == "tag:google.com,2013:googlealerts/feed:1"
    assert relative.link == "https://www.google.com/stories/2"  # resolved against the final URL
    assert script.link is None
    assert parsed.is_feed and first.source == "Google Alert - Globex"


def test_story_key_is_the_same_across_feeds_and_tracking_params() -> None:
    _, a = entry_keys(
        "https://feed-one.example/rss", "id-1", "https://News.Example.com/a?utm_source=x#top", "T"
    )
    _, b = entry_keys("https://feed-two.example/rss", "other-id", "https://news.example.com/a", "Other title")
    assert a == b and len(a) == 64
    key, c = entry_keys("https://feed.example/rss", None, None, "Globex  opens plant")
    key2, d = entry_keys("https://feed.example/rss", None, None, "Globex opens plant")
    assert c == d and key.startswith("sha256:")


def test_helpers() -> None:
    assert unwrap_redirect("https://www.google.com/url?q=https://a.example/x&sa=U") == "https://a.example/x"
    assert unwrap_redirect("https://www.google.com/url?url=javascript:alert(1)").startswith(
        "https://www.google"
    )
    assert (
        normalize_link("HTTP://Example.COM:80/a?b=1&utm_medium=e&fbclid=z#frag") == "http://example.com/a?b=1"
    )
    assert plain_text("<p>Acme &amp; Co <script>alert(1)</script>wins</p>") == "Acme & Co wins"
    assert plain_text("AT&amp;amp;T") == "AT&T"


def test_entity_bomb_is_defused_in_utf8_and_utf16() -> None:
    lol = "".join(f'<!ENTITY l{i} "' + f"&l{i - 1};" * 10 + '">' for i in range(1, 9))
    doc = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY l0 "lol">' + lol + "]>\n"
        "<rss version='2.0'><channel><title>&l8;</title><item><title>Hi &l8;</title></item></channel></rss>"
    )
    for data in (doc.encode("utf-8"), doc.encode("utf-16")):
        stripped = strip_doctype_subset(data)
        assert b"ENTITY" not in stripped.replace(b"\x00", b"")
        start = time.monotonic()
        parsed = parse_feed(data, url="http://feed.example/x", headers={})
        assert time.monotonic() - start < 2
        assert all(len(e.title) < 50 for e in parsed.entries)


def test_a_body_that_looks_like_a_path_is_not_opened_as_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_text("<rss version='2.0'><channel><item><title>Secret</title></item></channel></rss>")
    parsed = parse_feed(str(secret).encode(), url="http://feed.example/x", headers={})
    assert parsed.entries == [] and not parsed.is_feed
