"""BarFeed's one release across symbols, with a stub ccxt client (no sockets): closed bars of
one close time go out in the configured symbol order whatever order their klines come in, and a
silent symbol holds the others at most `stale_after_s`."""

from __future__ import annotations

import asyncio
import logging
from types import SimpleNamespace
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar
from tradeyard.venues.common.kline import Kline
from tradeyard.venues.common.market_data import BarFeed

M = 60_000


class _StubClient:
    """REST: 2 closed bars (0, M) and the forming one (2M); `watch_ohlcv` waits forever."""

    def __init__(self) -> None:
        self.kline_sink: Any = None
        self.clients: dict[str, Any] = {}

    async def load_markets(self) -> dict[str, Any]:
        return {}

    async def fetch_ohlcv(self, _symbol: str, _tf: str, **_kw: Any) -> list[list[Any]]:
        return [[t, 1.0, 1.0, 1.0, 1.0, 1.0] for t in (0, M, 2 * M)]

    async def watch_ohlcv(self, _symbol: str, _tf: str) -> list[Any]:
        await asyncio.Event().wait()
        return []

    async def close(self) -> None:
        return None


def k(symbol: str, open_time: int, closed: bool = True) -> Kline:
    return Kline(symbol, "1m", open_time, open_time + M - 1, 1.0, 1.0, 1.0, 1.0, 1.0, closed)


async def _until(check: Any, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.005)


def _feed(stale_after_s: float = 60.0) -> tuple[BarFeed, list[tuple[str, int]]]:
    config = SimpleNamespace(
        venue="stub", interval="1m", warmup_bars=2, reconnect_delay_s=0.01,
        stale_after_s=stale_after_s, symbols=["ETHUSDT", "BTCUSDT"],  # not alphabetical
    )  # fmt: skip
    bus = InProcessBus()
    seen: list[tuple[str, int]] = []

    def on_bar(_topic: str, bar: Any) -> None:
        assert isinstance(bar, Bar)
        seen.append((bar.symbol, bar.open_time))

    bus.subscribe("md.>", on_bar)
    return BarFeed(bus, _StubClient(), config), seen


def test_bar_feed_releases_one_close_time_in_the_configured_symbol_order() -> None:
    async def scenario() -> None:
        feed, seen = _feed()
        await feed.start()
        try:
            assert seen == [("ETHUSDT", 0), ("BTCUSDT", 0), ("ETHUSDT", M), ("BTCUSDT", M)]
            del seen[:]
            feed._route(k("BTCUSDT", 2 * M))
            await asyncio.sleep(0.05)
            assert seen == []  # held: ETH may still publish 2M
            feed._route(k("ETHUSDT", 2 * M))
            await _until(lambda: len(seen) == 2)
            assert seen == [("ETHUSDT", 2 * M), ("BTCUSDT", 2 * M)]
        finally:
            await feed.close()

    asyncio.run(scenario())


def test_bar_feed_when_a_symbol_is_silent_holds_the_others_at_most_stale_after_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)

    async def scenario() -> None:
        feed, seen = _feed(stale_after_s=0.4)
        await feed.start()
        try:
            del seen[:]
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            feed._route(k("BTCUSDT", 2 * M))
            await _until(lambda: seen == [("BTCUSDT", 2 * M)])  # ETH never came
            assert loop.time() - t0 >= 0.4
            # ETH's late bar goes out as it comes; then both are in step again
            feed._route(k("ETHUSDT", 2 * M))
            await _until(lambda: len(seen) == 2)
            feed._route(k("BTCUSDT", 3 * M))
            await asyncio.sleep(0.05)
            assert len(seen) == 2
            feed._route(k("ETHUSDT", 3 * M))
            await _until(lambda: len(seen) == 4)
            assert seen[1:] == [("ETHUSDT", 2 * M), ("ETHUSDT", 3 * M), ("BTCUSDT", 3 * M)]
        finally:
            await feed.close()

    asyncio.run(asyncio.wait_for(scenario(), 10.0))
    held = [r for r in caplog.records if "while other symbols' bars wait" in r.getMessage()]
    assert held and held[0].getMessage().startswith("stub ETHUSDT: no bar for 0.4s")
