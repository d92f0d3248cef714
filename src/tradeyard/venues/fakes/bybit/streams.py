"""Bybit v5 websockets of the fake: public `/v5/public/linear` and private `/v5/private`.

Both speak Bybit's op protocol (docs v5 "Connect"): `{"op": "subscribe" | "unsubscribe",
"args": [...], "req_id": ...}` answered `{"success", "ret_msg", "conn_id", "req_id", "op"}`,
and `{"op": "ping"}` answered with a pong (public: `ret_msg: "pong"`, private: `op: "pong"`).
Public topics: `kline.{interval}.{symbol}`, `tickers.{symbol}`, `publicTrade.{symbol}`. The private socket first needs
`{"op": "auth", "args": [apiKey, expires, sign]}`; its topics are `order`, `execution`,
`position`, `wallet` (a `.linear` suffix is accepted and means the same here). Acks and pongs
are never faulted; pushed data is (duplicates, reordering, drops).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.bybit.accounts import Push
from tradeyard.venues.fakes.bybit.auth import check_ws_auth
from tradeyard.venues.fakes.bybit.errors import BybitError
from tradeyard.venues.fakes.bybit.market import INTERVALS
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub

__all__ = ["PRIVATE_TOPICS", "StreamRoutes"]

PRIVATE_TOPICS = ("order", "execution", "position", "wallet")


def _public_topic_ok(topic: str, symbols: set[str]) -> bool:
    parts = topic.split(".")
    if len(parts) == 3 and parts[0] == "kline":
        return parts[1] in INTERVALS and parts[2] in symbols
    return len(parts) == 2 and parts[0] in ("tickers", "publicTrade") and parts[1] in symbols


def _private_topic(topic: str) -> str | None:
    base = topic.removesuffix(".linear")
    return base if base in PRIVATE_TOPICS else None


class StreamRoutes:
    """Public and private websocket handlers over one hub."""

    def __init__(
        self, hub: WsHub, faults: Faults, secrets: dict[str, str], symbols: set[str],
        heartbeat_s: float,
    ) -> None:  # fmt: skip
        self.hub = hub
        self.faults = faults
        self.secrets = secrets
        self.symbols = symbols
        self.heartbeat_s = heartbeat_s

        self.probe: LatencyProbe | None = None
        """When set (before clients connect), market frames are stamped as they are written."""

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/v5/public/linear", self.public),
            web.get("/v5/private", self.private),
        ]

    def push(self, api_key: str, push: Push) -> None:
        """Send a private message to the authenticated sockets of `api_key` subscribed to it."""
        topic, data = push
        msg = {"id": uuid.uuid4().hex, "topic": topic,
               "creationTime": int(time.time() * 1000), "data": data}  # fmt: skip
        for client in self.hub.of_listen_key(api_key):
            if topic in client.streams:
                client.send_json(msg)

    async def public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "market")

    async def private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, "user")

    async def _serve(self, request: web.Request, kind: str) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=self.heartbeat_s)
        await ws.prepare(request)
        client = WsClient(ws, request, kind, self.faults)
        if self.probe is not None and kind == "market":
            _stamp_writes(ws, self.probe)
        conn_id = uuid.uuid4().hex
        self.hub.add(client)
        writer = asyncio.create_task(client.run_writer())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_text(client, conn_id, msg.data)
        finally:
            self.hub.discard(client)
            client.stop()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer, 1.0)
        return ws

    def _on_text(self, client: WsClient, conn_id: str, text: str) -> None:
        try:
            msg = json.loads(text)
            op, req_id, args = msg.get("op"), msg.get("req_id", ""), msg.get("args", [])
        except (ValueError, AttributeError):
            client.send_json(_ack(conn_id, "", "", False, "Invalid JSON"), faults=False)
            return
        private = client.kind == "user"
        if op == "ping":
            if private:
                reply = {"req_id": req_id, "op": "pong", "args": [str(int(time.time() * 1000))],
                         "conn_id": conn_id}  # fmt: skip
            else:
                reply = _ack(conn_id, req_id, "ping", True, "pong")
            client.send_json(reply, faults=False)
            return
        if op == "auth" and private:
            try:
                client.listen_key = check_ws_auth(args, self.secrets, int(time.time() * 1000))
                reply = _ack(conn_id, req_id, "auth", True, "")
            except BybitError as e:
                reply = _ack(conn_id, req_id, "auth", False, f"{e.msg} ({e.code})")
            client.send_json(reply, faults=False)
            return
        if op not in ("subscribe", "unsubscribe") or not isinstance(args, list):
            client.send_json(_ack(conn_id, req_id, str(op), False, f"Invalid op {op!r}"),
                             faults=False)  # fmt: skip
            return
        client.send_json(self._subscribe(client, conn_id, req_id, op, args), faults=False)

    def _subscribe(
        self, client: WsClient, conn_id: str, req_id: Any, op: str, args: list[Any]
    ) -> dict[str, Any]:
        if client.kind == "user":
            if client.listen_key is None:
                return _ack(conn_id, req_id, op, False, "Request not authorized")
            topics = [_private_topic(str(a)) for a in args]
        else:
            topics = [str(a) if _public_topic_ok(str(a), self.symbols) else None for a in args]
        bad = [str(a) for a, t in zip(args, topics, strict=True) if t is None]
        if bad:
            return _ack(conn_id, req_id, op, False, f"Invalid topic: {', '.join(bad)}")
        names = {t for t in topics if t is not None}
        if op == "subscribe":
            client.streams |= names
        else:
            client.streams -= names
        return _ack(conn_id, req_id, op, True, "")


def _ack(conn_id: str, req_id: Any, op: str, success: bool, ret_msg: str) -> dict[str, Any]:
    return {"success": success, "ret_msg": ret_msg, "conn_id": conn_id, "req_id": req_id,
            "op": op}  # fmt: skip


def _stamp_writes(ws: web.WebSocketResponse, probe: LatencyProbe) -> None:
    """Stamp every frame this socket writes (the latency probe's "sent" time), just before
    the write: after it, the woken reader may run first and the stamp would come late."""
    send = ws.send_str

    async def send_str(data: str, *args: Any, **kwargs: Any) -> None:
        probe.kline_written(data)
        await send(data, *args, **kwargs)

    ws.send_str = send_str  # type: ignore[method-assign]
