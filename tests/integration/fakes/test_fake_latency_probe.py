"""The fakes' optional latency probe: closing klines stamped when written to the websocket,
order requests when they reach the order endpoint, paired per symbol (bench/kline_to_order_latency.py
reads them from `GET /_fake/probe`)."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from fake_binance_client import wait_until
from fake_bybit_client import start_bybit

from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET

ccxt_pro = pytest.importorskip("ccxt.pro")


async def test_binance_probe_pairs_an_order_with_the_close_written_before_it(start_fake) -> None:
    async with start_fake(warmup_bars=600) as fake, aiohttp.ClientSession() as s:
        probe = fake.enable_probe()
        ex: Any = ccxt_pro.binanceusdm(
            {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "enableRateLimit": False,
             "options": {"fetchCurrencies": False}}
        )  # fmt: skip
        for section, url in fake.ccxt_urls().items():
            ex.urls["api"][section] = url
        ex.urls["api"]["ws"]["linear"] = fake.ws_url
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_ohlcv("ETH/USDT:USDT", "1m"))
            await wait_until(lambda: "ethusdt@kline_1m" in fake.hub.subscribed())
            await fake.advance(1)
            await asyncio.wait_for(watch, 5)
            await ex.create_order("ETH/USDT:USDT", "market", "buy", 0.05, None,
                                  {"clientOrderId": "p-1"})  # fmt: skip
            async with s.get(f"{fake.rest_url}/_fake/probe") as r:
                state = await r.json()
        finally:
            await ex.close()
    closed_open = fake.exchange.replay.current_open - 60_000
    assert state["enabled"] and state["orders"] == 1 and state["closes"] >= 1
    (pair,) = state["pairs"]
    assert pair["symbol"] == "ETHUSDT" and pair["client_order_id"] == "p-1"
    assert pair["bar_open"] == closed_open
    assert pair["kline_queued_ns"] <= pair["kline_sent_ns"] < pair["order_received_ns"]
    assert pair["latency_ns"] == pair["order_received_ns"] - pair["kline_sent_ns"] > 0
    assert ("ETHUSDT", closed_open) in probe.written


async def test_probe_is_off_by_default_and_on_bybit_too(start_fake, bars, funding) -> None:
    async with start_fake(warmup_bars=600) as fake, aiohttp.ClientSession() as s:
        r = await s.get(f"{fake.rest_url}/_fake/probe")
        assert await r.json() == {"enabled": False}
    async with start_bybit(bars, funding, warmup_bars=600) as bybit, aiohttp.ClientSession() as s:
        bybit.enable_probe()
        async with s.get(f"{bybit.rest_url}/_fake/probe") as r:
            state = await r.json()
    assert state == {"enabled": True, "closes": 0, "orders": 0, "pairs": []}
