"""Market data files: loading, checking, and the bundled real data."""

from tradeyard.marketdata.bars import (
    INTERVAL_MS,
    REQUIRED_COLUMNS,
    BarSeries,
    interval_ms,
    load_bars,
    parse_time,
)
from tradeyard.marketdata.bundled import BUNDLED_SYMBOLS, bundled_bars_dir, bundled_funding_dir
from tradeyard.marketdata.funding import load_funding

__all__ = [
    "BUNDLED_SYMBOLS",
    "INTERVAL_MS",
    "REQUIRED_COLUMNS",
    "BarSeries",
    "bundled_bars_dir",
    "bundled_funding_dir",
    "interval_ms",
    "load_bars",
    "load_funding",
    "parse_time",
]
