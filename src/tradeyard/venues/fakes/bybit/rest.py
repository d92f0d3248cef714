"""Bybit v5 public REST endpoints of the fake (`/v5/market/…`, no signature).

Paths and parameters as in docs v5 (see `shared/exchange-protocols/bybit-v5.md` §3): only
`category=linear` is served; instruments come in one page (`nextPageCursor` empty), klines
newest first with the forming candle, tickers with mark = index = last price of the replay.
"""

from __future__ import annotations

import time

from aiohttp import web

from tradeyard.venues.fakes.bybit import payloads
from tradeyard.venues.fakes.bybit.errors import BybitError, envelope
from tradeyard.venues.fakes.bybit.exchange import MAX_LEVERAGE, BybitExchange
from tradeyard.venues.fakes.bybit.params import require_linear

__all__ = ["MarketRoutes", "int_param"]


def int_param(request: web.Request, name: str, default: int | None = None) -> int | None:
    raw = request.query.get(name, "")
    if raw == "":
        return default
    if not raw.isdigit():
        raise BybitError(10001, msg=f"params error: {name} invalid")
    return int(raw)


class MarketRoutes:
    def __init__(self, exchange: BybitExchange) -> None:
        self.exchange = exchange
        self.market = exchange.market

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v5/market/time", self.server_time),
            web.get("/v5/market/instruments-info", self.instruments),
            web.get("/v5/market/kline", self.kline),
            web.get("/v5/market/tickers", self.tickers),
            web.get("/v5/market/funding/history", self.funding_history),
        ]

    async def server_time(self, _request: web.Request) -> web.Response:
        """Wall-clock time: clients sign with theirs, so this is what they must agree with."""
        ns = time.time_ns()
        result = {"timeSecond": str(ns // 10**9), "timeNano": str(ns)}
        return web.json_response(envelope(result))

    async def instruments(self, request: web.Request) -> web.Response:
        require_linear(request.query)
        symbol = request.query.get("symbol")
        infos = [self.market.info(symbol)] if symbol else list(self.exchange.symbols.values())
        rows = [payloads.instrument(i, MAX_LEVERAGE) for i in infos]
        result = {"category": "linear", "list": rows, "nextPageCursor": ""}
        return web.json_response(envelope(result))

    async def kline(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("category", "linear") != "linear":
            require_linear(q)
        symbol = q.get("symbol", "")
        rows = self.market.klines(
            symbol, q.get("interval", ""), int_param(request, "start"),
            int_param(request, "end"), int_param(request, "limit", 200) or 200,
        )  # fmt: skip
        result = {"symbol": symbol, "category": "linear", "list": rows}
        return web.json_response(envelope(result))

    async def tickers(self, request: web.Request) -> web.Response:
        require_linear(request.query)
        symbol = request.query.get("symbol")
        names = [self.market.info(symbol).symbol] if symbol else list(self.exchange.symbols)
        rows = [t for t in (self.market.ticker(s) for s in names) if t is not None]
        return web.json_response(envelope({"category": "linear", "list": rows}))

    async def funding_history(self, request: web.Request) -> web.Response:
        require_linear(request.query)
        rows = self.market.funding_history(
            request.query.get("symbol", ""), int_param(request, "startTime"),
            int_param(request, "endTime"), int_param(request, "limit", 200) or 200,
        )  # fmt: skip
        return web.json_response(envelope({"category": "linear", "list": rows}))
