"""Streaming technical indicators with vectorised chunk twins, matching TA-Lib.

Every indicator follows one protocol (see :class:`Indicator`)::

    sma = SMA(20)
    sma.update(close)                  # live: one bar, O(1), returns the main output
    out = sma.update_many(closes)      # backtest: a chunk at once -> {"value": array}
    sma.value, sma.ready               # latest output, warm-up over?

``update_many`` leaves the object exactly where one-by-one ``update`` calls would have, so chunks
chain and live updates may follow a vectorised warm-up.
"""

from tradeyard.indicators._base import Indicator
from tradeyard.indicators.bands import BollingerBands
from tradeyard.indicators.extremes import RollingHigh, RollingLow
from tradeyard.indicators.lag import Previous
from tradeyard.indicators.moving import EMA, SMA
from tradeyard.indicators.oscillators import CCI, MACD, RSI
from tradeyard.indicators.volatility import ATR, RealizedVolatility

__all__ = [
    "ATR",
    "CCI",
    "EMA",
    "MACD",
    "RSI",
    "SMA",
    "BollingerBands",
    "Indicator",
    "Previous",
    "RealizedVolatility",
    "RollingHigh",
    "RollingLow",
]
