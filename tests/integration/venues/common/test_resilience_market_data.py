"""Each live adapter's bar feed when the stream goes quiet or REST is rate limited, against its
real local fake over sockets (ccxt unmocked), parametrized over Binance and Bybit: the stale-stream
watchdog reconnects and the missed bars are backfilled (no gap, no duplicate); a 429 / 10006
storm during the warm-up is waited out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues import binance, bybit
from tradeyard.venues.fakes import binance as fake_binance
from tradeyard.venues.fakes import bybit as fake_bybit

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
WARMUP = 600


@dataclass(frozen=True)
class Kit:
    venue: str
    fake: Callable[[dict[str, BarSeries]], Any]
    config: Callable[..., Any]
    build: Callable[..., Any]
    env: dict[str, str]
    topic: Callable[[str], str]
    rate_label: str


BINANCE = Kit(
    venue="binanceusdm",
    fake=lambda bars: fake_binance.FakeBinance(
        fake_binance.FakeBinanceConfig(substeps=2, warmup_bars=WARMUP), bars
    ),
    config=lambda fake, **kw: binance.BinanceConfig(
        environment="local",
        rest_url=fake.rest_url,
        ws_url=fake.ws_url,
        symbols=SYMBOLS,
        rate_limit=False,
        reconnect_delay_s=0.05,
        **kw,
    ),
    build=binance.build_venue,
    env={
        "BINANCE_API_KEY": fake_binance.DEFAULT_API_KEY,
        "BINANCE_API_SECRET": fake_binance.DEFAULT_API_SECRET,
    },
    topic=lambda s: f"{s.lower()}@kline_1m",
    rate_label="rate limited (429, code -1003)",
)
BYBIT = Kit(
    venue="bybit",
    fake=lambda bars: fake_bybit.FakeBybit(
        fake_bybit.FakeBybitConfig(substeps=2, warmup_bars=WARMUP), bars, {}
    ),
    config=lambda fake, **kw: bybit.BybitConfig(
        environment="local",
        rest_url=fake.rest_url,
        public_ws_url=fake.public_ws_url,
        private_ws_url=fake.private_ws_url,
        symbols=SYMBOLS,
        rate_limit=False,
        reconnect_delay_s=0.05,
        **kw,
    ),
    build=bybit.build_venue,
    env={
        "BYBIT_API_KEY": fake_bybit.DEFAULT_API_KEY,
        "BYBIT_API_SECRET": fake_bybit.DEFAULT_API_SECRET,
    },
    topic=lambda s: f"kline.1.{s}",
    rate_label="rate limited (10006)",
)
KITS = pytest.mark.parametrize("kit", [BINANCE, BYBIT], ids=["binance", "bybit"])


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@asynccontextmanager
async def running(
    kit: Kit,
    bars: dict[str, BarSeries],
    before_start: Callable[[Any], None] = lambda _fake: None,
    **config: Any,
) -> AsyncIterator[tuple[Any, Any, dict[str, list[Bar]]]]:
    """A fake, a venue on it with its market data started, and the bars it published."""
    async with kit.fake(bars) as fake:
        bus = InProcessBus()
        seen: dict[str, list[Bar]] = {s: [] for s in SYMBOLS}
        bus.subscribe("md.>", lambda _t, e: seen[e.symbol].append(e))  # type: ignore[attr-defined]
        venue = kit.build(bus, kit.config(fake, **config), kit.env)
        try:
            before_start(fake)
            await venue.market_data.start()
            await wait_until(lambda: _subscribed(kit, fake))
            yield fake, venue, seen
        finally:
            await venue.market_data.close()
            await venue.execution.close()


async def _admin(fake: Any, faults: dict[str, Any]) -> None:
    """Set faults over the fake's admin endpoint, as a test in another process would."""
    url = f"{fake.rest_url}/_fake/faults"
    async with aiohttp.ClientSession() as session, session.post(url, json=faults) as reply:
        assert reply.status == 200, await reply.text()
        assert (await reply.json())["faults"]["ws_silent"] is faults["ws_silent"]


def _subscribed(kit: Kit, fake: Any) -> bool:
    """Every symbol's kline topic has a listener that is not silenced."""
    live: set[str] = set()
    for c in fake.hub.clients:
        if c.kind == "market" and not c.silenced:
            live |= c.streams
    return all(kit.topic(s) in live for s in SYMBOLS)


