"""The Binance adapter's order path against the real local fake, over sockets (ccxt unmocked):
`cmd.<venue>` → REST, user stream → `exec.<trader>`; rejections, concurrency, secret redaction.
"""

from __future__ import annotations

import io
import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues.binance import BinanceConfig, BinanceVenue, build_venue
from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountSpec,
    FakeBinance,
    FakeBinanceConfig,
)

WARMUP = 600
TRADER = "trend-1"
ENV = {"BINANCE_API_KEY": DEFAULT_API_KEY, "BINANCE_API_SECRET": DEFAULT_API_SECRET}
LATENCY_MS = 50.0


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir())


@asynccontextmanager
async def running(
    bars: dict[str, BarSeries],
    env: dict[str, str] = ENV,
    fake_config: FakeBinanceConfig | None = None,
    **venue_config: Any,
) -> AsyncIterator[tuple[FakeBinance, InProcessBus, BinanceVenue, list[Event]]]:
    """A fake, a venue with execution started (user stream connected), and `exec.<TRADER>`'s events."""
    fake_config = fake_config or FakeBinanceConfig(substeps=2, warmup_bars=WARMUP)
    async with FakeBinance(fake_config, bars) as fake:
        bus = InProcessBus()
        seen: list[Event] = []
        bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
        config = BinanceConfig(
            environment="local", rest_url=fake.rest_url, ws_url=fake.ws_url, rate_limit=False,
            reconnect_delay_s=0.05, **venue_config,
        )  # fmt: skip
        venue = build_venue(bus, config, env)
        try:
            await venue.execution.start()
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
            yield fake, bus, venue, seen
        finally:
            await venue.close()


def _order(symbol: str, qty: float, seq: int = 1, **kw: Any) -> SubmitOrder:
    return SubmitOrder(
        TRADER, "binanceusdm", symbol, 0, f"{TRADER}-{seq}", kw.pop("side", "buy"),
        kw.pop("order_type", "market"), qty, **kw,
    )  # fmt: skip


def test_execution_when_market_order_fills_publishes_fill_and_filled_update(bars) -> None:
    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            bus.publish(topics.command("binanceusdm"), _order("ETHUSDT", 0.05))
            await venue.execution.drain()
            await fake.advance(1)
            await wait_until(
                lambda: any(isinstance(e, OrderUpdate) and e.status == "filled" for e in seen)
            )
            await wait_until(lambda: any(isinstance(e, Fill) for e in seen))
        statuses = [e.status for e in seen if isinstance(e, OrderUpdate)]
        assert statuses == ["new", "filled"]
        fill = next(e for e in seen if isinstance(e, Fill))
        assert (fill.symbol, fill.client_order_id, fill.side, fill.qty) == (
            "ETHUSDT", f"{TRADER}-1", "buy", 0.05,
        )  # fmt: skip
        assert fill.price == pytest.approx(float(bars["ETHUSDT"].open[WARMUP + 1]), rel=0.01)
        assert fill.fee > 0 and fill.liquidity == "taker"

    run(scenario())


def test_execution_when_margin_insufficient_publishes_rejected_update_with_reason(bars) -> None:
    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            bus.publish(topics.command("binanceusdm"), _order("BTCUSDT", 5.0))
            await venue.execution.drain()
        assert len(seen) == 1 and isinstance(seen[0], OrderUpdate)
        update = seen[0]
        assert update.status == "rejected" and update.client_order_id == f"{TRADER}-1"
        assert update.reason.startswith("insufficient_margin: binance -2019")

    run(scenario())


def test_execution_when_resting_limit_order_cancelled_publishes_canceled_update(bars) -> None:
    price = round(float(bars["ETHUSDT"].close[WARMUP - 1]) * 0.8, 2)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            bus.publish(
                topics.command("binanceusdm"),
                _order("ETHUSDT", 0.1, order_type="limit", price=price),
            )
            await venue.execution.drain()
            cancel = CancelOrder(TRADER, "binanceusdm", "ETHUSDT", 0, f"{TRADER}-1")
            bus.publish(topics.command("binanceusdm"), cancel)
            await venue.execution.drain()
            await wait_until(
                lambda: any(isinstance(e, OrderUpdate) and e.status == "canceled" for e in seen)
            )
        statuses = [e.status for e in seen if isinstance(e, OrderUpdate)]
        assert statuses == ["new", "canceled"]

    run(scenario())


def test_execution_when_ten_orders_with_latency_sends_them_concurrently(bars) -> None:
    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            fake.faults.rest_latency_ms = LATENCY_MS
            orders = [
                _order(symbol, _qty(venue, symbol, float(series.close[WARMUP - 1])), seq=i)
                for i, (symbol, series) in enumerate(sorted(bars.items()), start=1)
            ]
            t0 = time.perf_counter()
            for order in orders:
                bus.publish(topics.command("binanceusdm"), order)
            await venue.execution.drain()
            elapsed_ms = (time.perf_counter() - t0) * 1000.0
        accepted = {e.symbol for e in seen if isinstance(e, OrderUpdate) and e.status == "new"}
        assert accepted == set(bars)
        assert elapsed_ms < 5 * LATENCY_MS, f"10 orders took {elapsed_ms:.0f} ms"

    run(scenario())


def _qty(venue: BinanceVenue, symbol: str, price: float, notional: float = 150.0) -> float:
    """A quantity worth about `notional` USDT, on the symbol's step size."""
    step = venue.execution._client.market(symbol[:-4] + "/USDT:USDT")["precision"]["amount"]
    return round(math.ceil(notional / price / step) * step, 8)


def test_venue_when_logging_and_repr_never_shows_the_secret(bars) -> None:
    secret = "tySecretNeverLogged0123456789abcdefDoNotLeak"
    fake_config = FakeBinanceConfig(
        substeps=2, warmup_bars=WARMUP, accounts=[AccountSpec("tyRedactionKey01", secret)]
    )
    env = {"TY_KEY": "tyRedactionKey01", "TY_SECRET": secret}
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    reprs: list[str] = []

    async def scenario() -> None:
        async with running(
            bars, env, fake_config, api_key_env="TY_KEY", api_secret_env="TY_SECRET",
            symbols=["BTCUSDT"], warmup_bars=2,
        ) as (fake, bus, venue, seen):  # fmt: skip
            await venue.market_data.start()
            bus.publish(topics.command("binanceusdm"), _order("BTCUSDT", 5.0))  # rejected, logged
            await venue.execution.drain()
            await fake.advance(1)
            reprs.extend([repr(venue), repr(venue.config), repr(venue.execution),
                          repr(venue.market_data), str(venue), repr(seen)])  # fmt: skip
        assert any(isinstance(e, OrderUpdate) and e.status == "rejected" for e in seen)

    try:
        run(scenario())
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    logged = stream.getvalue()
    assert "rejected" in logged  # the capture saw the adapter's own log lines
    assert secret not in logged
    assert all(secret not in text for text in reprs)
