"""Request signing on the fake Bybit: v5 HMAC over the raw payload, key, timestamp window."""

from __future__ import annotations

import aiohttp
from fake_bybit_client import BybitTestClient, next_json, start_bybit

from tradeyard.venues.fakes.bybit import CODES


async def test_signed_request_when_signature_key_or_timestamp_wrong_gets_bybit_codes(
    bars, funding
) -> None:
    async with start_bybit(bars, funding) as fake, aiohttp.ClientSession() as s:
        client = BybitTestClient(s, fake.rest_url)
        good = await client.signed("GET", "/v5/account/wallet-balance", accountType="UNIFIED")
        bad_sig = await client.signed(
            "GET", "/v5/account/wallet-balance", secret="wrong", accountType="UNIFIED"
        )
        bad_key = await client.signed(
            "GET", "/v5/account/wallet-balance", api_key="nobody", accountType="UNIFIED"
        )
        stale = await client.signed(
            "GET", "/v5/account/wallet-balance", ts_offset_ms=-20_000, accountType="UNIFIED"
        )
        ahead = await client.signed(
            "GET", "/v5/account/wallet-balance", ts_offset_ms=5_000, accountType="UNIFIED"
        )
        wide = await client.signed(
            "GET", "/v5/account/wallet-balance", ts_offset_ms=-20_000, recv_window=30_000,
            accountType="UNIFIED",
        )  # fmt: skip
        post_bad = await client.signed(
            "POST", "/v5/order/create", secret="wrong", category="linear", symbol="BTCUSDT",
            side="Buy", orderType="Market", qty="0.010",
        )  # fmt: skip
    assert good.body["retCode"] == 0, good
    assert bad_sig.body["retCode"] == 10004 and bad_sig.status == 200
    assert bad_sig.body["retMsg"].startswith("error sign!")
    assert bad_key.body["retCode"] == 10003
    assert stale.body["retCode"] == 10002 and ahead.body["retCode"] == 10002
    assert wide.body["retCode"] == 0
    assert post_bad.body["retCode"] == 10004
    assert {10001, 10002, 10003, 10004, 10006, 110001, 110007, 110017} <= set(CODES)


async def test_private_ws_when_auth_signature_wrong_refuses_and_subscribe_unauthorized(
    bars, funding
) -> None:
    async with (
        start_bybit(bars, funding) as fake,
        aiohttp.ClientSession() as s,
        s.ws_connect(fake.private_ws_url) as ws,
    ):
        await ws.send_json({"op": "subscribe", "args": ["order"]})
        unauth = await next_json(ws, lambda m: m.get("op") == "subscribe")
        await ws.send_json({"op": "auth", "args": ["tradeyardFakeBybitKey01", "9" * 13, "0"]})
        auth = await next_json(ws, lambda m: m.get("op") == "auth")
        await ws.send_json({"req_id": "x", "op": "ping"})
        pong = await next_json(ws, lambda m: m.get("op") == "pong")
    assert not unauth["success"] and "not authorized" in unauth["ret_msg"]
    assert not auth["success"] and "10004" in auth["ret_msg"]
    assert pong["req_id"] == "x"
