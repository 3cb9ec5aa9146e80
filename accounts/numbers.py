"""The one number parser for what people type or files carry: CSV cells, `/account` arguments, button values
and form metadata all read numbers through it, so a number means the same everywhere.

Accepted: ASCII digits only, an optional leading minus (decimals), one decimal separator (`.` or `,`). Not:
other scripts' digits (٤٥, ４５), superscripts (²), exponents (1e2), inf / nan, thousands separators (those are
money, `storage.importing.csv_formats.money`)."""

from __future__ import annotations

import re

_DECIMAL = re.compile(r"-?[0-9]{1,20}(?:[.,][0-9]+)?", re.ASCII)  # any exact decimals of a float
_WHOLE = re.compile(r"[0-9]{1,18}", re.ASCII)  # fits a signed 64-bit id
_DIGITS = re.compile(r"[0-9]+", re.ASCII)
MAX_ID = 2**63 - 1


def decimal(text: str) -> float | None:
    """`text` as a decimal number, or None when it is not one of the accepted forms."""
    cleaned = text.strip()
    if not _DECIMAL.fullmatch(cleaned):
        return None
    return float(cleaned.replace(",", "."))


def whole(text: str, *, low: int = 0, high: int = MAX_ID, clamp: bool = False) -> int | None:
    """`text` as a whole number within [low, high] (a page, a row id), or None. With `clamp`, any run of
    ASCII digits is taken and brought into the range (a page number typed far too large is the last page)."""
    cleaned = text.strip()
    if clamp:
        if not _DIGITS.fullmatch(cleaned):
            return None
        number = (
            int(cleaned) if len(cleaned) <= 18 else high
        )  # int() of a huge digit string is refused anyway
        return max(low, min(number, high))
    if not _WHOLE.fullmatch(cleaned):
        return None
    number = int(cleaned)
    return number if low <= number <= high else None
