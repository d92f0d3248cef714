"""The fake's admin endpoint (`/_fake/…`): drive the replay and inject faults over HTTP.

For tests in another process and for people rehearsing by hand (`curl`). Not Binance's API:
no signature, no weight, never faulted; the server listens on 127.0.0.1 only.

- `GET  /_fake/state`            replay time, accounts (key prefixes), sockets, faults
- `POST /_fake/advance`          `{"bars": 3}` → replay three bars now
- `GET  /_fake/faults`           the current faults
- `POST /_fake/faults`           settings of `Faults.update` (`rest_latency_ms`, `storm_429`,
  `ws_duplicate`, `ws_reorder`, `ws_drop_every_s`, `reject_next_order`: {"code": -2019}) and
  one-shot actions: `"drop_ws": "abort" | "close" | true`, `"expire_listen_keys": true`,
  `"clear": true` (all faults off), `"reset_limits": true` (weights and bans forgotten)
"""

from __future__ import annotations

from typing import Any, Protocol

from aiohttp import web

from tradeyard.errors import ConfigError
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter

__all__ = ["AdminRoutes", "AdminTarget"]

ACTIONS = ("drop_ws", "expire_listen_keys", "clear", "reset_limits")


class AdminTarget(Protocol):
    """What the admin endpoint drives (the server)."""

    faults: Faults
    limiter: WeightLimiter

    async def advance(self, n_bars: int = 1) -> int: ...

    async def drop_websockets(self, mode: str = "abort") -> int: ...

    async def expire_listen_keys(self, api_key: str | None = None) -> int: ...

    def set_ws_drop_every(self, seconds: float | None) -> None: ...

    def state(self) -> dict[str, Any]: ...


class AdminRoutes:
    def __init__(self, target: AdminTarget) -> None:
        self.target = target

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/_fake/state", self.state),
            web.post("/_fake/advance", self.advance),
            web.get("/_fake/faults", self.get_faults),
            web.post("/_fake/faults", self.set_faults),
        ]

    async def state(self, _request: web.Request) -> web.Response:
        return web.json_response(self.target.state())

    async def advance(self, request: web.Request) -> web.Response:
        body = await _json(request)
        bars = body.get("bars", 1)
        if not isinstance(bars, int) or bars < 1:
            return _bad(f"bars must be a positive integer, was {bars!r}")
        closed = await self.target.advance(bars)
        return web.json_response({"advanced": closed, **self.target.state()})

    async def get_faults(self, _request: web.Request) -> web.Response:
        return web.json_response(self.target.faults.snapshot())

    async def set_faults(self, request: web.Request) -> web.Response:
        body = await _json(request)
        settings = {k: v for k, v in body.items() if k not in ACTIONS}
        result: dict[str, Any] = {}
        try:
            if body.get("clear"):
                self.target.faults.clear()
                self.target.set_ws_drop_every(None)
            self.target.faults.update(settings)
        except ConfigError as e:
            return _bad(str(e))
        if "ws_drop_every_s" in settings:
            self.target.set_ws_drop_every(self.target.faults.ws_drop_every_s)
        if body.get("reset_limits"):
            self.target.limiter.reset()
        if body.get("drop_ws"):
            mode = body["drop_ws"] if body["drop_ws"] in ("abort", "close") else "abort"
            result["dropped"] = await self.target.drop_websockets(mode)
        if body.get("expire_listen_keys"):
            result["expired"] = await self.target.expire_listen_keys()
        return web.json_response({**result, "faults": self.target.faults.snapshot()})


async def _json(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return {}
    try:
        body = await request.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _bad(message: str) -> web.Response:
    return web.json_response({"error": message}, status=400)
