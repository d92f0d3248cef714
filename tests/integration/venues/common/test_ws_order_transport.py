"""`order_transport = "websocket"`: the adapters send orders and cancels over the exchange's
websocket trading API (Binance WS API, Bybit /v5/trade), against each real local fake, ccxt
unmocked. The lifecycle on the bus is the same as over REST."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import local_fake, local_venue
from tradeyard.venues import binance

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
TRADER = "ws-1"


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@pytest.mark.parametrize(("kind", "ws_kind"), [("binanceusdm", "ws-api"), ("bybit", "trade")])
def test_execution_when_orders_go_over_websocket_fills_and_cancels_as_over_rest(
    kind: Any, ws_kind: str, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            bus = InProcessBus()
            seen: list[Event] = []
            bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
            venue = local_venue(kind, bus, fake, symbols=SYMBOLS, order_transport="websocket")
            name = venue.config.venue
            try:
                await venue.execution.start()
                await asyncio.sleep(0.2)
                price = float(bars["ETHUSDT"].close[600]) * 0.5  # far below: rests
                first = await venue.execution.submit(
                    SubmitOrder(TRADER, name, "BTCUSDT", 0, f"{TRADER}-1", "buy", "market", 0.01)
                )
                resting = await venue.execution.submit(
                    SubmitOrder(
                        TRADER,
                        name,
                        "ETHUSDT",
                        0,
                        f"{TRADER}-2",
                        "buy",
                        "limit",
                        0.5,
                        price=round(price, 2),
                    )
                )
                assert (first.status, resting.status) == ("new", "new")
                # the orders travelled over the fake's order-entry websocket
                assert any(c.kind == ws_kind for c in fake.hub.clients)
                await fake.advance(1)
                await wait_until(lambda: any(isinstance(e, Fill) for e in seen))
                await venue.execution.cancel(CancelOrder(TRADER, name, "ETHUSDT", 0, f"{TRADER}-2"))
                await wait_until(lambda: any(isinstance(e, OrderUpdate) and e.status == "canceled"
                                        for e in seen))  # fmt: skip
                statuses = {
                    (e.client_order_id, e.status) for e in seen if isinstance(e, OrderUpdate)
                }
                assert {(f"{TRADER}-1", "filled"), (f"{TRADER}-2", "canceled")} <= statuses
                (fill,) = [e for e in seen if isinstance(e, Fill)]
                assert (fill.symbol, fill.qty) == ("BTCUSDT", pytest.approx(0.01))
            finally:
                await venue.close()

    run(scenario())


def test_venue_config_when_websocket_orders_asked_for_demo_names_the_field() -> None:
    from tradeyard.venues.binance.urls import urls_for, ws_orders_url

    cfg = binance.BinanceConfig(environment="demo", order_transport="websocket")
    with pytest.raises(ValueError, match="not offered for environment 'demo'"):
        ws_orders_url(cfg, urls_for(cfg))


@pytest.mark.parametrize("kind", ["binanceusdm", "bybit"])
def test_execution_when_rest_answers_429_storm_websocket_orders_still_go_through(
    kind: Any, bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        async with local_fake(kind, bars) as fake:
            bus = InProcessBus()
            venue = local_venue(kind, bus, fake, symbols=SYMBOLS, order_transport="websocket")
            try:
                await venue.execution.start()
                await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
                await asyncio.sleep(0.2)  # the private stream's own REST calls are done
                fake.faults.storm_429 = 50  # REST only: the order socket is not REST
                update = await venue.execution.submit(
                    SubmitOrder(TRADER, kind, "BTCUSDT", 0, f"{TRADER}-9", "buy", "market", 0.01)
                )
                assert update.status == "new"
                assert fake.faults.storm_429 == 50  # nothing went over REST for it
            finally:
                fake.faults.storm_429 = 0
                await venue.close()

    run(scenario())
