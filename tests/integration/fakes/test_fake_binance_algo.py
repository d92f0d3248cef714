"""Conditional orders through the Algo Order API on the Binance fake, driven by real ccxt.

ccxt 4.5.x sends a create_order with a trigger price to `POST /fapi/v1/algoOrder`
(`algoType=CONDITIONAL`, `triggerPrice`, `clientAlgoId`) and fetches / cancels it on
`/fapi/v1/algoOrder` and `/fapi/v1/openAlgoOrders` when given `{"trigger": True}`. The fake
keeps the trigger in its simulated venue and reports on the user stream: ALGO_UPDATE NEW on
placement; when the market reaches the trigger ALGO_UPDATE TRIGGERED, the engine order's
ORDER_TRADE_UPDATE NEW and TRADE (under the caller's client id), ALGO_UPDATE FINISHED;
ALGO_UPDATE CANCELED on a cancel.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from fake_binance_client import BinanceTestClient, next_json, wait_until

from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET, FakeBinance

ccxt_pro = pytest.importorskip("ccxt.pro")

WARMUP = 600
SYMBOL, CCXT_SYMBOL = "ETHUSDT", "ETH/USDT:USDT"


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


async def _trigger(fake: Any, ws: Any, algo: Any, n: int = 4) -> list[dict[str, Any]]:
    """Replay until the market reaches `algo`'s trigger; the next `n` order / algo events."""
    for _ in range(200):
        if not algo.is_open:
            break
        await fake.advance(1)
    events: list[dict[str, Any]] = []
    while len(events) < n:
        events.append(await next_json(ws, lambda m: m.get("e") in
                                      ("ALGO_UPDATE", "ORDER_TRADE_UPDATE")))  # fmt: skip
    return events


def _account(fake: FakeBinance) -> Any:
    return fake.exchange.accounts[DEFAULT_API_KEY]


def _position(fake: FakeBinance) -> float:
    pos = fake.exchange.sim.account(_account(fake).trader).positions.get(SYMBOL)
    return pos.qty if pos is not None else 0.0


async def _user_socket(s: aiohttp.ClientSession, client: BinanceTestClient, fake: FakeBinance):
    key = (await client.keyed("POST", "/fapi/v1/listenKey")).body["listenKey"]
    return await s.ws_connect(f"{fake.rest_url.replace('http', 'ws')}/private/ws?listenKey={key}")


def _stop_that_triggers_soon(fake: FakeBinance, bars) -> float:
    """A sell-stop price under the current price that a coming bar trades through."""
    replay = fake.exchange.replay
    series = bars[SYMBOL]
    i = int(series.open_time.searchsorted(replay.current_open))
    last = float(series.close[i - 1])
    lows = [float(x) for x in series.low[i : i + 200]]
    target = next(lo for lo in lows if lo < last * 0.9995)
    return round(target + (last - target) * 0.5, 2)  # between: below the price, reached later


