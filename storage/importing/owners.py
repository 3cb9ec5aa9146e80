"""The owner directory (`--owners FILE`, or a users file among the FILEs): who a CRM's owner cell names.

CRMs export an account's owner as a full name ("Jane Doe") or a user id (Salesforce "005..." in 15 or 18
characters, HubSpot's and Pipedrive's numbers). The directory is fed users records in the canonical users
fields (`id, name, first_name, last_name, email, active, user_type, manager`) from any source: accountbot's
`name,email[,id][,active][,manager]`, a Salesforce User extract or report, a HubSpot or Pipedrive users export. It maps
an owner cell to an email (which accountbot then maps to Slack as today), or says why it cannot:

- `unknown`: not in the directory, in it without an email, or a name two users share (never guessed);
- `inactive`: a deactivated / archived user (the cell may also say so: "Jane Doe (Deactivated User)");
- `not_a_person`: an integration, automation or guest user ("Integration User", "Automated Process").

The same person fed twice (the same email, or the same id in the same source) is one user; where the records
disagree, the one added last wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from storage.importing.values import Invalid, optional_email, salesforce_id
from storage.reads.accounts import name_key

REASONS = ("unknown", "inactive", "not_a_person")

_INACTIVE = {
    "false", "no", "n", "0", "inactive", "deactivated", "disabled", "archived", "suspended", "removed", "deleted",
    "frozen", "blocked", "not active",
}  # fmt: skip
# Salesforce UserType values of users that are no person who owns accounts
_NOT_PERSON_TYPES = {"automatedprocess", "cloudintegrationuser", "csnonly", "guest", "licensemanager"}
# Names Salesforce (and integrations) give their system users
_NOT_PERSON_NAMES = {
    "integration user", "automated process", "platform integration user", "chatter expert", "security user",
    "data.com clean", "insights integration", "sales insights integration user", "system", "automated user",
    "salesforce administrator (automated)", "b2b integration user", "analytics cloud integration user",
    "analytics cloud security user", "marketing cloud connect", "hubspot integration", "api user",
}  # fmt: skip
_NOT_PERSON_EMAIL_USERS = {"autoproc", "noreply", "no-reply", "donotreply", "do-not-reply"}
# What an export appends to a deactivated owner's name
_INACTIVE_SUFFIX = re.compile(
    r"\s*[(\[]\s*(?:deactivated(?:\s+user)?|inactive(?:\s+user)?|archived(?:\s+user)?|former\s+user|removed"
    r"|deleted(?:\s+user)?)\s*[)\]]\s*$",
    re.IGNORECASE,
)
_SF_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")


@dataclass(eq=False)
class User:
    """One person (or system user) of the directory; compared by identity."""

    sources: set[str] = field(default_factory=set)
    ids: set[tuple[str, str]] = field(default_factory=set)  # (source, id key)
    name: str | None = None
    email: str | None = None
    active: bool = True
    person: bool = True
    user_type: str | None = None
    manager: str | None = None  # the `manager` cell as given: an id, a name or an email (escalation)


@dataclass(frozen=True)
class Resolution:
    """What an owner cell resolved to: an email, or a reason (and a sentence saying why)."""

    email: str | None
    reason: str | None
    detail: str = ""


def _id_key(source: str, raw: str) -> str:
    """An id as the directory keys it: Salesforce ids by their 18-character form, lower-cased (unique in any
    case); other sources' ids as written."""
    text = raw.strip()
    if source == "salesforce" or (_SF_SHAPE.match(text) and not text.isdigit()):
        if len(text) == 15:
            try:
                return salesforce_id(text).lower()
            except Invalid:
                pass
        if len(text) == 18:
            return text.lower()
    return text


def _is_active(raw: str | None) -> bool | None:
    if raw is None or not raw.strip():
        return None
    return " ".join(raw.casefold().split()) not in _INACTIVE


def _is_person(name: str | None, email: str | None, user_type: str | None) -> bool:
    if user_type and re.sub(r"[\s_-]+", "", user_type.casefold()) in _NOT_PERSON_TYPES:
        return False
    if name:
        key = name_key(name)
        if key in _NOT_PERSON_NAMES or key.endswith(" integration user") or key.endswith(" integration"):
            return False
    if email and email.split("@", 1)[0] in _NOT_PERSON_EMAIL_USERS:
        return False
    return True


