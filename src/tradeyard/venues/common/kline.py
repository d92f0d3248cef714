"""A kline as every adapter decodes it, whatever the venue's frame looks like."""

from __future__ import annotations

import msgspec

__all__ = ["Kline"]


class Kline(msgspec.Struct, frozen=True, gc=False):
    """One kline update, decoded: venue symbol, interval, times in ms, floats, closed flag."""

    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    closed: bool
