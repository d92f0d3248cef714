"""Market data of the fake Binance server over real sockets: REST shapes and the kline stream."""

from __future__ import annotations

import aiohttp
from fake_binance_client import BinanceTestClient, next_json, wait_until

from tradeyard.marketdata import BarSeries

WARMUP = 600


def _row(series: BarSeries, i: int) -> list[float]:
    return [
        float(series.open[i]),
        float(series.high[i]),
        float(series.low[i]),
        float(series.close[i]),
        float(series.volume[i]),
    ]


async def test_exchange_info_when_fetched_lists_perpetuals_with_binance_filters(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        r = await BinanceTestClient(s, fake.rest_url).public("/fapi/v1/exchangeInfo")
    assert r.status == 200
    assert r.headers["X-MBX-USED-WEIGHT-1M"] == "1"
    assert {"rateLimits", "serverTime", "symbols", "assets", "timezone"} <= set(r.body)
    btc = next(s for s in r.body["symbols"] if s["symbol"] == "BTCUSDT")
    assert btc["contractType"] == "PERPETUAL" and btc["status"] == "TRADING"
    assert (btc["baseAsset"], btc["quoteAsset"], btc["marginAsset"]) == ("BTC", "USDT", "USDT")
    filters = {f["filterType"]: f for f in btc["filters"]}
    assert float(filters["PRICE_FILTER"]["tickSize"]) == 0.1
    assert float(filters["LOT_SIZE"]["stepSize"]) == 0.001
    assert float(filters["LOT_SIZE"]["minQty"]) == 0.001
    assert float(filters["MIN_NOTIONAL"]["notional"]) == 100.0
    assert "MARKET_LOT_SIZE" in filters
    ltc = next(s for s in r.body["symbols"] if s["symbol"] == "LTCUSDT")
    ltc_filters = {f["filterType"]: f for f in ltc["filters"]}
    assert float(ltc_filters["PRICE_FILTER"]["tickSize"]) == 0.01


async def test_klines_when_no_range_serve_history_up_to_replay_time(start_fake, bars) -> None:
    btc = bars["BTCUSDT"]
    async with start_fake(warmup_bars=WARMUP) as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.public("/fapi/v1/klines", symbol="BTCUSDT", interval="1m", limit=5)
        t = await client.public("/fapi/v1/time")
    assert r.status == 200 and len(r.body) == 5
    row = r.body[0]
    assert len(row) == 12
    assert isinstance(row[0], int) and isinstance(row[6], int) and isinstance(row[8], int)
    assert all(isinstance(row[k], str) for k in (1, 2, 3, 4, 5, 7, 9, 10, 11))
    assert r.body[-1][0] == int(btc.open_time[WARMUP])  # the forming bar comes last
    for k, kline in enumerate(r.body[:-1]):
        i = WARMUP - 4 + k
        assert kline[0] == int(btc.open_time[i])
        assert kline[6] == int(btc.open_time[i]) + 59_999
        assert [float(x) for x in kline[1:6]] == _row(btc, i)
    assert abs(t.body["serverTime"] - r.body[-1][0]) > 86_400_000  # wall clock, not replay


async def test_klines_when_coarser_interval_aggregate_utc_buckets(start_fake, bars) -> None:
    btc = bars["BTCUSDT"]
    async with start_fake(warmup_bars=WARMUP) as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.public("/fapi/v1/klines", symbol="BTCUSDT", interval="5m", limit=3)
    closed = r.body[-2]
    t0 = closed[0]
    assert t0 % 300_000 == 0
    i = int((t0 - int(btc.open_time[0])) // 60_000)
    assert int(btc.open_time[i]) == t0
    assert float(closed[1]) == float(btc.open[i])
    assert float(closed[2]) == float(btc.high[i : i + 5].max())
    assert float(closed[3]) == float(btc.low[i : i + 5].min())
    assert float(closed[4]) == float(btc.close[i + 4])


async def test_klines_when_bad_interval_or_symbol_answer_binance_errors(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        bad_interval = await client.public("/fapi/v1/klines", symbol="BTCUSDT", interval="7m")
        bad_symbol = await client.public("/fapi/v1/klines", symbol="NOPEUSDT", interval="1m")
        missing = await client.public("/fapi/v1/klines", symbol="BTCUSDT")
    assert (bad_interval.status, bad_interval.body["code"]) == (400, -1120)
    assert (bad_symbol.status, bad_symbol.body) == (400, {"code": -1121, "msg": "Invalid symbol."})
    assert missing.body["code"] == -1102


async def test_premium_index_when_fetched_gives_mark_and_next_funding(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        one = await client.public("/fapi/v1/premiumIndex", symbol="BTCUSDT")
        every = await client.public("/fapi/v1/premiumIndex")
    assert one.status == 200
    assert set(one.body) == {
        "symbol", "markPrice", "indexPrice", "estimatedSettlePrice", "lastFundingRate",
        "interestRate", "nextFundingTime", "time",
    }  # fmt: skip
    assert one.body["nextFundingTime"] > one.body["time"]
    assert float(one.body["lastFundingRate"]) != 0.0  # from the bundled funding files
    assert {p["symbol"] for p in every.body} == {"BTCUSDT", "ETHUSDT", "LTCUSDT"}


async def test_kline_stream_when_bar_closes_sends_updates_then_the_parquet_row(
    start_fake, bars
) -> None:
    btc = bars["BTCUSDT"]
    async with (
        start_fake(warmup_bars=WARMUP, substeps=3) as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.ws_url}/btcusdt@kline_1m") as ws,
    ):
        await wait_until(lambda: "btcusdt@kline_1m" in fake.hub.subscribed())
        await fake.advance(1)
        first = await next_json(ws)
        second = await next_json(ws)
        final = await next_json(ws)
    assert [m["k"]["x"] for m in (first, second, final)] == [False, False, True]
    k = final["k"]
    assert set(final) == {"e", "E", "s", "k"} and final["e"] == "kline"
    assert set(k) == {"t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V",
                      "Q", "B"}  # fmt: skip
    assert k["t"] == int(btc.open_time[WARMUP]) and k["T"] == k["t"] + 59_999
    assert [float(k[c]) for c in "ohlcv"] == _row(btc, WARMUP)
    assert final["E"] == k["T"] + 1
    for partial in (first["k"], second["k"]):  # in-progress candles stay inside the final bar
        assert float(k["l"]) <= float(partial["l"]) <= float(partial["h"]) <= float(k["h"])
        assert partial["o"] == k["o"] and float(partial["v"]) < float(k["v"])


async def test_market_socket_when_subscribed_live_answers_and_streams_combined(start_fake) -> None:
    async with (
        start_fake() as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.rest_url.replace('http', 'ws')}/market/ws/0") as ws,
    ):
        await ws.send_json({"method": "SUBSCRIBE", "params": ["ethusdt@markPrice"], "id": 7})
        assert await next_json(ws) == {"result": None, "id": 7}
        await ws.send_json({"method": "LIST_SUBSCRIPTIONS", "id": 8})
        assert await next_json(ws) == {"result": ["ethusdt@markPrice"], "id": 8}
        await fake.advance(1)
        mark = await next_json(ws)
        assert mark["e"] == "markPriceUpdate" and mark["s"] == "ETHUSDT"
        assert set(mark) == {"e", "E", "s", "p", "i", "P", "r", "T"}
        url = (
            f"{fake.rest_url.replace('http', 'ws')}/stream?streams=btcusdt@kline_5m/!markPrice@arr"
        )
        async with s.ws_connect(url) as ws:
            await wait_until(lambda: "!markPrice@arr" in fake.hub.subscribed())
            await fake.advance(1)
            wrapped = await next_json(ws, lambda m: m["stream"] == "!markPrice@arr")
            kline = await next_json(ws, lambda m: m["stream"] == "btcusdt@kline_5m")
    assert {m["s"] for m in wrapped["data"]} == {"BTCUSDT", "ETHUSDT", "LTCUSDT"}
    assert kline["data"]["k"]["i"] == "5m"


async def test_replay_when_speed_set_streams_closed_bars_without_advance(start_fake) -> None:
    async with (
        start_fake(speed=6000.0) as fake,  # a 1m bar every 10 ms
        aiohttp.ClientSession() as s,
        s.ws_connect(f"{fake.ws_url}/btcusdt@kline_1m") as ws,
    ):
        closed = [await next_json(ws, lambda m: m["k"]["x"]) for _ in range(2)]
    assert closed[1]["k"]["t"] == closed[0]["k"]["t"] + 60_000
