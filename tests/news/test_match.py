"""The mention matcher: rules one by one, then precision and recall on a labeled set of headlines."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from news.match import Matcher

LABELED = Path(__file__).with_name("headlines.txt")


@dataclass(frozen=True)
class Acc:
    id: int
    name: str
    aliases: tuple[str, ...] = ()
    exclusions: tuple[str, ...] = field(default=())


WORKSPACE = [
    Acc(1, "Apple", ("Apple Inc.",)),
    Acc(2, "Target", ("Target Corporation",)),
    Acc(3, "Shell", ("Shell plc",)),
    Acc(4, "Gap", ("Gap Inc.",)),
    Acc(5, "Visa", ("Visa Inc.",)),
    Acc(6, "Oracle", ("Oracle Corporation",)),
    Acc(7, "Amazon", ("Amazon.com", "AWS")),
    Acc(8, "Square"),
    Acc(9, "Delta", ("Delta Air Lines",)),
    Acc(10, "Mercury Freight Lines", ("Mercury", "MFL")),
    Acc(11, "Atlas Mutual Insurance", ("Atlas", "Atlas Mutual")),
    Acc(12, "Jaguar Robotics", ("Jaguar",)),
    Acc(13, "Phoenix Logistics", ("Phoenix",)),
    Acc(14, "Summit Savings Bank", ("Summit Bank", "Summit")),
    Acc(15, "Acme Corp."),
    Acc(16, "Globex"),
    Acc(17, "Initech"),
    Acc(18, "Nimbus Cloud Hosting", ("Nimbus",)),
    Acc(19, "Apple Hospitality REIT", ("Apple Hospitality",)),
    Acc(20, "Bank of America"),
    Acc(21, "Halcyon Retail Group", ("Halcyon",)),
]
# The label names used in headlines.txt -> account ids.
LABEL = {
    "Apple": 1,
    "Target": 2,
    "Shell": 3,
    "Gap": 4,
    "Visa": 5,
    "Oracle": 6,
    "Amazon": 7,
    "Square": 8,
    "Delta": 9,
    "Mercury": 10,
    "Atlas Mutual": 11,
    "Jaguar": 12,
    "Phoenix": 13,
    "Summit": 14,
    "Acme": 15,
    "Globex": 16,
    "Initech": 17,
    "Nimbus": 18,
    "Apple Hospitality": 19,
    "Bank of America": 20,
    "Halcyon": 21,
}


def _labeled(batch: str | None = None) -> list[tuple[set[int], str]]:
    """All labeled headlines, or those of one batch ("tuning", "held-out", "held-out batch 2", ...)."""
    rows = []
    current = "tuning"
    for line in LABELED.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ---"):
            current = line[5:].split(":")[0].strip()
            continue
        if not line.strip() or line.startswith("#") or (batch is not None and current != batch):
            continue
        labels, headline = (part.strip() for part in line.split("|", 1))
        expected = set() if labels == "-" else {LABEL[name.strip()] for name in labels.split(",")}
        rows.append((expected, headline))
    return rows


def _score(matcher: Matcher, batch: str | None = None) -> tuple[float, float, list[str]]:
    tp = fp = fn = 0
    errors = []
    for expected, headline in _labeled(batch):
        found = set(matcher.accounts_in(headline))
        tp += len(found & expected)
        fp += len(found - expected)
        fn += len(expected - found)
        if found != expected:
            names = {a.id: a.name for a in WORKSPACE}
            errors.append(
                f"  {headline!r}: expected {sorted(names[i] for i in expected)}, got {sorted(names[i] for i in found)}"
            )
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall, errors


def test_labeled_set_is_big_and_balanced() -> None:
    rows = _labeled()
    positives = sum(1 for expected, _ in rows if expected)
    assert len(rows) >= 400 and 150 <= positives <= len(rows) - 150


def test_precision_and_recall_on_labeled_headlines() -> None:
    """The target holds on the whole set: the headlines the rules were tuned on plus three batches written
    later (see the comments in headlines.txt: only batch 3 was never looked at before the last change).
    Per-batch figures are printed; the later batches score lower."""
    matcher = Matcher(WORKSPACE)
    batches = ["tuning", "held-out batch", "held-out batch 2", "held-out batch 3", "held-out batch 4"]
    per_batch = []
    for batch in batches:
        p, r, _ = _score(matcher, batch)
        per_batch.append(f"{batch}: precision {p:.3f} recall {r:.3f} ({len(_labeled(batch))} headlines)")
    precision, recall, errors = _score(matcher)
    report = (
        f"precision {precision:.4f}, recall {recall:.4f} over {len(_labeled())} headlines\n  "
        + "\n  ".join(per_batch)
        + f"\n{len(errors)} headlines wrong:\n"
        + "\n".join(errors)
    )
    print(report)
    assert all(len(_labeled(b)) >= 30 for b in batches)
    assert precision >= 0.95 and recall >= 0.95, report


def test_plain_case_insensitive_matching_would_fail_the_target() -> None:
    """The case rules earn their keep: whole-word, case-insensitive matching of every name loses precision."""
    patterns = [
        (acc.id, re.compile(r"(?<![\w])" + re.escape(name) + r"(?![\w])", re.IGNORECASE))
        for acc in WORKSPACE
        for name in (acc.name, *acc.aliases)
    ]
    tp = fp = 0
    for expected, headline in _labeled():
        found = {account_id for account_id, rx in patterns if rx.search(headline)}
        tp += len(found & expected)
        fp += len(found - expected)
    assert tp / (tp + fp) < 0.8, tp / (tp + fp)


def _ids(matcher: Matcher, text: str) -> list[int]:
    return matcher.accounts_in(text)


def test_whole_words_possessives_and_punctuation() -> None:
    m = Matcher([Acc(1, "Acme Corp"), Acc(2, "Initech")])
    assert _ids(m, "Acme Corp's profits rise") == [1]
    assert _ids(m, "Acme Corp’s profits rise") == [1]  # typographic apostrophe
    assert _ids(m, "Layoffs at Acme Corp.") == [1]
    assert _ids(m, "Suppliers of Acme Corp, Initech merge") == [1, 2]
    assert _ids(m, "(Acme Corp) files report") == [1]
    assert _ids(m, "Acme Corporation opens plant") == []  # not the whole word "Corp"
    assert _ids(m, "Initechnology conference opens") == []
    assert _ids(m, "NotInitech wins") == []


def test_case_carries_meaning_except_in_capitals() -> None:
    m = Matcher([Acc(3, "Shell")])
    assert _ids(m, "Investors press Shell on methane") == [3]
    assert _ids(m, "Prosecutors say a shell company hid the money") == []
    assert _ids(m, "SHELL RAISES DIVIDEND") == [3]
    assert _ids(m, "PROSECUTORS SAY A SHELL COMPANY HID THE MONEY") == []


def test_longer_name_wins_over_a_name_inside_it() -> None:
    m = Matcher([Acc(1, "Apple"), Acc(19, "Apple Hospitality REIT", ("Apple Hospitality",))])
    assert _ids(m, "Apple Hospitality raises its dividend") == [19]
    assert sorted(_ids(m, "Apple Hospitality and Apple report results")) == [1, 19]


def test_exclusion_phrases_drop_the_account() -> None:
    m = Matcher(
        [Acc(6, "Oracle", exclusions=("oracle of omaha",)), Acc(7, "Amazon", exclusions=("rainforest",))]
    )
    assert _ids(m, "Letter from the Oracle of Omaha praises Oracle") == []
    assert _ids(m, "Amazon deforestation: rainforest loss slows") == []
    assert _ids(m, "Oracle posts record bookings") == [6]


def test_per_account_feed_entries_belong_to_the_account_unless_another_is_named() -> None:
    m = Matcher([Acc(1, "Globex"), Acc(2, "Initech"), Acc(3, "Jaguar Robotics", ("Jaguar",))])
    assert m.entry_accounts("New plant opens in Ohio", feed_account_id=1) == [1]
    assert m.entry_accounts("Initech reports loss", feed_account_id=1) == [2]
    assert m.entry_accounts("Initech and globex sign deal", feed_account_id=1) == [1, 2]
    assert m.entry_accounts("Globex beats estimates", feed_account_id=1) == [1]
    assert m.entry_accounts("Quarterly results", "Initech said", feed_account_id=3) == [2]
    assert m.entry_accounts("Initech reports loss") == [2]


def test_empty_workspace_and_empty_text() -> None:
    assert Matcher([]).accounts_in("Anything at all") == []
    assert Matcher([Acc(1, "Globex")]).accounts_in("") == []
    assert Matcher([Acc(1, "X")]).accounts_in("X marks the spot") == []  # one-letter names are ignored
