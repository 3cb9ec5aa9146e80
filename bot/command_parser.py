"""Parsing the text of `/account ...` into typed commands. Pure: no Slack calls, no database, no clock.

Slack sends the command text with `& < >` escaped and (with `should_escape` on) mentions, channels and links
as `<@U123|name>`, `<#C123|name>`, `<https://...|label>`. The tokenizer keeps those `<...>` chunks whole and
understands straight and curly double quotes, so names with spaces can be quoted.

Every problem raises `CommandError` with a message that says what was wrong and what to type instead.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz import fuzz, process

from accounts.levels import parse_level

MAX_TEXT = 4000
MAX_NAME = 200
MAX_NOTE = 3000
MAX_REASON = 500
MAX_SNOOZE_DAYS = 365

TOUCH_KINDS: tuple[str, ...] = ("meeting", "call", "video", "email", "visit", "review", "other")
LIST_FILTERS: tuple[str, ...] = (
    "key",
    "secondary",
    "a",
    "b",
    "c",
    "mine",
    "stale",
    "prospects",
    "growth",
    "maintenance",
    "service",
)
LEVEL_FIELDS: tuple[str, ...] = ("strategic_value", "pain_factor", "profitability")
HIGH_LOW_FIELDS: tuple[str, ...] = ("engagement", "potential")
PERCENT_FIELDS: tuple[str, ...] = ("wallet_share", "profit_margin")
SET_FIELDS: tuple[str, ...] = (
    *LEVEL_FIELDS,
    *HIGH_LOW_FIELDS,
    *PERCENT_FIELDS,
    "stage",
    "owner",
    "sponsor",
    "aliases",
    "feed",
)
SPONSOR_LEVELS: dict[str, str] = {
    "executive": "executive",
    "exec": "executive",
    "project_manager": "project_manager",
    "project-manager": "project_manager",
    "pm": "project_manager",
}
CHART_KINDS: dict[str, str] = {
    "quadrant": "quadrant",
    "quadrants": "quadrant",
    "concentration": "concentration",
    "pareto": "concentration",
}
CHART_SCOPES: tuple[str, ...] = ("mine", "all")
DECISION_MAKER_WORDS = frozenset({"decision-maker", "decision_maker", "decisionmaker", "dm"})
CLEAR_WORDS = frozenset({"none", "unknown", "clear", "-"})

_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "\u201d": "\u201d"}
# Slack ids are short; the bounds keep a typed one within its column (user ids 32, channel ids 64 characters)
_USER_RE = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$")
_BARE_USER_RE = re.compile(r"^[UW][A-Z0-9]{6,31}$")
_CHANNEL_RE = re.compile(r"^<#([CG][A-Z0-9]{2,63})(?:\|[^>]*)?>$")
_BARE_CHANNEL_RE = re.compile(r"^[CG][A-Z0-9]{6,63}$")
_LINK_RE = re.compile(r"^<((?:https?|ftp|file|javascript|mailto|data)[^|>]*)(?:\|[^>]*)?>$", re.IGNORECASE)
_DURATION_RE = re.compile(r"^(\d{1,4})\s*(d|day|days|w|wk|week|weeks)$", re.IGNORECASE)
_MARKUP_RE = re.compile(r"<([^<>]*)>")


class CommandError(ValueError):
    """The text could not be understood. `str(err)` is the message for the user; `usage` an example."""

    def __init__(self, message: str, usage: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage


# ---------------------------------------------------------------------------------------------- commands


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class Grade:
    name: str
    implicit: bool = False  # `/account NAME` without the word `grade`: maybe a mistyped subcommand


@dataclass(frozen=True, slots=True)
class ListAccounts:
    filter: str | None = None
    page: int = 1


@dataclass(frozen=True, slots=True)
class LogTouch:
    name: str
    kind: str
    contact: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Contacts:
    name: str


@dataclass(frozen=True, slots=True)
class ContactAdd:
    name: str
    full_name: str
    title: str | None = None
    decision_maker: bool = False


@dataclass(frozen=True, slots=True)
class ContactLeft:
    name: str
    full_name: str


@dataclass(frozen=True, slots=True)
class SetField:
    """`value` is already validated and typed: str | float | list[str] | None (None clears)."""

    name: str
    field: str
    value: object
    sponsor_level: str | None = None


@dataclass(frozen=True, slots=True)
class Snooze:
    name: str
    until: date
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Focus:
    pass


@dataclass(frozen=True, slots=True)
class Feeds:
    action: str = "list"  # list | add
    url: str | None = None
    channel: str | None = None


@dataclass(frozen=True, slots=True)
class Chart:
    """`chart quadrant [mine|all] [in #channel]` / `chart concentration [in #channel]`.
    `scope` None means the default (mine when the requester owns accounts, else all); `channel` None means
    the requester's DM."""

    kind: str  # quadrant | concentration
    scope: str | None = None
    channel: str | None = None


