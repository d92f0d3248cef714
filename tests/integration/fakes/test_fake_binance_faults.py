"""Rate limits and injected faults of the fake Binance server, seen from a client."""

from __future__ import annotations

import time

import aiohttp
import pytest
from fake_binance_client import BinanceTestClient, next_json, wait_until


async def test_storm_when_injected_answers_429_with_retry_after_then_recovers(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        set_fault = await s.post(f"{fake.rest_url}/_fake/faults", json={"storm_429": 3})
        assert set_fault.status == 200
        storm = [await client.public("/fapi/v1/time") for _ in range(3)]
        after = await client.public("/fapi/v1/time")
    for r in storm:
        assert r.status == 429 and r.headers["Retry-After"] == "1"
        assert r.body["code"] == -1003
    assert after.status == 200


async def test_weight_limit_when_exceeded_answers_429_then_418_ban(start_fake) -> None:
    async with (
        start_fake(weight_limit=5, ban_after=2, ban_s=30.0) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BinanceTestClient(s, fake.rest_url)
        ok = [await client.public("/fapi/v1/exchangeInfo") for _ in range(5)]
        refused = [await client.public("/fapi/v1/exchangeInfo") for _ in range(2)]
        banned = await client.public("/fapi/v1/exchangeInfo")
    assert [r.headers["X-MBX-USED-WEIGHT-1M"] for r in ok] == ["1", "2", "3", "4", "5"]
    for r in refused:
        assert r.status == 429 and r.body["code"] == -1003
        assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert banned.status == 418 and banned.headers["Retry-After"] == "30"
    assert "banned" in banned.body["msg"]


async def test_latency_when_injected_delays_rest_answers(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        fake.faults.rest_latency_ms = 150
        t0 = time.perf_counter()
        r = await client.public("/fapi/v1/time")
        elapsed = time.perf_counter() - t0
    assert r.status == 200 and elapsed >= 0.15


@pytest.mark.parametrize("mode", ["abort", "close"])
async def test_ws_when_dropped_client_sees_the_connection_end(start_fake, mode) -> None:
    async with (
        start_fake() as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.ws_url}/btcusdt@kline_1m") as ws,
    ):
        await wait_until(lambda: len(fake.hub.clients) == 1)
        reply = await s.post(f"{fake.rest_url}/_fake/faults", json={"drop_ws": mode})
        assert (await reply.json())["dropped"] == 1
        msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    if mode == "close":
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001


async def test_ws_when_drop_every_set_drops_connections_periodically(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        fake.set_ws_drop_every(0.1)
        for _ in range(2):  # a reconnect is dropped again
            async with s.ws_connect(f"{fake.ws_url}/btcusdt@kline_1m") as ws:
                msg = await ws.receive(timeout=5)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED,
                                aiohttp.WSMsgType.ERROR)  # fmt: skip


async def test_ws_when_duplicate_fault_set_sends_a_message_twice(start_fake) -> None:
    async with (
        start_fake() as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.ws_url}/ethusdt@markPrice") as ws,
    ):
        await wait_until(lambda: "ethusdt@markPrice" in fake.hub.subscribed())
        fake.faults.ws_duplicate = 1
        await fake.advance(1)  # substeps=2: one update while forming, one at the close
        got = [await next_json(ws) for _ in range(3)]
    assert got[0] == got[1] and got[1]["E"] < got[2]["E"]


async def test_ws_when_reorder_fault_set_sends_a_message_after_the_next(start_fake) -> None:
    async with (
        start_fake() as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.ws_url}/btcusdt@kline_1m") as ws,
    ):
        await wait_until(lambda: "btcusdt@kline_1m" in fake.hub.subscribed())
        fake.faults.ws_reorder = 1
        await fake.advance(1)
        got = [await next_json(ws) for _ in range(2)]
    assert [m["k"]["x"] for m in got] == [True, False]
    assert got[0]["E"] > got[1]["E"]


async def test_admin_when_asked_reports_state_and_advances(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        before = await (await s.get(f"{fake.rest_url}/_fake/state")).json()
        moved = await (await s.post(f"{fake.rest_url}/_fake/advance", json={"bars": 3})).json()
        bad = await s.post(f"{fake.rest_url}/_fake/faults", json={"no_such_fault": 1})
    assert moved["advanced"] == 3 and moved["now"] == before["now"] + 3 * 60_000
    assert bad.status == 400 and "no_such_fault" in (await bad.json())["error"]
