"""Real ccxt (async binanceusdm, ccxt pro for websockets) against the fake, base URLs swapped.

Per `shared/exchange-protocols/ccxt-notes.md`: the REST sections are overwritten inside
`urls['api']` (not replaced), `urls['api']['ws']['linear']` ends in `/ws` so ccxt rewrites it to
`/market/ws/<n>` and `/private/ws?listenKey=…`, and `fetchCurrencies` is off (it would call the
spot `sapi` host). Error classes are ccxt's generic ones: its USDⓈ-M table applies only to
https://fapi.binance.com URLs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from aiohttp import web
from fake_binance_client import wait_until

from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
    FakeBinanceConfig,
)

ccxt = pytest.importorskip("ccxt")
ccxt_pro = pytest.importorskip("ccxt.pro")

FIXTURE = (
    Path(__file__).resolve().parents[2]
    / "fixtures"
    / "binanceusdm"
    / "ccxt_static_request_linear.json"
)
WARMUP = 600


def _ccxt_for(fake: FakeBinance) -> Any:
    ex = ccxt_pro.binanceusdm(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": DEFAULT_API_SECRET,
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False},
        }
    )
    for section, url in fake.ccxt_urls().items():
        ex.urls["api"][section] = url
    ex.urls["api"]["ws"]["linear"] = fake.ws_url
    return ex


async def test_ccxt_when_pointed_at_fake_loads_markets_trades_and_watches(start_fake, bars) -> None:
    btc = bars["BTCUSDT"]
    async with start_fake(warmup_bars=WARMUP) as fake:
        ex = _ccxt_for(fake)
        try:
            markets = await ex.load_markets()
            ohlcv = await ex.fetch_ohlcv("BTC/USDT:USDT", "1m", limit=5)
            order = await ex.create_order("ETH/USDT:USDT", "market", "buy", 0.05)
            watch = asyncio.create_task(ex.watch_ohlcv("BTC/USDT:USDT", "1m"))
            await wait_until(lambda: "btcusdt@kline_1m" in fake.hub.subscribed())
            await fake.advance(1)
            candles = await asyncio.wait_for(watch, 5)
            fetched = await ex.fetch_order(order["id"], "ETH/USDT:USDT")
            positions = await ex.fetch_positions(["ETH/USDT:USDT"])
            balance = await ex.fetch_balance()
            with pytest.raises(ccxt.ExchangeError, match="-2019"):  # generic table on 127.0.0.1
                await ex.create_order("BTC/USDT:USDT", "market", "buy", 5)
        finally:
            await ex.close()
    btc_market = markets["BTC/USDT:USDT"]
    assert btc_market["swap"] and btc_market["linear"] and btc_market["active"]
    assert btc_market["precision"]["price"] == 0.1 and btc_market["precision"]["amount"] == 0.001
    assert btc_market["limits"]["cost"]["min"] == 100
    assert [c[0] for c in ohlcv][-1] == int(btc.open_time[WARMUP])
    assert ohlcv[0][1:6] == [float(btc.open[WARMUP - 4]), float(btc.high[WARMUP - 4]),
                             float(btc.low[WARMUP - 4]), float(btc.close[WARMUP - 4]),
                             float(btc.volume[WARMUP - 4])]  # fmt: skip
    assert order["status"] == "open" and order["amount"] == 0.05
    assert candles[-1][0] == int(btc.open_time[WARMUP])
    assert fetched["status"] == "closed" and fetched["filled"] == 0.05
    assert positions[0]["contracts"] == 0.05 and positions[0]["side"] == "long"
    assert 9_900 < balance["USDT"]["total"] < 10_100


async def test_ccxt_when_watching_orders_gets_fills_from_user_stream(start_fake) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_orders("ETH/USDT:USDT"))
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
            order = await ex.create_order("ETH/USDT:USDT", "market", "buy", 0.05)
            seen = await asyncio.wait_for(watch, 5)
            assert seen[-1]["status"] == "open"
            watch = asyncio.create_task(ex.watch_orders("ETH/USDT:USDT"))
            await asyncio.sleep(0)  # the watcher is registered before the fill arrives
            await fake.advance(1)
            seen = await asyncio.wait_for(watch, 5)
        finally:
            await ex.close()
    assert seen[-1]["id"] == order["id"] and seen[-1]["status"] == "closed"
    assert seen[-1]["filled"] == 0.05


def _params(url: str, body: str | None) -> tuple[str, str, dict[str, str]]:
    parts = urlsplit(url)
    params = dict(parse_qsl(parts.query, keep_blank_values=True))
    params.update(parse_qsl(body or "", keep_blank_values=True))
    return parts.path, parts.query, params


def _static_cases() -> list[tuple[str, dict[str, Any]]]:
    data = json.loads(FIXTURE.read_text())
    cases = []
    for method, entries in data["methods"].items():
        for entry in entries:
            if urlsplit(entry["url"]).path == "/fapi/v1/algoOrder":
                continue  # conditional orders via the Algo API: not implemented by the fake
            if method == "editOrderWithClientOrderId":
                continue  # PUT /fapi/v1/order (modify): not implemented by the fake
            cases.append((method, entry))
    return cases


@pytest.mark.parametrize(
    ("method", "entry"),
    _static_cases(),
    ids=lambda c: c if isinstance(c, str) else c["description"],
)
async def test_ccxt_static_request_when_replayed_reaches_fake_unchanged(
    bars, funding, method: str, entry: dict[str, Any]
) -> None:
    skip = set(json.loads(FIXTURE.read_text())["skipKeys"])
    seen: list[tuple[str, str, str]] = []
    answers: list[dict[str, Any]] = []

    @web.middleware
    async def record(request: web.Request, handler: Any) -> web.StreamResponse:
        if not request.path.startswith("/fapi/v1/order"):
            return await handler(request)
        body = await request.text() if request.body_exists else ""
        seen.append((request.method, str(request.rel_url), body))
        response = await handler(request)
        answers.append(json.loads(response.body))
        return response

    fake = FakeBinance(FakeBinanceConfig(substeps=2, warmup_bars=WARMUP), bars, funding)
    fake.app.middlewares.insert(0, record)
    async with fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            name = "".join("_" + c.lower() if c.isupper() else c for c in method)
            # refusals (below min notional, unknown order) are fine: the request is what is checked
            with contextlib.suppress(ccxt.ExchangeError):
                await getattr(ex, name)(*entry["input"])
        finally:
            await ex.close()
    assert len(seen) == 1, seen
    # accepted as well-formed: a 200, or a refusal about the order's economics / existence
    assert answers[0].get("code") in (None, -4164, -2011, -2013), answers[0]
    http_method, rel_url, body = seen[0]
    want_path, _, want = _params(entry["url"], entry["output"])
    got_path, _, got = _params(rel_url, body)
    assert got_path == want_path
    assert http_method == ("POST" if entry["output"] else http_method)
    drop = skip | {"signature"}
    assert {k: v for k, v in got.items() if k not in drop} == {
        k: v for k, v in want.items() if k not in drop
    }
