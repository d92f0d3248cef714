"""`order_transport = "websocket"`: the adapters send orders and cancels over the exchange's
websocket trading API (Binance WS API, Bybit /v5/trade), against each real local fake, ccxt
unmocked. The lifecycle on the bus is the same as over REST."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues import binance, bybit
from tradeyard.venues.fakes import binance as fake_binance
from tradeyard.venues.fakes import bybit as fake_bybit

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
TRADER = "ws-1"


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


def _binance(bars: dict[str, BarSeries]) -> tuple[Any, Callable[..., Any], str]:
    fake = fake_binance.FakeBinance(
        fake_binance.FakeBinanceConfig(substeps=2, warmup_bars=600), bars
    )

    def build(bus: InProcessBus, f: Any, **kw: Any) -> Any:
        cfg = binance.BinanceConfig(environment="local", rest_url=f.rest_url, ws_url=f.ws_url,
                                    symbols=SYMBOLS, rate_limit=False, reconnect_delay_s=0.05, **kw)  # fmt: skip
        env = {"BINANCE_API_KEY": fake_binance.DEFAULT_API_KEY,
               "BINANCE_API_SECRET": fake_binance.DEFAULT_API_SECRET}  # fmt: skip
        return binance.build_venue(bus, cfg, env)

    return fake, build, "ws-api"


def _bybit(bars: dict[str, BarSeries]) -> tuple[Any, Callable[..., Any], str]:
    fake = fake_bybit.FakeBybit(fake_bybit.FakeBybitConfig(substeps=2, warmup_bars=600), bars, {})

    def build(bus: InProcessBus, f: Any, **kw: Any) -> Any:
        cfg = bybit.BybitConfig(environment="local", rest_url=f.rest_url,
                                public_ws_url=f.public_ws_url, private_ws_url=f.private_ws_url,
                                symbols=SYMBOLS, rate_limit=False, reconnect_delay_s=0.05, **kw)  # fmt: skip
        env = {"BYBIT_API_KEY": fake_bybit.DEFAULT_API_KEY,
               "BYBIT_API_SECRET": fake_bybit.DEFAULT_API_SECRET}  # fmt: skip
        return bybit.build_venue(bus, cfg, env)

    return fake, build, "trade"


@pytest.mark.parametrize("make", [_binance, _bybit], ids=["binance", "bybit"])
def test_execution_when_orders_go_over_websocket_fills_and_cancels_as_over_rest(
    make: Callable[..., Any], bars: dict[str, BarSeries]
) -> None:
    async def scenario() -> None:
        fake, build, ws_kind = make(bars)
        async with fake:
            bus = InProcessBus()
            seen: list[Event] = []
            bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
            venue = build(bus, fake, order_transport="websocket")
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
