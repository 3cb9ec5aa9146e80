"""The text after `/account`: cleaned, split into tokens (Slack's `<...>` chunks and quoted names kept
whole), and read into names, people, channels and URLs. Pure; problems raise CommandError saying what was
wrong and what to type instead (docs/slack-commands.md#bad-input-and-failures).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot.commands.types import CommandError

MAX_TEXT = 4000
MAX_NAME = 200
MAX_NOTE = 3000
MAX_REASON = 500

_QUOTES = {'"': '"', "\u201c": "\u201d", "\u201e": "\u201c", "\u201d": "\u201d"}
# Slack ids are short; the bounds keep a typed one within its column (user ids 32, channel ids 64 characters)
_USER_RE = re.compile(r"^<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>$")
_BARE_USER_RE = re.compile(r"^[UW][A-Z0-9]{6,31}$")
_CHANNEL_RE = re.compile(r"^<#([CG][A-Z0-9]{2,63})(?:\|[^>]*)?>$")
BARE_CHANNEL_RE = re.compile(r"^[CG][A-Z0-9]{6,63}$")
_LINK_RE = re.compile(r"^<((?:https?|ftp|file|javascript|mailto|data)[^|>]*)(?:\|[^>]*)?>$", re.IGNORECASE)
_MARKUP_RE = re.compile(r"<([^<>]*)>")


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
    if len(name_key(name)) > MAX_NAME:
        raise CommandError(
            f"That {what} is too long once normalised (letters such as ß count twice); shorten it.", usage
        )
    return name


def name_key(name: str) -> str:
    """storage.reads.accounts.name_key (kept pure here): names are unique, and stored, by this key of at most
    MAX_NAME characters, which casefolding and NFKC can make longer than the name ("ß" -> "ss")."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    return " ".join(folded.split())


def _slack_id(token: Token, linked: re.Pattern[str], bare: re.Pattern[str]) -> str | None:
    """The id inside Slack's link (`linked`, the id its first group), or the token itself if it is a `bare` id."""
    m = linked.match(token.text)
    if m:
        return m.group(1)
    return token.text if bare.match(token.text) else None


def parse_user(token: Token) -> str:
    """A Slack user id from `<@U123|name>` (or a bare id)."""
    user = _slack_id(token, _USER_RE, _BARE_USER_RE)
    if user is None:
        raise CommandError(
            f"`{plain(token.text)[:40]}` is not a Slack user. Mention the person with @ so Slack links the name, "
            "for example: /account set Acme owner @jane"
        )
    return user


def parse_channel(token: Token) -> str:
    channel = _slack_id(token, _CHANNEL_RE, BARE_CHANNEL_RE)
    if channel is None:
        raise CommandError(
            f"`{plain(token.text)[:40]}` is not a channel. Pick it with # so Slack links it, for example #client-news."
        )
    return channel


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
