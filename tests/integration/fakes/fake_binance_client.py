"""A minimal Binance client for the fake's tests: signs like ccxt, reads replies raw.

Written from Binance's documented rules (not from the fake's code), so the tests check the
server against the protocol: `timestamp` first, then the parameters, then `recvWindow`, HMAC-
SHA256 over that urlencoded string, `&signature=` last; GET / DELETE in the query, POST / PUT
as a form body.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET


class Reply:
    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class BinanceTestClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
    ) -> None:
        self.session = session
        self.base = base_url
        self.api_key = api_key
        self.api_secret = api_secret

    async def _send(
        self, method: str, path: str, query: str, body: str | None, headers: dict[str, str]
    ) -> Reply:
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        async with self.session.request(method, url, data=body, headers=headers) as r:
            text = await r.text()
            return Reply(r.status, json.loads(text) if text else None, dict(r.headers))

    async def public(self, path: str, **params: Any) -> Reply:
        return await self._send("GET", path, urlencode(params), None, {})

    async def signed(
        self,
        method: str,
        path: str,
        *,
        ts_offset_ms: int = 0,
        secret: str | None = None,
        api_key: str | None = None,
        **params: Any,
    ) -> Reply:
        ordered = {"timestamp": int(time.time() * 1000) + ts_offset_ms, **params}
        ordered.setdefault("recvWindow", 10000)
        query = urlencode(ordered)
        sig = hmac.new(
            (secret or self.api_secret).encode(), query.encode(), hashlib.sha256
        ).hexdigest()
        query += f"&signature={sig}"
        headers = {"X-MBX-APIKEY": api_key if api_key is not None else self.api_key}
        if method in ("GET", "DELETE"):
            return await self._send(method, path, query, None, headers)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return await self._send(method, path, "", query, headers)

    async def keyed(self, method: str, path: str, **params: Any) -> Reply:
        """USER_STREAM security: API key header only."""
        body = urlencode(params) if params else None
        headers = {"X-MBX-APIKEY": self.api_key}
        if body:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return await self._send(method, path, "", body, headers)


async def next_json(
    ws: aiohttp.ClientWebSocketResponse,
    match: Callable[[Any], bool] = lambda _m: True,
    timeout: float = 5.0,
) -> Any:
    """The next text message on `ws` that `match`es (others are skipped)."""
    async with asyncio.timeout(timeout):
        while True:
            msg = await ws.receive()
            if msg.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"socket ended while waiting: {msg.type} {msg.data!r}")
            data = json.loads(msg.data)
            if match(data):
                return data


async def wait_until(cond: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0) -> None:
    """Poll `cond` every 10 ms until it is true (a test helper, not a sleep)."""
    async with asyncio.timeout(timeout):
        while True:
            value = cond()
            if isinstance(value, Awaitable):
                value = await value
            if value:
                return
            await asyncio.sleep(0.01)
