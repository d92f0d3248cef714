"""The fake Bybit's websocket order entry (`/v5/trade`): real ccxt pro over real sockets.

ccxt is pointed at the fake as in `test_fake_bybit_ccxt.py` (`FakeBybit.point_ccxt`), plus
`urls['api']['ws']['private']['trade']` = `ws://127.0.0.1:<port>/v5/trade`. ccxt maps Bybit's
retCodes by its exact table whatever the host, so the error classes are the production ones.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import hmac
import json
import time
from typing import Any

import aiohttp
import pytest
from fake_binance_client import wait_until
from fake_bybit_client import start_bybit

from tradeyard.venues.fakes.bybit import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeBybit

ccxt = pytest.importorskip("ccxt")
ccxt_pro = pytest.importorskip("ccxt.pro")

ETH = "ETH/USDT:USDT"
BTC = "BTC/USDT:USDT"


def _trade_url(fake: FakeBybit) -> str:
    return fake.private_ws_url.removesuffix("/v5/private") + "/v5/trade"


def _ccxt_for(fake: FakeBybit, secret: str = DEFAULT_API_SECRET) -> Any:
    ex = ccxt_pro.bybit(
        {
            "apiKey": DEFAULT_API_KEY,
            "secret": secret,
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
    ex.urls["api"]["ws"]["private"]["trade"] = _trade_url(fake)
    return ex


def _trade_clients(fake: FakeBybit) -> list[Any]:
    return [c for c in fake.hub.clients if c.kind == "trade"]


def _subscribed(fake: FakeBybit, topic: str) -> bool:
    return any(c.kind == "user" and topic in c.streams for c in fake.hub.clients)


async def test_ws_trade_when_market_order_created_answers_ids_and_fill_arrives_on_private_ws(
    bars, funding
) -> None:
    async with start_bybit(bars, funding) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_my_trades(ETH))
            await wait_until(lambda: _subscribed(fake, "execution"))
            order = await ex.create_order_ws(
                ETH, "market", "buy", 0.05, None, {"orderLinkId": "m-1"}
            )
            await fake.advance(1)
            trades = await asyncio.wait_for(watch, 5)
        finally:
            await ex.close()
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    assert order["id"] in acct.orders and order["clientOrderId"] == "m-1"
    assert acct.orders[order["id"]].status == "Filled"
    assert trades[-1]["order"] == order["id"] and trades[-1]["amount"] == 0.05


async def test_ws_trade_when_limit_order_then_cancel_order_ws_cancels_it(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            price = fake.exchange.market.price("ETHUSDT") * 0.8
            order = await ex.create_order_ws(ETH, "limit", "buy", 0.05, price)
            was_open = [o.order_id for o in fake.exchange.accounts[DEFAULT_API_KEY].open_orders()]
            canceled = await ex.cancel_order_ws(order["id"], ETH)
            open_orders = await ex.fetch_open_orders(ETH)
            with pytest.raises(ccxt.OrderNotFound, match="110001"):
                await ex.cancel_order_ws(order["id"], ETH)
            with pytest.raises(ccxt.BadRequest, match=r"order\.amend"):
                await ex.edit_order_ws(order["id"], ETH, "limit", "buy", 0.05, price)
        finally:
            await ex.close()
    assert was_open == [order["id"]]
    assert canceled["id"] == order["id"]
    assert open_orders == []
    assert fake.exchange.accounts[DEFAULT_API_KEY].orders[order["id"]].status == "Cancelled"
    assert _trade_clients(fake) == []  # closed with the client


async def test_ws_trade_when_auth_signature_bad_raises_authentication_error_and_socket_keeps_working(
    bars, funding
) -> None:
    async with start_bybit(bars, funding) as fake:
        ex = _ccxt_for(fake, secret="not-the-secret")
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.AuthenticationError, match="10004"):
                await ex.create_order_ws(ETH, "market", "buy", 0.05)
            first = _trade_clients(fake)
            ex.secret = DEFAULT_API_SECRET
            order = await ex.create_order_ws(ETH, "market", "buy", 0.05)
            after = _trade_clients(fake)
        finally:
            await ex.close()
    assert len(first) == 1 and after == first  # the same connection authenticated and answered
    assert list(fake.exchange.accounts[DEFAULT_API_KEY].orders) == [order["id"]]


async def test_ws_trade_when_margin_insufficient_raises_insufficient_funds(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.InsufficientFunds, match="110007"):
                await ex.create_order_ws(BTC, "market", "buy", 50)
            fake.faults.reject_next_order(10001, "injected rejection")
            with pytest.raises(ccxt.BadRequest, match="injected rejection"):
                await ex.create_order_ws(ETH, "market", "buy", 0.05)
            order = await ex.create_order_ws(ETH, "market", "buy", 0.05)
        finally:
            await ex.close()
    assert list(fake.exchange.accounts[DEFAULT_API_KEY].orders) == [order["id"]]


def _auth_args(secret: str = DEFAULT_API_SECRET) -> list[Any]:
    """Bybit's documented websocket auth, written independently of the fake."""
    expires = int(time.time() * 1000) + 10_000
    text = f"GET/realtime{expires}"
    return [
        DEFAULT_API_KEY,
        expires,
        hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest(),
    ]


