"""Listen keys and the user data stream of the fake Binance server."""

from __future__ import annotations

import aiohttp
import pytest
from fake_binance_client import BinanceTestClient, next_json


async def test_listen_key_when_created_twice_is_the_same_and_keepalive_extends_it(
    start_fake,
) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        first = await client.keyed("POST", "/fapi/v1/listenKey")
        second = await client.keyed("POST", "/fapi/v1/listenKey")
        kept = await client.keyed("PUT", "/fapi/v1/listenKey")
        wrong = await client.keyed("PUT", "/fapi/v1/listenKey", listenKey="f" * 64)
        closed = await client.keyed("DELETE", "/fapi/v1/listenKey")
        after = await client.keyed("PUT", "/fapi/v1/listenKey")
    key = first.body["listenKey"]
    assert len(key) == 64 and second.body["listenKey"] == key == kept.body["listenKey"]
    assert wrong.body == {"code": -1125, "msg": "This listenKey does not exist."}
    assert closed.status == 200 and closed.body == {}
    assert after.body["code"] == -1125


async def test_listen_key_when_not_kept_alive_expires_with_event_and_close(start_fake) -> None:
    async with (
        start_fake(listen_key_ttl_s=0.3, listen_key_check_s=0.05) as fake,
        aiohttp.ClientSession() as s,
    ):
        client = BinanceTestClient(s, fake.rest_url)
        key = (await client.keyed("POST", "/fapi/v1/listenKey")).body["listenKey"]
        ws_base = fake.rest_url.replace("http", "ws")
        async with s.ws_connect(f"{ws_base}/private/ws?listenKey={key}") as ws:
            expired = await next_json(ws)
            end = await ws.receive(timeout=5)
        keepalive = await client.keyed("PUT", "/fapi/v1/listenKey")
    assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key
    assert isinstance(expired["E"], str)
    assert end.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
    assert keepalive.body["code"] == -1125


async def test_listen_key_when_expired_by_admin_ends_classic_ws_path(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        client = BinanceTestClient(s, fake.rest_url)
        key = (await client.keyed("POST", "/fapi/v1/listenKey")).body["listenKey"]
        async with s.ws_connect(f"{fake.ws_url}/{key}") as ws:  # classic /ws/<listenKey>
            await client.signed(
                "POST", "/fapi/v1/order", symbol="ETHUSDT", side="BUY", type="LIMIT",
                timeInForce="GTC", quantity="0.050", price="1000.00",
            )  # fmt: skip
            new = await next_json(ws)
            reply = await s.post(f"{fake.rest_url}/_fake/faults", json={"expire_listen_keys": True})
            expired = await next_json(ws)
    assert new["e"] == "ORDER_TRADE_UPDATE" and new["o"]["x"] == "NEW"
    assert (await reply.json())["expired"] == 1
    assert expired["e"] == "listenKeyExpired"


async def test_user_socket_when_listen_key_unknown_is_refused(start_fake) -> None:
    async with start_fake() as fake, aiohttp.ClientSession() as s:
        ws_base = fake.rest_url.replace("http", "ws")
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await s.ws_connect(f"{ws_base}/private/ws?listenKey={'0' * 64}")
    assert err.value.status == 400
