"""A minimal Binance client for the fake's tests: signs like ccxt, reads replies raw.

Written from Binance's documented rules (not from the fake's code), so the tests check the
server against the protocol: `timestamp` first, then the parameters, then `recvWindow`, HMAC-
SHA256 over that urlencoded string, `&signature=` last; GET / DELETE in the query, POST / PUT
as a form body.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import urlencode

from fake_client_common import RawClient, Reply, next_json, wait_until

from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET

__all__ = ["BinanceTestClient", "Reply", "next_json", "wait_until"]


class BinanceTestClient(RawClient):
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
