"""Real ccxt (async `bybit`) against the fake Bybit, base URLs swapped.

Per `shared/exchange-protocols/ccxt-notes.md`: the five REST keys of `urls['api']` are
overwritten (`FakeBybit.point_ccxt`), markets are fetched for `linear` only, currencies are not
fetched and the account-mode probe is skipped (`enableUnifiedAccount`). ccxt maps Bybit's
`retCode` by its exact table whatever the host, so the error classes are the production ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiohttp import web
from fake_binance_client import wait_until
from fake_bybit_client import start_bybit

from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

ccxt = pytest.importorskip("ccxt")
ccxt_async = pytest.importorskip("ccxt.async_support")

WARMUP = 600


def _ccxt_for(fake: FakeBybit) -> Any:
    ex = ccxt_async.bybit(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": DEFAULT_API_SECRET,
            "enableRateLimit": False,
            "options": {
                "fetchMarkets": {"types": ["linear"]},
                "enableUnifiedAccount": True,
                "enableUnifiedMargin": False,
            },
        }
    )
    ex.has["fetchCurrencies"] = False
    fake.point_ccxt(ex)
    return ex


async def test_ccxt_when_pointed_at_fake_loads_markets_fetches_ohlcv_and_trades(
    bars, funding
) -> None:
    btc = bars["BTCUSDT"]
    async with start_bybit(bars, funding, warmup_bars=WARMUP) as fake:
        ex = _ccxt_for(fake)
        try:
            markets = await ex.load_markets()
            ohlcv = await ex.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=5)
            order = await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
            await fake.advance(1)
            fetched = await ex.fetch_order(order["id"], "BTC/USDT:USDT", {"acknowledged": True})
            positions = await ex.fetch_positions(["BTC/USDT:USDT"])
            balance = await ex.fetch_balance()
            with pytest.raises(ccxt.InsufficientFunds):
                await ex.create_order("BTC/USDT:USDT", "market", "buy", 50)
        finally:
            await ex.close()
    m = markets["BTC/USDT:USDT"]
    assert m["linear"] and m["swap"] and m["settle"] == "USDT"
    assert m["precision"]["amount"] == 0.001 and m["precision"]["price"] == 0.1
    assert [c[0] for c in ohlcv] == sorted(c[0] for c in ohlcv)  # ccxt re-sorts oldest first
    assert ohlcv[-1][0] == int(btc.open_time[WARMUP])  # the forming candle last
    i = WARMUP - 1
    assert ohlcv[-2][1:] == [
        float(btc.open[i]), float(btc.high[i]), float(btc.low[i]), float(btc.close[i]),
        float(btc.volume[i]),
    ]  # fmt: skip
    assert fetched["status"] == "closed" and fetched["filled"] == 0.01
    assert fetched["average"] == float(btc.open[WARMUP])
    (pos,) = positions
    assert pos["side"] == "long" and pos["contracts"] == 0.01
    assert balance["USDT"]["total"] < 10_000.0


FIXTURE = (
    Path(__file__).resolve().parents[2] / "fixtures" / "bybit" / "ccxt_static_request_linear.json"
)
SERVED = ("BTC/", "ETH/", "LTC/")
"""Symbols of the test data; entries for other markets (ADA, TRX) are not replayable here."""
REFUSED_BY_DESIGN = "not supported by the fake"
"""Attached TP/SL and conditional Limit orders: the fake refuses them (10001) by name."""


def _static_cases() -> list[dict[str, Any]]:
    data = json.loads(FIXTURE.read_text())
    return [
        e
        for e in data["methods"]["createOrder"]
        if e["input"][0].startswith(SERVED) and urlsplit(e["url"]).path == "/v5/order/create"
    ]


@pytest.mark.parametrize("entry", _static_cases(), ids=lambda e: e["description"])
async def test_ccxt_static_request_when_replayed_reaches_fake_unchanged(
    bars, funding, entry: dict[str, Any]
) -> None:
    seen: list[tuple[str, str]] = []
    expected_qty: list[str] = []
    answers: list[dict[str, Any]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path != "/v5/order/create":
            return await handler(request)
        seen.append((request.path, await request.text()))
        response = await handler(request)
        answers.append(json.loads(response.body))
        return response

    fake = FakeBybit(FakeBybitConfig(substeps=2, warmup_bars=WARMUP), bars, funding)
    fake.app.middlewares.insert(0, record)
    async with fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            expected_qty.append(ex.amount_to_precision(entry["input"][0], entry["input"][3]))
            with contextlib.suppress(ccxt.ExchangeError):  # the request is what is checked
                await ex.create_order(*entry["input"])
        finally:
            await ex.close()
    assert len(seen) == 1, seen
    path, body = seen[0]
    assert path == urlsplit(entry["url"]).path
    got, want = json.loads(body), json.loads(entry["output"])
    # qty is rounded with the market's step: ccxt's fixture markets are not this data's
    assert got.pop("qty") == expected_qty[0]
    want.pop("qty")
    assert got == want
    answer = answers[0]
    # well-formed: accepted, or refused for the account's state / a feature the fake lacks
    assert answer["retCode"] in (0, 110017) or REFUSED_BY_DESIGN in answer["retMsg"], answer


async def test_ccxt_pro_when_watching_gets_klines_and_order_fills(bars, funding) -> None:
    ccxt_pro = pytest.importorskip("ccxt.pro")
    btc = bars["BTCUSDT"]
    async with start_bybit(bars, funding, warmup_bars=WARMUP) as fake:
        ex = ccxt_pro.bybit(
            {
                "apiKey": DEFAULT_API_KEY,
                "secret": DEFAULT_API_SECRET,
                "enableRateLimit": False,
                "options": {
                    "fetchMarkets": {"types": ["linear"]},
                    "enableUnifiedAccount": True,
                    "enableUnifiedMargin": False,
                },
            }
        )
        ex.has["fetchCurrencies"] = False
        fake.point_ccxt(ex)
        try:
            await ex.load_markets()
            first = asyncio.create_task(ex.watch_ohlcv("BTC/USDT:USDT", "1m"))
            orders = asyncio.create_task(ex.watch_orders("BTC/USDT:USDT"))
            await wait_until(lambda: len(fake.hub.clients) == 2 and all(
                c.streams for c in fake.hub.clients))  # fmt: skip
            await fake.advance(1)
            candles = await asyncio.wait_for(first, 5.0)
            await ex.create_order("BTC/USDT:USDT", "market", "buy", 0.01)
            seen = await asyncio.wait_for(orders, 5.0)
            while seen[-1]["status"] != "closed":
                next_orders = asyncio.create_task(ex.watch_orders("BTC/USDT:USDT"))
                await fake.advance(1)
                seen = await asyncio.wait_for(next_orders, 5.0)
        finally:
            await ex.close()
    assert candles[-1][0] == int(btc.open_time[WARMUP])
    assert seen[-1]["filled"] == 0.01 and seen[-1]["average"] == float(btc.open[WARMUP + 1])
