"""The fake Binance's WebSocket API (`/ws-fapi/v1`): real ccxt pro over real sockets.

ccxt is pointed at the fake as in `test_fake_binance_ccxt.py`, plus
`urls['api']['ws']['ws-api']['linear']` = `ws://127.0.0.1:<port>/ws-fapi/v1`. Error classes:
ccxt maps WebSocket API errors with its generic Binance table (its USDⓈ-M table applies only to
https://fapi… URLs, never to a ws URL, so the same holds against the real venue): -1022 is
AuthenticationError, -1021 InvalidNonce, -2011 OrderNotFound, and -2019 a plain ExchangeError.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
import pytest
from fake_binance_client import wait_until

from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
)

ccxt = pytest.importorskip("ccxt")
ccxt_pro = pytest.importorskip("ccxt.pro")

ETH = "ETH/USDT:USDT"


def _ws_api_url(fake: FakeBinance) -> str:
    return fake.ws_url.removesuffix("/ws") + "/ws-fapi/v1"


def _ccxt_for(fake: FakeBinance, secret: str = DEFAULT_API_SECRET) -> Any:
    ex = ccxt_pro.binanceusdm(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": secret,
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False},
        }
    )
    for section, url in fake.ccxt_urls().items():
        ex.urls["api"][section] = url
    ex.urls["api"]["ws"]["linear"] = fake.ws_url
    ex.urls["api"]["ws"]["ws-api"]["linear"] = _ws_api_url(fake)
    return ex


def _ws_api_clients(fake: FakeBinance) -> list[Any]:
    return [c for c in fake.hub.clients if c.kind == "ws-api"]


async def test_ws_api_when_market_order_placed_answers_order_and_fill_arrives_on_user_stream(
    start_fake,
) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_my_trades(ETH))
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
            order = await ex.create_order_ws(ETH, "market", "buy", 0.05)
            await fake.advance(1)
            trades = await asyncio.wait_for(watch, 5)
            fetched = await ex.fetch_order(order["id"], ETH)
        finally:
            await ex.close()
    assert order["status"] == "open" and order["amount"] == 0.05 and order["side"] == "buy"
    assert order["info"]["type"] == "MARKET" and order["info"]["symbol"] == "ETHUSDT"
    assert trades[-1]["order"] == order["id"] and trades[-1]["amount"] == 0.05
    assert fetched["status"] == "closed" and fetched["filled"] == 0.05


async def test_ws_api_when_limit_order_then_cancel_order_ws_cancels_it(start_fake) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            price = fake.exchange.feed.price("ETHUSDT") * 0.8
            order = await ex.create_order_ws(ETH, "limit", "buy", 0.05, price)
            status = await ex.fetch_order_ws(order["id"], ETH)
            canceled = await ex.cancel_order_ws(order["id"], ETH)
            open_orders = await ex.fetch_open_orders(ETH)
            with pytest.raises(ccxt.OrderNotFound, match="-2011"):
                await ex.cancel_order_ws(order["id"], ETH)
        finally:
            await ex.close()
    assert order["status"] == "open" and order["type"] == "limit"
    assert status["id"] == order["id"] and status["status"] == "open"
    assert canceled["id"] == order["id"] and canceled["status"] == "canceled"
    assert open_orders == []
    assert len(_ws_api_clients(fake)) == 0  # closed with the client


async def test_ws_api_when_signature_bad_raises_authentication_error_and_socket_keeps_working(
    start_fake,
) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake, secret="not-the-secret")
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.AuthenticationError, match="-1022"):
                await ex.create_order_ws(ETH, "market", "buy", 0.05)
            first = _ws_api_clients(fake)
            ex.secret = DEFAULT_API_SECRET
            order = await ex.create_order_ws(ETH, "market", "buy", 0.05)
            after = _ws_api_clients(fake)
        finally:
            await ex.close()
    assert len(first) == 1 and after == first  # the same connection answered
    assert order["status"] == "open"
    assert len(fake.exchange.accounts[DEFAULT_API_KEY].orders) == 1


async def test_ws_api_when_margin_insufficient_raises_2019(start_fake) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.ExchangeError, match="-2019") as caught:
                await ex.create_order_ws("BTC/USDT:USDT", "market", "buy", 5)
            fake.faults.reject_next_order(-2010, "injected")
            with pytest.raises(ccxt.InvalidOrder, match="injected"):
                await ex.create_order_ws(ETH, "market", "buy", 0.05)
            order = await ex.create_order_ws(ETH, "market", "buy", 0.05)
        finally:
            await ex.close()
    assert "Margin is insufficient" in str(caught.value)
    assert order["status"] == "open"  # the rejections left the connection usable


async def test_ws_api_when_timestamp_outside_recv_window_raises_invalid_nonce(start_fake) -> None:
    async with start_fake() as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            ex.options["timeDifference"] = 120_000  # signs two minutes in the past
            with pytest.raises(ccxt.InvalidNonce, match="-1021"):
                await ex.create_order_ws(ETH, "market", "buy", 0.05)
        finally:
            await ex.close()
    assert fake.exchange.accounts[DEFAULT_API_KEY].orders == {}


def _signed(params: dict[str, Any], secret: str = DEFAULT_API_SECRET) -> dict[str, Any]:
    """Binance's documented WebSocket API signing, written independently of the fake."""
    full = {"apiKey": DEFAULT_API_KEY, "timestamp": int(time.time() * 1000), **params}
    text = "&".join(
        f"{k}={str(v).lower() if isinstance(v, bool) else v}" for k, v in sorted(full.items())
    )
    return {
        **full,
        "signature": hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest(),
    }


