"""`FakeServer`: what the Binance and Bybit fakes share once assembled and running.

The base loads the bars (the bundled data by default), owns the faults, the websocket hub,
the local server and its background tasks (the replay timer at `speed` × real time and the
optional periodic websocket drop), the async context manager and `advance`. A venue builds
its exchange (`_make_exchange`), its other parts and routes (`_build_app`) and may add its
own background tasks (`_start_tasks`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Generic, Protocol, Self, TypeVar

from aiohttp import web

from tradeyard.marketdata import BarSeries, bundled_bars_dir, bundled_funding_dir, load_bars
from tradeyard.marketdata import load_funding as load_funding_files
from tradeyard.venues.fakes.common.account_spec import key_hint
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.replay import Replay
from tradeyard.venues.fakes.common.server import LocalServer
from tradeyard.venues.fakes.common.wshub import DropMode, WsHub

__all__ = ["FakeServer"]

log = logging.getLogger(__name__)


class _Account(Protocol):
    @property
    def api_key(self) -> str: ...


class _Config(Protocol):
    @property
    def port(self) -> int: ...
    @property
    def speed(self) -> float: ...
    @property
    def accounts(self) -> Sequence[_Account]: ...


class _Exchange(Protocol):
    replay: Replay
    symbols: Any
    accounts: Any

    def step(self, subscribed: set[str], publish: Callable[[str, Any], None]) -> int: ...


C = TypeVar("C", bound=_Config)
E = TypeVar("E", bound=_Exchange)


class FakeServer(Generic[C, E]):
    """A local fake venue server replaying bars, with a SimVenue behind it."""

    venue_name = "fake"
    """Named in the start-up log line."""
    replay_task_name = "fake-replay"

    def __init__(
        self,
        config: C,
        bars: Mapping[str, BarSeries] | None = None,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        """`bars` default: the bundled data (and its funding rates when `funding` is None)."""
        self.config = config
        if bars is None:
            bars = load_bars(bundled_bars_dir())
            if funding is None:
                funding = load_funding_files(bundled_funding_dir(), bars)
        self.exchange: E = self._make_exchange(config, bars, funding)
        self.faults = Faults()
        self.hub = WsHub(self.faults)
        self.app = self._build_app()
        self._server = LocalServer(self.app, config.port)
        self._tasks: list[asyncio.Task[None]] = []
        self._drop_task: asyncio.Task[None] | None = None

    # -- venue hooks -------------------------------------------------------------------------
    def _make_exchange(
        self,
        config: C,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None,
    ) -> E:
        raise NotImplementedError

    def _build_app(self) -> web.Application:
        """Build the venue's remaining parts and its aiohttp application with its routes."""
        raise NotImplementedError

    def _start_tasks(self) -> None:
        """Start the venue's own background tasks (append them to `self._tasks`)."""

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> None:
        await self._server.start()
        self._start_tasks()
        if self.config.speed > 0:
            self._tasks.append(asyncio.create_task(self._replay_loop(), name=self.replay_task_name))
        keys = ", ".join(key_hint(a.api_key) for a in self.config.accounts)
        log.info(
            "fake %s on %s (accounts %s, speed %g)",
            self.venue_name, self.rest_url, keys, self.config.speed,
        )  # fmt: skip

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

    # -- faults ------------------------------------------------------------------------------
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

    def _state(self) -> dict[str, Any]:
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
