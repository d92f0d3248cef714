"""`FakeBybit`: the fake Bybit v5 (linear USDT perpetuals) server, assembled and running.

One aiohttp application on one 127.0.0.1 port serves REST (`/v5/...`), both websockets and
the admin endpoint (`/_fake/...`, the Binance fake's, same JSON). The server owns its
background tasks: the replay timer (`speed` × real time) and the optional periodic websocket
drop. Use it as an async context manager::

    async with FakeBybit(FakeBybitConfig()) as fake:
        ...                      # fake.rest_url, fake.public_ws_url, fake.private_ws_url
        await fake.advance(1)    # replay one bar now, deterministically

Time: `/v5/market/time` and the signature window use the wall clock (clients sign with
theirs); market data, orders and private pushes carry replay time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.binance.admin import AdminRoutes
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.bybit.config import FakeBybitConfig
from tradeyard.venues.fakes.bybit.exchange import BybitExchange
from tradeyard.venues.fakes.bybit.middleware import make_middleware
from tradeyard.venues.fakes.bybit.rest import MarketRoutes
from tradeyard.venues.fakes.bybit.rest_trade import TradeRoutes
from tradeyard.venues.fakes.bybit.streams import StreamRoutes
from tradeyard.venues.fakes.bybit.ws_trade import TradeSocketRoutes
from tradeyard.venues.fakes.common.app import FakeServer
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter

__all__ = ["FakeBybit"]

NO_BAN = 10**9
"""Bybit answers excess with 10006 and no escalation on the UID limit: never 418 here."""


class FakeBybit(FakeServer[FakeBybitConfig, BybitExchange]):
    """A local Bybit v5 linear server replaying bars, with a SimVenue behind it."""

    venue_name = "bybit"
    replay_task_name = "fake-bybit-replay"

    def __init__(
        self,
        config: FakeBybitConfig | None = None,
        bars: Mapping[str, BarSeries] | None = None,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        """`bars` default: the bundled data (and its funding rates when `funding` is None)."""
        super().__init__(config or FakeBybitConfig(), bars, funding)

    def _make_exchange(
        self,
        config: FakeBybitConfig,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None,
    ) -> BybitExchange:
        return BybitExchange(config, bars, funding)

    def _build_app(self) -> web.Application:
        config = self.config
        self.limiter = WeightLimiter(config.rate_limit, config.rate_window_s, NO_BAN, 1.0)
        """Per API key (10006). The admin endpoint's `reset_limits` resets this one."""
        self.ip_limiter = WeightLimiter(config.ip_limit, config.ip_window_s, NO_BAN, 1.0)
        """Per client address (HTTP 403)."""
        self.streams = StreamRoutes(
            self.hub, self.faults, config.secrets(), set(self.exchange.symbols),
            config.ws_heartbeat_s,
        )  # fmt: skip
        self.exchange.sink = self.streams.push
        app = web.Application(
            middlewares=[make_middleware(self.faults, self.limiter, self.ip_limiter)]
        )
        app.add_routes(MarketRoutes(self.exchange).routes())
        self.trade_routes = TradeRoutes(self.exchange, self.faults)
        self.probe: LatencyProbe | None = None
        app.add_routes(self.trade_routes.routes())
        app.add_routes(self.streams.routes())
        app.add_routes(TradeSocketRoutes(self).routes())
        app.add_routes(AdminRoutes(self).routes())
        app.add_routes([web.get("/_fake/probe", self._probe_state)])
        return app

    # -- latency probe -----------------------------------------------------------------------
    def enable_probe(self) -> LatencyProbe:
        """Stamp closing klines sent and orders received from now on (see the Binance fake's
        `probe.py`); the records are also served as JSON at `GET /_fake/probe`."""
        if self.probe is None:
            self.probe = LatencyProbe()
            self.exchange.market.probe = self.probe
            self.trade_routes.probe = self.probe
            self.streams.probe = self.probe
        return self.probe

    async def _probe_state(self, _request: web.Request) -> web.Response:
        if self.probe is None:
            return web.json_response({"enabled": False})
        return web.json_response({"enabled": True, **self.probe.snapshot()})

    @property
    def public_ws_url(self) -> str:
        return f"{self._server.ws_base_url}/v5/public/linear"

    @property
    def private_ws_url(self) -> str:
        return f"{self._server.ws_base_url}/v5/private"

    def point_ccxt(self, exchange: Any) -> None:
        """Point a ccxt(.pro) `bybit` at this server: the five REST keys and the ws URLs
        (see `shared/exchange-protocols/ccxt-notes.md` §1)."""
        for section in ("spot", "futures", "v2", "public", "private"):
            exchange.urls["api"][section] = self.rest_url
        ws = exchange.urls["api"].get("ws")
        if isinstance(ws, dict):
            ws.setdefault("public", {})["linear"] = self.public_ws_url
            for name in ("contract", "unified", "usdc"):
                ws.setdefault("private", {})[name] = self.private_ws_url

    async def expire_listen_keys(self, api_key: str | None = None) -> int:
        """Bybit has no listen keys (the admin endpoint's action is a no-op here)."""
        return 0

    def state(self) -> dict[str, Any]:
        return {"venue": "bybit", **self._state()}
