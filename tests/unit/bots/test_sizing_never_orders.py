"""`never_orders`: a sizing whose full position is below the exchange's least order is refused."""

from __future__ import annotations

import pytest

from tradeyard.bots.sizing import EquityFraction, FixedNotional, FixedQuantity, never_orders
from tradeyard.events import InstrumentSpec

BTC = InstrumentSpec("BTCUSDT", tick_size=0.1, step_size=0.001, min_qty=0.002, min_notional=100.0)


@pytest.mark.parametrize(
    ("sizing", "words"),
    [
        (FixedQuantity(qty=0.0009), "qty 0.0009 is below the least order of BTCUSDT (0.002)"),
        (FixedQuantity(qty=0.0015), "qty 0.0015 is below the least order of BTCUSDT (0.002)"),
        (FixedNotional(notional=99.99), "notional 99.99 USDT is below the minimum notional of "
                                        "BTCUSDT (100 USDT)"),
    ],
)  # fmt: skip
def test_never_orders_when_a_full_position_is_below_the_least_order_says_why(
    sizing: FixedQuantity | FixedNotional, words: str
) -> None:
    reason = never_orders(sizing, BTC)
    assert reason is not None and reason.startswith(words)


@pytest.mark.parametrize(
    "sizing",
    [FixedQuantity(qty=0.002), FixedQuantity(qty=0.0025), FixedNotional(notional=100.0),
     EquityFraction(fraction=0.001), None],
)  # fmt: skip
def test_never_orders_when_an_order_is_possible_is_none(
    sizing: FixedQuantity | FixedNotional | EquityFraction | None,
) -> None:
    assert never_orders(sizing, BTC) is None