Command = (
    Help
    | Grade
    | ListAccounts
    | LogTouch
    | Contacts
    | ContactAdd
    | ContactLeft
    | SetField
    | Snooze
    | Focus
    | Feeds
    | Chart
)


# ---------------------------------------------------------------------------------------------- tokens


@dataclass(frozen=True, slots=True)
class Token:
    text: str  # raw text (quotes removed, Slack markup kept)
    quoted: bool = False

    @property
    def word(self) -> str:
        return self.text.casefold()


def unescape(text: str) -> str:
    """Undo Slack's escaping of `& < >` (in this order, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str) -> str:
    """Slack markup turned into readable plain text, entities unescaped: what we store for names and notes.

    `<@U1|ann>` -> `@ann`, `<!channel>` -> `@channel`, `<#C1|general>` -> `#general`, `<https://x|X>` -> `X (https://x)`.
    """

    def repl(match: re.Match[str]) -> str:
        inner = match.group(1)
        target, _, label = inner.partition("|")
        if target.startswith("@"):
            return "@" + (label or target[1:])
        if target.startswith("!"):
            name = label or target[1:].split("^")[0]
            return name if name.startswith("@") else "@" + name
        if target.startswith("#"):
            return "#" + (label or target[1:])
        if label and label != target:
            return f"{label} ({target})"
        return target

    return unescape(_MARKUP_RE.sub(repl, text)).strip()


def clean_text(text: str | None) -> str:
    """Validate the raw command text: length and control characters. Returns it with whitespace normalised."""
    if text is None:
        return ""
    if len(text) > MAX_TEXT:
        raise CommandError(
            f"That command is {len(text):,} characters long; the limit is {MAX_TEXT:,}. "
            "Shorten the note (or split it over two touches) and try again."
        )
    text = text.replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace("\t", " ")
    for ch in text:
        if unicodedata.category(ch) == "Cc":
            raise CommandError(
                f"The command contains an invisible control character (U+{ord(ch):04X}). "
                "Retype it without pasting special characters and try again."
            )
    return text.strip()


def tokenize(text: str) -> list[Token]:
    """Split on spaces; `"..."` (straight or curly quotes) and Slack's `<...>` chunks stay whole."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        if ch in _QUOTES:
            closing = _QUOTES[ch]
            end = -1
            for j in range(i + 1, n):
                if text[j] == closing or (text[j] in ('"', "\u201d") and closing in ('"', "\u201d")):
                    end = j
                    break
            if end == -1:
                raise CommandError(
                    "A quote is opened but never closed. Put quotes around the whole name, "
                    'for example: /account contact add Acme "Jane Doe" CFO'
                )
            tokens.append(Token(text[i + 1 : end].strip(), quoted=True))
            i = end + 1
            continue
        start = i
        while i < n and not text[i].isspace() and text[i] not in _QUOTES:
            if text[i] == "<":
                close = text.find(">", i)
                i = close + 1 if close != -1 else i + 1
            else:
                i += 1
        tokens.append(Token(text[start:i]))
    return tokens


