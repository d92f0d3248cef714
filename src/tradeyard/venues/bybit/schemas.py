"""msgspec Structs for the raw Bybit frames the adapter decodes itself.

ccxt's unified OHLCV drops the kline's `confirm` flag ("this candle is closed"), which is the
exact signal a bar feed needs, so the market-data client reads the raw `kline.{interval}.{symbol}`
frame before ccxt does. Field names are Bybit's own; the wire shape stops here
(`KlineFrame.to_klines`). Bybit names intervals by minutes (`1`, `60`) or letters (`D`, `W`).
"""

from __future__ import annotations

from typing import Any

import msgspec

from tradeyard.venues.common.kline import Kline

__all__ = ["INTERVALS", "Kline", "KlineEntry", "KlineFrame", "decode_klines"]

INTERVALS: dict[str, str] = {
    "1": "1m", "3": "3m", "5": "5m", "15": "15m", "30": "30m", "60": "1h", "120": "2h",
    "240": "4h", "360": "6h", "720": "12h", "D": "1d", "W": "1w",
}  # fmt: skip
"""Bybit's interval code → ours."""


class KlineEntry(msgspec.Struct, frozen=True):
    """One element of a kline frame's `data` (prices are decimal strings on the wire)."""

    start: int
    end: int
    interval: str
    open: str
    close: str
    high: str
    low: str
    volume: str
    confirm: bool
    turnover: str = "0"
    timestamp: int = 0


class KlineFrame(msgspec.Struct, frozen=True):
    """`{"topic": "kline.1.BTCUSDT", "data": [{…}], "ts": …, "type": "snapshot"}`."""

    topic: str
    data: list[KlineEntry]
    ts: int = 0
    type: str = "snapshot"

    def to_klines(self) -> list[Kline]:
        _kind, code, symbol = self.topic.split(".", 2)
        interval = INTERVALS.get(code, code)
        return [_kline(symbol, interval, e) for e in self.data]


def _kline(symbol: str, interval: str, e: KlineEntry) -> Kline:
    return Kline(
        symbol, interval, e.start, e.end, float(e.open), float(e.high), float(e.low),
        float(e.close), float(e.volume), e.confirm,
    )  # fmt: skip


def decode_klines(message: Any) -> list[Kline]:
    """The klines in a decoded websocket message; [] when it is not a kline frame."""
    if not isinstance(message, dict) or not str(message.get("topic", "")).startswith("kline."):
        return []
    if str(message["topic"]).count(".") != 2:
        return []
    try:
        return msgspec.convert(message, KlineFrame).to_klines()
    except (msgspec.ValidationError, ValueError):
        return []
