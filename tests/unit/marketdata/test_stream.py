"""Streaming Parquet bars in time windows gives the same bars, and the same checks, as a whole load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tradeyard.backtest.merge import BarSource
from tradeyard.backtest.runner import run_backtest
from tradeyard.config import BacktestConfig, StrategyConfig
from tradeyard.config.load import validate
from tradeyard.errors import DataError
from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.marketdata.stream import ParquetBarSource

SYMBOLS = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]


def test_stream_when_read_in_small_batches_yields_every_bar_once_in_time_windows() -> None:
    src = ParquetBarSource(bundled_bars_dir(), SYMBOLS, batch_rows=997)
    assert isinstance(src, BarSource)
    whole = load_bars(bundled_bars_dir(), SYMBOLS)
    got: dict[str, list[np.ndarray]] = {s: [] for s in SYMBOLS}
    last_end = -1
    for window in src.windows():
        starts = [int(p.open_time[0]) for p in window.values()]
        assert min(starts) > last_end  # windows never overlap in time
        last_end = max(int(p.open_time[-1]) for p in window.values())
        for s, part in window.items():
            got[s].append(part.close)
    for s in SYMBOLS:
        assert np.array_equal(np.concatenate(got[s]), whole[s].close)


def test_stream_when_range_given_cuts_like_load_bars() -> None:
    t0, t1 = 1_746_900_000_000, 1_747_000_000_000
    src = ParquetBarSource(bundled_bars_dir(), ["BTCUSDT"], start=t0, end=t1, batch_rows=500)
    parts = [w["BTCUSDT"].open_time for w in src.windows() if "BTCUSDT" in w]
    whole = load_bars(bundled_bars_dir(), ["BTCUSDT"], start=t0, end=t1)["BTCUSDT"]
    assert np.array_equal(np.concatenate(parts), whole.open_time)


def test_stream_when_duplicate_straddles_a_batch_boundary_names_the_rows(tmp_path: Path) -> None:
    df = pd.read_parquet(bundled_bars_dir() / "BTCUSDT.parquet").head(100)
    df = pd.concat([df.iloc[:50], df.iloc[49:]])  # row 49 again as row 50
    df.to_parquet(tmp_path / "BTCUSDT.parquet")
    src = ParquetBarSource(tmp_path, batch_rows=50)
    with pytest.raises(DataError, match=r"duplicated bar: .* at rows 49 and 50"):
        list(src.windows())


def test_backtest_when_streamed_from_parquet_equals_whole_load() -> None:
    cfg = validate(BacktestConfig(strategies=[StrategyConfig(id="x", strategy="sma_cross")]))
    t1 = 1_746_700_000_000
    src = ParquetBarSource(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT"], end=t1, batch_rows=3_000)
    bars = list(load_bars(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT"], end=t1).values())
    (streamed,) = run_backtest(cfg, src, {}, charts=False)
    (whole,) = run_backtest(cfg, bars, {}, charts=False)
    assert streamed.trades == whole.trades and len(whole.trades) > 50
