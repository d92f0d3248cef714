"""Signed order flow on the fake Bybit: REST, private websocket topics, positions, rejections."""

from __future__ import annotations

import aiohttp
from fake_bybit_client import BybitTestClient, next_json, start_bybit, topic_is

WARMUP = 600


async def test_market_order_when_next_bar_closes_fills_on_private_ws_and_position(
    bars, funding
) -> None:
    btc = bars["BTCUSDT"]
    fill_price = float(btc.open[WARMUP])
    async with start_bybit(bars, funding, warmup_bars=WARMUP) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        ws = await client.private_ws(fake.private_ws_url)
        placed = await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy",
            orderType="Market", qty="0.010", orderLinkId="rt-1",
        )  # fmt: skip
        new = await next_json(ws, topic_is("order"))
        await fake.advance(1)
        execution = await next_json(ws, topic_is("execution"))
        filled = await next_json(ws, topic_is("order"))
        position_push = await next_json(ws, topic_is("position"))
        wallet_push = await next_json(ws, topic_is("wallet"))
        positions = await client.signed(
            "GET", "/v5/position/list", category="linear", symbol="BTCUSDT"
        )
        by_settle = await client.signed(
            "GET", "/v5/position/list", category="linear", settleCoin="USDT"
        )
        query = await client.signed(
            "GET", "/v5/order/realtime", category="linear", symbol="BTCUSDT",
            orderId=placed.body["result"]["orderId"],
        )  # fmt: skip
        execs = await client.signed("GET", "/v5/execution/list", category="linear")
        wallet = await client.signed("GET", "/v5/account/wallet-balance", accountType="UNIFIED")
        await ws.close()
    assert placed.body["retCode"] == 0, placed
    order_id = placed.body["result"]["orderId"]
    assert placed.body["result"]["orderLinkId"] == "rt-1"
    assert new["data"][0]["orderStatus"] == "New" and new["data"][0]["orderId"] == order_id
    e = execution["data"][0]
    assert (e["symbol"], e["side"], e["orderId"], e["execType"]) == (
        "BTCUSDT", "Buy", order_id, "Trade",
    )  # fmt: skip
    assert float(e["execPrice"]) == fill_price and e["execQty"] == "0.010"
    assert float(e["execFee"]) > 0 and e["isMaker"] is False
    f = filled["data"][0]
    assert f["orderStatus"] == "Filled" and f["cumExecQty"] == "0.010"
    assert float(f["avgPrice"]) == fill_price
    p = position_push["data"][0]
    assert (p["symbol"], p["side"], p["size"]) == ("BTCUSDT", "Buy", "0.010")
    assert float(wallet_push["data"][0]["totalWalletBalance"]) < 10_000.0
    (pos,) = positions.body["result"]["list"]
    assert (pos["side"], pos["size"], pos["positionIdx"]) == ("Buy", "0.010", 0)
    assert float(pos["avgPrice"]) == fill_price and pos["leverage"] == "10"
    assert [r["symbol"] for r in by_settle.body["result"]["list"]] == ["BTCUSDT"]
    (o,) = query.body["result"]["list"]
    assert o["orderStatus"] == "Filled" and o["orderLinkId"] == "rt-1"
    assert [x["orderId"] for x in execs.body["result"]["list"]] == [order_id]
    (acct,) = wallet.body["result"]["list"]
    assert acct["accountType"] == "UNIFIED" and acct["coin"][0]["coin"] == "USDT"


