"""Merging many symbols into one stream, and streaming windows instead of whole series."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from tradeyard.backtest.merge import BarSource, merged_chunks
from tradeyard.backtest.runner import run_backtest
from tradeyard.config import BacktestConfig, StrategyConfig
from tradeyard.config.load import validate
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars

T0 = 1_746_373_020_000


def _series(symbol: str, start_min: int, n: int) -> BarSeries:
    ot = T0 + 60_000 * (start_min + np.arange(n, dtype=np.int64))
    x = np.arange(n, dtype=float) + 1.0
    return BarSeries(symbol, "1m", ot, x, x, x, x, x)


def test_merged_chunks_when_symbols_overlap_orders_by_close_time_then_symbol_order() -> None:
    b, a = _series("BBB", 0, 3), _series("AAA", 1, 3)  # AAA starts a minute later
    chunks = list(merged_chunks([b, a], chunk_size=100))
    got = [p for c in chunks for p in zip(c.symbol, c.open_time, strict=True)]
    last = [flag for c in chunks for flag in c.last_of_time]
    m = 60_000
    assert got == [
        ("BBB", T0),
        ("BBB", T0 + m),
        ("AAA", T0 + m),
        ("BBB", T0 + 2 * m),
        ("AAA", T0 + 2 * m),
        ("AAA", T0 + 3 * m),
    ]
    assert last == [True, False, True, False, True, True]


def test_merged_chunks_when_chunked_small_covers_every_bar_once_in_order() -> None:
    series = [_series("AAA", 0, 1000), _series("BBB", 5, 700), _series("CCC", 300, 10)]
    chunks = list(merged_chunks(series, chunk_size=64))
    assert len(chunks) > 10
    keys = [(ct, s) for c in chunks for ct, s in zip(c.close_time, c.symbol, strict=True)]
    rank = {"AAA": 0, "BBB": 1, "CCC": 2}
    assert len(keys) == 1710
    assert keys == sorted(keys, key=lambda k: (k[0], rank[k[1]]))


class WindowSource:
    """A BarSource that hands out fixed-length time windows of in-memory series."""

    def __init__(self, series: list[BarSeries], minutes: int) -> None:
        self.series = series
        self.symbols = [s.symbol for s in series]
        self.interval = "1m"
        self.minutes = minutes

    def windows(self) -> Iterator[dict[str, BarSeries]]:
        start = min(int(s.open_time[0]) for s in self.series)
        end = max(int(s.open_time[-1]) for s in self.series)
        t = start
        while t <= end:
            t1 = t + self.minutes * 60_000
            window = {}
            for s in self.series:
                lo, hi = np.searchsorted(s.open_time, [t, t1])
                if hi > lo:
                    window[s.symbol] = s.slice(int(lo), int(hi))
            yield window
            t = t1


def test_backtest_when_bars_streamed_in_windows_equals_in_memory_run() -> None:
    bars = load_bars(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
    series = [bars[s].slice(0, 8_000) for s in bars]
    cfg = validate(BacktestConfig(strategies=[StrategyConfig(id="x", strategy="sma_cross")]))
    source = WindowSource(series, minutes=997)
    assert isinstance(source, BarSource)
    (streamed,) = run_backtest(cfg, source, {}, charts=True)  # charts are skipped for streams
    (whole,) = run_backtest(cfg, series, {}, charts=False)
    assert streamed.trades == whole.trades and len(whole.trades) > 100
    assert np.array_equal(streamed.equity.equity, whole.equity.equity)
    assert streamed.charts == []
