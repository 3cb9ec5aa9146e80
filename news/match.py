"""Which accounts a headline mentions: one Aho-Corasick pass (pyahocorasick) over names and aliases.

Names match as written and as whole words; where capitals prove nothing a one-word name needs evidence; the
longer name wins; exclusion phrases drop an account. The rules, in order: docs/news.md#matching-rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

import ahocorasick

_QUOTES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "“": '"', "”": '"', "\u00a0": " ", "‐": "-", "‑": "-"})
_SENTENCE_BREAK = set(":.!?|—–-\"'([{;")
_WORD = re.compile(r"[A-Za-z][A-Za-z'&.-]*")
_SMALL_WORDS = frozenset(
    "a an and as at but by for from in into of off on onto or over per the to up via vs with amid after".split()
)

# Words that, right after an ordinary-word name, show a company is meant: business nouns ("Gap shares",
# "the Shell refinery") and the verbs of business headlines ("Target cuts ...").
BUSINESS_NOUNS = frozenset(
    """
    inc inc. corp corp. co co. plc ltd ltd. llc ag sa nv group holdings
    ceo cfo cto chief boss chairman founder executives staff workers employees union board investors shareholders
    shares stock stocks earnings revenue revenues profit profits sales results outlook forecast guidance
    quarter quarterly dividend dividends deal deals merger buyout bid ipo layoffs jobs
    stores store outlets branches customers clients users app apps platform unit units division subsidiary
    partnership partnerships stations station cards card cloud warehouse warehouses flights flight passengers
    drivers refinery refineries plant plants factory factories headquarters devices products services
    payments network pharmacy engineers brand brands executive executives lawsuit credit debit
    """.split()
)
BUSINESS_VERBS = frozenset(
    """
    to will would could may might is was are were has had have says said and & vs. vs
    announces announced unveils unveiled launches launched reports reported posts posted beats beat misses missed
    buys bought acquires acquired sells sold cuts cut raises raised hikes hiked lowers lowered slashes boosts
    lifts tops tumbles slumps jumps surges soars falls rises drops slips climbs gains sinks plunges rallies
    sues sued wins won loses lost plans planned agrees agreed signs signed partners teams invests invested
    hires hired names named appoints appointed fires fired opens opened closes closed expands expanded
    faces faced warns warned confirms confirmed denies denied rejects rejected settles settled recalls recalled
    fined fines probes probed targets targeted pulls pulled pledges pledged seeks sought eyes eyed mulls weighs
    delays delayed halts halted resumes resumed returns returned reaches reached ends ended starts started
    completes completed considers commits backs backed joins joined leaves left moves moved shifts shifted
    tests tested rolls rolled adds added drops dropped scraps scrapped trims trimmed axes axed restructures
    reorganizes overhauls rebrands renames taps picks picked sees saw expects expected predicts
    cancels cancelled suffers suffered gets got grows grew backed owned based led funded listed
    """.split()
)
COMPANY_CUES = BUSINESS_NOUNS | BUSINESS_VERBS


class Nameable(Protocol):
    """Anything with an id, a name, aliases and exclusion phrases (storage.feeds.MatchAccount fits)."""

    @property
    def id(self) -> int: ...
    @property
    def name(self) -> str: ...
    @property
    def aliases(self) -> Sequence[str]: ...
    @property
    def exclusions(self) -> Sequence[str]: ...


@dataclass(frozen=True, slots=True)
class Hit:
    account_id: int
    start: int
    end: int
    pattern: str


def normalize(text: str) -> str:
    """Typographic quotes and dashes to ASCII, whitespace collapsed (same text the patterns are built from)."""
    return " ".join(text.translate(_QUOTES).split())


def _lower_same_length(text: str) -> str:
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(c.lower()[:1] or c for c in text)


def _is_wordish(pattern: str) -> bool:
    """A one-word name shaped like an ordinary capitalised word ("Target"), so capitals alone prove little."""
    return pattern.isalpha() and pattern[:1].isupper() and pattern[1:].islower()


_UPPER = re.compile(r"[A-Z]")
_LOWER = re.compile(r"[a-z]")


def is_shouting(text: str) -> bool:
    """A headline set in capitals (ASCII letters counted; at least 90 % upper case)."""
    upper = len(_UPPER.findall(text))
    lower = len(_LOWER.findall(text))
    return upper + lower >= 6 and upper >= 0.9 * (upper + lower)


def is_title_case(text: str) -> bool:
    """Every content word capitalised ("Shell Company Schemes Cost Taxpayers Billions")."""
    words = [w for w in _WORD.findall(text)[1:] if len(w) >= 4 and w.lower() not in _SMALL_WORDS]
    return len(words) >= 3 and all(w[0].isupper() for w in words)


class Matcher:
    """Built once per workspace (and poll), then used for every entry. Thread-safe for reading."""

    def __init__(self, accounts: Iterable[Nameable]) -> None:
        self._exact = ahocorasick.Automaton()
        self._caseless = ahocorasick.Automaton()
        exact: dict[str, set[int]] = {}
        # One-word aliases that begin a longer official name -> the word that follows them in that name.
        self._short: dict[tuple[int, str], str] = {}
        self.exclusions: dict[int, tuple[str, ...]] = {}
        self.names: dict[int, str] = {}
        for account in accounts:
            self.names[account.id] = account.name
            excl = tuple(normalize(e).casefold() for e in account.exclusions if normalize(e))
            if excl:
                self.exclusions[account.id] = excl
            full = normalize(account.name)
            for raw in (account.name, *account.aliases):
                for pattern in _variants(raw):
                    exact.setdefault(pattern, set()).add(account.id)
                    if _is_wordish(pattern) and full.startswith(pattern + " "):
                        self._short[(account.id, pattern)] = full[len(pattern) + 1 :].split(" ")[0].casefold()
        caseless: dict[str, set[tuple[int, str]]] = {}
        for pattern, ids in exact.items():
            self._exact.add_word(pattern, (pattern, tuple(sorted(ids))))
            for account_id in ids:
                caseless.setdefault(_lower_same_length(pattern), set()).add((account_id, pattern))
        for key, pairs in caseless.items():
            self._caseless.add_word(key, tuple(sorted(pairs)))
        self.empty = not exact
        if exact:
            self._exact.make_automaton()
            self._caseless.make_automaton()

    # ------------------------------------------------------------------------------------------------------
    def hits(self, text: str) -> list[Hit]:
        """Every accepted mention in one piece of text (a title or a summary)."""
        if self.empty or not text:
            return []
        text = normalize(text)
        shouting = is_shouting(text)
        raw: list[Hit] = []
        if shouting:
            lowered = _lower_same_length(text)
            for end, pairs in self._caseless.iter(lowered):
                for account_id, pattern in pairs:
                    raw.append(Hit(account_id, end - len(pattern) + 1, end + 1, pattern))
        else:
            for end, (pattern, ids) in self._exact.iter(text):
                raw.extend(Hit(account_id, end - len(pattern) + 1, end + 1, pattern) for account_id in ids)
        bounded = [h for h in raw if _whole_word(text, h.start, h.end)]
        if not bounded:
            return []
        title_case = not shouting and is_title_case(text)
        folded = text.casefold() if self.exclusions else ""
        confirmed = {
            h.pattern
            for h in bounded
            if not shouting
            and not title_case
            and not _sentence_start(text, h.start)
            and not self._other_entity(text, h)
            and not _wordish_without_evidence(text, h, False, False, set())
        }
        accepted = [
            h
            for h in bounded
            if not (not shouting and not title_case and self._other_entity(text, h))
            and not _wordish_without_evidence(text, h, title_case, shouting, confirmed)
            and not self._excluded(folded, h.account_id)
        ]
        return _drop_nested(accepted)

    def accounts_in(self, *texts: str) -> list[int]:
        """Account ids mentioned in any of the texts, in order of first appearance."""
        seen: dict[int, None] = {}
        for text in texts:
            for hit in self.hits(text):
                seen.setdefault(hit.account_id, None)
        return list(seen)

    def entry_accounts(self, title: str, summary: str = "", feed_account_id: int | None = None) -> list[int]:
        """The accounts an entry is about. For a per-account feed: that account unless others are named
        and it is not (its name in any case counts as named)."""
        found = self.accounts_in(title, summary)
        if feed_account_id is None:
            return found
        if feed_account_id in found or not found:
            return [feed_account_id, *[a for a in found if a != feed_account_id]]
        if self._names_anywhere(feed_account_id, f"{title} {summary}"):
            return [feed_account_id, *found]
        return found

    # ------------------------------------------------------------------------------------------------------
    def _other_entity(self, text: str, hit: Hit) -> bool:
        """A short alias followed by another capitalised word names something else: "Jaguar Land Rover"
        is not Jaguar Robotics, "Atlas Mountains" is not Atlas Mutual Insurance. Followed by the next word
        of its own name in lower case, it is the ordinary word ("Nimbus cloud formations")."""
        continuation = self._short.get((hit.account_id, hit.pattern))
        if continuation is None or text[hit.end : hit.end + 1] != " ":
            return False
        nxt = _next_token(text, hit.end)
        if nxt.casefold() == continuation:
            # "Nimbus Cloud ..." continues the official name; "Nimbus cloud ..." is the ordinary word.
            return nxt[:1].islower()
        return nxt[:1].isupper() and nxt.casefold() not in COMPANY_CUES

    def _excluded(self, folded_text: str, account_id: int) -> bool:
        return any(_contains_words(folded_text, phrase) for phrase in self.exclusions.get(account_id, ()))

    def _names_anywhere(self, account_id: int, text: str) -> bool:
        lowered = _lower_same_length(normalize(text))
        for end, pairs in self._caseless.iter(lowered):
            for pid, pattern in pairs:
                if pid == account_id and _whole_word(lowered, end - len(pattern) + 1, end + 1):
                    return True
        return False


def _variants(raw: str) -> list[str]:
    name = normalize(raw)
    if len(name) < 2:
        return []
    out = [name]
    stripped = name.rstrip(".")
    if stripped != name and len(stripped) >= 2:
        out.append(stripped)
    return out


def _whole_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    return not (before.isalnum() or before == "_") and not (after.isalnum() or after == "_")


def _contains_words(folded_text: str, phrase: str) -> bool:
    start = folded_text.find(phrase)
    while start != -1:
        if _whole_word(folded_text, start, start + len(phrase)):
            return True
        start = folded_text.find(phrase, start + 1)
    return False


def _sentence_start(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in _SENTENCE_BREAK


def _next_token(text: str, end: int) -> str:
    """The word after a name, as written ("'s" for a possessive, "," for a list); after a hyphen, the word
    it joins ("Amazon-owned" -> "owned")."""
    rest = text[end:]
    if rest.startswith("'s") or rest.startswith("'"):
        return "'s"
    if rest[:1] in (",", "&", "/"):
        # A list of names ("Visa, Mastercard"), not of ordinary words ("Target, shell, gap").
        listed = _WORD.match(rest[1:].lstrip())
        return "," if listed and listed.group(0)[:1].isupper() else ""
    if rest[:1] == "-":
        rest = rest[1:]
    match = _WORD.match(rest.lstrip())
    return match.group(0).rstrip(".") if match else ""


def _wordish_without_evidence(
    text: str, hit: Hit, title_case: bool, shouting: bool, confirmed: set[str]
) -> bool:
    """True if the hit is an ordinary-looking word in a place where capitals prove nothing, with no sign
    that the company is meant."""
    if not _is_wordish(hit.pattern):
        return False
    before = text[: hit.start].rstrip()
    previous = before.rsplit(" ", 1)[-1] if before else ""
    initial = not before or before[-1] in _SENTENCE_BREAK
    # Capitals prove nothing at a sentence start, in Title Case or capitals, after "the" ("the Amazon"),
    # or right after another capitalised word ("Trafalgar Square").
    after_capital = bool(previous) and previous[:1].isupper() and not initial and previous[-1:] not in ",;"
    uninformative = initial or title_case or shouting or previous.lower() == "the" or after_capital
    if not uninformative or hit.pattern in confirmed:
        return False
    nxt = _next_token(text, hit.end)
    if nxt in ("'s", ",") or nxt.casefold() in BUSINESS_NOUNS:
        return False
    if previous.lower() == "the" and not initial:
        return True  # "the Amazon falls": a name after "the" is not the subject of a verb
    if nxt.casefold() in BUSINESS_VERBS or _verb_follows(text, hit.end, nxt):
        return False
    if initial and not title_case and not shouting:
        after = text[hit.end :].lstrip()
        if not after or after[0] in ":;.!?":
            return False  # the name stands alone ("Apple: the quiet winner ...")
        if len(nxt) > 1 and any(c.isupper() for c in nxt):
            return False  # a brand or product name follows ("Apple Watch", "Amazon Prime", "Apple iPhone")
    if not nxt and not text[hit.end :].strip() and previous.lower() != "the":
        return False  # the headline ends with the name ("... says Target"), not "... in the Amazon"
    return True


_PARTICLES = frozenset("up off out down back over its a an the new more another".split())


def _verb_follows(text: str, end: int, nxt: str) -> bool:
    """Grammar rather than vocabulary: an adverb ("Apple quietly buys"), or a word in -s followed by a
    particle, an article or a capitalised word ("Shell quits Dutch ...", "Oracle lays off ...")
    is a verb, so the name before it is its subject. ("Visa delays hit ..." is a noun and its verb.)"""
    word = nxt.casefold()
    if len(word) > 4 and word.endswith("ly"):
        return True
    if len(word) < 4 or not word.endswith("s") or word.endswith("ss") or not nxt.islower():
        return False
    rest = text[end:].lstrip().split(" ", 2)
    if not rest[0].isalpha():
        return False  # "roots:" ends a phrase
    following = rest[1] if len(rest) > 1 else ""
    return following.casefold() in _PARTICLES or following[:1].isupper()


def _drop_nested(hits: list[Hit]) -> list[Hit]:
    """Drop a hit lying inside a longer hit of another account."""
    if len(hits) < 2:
        return hits
    keep = []
    for h in hits:
        inside = any(
            o.account_id != h.account_id
            and o.start <= h.start
            and h.end <= o.end
            and (o.end - o.start) > (h.end - h.start)
            for o in hits
        )
        if not inside:
            keep.append(h)
    return keep
