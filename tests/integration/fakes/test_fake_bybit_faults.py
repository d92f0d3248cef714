"""Fault injection on the fake Bybit: 10006 storms and limits, ws drops, duplicates, rejections."""

from __future__ import annotations

import aiohttp
from fake_bybit_client import BybitTestClient, next_json, start_bybit, topic_is

KLINE = "kline.1.BTCUSDT"


async def test_rate_limit_when_exceeded_answers_10006_with_bapi_headers(bars, funding) -> None:
    async with (
        start_bybit(bars, funding, rate_limit=3, rate_window_s=3600.0) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BybitTestClient(s, fake.rest_url)
        replies = [
            await client.signed("GET", "/v5/account/wallet-balance", accountType="UNIFIED")
            for _ in range(4)
        ]
        fake.faults.storm_429 = 2
        storm = [await client.public("/v5/market/time") for _ in range(3)]
    first, last = replies[0], replies[3]
    assert first.body["retCode"] == 0
    assert first.headers["X-Bapi-Limit"] == "3" and first.headers["X-Bapi-Limit-Status"] == "2"
    assert int(first.headers["X-Bapi-Limit-Reset-Timestamp"]) > 0
    assert last.status == 200 and last.body["retCode"] == 10006
    assert last.body["retMsg"] == "Too many visits!"
    assert last.headers["X-Bapi-Limit-Status"] == "0"
    assert [r.body["retCode"] for r in storm] == [10006, 10006, 0]


async def test_ip_limit_when_exceeded_answers_http_403(bars, funding) -> None:
    async with (
        start_bybit(bars, funding, ip_limit=3, ip_window_s=3600.0) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BybitTestClient(s, fake.rest_url)
        replies = [await client.public("/v5/market/time") for _ in range(3)]
        async with s.get(f"{fake.rest_url}/v5/market/time") as r:
            refused = (r.status, await r.text())
    assert [r.body["retCode"] for r in replies] == [0, 0, 0]
    assert replies[0].headers["X-Bapi-Limit"] == "3"
    assert refused == (403, "access too frequent")


async def test_reject_next_order_when_set_by_admin_answers_that_code_once(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        admin = await s.post(
            f"{fake.rest_url}/_fake/faults", json={"reject_next_order": {"code": 110007}}
        )
        assert admin.status == 200
        client = BybitTestClient(s, fake.rest_url)
        order = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy",
                 "orderType": "Market", "qty": "0.010"}  # fmt: skip
        first = await client.signed("POST", "/v5/order/create", **order)
        second = await client.signed("POST", "/v5/order/create", **order)
    assert first.body["retCode"] == 110007
    assert second.body["retCode"] == 0


async def test_ws_drop_when_injected_ends_socket_and_reconnect_streams_again(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        ws = await s.ws_connect(fake.public_ws_url)
        await ws.send_json({"op": "subscribe", "args": [KLINE]})
        await next_json(ws, lambda m: m.get("op") == "subscribe")
        dropped = await fake.drop_websockets("close")
        msg = await ws.receive(timeout=5.0)
        ws2 = await s.ws_connect(fake.public_ws_url)
        await ws2.send_json({"op": "subscribe", "args": [KLINE]})
        await next_json(ws2, lambda m: m.get("op") == "subscribe")
        await fake.advance(1)
        again = await next_json(ws2, topic_is(KLINE))
        await ws2.close()
    assert dropped == 1
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert again["data"][0]["confirm"] is False


async def test_ws_duplicate_and_reorder_when_injected_change_delivery(bars, funding) -> None:
    async with start_bybit(bars, funding, substeps=4) as fake, aiohttp.ClientSession() as s:
        ws = await s.ws_connect(fake.public_ws_url)
        await ws.send_json({"op": "subscribe", "args": [KLINE]})
        await next_json(ws, lambda m: m.get("op") == "subscribe")
        fake.faults.ws_duplicate = 1
        fake.faults.ws_reorder = 1
        await fake.advance(1)
        got = [await next_json(ws, topic_is(KLINE)) for _ in range(5)]
        await ws.close()
    ts = [m["ts"] for m in got]
    assert len(set(ts)) == 4  # four updates, one of them twice
    assert ts != sorted(ts)  # and one held back behind its successor
    assert got[-1]["data"][0]["confirm"] is True
