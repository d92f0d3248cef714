"""A minimal Bybit v5 client for the fake's tests: signs like ccxt, reads replies raw.

Written from Bybit's documented rules (docs v5 "Authentication"), not from the fake's code, so
the tests check the server against the protocol: headers X-BAPI-API-KEY / -TIMESTAMP /
-RECV-WINDOW / -SIGN, the sign being hex HMAC-SHA256 over timestamp + key + recvWindow +
(query string | compact JSON body); websocket auth signs "GET/realtime" + expires.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import aiohttp
from fake_client_common import RawClient, Reply, next_json, start_fake_server

from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

__all__ = ["BybitTestClient", "Reply", "next_json", "start_bybit", "topic_is"]


def _sign(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha256).hexdigest()


@asynccontextmanager
async def start_bybit(
    bars: Mapping[str, BarSeries],
    funding: Mapping[str, Sequence[tuple[int, float]]],
    **config: Any,
) -> AsyncIterator[FakeBybit]:
    """A manual-step fake Bybit on a free port (2 substeps, 600 warm-up bars by default)."""
    async with start_fake_server(FakeBybit, FakeBybitConfig, bars, funding, **config) as fake:
        yield fake


def topic_is(topic: str) -> Any:
    return lambda m: m.get("topic") == topic


class BybitTestClient(RawClient):
    default_api_key = DEFAULT_API_KEY
    default_api_secret = DEFAULT_API_SECRET

    async def signed(
        self,
        method: str,
        path: str,
        *,
        ts_offset_ms: int = 0,
        secret: str | None = None,
        api_key: str | None = None,
        recv_window: int = 5000,
        **params: Any,
    ) -> Reply:
        ts = str(int(time.time() * 1000) + ts_offset_ms)
        key = api_key if api_key is not None else self.api_key
        if method == "GET":
            query, body = urlencode(params), None
            payload = query
        else:
            query, body = "", json.dumps(params, separators=(",", ":"))
            payload = body
        sig = _sign(secret or self.api_secret, f"{ts}{key}{recv_window}{payload}")
        headers = {
            "X-BAPI-API-KEY": key, "X-BAPI-TIMESTAMP": ts,
            "X-BAPI-RECV-WINDOW": str(recv_window), "X-BAPI-SIGN": sig,
            "Content-Type": "application/json",
        }  # fmt: skip
        return await self._send(method, path, query, body, headers)

    async def private_ws(self, url: str) -> aiohttp.ClientWebSocketResponse:
        """A private socket, authenticated and subscribed to the four account topics."""
        ws = await self.session.ws_connect(url)
        expires = str(int(time.time() * 1000) + 10_000)
        sig = _sign(self.api_secret, f"GET/realtime{expires}")
        await ws.send_json({"req_id": "a1", "op": "auth", "args": [self.api_key, expires, sig]})
        auth = await next_json(ws, lambda m: m.get("op") == "auth")
        assert auth["success"], auth
        await ws.send_json(
            {"req_id": "s1", "op": "subscribe",
             "args": ["order", "execution", "position", "wallet"]}
        )  # fmt: skip
        ack = await next_json(ws, lambda m: m.get("op") == "subscribe")
        assert ack["success"], ack
        return ws
