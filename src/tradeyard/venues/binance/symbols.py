"""Our symbol (= Binance's, `BTCUSDT`) ↔ ccxt's unified symbol (`BTC/USDT:USDT`), both ways.

Only USDⓈ-M linear perpetuals are traded; the string rule is `venues.common.symbols`'.
"""

from __future__ import annotations

from tradeyard.venues.common import symbols as _common
from tradeyard.venues.common.symbols import QUOTES

__all__ = ["QUOTES", "to_ccxt", "to_venue"]


def to_ccxt(symbol: str) -> str:
    """BTCUSDT → BTC/USDT:USDT."""
    return _common.to_ccxt(symbol, "USDⓈ-M perpetual")


def to_venue(ccxt_symbol: str) -> str:
    """BTC/USDT:USDT → BTCUSDT."""
    return _common.to_venue(ccxt_symbol, "USDⓈ-M linear perpetual")
