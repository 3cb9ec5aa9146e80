"""Benchmark: matching 10,000 feed entries against 10,000 accounts (news.match, Aho-Corasick).

Prints one JSON line per figure. The baseline is the obvious approach, one compiled word-boundary regex
per account name tried on every entry; it is far too slow to run in full, so it runs on a sample of the
entries and is extrapolated linearly (it is linear in the number of entries). Targets: <= 1 s, >= 50x.
"""

from __future__ import annotations

import json
import random
import re
import time
from dataclasses import dataclass

from news.match import Matcher

N_ACCOUNTS = 10_000
N_ENTRIES = 10_000
REGEX_SAMPLE = 200
SYLLABLES = "ka lo mi ra ven tor bel qua zin dro pel sar nex vol tri gal mor fen lux cor ber dan hal".split()
SUFFIXES = ["", "", " Software", " Logistics", " Health", " Foods", " Capital", " Motors", " Labs", " Group"]
VERBS = [
    "raises forecast",
    "opens plant in Ohio",
    "names new CEO",
    "cuts 200 jobs",
    "wins contract",
    "shares fall",
]
FILLER = "Markets rally as investors weigh rate outlook and earnings season begins in earnest".split()


@dataclass(frozen=True)
class Acc:
    id: int
    name: str
    aliases: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = ()


def make_accounts(rng: random.Random) -> list[Acc]:
    names: set[str] = set()
    while len(names) < N_ACCOUNTS:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        names.add(word + rng.choice(SUFFIXES))
    return [Acc(i, name) for i, name in enumerate(sorted(names))]


def make_entries(rng: random.Random, accounts: list[Acc]) -> list[tuple[str, str]]:
    entries = []
    for i in range(N_ENTRIES):
        if i % 3 == 0:
            title = " ".join(rng.sample(FILLER, 9)).capitalize()
        else:
            title = f"{rng.choice(accounts).name} {rng.choice(VERBS)}"
        summary = " ".join(rng.sample(FILLER, 12)) + f", said {rng.choice(accounts).name}."
        entries.append((title, summary))
    return entries


def main() -> None:
    rng = random.Random(20260302)
    accounts = make_accounts(rng)
    entries = make_entries(rng, accounts)

    start = time.perf_counter()
    matcher = Matcher(accounts)
    built = time.perf_counter() - start
    start = time.perf_counter()
    found = sum(len(matcher.entry_accounts(title, summary)) for title, summary in entries)
    matched = time.perf_counter() - start
    total = built + matched

    patterns = [re.compile(r"(?<!\w)" + re.escape(a.name) + r"(?!\w)") for a in accounts]
    start = time.perf_counter()
    baseline_found = 0
    for title, summary in entries[:REGEX_SAMPLE]:
        for rx in patterns:
            if rx.search(title) or rx.search(summary):
                baseline_found += 1
    regex_sample = time.perf_counter() - start
    regex_full = regex_sample * (N_ENTRIES / REGEX_SAMPLE)

    print(json.dumps({"name": "match_build_automaton_10k_accounts", "value": round(built, 4), "unit": "s"}))
    print(
        json.dumps(
            {
                "name": "match_10k_entries_10k_accounts",
                "value": round(matched, 4),
                "unit": "s",
                "mentions": found,
                "target": 1.0,
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "match_10k_entries_10k_accounts_incl_build",
                "value": round(total, 4),
                "unit": "s",
                "target": 1.0,
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "regex_loop_10k_entries_10k_accounts_extrapolated",
                "value": round(regex_full, 2),
                "unit": "s",
                "measured_entries": REGEX_SAMPLE,
                "measured_seconds": round(regex_sample, 3),
            }
        )
    )
    print(
        json.dumps(
            {
                "name": "match_speedup_vs_regex_loop",
                "value": round(regex_full / total, 1),
                "unit": "x",
                "baseline": round(regex_full, 2),
                "ratio": round(regex_full / total, 1),
                "target": 50,
            }
        )
    )


if __name__ == "__main__":
    main()
