"""Rating levels (high/medium/low) and the one parser every input path shares."""

from __future__ import annotations

from accounts.model import LEVELS

_ALIASES: dict[str, str] = {
    "high": "high",
    "h": "high",
    "medium": "medium",
    "m": "medium",
    "low": "low",
    "l": "low",
}

# Order used to compare levels: the higher the index, the higher the level.
RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


def parse_level(value: str | None) -> str | None:
    """Normalise a rating typed by a person: "High", "h", " MEDIUM " -> "high"/"medium"/"low".

    Empty text or None means "not set" and gives None. Anything else raises ValueError with a message
    that says what was given and what is accepted.
    """
    if value is None:
        return None
    if value in LEVELS:  # fast path for values already stored in normal form
        return value
    text = str(value).strip().lower()
    if not text:
        return None
    try:
        return _ALIASES[text]
    except KeyError:
        raise ValueError(
            f"{str(value).strip()!r} is not a rating: use high, medium or low (or H, M, L, in any case)"
        ) from None


def parse_field(field: str, value: str | None) -> str | None:
    """parse_level for a named field: the error message starts with the field name."""
    try:
        return parse_level(value)
    except ValueError as exc:
        raise ValueError(f"{field}: {exc}") from None
