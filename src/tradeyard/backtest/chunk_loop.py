"""The backtest's inner loop over one chunk of the merged stream: it visits only the bars where
something can happen (see `backtest.skipping` for which ones), in (close time, symbol) order.

A visited bar goes through exactly what every bar went through before skipping existed: the
venue's `on_bar`, then the bar's handlers on the bus, with the coarser bars it completes
published at the aggregators' place. Then the symbol's next visit is looked up, and when the
venue's state moved (an order, a fill, funding), the other symbols' too.

What skipped bars would have done is caught up where it is read:
- marks: before the venue reads an account (`SimVenue.sync_marks`), every position is marked
  at its symbol's latest close, and a symbol is marked at its previous close before its bar;
- strategy runners: their cursor is set to the visited bar's row in the primed chunk;
- equity, exposure and leverage: sampled at every close time by `EquityBook`, from the states
  recorded after each row where an account changed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sized
from heapq import heapify, heappop, heappush
from typing import Any

import numpy as np

from tradeyard.backtest.equity import EquityBook
from tradeyard.backtest.merge import MergedChunk
from tradeyard.backtest.skipping import SymbolRows
from tradeyard.bots.aggregator import AggregatorBot
from tradeyard.bots.strategy_bot import _SymbolRunner
from tradeyard.events import Bar
from tradeyard.marketdata import INTERVAL_MS

__all__ = ["ChunkLoop", "Completed", "Dispatch"]

Completed = list[tuple[AggregatorBot, list[Bar]]]
"""The coarser bars a row completes, per aggregator (published where its handler sits)."""
Dispatch = tuple[str, tuple[Any, ...], tuple[Any, ...]]


class ChunkLoop:
    def __init__(
        self,
        venue: Any,
        drain: Callable[[], None],
        queue: Sized,
        chunk: MergedChunk,
        dispatch: dict[str, Dispatch],
        due: dict[int, Completed],
        interval: str,
        book: EquityBook,
        skip: bool,
    ) -> None:
        self.venue = venue
        self.drain = drain
        self.queue = queue
        """The held bus's queue: what the handlers published, delivered by `drain`."""
        self.chunk = chunk
        self.dispatch = dispatch
        self.due = due
        self.interval = interval
        self.book = book
        step = INTERVAL_MS[interval] - 1
        self.symbols: list[SymbolRows] = []
        due_rows = np.fromiter(due, dtype=np.int64, count=len(due))
        for s, part in chunk.per_symbol.items():
            if not len(part):
                continue
            rows = chunk.merged_rows_array(s)
            _, before, after = dispatch[s]
            runners = [h.__self__ for h in (*before, *after) if _is_runner(h)]
            skippable = skip and len(runners) == len(before) + len(after)
            completes = np.flatnonzero(np.isin(rows, due_rows)).tolist() if due else []
            sr = SymbolRows(s, part, rows.tolist(), step, runners, skippable, completes)
            self.symbols.append(sr)
        self.index = {sr.symbol: k for k, sr in enumerate(self.symbols)}
        self.marked = [-1] * len(self.symbols)
        """Per symbol, the row of the close its positions are marked at (-1: the last chunk's)."""
        self.row = 0
        self.current = -1
        self.synced = -1

    def run(self) -> None:
        venue, symbols = self.venue, self.symbols
        venue.sync_marks = self.sync_marks
        vname, interval, step = venue.name, self.interval, INTERVAL_MS[self.interval] - 1
        venue_on_bar, drain, queue = venue.on_bar, self.drain, self.queue
        dispatch, due, book, marked = self.dispatch, self.due, self.book, self.marked
        wake = [0] * len(symbols)
        done = [-1] * len(symbols)
        venue.take_narrowed()  # every symbol's first visit is its first row
        heap = [(sr.rows[0], k) for k, sr in enumerate(symbols)]
        heapify(heap)
        activity, changes = venue.activity, venue.n_account_changes
        while heap:
            r, k = heappop(heap)
            sr = symbols[k]
            i = wake[k]
            if i <= done[k] or i >= sr.n or sr.rows[i] != r:
                continue  # superseded by a later look-up
            done[k] = i
            s = sr.symbol
            bo, bh, bl, bc, bv = sr.bar
            if marked[k] < i - 1:
                venue.mark(s, bc[i - 1])
            marked[k] = i
            self.row, self.current = r, k
            for runner in sr.runners:
                runner.cursor = i
            ot = sr.open_time[i]
            ct = ot + step
            bar = Bar(
                vname, s, interval, ot, ct, bo[i], bh[i], bl[i], bc[i], bv[i], True,
            )  # fmt: skip
            venue_on_bar(bar)
            if queue:
                drain()
            topic, before, after = dispatch[s]
            for handler in before:
                handler(topic, bar)
            completed = due.get(r) if due else None
            if completed is not None:  # where the aggregators' handlers would have run
                for feed, bars in completed:
                    feed.emit_due(ct, bars)
            for handler in after:
                handler(topic, bar)
            if queue:
                drain()
            if venue.activity != activity:
                activity = venue.activity
                if venue.n_account_changes != changes:
                    changes = venue.n_account_changes
                    book.snapshot(r)
                self._look_again(k, r, wake, heap)
            nxt = wake[k] = sr.next_wake(i + 1, venue.wake_levels(s))
            if nxt < sr.n:
                heappush(heap, (sr.rows[nxt], k))
        self._finish()

    def _look_again(self, k: int, r: int, wake: list[int], heap: list[tuple[int, int]]) -> None:
        """The venue's state moved at row `r`: look again at the symbols whose levels narrowed
        (the current one is looked at anyway)."""
        venue = self.venue
        for symbol in venue.take_narrowed():
            k2 = self.index.get(symbol)
            if k2 is None or k2 == k:
                continue
            sr = self.symbols[k2]
            # Its rows up to r were passed under the old levels. Only the venue's part of its
            # next visit can have changed, and only an earlier visit matters.
            j = bisect_right(sr.rows, r)
            before = min(wake[k2], sr.n)
            nxt = sr.venue_wake(j, venue.wake_levels(symbol), before)
            if nxt < before:
                wake[k2] = nxt
                heappush(heap, (sr.rows[nxt], k2))

    def sync_marks(self) -> None:
        """Mark every position at its symbol's latest close before the current row (the
        current row's symbol is already marked where its bar has got to)."""
        venue, r, marked = self.venue, self.row, self.marked
        if r == self.synced:
            return  # once a row: only the current symbol's positions change within it
        self.synced = r
        for s in venue.position_symbols():
            k = self.index.get(s)
            if k is None or k == self.current:
                continue
            sr = self.symbols[k]
            i = bisect_left(sr.rows, r) - 1
            if i > marked[k]:
                venue.mark(s, sr.bar[3][i])
                marked[k] = i

    def _finish(self) -> None:
        """Every position marked at its symbol's last close; runners at the end of the chunk."""
        self.venue.sync_marks = None
        for k, sr in enumerate(self.symbols):
            if self.marked[k] < sr.n - 1:
                self.venue.mark(sr.symbol, sr.bar[3][sr.n - 1])
            for runner in sr.runners:
                runner.cursor = sr.n if runner.open_times is not None else runner.cursor


def _is_runner(handler: Any) -> bool:
    return getattr(handler, "__func__", None) is _SymbolRunner.on_message
