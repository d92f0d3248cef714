"""Binance USDⓈ-M WebSocket API of the fake: order entry over a websocket at `/ws-fapi/v1`.

Real endpoint `wss://ws-fapi.binance.com/ws-fapi/v1` (docs "WebSocket API General Info",
USDⓈ-M Futures). One JSON request per text frame::

    {"id": "1", "method": "order.place", "params": {..., "apiKey", "timestamp", "signature"}}

Methods served: `order.place`, `order.cancel`, `order.status` (the REST `POST` / `DELETE` /
`GET /fapi/v1/order`), and `algoOrder.place`, `algoOrder.cancel` (the Algo Order API's `POST` /
`DELETE /fapi/v1/algoOrder`, where ccxt 4.5 sends conditional orders; `order.place` answers them
-4120 as REST does unless `algo_orders_only` is off). Every request is signed on its own: the
signature is the HMAC-SHA256 hex of the params other than `signature`, sorted by name and joined
`k=v&k=v` with no URL-encoding, values exactly as their JSON text (a number is signed as
written, `true` / `false` as such). That is what ccxt's `sign_params` produces. Order of checks
as REST: API key (-2014 / -2015), timestamp and recvWindow (-1102 / -1131 / -1021), signature
(-1022).

Answers::

    {"id": "1", "status": 200, "result": <REST's order JSON>, "rateLimits": [...]}
    {"id": "1", "status": 400, "error": {"code": -2019, "msg": "Margin is insufficient."}}

`rateLimits` is left out when the request says `returnRateLimits: false` (ccxt does). The
status of an error is the HTTP status REST would answer with. Requests count on the same
per-address weight limit as REST (order.place 0, order.cancel / order.status 1): over it the
answer is 429 (then 418) with -1003 and `data.retryAfter`. The "reject the next order" fault
answers an `order.place` as it does on REST. Fills and order updates go out on the user data
stream as for REST orders, since the order goes through the same `Exchange.place`.

Connections join the server's hub (kind "ws-api") so dropping every websocket drops them too;
answers are never duplicated or reordered by the delivery faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from tradeyard.venues.fakes.binance import auth, user_payloads
from tradeyard.venues.fakes.binance.algo import CONDITIONAL_TYPES, algo_cancel_json, algo_json
from tradeyard.venues.fakes.binance.config import FakeBinanceConfig
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.exchange import Exchange
from tradeyard.venues.fakes.binance.orders import BinanceOrder
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.binance.rest import wall_ms
from tradeyard.venues.fakes.common.account_spec import key_hint
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub

__all__ = ["PATH", "WsApiRoutes", "signature_payload"]

log = logging.getLogger(__name__)

PATH = "/ws-fapi/v1"
KIND = "ws-api"
"""`WsClient.kind` of these connections (the hub routes market / user data by kind only)."""
WEIGHTS = {"order.place": 0, "order.cancel": 1, "order.status": 1, "algoOrder.place": 0,
           "algoOrder.cancel": 1}  # fmt: skip
PLACING = frozenset(("order.place", "algoOrder.place"))
ORDER_LIMIT_10S = 300
ORDER_LIMIT_1M = 1200


class _Server(Protocol):
    """What the routes read from the running `FakeBinance`."""

    exchange: Exchange
    config: FakeBinanceConfig
    faults: Faults
    hub: WsHub
    limiter: WeightLimiter


def _text(value: Any) -> str:
    """A param value as signed: strings as they are, JSON literals as written."""
    if isinstance(value, str):
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return json.dumps(value, separators=(",", ":"))


def signature_payload(params: Mapping[str, str]) -> str:
    """What the signature covers: `k=v` pairs sorted by name, `signature` left out."""
    return "&".join(f"{k}={v}" for k, v in sorted(params.items()) if k != "signature")


def _literal_params(text: str) -> dict[str, str] | None:
    """The request's params as text, numbers exactly as written (None: not an object)."""
    raw = json.loads(text, parse_float=str, parse_int=str).get("params", {})
    if not isinstance(raw, dict):
        return None
    return {str(k): _text(v) for k, v in raw.items()}


