"""What a batch import did, file by file: rows imported and skipped (with the reason of each skipped row), what
was created, updated or left unchanged, owners that could not be resolved, and warnings. The CLI prints it as a
summary or, with --json, as `Report.as_json()` (docs/data.md#the-import-report)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from storage.importing.rows import Skip

MAX_LISTED_SKIPS = 100_000  # skipped rows kept for the report; past it they are counted, not listed
MAX_OWNER_ACCOUNTS = 50  # account names listed per unresolved owner
CLEAN = ("blank", "footer")  # not data rows: --strict does not count them


@dataclass
class FileReport:
    file: str
    source: str
    kind: str
    rows: int = 0
    imported: int = 0
    skipped: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "source": self.source, "kind": self.kind, "rows": self.rows,
            "imported": self.imported, "skipped": self.skipped,
        }  # fmt: skip


@dataclass
class Report:
    dry_run: bool = False
    files: list[FileReport] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    skipped: list[Skip] = field(default_factory=list)
    unlisted_skips: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    unresolved: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    warnings: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def skip(self, item: Skip) -> None:
        self.reasons[item.reason] += 1
        if len(self.skipped) < MAX_LISTED_SKIPS:
            self.skipped.append(item)
        else:
            self.unlisted_skips += 1

    def warn(self, file: str, message: str) -> None:
        if (file, message) not in self.warnings:
            self.warnings.append((file, message))

    def unresolved_owner(self, owner: str, reason: str, account: str) -> None:
        accounts = self.unresolved.setdefault((owner, reason), [])
        if len(accounts) < MAX_OWNER_ACCOUNTS and account not in accounts:
            accounts.append(account)

    @property
    def data_skips(self) -> int:
        """Skipped data rows (blank lines and report footers are not data)."""
        return sum(n for reason, n in self.reasons.items() if reason not in CLEAN)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dry_run": self.dry_run,
            "files": [f.as_json() for f in self.files],
            "created": dict(self.created),
            "updated": dict(self.updated),
            "unchanged": dict(self.unchanged),
            "skipped": [
                {"file": s.file, "line": s.line, "reason": s.reason, "value": s.value} for s in self.skipped
            ],
            "unresolved_owners": [
                {"owner": owner, "reason": reason, "accounts": accounts}
                for (owner, reason), accounts in self.unresolved.items()
            ],
            "warnings": [{"file": f, "message": m} for f, m in self.warnings],
        }
        return out

    def summary(self) -> list[str]:
        """The readable report, a line each."""
        lines = []
        for f in self.files:
            lines.append(
                f"{f.file}: {f.source} {f.kind}, {f.rows} row(s): {f.imported} imported, {f.skipped} skipped"
            )
        for kind in sorted(set(self.created) | set(self.updated) | set(self.unchanged)):
            lines.append(
                f"  {kind}: {self.created[kind]} created, {self.updated[kind]} updated, {self.unchanged[kind]} unchanged"
            )
        if self.reasons:
            lines.append(
                "skipped rows by reason: " + ", ".join(f"{r} {n}" for r, n in sorted(self.reasons.items()))
            )
            for s in self.skipped[:20]:
                lines.append(f"  {s.file} line {s.line}: {s.reason} {s.value!r}")
            more = len(self.skipped) + self.unlisted_skips - 20
            if more > 0:
                lines.append(f"  ... and {more} more (--json lists them all)")
        for (owner, reason), accounts in self.unresolved.items():
            lines.append(
                f"owner {owner!r} not resolved ({reason}): {len(accounts)} account(s) imported without an owner"
            )
        for file, message in self.warnings:
            lines.append(f"warning: {file}: {message}")
        for note in self.notes:
            lines.append(f"note: {note}")
        return lines
