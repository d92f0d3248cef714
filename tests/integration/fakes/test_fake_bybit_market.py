"""Public REST and the public websocket of the fake Bybit: shapes, kline order, replayed rows."""

from __future__ import annotations

import aiohttp
from fake_bybit_client import BybitTestClient, next_json, start_bybit, topic_is

WARMUP = 600


def _ok(reply) -> dict:
    assert reply.status == 200, reply
    assert reply.body["retCode"] == 0 and reply.body["retMsg"] == "OK", reply
    assert set(reply.body) == {"retCode", "retMsg", "result", "retExtInfo", "time"}
    return reply.body["result"]


async def test_instruments_info_when_linear_lists_filters_from_data(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        result = _ok(await client.public("/v5/market/instruments-info", category="linear"))
        btc = _ok(
            await client.public("/v5/market/instruments-info", category="linear", symbol="BTCUSDT")
        )
        spot = await client.public("/v5/market/instruments-info", category="spot")
        t = _ok(await client.public("/v5/market/time"))
    assert result["nextPageCursor"] == "" and result["category"] == "linear"
    assert {i["symbol"] for i in result["list"]} == {"BTCUSDT", "ETHUSDT", "LTCUSDT"}
    (info,) = btc["list"]
    assert info["contractType"] == "LinearPerpetual" and info["status"] == "Trading"
    assert (info["baseCoin"], info["quoteCoin"], info["settleCoin"]) == ("BTC", "USDT", "USDT")
    assert info["priceFilter"]["tickSize"] == "0.1"
    assert info["lotSizeFilter"]["qtyStep"] == "0.001"
    assert info["lotSizeFilter"]["minOrderQty"] == "0.001"
    assert info["leverageFilter"]["maxLeverage"] == "100.00"
    assert spot.body["retCode"] == 10001
    assert t["timeNano"].startswith(t["timeSecond"])


async def test_kline_when_requested_is_newest_first_with_forming_candle(bars, funding) -> None:
    btc = bars["BTCUSDT"]
    async with start_bybit(bars, funding, warmup_bars=WARMUP) as fake:
        await fake.advance(3)
        async with aiohttp.ClientSession() as s:
            client = BybitTestClient(s, fake.rest_url)
            result = _ok(
                await client.public(
                    "/v5/market/kline",
                    category="linear",
                    symbol="BTCUSDT",
                    interval="1",
                    limit=5,
                )
            )
            five = _ok(
                await client.public(
                    "/v5/market/kline",
                    category="linear",
                    symbol="BTCUSDT",
                    interval="5",
                    limit=2,
                )
            )
            bad = await client.public(
                "/v5/market/kline", category="linear", symbol="BTCUSDT", interval="7"
            )
    rows = result["list"]
    assert len(rows) == 5 and all(len(r) == 7 for r in rows)
    starts = [int(r[0]) for r in rows]
    assert starts == sorted(starts, reverse=True)  # Bybit: newest first
    assert starts[0] == int(btc.open_time[WARMUP + 3])  # the forming candle heads the list
    closed = rows[1]  # the last closed bar: exactly the Parquet row
    i = WARMUP + 2
    assert int(closed[0]) == int(btc.open_time[i])
    assert [float(x) for x in closed[1:6]] == [
        float(btc.open[i]), float(btc.high[i]), float(btc.low[i]), float(btc.close[i]),
        float(btc.volume[i]),
    ]  # fmt: skip
    assert all(int(r[0]) % 300_000 == 0 for r in five["list"])
    assert bad.body["retCode"] == 10001


async def test_tickers_and_funding_history_when_linear_carry_mark_and_rates(bars, funding) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        tick = _ok(await client.public("/v5/market/tickers", category="linear", symbol="ETHUSDT"))
        hist = _ok(
            await client.public(
                "/v5/market/funding/history", category="linear", symbol="BTCUSDT", limit=3
            )
        )
    (t,) = tick["list"]
    assert t["symbol"] == "ETHUSDT" and float(t["markPrice"]) > 0
    assert t["lastPrice"] == t["markPrice"] and int(t["nextFundingTime"]) > 0
    times = [int(r["fundingRateTimestamp"]) for r in hist["list"]]
    assert times == sorted(times, reverse=True)
    assert all(tm <= fake.exchange.now_ms for tm in times)


async def test_public_ws_when_subscribed_streams_forming_then_confirmed_kline(
    bars, funding
) -> None:
    btc = bars["BTCUSDT"]
    async with (
        start_bybit(bars, funding, warmup_bars=WARMUP) as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(fake.public_ws_url) as ws,
    ):
        await ws.send_json({"req_id": "p", "op": "ping"})
        pong = await next_json(ws, lambda m: m.get("op") == "ping")
        await ws.send_json(
            {"req_id": "1", "op": "subscribe", "args": ["kline.1.BTCUSDT", "tickers.BTCUSDT"]}
        )
        ack = await next_json(ws, lambda m: m.get("op") == "subscribe")
        await ws.send_json({"req_id": "2", "op": "subscribe", "args": ["kline.1.NOPE"]})
        nack = await next_json(ws, lambda m: m.get("op") == "subscribe")
        await fake.advance(1)
        forming = await next_json(ws, topic_is("kline.1.BTCUSDT"))
        ticker = await next_json(ws, topic_is("tickers.BTCUSDT"))
        closing = await next_json(ws, topic_is("kline.1.BTCUSDT"))
    assert pong["ret_msg"] == "pong" and pong["success"]
    assert ack["success"] and ack["req_id"] == "1"
    assert not nack["success"]
    f, c = forming["data"][0], closing["data"][0]
    assert forming["type"] == "snapshot" and f["confirm"] is False and c["confirm"] is True
    assert f["start"] == c["start"] == int(btc.open_time[WARMUP])
    assert c["end"] == c["start"] + 59_999 and c["interval"] == "1"
    assert [float(c[k]) for k in ("open", "high", "low", "close", "volume")] == [
        float(btc.open[WARMUP]), float(btc.high[WARMUP]), float(btc.low[WARMUP]),
        float(btc.close[WARMUP]), float(btc.volume[WARMUP]),
    ]  # fmt: skip
    assert ticker["data"]["symbol"] == "BTCUSDT"