async def test_ccxt_stop_market_goes_to_the_algo_api_triggers_and_fills(start_fake, bars) -> None:
    async with start_fake(warmup_bars=WARMUP) as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            await ex.create_order(CCXT_SYMBOL, "market", "buy", 0.05)
            await fake.advance(1)  # the entry fills at the next open
            assert _position(fake) == pytest.approx(0.05)
            stop = _stop_that_triggers_soon(fake, bars)
            placed = await ex.create_order(
                CCXT_SYMBOL, "STOP_MARKET", "sell", 0.05, None,
                {"triggerPrice": stop, "reduceOnly": True, "clientOrderId": "t1-7"},
            )  # fmt: skip
            new = await next_json(ws, lambda m: m.get("e") == "ALGO_UPDATE")
            algo = _account(fake).algos[int(placed["id"])]
            assert algo.status == "NEW" and _account(fake).open_orders(SYMBOL) == []
            listed = await ex.fetch_open_orders(CCXT_SYMBOL, params={"trigger": True})
            fetched = await ex.fetch_order(placed["id"], CCXT_SYMBOL, {"trigger": True})
            events = await _trigger(fake, ws, algo)
            after = await ex.fetch_order(placed["id"], CCXT_SYMBOL, {"trigger": True})
            engine = await ex.fetch_order(algo.order.order_id, CCXT_SYMBOL)
            trades = await ex.fetch_my_trades(CCXT_SYMBOL)
        finally:
            await ex.close()
            await ws.close()
    # placement: the algo API, its ids, ALGO_UPDATE NEW, listed among open algo orders
    assert placed["clientOrderId"] == "t1-7" and placed["status"] == "open"
    assert placed["triggerPrice"] == pytest.approx(stop) and placed["reduceOnly"] is True
    assert new["o"]["X"] == "NEW" and new["o"]["caid"] == "t1-7" and new["o"]["o"] == "STOP_MARKET"
    assert [o["id"] for o in listed] == [placed["id"]] and fetched["status"] == "open"
    # trigger: TRIGGERED, the engine order NEW then TRADE (the caller's client id), FINISHED
    kinds = [(m["e"], m["o"]["X"] if m["e"] == "ALGO_UPDATE" else m["o"]["x"]) for m in events]
    assert kinds == [
        ("ALGO_UPDATE", "TRIGGERED"),
        ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "TRADE"),
        ("ALGO_UPDATE", "FINISHED"),
    ]
    trade = events[2]["o"]
    assert trade["c"] == "t1-7" and trade["X"] == "FILLED" and trade["R"] is True
    assert trade["o"] == "MARKET" and trade["ot"] == "STOP_MARKET"
    assert float(trade["L"]) <= stop
    assert events[3]["o"]["ai"] == str(trade["i"]) and float(events[3]["o"]["aq"]) == 0.05
    assert after["info"]["algoStatus"] == "FINISHED"
    assert after["info"]["actualOrderId"] == str(trade["i"])
    assert engine["status"] == "closed" and engine["clientOrderId"] == "t1-7"
    assert trades[-1]["order"] == str(trade["i"]) and trades[-1]["side"] == "sell"
    assert _position(fake) == 0.0


async def test_ccxt_cancel_of_an_algo_order_pushes_canceled(start_fake) -> None:
    async with start_fake(warmup_bars=WARMUP) as fake:
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_orders(CCXT_SYMBOL))
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
            price = fake.exchange.feed.price(SYMBOL)
            assert price is not None
            placed = await ex.create_order(
                CCXT_SYMBOL, "TAKE_PROFIT_MARKET", "buy", 0.05, None,
                {"triggerPrice": round(price * 0.8, 2), "clientOrderId": "tp-1"},
            )  # fmt: skip
            first = [(o["id"], o["status"]) for o in await asyncio.wait_for(watch, 5)]
            canceled = await ex.cancel_order(placed["id"], CCXT_SYMBOL, {"trigger": True})
            pushed = await asyncio.wait_for(ex.watch_orders(CCXT_SYMBOL), 5)
            left = await ex.fetch_open_orders(CCXT_SYMBOL, params={"trigger": True})
        finally:
            await ex.close()
    assert first[-1] == (placed["id"], "open")  # ALGO_UPDATE NEW
    assert canceled["id"] == placed["id"]
    assert pushed[-1]["id"] == placed["id"] and pushed[-1]["status"] == "canceled"
    assert pushed[-1]["clientOrderId"] == "tp-1"
    assert left == [] and _account(fake).algos[int(placed["id"])].status == "CANCELED"


