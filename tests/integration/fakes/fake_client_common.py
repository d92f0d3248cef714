"""What the fakes' test clients share: raw replies, the unsigned request path, socket reads,
polling and a manual-step fake on a free port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

import aiohttp

from tradeyard.marketdata import BarSeries

__all__ = ["RawClient", "Reply", "next_json", "start_fake_server", "wait_until"]


class Reply:
    def __init__(self, status: int, body: Any, headers: dict[str, str]) -> None:
        self.status = status
        self.body = body
        self.headers = headers

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.body!r})"


class RawClient:
    """Sends requests as given and reads the replies raw (a venue's client adds signing)."""

    default_api_key = ""
    default_api_secret = ""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        api_key: str | None = None,
        api_secret: str | None = None,
    ) -> None:
        """`api_key` / `api_secret` default: the venue fake's default account."""
        self.session = session
        self.base = base_url
        self.api_key = self.default_api_key if api_key is None else api_key
        self.api_secret = self.default_api_secret if api_secret is None else api_secret

    async def _send(
        self, method: str, path: str, query: str, body: str | None, headers: dict[str, str]
    ) -> Reply:
        url = f"{self.base}{path}" + (f"?{query}" if query else "")
        async with self.session.request(method, url, data=body, headers=headers) as r:
            text = await r.text()
            return Reply(r.status, json.loads(text) if text else None, dict(r.headers))

    async def public(self, path: str, **params: Any) -> Reply:
        return await self._send("GET", path, urlencode(params), None, {})


@asynccontextmanager
async def start_fake_server(
    fake_cls: Callable[..., Any],
    config_cls: Callable[..., Any],
    bars: Mapping[str, BarSeries],
    funding: Mapping[str, Sequence[tuple[int, float]]],
    **config: Any,
) -> AsyncIterator[Any]:
    """A manual-step fake on a free port (2 substeps, 600 warm-up bars by default)."""
    config.setdefault("substeps", 2)
    config.setdefault("warmup_bars", 600)
    async with fake_cls(config_cls(**config), bars, funding) as fake:
        yield fake


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
