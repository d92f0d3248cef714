"""The user data stream: listen keys (create / keep alive / close / expire) and their sockets.

Binance's rules (docs "Start/Keepalive/Close User Data Stream", `binance-usdm.md` §3.10, §5.3):
one key per account (creating again returns the active key and extends it), a key lives 60
minutes after its creation or last keep-alive, and when it lapses the stream sends
`listenKeyExpired` and nothing more. Here the connection is then closed too, so a client's
reconnect logic is exercised. The REST calls need only the `X-MBX-APIKEY` header.

Sockets connect as `/private/ws?listenKey=<key>` (ccxt, current Binance) or `/ws/<key>`
(classic); events for an account go to every socket of its current key.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from tradeyard.venues.fakes.binance import auth
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.user_payloads import listen_key_expired
from tradeyard.venues.fakes.common.wshub import WsHub

__all__ = ["ListenKeys", "UserStream"]

log = logging.getLogger(__name__)


class ListenKeys:
    """Active listen keys: key → (account API key, expiry on the monotonic clock)."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._clock = clock
        self._owner: dict[str, str] = {}
        self._expires: dict[str, float] = {}
        self._of_account: dict[str, str] = {}

    def owner(self, listen_key: str) -> str | None:
        return self._owner.get(listen_key)

    def of_account(self, api_key: str) -> str | None:
        return self._of_account.get(api_key)

    def create(self, api_key: str) -> str:
        key = self._of_account.get(api_key)
        if key is None:
            key = secrets.token_hex(32)
            self._owner[key] = api_key
            self._of_account[api_key] = key
        self._expires[key] = self._clock() + self.ttl_s
        return key

    def keepalive(self, api_key: str, listen_key: str | None) -> str:
        key = self._of_account.get(api_key)
        if key is None or (listen_key and listen_key != key):
            raise BinanceError(-1125)
        self._expires[key] = self._clock() + self.ttl_s
        return key

    def remove(self, listen_key: str) -> str | None:
        """Forget a key; return its account's API key."""
        api_key = self._owner.pop(listen_key, None)
        self._expires.pop(listen_key, None)
        if api_key is not None and self._of_account.get(api_key) == listen_key:
            del self._of_account[api_key]
        return api_key

    def lapsed(self) -> list[str]:
        now = self._clock()
        return [k for k, t in self._expires.items() if t <= now]

    def all_of(self, api_key: str | None = None) -> list[str]:
        return [k for k, owner in self._owner.items() if api_key in (None, owner)]


class UserStream:
    """REST listen-key endpoints, user-data sockets, and expiry."""

    def __init__(
        self,
        keys: ListenKeys,
        hub: WsHub,
        secrets_by_key: Mapping[str, str],
        clock: Callable[[], int],
    ) -> None:
        self.keys = keys
        self.hub = hub
        self._secrets = secrets_by_key
        self._clock = clock

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/fapi/v1/listenKey", self.start),
            web.put("/fapi/v1/listenKey", self.keepalive),
            web.delete("/fapi/v1/listenKey", self.close),
        ]

    def push(self, api_key: str, payload: dict[str, Any]) -> None:
        """Deliver one user-data event of `api_key` (dropped when it has no listen key)."""
        key = self.keys.of_account(api_key)
        if key is not None:
            self.hub.to_user(key, payload)

    async def _params(self, request: web.Request) -> tuple[str, dict[str, str]]:
        api_key = auth.api_key_of(request.headers, self._secrets)
        body = await request.text() if request.body_exists else ""
        return api_key, auth.parse_params(request.rel_url.raw_query_string, body)

    async def start(self, request: web.Request) -> web.Response:
        api_key, _ = await self._params(request)
        return web.json_response({"listenKey": self.keys.create(api_key)})

    async def keepalive(self, request: web.Request) -> web.Response:
        api_key, params = await self._params(request)
        key = self.keys.keepalive(api_key, params.get("listenKey"))
        return web.json_response({"listenKey": key})

    async def close(self, request: web.Request) -> web.Response:
        api_key, params = await self._params(request)
        key = self.keys.of_account(api_key)
        if key is None or (params.get("listenKey") and params["listenKey"] != key):
            raise BinanceError(-1125)
        self.keys.remove(key)
        await self.hub.drop("close", self.hub.of_listen_key(key))
        return web.json_response({})

    async def expire(self, listen_keys: list[str]) -> int:
        """Send `listenKeyExpired` on each key's sockets, close them, forget the keys."""
        for key in listen_keys:
            api_key = self.keys.remove(key)
            log.info("listen key of %s expired", auth.key_hint(api_key or ""))
            self.hub.to_user(key, listen_key_expired(key, self._clock()))
        if listen_keys:
            await self.hub.flush()
        for key in listen_keys:
            await self.hub.drop("close", self.hub.of_listen_key(key))
        return len(listen_keys)
