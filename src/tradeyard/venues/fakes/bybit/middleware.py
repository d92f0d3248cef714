"""What wraps every Bybit REST request: injected latency, 10006 storms, the per-key request
limit with Bybit's `X-Bapi-Limit*` headers, and the retCode envelope for every refusal.

Bybit counts API requests per UID and endpoint group in short windows and answers excess with
HTTP 200 and `retCode 10006` "Too many visits!" (docs v5 "Rate Limit"); the fake counts signed
requests per API key in `rate_window_s` windows and sends the same. Every request also counts
per client address (600 per 5 s on Bybit), whose excess Bybit answers HTTP 403 "access too
frequent".
`X-Bapi-Limit` is the limit, `X-Bapi-Limit-Status` what is left, `X-Bapi-Limit-Reset-Timestamp`
the window end (ms). Admin paths (`/_fake/…`) and websockets are never counted or faulted.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from tradeyard.venues.fakes.bybit.errors import BybitError
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter

__all__ = ["error_response", "make_middleware"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
COUNTED_PREFIX = "/v5/"
WS_PATHS = ("/v5/public/", "/v5/private", "/v5/trade")  # websocket handshakes: not REST


def error_response(err: BybitError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(err.body(), status=200, headers=headers)


def make_middleware(
    faults: Faults, limiter: WeightLimiter, ip_limiter: WeightLimiter
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The aiohttp middleware of the fake's REST API."""

    @web.middleware
    async def bybit_rest(request: web.Request, handler: Handler) -> web.StreamResponse:
        path = request.path
        if not path.startswith(COUNTED_PREFIX) or path.startswith(WS_PATHS):
            return await handler(request)
        if faults.rest_latency_ms > 0:
            await asyncio.sleep(faults.rest_latency_ms / 1000.0)
        ip = ip_limiter.check(request.remote or "unknown", 1)
        if ip.status != 200:
            return web.Response(status=403, text="access too frequent")
        key = request.headers.get("X-BAPI-API-KEY", "")
        lim = limiter if key else ip_limiter
        reset = (math.floor(time.time() / lim.window_s) + 1) * lim.window_s
        if faults.take_429():
            return error_response(BybitError(10006), _limit_headers(lim.limit, 0, reset))
        decision = limiter.check(key, 1) if key else ip
        headers = _limit_headers(lim.limit, lim.limit - decision.used, reset)
        if decision.status != 200:
            return error_response(BybitError(10006), headers)
        try:
            response = await handler(request)
        except BybitError as err:
            return error_response(err, headers)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            return web.json_response(BybitError(10017).body(), status=404, headers=headers)
        response.headers.update(headers)
        return response

    return bybit_rest


def _limit_headers(limit: int, left: int, reset_s: float) -> dict[str, str]:
    return {
        "X-Bapi-Limit": str(limit),
        "X-Bapi-Limit-Status": str(max(left, 0)),
        "X-Bapi-Limit-Reset-Timestamp": str(int(reset_s * 1000)),
    }
