"""Finding accounts by what people type: exact name, then alias, then close-name suggestions. Names are
compared through `name_key` (trimmed, whitespace collapsed, NFKC, casefolded), the key that makes the names of
accountbot's own accounts unique per workspace; CRM companies may share a name, and `hubspot:123` (or
`Acme Corp (hubspot:123)`, as `labels` writes it) names one by its CRM id. Every query is scoped to one workspace.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field

from rapidfuzz import fuzz, process, utils
from sqlalchemy import ColumnElement, Text, cast, func, or_, select
from sqlalchemy.orm import Session

from storage.models import Account

MAX_SUGGESTIONS = 3
SUGGESTION_CUTOFF = 70.0
CANDIDATES_PER_SUGGESTION = 10  # rapidfuzz WRatio score (0..100) below which a name is not worth suggesting
# Names and aliases have at most 200 characters (a few times that once casefolded and NFKC-normalised); a
# longer typed name matches nothing, and its alias prefilter would exceed SQLite's LIKE pattern limit.
MAX_LOOKUP_KEY = 4000


def name_key(name: str) -> str:
    """The normalised form of a name: trim, collapse inner whitespace, casefold.

    Unicode compatibility normalisation (NFKC) comes with the casefold, so "Café" typed with a combining
    accent, or "ＡＣＭＥ" in full-width letters, find "café" and "acme".
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


@dataclass
class NameLookup:
    """The outcome of resolving a typed name.

    - found: `account` is set and `candidates == [account]`;
    - ambiguous (a name or an alias several accounts share): `account` is None, `candidates` holds them all;
    - miss: `account` is None, `candidates` is empty, `suggestions` holds up to three close names.
    """

    account: Account | None
    candidates: list[Account] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def ambiguous(self) -> bool:
        return self.account is None and len(self.candidates) > 1


def get_account(session: Session, team_id: str, account_id: int) -> Account | None:
    """One account by id, only if it belongs to the workspace."""
    return session.scalar(select(Account).where(Account.team_id == team_id, Account.id == account_id))


def list_accounts(session: Session, team_id: str) -> list[Account]:
    """Every account of the workspace, ordered by name key."""
    return list(session.scalars(select(Account).where(Account.team_id == team_id).order_by(Account.name_key)))


CRM_REF = re.compile(
    r"^(?:.*\()?\s*(hubspot|salesforce|pipedrive):([A-Za-z0-9_.-]{1,255})\s*\)?$", re.IGNORECASE
)


def labels(accounts: list[Account]) -> list[str]:
    """How to name each account to a person: its name, with its CRM id where another of them has the same name."""
    keys = [a.name_key for a in accounts]
    return [
        f"{a.name} ({a.source}:{a.source_id})" if keys.count(a.name_key) > 1 and a.source_id else a.name
        for a in accounts
    ]


def find_account(session: Session, team_id: str, name: str) -> NameLookup:
    """Resolve `name` in one workspace: a CRM id (`hubspot:123`), case-insensitive exact name, then alias, then
    suggestions."""
    ref = CRM_REF.match(name.strip())
    if ref:
        source, source_id = ref.group(1).lower(), ref.group(2)
        same_id = (
            func.substr(Account.source_id, 1, 15) == source_id  # Salesforce: the 15-character form of an 18
            if source == "salesforce" and len(source_id) == 15
            else Account.source_id == source_id
        )
        found = session.scalar(
            select(Account).where(Account.team_id == team_id, Account.source == source, same_id)
        )
        if found is not None:
            return NameLookup(account=found, candidates=[found])
    key = name_key(name)
    if not key or len(key) > MAX_LOOKUP_KEY:
        return NameLookup(account=None)
    exact = list(
        session.scalars(
            select(Account).where(Account.team_id == team_id, Account.name_key == key).order_by(Account.id)
        )
    )
    if len(exact) == 1:
        return NameLookup(account=exact[0], candidates=exact)
    if exact:  # CRM companies may share a name (their source ids differ): never pick one
        return NameLookup(account=None, candidates=exact)

    candidates = session.execute(
        select(Account.id, Account.aliases).where(Account.team_id == team_id, _may_hold_alias(key))
    ).all()
    alias_ids = [row.id for row in candidates if any(name_key(a) == key for a in (row.aliases or []))]
    if alias_ids:
        matched = list(
            session.scalars(
                select(Account)
                .where(Account.team_id == team_id, Account.id.in_(alias_ids))
                .order_by(Account.name_key)
            )
        )
        if len(matched) == 1:
            return NameLookup(account=matched[0], candidates=matched)
        return NameLookup(account=None, candidates=matched)

    # Aliases as their JSON text, decoded here: half the time of the JSON type's per-row decoding at 100k rows.
    rows = session.execute(
        select(Account.name, cast(Account.aliases, Text))
        .where(Account.team_id == team_id)
        .order_by(Account.name_key)
    )
    names = [
        (account_name, (json.loads(aliases) if aliases else None) or []) for account_name, aliases in rows
    ]
    return NameLookup(account=None, suggestions=suggest_names(name, names))


def _may_hold_alias(key: str) -> ColumnElement[bool]:
    """SQL prefilter: accounts whose aliases could casefold to `key` (exactness is checked in Python).

    Aliases are stored as JSON text with non-ASCII characters escaped (\\uXXXX) on both databases, so:
    an ASCII alias equal to `key` holds the key's letter-and-digit runs in order (compared lower-cased);
    any other alias contains a \\u escape. Both cases are kept; everything else is skipped.
    """
    text = func.lower(cast(Account.aliases, Text))
    escaped = cast(Account.aliases, Text).like("%\\u%", escape="!")
    runs = re.findall(r"[a-z0-9]+", key)
    if not runs:
        return escaped
    return or_(text.like("%" + "%".join(runs) + "%", escape="!"), escaped)


def suggest_names(typed: str, names: list[tuple[str, list[str]]], limit: int = MAX_SUGGESTIONS) -> list[str]:
    """Up to `limit` account names close to `typed`; an alias that matches suggests its account's name."""
    choices: list[str] = []
    owners: list[str] = []
    for account_name, aliases in names:
        for label in (account_name, *aliases):
            choices.append(utils.default_process(label))
            owners.append(account_name)
    # A few more hits than needed, since one account's name and aliases may all be among the best.
    hits = process.extract(
        utils.default_process(typed), choices, scorer=fuzz.WRatio, processor=None,
        limit=limit * CANDIDATES_PER_SUGGESTION, score_cutoff=SUGGESTION_CUTOFF,
    )  # fmt: skip
    out: list[str] = []
    for _label, _score, index in hits:
        owner = owners[index]
        if owner not in out:
            out.append(owner)
        if len(out) == limit:
            break
    return out
