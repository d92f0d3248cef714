"""SimVenue.max_leverage: the highest Σ |qty| × mark / equity at any mark (bar close) or fill.

Fees are 0, so equity = deposit + unrealized PnL. Orders fill at bar 1's open.
"""

from __future__ import annotations

import pytest

CMD = "cmd.sim"


def _flat(bar, i, price, symbol="BTCUSDT"):
    return bar(i, price, price, price, price, symbol=symbol)


def test_max_leverage_when_no_position_was_ever_open_is_zero(venue):
    assert venue.max_leverage("t1") == 0.0


def test_max_leverage_when_long_below_1x_rises_with_the_price(make_venue, bar, order):
    venue = make_venue(balance=1_000.0, taker_fee=0.0)
    venue.on_bar(_flat(bar, 0, 100.0))
    venue.on_command(CMD, order("b", "buy", "market", 2.0, leverage=5.0))
    venue.on_bar(_flat(bar, 1, 100.0))  # at the fill: 200 / 1,000 = 0.2
    assert venue.max_leverage("t1") == pytest.approx(0.2)

    venue.on_bar(_flat(bar, 2, 90.0))  # 180 / 980 = 0.1837
    venue.on_bar(_flat(bar, 3, 120.0))  # 240 / 1,040 = 0.2308
    venue.on_bar(_flat(bar, 4, 100.0))  # 200 / 1,000 = 0.2

    assert venue.max_leverage("t1") == pytest.approx(240 / 1_040)


def test_max_leverage_when_leveraged_long_falls_records_the_low_equity_mark(make_venue, bar, order):
    venue = make_venue(balance=100.0, taker_fee=0.0)
    venue.on_bar(_flat(bar, 0, 100.0))
    venue.on_command(CMD, order("b", "buy", "market", 5.0, leverage=10.0))
    venue.on_bar(_flat(bar, 1, 100.0))  # 500 / 100 = 5
    venue.on_bar(_flat(bar, 2, 95.0))  # 475 / 75 = 6.33 (liquidation price 80.32 not reached)
    venue.on_bar(_flat(bar, 3, 105.0))  # 525 / 125 = 4.2

    assert venue.max_leverage("t1") == pytest.approx(475 / 75)


def test_max_leverage_when_short_rises_records_the_high_mark(make_venue, bar, order):
    venue = make_venue(balance=1_000.0, taker_fee=0.0)
    venue.on_bar(_flat(bar, 0, 100.0))
    venue.on_command(CMD, order("s", "sell", "market", 5.0))
    venue.on_bar(_flat(bar, 1, 100.0))  # 500 / 1,000 = 0.5
    venue.on_bar(_flat(bar, 2, 110.0))  # 550 / 950 = 0.5789
    venue.on_bar(_flat(bar, 3, 90.0))  # 450 / 1,050 = 0.4286

    assert venue.max_leverage("t1") == pytest.approx(550 / 950)


def test_max_leverage_when_long_and_short_are_held_sums_both_notionals(make_venue, bar, order):
    venue = make_venue(balance=1_000.0, taker_fee=0.0)
    venue.on_bar(_flat(bar, 0, 100.0))
    venue.on_bar(_flat(bar, 0, 50.0, "ETHUSDT"))
    venue.on_command(CMD, order("b", "buy", "market", 2.0))
    venue.on_command(CMD, order("s", "sell", "market", 4.0, symbol="ETHUSDT"))
    venue.on_bar(_flat(bar, 1, 100.0))  # BTC long 2 @ 100: 200 / 1,000
    venue.on_bar(_flat(bar, 1, 50.0, "ETHUSDT"))  # + ETH short 4 @ 50: 400 / 1,000 = 0.4
    venue.on_bar(_flat(bar, 2, 90.0))  # BTC −20: (180 + 200) / 980 = 0.3878
    venue.on_bar(_flat(bar, 2, 55.0, "ETHUSDT"))  # ETH −20: (180 + 220) / 960 = 0.4167
    venue.on_bar(_flat(bar, 3, 110.0))  # BTC +20: (220 + 220) / 1,000 = 0.44
    venue.on_bar(_flat(bar, 3, 50.0, "ETHUSDT"))  # ETH 0: (220 + 200) / 1,020 = 0.4118

    assert venue.max_leverage("t1") == pytest.approx(0.44)