def join_name(tokens: list[Token], what: str = "account name", usage: str | None = None) -> str:
    if not tokens:
        raise CommandError(f"The {what} is missing.", usage)
    name = plain(" ".join(t.text for t in tokens))
    name = " ".join(name.split())
    if not name:
        raise CommandError(f"The {what} is missing.", usage)
    if len(name) > MAX_NAME:
        raise CommandError(
            f"That {what} is {len(name)} characters long; names have at most {MAX_NAME}.", usage
        )
    if len(_name_key(name)) > MAX_NAME:
        raise CommandError(
            f"That {what} is too long once normalised (letters such as ß count twice); shorten it.", usage
        )
    return name


def _name_key(name: str) -> str:
    """storage.accounts.name_key (kept pure here): names are unique, and stored, by this key of at most
    MAX_NAME characters, which casefolding and NFKC can make longer than the name ("ß" -> "ss")."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


# ---------------------------------------------------------------------------------------------- values


def parse_rating(value: str, allowed: tuple[str, ...] = ("high", "medium", "low")) -> str:
    """high | medium | low (H/M/L in any case, via the shared accounts.levels parser), limited to `allowed`."""
    try:
        level = parse_level(value)
    except ValueError:
        level = None
    if level is None or level not in allowed:
        shown = ", ".join(allowed)
        raise CommandError(
            f"`{plain(value)[:40]}` is not a rating here; use {shown} (or the first letter).", SET_USAGE
        )
    return level


def parse_percent(value: str, field_name: str, *, low: float, high: float) -> float:
    text = value.strip().rstrip("%").strip().replace(",", ".")
    try:
        number = float(text)
    except ValueError:
        raise CommandError(
            f"{field_name} must be a percentage such as 60 or 60%; got `{plain(value)[:40]}`."
        ) from None
    if number != number or not (low <= number <= high):  # NaN or out of range
        raise CommandError(
            f"{field_name} must be between {low:g} and {high:g} percent; got {plain(value)[:40]}."
        )
    return number


def parse_user(token: Token) -> str:
    """A Slack user id from `<@U123|name>` (or a bare id)."""
    m = _USER_RE.match(token.text)
    if m:
        return m.group(1)
    if _BARE_USER_RE.match(token.text):
        return token.text
    raise CommandError(
        f"`{plain(token.text)[:40]}` is not a Slack user. Mention the person with @ so Slack links the name, "
        "for example: /account set Acme owner @jane"
    )


def parse_channel(token: Token) -> str:
    m = _CHANNEL_RE.match(token.text)
    if m:
        return m.group(1)
    if _BARE_CHANNEL_RE.match(token.text):
        return token.text
    raise CommandError(
        f"`{plain(token.text)[:40]}` is not a channel. Pick it with # so Slack links it, for example #client-news."
    )


def parse_url(token: Token) -> str:
    """The URL inside Slack's `<url|label>` or a bare URL; only http(s)."""
    m = _LINK_RE.match(token.text)
    url = m.group(1) if m else unescape(token.text)
    url = unescape(url).strip()
    if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
        raise CommandError(
            f"`{plain(token.text)[:80]}` is not a web address; feeds need an http:// or https:// URL."
        )
    return url


def parse_until(tokens: list[Token], today: date) -> tuple[date, int]:
    """A snooze end from `7d`, `2w`, `2 weeks` or `until YYYY-MM-DD`; returns (date, tokens used)."""
    first = tokens[0].word
    if first == "until":
        if len(tokens) < 2:
            raise CommandError("`until` needs a date such as 2026-12-31.", SNOOZE_USAGE)
        try:
            until = date.fromisoformat(tokens[1].text)
        except ValueError:
            raise CommandError(
                f"`{plain(tokens[1].text)[:40]}` is not a date; write it as YYYY-MM-DD, e.g. {today + timedelta(days=14)}.",
                SNOOZE_USAGE,
            ) from None
        used = 2
    else:
        text = first
        used = 1
        if first.isdigit() and len(tokens) > 1:
            text, used = first + tokens[1].word, 2
        m = _DURATION_RE.match(text)
        if not m:
            raise CommandError(
                f"`{plain(first)[:40]}` is not a snooze length; use 7d, 2w or until YYYY-MM-DD.", SNOOZE_USAGE
            )
        count = int(m.group(1))
        days = count * 7 if m.group(2).lower().startswith("w") else count
        if days < 1:
            raise CommandError("A snooze lasts at least one day.", SNOOZE_USAGE)
        if days > MAX_SNOOZE_DAYS:
            raise CommandError(f"A snooze lasts at most {MAX_SNOOZE_DAYS} days.", SNOOZE_USAGE)
        until = today + timedelta(days=days)
    if until <= today:
        raise CommandError(f"{until} is not in the future; pick a later date.", SNOOZE_USAGE)
    if until > today + timedelta(days=MAX_SNOOZE_DAYS):
        raise CommandError(
            f"A snooze lasts at most {MAX_SNOOZE_DAYS} days (until {today + timedelta(days=MAX_SNOOZE_DAYS)}).",
            SNOOZE_USAGE,
        )
    return until, used


