"""The Bybit adapter's bar feed against the real local fake, over sockets (ccxt unmocked).

Tests are plain functions that run their coroutine with `asyncio.run` under a time limit (no
asyncio plugin). Each starts a manual-step fake (`advance(n)` replays n bars) on a free port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.venues.bybit import BybitConfig, BybitVenue, build_venue
from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
WARMUP = 600  # bars of history at the fake; bar WARMUP is the first one replayed
ENV = {"BYBIT_API_KEY": DEFAULT_API_KEY, "BYBIT_API_SECRET": DEFAULT_API_SECRET}


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 30.0) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout_s))


async def wait_until(check: Callable[[], bool], timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(0.005)


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@asynccontextmanager
async def running(
    bars: dict[str, BarSeries], warmup_bars: int = 20
) -> AsyncIterator[tuple[FakeBybit, BybitVenue, dict[str, list[Bar]]]]:
    """A fake, a venue on it with its market data started, and the bars it published per symbol."""
    async with FakeBybit(FakeBybitConfig(substeps=2, warmup_bars=WARMUP), bars, {}) as fake:
        bus = InProcessBus()
        seen: dict[str, list[Bar]] = {s: [] for s in SYMBOLS}
        bus.subscribe("md.>", lambda _t, e: seen[e.symbol].append(e))  # type: ignore[attr-defined]
        config = BybitConfig(
            environment="local", rest_url=fake.rest_url, public_ws_url=fake.public_ws_url,
            private_ws_url=fake.private_ws_url, symbols=SYMBOLS, warmup_bars=warmup_bars,
            rate_limit=False, reconnect_delay_s=0.05,
        )  # fmt: skip
        venue = build_venue(bus, config, ENV)
        try:
            await venue.market_data.start()
            await wait_until(lambda: _subscribed(fake))
            yield fake, venue, seen
        finally:
            await venue.market_data.close()
            await venue.execution.close()


def _subscribed(fake: FakeBybit) -> bool:
    return all(f"kline.1.{s}" in fake.hub.subscribed() for s in SYMBOLS)


def _expected(series: BarSeries, start: int, stop: int) -> list[tuple[Any, ...]]:
    return [
        (int(series.open_time[i]), int(series.close_time[i]), float(series.open[i]),
         float(series.high[i]), float(series.low[i]), float(series.close[i]),
         float(series.volume[i]))
        for i in range(start, stop)
    ]  # fmt: skip


def _got(seen: list[Bar]) -> list[tuple[Any, ...]]:
    return [(b.open_time, b.close_time, b.open, b.high, b.low, b.close, b.volume) for b in seen]


def test_bybit_market_data_when_started_publishes_warmup_bars_equal_to_parquet(bars) -> None:
    async def scenario() -> None:
        async with running(bars, warmup_bars=20) as (_fake, _venue, seen):
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP - 20, WARMUP)
                assert all(b.closed and b.interval == "1m" for b in seen[symbol])
                assert all(b.venue == "bybit" for b in seen[symbol])

    run(scenario())


def test_bybit_market_data_when_fake_advances_three_bars_publishes_three_closed_bars(
    bars,
) -> None:
    async def scenario() -> None:
        async with running(bars, warmup_bars=0) as (fake, _venue, seen):
            await fake.advance(3)
            await wait_until(lambda: all(len(seen[s]) >= 3 for s in SYMBOLS))
            await asyncio.sleep(0.05)  # room for a wrong extra bar to show up
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP, WARMUP + 3)

    run(scenario())


def test_bybit_market_data_when_websocket_drops_backfills_without_gaps_or_duplicates(
    bars,
) -> None:
    async def scenario() -> None:
        async with running(bars, warmup_bars=5) as (fake, venue, seen):
            fake.faults.ws_duplicate = 6  # duplicated frames must be dropped by open time
            await fake.advance(2)
            await fake.drop_websockets("abort")
            await fake.advance(2)  # closed while the adapter is disconnected
            await wait_until(lambda: venue.market_data.reconnects >= 1 and _subscribed(fake))
            await fake.advance(2)
            await wait_until(lambda: all(len(seen[s]) >= 5 + 6 for s in SYMBOLS))
            await asyncio.sleep(0.05)
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP - 5, WARMUP + 6)

    run(scenario())