class WsApiRoutes:
    """`/ws-fapi/v1`: order.place / order.cancel / order.status over one websocket."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self._secrets = server.config.secrets()
        self._orders_sent: dict[str, deque[float]] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.serve)]

    @property
    def exchange(self) -> Exchange:
        return self.server.exchange

    @property
    def probe(self) -> LatencyProbe | None:
        return getattr(self.server, "probe", None)

    # -- connection --------------------------------------------------------------------------
    async def serve(self, request: web.Request) -> web.StreamResponse:
        server = self.server
        ws = web.WebSocketResponse(heartbeat=server.config.ws_heartbeat_s)
        await ws.prepare(request)
        client = WsClient(ws, request, KIND, server.faults)
        server.hub.add(client)
        writer = asyncio.create_task(client.run_writer())
        addr = request.remote or "unknown"
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    client.send_json(self.answer(msg.data, addr), faults=False)
        finally:
            server.hub.discard(client)
            client.stop()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer, 1.0)
        return ws

    def answer(self, text: str, addr: str = "unknown") -> dict[str, Any]:
        """The answer to one request frame (never raises)."""
        arrived = self.probe.clock() if self.probe is not None else 0
        try:
            msg = json.loads(text)
        except ValueError:
            return _error(None, _malformed("Malformed request: invalid JSON."))
        if not isinstance(msg, dict):
            return _error(None, _malformed("Malformed request: not an object."))
        rid = msg.get("id")
        method = msg.get("method")
        handler = self._methods().get(str(method))
        if handler is None:
            return _error(rid, _malformed(f"Unknown method {method!r}."))
        weight = WEIGHTS[str(method)]
        decision = self.server.limiter.check(addr, weight)
        limits: list[dict[str, Any]] = [
            _limit("REQUEST_WEIGHT", "MINUTE", 1, self.server.limiter.limit, decision.used)
        ]
        if decision.status != 200:
            return _refused(rid, decision.status, decision.retry_after, limits,
                            self.server.limiter.limit)  # fmt: skip
        try:
            params = _literal_params(text)
            if params is None:
                raise _malformed("Malformed request: params must be an object.")
            key = self._auth(params)
            if method in PLACING:
                limits += self._count_order(key)
                if self.probe is not None:
                    client_id = params.get("newClientOrderId") or params.get("clientAlgoId", "")
                    self.probe.order_received(arrived, params.get("symbol", ""), client_id)
            result = handler(key, params)
        except BinanceError as err:
            return _error(rid, err, limits)
        except Exception:  # a bug must not kill the connection: answer as Binance's -1000
            log.exception("ws-api %s failed", method)
            return _error(rid, BinanceError(-1000), limits)
        out: dict[str, Any] = {"id": rid, "status": 200, "result": result}
        if params.get("returnRateLimits", "true") != "false":
            out["rateLimits"] = limits
        return out

    def _methods(self) -> dict[str, Callable[[str, dict[str, str]], dict[str, Any]]]:
        return {
            "order.place": self.place,
            "order.cancel": self.cancel,
            "order.status": self.status,
            "algoOrder.place": self.place_algo,
            "algoOrder.cancel": self.cancel_algo,
        }

    # -- auth --------------------------------------------------------------------------------
    def _auth(self, params: dict[str, str]) -> str:
        """Authenticate `params` (signature removed on success); return the API key."""
        api_key = params.get("apiKey", "")
        if not api_key:
            raise BinanceError(-1102, "apiKey")
        key = auth.api_key_of({"X-MBX-APIKEY": api_key}, self._secrets)
        auth.check_timestamp(params, wall_ms(), self.server.config.recv_window_max_ms)
        signature = params.get("signature", "")
        if not signature:
            raise BinanceError(-1102, "signature")
        expected = auth.sign(self._secrets[key], signature_payload(params))
        if not hmac.compare_digest(expected, signature.lower()):
            log.info("bad ws-api signature from key %s", key_hint(key))
            raise BinanceError(-1022)
        del params["signature"]
        return key

    def _count_order(self, key: str) -> list[dict[str, Any]]:
        """ORDERS counts of the account over 10 s and 1 min (counted, not enforced)."""
        now = time.monotonic()
        sent = self._orders_sent.setdefault(key, deque())
        sent.append(now)
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        in_10s = sum(1 for t in sent if t > now - 10.0)
        return [
            _limit("ORDERS", "SECOND", 10, ORDER_LIMIT_10S, in_10s),
            _limit("ORDERS", "MINUTE", 1, ORDER_LIMIT_1M, len(sent)),
        ]

    # -- methods (same Exchange calls and order JSON as the REST handlers) ---------------------
    def _order(self, order: BinanceOrder, *, with_time: bool) -> dict[str, Any]:
        info = self.exchange.symbols[order.symbol]
        return user_payloads.order_json(order, info, with_time=with_time)

    def place(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        """order.place = POST /fapi/v1/order."""
        if self.server.config.algo_orders_only and params.get("type") in CONDITIONAL_TYPES:
            raise BinanceError(-4120)
        rejection = self.server.faults.take_order_rejection()
        if rejection is not None:
            raise BinanceError(rejection.code, msg=rejection.msg)
        return self._order(self.exchange.place(key, params), with_time=False)

    def cancel(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        """order.cancel = DELETE /fapi/v1/order."""
        return self._order(self.exchange.cancel(key, params), with_time=False)

    def status(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        """order.status = GET /fapi/v1/order."""
        return self._order(self.exchange.query(key, params), with_time=True)

    def place_algo(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        """algoOrder.place = POST /fapi/v1/algoOrder."""
        rejection = self.server.faults.take_order_rejection()
        if rejection is not None:
            raise BinanceError(rejection.code, msg=rejection.msg)
        algo = self.exchange.place_algo(key, params)
        return algo_json(algo, self.exchange.symbols[algo.symbol])

    def cancel_algo(self, key: str, params: dict[str, str]) -> dict[str, Any]:
        """algoOrder.cancel = DELETE /fapi/v1/algoOrder."""
        return algo_cancel_json(self.exchange.cancel_algo(key, params))


def _malformed(msg: str) -> BinanceError:
    return BinanceError(-1000, msg=msg, status=400)


def _limit(kind: str, interval: str, num: int, limit: int, count: int) -> dict[str, Any]:
    return {"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit,
            "count": count}  # fmt: skip


def _error(
    rid: Any, err: BinanceError, limits: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"id": rid, "status": err.status, "error": err.body()}
    if limits:
        out["rateLimits"] = limits
    return out


def _refused(
    rid: Any, status: int, retry_after_s: int, limits: list[dict[str, Any]], limit: int
) -> dict[str, Any]:
    now = wall_ms()
    if status == 418:
        msg = (f"Way too many requests; IP banned until {now + retry_after_s * 1000}. "
               "Please use the websocket for live updates to avoid bans.")  # fmt: skip
        err = BinanceError(-1003, msg=msg, status=418)
    else:
        err = BinanceError(-1003, str(limit), status=429)
    body = {**err.body(), "data": {"serverTime": now, "retryAfter": now + retry_after_s * 1000}}
    return {"id": rid, "status": err.status, "error": body, "rateLimits": limits}
