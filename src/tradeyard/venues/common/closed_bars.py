"""Which kline updates become published closed bars: exactly once, in order, without gaps.

Pure and per symbol. A bar is published when the venue marks its kline closed (Binance
`x: true`, Bybit `confirm: true`); when a
newer candle starts while earlier bars were never published (their close frame was lost to a
websocket drop, or arrived out of order), those bars are a *gap* that the caller backfills over
REST before publishing anything newer. Anything at or before the last published open time is a
duplicate and dropped (deduplication by open time).
"""

from __future__ import annotations

from tradeyard.venues.common.kline import Kline

__all__ = ["ClosedBarGate", "Gap"]

Gap = tuple[int, int]
"""Open times [start, end) of closed bars that must be fetched over REST."""


class ClosedBarGate:
    """State of one symbol's bar feed: the open time of the last bar published."""

    __slots__ = ("interval_ms", "last_open")

    def __init__(self, interval_ms: int, last_open: int | None = None) -> None:
        self.interval_ms = interval_ms
        self.last_open = last_open

    def is_new(self, open_time: int) -> bool:
        return self.last_open is None or open_time > self.last_open

    def on_kline(self, kline: Kline) -> tuple[Gap | None, Kline | None]:
        """(gap to backfill first, kline to publish after it); (None, None) for nothing to do."""
        if not self.is_new(kline.open_time):
            return None, None
        gap: Gap | None = None
        if self.last_open is not None:
            expected = self.last_open + self.interval_ms
            if expected < kline.open_time:  # bars before this candle are closed but unpublished
                gap = (expected, kline.open_time)
        return gap, (kline if kline.closed else None)

    def mark(self, open_time: int) -> None:
        """Record that the bar opened at `open_time` was published (or is a known hole)."""
        if self.is_new(open_time):
            self.last_open = open_time

    def complete_up_to(self, end: int) -> bool:
        """True when every bar opened before `end` has been published."""
        return self.last_open is not None and self.last_open + self.interval_ms >= end
