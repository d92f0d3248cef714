"""Mark prices and public trades from the venue's public websocket to the bus:
`md.<venue>.<symbol>.mark` and `md.<venue>.<symbol>.trade`.

Binance pushes `<symbol>@markPrice` (ccxt `watch_mark_price`), Bybit carries the mark in its
`tickers.<symbol>` stream (ccxt `watch_ticker`); each venue's market-data class names its
watcher (`mark_price_watcher`). One task per symbol re-watches after a lost stream with jittered
backoff; an update is published once per (symbol, time). The funding rate and next funding
time travel along where the venue puts them in the same message. Trades come from ccxt's
`watch_trades` (Binance `<symbol>@aggTrade`, Bybit `publicTrade.<symbol>`), each once by id.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from tradeyard.bus import Bus
from tradeyard.events import MarkPrice, Trade, topics
from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.symbols import to_ccxt
from tradeyard.venues.common.tasks import cancel_and_wait

__all__ = ["MarkPriceFeed", "TradeFeed", "mark_price_from_ticker", "trade_from_ccxt"]

log = logging.getLogger(__name__)


def _number(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def mark_price_from_ticker(venue: str, symbol: str, ticker: Mapping[str, Any]) -> MarkPrice | None:
    """The MarkPrice in a ccxt ticker (None when it carries no mark price)."""
    mark = _number(ticker.get("markPrice"))
    ts = ticker.get("timestamp")
    if mark is None or ts is None:
        return None
    info = ticker.get("info") or {}
    nxt = _number(info.get("T") or info.get("nextFundingTime"))
    return MarkPrice(
        venue, symbol, int(ts), mark, _number(ticker.get("indexPrice")),
        _number(info.get("r") or info.get("fundingRate")), int(nxt) if nxt else None,
    )  # fmt: skip


def trade_from_ccxt(venue: str, symbol: str, trade: Mapping[str, Any]) -> Trade | None:
    """The Trade in a ccxt trade (None when it lacks a time, price or size)."""
    price, qty, ts = (
        _number(trade.get("price")),
        _number(trade.get("amount")),
        trade.get("timestamp"),
    )
    if price is None or qty is None or ts is None:
        return None
    side = "sell" if trade.get("side") == "sell" else "buy"
    return Trade(venue, symbol, int(ts), price, qty, side, str(trade.get("id") or ""))


class MarkPriceFeed:
    """Publishes the mark price of each of `symbols`. `start()`, then `close()`."""

    kind = "mark price"

    def __init__(
        self,
        bus: Bus,
        client: Any,
        venue: str,
        symbols: Sequence[str],
        watcher: str,
        reconnect_delay_s: float = 0.2,
        reconnect_max_delay_s: float = 30.0,
    ) -> None:
        self._bus = bus
        self._client = client
        self._venue = venue
        self._symbols = list(symbols)
        self._watch = getattr(client, watcher)
        self._delay = reconnect_delay_s
        self._max_delay = max(reconnect_delay_s, reconnect_max_delay_s)
        self._last_ts: dict[str, int] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def __repr__(self) -> str:
        return f"{type(self).__name__}(venue={self._venue!r}, symbols={self._symbols})"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [
            loop.create_task(self._keep_watching(s), name=f"{self._venue}-{s}-mark")
            for s in self._symbols
        ]

    async def close(self) -> None:
        await cancel_and_wait(self._tasks)
        self._tasks.clear()

    async def _keep_watching(self, symbol: str) -> None:
        backoff = Backoff(self._delay, self._max_delay)
        while True:
            try:
                answer = await self._watch(to_ccxt(symbol))
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a dropped socket or a ccxt error: watch again
                wait = max(self._delay, backoff.next_delay())
                log.warning("%s %s: %s stream lost (%s); re-watching in %.2fs",
                            self._venue, symbol, self.kind, e, wait)  # fmt: skip
                await asyncio.sleep(wait)
                continue
            backoff.reset()
            self._handle(symbol, answer)

    def _handle(self, symbol: str, ticker: Any) -> None:
        event = mark_price_from_ticker(self._venue, symbol, ticker)
        if event is None or event.ts <= self._last_ts.get(symbol, -1):
            return
        self._last_ts[symbol] = event.ts
        self._bus.publish(topics.mark_price(self._venue, symbol), event)


class TradeFeed(MarkPriceFeed):
    """Publishes the public trades of each of `symbols`, each once. `start()`, then `close()`."""

    kind = "trade"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._seen: dict[str, set[str]] = {s: set() for s in self._symbols}

    def _handle(self, symbol: str, trades: Any) -> None:
        seen = self._seen[symbol]
        topic = topics.trade(self._venue, symbol)
        for raw in trades or ():
            event = trade_from_ccxt(self._venue, symbol, raw)
            if event is None or event.ts < self._last_ts.get(symbol, -1):
                continue
            if event.trade_id:
                if event.trade_id in seen:
                    continue
                if event.ts > self._last_ts.get(symbol, -1):
                    seen.clear()  # ids are only compared within one timestamp: O(1) memory
                seen.add(event.trade_id)
            self._last_ts[symbol] = event.ts
            self._bus.publish(topic, event)
