"""`FakeBinance`: the fake Binance USDⓈ-M server, assembled and running.

aiohttp serves REST and websockets from one application on one port, with middleware for the
weight limits and faults: one dependency, little code, and its client is what ccxt itself uses,
so tests need nothing else. The server owns the background tasks: the replay timer (`speed` ×
real time), listen-key expiry, and the optional periodic websocket drop.

Use it as an async context manager::

    async with FakeBinance(FakeBinanceConfig(speed=0)) as fake:
        ...                      # fake.rest_url, fake.ws_url, fake.ccxt_urls()
        await fake.advance(1)    # replay one bar now, deterministically

Time: `GET /fapi/v1/time` and the signature window use the wall clock (clients sign with
theirs); market data, orders and user events carry replay time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from aiohttp import web

from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.binance.admin import AdminRoutes
from tradeyard.venues.fakes.binance.config import FakeBinanceConfig
from tradeyard.venues.fakes.binance.exchange import Exchange
from tradeyard.venues.fakes.binance.middleware import make_middleware
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.binance.rest import MarketRoutes
from tradeyard.venues.fakes.binance.rest_trade import TradeRoutes
from tradeyard.venues.fakes.binance.streams import StreamRoutes
from tradeyard.venues.fakes.binance.user_stream import ListenKeys, UserStream
from tradeyard.venues.fakes.binance.ws_api import WsApiRoutes
from tradeyard.venues.fakes.common.app import FakeServer
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter

__all__ = ["FakeBinance"]

CCXT_SECTIONS = {
    "fapiPublic": "/fapi/v1", "fapiPrivate": "/fapi/v1", "fapiPublicV2": "/fapi/v2",
    "fapiPrivateV2": "/fapi/v2", "fapiPublicV3": "/fapi/v3", "fapiPrivateV3": "/fapi/v3",
    "fapiData": "/futures/data",
}  # fmt: skip


class FakeBinance(FakeServer[FakeBinanceConfig, Exchange]):
    """A local Binance USDⓈ-M futures server replaying bars, with a SimVenue behind it."""

    venue_name = "binanceusdm"
    replay_task_name = "fake-replay"

    def __init__(
        self,
        config: FakeBinanceConfig | None = None,
        bars: Mapping[str, BarSeries] | None = None,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        """`bars` default: the bundled data (and its funding rates when `funding` is None)."""
        super().__init__(config or FakeBinanceConfig(), bars, funding)

    def _make_exchange(
        self,
        config: FakeBinanceConfig,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None,
    ) -> Exchange:
        return Exchange(config, bars, funding)

    def _build_app(self) -> web.Application:
        config = self.config
        self.limiter = WeightLimiter(
            config.weight_limit, config.weight_window_s, config.ban_after, config.ban_s
        )
        self.listen_keys = ListenKeys(config.listen_key_ttl_s)
        self.user_stream = UserStream(
            self.listen_keys, self.hub, config.secrets(), lambda: self.exchange.now_ms
        )
        self.exchange.user_sink = self.user_stream.push
        app = web.Application(middlewares=[make_middleware(self.faults, self.limiter)])
        app.add_routes(MarketRoutes(self.exchange, config).routes())
        self.trade_routes = TradeRoutes(self.exchange, config, self.faults)
        self.probe: LatencyProbe | None = None
        app.add_routes(self.trade_routes.routes())
        app.add_routes(self.user_stream.routes())
        self.stream_routes = StreamRoutes(
            self.hub, self.faults, self.listen_keys, config.ws_heartbeat_s
        )
        app.add_routes(self.stream_routes.routes())
        app.add_routes(WsApiRoutes(self).routes())
        app.add_routes(AdminRoutes(self).routes())
        app.add_routes([web.get("/_fake/probe", self._probe_state)])
        return app

    # -- latency probe -----------------------------------------------------------------------
    def enable_probe(self) -> LatencyProbe:
        """Stamp closing klines sent and orders received from now on (see `probe.py`); the
        records are also served as JSON at `GET /_fake/probe`."""
        if self.probe is None:
            self.probe = LatencyProbe()
            self.exchange.feed.probe = self.probe
            self.trade_routes.probe = self.probe
            self.stream_routes.probe = self.probe
        return self.probe

    async def _probe_state(self, _request: web.Request) -> web.Response:
        if self.probe is None:
            return web.json_response({"enabled": False})
        return web.json_response({"enabled": True, **self.probe.snapshot()})

    def _start_tasks(self) -> None:
        self._tasks.append(asyncio.create_task(self._expiry_loop(), name="fake-listenkey-expiry"))

    @property
    def ws_url(self) -> str:
        """Base websocket URL ending in /ws, as ccxt's `urls['api']['ws']['linear']`."""
        return f"{self._server.ws_base_url}/ws"

    def ccxt_urls(self) -> dict[str, str]:
        """REST base URLs to write into ccxt binanceusdm's `urls['api']`, by section name
        (set `urls['api']['ws']['linear']` to `ws_url` for ccxt pro)."""
        return {name: self.rest_url + path for name, path in CCXT_SECTIONS.items()}

    # -- listen-key expiry -------------------------------------------------------------------
    async def expire_listen_keys(self, api_key: str | None = None) -> int:
        """Expire listen keys now (all, or `api_key`'s): `listenKeyExpired`, then close."""
        return await self.user_stream.expire(self.listen_keys.all_of(api_key))

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.listen_key_check_s)
            await self.user_stream.expire(self.listen_keys.lapsed())

    def state(self) -> dict[str, Any]:
        return self._state()
