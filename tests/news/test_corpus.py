"""Every file of feedparser's own fixture corpus through our parser (with its Header: lines as headers)."""

from __future__ import annotations

import re
from pathlib import Path

from news.parse import parse_feed

TAG = re.compile(r"<[A-Za-z/!?][^>]*>")
ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
HEADER = re.compile(rb"^Header:\s*([^:\r\n]+):\s*(.*?)\s*$", re.MULTILINE)


def _headers(data: bytes) -> dict[str, str]:
    head = data[:4000]
    return {m.group(1).decode("latin-1").strip(): m.group(2).decode("latin-1") for m in HEADER.finditer(head)}


def test_every_corpus_file_parses_cleanly(feed_corpus: Path) -> None:
    files = sorted(
        p for p in feed_corpus.rglob("*") if p.is_file() and p.suffix in (".xml", ".rdf", ".gz", ".z")
    )
    assert len(files) > 2000, f"expected the full corpus, found {len(files)} files"
    problems: list[str] = []
    entries_seen = 0
    for path in files:
        data = path.read_bytes()
        headers = _headers(data)
        url = headers.get("Content-Location") or "http://feeds.example.com/feed.xml"
        try:
            first = parse_feed(data, url=url, headers=headers)
            again = parse_feed(data, url=url, headers=headers)
        except Exception as exc:  # the assertion below reports every crash
            problems.append(f"{path.name}: crashed with {type(exc).__name__}: {exc}")
            continue
        if [e.key for e in first.entries] != [e.key for e in again.entries]:
            problems.append(f"{path.name}: entry keys differ between two parses")
        if len({e.key for e in first.entries}) != len(first.entries):
            problems.append(f"{path.name}: duplicate entry keys")
        for entry in first.entries:
            entries_seen += 1
            if TAG.search(entry.title) or ENTITY.search(entry.title):
                problems.append(f"{path.name}: title not plain text: {entry.title!r}")
            if entry.link is not None and not re.match(r"https?://[^/\s]+", entry.link):
                problems.append(f"{path.name}: non-http link {entry.link!r}")
            if len(entry.story_key) != 64 or not entry.key:
                problems.append(f"{path.name}: bad keys {entry.key!r} {entry.story_key!r}")
    assert entries_seen > 500, entries_seen
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:40])