def _is_duration_start(tokens: list[Token], i: int) -> bool:
    word = tokens[i].word
    if word == "until":
        return i + 1 < len(tokens)
    if _DURATION_RE.match(word):
        return True
    return word.isdigit() and i + 1 < len(tokens) and bool(_DURATION_RE.match(word + tokens[i + 1].word))


# ---------------------------------------------------------------------------------------------- usages

GRADE_USAGE = "/account grade Acme Corp"
LIST_USAGE = (
    "/account list key   (or: secondary, a, b, c, mine, stale, prospects, growth, maintenance, service)"
)
LOG_USAGE = "/account log Acme meeting with Jane Doe -- talked about the renewal"
CONTACTS_USAGE = "/account contacts Acme"
CONTACT_ADD_USAGE = '/account contact add Acme "Jane Doe" CFO decision-maker'
CONTACT_LEFT_USAGE = '/account contact left Acme "Jane Doe"'
SET_USAGE = "/account set Acme strategic_value high   (fields: " + ", ".join(SET_FIELDS) + ")"
SNOOZE_USAGE = "/account snooze Acme 2w waiting for the budget round"
FEEDS_USAGE = "/account feeds add https://example.com/news.rss #client-news"
CHART_USAGE = (
    "/account chart quadrant mine   (or: /account chart quadrant all in #sales, /account chart concentration)"
)
USAGES = {
    "help": "/account help",
    "grade": GRADE_USAGE,
    "list": LIST_USAGE,
    "log": LOG_USAGE,
    "contacts": CONTACTS_USAGE,
    "contact": CONTACT_ADD_USAGE,
    "set": SET_USAGE,
    "snooze": SNOOZE_USAGE,
    "focus": "/account focus",
    "feeds": FEEDS_USAGE,
    "chart": CHART_USAGE,
}


# ---------------------------------------------------------------------------------------------- subcommands


def _parse_help(args: list[Token], today: date) -> Command:
    return Help(topic=args[0].word if args else None)


def _parse_grade(args: list[Token], today: date) -> Command:
    return Grade(join_name(args, usage=GRADE_USAGE))


def _parse_list(args: list[Token], today: date) -> Command:
    words = [t.word for t in args]
    page = 1
    if words and words[-1].isdigit():
        page = max(1, min(int(words.pop()), 10_000))
        if words and words[-1] == "page":
            words.pop()
    if not words:
        return ListAccounts(None, page)
    if len(words) > 1 or words[0] not in LIST_FILTERS:
        shown = plain(" ".join(words))[:40]
        raise CommandError(f"`{shown}` is not a list filter.", LIST_USAGE)
    return ListAccounts(words[0], page)


