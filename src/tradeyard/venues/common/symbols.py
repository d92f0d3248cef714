"""Our symbol (= the venue's, `BTCUSDT`) ↔ ccxt's unified symbol (`BTC/USDT:USDT`), both ways.

Shared by the live adapters: only linear perpetuals are traded, so the quote and the settle asset
are the same and the mapping is a string rule, no market table needed. `market` names the kind of
instrument in error messages (e.g. "USDⓈ-M perpetual", "Bybit linear perpetual").
"""

from __future__ import annotations

from tradeyard.errors import ConfigError

__all__ = ["QUOTES", "to_ccxt", "to_venue"]

QUOTES = ("USDT", "USDC")
"""Settle assets of the linear perpetuals (same length: no longest-match rule needed)."""


def to_ccxt(symbol: str, market: str = "linear perpetual") -> str:
    """BTCUSDT → BTC/USDT:USDT."""
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}:{quote}"
    raise ConfigError(
        f"symbol {symbol!r} is not a {market}: expected a base followed by one of "
        f"{', '.join(QUOTES)}, such as BTCUSDT"
    )


def to_venue(ccxt_symbol: str, market: str = "linear perpetual") -> str:
    """BTC/USDT:USDT → BTCUSDT."""
    pair, sep, settle = ccxt_symbol.partition(":")
    base, slash, quote = pair.partition("/")
    if not (sep and slash and base and quote == settle and quote in QUOTES):
        raise ConfigError(
            f"ccxt symbol {ccxt_symbol!r} is not a {market}: expected "
            "BASE/QUOTE:QUOTE such as BTC/USDT:USDT"
        )
    return base + quote
