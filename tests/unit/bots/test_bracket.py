"""The venue's bracket rules, as strategies mirror them."""

from __future__ import annotations

import pytest

from tradeyard.bots.bracket import bracket_exit
from tradeyard.events import Bar


def _bar(o: float, h: float, lo: float, c: float) -> Bar:
    return Bar("sim", "BTCUSDT", "1m", 0, 59_999, o, h, lo, c, 1.0)


@pytest.mark.parametrize(
    ("side", "bar", "expected"),
    [
        (1, _bar(100, 101, 99.5, 100), None),  # long, TP 102 / SL 99: neither reached
        (1, _bar(100, 102.5, 99.5, 102), "take profit"),
        (1, _bar(100, 100.5, 98.5, 99), "stop loss"),
        (1, _bar(100, 103, 98, 100), "stop loss"),  # both reached: the stop first
        (1, _bar(102.5, 103, 98, 100), "take profit"),  # opened through the TP: filled at the open
        (-1, _bar(100, 100.5, 97.5, 98), "take profit"),  # short, TP 98 / SL 101
        (-1, _bar(100, 101.5, 97, 100), "stop loss"),
        (-1, _bar(97.5, 102, 97, 100), "take profit"),
    ],
)
def test_bracket_exit_when_bar_reaches_levels_follows_venue_rules(
    side: int, bar: Bar, expected: str | None
) -> None:
    tp, sl = (102.0, 99.0) if side > 0 else (98.0, 101.0)
    assert bracket_exit(side, tp, sl, bar) == expected
