"""The shared formats of bot/render/blocks.py: one money, one percent, one whole-number format."""

from __future__ import annotations

from bot.render.blocks import header, money, number, percent


def test_money_short_and_exact() -> None:
    assert [money(v) for v in (999.0, 1_000.0, 849_999.0, 1_234_567.0, -2_500_000.0)] == [
        "$999",
        "$1k",
        "$850k",
        "$1.2M",
        "$-2.5M",
    ]
    assert money(1_234_567.8, exact=True) == "$1,234,568"
    assert money(None) == "unknown" and money(None, exact=True, unknown="n/a") == "n/a"


def test_percent_and_number() -> None:
    assert [percent(v) for v in (80, 12.5, 12.0, 0)] == ["80%", "12.5%", "12%", "0%"]
    assert percent(None) == "unknown" and percent(None, unknown="?%") == "?%"
    assert number(1_234_567.8) == "1,234,568"


def test_header_folds_white_space_unless_told_not_to() -> None:
    assert header("Weekly focus:  Acme\tCorp ").to_dict()["text"]["text"] == "Weekly focus: Acme Corp"
    assert header("Weekly focus:  Acme\tCorp ", one_line=False).to_dict()["text"]["text"] == (
        "Weekly focus:  AcmeCorp "
    )
