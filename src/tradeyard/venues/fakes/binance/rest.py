"""Public (NONE security) REST endpoints of the fake: time, exchangeInfo and market data.

Paths, parameters and answers are Binance USDⓈ-M's (`binance-usdm.md` §3.1–3.4). `serverTime`
is the wall clock, because clients sign with their own clock and use it to measure their
offset; everything market-related is at replay time.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from tradeyard.venues.fakes.binance import payloads
from tradeyard.venues.fakes.binance.config import FakeBinanceConfig
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.exchange import Exchange

__all__ = ["MarketRoutes", "int_param", "wall_ms"]


def wall_ms() -> int:
    return int(time.time() * 1000)


def int_param(query: Any, name: str, default: int | None = None) -> int | None:
    """An optional integer parameter (-1100 when it is not digits)."""
    raw = query.get(name, "")
    if raw == "":
        return default
    if not raw.lstrip("-").isdigit():
        raise BinanceError(-1100, name, "^[0-9]{1,20}$")
    return int(raw)


def json(data: Any) -> web.Response:
    return web.json_response(data)


class MarketRoutes:
    """GET /fapi/v1/{ping,time,exchangeInfo,klines,premiumIndex,fundingRate,ticker/*}."""

    def __init__(self, exchange: Exchange, config: FakeBinanceConfig) -> None:
        self.exchange = exchange
        self.config = config

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/fapi/v1/ping", self.ping),
            web.get("/fapi/v1/time", self.time),
            web.get("/fapi/v1/exchangeInfo", self.exchange_info),
            web.get("/fapi/v1/klines", self.klines),
            web.get("/fapi/v1/continuousKlines", self.klines),
            web.get("/fapi/v1/premiumIndex", self.premium_index),
            web.get("/fapi/v1/fundingRate", self.funding_rate),
            web.get("/fapi/v1/ticker/price", self.ticker_price),
            web.get("/fapi/v2/ticker/price", self.ticker_price),
            web.get("/fapi/v1/ticker/24hr", self.ticker_24hr),
        ]

    async def ping(self, _request: web.Request) -> web.Response:
        return json({})

    async def time(self, _request: web.Request) -> web.Response:
        return json({"serverTime": wall_ms()})

    async def exchange_info(self, _request: web.Request) -> web.Response:
        info = payloads.exchange_info(
            self.exchange.symbols.values(), wall_ms(), self.config.weight_limit
        )
        return json(info)

    async def klines(self, request: web.Request) -> web.Response:
        q = request.query
        symbol = q.get("symbol") or q.get("pair") or ""
        if not symbol:
            raise BinanceError(-1102, "symbol")
        interval = q.get("interval", "")
        if not interval:
            raise BinanceError(-1102, "interval")
        start, end = int_param(q, "startTime"), int_param(q, "endTime")
        if start is not None and end is not None and start > end:
            raise BinanceError(-1023, msg="Start time is greater than end time.")
        limit = int_param(q, "limit", 500) or 500
        feed = self.exchange.feed
        bars = feed.klines(symbol, interval, start, end, limit)
        info = feed.info(symbol)
        return json([payloads.kline_row(b, info) for b in bars])

    async def premium_index(self, request: web.Request) -> web.Response:
        feed = self.exchange.feed
        symbol = request.query.get("symbol")
        if symbol:
            feed.info(symbol)
            return json(feed.premium_index(symbol) or {})
        return json([p for s in self.exchange.symbols if (p := feed.premium_index(s))])

    async def funding_rate(self, request: web.Request) -> web.Response:
        q = request.query
        feed = self.exchange.feed
        symbols = [q["symbol"]] if q.get("symbol") else list(self.exchange.symbols)
        for s in symbols:
            feed.info(s)
        limit = min(int_param(q, "limit", 100) or 100, 1000)
        start = int_param(q, "startTime")
        end = min(int_param(q, "endTime", self.exchange.now_ms) or 0, self.exchange.now_ms)
        rows = [
            payloads.funding_rate_row(s, t, r, feed.mark_at(s, t))
            for s in symbols
            for t, r in feed.funding.history(s, start, end, limit)
        ]
        return json(rows[:limit] if start is not None else rows[-limit:])

    async def ticker_price(self, request: web.Request) -> web.Response:
        feed, now = self.exchange.feed, self.exchange.now_ms
        symbol = request.query.get("symbol")
        symbols = [symbol] if symbol else list(self.exchange.symbols)
        out = []
        for s in symbols:
            info, price = feed.info(s), feed.price(s)
            if price is not None:
                out.append(payloads.ticker_price(s, price, info, now))
        return json(out[0] if symbol and out else out)

    async def ticker_24hr(self, request: web.Request) -> web.Response:
        feed, now = self.exchange.feed, self.exchange.now_ms
        symbol = request.query.get("symbol")
        symbols = [symbol] if symbol else list(self.exchange.symbols)
        out = []
        for s in symbols:
            info, bars = feed.info(s), feed.day_bars(s)
            if bars:
                out.append(payloads.ticker_24hr(bars, info, now))
        return json(out[0] if symbol and out else out)
