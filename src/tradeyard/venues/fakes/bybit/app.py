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
from tradeyard.venues.fakes.bybit.auth import key_hint
from tradeyard.venues.fakes.bybit.config import FakeBybitConfig
from tradeyard.venues.fakes.bybit.exchange import BybitExchange
from tradeyard.venues.fakes.bybit.middleware import make_middleware
from tradeyard.venues.fakes.bybit.rest import MarketRoutes
from tradeyard.venues.fakes.bybit.rest_trade import TradeRoutes
from tradeyard.venues.fakes.bybit.streams import StreamRoutes
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter
from tradeyard.venues.fakes.common.server import LocalServer
from tradeyard.venues.fakes.common.wshub import DropMode, WsHub

__all__ = ["FakeBybit"]

log = logging.getLogger(__name__)
NO_BAN = 10**9
"""Bybit answers excess with 10006 and no escalation on the UID limit: never 418 here."""


class FakeBybit:
    """A local Bybit v5 linear server replaying bars, with a SimVenue behind it."""

    def __init__(
        self,
        config: FakeBybitConfig | None = None,
        bars: Mapping[str, BarSeries] | None = None,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        """`bars` default: the bundled data (and its funding rates when `funding` is None)."""
        self.config = config = config or FakeBybitConfig()
        if bars is None:
            bars = load_bars(bundled_bars_dir())
            if funding is None:
                funding = load_funding_files(bundled_funding_dir(), bars)
        self.exchange = BybitExchange(config, bars, funding)
        self.faults = Faults()
        self.limiter = WeightLimiter(config.rate_limit, config.rate_window_s, NO_BAN, 1.0)
        """Per API key (10006). The admin endpoint's `reset_limits` resets this one."""
        self.ip_limiter = WeightLimiter(config.ip_limit, config.ip_window_s, NO_BAN, 1.0)
        """Per client address (HTTP 403)."""
        self.hub = WsHub(self.faults)
        self.streams = StreamRoutes(
            self.hub, self.faults, config.secrets(), set(self.exchange.symbols),
            config.ws_heartbeat_s,
        )  # fmt: skip
        self.exchange.sink = self.streams.push
        self.app = web.Application(
            middlewares=[make_middleware(self.faults, self.limiter, self.ip_limiter)]
        )
        self.app.add_routes(MarketRoutes(self.exchange).routes())
        self.app.add_routes(TradeRoutes(self.exchange, self.faults).routes())
        self.app.add_routes(self.streams.routes())
        self.app.add_routes(AdminRoutes(self).routes())
        self._server = LocalServer(self.app, config.port)
        self._tasks: list[asyncio.Task[None]] = []
        self._drop_task: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._server.start()
        if self.config.speed > 0:
            self._tasks.append(asyncio.create_task(self._replay_loop(), name="fake-bybit-replay"))
        keys = ", ".join(key_hint(a.api_key) for a in self.config.accounts)
        log.info("fake bybit on %s (accounts %s, speed %g)", self.rest_url, keys, self.config.speed)

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

    # -- replay ------------------------------------------------------------------------------
    def _step(self) -> int:
        return self.exchange.step(self.hub.subscribed(), self.hub.publish)

    async def advance(self, n_bars: int = 1) -> int:
        """Replay `n_bars` bars now (in-progress updates, then the close); returns when every
        message they caused is written to the sockets. Returns the number of bars closed."""
        replay = self.exchange.replay
        closed = 0
        for _ in range(n_bars):
            if replay.finished:
                break
            self._step()
            while replay.sub != 0:
                self._step()
            closed += 1
            await asyncio.sleep(0)
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

    # -- faults ------------------------------------------------------------------------------
    async def drop_websockets(self, mode: DropMode | str = "abort") -> int:
        """Drop every websocket now ("abort": cut TCP, "close": a close frame)."""
        return await self.hub.drop("close" if mode == "close" else "abort")

    def set_ws_drop_every(self, seconds: float | None) -> None:
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
        """Bybit has no listen keys (the admin endpoint's action is a no-op here)."""
        return 0

    def state(self) -> dict[str, Any]:
        replay = self.exchange.replay
        return {
            "venue": "bybit", "now": replay.now_ms, "current_open": replay.current_open,
            "finished": replay.finished, "interval": replay.interval,
            "speed": self.config.speed, "symbols": list(self.exchange.symbols),
            "accounts": [key_hint(k) for k in self.exchange.accounts],
            "websockets": len(self.hub.clients), "faults": self.faults.snapshot(),
        }  # fmt: skip
