"""docs/data.md documents every export profile, reason code and mapping key the importer knows."""

from __future__ import annotations

from pathlib import Path

from storage.importing.mapping import RATING_INPUTS, TOKENS
from storage.importing.profiles import profiles
from storage.importing.rows import REASONS

DATA = (Path(__file__).resolve().parents[1] / "docs" / "data.md").read_text(encoding="utf-8")


def test_every_profile_is_documented() -> None:
    missing = [p.name for p in profiles() if f"`{p.name}`" not in DATA]
    assert not missing, f"profiles missing from docs/data.md: {missing}"


def test_every_reason_code_is_documented() -> None:
    table = DATA[DATA.index("#### Reason codes") :]
    missing = [r for r in REASONS if f"| `{r}` |" not in table]
    assert not missing, f"reason codes missing from docs/data.md: {missing}"


def test_every_mapping_key_is_documented() -> None:
    section = DATA[DATA.index("#### The mapping file") :]
    keys = [
        *RATING_INPUTS,
        *TOKENS,
        *(t for tokens in TOKENS.values() for t in tokens),
        "[source.",
        "[fields.",
        "[values.",
    ]
    missing = [k for k in keys if f"`{k}`" not in section and k not in section]
    assert not missing, f"mapping keys missing from docs/data.md: {missing}"
