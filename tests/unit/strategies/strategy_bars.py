"""Bundled 1m bars resampled with pandas: an independent reference for the strategy tests."""

from __future__ import annotations

import numpy as np
import pandas as pd

from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars


def pandas_resample(symbol: str, rule: str, interval: str) -> BarSeries:
    s = load_bars(bundled_bars_dir(), [symbol])[symbol]
    df = pd.DataFrame(
        {"open": s.open, "high": s.high, "low": s.low, "close": s.close, "volume": s.volume},
        index=pd.to_datetime(s.open_time, unit="ms", utc=True),
    )
    agg = (
        df.resample(rule, label="left", closed="left")
        .agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
        .dropna()
    )
    return BarSeries(
        symbol,
        interval,
        agg.index.as_unit("ms").asi8.astype(np.int64),
        *(agg[c].to_numpy(dtype=float) for c in ("open", "high", "low", "close", "volume")),
    )