async def test_limit_order_when_cancelled_pushes_cancelled_and_second_cancel_is_110001(
    bars, funding
) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        ws = await client.private_ws(fake.private_ws_url)
        placed = await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="ETHUSDT", side="Buy",
            orderType="Limit", qty="0.100", price="100.00", timeInForce="GTC",
        )  # fmt: skip
        oid = placed.body["result"]["orderId"]
        open_orders = await client.signed(
            "GET", "/v5/order/realtime", category="linear", symbol="ETHUSDT"
        )
        cancel = await client.signed(
            "POST", "/v5/order/cancel", category="linear", symbol="ETHUSDT", orderId=oid
        )
        await next_json(ws, lambda m: m.get("topic") == "order"
                        and m["data"][0]["orderStatus"] == "New")  # fmt: skip
        cancelled = await next_json(ws, topic_is("order"))
        again = await client.signed(
            "POST", "/v5/order/cancel", category="linear", symbol="ETHUSDT", orderId=oid
        )
        await ws.close()
    assert placed.body["retCode"] == 0, placed
    assert [o["orderId"] for o in open_orders.body["result"]["list"]] == [oid]
    assert cancel.body["retCode"] == 0 and cancel.body["result"]["orderId"] == oid
    assert cancelled["data"][0]["orderStatus"] == "Cancelled"
    assert again.body["retCode"] == 110001


async def test_order_when_margin_insufficient_or_reduce_only_flat_is_refused(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        huge = await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="BTCUSDT", side="Buy",
            orderType="Market", qty="50.000",
        )  # fmt: skip
        reduce = await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="BTCUSDT", side="Sell",
            orderType="Market", qty="0.010", reduceOnly=True,
        )  # fmt: skip
        bad_side = await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="BTCUSDT", side="BUY",
            orderType="Market", qty="0.010",
        )  # fmt: skip
        lev = await client.signed(
            "POST", "/v5/position/set-leverage", category="linear", symbol="BTCUSDT",
            buyLeverage="5", sellLeverage="5",
        )  # fmt: skip
        lev_again = await client.signed(
            "POST", "/v5/position/set-leverage", category="linear", symbol="BTCUSDT",
            buyLeverage="5", sellLeverage="5",
        )  # fmt: skip
        iso = await client.signed(
            "POST", "/v5/position/switch-isolated", category="linear", symbol="BTCUSDT",
            tradeMode=1, buyLeverage="5", sellLeverage="5",
        )  # fmt: skip
        pos = await client.signed("GET", "/v5/position/list", category="linear", symbol="BTCUSDT")
    assert huge.body["retCode"] == 110007, huge
    assert reduce.body["retCode"] == 110017, reduce
    assert bad_side.body["retCode"] == 10001
    assert lev.body["retCode"] == 0 and lev_again.body["retCode"] == 110043
    assert iso.body["retCode"] == 0
    p = pos.body["result"]["list"][0]
    assert (p["leverage"], p["tradeMode"], p["side"], p["size"]) == ("5", 1, "", "0.000")


async def test_account_margin_mode_applies_to_every_symbol_and_is_refused_while_busy(
    bars, funding
) -> None:
    """POST /v5/account/set-margin-mode: a unified account's mode, for all its symbols."""
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        iso = await client.signed("POST", "/v5/account/set-margin-mode",
                                  setMarginMode="ISOLATED_MARGIN")  # fmt: skip
        await client.signed(
            "POST", "/v5/order/create", category="linear", symbol="ETHUSDT", side="Buy",
            orderType="Market", qty="0.10",
        )  # fmt: skip
        await fake.advance(1)
        pos = await client.signed("GET", "/v5/position/list", category="linear", symbol="ETHUSDT")
        busy = await client.signed("POST", "/v5/account/set-margin-mode",
                                   setMarginMode="REGULAR_MARGIN")  # fmt: skip
        portfolio = await client.signed("POST", "/v5/account/set-margin-mode",
                                        setMarginMode="PORTFOLIO_MARGIN")  # fmt: skip
        bad = await client.signed("POST", "/v5/account/set-margin-mode", setMarginMode="CROSS")
    assert iso.body["retCode"] == 0 and iso.body["result"] == {"reasons": []}
    (p,) = pos.body["result"]["list"]
    assert (p["symbol"], p["tradeMode"], p["size"]) == ("ETHUSDT", 1, "0.100")  # opened isolated
    assert (busy.body["retCode"], busy.body["retMsg"]) == (3400045, "Set margin mode failed")
    assert busy.body["result"]["reasons"] == [
        {"reasonCode": "3400000", "reasonMsg": "ETHUSDT has a position or open orders"}
    ]
    assert portfolio.body["retCode"] == 3400045
    assert bad.body["retCode"] == 10001
