"""Our symbol (= Bybit's, `BTCUSDT`) ↔ ccxt's unified symbol (`BTC/USDT:USDT`), both ways.

Only linear perpetuals are traded, so the quote and the settle asset are the same and the
mapping is a string rule, no market table needed. Only this module knows the ccxt spelling.
"""

from __future__ import annotations

from tradeyard.errors import ConfigError

__all__ = ["QUOTES", "to_ccxt", "to_venue"]

QUOTES = ("USDT", "USDC")
"""Settle assets of Bybit's linear perpetuals (USDC perpetuals are named such as BTCPERP on
Bybit; only the `<BASE>USDC` spelling is accepted here)."""


def to_ccxt(symbol: str) -> str:
    """BTCUSDT → BTC/USDT:USDT."""
    for quote in QUOTES:
        if symbol.endswith(quote) and len(symbol) > len(quote):
            return f"{symbol[: -len(quote)]}/{quote}:{quote}"
    raise ConfigError(
        f"symbol {symbol!r} is not a Bybit linear perpetual: expected a base followed by one "
        f"of {', '.join(QUOTES)}, such as BTCUSDT"
    )


def to_venue(ccxt_symbol: str) -> str:
    """BTC/USDT:USDT → BTCUSDT."""
    pair, sep, settle = ccxt_symbol.partition(":")
    base, slash, quote = pair.partition("/")
    if not (sep and slash and base and quote == settle and quote in QUOTES):
        raise ConfigError(
            f"ccxt symbol {ccxt_symbol!r} is not a Bybit linear perpetual: expected "
            "BASE/QUOTE:QUOTE such as BTC/USDT:USDT"
        )
    return base + quote
