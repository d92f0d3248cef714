"""Each live adapter's bar feed (`venues.common.market_data.BarFeed`) against its real local
fake, over sockets (ccxt unmocked), parametrized over Binance and Bybit.

Tests are plain functions that run their coroutine with `asyncio.run` under a time limit (no
asyncio plugin). Each starts a manual-step fake (`advance(n)` replays n bars) on a free port.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues import binance, bybit
from tradeyard.venues.fakes import binance as fake_binance
from tradeyard.venues.fakes import bybit as fake_bybit

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
WARMUP = 600  # bars of history at the fake; bar WARMUP is the first one replayed


@dataclass(frozen=True)
class Kit:
    """What differs per venue: its fake, its config, the env with keys, and its kline topic."""

    venue: str
    fake: Callable[[dict[str, BarSeries]], AbstractAsyncContextManager[Any]]
    config: Callable[[Any, int], Any]
    build: Callable[..., Any]
    env: dict[str, str]
    topic: Callable[[str], str]


BINANCE = Kit(
    venue="binanceusdm",
    fake=lambda bars: fake_binance.FakeBinance(
        fake_binance.FakeBinanceConfig(substeps=2, warmup_bars=WARMUP), bars
    ),
    config=lambda fake, warmup_bars: binance.BinanceConfig(
        environment="local",
        rest_url=fake.rest_url,
        ws_url=fake.ws_url,
        symbols=SYMBOLS,
        warmup_bars=warmup_bars,
        rate_limit=False,
        reconnect_delay_s=0.05,
    ),
    build=binance.build_venue,
    env={
        "BINANCE_API_KEY": fake_binance.DEFAULT_API_KEY,
        "BINANCE_API_SECRET": fake_binance.DEFAULT_API_SECRET,
    },
    topic=lambda s: f"{s.lower()}@kline_1m",
)
BYBIT = Kit(
    venue="bybit",
    fake=lambda bars: fake_bybit.FakeBybit(
        fake_bybit.FakeBybitConfig(substeps=2, warmup_bars=WARMUP), bars, {}
    ),
    config=lambda fake, warmup_bars: bybit.BybitConfig(
        environment="local",
        rest_url=fake.rest_url,
        public_ws_url=fake.public_ws_url,
        private_ws_url=fake.private_ws_url,
        symbols=SYMBOLS,
        warmup_bars=warmup_bars,
        rate_limit=False,
        reconnect_delay_s=0.05,
    ),
    build=bybit.build_venue,
    env={
        "BYBIT_API_KEY": fake_bybit.DEFAULT_API_KEY,
        "BYBIT_API_SECRET": fake_bybit.DEFAULT_API_SECRET,
    },
    topic=lambda s: f"kline.1.{s}",
)
KITS = pytest.mark.parametrize("kit", [BINANCE, BYBIT], ids=["binance", "bybit"])


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@asynccontextmanager
async def running(
    kit: Kit, bars: dict[str, BarSeries], warmup_bars: int = 20
) -> AsyncIterator[tuple[Any, Any, dict[str, list[Bar]]]]:
    """A fake, a venue on it with its market data started, and the bars it published per symbol."""
    async with kit.fake(bars) as fake:
        bus = InProcessBus()
        seen: dict[str, list[Bar]] = {s: [] for s in SYMBOLS}
        bus.subscribe("md.>", lambda _t, e: seen[e.symbol].append(e))  # type: ignore[attr-defined]
        venue = kit.build(bus, kit.config(fake, warmup_bars), kit.env)
        try:
            await venue.market_data.start()
            await wait_until(lambda: _subscribed(kit, fake))
            yield fake, venue, seen
        finally:
            await venue.market_data.close()
            await venue.execution.close()


def _subscribed(kit: Kit, fake: Any) -> bool:
    return all(kit.topic(s) in fake.hub.subscribed() for s in SYMBOLS)


def _expected(series: BarSeries, start: int, stop: int) -> list[tuple[Any, ...]]:
    return [
        (int(series.open_time[i]), int(series.close_time[i]), float(series.open[i]),
         float(series.high[i]), float(series.low[i]), float(series.close[i]),
         float(series.volume[i]))
        for i in range(start, stop)
    ]  # fmt: skip


def _got(seen: list[Bar]) -> list[tuple[Any, ...]]:
    return [(b.open_time, b.close_time, b.open, b.high, b.low, b.close, b.volume) for b in seen]


@KITS
def test_market_data_when_started_publishes_warmup_bars_equal_to_parquet(kit: Kit, bars) -> None:
    async def scenario() -> None:
        async with running(kit, bars, warmup_bars=20) as (_fake, _venue, seen):
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP - 20, WARMUP)
                assert all(b.closed and b.interval == "1m" for b in seen[symbol])
                assert all(b.venue == kit.venue for b in seen[symbol])

    run(scenario())


@KITS
def test_market_data_when_fake_advances_three_bars_publishes_three_closed_bars(
    kit: Kit, bars
) -> None:
    async def scenario() -> None:
        async with running(kit, bars, warmup_bars=0) as (fake, _venue, seen):
            await fake.advance(3)
            await wait_until(lambda: all(len(seen[s]) >= 3 for s in SYMBOLS))
            await asyncio.sleep(0.05)  # room for a wrong extra bar to show up
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP, WARMUP + 3)

    run(scenario())


@KITS
def test_market_data_when_websocket_drops_backfills_without_gaps_or_duplicates(
    kit: Kit, bars
) -> None:
    async def scenario() -> None:
        async with running(kit, bars, warmup_bars=5) as (fake, venue, seen):
            fake.faults.ws_duplicate = 6  # duplicated frames must be dropped by open time
            await fake.advance(2)
            await fake.drop_websockets("abort")
            await fake.advance(2)  # closed while the adapter is disconnected
            await wait_until(lambda: venue.market_data.reconnects >= 1 and _subscribed(kit, fake))
            await fake.advance(2)
            await wait_until(lambda: all(len(seen[s]) >= 5 + 6 for s in SYMBOLS))
            await asyncio.sleep(0.05)
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP - 5, WARMUP + 6)

    run(scenario())
