"""Signed-request checks of the fake Binance server: key, timestamp window, HMAC signature."""

from __future__ import annotations

import hashlib
import hmac
import time
from urllib.parse import urlencode

import aiohttp
from fake_binance_client import BinanceTestClient

from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET

ORDER = {"symbol": "ETHUSDT", "side": "BUY", "type": "LIMIT", "timeInForce": "GTC",
         "quantity": "0.050", "price": "1000.00"}  # fmt: skip


async def test_signed_request_when_signed_with_wrong_secret_answers_minus_1022(
    start_fake,
) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        r = await client.signed("POST", "/fapi/v1/order", secret="not-the-secret", **ORDER)
    assert r.status == 400
    assert r.body == {"code": -1022, "msg": "Signature for this request is not valid."}


async def test_signed_request_when_timestamp_outside_window_answers_minus_1021(
    start_fake,
) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        stale = await client.signed("GET", "/fapi/v3/account", ts_offset_ms=-30_000)
        ahead = await client.signed("GET", "/fapi/v3/account", ts_offset_ms=5_000)
        too_wide = await client.signed("GET", "/fapi/v3/account", recvWindow=70_000)
    assert stale.status == 400
    assert stale.body == {
        "code": -1021,
        "msg": "Timestamp for this request is outside of the recvWindow.",
    }
    assert ahead.body["code"] == -1021 and "ahead" in ahead.body["msg"]
    assert too_wide.body["code"] == -1131


async def test_signed_request_when_key_unknown_or_missing_answers_401(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        unknown = await client.signed("GET", "/fapi/v3/account", api_key="SomeOtherKey123")
        missing = await client.signed("GET", "/fapi/v3/account", api_key="")
    assert (unknown.status, unknown.body["code"]) == (401, -2015)
    assert (missing.status, missing.body["code"]) == (401, -2014)


async def test_signed_request_when_params_split_between_query_and_body_verifies_concatenation(
    start_fake,
) -> None:
    query = urlencode({k: ORDER[k] for k in ("symbol", "side", "type", "timeInForce")})
    body = urlencode(
        {"quantity": ORDER["quantity"], "price": ORDER["price"], "recvWindow": 5000,
         "timestamp": int(time.time() * 1000)}
    )  # fmt: skip
    sig = hmac.new(DEFAULT_API_SECRET.encode(), (query + body).encode(), hashlib.sha256)
    headers = {"X-MBX-APIKEY": DEFAULT_API_KEY, "Content-Type": "application/x-www-form-urlencoded"}
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        url = f"{fake.rest_url}/fapi/v1/order?{query}"
        async with s.post(url, data=f"{body}&signature={sig.hexdigest()}", headers=headers) as r:
            ok = (r.status, await r.json())
        tampered = body.replace("0.050", "0.060")
        async with s.post(
            url, data=f"{tampered}&signature={sig.hexdigest()}", headers=headers
        ) as r:
            bad = (r.status, await r.json())
    assert ok[0] == 200 and ok[1]["status"] == "NEW" and ok[1]["origQty"] == "0.050"
    assert bad == (400, {"code": -1022, "msg": "Signature for this request is not valid."})


async def test_public_request_when_path_unknown_answers_binance_envelope(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        r = await BinanceTestClient(s, fake.rest_url).public("/fapi/v1/nothingHere")
    assert r.status == 404 and r.body["code"] == -5000
