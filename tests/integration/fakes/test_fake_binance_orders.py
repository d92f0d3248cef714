"""Signed order flow on the fake Binance server: REST, user data stream, positions, rejections."""

from __future__ import annotations

import aiohttp
import pytest
from fake_binance_client import BinanceTestClient, next_json

WARMUP = 600
TAKER = 0.0005


def _event(kind: str, exec_type: str | None = None):
    def match(m: dict) -> bool:
        return m.get("e") == kind and (exec_type is None or m["o"]["x"] == exec_type)

    return match


async def _user_socket(s: aiohttp.ClientSession, client: BinanceTestClient, fake):
    key = (await client.keyed("POST", "/fapi/v1/listenKey")).body["listenKey"]
    ws_base = fake.rest_url.replace("http", "ws")
    return await s.ws_connect(f"{ws_base}/private/ws?listenKey={key}")


async def test_market_order_when_next_bar_closes_fills_on_user_stream_and_position(
    start_fake, bars
) -> None:
    btc = bars["BTCUSDT"]
    open_price = float(btc.open[WARMUP])
    async with start_fake(warmup_bars=WARMUP) as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        placed = await client.signed(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET",
            quantity="0.010", newClientOrderId="rt-1", newOrderRespType="RESULT",
        )  # fmt: skip
        assert placed.status == 200, placed
        new = await next_json(ws, _event("ORDER_TRADE_UPDATE"))
        await fake.advance(1)
        trade = await next_json(ws, _event("ORDER_TRADE_UPDATE", "TRADE"))
        account = await next_json(ws, _event("ACCOUNT_UPDATE"))
        risk = await client.signed("GET", "/fapi/v3/positionRisk", symbol="BTCUSDT")
        query = await client.signed(
            "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=placed.body["orderId"]
        )
        by_client_id = await client.signed(
            "GET", "/fapi/v1/order", symbol="BTCUSDT", origClientOrderId="rt-1"
        )
        trades = await client.signed("GET", "/fapi/v1/userTrades", symbol="BTCUSDT")
        await ws.close()
    body = placed.body
    assert body["status"] == "NEW" and body["clientOrderId"] == "rt-1"
    assert (body["symbol"], body["side"], body["type"], body["origQty"]) == (
        "BTCUSDT", "BUY", "MARKET", "0.010",
    )  # fmt: skip
    assert new["o"]["x"] == "NEW" and new["o"]["i"] == body["orderId"]
    o = trade["o"]
    assert (o["s"], o["c"], o["S"], o["o"], o["X"], o["i"]) == (
        "BTCUSDT", "rt-1", "BUY", "MARKET", "FILLED", body["orderId"],
    )  # fmt: skip
    assert float(o["l"]) == 0.01 and float(o["z"]) == 0.01
    assert float(o["L"]) == open_price and float(o["ap"]) == open_price
    assert o["N"] == "USDT" and float(o["n"]) == pytest.approx(0.01 * open_price * TAKER, abs=1e-8)
    assert o["m"] is False and o["R"] is False and o["ps"] == "BOTH" and o["t"] > 0
    assert o["T"] == int(btc.open_time[WARMUP])  # filled at the bar's open
    assert trade["E"] == int(btc.open_time[WARMUP]) + 60_000  # reported when it closed
    a = account["a"]
    assert a["m"] == "ORDER"
    assert float(a["B"][0]["wb"]) == pytest.approx(10_000 - 0.01 * open_price * TAKER, abs=1e-6)
    assert a["P"][0]["s"] == "BTCUSDT" and float(a["P"][0]["pa"]) == 0.01
    assert float(a["P"][0]["ep"]) == open_price and a["P"][0]["mt"] == "cross"
    assert risk.status == 200 and len(risk.body) == 1
    pos = risk.body[0]
    assert float(pos["positionAmt"]) == 0.01 and float(pos["entryPrice"]) == open_price
    mark = float(btc.open[WARMUP + 1])  # the next bar is forming: its open is the latest price
    assert float(pos["markPrice"]) == mark
    assert float(pos["unRealizedProfit"]) == pytest.approx(0.01 * (mark - open_price), abs=1e-6)
    assert query.body["status"] == "FILLED" and float(query.body["avgPrice"]) == open_price
    assert by_client_id.body["orderId"] == body["orderId"]
    assert [float(t["qty"]) for t in trades.body] == [0.01]