async def test_algo_order_endpoint_refusals(start_fake) -> None:
    async with (
        start_fake(warmup_bars=WARMUP, algo_orders_only=True) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BinanceTestClient(s, fake.rest_url)
        base = {"symbol": SYMBOL, "side": "SELL", "quantity": "0.05", "reduceOnly": "true"}
        on_order = await client.signed(
            "POST", "/fapi/v1/order", type="STOP_MARKET", stopPrice="100", **base
        )
        no_algo_type = await client.signed(
            "POST", "/fapi/v1/algoOrder", type="STOP_MARKET", triggerPrice="100", **base
        )
        limit_stop = await client.signed(
            "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", type="STOP", price="99",
            triggerPrice="100", **base,
        )  # fmt: skip
        no_trigger = await client.signed(
            "POST", "/fapi/v1/algoOrder", algoType="CONDITIONAL", type="STOP_MARKET", **base
        )
        unknown = await client.signed("DELETE", "/fapi/v1/algoOrder", algoId="42")
        missing = await client.signed("GET", "/fapi/v1/algoOrder", clientAlgoId="nope")
        cancel_all = await client.signed("DELETE", "/fapi/v1/algoOpenOrders", symbol=SYMBOL)
        history = await client.signed("GET", "/fapi/v1/allAlgoOrders", symbol=SYMBOL)
    assert on_order.body["code"] == -4120
    assert no_algo_type.body["code"] == -1102
    assert limit_stop.body["code"] == -1116
    assert no_trigger.body["code"] == -1102
    assert unknown.body["code"] == -2011 and missing.body["code"] == -2013
    assert cancel_all.status == 200 and cancel_all.body["code"] == 200
    assert history.status == 200 and history.body == []


async def test_engine_order_with_generated_client_id_and_fills_first(start_fake, bars) -> None:
    """`algo_engine_client_id="generated"`, `algo_report_order="fills_first"`: the engine order
    has a Binance-style client id of its own, its NEW and TRADE come before ALGO_UPDATE
    TRIGGERED, and TRIGGERED and FINISHED both name it (`ai`)."""
    options = {"algo_engine_client_id": "generated", "algo_report_order": "fills_first"}
    async with (
        start_fake(warmup_bars=WARMUP, **options) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        ex = _ccxt_for(fake)
        try:
            await ex.load_markets()
            await ex.create_order(CCXT_SYMBOL, "market", "buy", 0.05)
            await fake.advance(1)
            stop = _stop_that_triggers_soon(fake, bars)
            placed = await ex.create_order(
                CCXT_SYMBOL, "STOP_MARKET", "sell", 0.05, None,
                {"triggerPrice": stop, "reduceOnly": True, "clientOrderId": "t1-8"},
            )  # fmt: skip
            await next_json(ws, lambda m: m.get("e") == "ALGO_UPDATE")  # NEW
            algo = _account(fake).algos[int(placed["id"])]
            events = await _trigger(fake, ws, algo)
            engine = await ex.fetch_order(algo.order.order_id, CCXT_SYMBOL)
            after = await ex.fetch_order(placed["id"], CCXT_SYMBOL, {"trigger": True})
        finally:
            await ex.close()
            await ws.close()
    kinds = [(m["e"], m["o"]["X"] if m["e"] == "ALGO_UPDATE" else m["o"]["x"]) for m in events]
    assert kinds == [
        ("ORDER_TRADE_UPDATE", "NEW"),
        ("ORDER_TRADE_UPDATE", "TRADE"),
        ("ALGO_UPDATE", "TRIGGERED"),
        ("ALGO_UPDATE", "FINISHED"),
    ]
    new, trade, triggered, finished = (m["o"] for m in events)
    generated = trade["c"]
    assert generated != "t1-8" and len(generated) == 22 and generated.isalnum()
    assert new["c"] == generated and new["i"] == trade["i"]
    assert triggered["caid"] == finished["caid"] == "t1-8"
    assert triggered["ai"] == finished["ai"] == str(trade["i"])
    assert float(finished["aq"]) == pytest.approx(0.05)
    assert engine["clientOrderId"] == generated and engine["status"] == "closed"
    assert after["clientOrderId"] == "t1-8"
    assert after["info"]["actualOrderId"] == str(trade["i"])
