"""What wraps every Binance REST request: injected latency and 429 storms, request weights,
the `X-MBX-USED-WEIGHT-1M` header, and Binance's error envelope for every refusal.

Weights are Binance's (docs, per endpoint, USDⓈ-M): most reads cost 1, account and position
reads 5, `openOrders` without a symbol 40, klines by `limit` (1 below 100, 2 below 500, 5 up to
1000, 10 above), new orders 0 on the IP limit. Admin paths (`/_fake/…`) and websockets are not
counted and never faulted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter

__all__ = ["error_response", "make_middleware", "weight_of"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

WEIGHTS: dict[tuple[str, str], int] = {
    ("GET", "/fapi/v1/openOrders"): 1,
    ("GET", "/fapi/v1/allOrders"): 5,
    ("GET", "/fapi/v1/userTrades"): 5,
    ("GET", "/fapi/v2/account"): 5,
    ("GET", "/fapi/v3/account"): 5,
    ("GET", "/fapi/v2/balance"): 5,
    ("GET", "/fapi/v3/balance"): 5,
    ("GET", "/fapi/v2/positionRisk"): 5,
    ("GET", "/fapi/v3/positionRisk"): 5,
    ("GET", "/fapi/v1/positionSide/dual"): 30,
    ("POST", "/fapi/v1/order"): 0,
    ("POST", "/fapi/v1/algoOrder"): 0,
    ("GET", "/fapi/v1/allAlgoOrders"): 5,
}
WITHOUT_SYMBOL: dict[str, int] = {
    "/fapi/v1/openOrders": 40,
    "/fapi/v1/openAlgoOrders": 40,
    "/fapi/v1/premiumIndex": 10,
    "/fapi/v1/ticker/24hr": 40,
    "/fapi/v1/ticker/price": 2,
}
COUNTED_PREFIXES = ("/fapi/", "/futures/")


def weight_of(request: web.Request) -> int:
    """The request's weight on the IP limit."""
    path = request.path
    if path == "/fapi/v1/klines":
        raw = request.query.get("limit", "500")
        limit = int(raw) if raw.isdigit() else 500
        return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10
    if path in WITHOUT_SYMBOL and "symbol" not in request.query:
        return WITHOUT_SYMBOL[path]
    return WEIGHTS.get((request.method, path), 1)


def error_response(err: BinanceError, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        err.body(), status=err.status, headers={**err.headers, **(headers or {})}
    )


def _refusal(status: int, retry_after: int, limit: int) -> BinanceError:
    if status == 418:
        until = int(time.time() * 1000) + retry_after * 1000
        return BinanceError(
            -1003,
            msg=f"Way too many requests; IP banned until {until}. Please use the websocket for "
            "live updates to avoid bans.",
            status=418,
            headers={"Retry-After": str(retry_after)},
        )
    return BinanceError(-1003, str(limit), status=429, headers={"Retry-After": str(retry_after)})


def make_middleware(
    faults: Faults, limiter: WeightLimiter
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """The aiohttp middleware of the fake's REST API."""

    @web.middleware
    async def binance_rest(request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(COUNTED_PREFIXES):
            return await handler(request)
        if faults.rest_latency_ms > 0:
            await asyncio.sleep(faults.rest_latency_ms / 1000.0)
        if faults.take_429():
            return error_response(_refusal(429, faults.storm_retry_after_s, limiter.limit))
        decision = limiter.check(request.remote or "unknown", weight_of(request))
        headers = {"X-MBX-USED-WEIGHT-1M": str(decision.used)}
        if decision.status != 200:
            err = _refusal(decision.status, decision.retry_after, limiter.limit)
            return error_response(err, headers)
        try:
            response = await handler(request)
        except BinanceError as err:
            return error_response(err, headers)
        except web.HTTPException as exc:
            if exc.status not in (404, 405):
                raise
            msg = f"Path {request.path}, Method {request.method} is invalid"
            return error_response(BinanceError(-5000, msg=msg, status=exc.status), headers)
        response.headers.update(headers)
        return response

    return binance_rest