def _order_req(
    req_id: str, op: str, body: dict[str, Any], ts_ms: int | None = None
) -> dict[str, Any]:
    ts = int(time.time() * 1000) if ts_ms is None else ts_ms
    header = {"X-BAPI-TIMESTAMP": str(ts), "X-BAPI-RECV-WINDOW": "5000"}
    return {"reqId": req_id, "header": header, "op": op, "args": [body]}


async def _ask(ws: aiohttp.ClientWebSocketResponse, request: dict[str, Any]) -> dict[str, Any]:
    await ws.send_str(json.dumps(request))
    return json.loads(await asyncio.wait_for(ws.receive_str(), 5))


async def test_ws_trade_when_raw_requests_answers_bybit_envelopes(bars, funding) -> None:
    body = {"category": "linear", "symbol": "ETHUSDT", "side": "Buy", "orderType": "Market",
            "qty": "0.05", "orderLinkId": "raw-1"}  # fmt: skip
    async with (
        start_bybit(bars, funding) as fake,
        aiohttp.ClientSession() as session,
        session.ws_connect(_trade_url(fake)) as ws,
    ):
        probe = fake.enable_probe()
        early = await _ask(ws, _order_req("1", "order.create", body))
        auth = await _ask(ws, {"op": "auth", "args": _auth_args()})
        again = await _ask(ws, {"reqId": "a2", "op": "auth", "args": _auth_args()})
        stale = await _ask(
            ws, _order_req("2", "order.create", body, int(time.time() * 1000) - 60_000)
        )
        created = await _ask(ws, _order_req("3", "order.create", body))
        repeated = await _ask(ws, _order_req("3", "order.create", body))
        pong = await _ask(ws, {"req_id": "p1", "op": "ping"})
        bad_op = await _ask(ws, {"reqId": "4", "op": "order.fly", "args": []})
    assert early["retCode"] == 10003 and early["reqId"] == "1" and early["op"] == "order.create"
    assert auth == {"retCode": 0, "retMsg": "OK", "op": "auth", "connId": auth["connId"]}
    assert again["retCode"] == 20001 and again["reqId"] == "a2"
    assert stale["retCode"] == 10002 and stale["data"] == {}
    assert created["retCode"] == 0 and created["retMsg"] == "OK" and created["op"] == "order.create"
    assert created["data"]["orderLinkId"] == "raw-1" and created["connId"] == auth["connId"]
    assert created["data"]["orderId"] in fake.exchange.accounts[DEFAULT_API_KEY].orders
    assert {"X-Bapi-Limit", "X-Bapi-Limit-Status", "Traceid", "Timenow"} <= set(created["header"])
    assert repeated["retCode"] == 20006
    assert [(sym, link) for _, sym, link in probe.orders] == [("ETHUSDT", "raw-1")]
    assert pong["op"] == "pong" and pong["req_id"] == "p1"
    assert bad_op["retCode"] == 10001


async def _sequence(fake: FakeBybit, *, ws: bool) -> dict[str, Any]:
    """The same order sequence over REST or the trade websocket; the fake's state after it."""
    ex = _ccxt_for(fake)
    create = ex.create_order_ws if ws else ex.create_order
    cancel = ex.cancel_order_ws if ws else ex.cancel_order
    try:
        await ex.load_markets()
        price = round(fake.exchange.market.price("ETHUSDT") * 0.8, 2)
        await create(ETH, "market", "buy", 0.05, None, {"orderLinkId": "seq-1"})
        limit = await create(ETH, "limit", "buy", 0.05, price, {"orderLinkId": "seq-2"})
        await create(ETH, "limit", "sell", 0.02, price * 1.6, {"orderLinkId": "seq-3"})
        await cancel(limit["id"], ETH)
        with pytest.raises(ccxt.InsufficientFunds):
            await create(BTC, "market", "buy", 50, None, {"orderLinkId": "seq-4"})
        await fake.advance(2)
        positions = await ex.fetch_positions([ETH])
    finally:
        await ex.close()
    acct = fake.exchange.accounts[DEFAULT_API_KEY]
    drop_id = lambda o: {k: v for k, v in dataclasses.asdict(o).items() if k != "order_id"}  # noqa: E731
    return {
        "orders": [drop_id(o) for o in acct.orders.values()],
        "executions": [
            (e.order.order_link_id, e.price, e.qty, e.fee, e.pnl, e.maker, e.time, e.leaves_qty)
            for e in acct.executions
        ],
        "positions": [p["info"] for p in positions],
        "view": fake.exchange.account_view(DEFAULT_API_KEY),
    }


async def test_ws_trade_when_same_orders_as_rest_leaves_identical_fake_state(bars, funding) -> None:
    async with start_bybit(bars, funding) as rest_fake, start_bybit(bars, funding) as ws_fake:
        by_rest = await _sequence(rest_fake, ws=False)
        by_ws = await _sequence(ws_fake, ws=True)
    assert [o["order_link_id"] for o in by_rest["orders"]] == ["seq-1", "seq-2", "seq-3"]
    assert len(by_rest["executions"]) == 1
    assert by_ws == by_rest
