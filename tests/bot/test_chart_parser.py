"""`/account chart ...` parsing: kinds, mine/all, the channel in any of its forms, and helpful errors."""

from __future__ import annotations

from datetime import date

import pytest

from bot.commands.chart import USAGE as CHART_USAGE
from bot.commands.registry import parse
from bot.commands.types import Chart, CommandError

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("chart quadrant", Chart("quadrant")),
        ("CHART Quadrants", Chart("quadrant")),
        ("chart quadrant mine", Chart("quadrant", "mine")),
        ("chart quadrant all in <#C0SALES|sales>", Chart("quadrant", "all", "C0SALES")),
        ("chart quadrant <#C0SALES|sales> all", Chart("quadrant", "all", "C0SALES")),
        ("chart quadrant into <#G0PRIVATE>", Chart("quadrant", None, "G0PRIVATE")),
        ("chart concentration", Chart("concentration")),
        ("chart pareto to C0SALES01", Chart("concentration", None, "C0SALES01")),
    ],
)
def test_chart_commands(text: str, expected: Chart) -> None:
    assert parse(text, TODAY) == expected


@pytest.mark.parametrize(
    "text,message",
    [
        ("chart", "Which chart?"),
        ('chart "quadrant"', "is not a chart"),
        ("chart bubbles", "`bubbles` is not a chart"),
        ("chart quadrant mine all", "Say `mine` or `all` once."),
        ("chart quadrant in", "`in` needs a channel"),
        ("chart quadrant in <#C1AAAAA|a> <#C2BBBBB|b>", "one channel"),
        ("chart quadrant #deals", "not a linked channel"),
        ("chart quadrant <@U0ANN123|ann>", "I did not understand"),
        ("chart concentration all", "always covers the whole workspace"),
    ],
)
def test_chart_mistakes_say_what_to_type(text: str, message: str) -> None:
    with pytest.raises(CommandError) as err:
        parse(text, TODAY)
    assert message in err.value.message
    assert err.value.usage in (CHART_USAGE, "/account chart concentration")