class OwnerDirectory:
    """Users by id, email and normalised full name; `resolve` maps an owner cell to an email or a reason."""

    def __init__(self) -> None:
        self.users: list[User] = []
        self._by_id: dict[tuple[str, str], User] = {}
        self._by_email: dict[str, User] = {}
        self._by_name: dict[str, list[User]] = {}
        self._ambiguous: dict[str, int] = {}  # owner cells that named several users -> how many

    def __len__(self) -> int:
        return len(self.users)

    def add(self, record: dict[str, str], source: str) -> User | None:
        """Add one users record (canonical fields; missing or empty cells are fine). Returns the user it
        became part of, or None when the record names nobody (no id, name or email)."""

        def cell(key: str) -> str | None:
            value = record.get(key)
            return " ".join(value.split()) if value and value.strip() else None

        raw_id = cell("id")
        name = cell("name") or " ".join(p for p in (cell("first_name"), cell("last_name")) if p) or None
        email: str | None = None
        if cell("email"):
            try:
                email = optional_email(cell("email") or "")
            except Invalid:
                email = None
        if raw_id is None and name is None and email is None:
            return None
        id_key = (source, _id_key(source, raw_id)) if raw_id else None
        user = (self._by_email.get(email) if email else None) or (self._by_id.get(id_key) if id_key else None)
        if user is None:
            user = User()
            self.users.append(user)
        user.sources.add(source)
        if id_key:
            user.ids.add(id_key)
            self._by_id[id_key] = user
        if email:
            if user.email and user.email != email:
                self._by_email.pop(user.email, None)
            user.email = email
            self._by_email[email] = user
        if name and name != user.name:
            if user.name:
                others = self._by_name.get(name_key(user.name), [])
                if user in others:
                    others.remove(user)
            user.name = name
        if user.name:
            named = self._by_name.setdefault(name_key(user.name), [])
            if user not in named:
                named.append(user)
        active = _is_active(record.get("active"))
        if active is not None:
            user.active = active
        user.user_type = cell("user_type") or user.user_type
        user.manager = cell("manager") or user.manager
        user.person = _is_person(user.name, user.email, user.user_type)
        return user

    # ----------------------------------------------------------------------------------- resolving

    def resolve(self, raw: str, source: str | None = None) -> tuple[str | None, str | None]:
        """An owner cell -> (email, None) or (None, reason), reason one of unknown | inactive | not_a_person.

        - an email is returned lower-cased, as is (the directory is not needed for it), unless the cell marks
          the user deactivated;
        - a user id (Salesforce 15 or 18 characters: the same user; HubSpot or Pipedrive numbers) gives its
          user's email; with `source`, only ids from that source and from accountbot's own directory count;
        - a full name, in any case and spacing, gives its user's email; a name that two users share is
          `unknown` (and listed in `ambiguous_names`): never guessed;
        - an empty cell is (None, None): no owner, nothing to report.
        """
        found = self.lookup(raw, source)
        return found.email, found.reason

    def shown(self, raw: str, source: str | None = None) -> str:
        """An owner cell as people know it: the user's name when the cell is an id the directory knows."""
        users = self._users_by_id(" ".join(raw.split()), source)
        if len(users) == 1 and users[0].name:
            return users[0].name
        return raw

    def lookup(self, raw: str, source: str | None = None) -> Resolution:
        """`resolve` with a sentence saying why (for warnings)."""
        text = " ".join(raw.split())
        if not text:
            return Resolution(None, None)
        marked_inactive = bool(_INACTIVE_SUFFIX.search(text))
        text = _INACTIVE_SUFFIX.sub("", text).strip()
        if "@" in text:
            try:
                address = optional_email(text)
            except Invalid:
                address = None
            if address is not None:
                user = self._by_email.get(address)
                if marked_inactive:
                    return Resolution(None, "inactive", f"{text} is marked deactivated")
                if user is not None and not user.person:
                    return Resolution(None, "not_a_person", f"{text} is a system user, not a person")
                return Resolution(address, None)
        by_id = self._users_by_id(text, source)
        if by_id:
            return self._verdict(by_id, text, marked_inactive, "id")
        by_name = self._by_name.get(name_key(text), [])
        if by_name:
            return self._verdict(by_name, text, marked_inactive, "name")
        if marked_inactive:
            return Resolution(None, "inactive", f"{text} is marked deactivated")
        return Resolution(None, "unknown", f"{text} is not in the owner directory (--owners)")

    def _users_by_id(self, text: str, source: str | None) -> list[User]:
        sources = [source, "accountbot"] if source else sorted({s for s, _ in self._by_id})
        out: list[User] = []
        for s in dict.fromkeys(sources):
            if s is None:
                continue
            user = self._by_id.get((s, _id_key(s, text)))
            if user is not None and user not in out:
                out.append(user)
        return out

    def _verdict(self, users: list[User], text: str, marked_inactive: bool, by: str) -> Resolution:
        if len(users) > 1:
            self._ambiguous[text] = len(users)
            return Resolution(
                None,
                "unknown",
                f"{len(users)} users of the owner directory share the {by} {text!r}; not guessed",
            )
        user = users[0]
        if not user.person:
            return Resolution(None, "not_a_person", f"{text} is a system user, not a person")
        if marked_inactive or not user.active:
            return Resolution(None, "inactive", f"{text} is deactivated")
        if user.email is None:
            return Resolution(None, "unknown", f"{text} has no email in the owner directory")
        return Resolution(user.email, None)

    def managers(self) -> dict[str, str]:
        """Owner email -> manager email, for the people whose `manager` cell (a CRM user id, a full name or an
        email) names one other active person with an email in this directory (storage.escalation keeps them).
        Never guessed: a cell that names nobody, or several, is left out (and not reported as an owner cell)."""
        out: dict[str, str] = {}
        for user in self.users:
            if not (user.manager and user.email and user.person):
                continue
            ambiguous = dict(self._ambiguous)
            found = [self.lookup(user.manager, source) for source in sorted(user.sources)]
            self._ambiguous = ambiguous  # manager cells are not owner cells
            emails = {f.email for f in found if f.email}
            if len(emails) == 1 and user.email not in emails:
                out[user.email] = emails.pop()
        return out

    @property
    def ambiguous_names(self) -> list[str]:
        """The owner cells resolved so far that named several users (so were left unresolved)."""
        return sorted(self._ambiguous)
