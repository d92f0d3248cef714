"""Bybit v5 websocket order entry of the fake: `/v5/trade` (real `wss://stream.bybit.com/v5/trade`).

Protocol (docs v5 "Websocket Trade Guideline"): authenticate once per connection with
`{"op": "auth", "args": [apiKey, expires, signature]}` (signature: HMAC-SHA256 hex of
`"GET/realtime" + expires`, checked by the private stream's own `check_ws_auth`), answered
`{"retCode": 0, "retMsg": "OK", "op": "auth", "connId"}` (`reqId` echoed when sent; a second
auth is 20001). Then one order per request::

    {"reqId": "7", "header": {"X-BAPI-TIMESTAMP": "...", "X-BAPI-RECV-WINDOW": "5000"},
     "op": "order.create" | "order.cancel" | "order.amend", "args": [<REST body>]}

answered `{"reqId", "retCode", "retMsg", "op", "data": {"orderId", "orderLinkId"},
"retExtInfo": {}, "header": {"X-Bapi-Limit", "X-Bapi-Limit-Status",
"X-Bapi-Limit-Reset-Timestamp", "Traceid", "Timenow"}, "connId"}`; errors carry the REST
retCodes with `data: {}`. The order body is the one of `POST /v5/order/create` /
`/v5/order/cancel` and goes through the REST handlers' own `create` / `cancel`, so the checks,
the "reject the next order" fault, the state and the private pushes (`order`, `execution`, …
on `/v5/private`) are the REST ones. Requests count on the API key's REST limit (10006 over it).
`order.amend` is refused (10001): the simulated venue has no amend.

The header timestamp must satisfy `server time - recvWindow <= timestamp < server time + 1000`
(10002 otherwise); a request before auth is refused with 10003, a reused `reqId` with 20006.
Connections join the server's hub (kind "trade") so dropping every websocket drops them too;
answers are never duplicated or reordered by the delivery faults.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from aiohttp import WSMsgType, web

from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.bybit.auth import check_timestamp, check_ws_auth
from tradeyard.venues.fakes.bybit.config import FakeBybitConfig
from tradeyard.venues.fakes.bybit.errors import BybitError
from tradeyard.venues.fakes.bybit.rest_trade import TradeRoutes
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.ratelimit import WeightLimiter
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub

__all__ = ["PATH", "TradeSocketRoutes"]

log = logging.getLogger(__name__)

PATH = "/v5/trade"
KIND = "trade"
"""`WsClient.kind` of these connections (the hub routes market / private data by kind only)."""
ORDER_OPS = ("order.create", "order.cancel", "order.amend")

Op = Callable[[str, dict[str, Any]], Awaitable[Any]]


class _Server(Protocol):
    """What the routes read from the running `FakeBybit`."""

    config: FakeBybitConfig
    faults: Faults
    hub: WsHub
    limiter: WeightLimiter
    trade_routes: TradeRoutes


class _Conn:
    """One trade connection: its id, its authenticated API key, the reqIds it used."""

    def __init__(self, client: WsClient) -> None:
        self.client = client
        self.conn_id = f"{uuid.uuid4().hex[:20]}-{uuid.uuid4().hex[:3]}"
        self.api_key: str | None = None
        self.req_ids: set[str] = set()


class TradeSocketRoutes:
    """`/v5/trade`: auth, then order.create / order.cancel (order.amend refused)."""

    def __init__(self, server: _Server) -> None:
        self.server = server
        self._secrets = server.config.secrets()

    def routes(self) -> list[web.RouteDef]:
        return [web.get(PATH, self.serve)]

    @property
    def probe(self) -> LatencyProbe | None:
        return getattr(self.server, "probe", None)

    # -- connection --------------------------------------------------------------------------
    async def serve(self, request: web.Request) -> web.StreamResponse:
        server = self.server
        ws = web.WebSocketResponse(heartbeat=server.config.ws_heartbeat_s)
        await ws.prepare(request)
        client = WsClient(ws, request, KIND, server.faults)
        conn = _Conn(client)
        server.hub.add(client)
        writer = asyncio.create_task(client.run_writer())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    client.send_json(await self.answer(conn, msg.data), faults=False)
        finally:
            server.hub.discard(client)
            client.stop()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer, 1.0)
        return ws

    async def answer(self, conn: _Conn, text: str) -> dict[str, Any]:
        """The answer to one request frame (never raises)."""
        arrived = self.probe.clock() if self.probe is not None else 0
        try:
            msg = json.loads(text)
        except ValueError:
            msg = None
        if not isinstance(msg, dict):
            return self._reply(conn, None, "", BybitError(10001, msg="Invalid JSON"))
        op = str(msg.get("op", ""))
        req_id = msg.get("reqId", msg.get("req_id"))
        if op == "ping":
            return self._pong(conn, msg)
        if op == "auth":
            return self._auth(conn, req_id, msg.get("args"))
        if op not in ORDER_OPS:
            return self._reply(conn, req_id, op, BybitError(10001, msg=f"Invalid op {op!r}"))
        if conn.api_key is None:
            return self._reply(conn, req_id, op, BybitError(10003, msg="Request not authorized"))
        if req_id is not None:
            if str(req_id) in conn.req_ids:
                return self._reply(conn, req_id, op, BybitError(20006, msg="reqId is duplicated"))
            conn.req_ids.add(str(req_id))
        decision = self.server.limiter.check(conn.api_key, 1)
        limit = self.server.limiter
        reset = (math.floor(time.time() / limit.window_s) + 1) * limit.window_s
        headers = {
            "X-Bapi-Limit": str(limit.limit),
            "X-Bapi-Limit-Status": str(max(limit.limit - decision.used, 0)),
            "X-Bapi-Limit-Reset-Timestamp": str(int(reset * 1000)),
        }
        if decision.status != 200:
            return self._reply(conn, req_id, op, BybitError(10006), headers=headers)
        try:
            args = msg.get("args")
            if not isinstance(args, list) or len(args) != 1 or not isinstance(args[0], dict):
                raise BybitError(10001, msg="args must hold exactly one order object")
            _check_header(msg.get("header"), int(time.time() * 1000))
            params: dict[str, Any] = args[0]
            if op == "order.create" and self.probe is not None:
                self.probe.order_received(
                    arrived, str(params.get("symbol", "")), str(params.get("orderLinkId", ""))
                )
            data = await self._ops()[op](conn.api_key, params)
        except BybitError as err:
            return self._reply(conn, req_id, op, err, headers=headers)
        except Exception:  # a bug must not kill the connection: answer as Bybit's 10016
            log.exception("trade socket %s failed", op)
            return self._reply(conn, req_id, op, BybitError(10016), headers=headers)
        return self._reply(conn, req_id, op, None, data, headers)

    def _ops(self) -> dict[str, Op]:
        routes = self.server.trade_routes
        return {"order.create": routes.create, "order.cancel": routes.cancel,
                "order.amend": _amend}  # fmt: skip

    # -- auth and ping -----------------------------------------------------------------------
    def _auth(self, conn: _Conn, req_id: Any, args: object) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if req_id is not None:
            out["reqId"] = req_id
        if conn.api_key is not None:
            code, msg = 20001, "Repeat auth"
        else:
            try:
                conn.api_key = check_ws_auth(args, self._secrets, int(time.time() * 1000))
                code, msg = 0, "OK"
            except BybitError as err:
                code, msg = err.code, err.msg
        return {**out, "retCode": code, "retMsg": msg, "op": "auth", "connId": conn.conn_id}

    def _pong(self, conn: _Conn, msg: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in ("reqId", "req_id"):
            if name in msg:
                out[name] = msg[name]
        return {**out, "retCode": 0, "retMsg": "OK", "op": "pong",
                "data": [str(int(time.time() * 1000))], "connId": conn.conn_id}  # fmt: skip

    def _reply(
        self,
        conn: _Conn,
        req_id: Any,
        op: str,
        err: BybitError | None,
        data: Any = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if req_id is not None:
            out["reqId"] = req_id
        now = int(time.time() * 1000)
        out.update(
            retCode=0 if err is None else err.code,
            retMsg="OK" if err is None else err.msg,
            op=op,
            data=data if err is None and data is not None else {},
            retExtInfo={},
            header={**(headers or {}), "Traceid": uuid.uuid4().hex, "Timenow": str(now)},
            connId=conn.conn_id,
        )
        return out


def _check_header(header: object, now_ms: int) -> None:
    """Bybit's window: server time - recvWindow <= X-BAPI-TIMESTAMP < server time + 1000."""
    if not isinstance(header, dict):
        raise BybitError(10001, msg="header is required")
    raw_ts = str(header.get("X-BAPI-TIMESTAMP", ""))
    raw_window = str(header.get("X-BAPI-RECV-WINDOW", "5000") or "5000")
    check_timestamp(raw_ts, raw_window, now_ms)


async def _amend(_key: str, _params: dict[str, Any]) -> Any:
    raise BybitError(10001, msg="order.amend is not supported by the fake exchange")