def _expected(series: BarSeries, start: int, stop: int) -> list[tuple[Any, ...]]:
    return [
        (int(series.open_time[i]), float(series.open[i]), float(series.close[i]),
         float(series.volume[i]))
        for i in range(start, stop)
    ]  # fmt: skip


def _got(seen: list[Bar]) -> list[tuple[Any, ...]]:
    return [(b.open_time, b.open, b.close, b.volume) for b in seen]


async def _advance_until(fake: Any, seen: dict[str, list[Bar]], n: int) -> None:
    """Replay bars one at a time until every symbol has `n` bars published. (With a watchdog
    this short, an idle test stream counts as stale too: a bar closed just as the watchdog
    recycles the socket is only backfilled when the next kline arrives.)"""
    async with asyncio.timeout(15.0):
        while not all(len(seen[s]) >= n for s in SYMBOLS):
            await fake.advance(1)
            await asyncio.sleep(0.1)


def _assert_contiguous(seen: dict[str, list[Bar]], bars: dict[str, BarSeries], first: int) -> None:
    """Every symbol's bars are bars[first:first + k] of the data: no gap, no duplicate."""
    for symbol in SYMBOLS:
        got = _got(seen[symbol])
        assert got == _expected(bars[symbol], first, first + len(got)), symbol


@KITS
def test_market_data_when_stream_goes_silent_watchdog_reconnects_and_backfills_without_gap(
    kit: Kit, bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(kit, bars, warmup_bars=3, stale_after_s=0.6) as (fake, venue, seen):
            await fake.advance(2)
            await wait_until(lambda: all(len(seen[s]) >= 3 + 2 for s in SYMBOLS))
            assert fake.hub.silence() >= 1  # open, but nothing arrives any more
            await fake.advance(2)  # these two bars close while the stream is quiet
            await wait_until(
                lambda: venue.market_data.stale_reconnects >= 1 and _subscribed(kit, fake)
            )
            assert all(len(seen[s]) == 3 + 2 for s in SYMBOLS)  # nothing arrived meanwhile
            await _advance_until(fake, seen, 3 + 6)  # 2 bars backfilled, then live ones
            await asyncio.sleep(0.05)  # room for a wrong extra bar to show up
            _assert_contiguous(seen, bars, WARMUP - 3)

    run(scenario())
    messages = [r.getMessage() for r in caplog.records]
    assert any(
        m.startswith(f"{kit.venue} ") and "no kline for 0.6s (stale stream); forcing a reconnect" in m
        for m in messages
    ), messages  # fmt: skip
    assert any("backfilling bars" in m for m in messages)


@KITS
def test_market_data_when_every_socket_is_quiet_watchdog_keeps_retrying_until_data_flows(
    kit: Kit, bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(
            kit, bars, warmup_bars=2, stale_after_s=0.3, reconnect_max_delay_s=0.2
        ) as (fake, venue, seen):
            await _admin(fake, {"ws_silent": True})  # new connections are quiet too
            await fake.advance(1)
            await wait_until(lambda: venue.market_data.stale_reconnects >= 2)
            await _admin(fake, {"ws_silent": False})
            await wait_until(lambda: _subscribed(kit, fake))
            await _advance_until(fake, seen, 2 + 3)  # the silenced bar backfilled, then live
            await asyncio.sleep(0.05)
            _assert_contiguous(seen, bars, WARMUP - 2)

    run(scenario())
    stale = [r for r in caplog.records if "stale stream" in r.getMessage()]
    assert len(stale) >= 2 and all(r.levelno == logging.WARNING for r in stale)


@KITS
def test_market_data_when_rest_storm_at_start_waits_and_publishes_warmup(
    kit: Kit, bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    def storm(fake: Any) -> None:
        fake.faults.storm_retry_after_s = 1
        fake.faults.storm_429 = 2

    async def scenario() -> None:
        async with running(kit, bars, storm, warmup_bars=4) as (fake, venue, seen):
            assert fake.faults.storm_429 == 0
            assert venue.market_data._client.rate_limit_waits == 2
            for symbol in SYMBOLS:
                assert _got(seen[symbol]) == _expected(bars[symbol], WARMUP - 4, WARMUP)

    run(scenario())
    waits = [r.getMessage() for r in caplog.records if kit.rate_label in r.getMessage()]
    assert len(waits) == 2 and all(m.startswith(f"{kit.venue}: ") for m in waits), waits
