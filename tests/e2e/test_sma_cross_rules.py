"""sma_cross follows its rules exactly: on a hand-checkable sequence and on real data, where an
independent pandas implementation of the rules predicts every entry and exit time and price."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd
import pytest

from tradeyard.backtest.runner import run_backtest
from tradeyard.bots import FixedQuantity
from tradeyard.config import BacktestConfig, StrategyConfig, TraderConfig, VenueConfig
from tradeyard.config.load import validate
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars

T0 = 1_746_373_020_000


def _config(fast: int, slow: int, fee: float = 0.0, sizing=None) -> BacktestConfig:
    return validate(
        BacktestConfig(
            strategies=[
                StrategyConfig(id="x", strategy="sma_cross", params={"fast": fast, "slow": slow})
            ],
            traders=[
                TraderConfig(id="t", follows={"x": 1.0}, sizing=sizing or FixedQuantity(qty=1.0))
            ],
            venue=VenueConfig(maker_fee=fee, taker_fee=fee, starting_balance=1_000_000.0),
        )
    )


def test_sma_cross_when_hand_checkable_sequence_trades_at_next_open() -> None:
    close = np.array([10, 10, 10, 10, 12, 14, 12, 8, 6, 8, 12, 16], dtype=float)
    open_ = np.array([10, 10, 10, 10, 10.5, 12.5, 14.5, 12.5, 8.5, 6.5, 8.5, 12.5])
    high, low = np.maximum(open_, close) + 1, np.minimum(open_, close) - 1
    ot = T0 + 60_000 * np.arange(len(close), dtype=np.int64)
    series = BarSeries("BTCUSDT", "1m", ot, open_, high, low, close, np.ones(len(close)))
    # SMA(2) vs SMA(4):
    #   bar 3: 10 vs 10      -> equal (first bar with both averages)
    #   bar 4: 11 vs 10.5    -> cross up   -> buy at bar 5's open 12.5
    #   bar 7: 10 vs 11.5    -> cross down -> sell (reverse) at bar 8's open 8.5
    #   bar 10: 10 vs 8.5    -> cross up   -> buy (reverse) at bar 11's open 12.5, still open at the end
    (result,) = run_backtest(_config(2, 4), [series], {}, charts=False)
    got = [
        (t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.qty, t.pnl)
        for t in result.trades
    ]
    assert got == [
        ("long", int(ot[5]), 12.5, int(ot[8]), 8.5, 1.0, -4.0),
        ("short", int(ot[8]), 8.5, int(ot[11]), 12.5, 1.0, -4.0),
    ]
    # the reversal is ONE order of twice the size, and the final long is still held
    fills = [(f.side, f.qty, f.price) for f in result.fills]
    assert fills == [("buy", 1.0, 12.5), ("sell", 2.0, 8.5), ("buy", 2.0, 12.5)]


def test_sma_cross_when_averages_equal_within_tolerance_no_cross() -> None:
    # fast and slow differ by float noise only: sign is 0, and 0 -> 0 is no cross
    close = np.full(40, 100.0)
    close[35:] = 100.0 + 1e-12
    ot = T0 + 60_000 * np.arange(len(close), dtype=np.int64)
    series = BarSeries("BTCUSDT", "1m", ot, close, close, close, close, np.ones(len(close)))
    (result,) = run_backtest(_config(2, 4), [series], {}, charts=False)
    assert result.fills == []


def reference_trades(
    s: BarSeries, fast: int, slow: int
) -> list[tuple[str, int, float, int, float]]:
    """The rules, written independently with pandas: crosses -> fills at the next open -> trades."""
    close = pd.Series(s.close)
    diff = close.rolling(fast).mean() - close.rolling(slow).mean()
    sign = np.sign(diff.where(diff.abs() > 1e-9 * close, 0.0)).to_numpy()
    fills: list[tuple[int, float, int]] = []  # (bar index of the fill, price, direction)
    held = 0
    for i in range(
        slow, len(close) - 1
    ):  # first sign exists at slow-1; a cross needs a previous sign
        want = held
        if sign[i] > 0 and sign[i - 1] <= 0:
            want = 1
        elif sign[i] < 0 and sign[i - 1] >= 0:
            want = -1  # e.g. - -> 0 -> - is a cross down, but already short: nothing to do
        if want != held:
            fills.append((i + 1, float(s.open[i + 1]), want))
            held = want
    trades = []
    for (i, p, d), (j, q, _) in pairwise(fills):
        trades.append(
            ("long" if d > 0 else "short", int(s.open_time[i]), p, int(s.open_time[j]), q)
        )
    return trades


@pytest.mark.parametrize("symbol", ["BTCUSDT", "SOLUSDT"])
def test_sma_cross_when_run_on_real_data_matches_independent_reference(symbol: str) -> None:
    series = load_bars(bundled_bars_dir(), [symbol])[symbol].slice(0, 20_000)
    (result,) = run_backtest(_config(10, 30, fee=0.0005), [series], {}, charts=False)
    got = [(t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price) for t in result.trades]
    expected = reference_trades(series, 10, 30)
    assert len(expected) > 500
    assert got == expected
    assert result.orders and not [o for o in result.orders if o.status == "rejected"]
