"""Each live adapter's bar feed keeps one order across symbols, against its real local fake over
sockets (ccxt unmocked), parametrized over Binance and Bybit: the warm-up, live bars and the bars
backfilled after a websocket drop that lost closes on every symbol all reach the bus in
(open time, configured symbol order), which is the order of an uninterrupted feed."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
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

SYMBOLS = ["ETHUSDT", "BTCUSDT"]  # not alphabetical: the configured order is the one kept
WARMUP = 600
M = 60_000


@dataclass(frozen=True)
class Kit:
    fake: Callable[[dict[str, BarSeries]], Any]
    config: Callable[[Any], Any]
    build: Callable[..., Any]
    env: dict[str, str]
    topic: Callable[[str], str]


BINANCE = Kit(
    fake=lambda bars: fake_binance.FakeBinance(
        fake_binance.FakeBinanceConfig(substeps=2, warmup_bars=WARMUP), bars
    ),
    config=lambda fake: binance.BinanceConfig(
        environment="local",
        rest_url=fake.rest_url,
        ws_url=fake.ws_url,
        symbols=SYMBOLS,
        warmup_bars=4,
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
    fake=lambda bars: fake_bybit.FakeBybit(
        fake_bybit.FakeBybitConfig(substeps=2, warmup_bars=WARMUP), bars, {}
    ),
    config=lambda fake: bybit.BybitConfig(
        environment="local",
        rest_url=fake.rest_url,
        public_ws_url=fake.public_ws_url,
        private_ws_url=fake.private_ws_url,
        symbols=SYMBOLS,
        warmup_bars=4,
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


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@pytest.mark.parametrize("kit", [BINANCE, BYBIT], ids=["binance", "bybit"])
def test_market_data_after_a_drop_on_every_symbol_keeps_the_cross_symbol_order(
    kit: Kit, bars
) -> None:
    async def scenario() -> list[tuple[int, str]]:
        async with kit.fake(bars) as fake:
            bus = InProcessBus()
            seen: list[tuple[int, str]] = []

            def on_bar(_topic: str, event: Any) -> None:
                assert isinstance(event, Bar)
                seen.append((event.open_time, event.symbol))

            bus.subscribe("md.>", on_bar)
            venue = kit.build(bus, kit.config(fake), kit.env)

            def subscribed() -> bool:
                return all(kit.topic(s) in fake.hub.subscribed() for s in SYMBOLS)

            def count(symbol: str) -> int:
                return sum(1 for _t, s in seen if s == symbol)

            try:
                await venue.market_data.start()
                await wait_until(subscribed)
                for _ in range(3):
                    await fake.advance(1)
                    await asyncio.sleep(0.02)
                await fake.drop_websockets("abort")
                await fake.advance(2)  # these close on both symbols while disconnected
                await wait_until(lambda: venue.market_data.reconnects >= 1 and subscribed())
                for _ in range(3):
                    await fake.advance(1)
                    await asyncio.sleep(0.02)
                await wait_until(lambda: all(count(s) >= 4 + 8 for s in SYMBOLS))
                await asyncio.sleep(0.05)  # room for a wrong extra bar to show up
            finally:
                await venue.market_data.close()
                await venue.execution.close()
            return seen

    seen = run(scenario())
    rank = {s: i for i, s in enumerate(SYMBOLS)}
    assert seen == sorted(seen, key=lambda x: (x[0], rank[x[1]]))
    first = int(bars["BTCUSDT"].open_time[WARMUP - 4])
    want = [(first + i * M, s) for i in range(4 + 8) for s in SYMBOLS]
    assert seen == want
