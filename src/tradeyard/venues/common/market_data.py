"""Closed bars from a ccxt pro venue to the bus: REST warm-up, then a websocket feed, each bar once.

Shared by the live adapters. `md.<venue>.<symbol>.bar_<interval>` receives every closed bar
exactly once and in open-time order: the warm-up (recent closed bars over REST, oldest first),
then live bars. ccxt pro's `watch_ohlcv` drops the venue's "closed" flag, so each venue's client
(built with `KlineSinkMixin`) also hands every raw kline frame, decoded by the venue's
`decode_klines` hook, to the feed; `watch_ohlcv` is still what subscribes and reconnects. Per
symbol, one task keeps the subscription alive (re-watching after a drop) and one consumes the
klines through a `ClosedBarGate`: duplicates are dropped by open time, and a gap (a closing
update missed while disconnected) is backfilled over REST before newer bars go out.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

import ccxt

from tradeyard.bus import Bus
from tradeyard.events import Bar, topics
from tradeyard.venues.common.closed_bars import ClosedBarGate, Gap
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.parse import bar_from_kline, bar_from_ohlcv, interval_ms
from tradeyard.venues.common.symbols import to_ccxt as _to_ccxt

__all__ = ["BarFeed", "FeedConfig", "KlineSinkMixin"]

log = logging.getLogger(__name__)


class FeedConfig(Protocol):
    venue: str
    interval: str
    warmup_bars: int
    reconnect_delay_s: float
    symbols: Sequence[str]


class KlineSinkMixin:
    """Mixed in before a ccxt pro exchange class: passes each raw kline frame, decoded by
    `decode_klines`, to `kline_sink`, then lets ccxt handle it as usual."""

    kline_sink: Callable[[Kline], None] | None = None

    @staticmethod
    def decode_klines(message: Any) -> Iterable[Kline]:
        raise NotImplementedError

    def handle_ohlcv(self, client: Any, message: Any) -> Any:
        if self.kline_sink is not None:
            for kline in self.decode_klines(message):
                self.kline_sink(kline)
        return super().handle_ohlcv(client, message)  # type: ignore[misc]


class BarFeed:
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`.

    A venue subclasses it and sets `rest_limit` (the most rows one REST history call returns);
    `fetch_history` (the REST call) and `kline_sink` wiring are the venue-specific hooks.
    """

    rest_limit = 1000

    def __init__(self, bus: Bus, client: Any, config: FeedConfig) -> None:
        self._bus = bus
        self._client = client
        self._venue = config.venue
        self._interval = config.interval
        self._interval_ms = interval_ms(config.interval)
        self._warmup = config.warmup_bars
        self._delay = config.reconnect_delay_s
        self._gates = {s: ClosedBarGate(self._interval_ms) for s in config.symbols}
        self._queues: dict[str, asyncio.Queue[Kline]] = {s: asyncio.Queue() for s in config.symbols}
        self._tasks: list[asyncio.Task[None]] = []
        self.reconnects = 0
        """Websocket drops seen (for monitoring and tests)."""
        client.kline_sink = self._route

    def __repr__(self) -> str:
        return f"{type(self).__name__}(venue={self._venue!r}, symbols={list(self._gates)})"

    async def start(self) -> list[Bar]:
        """Load markets, publish the warm-up bars (returned too), then start the live feed."""
        await self._client.load_markets()
        warm = await asyncio.gather(*(self._warm_up(s) for s in self._gates))
        bars = sorted((b for rows in warm for b in rows), key=lambda b: (b.open_time, b.symbol))
        for bar in bars:
            self._publish(bar)
        for symbol in self._gates:
            self._spawn(self._keep_watching(symbol), f"{self._venue}-watch-{symbol}")
            self._spawn(self._consume(symbol), f"{self._venue}-bars-{symbol}")
        return bars

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self._client.close()

    # -- venue hooks ----------------------------------------------------------------------------
    def to_ccxt(self, symbol: str) -> str:
        """The venue symbol ('BTCUSDT') as ccxt's unified symbol ('BTC/USDT:USDT')."""
        return _to_ccxt(symbol)

    async def fetch_history(
        self, symbol: str, *, limit: int, since: int | None = None
    ) -> list[list[Any]]:
        """OHLCV rows over REST, oldest first (the last one may be the candle still forming)."""
        if since is None:
            return await self._client.fetch_ohlcv(self.to_ccxt(symbol), self._interval, limit=limit)
        return await self._client.fetch_ohlcv(
            self.to_ccxt(symbol), self._interval, since=since, limit=limit
        )

    # -- warm-up and backfill over REST ---------------------------------------------------------
    async def _warm_up(self, symbol: str) -> list[Bar]:
        if self._warmup == 0:
            return []
        rows = await self.fetch_history(symbol, limit=self._warmup + 1)
        closed = rows[:-1][-self._warmup :]  # the last row is the candle still forming
        if closed:
            self._gates[symbol].mark(int(closed[-1][0]))
        return [bar_from_ohlcv(r, self._venue, symbol, self._interval) for r in closed]

    async def _backfill(self, symbol: str, gap: Gap) -> None:
        """Publish the closed bars opened in [start, end) from REST, in order."""
        gate, (start, end) = self._gates[symbol], gap
        log.info("%s %s: backfilling bars %d..%d over REST", self._venue, symbol, start, end)
        while not gate.complete_up_to(end):
            since = start if gate.last_open is None else max(start, gate.last_open + 1)
            n = min(self.rest_limit, (end - since) // self._interval_ms + 2)
            rows = await self.fetch_history(symbol, since=since, limit=n)
            for row in rows:
                if int(row[0]) < end and gate.is_new(int(row[0])):
                    self._publish(bar_from_ohlcv(row, self._venue, symbol, self._interval))
                    gate.mark(int(row[0]))
            if not rows or int(rows[-1][0]) >= end - self._interval_ms:
                if rows and int(rows[-1][0]) >= end:
                    gate.mark(end - self._interval_ms)  # REST is current: what is missing is a hole
                return

    # -- live feed ------------------------------------------------------------------------------
    def _route(self, kline: Kline) -> None:
        queue = self._queues.get(kline.symbol)
        if queue is not None and kline.interval == self._interval:
            queue.put_nowait(kline)

    async def _keep_watching(self, symbol: str) -> None:
        while True:
            try:
                await self._client.watch_ohlcv(self.to_ccxt(symbol), self._interval)
            except ccxt.BaseError as e:
                self.reconnects += 1
                log.warning("%s %s: kline stream lost (%s); re-watching", self._venue, symbol, e)
                await asyncio.sleep(self._delay)

    async def _consume(self, symbol: str) -> None:
        gate, queue = self._gates[symbol], self._queues[symbol]
        while True:
            kline = await queue.get()
            gap, ready = gate.on_kline(kline)
            if gap is not None:
                try:
                    await self._backfill(symbol, gap)
                except ccxt.BaseError as e:
                    log.warning("%s %s: backfill failed (%s); retrying on the next update",
                                self._venue, symbol, e)  # fmt: skip
                    continue
                if not gate.complete_up_to(gap[1]):
                    continue  # REST lags the stream: the next update finds the gap again
            if ready is not None and gate.is_new(ready.open_time):
                self._publish(bar_from_kline(ready, self._venue))
                gate.mark(ready.open_time)

    def _publish(self, bar: Bar) -> None:
        self._bus.publish(topics.bar(bar.venue, bar.symbol, bar.interval), bar)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("task %s stopped", task.get_name(), exc_info=task.exception())
