"""msgspec Structs for the raw Binance frames the adapter decodes itself.

ccxt's unified OHLCV drops the kline's `x` flag ("this candle is closed"), which is the exact
signal a bar feed needs, so the market-data client reads the raw kline frame before ccxt does.
Field names are Binance's own; the wire shape stops here (`KlineFrame.to_kline`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeyard.venues.common.kline import Kline

__all__ = ["Kline", "KlineFrame", "KlinePayload", "decode_kline"]


class KlinePayload(msgspec.Struct, frozen=True):
    """The `k` object of a kline frame (prices are decimal strings on the wire)."""

    t: int
    T: int
    s: str
    i: str
    o: str
    h: str
    l: str  # noqa: E741 (Binance's field name)
    c: str
    v: str
    x: bool


class KlineFrame(msgspec.Struct, frozen=True):
    """`{"e": "kline", "E": …, "s": …, "k": {…}}` from `<symbol>@kline_<interval>`."""

    e: str
    E: int
    s: str
    k: KlinePayload

    def to_kline(self) -> Kline:
        k = self.k
        return Kline(
            k.s, k.i, k.t, k.T, float(k.o), float(k.h), float(k.l), float(k.c), float(k.v), k.x
        )


def decode_kline(message: Any) -> Kline | None:
    """The kline in a decoded websocket message, or None when it is not a plain kline frame."""
    if not isinstance(message, dict) or message.get("e") != "kline":
        return None
    try:
        return msgspec.convert(message, KlineFrame).to_kline()
    except msgspec.ValidationError:
        return None
