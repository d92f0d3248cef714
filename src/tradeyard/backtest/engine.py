"""The backtest loop: replays history through the same bots that trade live.

For every bar of the merged stream, in (close time, symbol) order:
  1. the simulated venue processes the bar (fills orders queued on earlier bars at its open,
     triggers stops / take-profits / limits from its high and low, marks positions, funding);
  2. the bar is published on `md.<venue>.<symbol>.bar_<interval>`; strategies react, traders
     turn signals into orders, the venue queues them for the next bar.
After the last bar of each timestamp every trader's equity is sampled.

Speed: bars are created once, published through the in-process bus (a direct call), and the
strategies' indicators are computed a chunk at a time by their vectorised twins (`prime`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import msgspec
import numpy as np

from tradeyard.backtest.chunk_loop import ChunkLoop, Completed, Dispatch
from tradeyard.backtest.equity import EquityBook
from tradeyard.backtest.merge import BarSource, MergedChunk, merged_chunks
from tradeyard.backtest.recorder import Recorder
from tradeyard.bots import Bot, StrategyBot, Trader
from tradeyard.bots.aggregator import AggregatorBot
from tradeyard.bus import InProcessBus
from tradeyard.events import topics
from tradeyard.marketdata import BarSeries

__all__ = ["BacktestEngine", "TraderRun"]


class TraderRun(msgspec.Struct):
    """The raw record of one trader over a run (turned into a BacktestResult by the runner)."""

    trader: str
    starting_equity: float
    times: np.ndarray
    equity: np.ndarray
    exposure: float
    fees_paid: float
    funding_paid: float
    max_leverage: float = 0.0
    """Highest Σ |position notional| / equity seen at any mark or fill."""


class BacktestEngine:
    def __init__(
        self,
        bus: InProcessBus,
        venue: Any,
        bars: Sequence[BarSeries] | BarSource,
        strategies: Sequence[StrategyBot],
        traders: Sequence[Trader],
        chunk_size: int = 65_536,
        prime: bool = True,
        progress: Callable[[int], None] | None = None,
        feeds: Sequence[Bot] = (),
        skip: bool = True,
    ) -> None:
        self.bus = bus
        self.venue = venue
        self.bars = bars if isinstance(bars, BarSource) else list(bars)
        self.strategies = list(strategies)
        self.traders = list(traders)
        self.feeds = list(feeds)
        """Data-side bots (bar aggregators) subscribed before the strategies."""
        self.chunk_size = chunk_size
        self.prime = prime
        self.skip = skip
        """Visit only the bars where something can happen (`backtest.skipping`); False visits
        every bar (same results, slower: the reference the tests compare with)."""
        self.progress = progress
        self.recorder = Recorder()
        self.bars_processed = 0

    def run(self) -> dict[str, TraderRun]:
        bus, venue = self.bus, self.venue
        bus.subscribe("cmd.>", self.recorder.on_event)
        bus.subscribe("exec.>", self.recorder.on_event)
        bus.subscribe(topics.command(venue.name), venue.on_command)
        bots: list[Bot] = [*self.feeds, *self.strategies, *self.traders]
        for bot in bots:
            for pattern, handler in bot.handlers():
                bus.subscribe(pattern, handler)
        for trader in self.traders:
            venue.open_account(trader.bot_id)
        for bot in bots:
            bot.on_start()
        interval = _interval(self.bars)
        # Only bots trading the data's own interval can take precomputed indicator chunks;
        # bots on aggregated bars (5m, 1d, ...) update their indicators bar by bar.
        primed = [b for b in self.strategies if self.prime and b.interval == interval]
        # Aggregators build a chunk's coarser bars at once; the loop hands them out (see
        # `_aggregate`) instead of calling the aggregator on every source bar.
        aggregators = [
            f for f in self.feeds
            if self.prime and isinstance(f, AggregatorBot) and f.source_interval == interval
        ]  # fmt: skip

        trader_ids = [t.bot_id for t in self.traders]
        accounts = [venue.account(t) for t in trader_ids]
        start_eq = {t: venue.equity(t) for t in trader_ids}
        symbols = _symbols(self.bars)
        book = EquityBook(accounts, symbols)
        vname = venue.name
        bar_topics = {s: topics.bar(vname, s, interval) for s in symbols}
        handlers = {s: bus.handlers(t) for s, t in bar_topics.items()}
        # The engine samples equity and leverage itself (`EquityBook`), at every close time.
        venue.track_leverage = False

        queue = bus.hold()  # bars go straight to their handlers; what they publish is queued
        try:
            for chunk in merged_chunks(self.bars, self.chunk_size, columns=False):
                if primed:
                    self._prime(primed, chunk.per_symbol)
                dispatch, due = _aggregate(aggregators, chunk, bar_topics, handlers)
                ChunkLoop(
                    venue, bus.drain, queue, chunk, dispatch, due, interval, book, self.skip
                ).run()
                for bot in primed:
                    bot.unprime()
                book.close_chunk(chunk)
                self.bars_processed += len(chunk)
                if self.progress is not None:
                    self.progress(len(chunk))
        finally:
            bus.release()
            venue.sync_marks = None
        for bot in bots:
            bot.on_stop()

        t_arr = book.times.astype(np.int64)
        n = max(len(t_arr), 1)
        return {
            t: TraderRun(
                trader=t,
                starting_equity=start_eq[t],
                times=t_arr,
                equity=book.curve(i),
                exposure=book.exposed[i] / n,
                fees_paid=venue.fees_paid(t),
                funding_paid=venue.funding_paid(t),
                max_leverage=max(venue.max_leverage(t), book.max_leverage[i]),
            )
            for i, t in enumerate(trader_ids)
        }

    def _prime(self, bots: list[StrategyBot], per_symbol: dict[str, BarSeries]) -> None:
        for bot in bots:
            for symbol, part in per_symbol.items():
                bot.prime(
                    symbol,
                    {
                        "open_time": part.open_time,
                        "open": part.open,
                        "high": part.high,
                        "low": part.low,
                        "close": part.close,
                        "volume": part.volume,
                    },
                )


def _aggregate(
    aggregators: list[AggregatorBot],
    chunk: MergedChunk,
    bar_topics: dict[str, str],
    handlers: dict[str, tuple[Any, ...]],
) -> tuple[dict[str, Dispatch], dict[int, Completed]]:
    """Aggregate the chunk's bars at once. Return, per symbol, its bar topic and the handlers
    to call before and after the point where the aggregators' handlers sit, and, per merged
    row that completes coarser bars, those bars (published at that point).

    So the bus sees the same events in the same order as when each bar goes through the
    aggregators. An aggregator that cannot take the chunk (see
    `AggregatorBot.aggregate_chunk`) keeps its handler, and so do the ones after it.
    """
    dispatch: dict[str, Dispatch] = {s: (t, handlers[s], ()) for s, t in bar_topics.items()}
    due: dict[int, Completed] = {}
    if not aggregators:
        return dispatch, due
    for s, part in chunk.per_symbol.items():
        hs = handlers[s]
        mine = [feed.handler_of(s) for feed in aggregators]
        at = next((i for i, h in enumerate(hs) if h in mine), None)
        if at is None:
            continue
        columns = {
            "open_time": part.open_time, "open": part.open, "high": part.high,
            "low": part.low, "close": part.close, "volume": part.volume,
        }  # fmt: skip
        taken = 0
        for k, feed in enumerate(aggregators):
            if at + k >= len(hs) or hs[at + k] != mine[k]:
                break  # not next in the bus's order: leave it to the bus
            completed = feed.aggregate_chunk(s, columns)
            if completed is None:
                break
            taken += 1
            if completed:
                rows = chunk.merged_rows(s)
                for i, bars in completed.items():
                    due.setdefault(rows[i], []).append((feed, bars))
        if taken:
            dispatch[s] = (bar_topics[s], hs[:at], hs[at + taken :])
    return dispatch, due


def _symbols(bars: Sequence[BarSeries] | BarSource) -> list[str]:
    return list(bars.symbols) if isinstance(bars, BarSource) else [s.symbol for s in bars]


def _interval(bars: Sequence[BarSeries] | BarSource) -> str:
    if isinstance(bars, BarSource):
        return bars.interval
    return bars[0].interval if bars else "1m"