def _parse_log(args: list[Token], today: date) -> Command:
    note: str | None = None
    for i, tok in enumerate(args):
        if tok.text == "--" and not tok.quoted:
            note = plain(" ".join(t.text if not t.quoted else f'"{t.text}"' for t in args[i + 1 :])) or None
            args = args[:i]
            break
        if tok.text.startswith("--") and not tok.quoted and len(tok.text) > 2:
            rest = [Token(tok.text[2:])] + args[i + 1 :]
            note = plain(" ".join(t.text for t in rest)) or None
            args = args[:i]
            break
    if note is not None and len(note) > MAX_NOTE:
        raise CommandError(
            f"The note is {len(note):,} characters long; notes have at most {MAX_NOTE:,}.", LOG_USAGE
        )
    with_at = next((i for i, t in enumerate(args) if t.word == "with" and not t.quoted and i >= 2), None)
    head = args[:with_at] if with_at is not None else args
    contact_tokens = args[with_at + 1 :] if with_at is not None else []
    kind_at = next(
        (i for i in range(len(head) - 1, 0, -1) if head[i].word in TOUCH_KINDS and not head[i].quoted), None
    )
    if kind_at is None:
        if len(head) == 1 or (head and head[-1].word in TOUCH_KINDS):
            raise CommandError("Say which account and what kind of touch it was.", LOG_USAGE)
        raise CommandError(
            "Which kind of touch was it? Add one of " + ", ".join(TOUCH_KINDS) + " after the account name.",
            LOG_USAGE,
        )
    if kind_at != len(head) - 1:
        extra = plain(" ".join(t.text for t in head[kind_at + 1 :]))[:60]
        raise CommandError(
            f"I did not understand `{extra}` after the kind. Put the contact after `with` and the note after `--`.",
            LOG_USAGE,
        )
    name = join_name(head[:kind_at], usage=LOG_USAGE)
    contact = join_name(contact_tokens, "contact name", LOG_USAGE) if with_at is not None else None
    return LogTouch(name=name, kind=head[kind_at].word, contact=contact, note=note)


def _parse_contacts(args: list[Token], today: date) -> Command:
    return Contacts(join_name(args, usage=CONTACTS_USAGE))


def _split_on_quoted_person(args: list[Token], usage: str) -> tuple[str, str, list[Token]]:
    """Account name, quoted person name, the tokens after it."""
    if len(args) >= 2 and args[0].quoted and args[1].quoted:
        return join_name(args[:1], usage=usage), join_name(args[1:2], "contact name", usage), args[2:]
    at = next((i for i, t in enumerate(args) if t.quoted and i >= 1), None)
    if at is None:
        raise CommandError("Put the contact's full name in quotes after the account name.", usage)
    return (
        join_name(args[:at], usage=usage),
        join_name(args[at : at + 1], "contact name", usage),
        args[at + 1 :],
    )


def _parse_contact(args: list[Token], today: date) -> Command:
    if not args or args[0].word not in ("add", "left", "leave", "gone"):
        raise CommandError(
            "Use `contact add` to add someone or `contact left` when they leave the client.",
            CONTACT_ADD_USAGE,
        )
    action, rest = args[0].word, args[1:]
    if action == "add":
        name, person, tail = _split_on_quoted_person(rest, CONTACT_ADD_USAGE)
        decision_maker = any(t.word in DECISION_MAKER_WORDS and not t.quoted for t in tail)
        title_tokens = [t for t in tail if not (t.word in DECISION_MAKER_WORDS and not t.quoted)]
        title = plain(" ".join(t.text for t in title_tokens)) or None
        if title and len(title) > MAX_NAME:
            raise CommandError(
                f"The title is {len(title)} characters long; titles have at most {MAX_NAME}.",
                CONTACT_ADD_USAGE,
            )
        return ContactAdd(name=name, full_name=person, title=title, decision_maker=decision_maker)
    name, person, tail = _split_on_quoted_person(rest, CONTACT_LEFT_USAGE)
    if tail:
        raise CommandError(
            "`contact left` takes only the account and the contact's quoted name.", CONTACT_LEFT_USAGE
        )
    return ContactLeft(name=name, full_name=person)