async def _ask(ws: aiohttp.ClientWebSocketResponse, request: dict[str, Any]) -> dict[str, Any]:
    await ws.send_str(json.dumps(request))
    return json.loads(await asyncio.wait_for(ws.receive_str(), 5))


def _req(rid: Any, method: str, **params: Any) -> dict[str, Any]:
    return {"id": rid, "method": method, "params": _signed(params)}


async def test_ws_api_when_raw_requests_answers_binance_envelopes(start_fake) -> None:
    market = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": 0.05}
    async with (
        start_fake() as fake,
        aiohttp.ClientSession() as session,
        session.ws_connect(_ws_api_url(fake)) as ws,
    ):
        probe = fake.enable_probe()
        placed = await _ask(ws, _req("a1", "order.place", **market))
        order_id = placed["result"]["orderId"]
        status = await _ask(
            ws, _req(7, "order.status", symbol="ETHUSDT", orderId=order_id, returnRateLimits=False)
        )
        unknown = await _ask(ws, _req(8, "order.status", symbol="ETHUSDT", orderId=1))
        bad_key = _req(9, "order.place", **market)
        bad_key["params"]["apiKey"] = "nobody"
        bad_key = await _ask(ws, bad_key)
        no_method = await _ask(ws, {"id": 10, "method": "order.fly", "params": {}})
        garbage = await _ask(ws, {"id": 11, "method": "order.place", "params": []})
    assert placed["id"] == "a1" and placed["status"] == 200
    assert [(sym, cid) for _, sym, cid in probe.orders] == [("ETHUSDT", "")]  # signed ones
    assert placed["result"]["status"] == "NEW" and placed["result"]["origQty"] == "0.050"
    assert "time" not in placed["result"]  # as REST's new-order answer
    kinds = {(r["rateLimitType"], r["interval"]) for r in placed["rateLimits"]}
    assert kinds == {("REQUEST_WEIGHT", "MINUTE"), ("ORDERS", "SECOND"), ("ORDERS", "MINUTE")}
    assert status["id"] == 7 and status["result"]["orderId"] == order_id
    assert "time" in status["result"] and "rateLimits" not in status
    assert unknown["status"] == 400 and unknown["error"]["code"] == -2013
    assert bad_key["status"] == 401 and bad_key["error"]["code"] == -2015
    assert no_method["status"] == 400 and no_method["error"]["code"] == -1000
    assert garbage["status"] == 400 and garbage["error"]["code"] == -1000


async def _sequence(fake: FakeBinance, *, ws: bool) -> dict[str, Any]:
    """The same order sequence over REST or the WebSocket API; the fake's state after it."""
    ex = _ccxt_for(fake)
    create = ex.create_order_ws if ws else ex.create_order
    cancel = ex.cancel_order_ws if ws else ex.cancel_order
    try:
        await ex.load_markets()
        price = round(fake.exchange.feed.price("ETHUSDT") * 0.8, 2)
        await create(ETH, "market", "buy", 0.05, None, {"clientOrderId": "seq-1"})
        limit = await create(ETH, "limit", "buy", 0.05, price, {"clientOrderId": "seq-2"})
        await create(ETH, "limit", "sell", 0.02, price * 1.6, {"clientOrderId": "seq-3"})
        await cancel(limit["id"], ETH)
        with pytest.raises(ccxt.ExchangeError, match="-2019"):
            await create("BTC/USDT:USDT", "market", "buy", 5, None, {"clientOrderId": "seq-4"})
        await fake.advance(2)
        orders = await ex.fetch_orders(ETH)
        trades = await ex.fetch_my_trades(ETH)
        positions = await ex.fetch_positions([ETH])
        balance = await ex.fetch_balance()
    finally:
        await ex.close()
    return {
        "orders": [o["info"] for o in orders],
        "trades": [t["info"] for t in trades],
        "positions": [p["info"] for p in positions],
        "balance": balance["info"],
        "view": fake.exchange.account_view(DEFAULT_API_KEY),
    }


async def test_ws_api_when_same_orders_as_rest_leaves_identical_fake_state(start_fake) -> None:
    async with start_fake() as rest_fake, start_fake() as ws_fake:
        by_rest = await _sequence(rest_fake, ws=False)
        by_ws = await _sequence(ws_fake, ws=True)
    assert len(by_rest["orders"]) == 3 and len(by_rest["trades"]) == 1
    assert by_ws == by_rest