async def test_limit_order_when_canceled_is_pushed_and_cannot_be_canceled_twice(
    start_fake,
) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        placed = await client.signed(
            "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="LIMIT",
            timeInForce="GTC", quantity="0.050", price="1000.00",
        )  # fmt: skip
        open_orders = await client.signed("GET", "/fapi/v1/openOrders", symbol="ETHUSDT")
        canceled = await client.signed(
            "DELETE", "/fapi/v1/order", symbol="ETHUSDT", orderId=placed.body["orderId"]
        )
        pushed = await next_json(ws, _event("ORDER_TRADE_UPDATE", "CANCELED"))
        again = await client.signed(
            "DELETE", "/fapi/v1/order", symbol="ETHUSDT", orderId=placed.body["orderId"]
        )
        unknown = await client.signed("GET", "/fapi/v1/order", symbol="ETHUSDT", orderId=42)
        await ws.close()
    assert placed.body["status"] == "NEW" and placed.body["timeInForce"] == "GTC"
    assert [o["orderId"] for o in open_orders.body] == [placed.body["orderId"]]
    assert canceled.body["status"] == "CANCELED"
    assert pushed["o"]["X"] == "CANCELED" and pushed["o"]["i"] == placed.body["orderId"]
    assert (again.status, again.body) == (400, {"code": -2011, "msg": "Unknown order sent."})
    assert unknown.body == {"code": -2013, "msg": "Order does not exist."}


async def test_order_when_margin_is_short_answers_minus_2019(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.signed(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="5"
        )
        open_orders = await client.signed("GET", "/fapi/v1/openOrders")
    assert (r.status, r.body) == (400, {"code": -2019, "msg": "Margin is insufficient."})
    assert open_orders.body == []


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "MARKET", "quantity": "0.0005"}, -1111),  # more decimals than the step
        ({"type": "MARKET", "quantity": "0.001"}, -4164),  # ~95 USDT < 100 min notional
        ({"type": "LIMIT", "quantity": "0.01", "price": "90000.05", "timeInForce": "GTC"}, -1111),
        ({"type": "LIMIT", "quantity": "0.01", "price": "90000"}, -1102),  # no timeInForce
        ({"type": "STOP_MARKET", "quantity": "0.01", "stopPrice": "1000"}, -2021),  # buy stop
        ({"type": "TRAILING_STOP_MARKET", "quantity": "0.01"}, -1116),
        ({"type": "MARKET", "quantity": "0.01", "positionSide": "LONG"}, -4061),
        ({"type": "MARKET", "quantity": "0.01", "newClientOrderId": "bad id!"}, -4015),
    ],
)
async def test_order_when_filters_fail_answers_binance_code(start_fake, params, code) -> None:
    # algo_orders_only=False: the legacy /fapi/v1/order path that still takes conditional types
    async with start_fake(algo_orders_only=False) as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.signed("POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", **params)
    assert r.status == 400 and r.body["code"] == code, r


@pytest.mark.parametrize(
    "params",
    [
        {"type": "STOP_MARKET", "quantity": "0.01", "stopPrice": "1000"},
        {"type": "TAKE_PROFIT_MARKET", "quantity": "0.01", "stopPrice": "1000"},
        {"type": "TRAILING_STOP_MARKET", "quantity": "0.01", "callbackRate": "1"},
    ],
)
async def test_conditional_order_on_order_endpoint_answers_minus_4120_by_default(
    start_fake, params
) -> None:
    """As Binance: conditional types go to the Algo Order API; /fapi/v1/order refuses them."""
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.signed("POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", **params)
        open_orders = await client.signed("GET", "/fapi/v1/openOrders", symbol="BTCUSDT")
    assert r.status == 400 and r.body["code"] == -4120, r
    assert open_orders.body == []


