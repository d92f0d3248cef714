"""Which bars the backtest engine must visit: the next bar of a symbol where something can happen.

Most bars change nothing. A symbol's bar needs a visit when

- the simulated venue must see it: an order could trigger or fill on it, a position could be
  liquidated, funding is due (`SimVenue.wake_levels`: a low level, a high level, a time);
- one of its strategies has not promised to skip it (`Strategy.skip_bars`: until a time, a
  high / low level, or a bar marked by the strategy's `watch`);
- it completes a coarser bar (multi-timeframe aggregation), or it is the first of its chunk.

On every other bar the only effect is on the marks, which the engine applies when something
reads them (`SimVenue.sync_marks`) and on the equity curve (`backtest.equity`). A symbol whose
bar topic has any other subscriber (a journal, a trader's volatility feed, a strategy that
streams its indicators) is visited on every bar.

Finding the next bar breaking a price level is a search over the chunk's highs and lows: a
look at the suffix maximum / minimum answers "not in this chunk" in O(1), otherwise numpy
scans windows that grow eightfold from 8 bars.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

import numpy as np

from tradeyard.marketdata import BarSeries

__all__ = ["SymbolRows"]


class SymbolRows:
    """One symbol's bars in a chunk, with the searches the engine runs on them."""

    __slots__ = (
        "_suffix_high",
        "_suffix_low",
        "bar",
        "close",
        "due",
        "high",
        "low",
        "n",
        "open",
        "open_time",
        "rows",
        "runners",
        "skippable",
        "step",
        "symbol",
        "volume",
    )

    def __init__(
        self,
        symbol: str,
        part: BarSeries,
        rows: list[int],
        step: int,
        runners: list[Any],
        skippable: bool,
        due: list[int],
    ) -> None:
        self.symbol = symbol
        self.rows = rows
        """The merged row of each of the symbol's bars in the chunk."""
        self.n = len(rows)
        self.step = step
        """close_time − open_time."""
        # Rows are read one at a time through memoryviews (the same Python ints and floats as
        # `tolist()`, without converting the rows that are never visited).
        self.open_time: Sequence[int] = memoryview(
            np.ascontiguousarray(part.open_time, dtype=np.int64)
        )
        self.open = np.ascontiguousarray(part.open, dtype=np.float64)
        self.high = np.ascontiguousarray(part.high, dtype=np.float64)
        self.low = np.ascontiguousarray(part.low, dtype=np.float64)
        self.close = np.ascontiguousarray(part.close, dtype=np.float64)
        self.volume = np.ascontiguousarray(part.volume, dtype=np.float64)
        self.bar: tuple[Sequence[float], ...] = tuple(
            memoryview(a) for a in (self.open, self.high, self.low, self.close, self.volume)
        )
        """open, high, low, close, volume by row, as Python floats."""
        self.runners = runners
        """The strategy runners subscribed to the symbol's bars (their cursors follow the rows)."""
        self.skippable = skippable
        self.due = due
        """Local rows that complete a coarser bar, ascending."""
        self._suffix_high: np.ndarray | None = None
        self._suffix_low: np.ndarray | None = None

    def next_wake(self, j: int, venue_levels: tuple[float, float, float]) -> int:
        """The first local row ≥ `j` the engine must visit (`n`: none in this chunk)."""
        n = self.n
        if j >= n or not self.skippable:
            return j
        low, high, funding = venue_levels
        until = funding - self.step  # a close time at or after `funding`: an open time
        best = n
        for runner in self.runners:
            inst = runner.inst
            t = inst._skip_until
            if t == 0 or (runner.feeds and runner.open_times is None):
                return j  # no promise, or indicators streamed bar by bar
            if t < until:
                until = t
            if inst._skip_above < high:
                high = inst._skip_above
            if inst._skip_below > low:
                low = inst._skip_below
            left = inst._skip_left
            if left >= 0 and j + left < best:
                best = j + left
            name = inst._skip_wake
            if name is not None:
                if runner.marked is None:
                    return j
                marked = runner.wake_rows(name)
                k = bisect_left(marked, j)
                if k < len(marked) and marked[k] < best:
                    best = marked[k]
        due = self.due
        if due:
            k = bisect_left(due, j)
            if k < len(due) and due[k] < best:
                best = due[k]
        if until < self.open_time[-1] + 1:
            k = bisect_left(self.open_time, until, j)
            if k < best:
                best = k
        k = self.first_break(j, low, high, best)
        return k if k < best else best

    def venue_wake(self, j: int, venue_levels: tuple[float, float, float], stop: int) -> int:
        """The first local row in [j, stop) the venue's levels alone wake on, else `stop`."""
        low, high, funding = venue_levels
        until = funding - self.step
        if until < self.open_time[-1] + 1:
            k = bisect_left(self.open_time, until, j)
            if k < stop:
                stop = k
        return self.first_break(j, low, high, stop)

    def first_break(self, j: int, low: float, high: float, stop: int) -> int:
        """The first local row in [j, stop) whose low ≤ `low` or high ≥ `high`, else `stop`."""
        if j >= stop or (low == -np.inf and high == np.inf):
            return stop
        if low == np.inf or high == -np.inf:
            return j  # every bar (the venue has an order waiting for the open)
        if self._suffix_high is None:
            self._suffix_high = np.maximum.accumulate(self.high[::-1])[::-1]
            self._suffix_low = np.minimum.accumulate(self.low[::-1])[::-1]
        assert self._suffix_low is not None
        if self._suffix_high[j] < high and self._suffix_low[j] > low:
            return stop
        # Levels near the price (a take-profit, a stop) are often reached within a few bars:
        # look at those one by one before handing the rest to numpy.
        highs, lows = self.bar[1], self.bar[2]
        end = min(j + 8, stop)
        while j < end:
            if highs[j] >= high or lows[j] <= low:
                return j
            j += 1
        width = 64
        while j < stop:
            end = min(j + width, stop)
            hit = (self.high[j:end] >= high) | (self.low[j:end] <= low)
            k = int(hit.argmax())
            if hit[k]:
                return j + k
            j = end
            width <<= 3
        return stop
