"""Kline frames straight from the websocket text to `Kline`s, without ccxt: the lean path.

ccxt pro parses every frame to a dict (orjson), then its `handle_ohlcv` walks it with
`safe_*` calls and updates its OHLCV cache, and the adapter decodes the same dict once more
(`schemas.decode_klines`) for the `confirm` flag. Here one msgspec decode of the raw text goes
to typed Structs with the prices already floats (lax mode: Bybit's decimal strings are parsed
with correct rounding, the same floats `float(str)` gives).

`decode_kline_frame(raw)` answers None for anything that is not a `kline.{interval}.{symbol}`
frame (subscription replies, pongs, tickers, …), which then takes ccxt's ordinary path.
"""

from __future__ import annotations

import msgspec

from tradeyard.venues.bybit.schemas import INTERVALS
from tradeyard.venues.common.kline import Kline

__all__ = ["decode_frame", "decode_kline_frame", "is_kline_frame"]


class _Entry(msgspec.Struct, gc=False):
    start: int
    end: int
    open: float
    close: float
    high: float
    low: float
    volume: float
    confirm: bool


class _Frame(msgspec.Struct, gc=False):
    topic: str
    data: list[_Entry]


_decoder = msgspec.json.Decoder(_Frame, strict=False)
_MARK = '"kline.'
_MARK_B = b'"kline.'


def is_kline_frame(raw: str | bytes) -> bool:
    """Cheap pre-check on the text: could this be a kline frame? (`"kline.` starts the topic
    of every one, whatever the spacing; `decode_kline_frame` checks the rest.)"""
    return (_MARK_B if isinstance(raw, bytes) else _MARK) in raw


def decode_kline_frame(raw: str | bytes) -> list[Kline] | None:
    """The klines of a `kline.{interval}.{symbol}` frame; None when `raw` is not one."""
    if not is_kline_frame(raw):
        return None
    try:
        frame = _decoder.decode(raw)
    except msgspec.DecodeError:  # ValidationError included: not the kline shape
        return None
    kind, _, rest = frame.topic.partition(".")
    code, _, symbol = rest.partition(".")
    if kind != "kline" or not symbol or "." in symbol:
        return None
    interval = INTERVALS.get(code, code)
    return [
        Kline(symbol, interval, e.start, e.end, e.open, e.high, e.low, e.close, e.volume, e.confirm)
        for e in frame.data
    ]


decode_frame = decode_kline_frame
"""The shape both venues' lean decoders share: the klines of a kline frame, else None."""
