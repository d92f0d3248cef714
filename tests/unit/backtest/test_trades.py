"""Closed trades from fills: hand-computed round trips, reversals, partial exits and funding."""

from __future__ import annotations

import pytest

from tradeyard.backtest.trades import TradeBuilder
from tradeyard.events import Fill


def _fill(
    ts: int, side: str, qty: float, price: float, fee: float, symbol: str = "BTCUSDT"
) -> Fill:
    return Fill("t", "sim", symbol, ts, f"t-{ts}", side, qty, price, fee, "taker")  # type: ignore[arg-type]


def test_round_trip_when_long_closed_gives_net_pnl() -> None:
    b = TradeBuilder("t")
    b.add_fill(_fill(1, "buy", 2.0, 100.0, 0.1))
    b.add_fill(_fill(2, "sell", 2.0, 110.0, 0.11), reason="exit")
    (t,) = b.closed
    # (110 - 100) * 2 = 20 gross, fees 0.1 + 0.11 = 0.21 -> pnl 19.79
    assert (t.side, t.qty, t.entry_price, t.exit_price) == ("long", 2.0, 100.0, 110.0)
    assert t.fees == pytest.approx(0.21)
    assert t.pnl == pytest.approx(19.79)
    assert (t.entry_time, t.exit_time, t.exit_reason) == (1, 2, "exit")


def test_reversal_when_one_fill_crosses_zero_closes_and_opens_with_split_fee() -> None:
    b = TradeBuilder("t")
    b.add_fill(_fill(1, "sell", 1.0, 50.0, 0.05))
    b.add_fill(_fill(2, "buy", 3.0, 40.0, 0.3))
    (short,) = b.closed
    # short 1 @ 50 closed @ 40: +10 gross; fee share of the 3-lot fill is 1/3 of 0.3 = 0.1
    assert short.side == "short"
    assert short.fees == pytest.approx(0.15)
    assert short.pnl == pytest.approx(10.0 - 0.15)
    b.add_fill(_fill(3, "sell", 2.0, 45.0, 0.2))
    long_ = b.closed[1]
    # long 2 @ 40 closed @ 45: +10 gross; fees 0.2 (2/3 of 0.3) + 0.2
    assert (long_.side, long_.qty, long_.entry_price) == ("long", 2.0, 40.0)
    assert long_.fees == pytest.approx(0.4)
    assert long_.pnl == pytest.approx(9.6)


def test_scaling_in_and_partial_exits_when_flat_again_average_prices() -> None:
    b = TradeBuilder("t")
    b.add_fill(_fill(1, "buy", 1.0, 100.0, 0.0))
    b.add_fill(_fill(2, "buy", 1.0, 120.0, 0.0))
    b.add_fill(_fill(3, "sell", 1.0, 130.0, 0.0))
    assert b.closed == []
    b.add_fill(_fill(4, "sell", 1.0, 90.0, 0.0))
    (t,) = b.closed
    # entry avg 110; exits 130 and 90 -> avg 110; gross = (130-110) + (90-110) = 0
    assert (t.qty, t.entry_price, t.exit_price, t.pnl) == (2.0, 110.0, 110.0, 0.0)


def test_funding_when_paid_while_open_is_taken_from_pnl() -> None:
    b = TradeBuilder("t")
    b.add_fill(_fill(1, "buy", 2.0, 100.0, 0.0))
    b.add_funding("BTCUSDT", 0.02)  # 2 * 100 * 0.0001
    b.add_funding("ETHUSDT", 5.0)  # no open trade there: ignored
    b.add_fill(_fill(2, "sell", 2.0, 100.0, 0.0))
    assert b.closed[0].funding == pytest.approx(0.02)
    assert b.closed[0].pnl == pytest.approx(-0.02)
