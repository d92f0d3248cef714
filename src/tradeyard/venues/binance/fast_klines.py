"""Kline frames straight from the websocket text to `Kline`s, without ccxt: the lean path.

ccxt pro parses every frame to a dict (orjson), then its `handle_ohlcv` walks it with
`safe_*` calls and updates its OHLCV cache, and the adapter decodes the same dict once more
(`schemas.decode_kline`) for the closed flag. Here one msgspec decode of the raw text goes to
typed Structs with the prices already floats (lax mode: Binance's decimal strings are parsed
with correct rounding, the same floats `float(str)` gives), so a frame costs a few µs.

`decode_kline_frame(raw)` answers None for anything that is not a kline frame (subscription
replies, mark prices, …), which then takes ccxt's ordinary path. Raw (`/ws`) and combined
(`/stream`: `{"stream": …, "data": {…}}`) frames are both understood.
"""

from __future__ import annotations

import msgspec

from tradeyard.venues.common.kline import Kline

__all__ = ["decode_frame", "decode_kline_frame", "is_kline_frame"]


class _K(msgspec.Struct, gc=False):
    t: int
    T: int
    s: str
    i: str
    o: float
    c: float
    h: float
    l: float  # noqa: E741 (Binance's field name)
    v: float
    x: bool


class _Event(msgspec.Struct, gc=False):
    e: str
    k: _K


class _Combined(msgspec.Struct, gc=False):
    data: _Event


_raw = msgspec.json.Decoder(_Event, strict=False)
_combined = msgspec.json.Decoder(_Combined, strict=False)
_COMBINED = ('{"stream":', b'{"stream":')
_MARK = '"kline"'
_MARK_B = b'"kline"'


def _unwrap(frame: _Event | _Combined) -> _Event:
    return frame.data if isinstance(frame, _Combined) else frame


def is_kline_frame(raw: str | bytes) -> bool:
    """Cheap pre-check on the text: could this be a kline frame? (`"kline"` appears in every
    one, whatever the spacing; `decode_kline_frame` checks the rest.)"""
    return (_MARK_B if isinstance(raw, bytes) else _MARK) in raw


def decode_kline_frame(raw: str | bytes) -> Kline | None:
    """The kline of a raw or combined kline frame; None when `raw` is not one."""
    if not is_kline_frame(raw):
        return None
    first, second = (_combined, _raw) if raw[:10] in _COMBINED else (_raw, _combined)
    try:
        event = _unwrap(first.decode(raw))
    except msgspec.DecodeError:  # ValidationError included: not this shape; the other one?
        try:
            event = _unwrap(second.decode(raw))
        except msgspec.DecodeError:
            return None
    if event.e != "kline":
        return None
    k = event.k
    return Kline(k.s, k.i, k.t, k.T, k.o, k.h, k.l, k.c, k.v, k.x)


def decode_frame(raw: str | bytes) -> list[Kline] | None:
    """`decode_kline_frame` as a list (the shape both venues' lean decoders share)."""
    kline = decode_kline_frame(raw)
    return None if kline is None else [kline]