def _set_value(field_name: str, values: list[Token]) -> tuple[object, str | None]:
    if not values:
        raise CommandError(f"`{field_name}` needs a value.", SET_USAGE)
    first = values[0]
    clearing = len(values) == 1 and first.word in CLEAR_WORDS
    if field_name in LEVEL_FIELDS:
        return (None if clearing else parse_rating(_one(values, field_name).text)), None
    if field_name in HIGH_LOW_FIELDS:
        return (None if clearing else parse_rating(_one(values, field_name).text, ("high", "low"))), None
    if field_name == "wallet_share":
        return (
            None
            if clearing
            else parse_percent(_one(values, field_name).text, "wallet_share", low=0, high=100)
        ), None
    if field_name == "profit_margin":
        return (
            None
            if clearing
            else parse_percent(_one(values, field_name).text, "profit_margin", low=-1000, high=100)
        ), None
    if field_name == "stage":
        word = _one(values, field_name).word
        stage = {"client": "client", "customer": "client", "prospect": "prospect", "lead": "prospect"}.get(
            word
        )
        if stage is None:
            raise CommandError(f"stage is client or prospect; got `{plain(first.text)[:40]}`.", SET_USAGE)
        return stage, None
    if field_name == "owner":
        return parse_user(_one(values, field_name)), None
    if field_name == "sponsor":
        if clearing:
            return None, None
        user = parse_user(first)
        level = None
        if len(values) > 2:
            raise CommandError(
                "sponsor takes a person and optionally a level: executive or project_manager.", SET_USAGE
            )
        if len(values) == 2:
            level = SPONSOR_LEVELS.get(values[1].word)
            if level is None:
                raise CommandError(
                    f"`{plain(values[1].text)[:40]}` is not a sponsor level; use executive or project_manager.",
                    SET_USAGE,
                )
        return user, level
    if field_name == "aliases":
        if clearing:
            return [], None
        raw = plain(" ".join(t.text for t in values))
        parts = [" ".join(p.split()) for p in re.split(r"[;,]", raw)]
        aliases = [p for p in parts if p]
        if any(len(a) > MAX_NAME for a in aliases):
            raise CommandError(f"An alias has at most {MAX_NAME} characters.", SET_USAGE)
        if len(aliases) > 20:
            raise CommandError("An account has at most 20 aliases.", SET_USAGE)
        return aliases, None
    if field_name == "feed":
        return (None if clearing else parse_url(_one(values, field_name))), None
    raise CommandError(
        f"`{field_name}` cannot be set.", SET_USAGE
    )  # pragma: no cover - SET_FIELDS guards this


def _one(values: list[Token], field_name: str) -> Token:
    if len(values) != 1:
        shown = plain(" ".join(t.text for t in values))[:60]
        raise CommandError(f"`{field_name}` takes one value; got `{shown}`.", SET_USAGE)
    return values[0]


def _parse_set(args: list[Token], today: date) -> Command:
    at = next((i for i, t in enumerate(args) if i >= 1 and not t.quoted and t.word in SET_FIELDS), None)
    if at is None:
        if args and not args[-1].quoted and len(args) >= 2:
            maybe = args[-2].word if len(args) >= 3 else args[-1].word
            raise CommandError(f"`{plain(maybe)[:40]}` is not a field I can set.", SET_USAGE)
        raise CommandError("Say which account, which field and the new value.", SET_USAGE)
    name = join_name(args[:at], usage=SET_USAGE)
    field_name = args[at].word
    value, level = _set_value(field_name, args[at + 1 :])
    return SetField(name=name, field=field_name, value=value, sponsor_level=level)


def _parse_snooze(args: list[Token], today: date) -> Command:
    at = next((i for i in range(1, len(args)) if not args[i].quoted and _is_duration_start(args, i)), None)
    if at is None:
        raise CommandError("Say which account and for how long: 7d, 2w or until YYYY-MM-DD.", SNOOZE_USAGE)
    name = join_name(args[:at], usage=SNOOZE_USAGE)
    until, used = parse_until(args[at:], today)
    reason = plain(" ".join(t.text for t in args[at + used :])) or None
    if reason and len(reason) > MAX_REASON:
        raise CommandError(f"The reason has at most {MAX_REASON} characters.", SNOOZE_USAGE)
    return Snooze(name=name, until=until, reason=reason)


def _parse_focus(args: list[Token], today: date) -> Command:
    if args:
        raise CommandError("`focus` takes nothing after it.", "/account focus")
    return Focus()


