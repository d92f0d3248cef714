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
import contextlib
import logging
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from tradeyard.marketdata import BarSeries, bundled_bars_dir, bundled_funding_dir, load_bars
from tradeyard.marketdata import load_funding as load_funding_files
from tradeyard.venues.fakes.binance.admin import AdminRoutes
from tradeyard.venues.fakes.binance.auth import key_hint
from tradeyard.venues.fakes.binance.config import FakeBinanceConfig
from tradeyard.venues.fakes.binance.exchange import Exchange
from tradeyard.venues.fakes.binance.middleware import make_middleware
from tradeyard.venues.fakes.binance.rest import MarketRoutes
from tradeyard.venues.fakes.binance.rest_trade import TradeRoutes
from tradeyard.venues.fakes.binance.streams import StreamRoutes
from tradeyard.venues.fakes.binance.user_stream import ListenKeys, UserStream
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter
from tradeyard.venues.fakes.common.server import LocalServer
from tradeyard.venues.fakes.common.wshub import DropMode, WsHub

__all__ = ["FakeBinance"]

log = logging.getLogger(__name__)
CCXT_SECTIONS = {
    "fapiPublic": "/fapi/v1", "fapiPrivate": "/fapi/v1", "fapiPublicV2": "/fapi/v2",
    "fapiPrivateV2": "/fapi/v2", "fapiPublicV3": "/fapi/v3", "fapiPrivateV3": "/fapi/v3",
    "fapiData": "/futures/data",
}  # fmt: skip


class FakeBinance:
    """A local Binance USDⓈ-M futures server replaying bars, with a SimVenue behind it."""

    def __init__(
        self,
        config: FakeBinanceConfig | None = None,
        bars: Mapping[str, BarSeries] | None = None,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        """`bars` default: the bundled data (and its funding rates when `funding` is None)."""
        self.config = config = config or FakeBinanceConfig()
        if bars is None:
            bars = load_bars(bundled_bars_dir())
            if funding is None:
                funding = load_funding_files(bundled_funding_dir(), bars)
        self.exchange = Exchange(config, bars, funding)
        self.faults = Faults()
        self.limiter = WeightLimiter(
            config.weight_limit, config.weight_window_s, config.ban_after, config.ban_s
        )
        self.hub = WsHub(self.faults)
        self.listen_keys = ListenKeys(config.listen_key_ttl_s)
        self.user_stream = UserStream(
            self.listen_keys, self.hub, config.secrets(), lambda: self.exchange.now_ms
        )
        self.exchange.user_sink = self.user_stream.push
        self.app = self._build_app()
        self._server = LocalServer(self.app, config.port)
        self._tasks: list[asyncio.Task[None]] = []
        self._drop_task: asyncio.Task[None] | None = None

    def _build_app(self) -> web.Application:
        app = web.Application(middlewares=[make_middleware(self.faults, self.limiter)])
        app.add_routes(MarketRoutes(self.exchange, self.config).routes())
        app.add_routes(TradeRoutes(self.exchange, self.config, self.faults).routes())
        app.add_routes(self.user_stream.routes())
        app.add_routes(
            StreamRoutes(
                self.hub, self.faults, self.listen_keys, self.config.ws_heartbeat_s
            ).routes()
        )
        app.add_routes(AdminRoutes(self).routes())
        return app

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._server.start()
        self._tasks.append(asyncio.create_task(self._expiry_loop(), name="fake-listenkey-expiry"))
        if self.config.speed > 0:
            self._tasks.append(asyncio.create_task(self._replay_loop(), name="fake-replay"))
        keys = ", ".join(key_hint(a.api_key) for a in self.config.accounts)
        log.info(
            "fake binanceusdm on %s (accounts %s, speed %g)", self.rest_url, keys, self.config.speed
        )

    async def stop(self) -> None:
        self.set_ws_drop_every(None)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await self.hub.drop("close")
        await self._server.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def rest_url(self) -> str:
        return self._server.base_url

    @property
    def ws_url(self) -> str:
        """Base websocket URL ending in /ws, as ccxt's `urls['api']['ws']['linear']`."""
        return f"{self._server.ws_base_url}/ws"

    def ccxt_urls(self) -> dict[str, str]:
        """REST base URLs to write into ccxt binanceusdm's `urls['api']`, by section name
        (set `urls['api']['ws']['linear']` to `ws_url` for ccxt pro)."""
        return {name: self.rest_url + path for name, path in CCXT_SECTIONS.items()}

    # -- replay ------------------------------------------------------------------------------
    def _step(self) -> int:
        return self.exchange.step(self.hub.subscribed(), self.hub.publish)

    async def advance(self, n_bars: int = 1) -> int:
        """Replay `n_bars` bars now (their in-progress updates, then the close), deterministically:
        returns when every message they caused is written to the sockets. Returns bars closed."""
        replay = self.exchange.replay
        closed = 0
        for _ in range(n_bars):
            if replay.finished:
                break
            self._step()
            while replay.sub != 0:
                self._step()
            closed += 1
            await asyncio.sleep(0)  # let the socket writers run between bars
        await self.hub.flush()
        return closed

    async def _replay_loop(self) -> None:
        replay = self.exchange.replay
        period = replay.interval_ms / replay.substeps / 1000.0 / self.config.speed
        loop = asyncio.get_running_loop()
        t0, n = loop.time(), 0
        while not replay.finished:
            n += 1
            await asyncio.sleep(max(0.0, t0 + n * period - loop.time()))
            self._step()
        log.info("replay reached the end of the data at %d", replay.now_ms)

    # -- faults and expiry -------------------------------------------------------------------
    async def drop_websockets(self, mode: DropMode | str = "abort") -> int:
        """Drop every websocket now ("abort": cut TCP, "close": a close frame)."""
        return await self.hub.drop("close" if mode == "close" else "abort")

    def set_ws_drop_every(self, seconds: float | None) -> None:
        """Drop every websocket each `seconds` (None: stop)."""
        if self._drop_task is not None:
            self._drop_task.cancel()
            self._drop_task = None
        self.faults.ws_drop_every_s = seconds
        if seconds:
            self._drop_task = asyncio.create_task(self._drop_loop(seconds), name="fake-ws-drop")

    async def _drop_loop(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await self.drop_websockets("abort")

    async def expire_listen_keys(self, api_key: str | None = None) -> int:
        """Expire listen keys now (all, or `api_key`'s): `listenKeyExpired`, then close."""
        return await self.user_stream.expire(self.listen_keys.all_of(api_key))

    async def _expiry_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.listen_key_check_s)
            await self.user_stream.expire(self.listen_keys.lapsed())

    def state(self) -> dict[str, Any]:
        replay = self.exchange.replay
        return {
            "now": replay.now_ms,
            "current_open": replay.current_open,
            "finished": replay.finished,
            "interval": replay.interval,
            "speed": self.config.speed,
            "symbols": list(self.exchange.symbols),
            "accounts": [key_hint(k) for k in self.exchange.accounts],
            "websockets": len(self.hub.clients),
            "faults": self.faults.snapshot(),
        }
