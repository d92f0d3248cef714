"""Which kline updates become published closed bars: exactly once, in order, without gaps.

Pure and per symbol. A bar is published when the venue marks its kline closed (Binance
`x: true`, Bybit `confirm: true`); when a
newer candle starts while earlier bars were never published (their close frame was lost to a
websocket drop, or arrived out of order), those bars are a *gap* that the caller backfills over
REST before publishing anything newer. Anything at or before the last published open time is a
duplicate and dropped (deduplication by open time).

Across the symbols of one feed, `OrderedRelease` puts the gates' bars in one order (open time,
then the configured symbol order), so a drop that hit several symbols does not reorder them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from tradeyard.venues.common.kline import Kline

__all__ = ["ClosedBarGate", "Gap", "OrderedRelease"]

T = TypeVar("T")

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


class OrderedRelease(Generic[T]):
    """One feed's closed bars of several symbols, released in one order: (open time, symbol
    order), whatever order the symbols' websocket frames and REST backfills come in.

    Each symbol's `ClosedBarGate` says how far that symbol is settled: every bar of it opened at
    or before `gate.last_open` has been offered here (or is a known hole). A bar opened at T is
    released once every symbol is settled through T, so no other symbol can still come up with a
    bar at or before T: bars of one close time go out in the configured symbol order, and after
    a drop the backfilled bars of all symbols merge into the order an uninterrupted feed gives.

    A symbol that stays unsettled must not hold the others forever: `expire(now, hold_s)`
    releases the bars offered `hold_s` or more ago, giving up on the symbols that held them. Such
    a symbol is *lagging* (settled through less than `released_through`): it holds nobody, and
    its late bars are released as soon as they are offered (in its own order, but after newer
    bars of the others), until it has caught up with `released_through` and takes part again.

    Pure: the caller marks the gates, passes the time and receives the bars through `publish`.
    """

    __slots__ = ("_gates", "_order", "_pending", "_publish", "released_through")

    def __init__(self, gates: dict[str, ClosedBarGate], publish: Callable[[T], None]) -> None:
        self._gates = gates
        self._order = {s: i for i, s in enumerate(gates)}
        self._pending: list[tuple[int, int, T, float]] = []
        self._publish = publish
        self.released_through = -1
        """Open time of the newest bar released (-1: none yet)."""

    def __len__(self) -> int:
        """Bars offered but not released yet."""
        return len(self._pending)

    def offer(self, symbol: str, open_time: int, bar: T, now: float) -> int:
        """Hand over `symbol`'s bar opened at `open_time` (its gate already marked through it);
        publish what can go out now. Returns how many bars were published."""
        self._pending.append((open_time, self._order[symbol], bar, now))
        return self.release()

    def horizon(self) -> int:
        """Bars opened at or before this time can go out: the least settled open time of the
        symbols that are not lagging (-1 while one of them has nothing settled yet)."""
        through = self.released_through
        least: int | None = None
        for gate in self._gates.values():
            settled = -1 if gate.last_open is None else gate.last_open
            if settled >= through and (least is None or settled < least):
                least = settled
        return through if least is None else least

    def lagging(self) -> list[str]:
        """Symbols settled through less than what was released (given up on; not waited for)."""
        through = self.released_through
        return [
            s
            for s, g in self._gates.items()
            if (-1 if g.last_open is None else g.last_open) < through
        ]

    def release(self) -> int:
        """Publish the pending bars at or before the horizon, in (open time, symbol order).
        Call it after a gate advanced without a bar (a hole). Returns how many."""
        if not self._pending:
            return 0
        horizon = self.horizon()
        ready = [p for p in self._pending if p[0] <= horizon]
        if not ready:
            return 0
        if len(ready) == len(self._pending):
            self._pending = []
        else:
            self._pending = [p for p in self._pending if p[0] > horizon]
        if len(ready) > 1:
            ready.sort(key=_rank)
        publish = self._publish
        for p in ready:
            publish(p[2])
        if ready[-1][0] > self.released_through:
            self.released_through = ready[-1][0]
        return len(ready)

    def expire(self, now: float, hold_s: float) -> list[str]:
        """Release the bars held `hold_s` or longer (with everything before them), giving up
        on the symbols that held them. Returns those symbols (empty: nothing was overdue)."""
        overdue = [p[0] for p in self._pending if now - p[3] >= hold_s]
        if not overdue:
            return []
        newest = max(overdue)
        before = set(self.lagging())
        if newest > self.released_through:
            self.released_through = newest
        given_up = [s for s in self.lagging() if s not in before]
        self.release()
        return given_up


def _rank(pending: tuple[int, int, Any, float]) -> tuple[int, int]:
    return pending[0], pending[1]
