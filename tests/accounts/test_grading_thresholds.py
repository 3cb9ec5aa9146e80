"""Threshold settings that contradict each other are refused at start, by name."""

from __future__ import annotations

import pytest

from accounts.thresholds import DEFAULT_THRESHOLDS, Thresholds
from bot.settings import ConfigError, load_settings


def test_defaults_are_consistent() -> None:
    assert DEFAULT_THRESHOLDS.problems() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"revenue_medium_percent": 5},
            "REVENUE_MEDIUM_PERCENT (5) must be at least REVENUE_HIGH_PERCENT (10)",
        ),
        (
            {"wallet_share_medium_from": 80.0},
            "WALLET_SHARE_HIGH_ABOVE (75.0) must be at least WALLET_SHARE_MEDIUM_FROM (80.0)",
        ),
        ({"margin_high_from": 5.0}, "MARGIN_HIGH_FROM (5.0) must be at least MARGIN_MEDIUM_FROM (10.0)"),
        ({"grade_b_from": 9}, "GRADE_A_FROM (8) must be at least GRADE_B_FROM (9)"),
        ({"margin_medium_from": -1.0}, "MARGIN_MEDIUM_FROM (-1.0) must be at least 0"),
    ],
)
def test_contradictions_are_named(changes: dict, message: str) -> None:
    problems = Thresholds(**changes).problems()
    assert len(problems) == 1 and problems[0].startswith(message)


def test_equal_lines_are_allowed() -> None:
    assert Thresholds(revenue_high_percent=20, grade_b_from=8, margin_medium_from=25.0).problems() == []
    assert Thresholds(margin_medium_from=0.0, margin_high_from=0.0).problems() == []


def test_settings_refuse_contradicting_thresholds(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("GRADE_A_FROM", "4")
    monkeypatch.setenv("MARGIN_MEDIUM_FROM", "30")
    with pytest.raises(ConfigError) as err:
        load_settings()
    text = str(err.value)
    assert text.startswith("invalid configuration:")
    assert "GRADE_A_FROM (4) must be at least GRADE_B_FROM (5)" in text
    assert "MARGIN_HIGH_FROM (25.0) must be at least MARGIN_MEDIUM_FROM (30.0)" in text
    monkeypatch.setenv("GRADE_A_FROM", "9")
    monkeypatch.setenv("MARGIN_MEDIUM_FROM", "12")
    assert load_settings().thresholds.grade_a_from == 9