async def test_leverage_and_margin_type_when_set_follow_binance_rules(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        lev = await client.signed("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=5)
        config_event = await next_json(ws, _event("ACCOUNT_CONFIG_UPDATE"))
        bad = await client.signed("POST", "/fapi/v1/leverage", symbol="BTCUSDT", leverage=200)
        iso = await client.signed(
            "POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED"
        )
        same = await client.signed(
            "POST", "/fapi/v1/marginType", symbol="BTCUSDT", marginType="ISOLATED"
        )
        risk = await client.signed("GET", "/fapi/v2/positionRisk", symbol="BTCUSDT")
        # 0.1 BTC at 5x needs ~1,900 USDT: fine; 0.6 BTC would need ~11,400 > 10,000
        too_big = await client.signed(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.6"
        )
        await ws.close()
    assert lev.body["leverage"] == 5 and lev.body["symbol"] == "BTCUSDT"
    assert config_event["ac"] == {"s": "BTCUSDT", "l": 5}
    assert bad.body["code"] == -4028
    assert iso.body == {"code": 200, "msg": "success"}
    assert same.body == {"code": -4046, "msg": "No need to change margin type."}
    assert risk.body[0]["leverage"] == "5" and risk.body[0]["marginType"] == "isolated"
    assert too_big.body["code"] == -2019


async def test_order_when_rejection_fault_set_answers_that_code_once(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        set_fault = await s.post(
            f"{fake.rest_url}/_fake/faults", json={"reject_next_order": {"code": -2019}}
        )
        assert set_fault.status == 200
        order = {"symbol": "ETHUSDT", "side": "BUY", "type": "MARKET", "quantity": "0.05"}
        first = await client.signed("POST", "/fapi/v1/order", **order)
        second = await client.signed("POST", "/fapi/v1/order", **order)
    assert first.body == {"code": -2019, "msg": "Margin is insufficient."}
    assert second.status == 200 and second.body["status"] == "NEW"


async def test_stop_market_when_price_falls_to_it_closes_the_position(start_fake) -> None:
    """The legacy path (conditional types on /fapi/v1/order, before the Algo Order API); the
    algo path is in test_fake_binance_algo.py."""
    async with (
        start_fake(warmup_bars=WARMUP, algo_orders_only=False) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BinanceTestClient(s, fake.rest_url)
        ws = await _user_socket(s, client, fake)
        entry = await client.signed(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.010"
        )
        assert entry.headers["X-MBX-ORDER-COUNT-1M"] == "1"
        await fake.advance(1)
        mark = float(
            (await client.public("/fapi/v1/premiumIndex", symbol="BTCUSDT")).body["markPrice"]
        )
        stop = f"{mark * 0.999:.1f}"
        placed = await client.signed(
            "POST", "/fapi/v1/order", symbol="BTCUSDT", side="SELL", type="STOP_MARKET",
            quantity="0.010", stopPrice=stop, reduceOnly="true",
        )  # fmt: skip
        assert placed.status == 200 and placed.body["stopPrice"] == stop, placed
        for _ in range(500):  # replay until the market reaches the stop
            await fake.advance(1)
            status = await client.signed(
                "GET", "/fapi/v1/order", symbol="BTCUSDT", orderId=placed.body["orderId"]
            )
            if status.body["status"] != "NEW":
                break
        fill = await next_json(ws, lambda m: m.get("e") == "ORDER_TRADE_UPDATE"
                               and m["o"]["o"] == "STOP_MARKET" and m["o"]["x"] == "TRADE")  # fmt: skip
        risk = await client.signed("GET", "/fapi/v3/positionRisk", symbol="BTCUSDT")
        await ws.close()
    assert status.body["status"] == "FILLED"
    assert fill["o"]["R"] is True and float(fill["o"]["L"]) <= float(stop)
    assert risk.body == []  # flat again