def _parse_feeds(args: list[Token], today: date) -> Command:
    if not args or args[0].word == "list":
        return Feeds("list")
    if args[0].word != "add":
        raise CommandError(
            "Use `feeds` to list the news feeds or `feeds add URL [#channel]` to add one.", FEEDS_USAGE
        )
    rest = args[1:]
    if not rest:
        raise CommandError("`feeds add` needs the feed's URL.", FEEDS_USAGE)
    if len(rest) > 2:
        raise CommandError("`feeds add` takes a URL and optionally a #channel.", FEEDS_USAGE)
    url = parse_url(rest[0])
    channel = parse_channel(rest[1]) if len(rest) == 2 else None
    return Feeds("add", url=url, channel=channel)


def _parse_chart(args: list[Token], today: date) -> Command:
    if not args:
        raise CommandError(
            "Which chart? `quadrant` (engagement x potential) or `concentration` (revenue Pareto).",
            CHART_USAGE,
        )
    kind = None if args[0].quoted else CHART_KINDS.get(args[0].word)
    if kind is None:
        raise CommandError(
            f"`{plain(args[0].text)[:40]}` is not a chart; the charts are `quadrant` and `concentration`.",
            CHART_USAGE,
        )
    scope: str | None = None
    channel: str | None = None
    rest = args[1:]
    i = 0
    while i < len(rest):
        tok = rest[i]
        if not tok.quoted and tok.word in CHART_SCOPES:
            if scope is not None:
                raise CommandError("Say `mine` or `all` once.", CHART_USAGE)
            scope = tok.word
        elif not tok.quoted and tok.word in ("in", "to", "into"):
            if i + 1 >= len(rest):
                raise CommandError(
                    f"`{tok.word}` needs a channel after it, picked with # (for example #sales).", CHART_USAGE
                )
            i += 1
            channel = _chart_channel(rest[i], channel)
        elif not tok.quoted and (tok.text.startswith("<#") or _BARE_CHANNEL_RE.match(tok.text)):
            channel = _chart_channel(tok, channel)
        else:
            shown = plain(tok.text)[:40]
            if tok.text.startswith("#"):
                raise CommandError(
                    f"`{shown}` is not a linked channel. Pick it from the list Slack shows when you type #.",
                    CHART_USAGE,
                )
            raise CommandError(
                f"I did not understand `{shown}`; after the chart come `mine` or `all` and `in #channel`.",
                CHART_USAGE,
            )
        i += 1
    if kind == "concentration" and scope is not None:
        raise CommandError(
            "The concentration chart always covers the whole workspace (the key tier is cut across all clients); "
            "leave out `mine`/`all`.",
            "/account chart concentration",
        )
    return Chart(kind=kind, scope=scope, channel=channel)


def _chart_channel(tok: Token, before: str | None) -> str:
    if before is not None:
        raise CommandError("A chart goes to one channel; name only one.", CHART_USAGE)
    try:
        return parse_channel(tok)
    except CommandError as exc:
        raise CommandError(exc.message, CHART_USAGE) from None


SUBCOMMANDS = {
    "help": _parse_help,
    "grade": _parse_grade,
    "list": _parse_list,
    "log": _parse_log,
    "contacts": _parse_contacts,
    "contact": _parse_contact,
    "set": _parse_set,
    "snooze": _parse_snooze,
    "focus": _parse_focus,
    "feeds": _parse_feeds,
    "chart": _parse_chart,
}


def close_subcommand(word: str) -> str | None:
    """The subcommand `word` is probably a typo of (`lst` -> `list`), if any."""
    found = process.extractOne(word.casefold(), list(SUBCOMMANDS), scorer=fuzz.ratio, score_cutoff=70)
    return found[0] if found else None


def parse(text: str | None, today: date) -> Command:
    """The command for `text` (what follows `/account`); raises CommandError with a helpful message."""
    cleaned = clean_text(text)
    if not cleaned:
        return Help()
    tokens = tokenize(cleaned)
    if not tokens:
        return Help()
    head = tokens[0]
    handler = None if head.quoted else SUBCOMMANDS.get(head.word)
    if handler is None:
        if head.word in ("?", "-h", "--help"):
            return Help()
        return Grade(join_name(tokens, usage=GRADE_USAGE), implicit=True)  # `/account Acme` = `grade Acme`
    return handler(tokens[1:], today)
