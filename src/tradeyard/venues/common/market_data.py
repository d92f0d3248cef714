"""Closed bars from a ccxt pro venue to the bus: REST warm-up, then a websocket feed, each bar once.

Shared by the live adapters. `md.<venue>.<symbol>.bar_<interval>` receives every closed bar
exactly once and in open-time order: the warm-up (recent closed bars over REST, oldest first),
then live bars. ccxt pro's `watch_ohlcv` drops the venue's "closed" flag, so each venue's client
(built with `KlineSinkMixin`) hands every kline frame to the feed itself: decoded straight
from the websocket text by the venue's `fast_klines.decode_frame` (the lean path: ccxt never
parses kline frames), or, without it, by the `decode_klines` hook from ccxt's dict.
`watch_ohlcv` is still what subscribes and reconnects. Per symbol, one task keeps the
subscription alive (re-watching after a drop, with exponential backoff and full jitter:
`common.backoff`, reset when the symbol's klines flow again). Each kline goes through the
symbol's `ClosedBarGate`: duplicates are dropped by open time, and a gap (a closing update
missed while disconnected) is backfilled over REST before newer bars go out. A kline is handled
at once, inside the websocket's frame handler, unless it reveals a gap: then it, and the
symbol's klines that follow until the backfill is done, go to the symbol's consumer task.

Across symbols, every closed bar goes out through one `OrderedRelease`: a bar opened at T is
published only once every symbol has published T too or is known to have no bar at T, so the
bars of one close time go out in the configured symbol order, and after a drop that lost bar
T's close on several symbols their backfilled bars merge into the order an uninterrupted feed
gives (the strategies' signals and the traders' order ids follow that order). The hold is
bounded by `stale_after_s`: a bar held that long is published anyway, and the symbols it waited
for (silent as long as the watchdog takes to call a stream dead) publish their late bars as
they come, out of the cross-symbol order, until they catch up.

A stale-stream watchdog covers the connection that stays open but goes quiet (a half-open TCP
connection, a stalled venue gateway: no close frame, so ccxt sees nothing wrong): when a
symbol's klines stop for `stale_after_s`, the feed logs it and fails the websocket that carried
them the way ccxt fails a connection whose pings go unanswered, so the watch loop reconnects and
the next kline's gap is backfilled.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar, Protocol

import ccxt

from tradeyard.bus import Bus
from tradeyard.events import Bar, topics
from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.closed_bars import ClosedBarGate, Gap, OrderedRelease
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.mark_prices import MarkPriceFeed, TradeFeed
from tradeyard.venues.common.parse import bar_from_kline, bar_from_ohlcv, interval_ms
from tradeyard.venues.common.symbols import to_ccxt as _to_ccxt
from tradeyard.venues.common.tasks import cancel_and_wait

__all__ = ["BarFeed", "FeedConfig", "KlineSinkMixin"]

log = logging.getLogger(__name__)


class FeedConfig(Protocol):
    venue: str
    interval: str
    warmup_bars: int
    reconnect_delay_s: float
    """Base of the reconnect backoff."""
    symbols: Sequence[str]
    # optional (defaults below): reconnect_max_delay_s, stale_after_s


DEFAULT_RECONNECT_MAX_DELAY_S = 30.0
DEFAULT_STALE_AFTER_S = 30.0


class KlineSinkMixin:
    """Mixed in before a ccxt pro exchange class: passes each kline to `kline_sink`.

    The lean path: when the class sets `fast_decode` (the venue's `fast_klines.decode_frame`:
    raw websocket text → `Kline`s, None for any other frame), every websocket client ccxt makes
    (`client(url)`) has its `handle_text_or_binary_message` wrapped so that kline frames go
    straight from the text to `kline_sink` and never reach ccxt (no JSON-to-dict parse, no
    `handle_ohlcv`, no OHLCV cache); every other frame (subscription replies, pongs, errors)
    takes ccxt's ordinary path. ccxt then never resolves `watch_ohlcv`: it only raises when the
    connection drops, which is all the feed's watch loop needs. Without a sink (a client used
    on its own) or without `fast_decode`, frames take ccxt's path, where `handle_ohlcv` passes
    the klines (decoded by `decode_klines` from ccxt's dict) to the sink before ccxt's own
    handling.
    """

    kline_sink: Callable[[Kline], None] | None = None
    fast_decode: ClassVar[Callable[[str | bytes], list[Kline] | None] | None] = None

    @property
    def kline_urls(self) -> dict[str, str]:
        """Venue symbol → URL of the websocket its last kline came on (the watchdog's target)."""
        urls: dict[str, str] | None = self.__dict__.get("_kline_urls")
        if urls is None:
            urls = self.__dict__["_kline_urls"] = {}
        return urls

    @staticmethod
    def decode_klines(message: Any) -> Iterable[Kline]:
        raise NotImplementedError

    def client(self, url: str) -> Any:
        """ccxt's per-URL websocket client, with the lean kline path wired in (once)."""
        ws = super().client(url)  # type: ignore[misc]
        decode = type(self).fast_decode
        if decode is None or getattr(ws, "_kline_fast_path", None) is not None:
            return ws
        slow = ws.handle_text_or_binary_message
        urls = self.kline_urls

        def handle(data: str | bytes) -> Any:
            sink = self.kline_sink
            if sink is None:
                return slow(data)
            try:
                klines = decode(data)
            except Exception:  # a decoder bug must not stop ccxt's receive loop: ccxt parses it
                log.debug("fast kline decode failed on %.200r", data, exc_info=True)
                klines = None
            if klines is None:
                return slow(data)  # not a kline frame: ccxt as before
            for kline in klines:
                urls[kline.symbol] = url
                sink(kline)
            return None

        ws.handle_text_or_binary_message = handle
        ws._kline_fast_path = slow  # ccxt's own handler, kept (the benchmark measures it)
        return ws

    def handle_ohlcv(self, client: Any, message: Any) -> Any:
        if self.kline_sink is not None:
            url = getattr(client, "url", None)
            for kline in self.decode_klines(message):
                if url is not None:
                    self.kline_urls[kline.symbol] = url
                self.kline_sink(kline)
        return super().handle_ohlcv(client, message)  # type: ignore[misc]


class BarFeed:
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`.

    A venue subclasses it and sets `rest_limit` (the most rows one REST history call returns);
    `fetch_history` (the REST call) and `kline_sink` wiring are the venue-specific hooks.
    """

    rest_limit = 1000

    mark_price_watcher = "watch_ticker"
    """The ccxt watcher whose answer carries the mark price (a venue may name another)."""

    def __init__(
        self, bus: Bus, client: Any, config: FeedConfig, rng: random.Random | None = None
    ) -> None:
        self._bus = bus
        self._client = client
        self._venue = config.venue
        self._interval = config.interval
        self._interval_ms = interval_ms(config.interval)
        self._warmup = config.warmup_bars
        self._delay = config.reconnect_delay_s
        self._max_delay = float(
            getattr(config, "reconnect_max_delay_s", DEFAULT_RECONNECT_MAX_DELAY_S)
        )
        self._stale_after = float(getattr(config, "stale_after_s", DEFAULT_STALE_AFTER_S))
        self._partial_bars = bool(getattr(config, "partial_bars", False))
        self._topics = {s: topics.bar(self._venue, s, self._interval) for s in config.symbols}
        self._rng = rng if rng is not None else random.Random()
        self._gates = {s: ClosedBarGate(self._interval_ms) for s in config.symbols}
        self._release: OrderedRelease[Bar] = OrderedRelease(self._gates, self._publish)
        """Every closed bar goes out through it: in (open time, symbol order) across symbols."""
        self._backoffs = {
            s: Backoff(self._delay, self._max_delay, rng=self._rng) for s in config.symbols
        }
        """Each symbol's reconnect backoff, reset when a kline of the symbol arrives."""
        self._queues: dict[str, asyncio.Queue[Kline]] = {s: asyncio.Queue() for s in config.symbols}
        self._last_frame: dict[str, float] = {s: 0.0 for s in config.symbols}
        """Loop time of each symbol's last kline frame, or of its last (re)subscription."""
        self._busy: set[str] = set()
        """Symbols whose klines go through the `_consume` task (a backfill under way)."""
        self._backing_off: set[str] = set()
        """Symbols whose watch loop sleeps before reconnecting (the watchdog leaves them be)."""
        self._tasks: list[asyncio.Task[None]] = []
        self.reconnects = 0
        """Websocket drops seen (for monitoring and tests)."""
        self.stale_reconnects = 0
        """Reconnects the stale-stream watchdog forced."""
        client.kline_sink = self._route

    def __repr__(self) -> str:
        return f"{type(self).__name__}(venue={self._venue!r}, symbols={list(self._gates)})"

    trade_stream_options: ClassVar[dict[str, Any]] = {}
    """ccxt options for `watch_trades` (Binance USDⓈ-M: the aggTrade stream)."""

    def trade_feed(self) -> TradeFeed:
        """The public trades of this feed's symbols, on the same market-data client (not started)."""
        if self.trade_stream_options:
            self._client.options.setdefault("watchTrades", {}).update(self.trade_stream_options)
        return TradeFeed(self._bus, self._client, self._venue, list(self._gates), "watch_trades",
                         self._delay, self._max_delay)  # fmt: skip

    def mark_price_feed(self) -> MarkPriceFeed:
        """The mark prices of this feed's symbols, on the same market-data client (not started)."""
        return MarkPriceFeed(self._bus, self._client, self._venue, list(self._gates),
                             self.mark_price_watcher, self._delay, self._max_delay)  # fmt: skip

    async def start(self) -> list[Bar]:
        """Load markets, publish the warm-up bars (returned too), then start the live feed."""
        await self._client.load_markets()
        warm = await asyncio.gather(*(self._warm_up(s) for s in self._gates))
        order = {s: i for i, s in enumerate(self._gates)}
        bars = sorted(
            (b for rows in warm for b in rows), key=lambda b: (b.open_time, order[b.symbol])
        )
        for bar in bars:
            self._publish(bar)
        now = asyncio.get_running_loop().time()
        for symbol in self._gates:
            self._last_frame[symbol] = now
            self._spawn(self._keep_watching(symbol), f"{self._venue}-watch-{symbol}")
            self._spawn(self._consume(symbol), f"{self._venue}-bars-{symbol}")
        if self._gates:
            self._spawn(self._watchdog(), f"{self._venue}-stale-watchdog")
        return bars

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
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
        """Hand the closed bars opened in [start, end) from REST, in order, to the release."""
        gate, (start, end) = self._gates[symbol], gap
        log.info("%s %s: backfilling bars %d..%d over REST", self._venue, symbol, start, end)
        while not gate.complete_up_to(end):
            since = start if gate.last_open is None else max(start, gate.last_open + 1)
            n = min(self.rest_limit, (end - since) // self._interval_ms + 2)
            rows = await self.fetch_history(symbol, since=since, limit=n)
            for row in rows:
                if int(row[0]) < end and gate.is_new(int(row[0])):
                    self._settle(symbol, bar_from_ohlcv(row, self._venue, symbol, self._interval))
            if not rows or int(rows[-1][0]) >= end - self._interval_ms:
                if rows and int(rows[-1][0]) >= end:
                    gate.mark(end - self._interval_ms)  # REST is current: what is missing is a hole
                    self._release.release()  # which may be what other symbols' bars wait for
                return

    # -- live feed ------------------------------------------------------------------------------
    def _route(self, kline: Kline) -> None:
        """Every kline (`kline_sink`). Handled at once, inside the websocket's frame handler,
        while its symbol has nothing to backfill; a gap (a REST call to wait for) hands it, and
        the symbol's next klines until the backfill is done, to the `_consume` task."""
        symbol = kline.symbol
        queue = self._queues.get(symbol)
        if queue is None or kline.interval != self._interval:
            return
        self._last_frame[symbol] = asyncio.get_running_loop().time()
        backoff = self._backoffs[symbol]
        if backoff.attempts:
            backoff.reset()  # data came: the next drop starts the backoff over
        if symbol in self._busy:
            queue.put_nowait(kline)  # behind the backfill under way
            return
        gate = self._gates[symbol]
        if self._partial_bars and not kline.closed and gate.is_new(kline.open_time):
            # The bar in progress (closed=False), straight out: strategies act on closed bars
            # only, but a live view (an aggregator's partial, a dashboard) wants the latest.
            self._bus.publish(self._topics[symbol], bar_from_kline(kline, self._venue))
        gap, ready = gate.on_kline(kline)
        if gap is not None:
            self._busy.add(symbol)
            queue.put_nowait(kline)
        elif ready is not None:
            try:
                self._settle(symbol, bar_from_kline(ready, self._venue))
            except Exception:  # a subscriber's bug must not stop the websocket's receive loop
                log.exception("%s %s: publishing the bar opened at %d failed",
                              self._venue, symbol, ready.open_time)  # fmt: skip

    async def _keep_watching(self, symbol: str) -> None:
        """Keep the symbol subscribed. With the lean kline path (`KlineSinkMixin.fast_decode`)
        ccxt never sees a kline frame, so `watch_ohlcv` does not return: it raises when the
        connection drops. The backoff is reset by `_route` when a kline of the symbol arrives
        (and when `watch_ohlcv` returns, which only ccxt's own kline path makes it do)."""
        backoff = self._backoffs[symbol]
        loop = asyncio.get_running_loop()
        while True:
            self._last_frame[symbol] = loop.time()  # the watchdog counts from (re)subscribing
            try:
                await self._client.watch_ohlcv(self.to_ccxt(symbol), self._interval)
                backoff.reset()  # ccxt's path (no lean decoder) delivered klines: data came
            except ccxt.BaseError as e:
                self.reconnects += 1
                delay = backoff.next_delay()
                log.warning("%s %s: kline stream lost (%s); re-watching in %.2fs (attempt %d)",
                            self._venue, symbol, e, delay, backoff.attempts)  # fmt: skip
                self._backing_off.add(symbol)
                try:
                    await asyncio.sleep(delay)
                finally:
                    self._backing_off.discard(symbol)

    async def _watchdog(self) -> None:
        """Every quarter of `stale_after_s` (at most 1 s), fail the websockets of the symbols
        whose klines stopped for `stale_after_s` while subscribed (not while a watch loop waits
        to reconnect); the watch loops then reconnect, with their backoff."""
        loop = asyncio.get_running_loop()
        period = min(1.0, self._stale_after / 4.0)
        while True:
            await asyncio.sleep(period)
            now = loop.time()
            self._expire_held_bars(now)
            stale = [
                s
                for s, t in self._last_frame.items()
                if now - t >= self._stale_after and s not in self._backing_off
            ]
            if not stale:
                continue
            for symbol in stale:
                self._last_frame[symbol] = now  # re-armed: a still-dead stream fires again later
            self.stale_reconnects += 1
            closed = self._fail_websockets(stale)
            log.warning(
                "%s %s: no kline for %.1fs (stale stream); forcing a reconnect (%d websocket(s) "
                "closed), missed bars will be backfilled over REST",
                self._venue, ",".join(stale), self._stale_after, closed,
            )  # fmt: skip

    def _fail_websockets(self, symbols: Sequence[str]) -> int:
        """Fail the ccxt websocket clients that carried `symbols` (all of them when unknown),
        the way ccxt fails a connection whose pings go unanswered: the pending watches raise
        a NetworkError, the client is forgotten and its socket closed. Returns how many."""
        clients: dict[str, Any] = getattr(self._client, "clients", None) or {}
        known: dict[str, str] = getattr(self._client, "kline_urls", None) or {}
        urls = {known.get(s) for s in symbols}
        targets = list(clients) if None in urls else [u for u in urls if u in clients]
        for url in targets:
            ws = clients.get(url)
            if ws is None:
                continue
            error = ccxt.RequestTimeout(
                f"{self._venue}: no kline for {self._stale_after:g}s on {url}; reconnecting"
            )
            try:
                ws.on_error(error)
            except Exception as e:  # a teardown hiccup must not stop the watchdog
                log.debug("%s: failing websocket %s raised %r", self._venue, url, e)
        return len(targets)

    def _expire_held_bars(self, now: float) -> None:
        """The cross-symbol hold is bounded by `stale_after_s`: a bar held that long (a symbol
        silent as long as it takes the watchdog to call its stream dead) goes out, and the
        symbols it waited for publish late until they catch up."""
        given_up = self._release.expire(now, self._stale_after)
        if given_up:
            log.warning(
                "%s %s: no bar for %.1fs while other symbols' bars wait; publishing them without "
                "it (its late bars follow as they come, out of the cross-symbol order)",
                self._venue, ",".join(given_up), self._stale_after,
            )  # fmt: skip

    def _settle(self, symbol: str, bar: Bar) -> None:
        """Mark `bar` on its gate and hand it to the ordered release."""
        self._gates[symbol].mark(bar.open_time)
        self._release.offer(symbol, bar.open_time, bar, asyncio.get_running_loop().time())

    async def _consume(self, symbol: str) -> None:
        """The klines `_route` could not handle at once (a gap to backfill, and whatever came
        for the symbol meanwhile), in order; the symbol is back on `_route`'s inline path once
        none is left."""
        queue = self._queues[symbol]
        while True:
            kline = await queue.get()
            try:
                await self._handle(symbol, kline)
            except Exception:  # a subscriber's bug: log it, keep the symbol's bars flowing
                log.exception("%s %s: handling the kline opened at %d failed",
                              self._venue, symbol, kline.open_time)  # fmt: skip
            finally:
                if queue.empty():
                    self._busy.discard(symbol)

    async def _handle(self, symbol: str, kline: Kline) -> None:
        gate = self._gates[symbol]
        gap, ready = gate.on_kline(kline)
        if gap is not None:
            try:
                await self._backfill(symbol, gap)
            except ccxt.BaseError as e:
                log.warning("%s %s: backfill failed (%s); retrying on the next update",
                            self._venue, symbol, e)  # fmt: skip
                return
            if not gate.complete_up_to(gap[1]):
                return  # REST lags the stream: the next update finds the gap again
        if ready is not None and gate.is_new(ready.open_time):
            self._settle(symbol, bar_from_kline(ready, self._venue))

    def _publish(self, bar: Bar) -> None:
        self._bus.publish(topics.bar(bar.venue, bar.symbol, bar.interval), bar)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        task.add_done_callback(_log_crash)
        self._tasks.append(task)


def _log_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("task %s stopped", task.get_name(), exc_info=task.exception())
