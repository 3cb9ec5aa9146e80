"""What the clients yield: pages of plain records, each page with what to store once it is written.

The contract with the sync engine, for one object kind:

    for page in client.records(kind, since=stored.watermark, resume=stored.resume):
        with transaction():
            write(page.records)                      # idempotent upserts by (source, kind, id)
            store(kind, watermark=page.watermark, resume=page.resume)

- `since=None` is a full sync; otherwise only what changed at or after `since` (and what was deleted).
- `page.resume` is an opaque text: pass it back as `resume=` to go on after that page (a run killed or
  stopped by a limit goes on where its last written page left off). It is None on the last page.
- `page.watermark` is the `since` of the next pass: the old one until the last page, which carries the new
  one. The last page may hold no records: store it all the same.
- A record may come twice (at a page edge where modification times tie, or after a resume): writes must be
  upserts. None is ever skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict


class CrmRecord(TypedDict):
    source: str  # "hubspot" | "salesforce"
    kind: str  # HubSpot "companies", "contacts", ...; Salesforce "Account", "Contact", ...
    id: str
    modified_at: datetime  # timezone-aware UTC (HubSpot updatedAt, Salesforce SystemModstamp)
    deleted: bool  # HubSpot archived, Salesforce IsDeleted
    fields: dict[str, Any]  # the raw properties / fields by API name: the columns of the kind's profile
    associations: dict[str, list[str]]  # HubSpot: associated object type -> ids; Salesforce: {}


@dataclass
class Page:
    kind: str
    records: list[CrmRecord]
    watermark: datetime | None  # store it once this page is written
    resume: str | None  # store it too; None on the last page of the pass
    phase: str = ""  # what produced it: "list", "search", "archived", "query" (for reports and tests)
    requests: int = 0  # requests this page took (the page itself, associations, extra field queries)

    @property
    def last(self) -> bool:
        return self.resume is None


@dataclass
class Cursor:
    """Where a pass is: serialised into `Page.resume`."""

    kind: str
    phase: str
    since: datetime | None  # the pass's lower bound (None: full)
    until: datetime  # the pass's upper bound (exclusive), fixed when it starts: the next watermark
    after: str | None = None  # the API's own cursor (HubSpot list paging)
    lo: datetime | None = None  # keyset position: everything modified before it has been read
    seen: list[str] = field(default_factory=list)  # ids already read whose modification time is `lo`

    def dump(self) -> str:
        return json.dumps(
            {
                "v": 1,
                "kind": self.kind,
                "phase": self.phase,
                "since": _iso(self.since),
                "until": _iso(self.until),
                "after": self.after,
                "lo": _iso(self.lo),
                "seen": self.seen,
            },
            separators=(",", ":"),
        )

    @classmethod
    def load(cls, text: str, kind: str) -> Cursor:
        try:
            data = json.loads(text)
            if data.get("v") != 1 or data.get("kind") != kind:
                raise ValueError
            until = _parse(data["until"])
            if until is None:
                raise ValueError
            return cls(
                kind=kind,
                phase=str(data["phase"]),
                since=_parse(data.get("since")),
                until=until,
                after=data.get("after"),
                lo=_parse(data.get("lo")),
                seen=[str(i) for i in data.get("seen") or []],
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a resume position of {kind}: {text[:80]!r}") from exc


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _parse(value: object) -> datetime | None:
    if value is None:
        return None
    return parse_time(str(value))


def parse_time(text: str) -> datetime:
    """An API date-time (`2026-01-05T10:00:00.123Z`, `2026-01-05T10:00:00.000+0000`) as aware UTC."""
    value = datetime.fromisoformat(text.strip())
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def floor_ms(value: datetime) -> datetime:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def floor_s(value: datetime) -> datetime:
    return value.replace(microsecond=0)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_ms(value: datetime) -> int:
    """Milliseconds since 1970 (HubSpot's date-time filter values), rounded down."""
    return (value - EPOCH) // timedelta(milliseconds=1)


def from_epoch_ms(ms: int) -> datetime:
    return EPOCH + timedelta(milliseconds=ms)
