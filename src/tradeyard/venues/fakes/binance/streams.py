"""Websocket endpoints of the fake: market streams (raw and combined) and user-data sockets.

Binance USDⓈ-M paths (docs "Websocket Market Streams", `binance-usdm.md` §1, §4):

- raw: `/ws`, `/ws/<stream>`, and the split paths ccxt uses, `/market/ws[/<n>|/<stream>]`,
  `/public/ws[/<n>|/<stream>]` (`<n>` is ccxt's connection-pool index, ignored);
- combined: `/stream?streams=a/b`, `/market/stream?…`, `/public/stream?…`, payloads wrapped
  as `{"stream": name, "data": payload}`;
- user data: `/private/ws?listenKey=<key>`, `/private/ws/<key>` and `/ws/<listenKey>`.

On market sockets the live protocol works (`SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`,
`SET_PROPERTY` / `GET_PROPERTY` "combined"), answered `{"result": …, "id": …}`. Stream names
are Binance's (`btcusdt@kline_1m`, `btcusdt@markPrice`); their symbol part is case-insensitive.
The server pings every `heartbeat_s` (Binance: 3 minutes) and drops a peer that stops answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.binance.user_stream import ListenKeys
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.fakes.common.wshub import WsClient, WsHub

__all__ = ["StreamRoutes", "normalize_stream"]


def normalize_stream(name: str) -> str:
    """Symbols are case-insensitive, the stream kind is not (`btcusdt@markPrice`)."""
    if name.startswith("!") or "@" not in name:
        return name
    symbol, kind = name.split("@", 1)
    return f"{symbol.lower()}@{kind}"


def _is_stream(name: str) -> bool:
    return "@" in name or name.startswith("!")


class StreamRoutes:
    """Market and user-data websocket handlers over one hub."""

    def __init__(self, hub: WsHub, faults: Faults, keys: ListenKeys, heartbeat_s: float) -> None:
        self.hub = hub
        self.faults = faults
        self.keys = keys
        self.heartbeat_s = heartbeat_s

        self.probe: LatencyProbe | None = None
        """When set (before clients connect), market frames are stamped as they are written."""

    def routes(self) -> list[web.RouteDef]:
        out = [
            web.get("/ws", self.raw),
            web.get("/ws/{name}", self.raw),
            web.get("/stream", self.combined),
            web.get("/private/ws", self.private),
            web.get("/private/ws/{name}", self.private),
        ]
        for part in ("market", "public"):
            out += [
                web.get(f"/{part}/ws", self.raw),
                web.get(f"/{part}/ws/{{name}}", self.raw),
                web.get(f"/{part}/stream", self.combined),
            ]
        return out

    async def raw(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "")
        if name and not name.isdigit() and not _is_stream(name):
            return await self._user(request, name)  # classic /ws/<listenKey>
        streams = {normalize_stream(name)} if name and not name.isdigit() else set()
        return await self._serve(request, "market", streams, combined=False)

    async def combined(self, request: web.Request) -> web.StreamResponse:
        raw = request.query.get("streams", "")
        streams = {normalize_stream(s) for s in raw.split("/") if s}
        return await self._serve(request, "market", streams, combined=True)

    async def private(self, request: web.Request) -> web.StreamResponse:
        key = request.match_info.get("name") or request.query.get("listenKey", "")
        return await self._user(request, key)

    async def _user(self, request: web.Request, listen_key: str) -> web.StreamResponse:
        if self.keys.owner(listen_key) is None:
            body = {"code": -1125, "msg": "This listenKey does not exist."}
            return web.json_response(body, status=400)
        return await self._serve(request, "user", set(), combined=False, listen_key=listen_key)

    async def _serve(
        self,
        request: web.Request,
        kind: str,
        streams: set[str],
        *,
        combined: bool,
        listen_key: str | None = None,
    ) -> web.StreamResponse:
        ws = web.WebSocketResponse(heartbeat=self.heartbeat_s)
        await ws.prepare(request)
        client = WsClient(ws, request, kind, self.faults, combined=combined, listen_key=listen_key)
        if self.probe is not None and kind == "market":
            _stamp_writes(ws, self.probe)
        client.streams |= streams
        self.hub.add(client)
        writer = asyncio.create_task(client.run_writer())
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT and kind == "market":
                    self._on_text(client, msg.data)
        finally:
            self.hub.discard(client)
            client.stop()
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(writer, 1.0)
        return ws

    def _on_text(self, client: WsClient, text: str) -> None:
        """The live subscribe protocol (docs "Live Subscribing/Unsubscribing to streams")."""
        try:
            msg = json.loads(text)
            method, rid, params = msg.get("method"), msg.get("id"), msg.get("params", [])
        except (ValueError, AttributeError):
            client.send_json({"code": 3, "msg": "Invalid JSON", "id": None}, faults=False)
            return
        reply: dict[str, Any] = {"result": None, "id": rid}
        if method == "SUBSCRIBE":
            client.streams.update(normalize_stream(str(p)) for p in params)
        elif method == "UNSUBSCRIBE":
            client.streams.difference_update(normalize_stream(str(p)) for p in params)
        elif method == "LIST_SUBSCRIPTIONS":
            reply["result"] = sorted(client.streams)
        elif method == "SET_PROPERTY" and len(params) == 2 and params[0] == "combined":
            if not isinstance(params[1], bool):
                reply = {"code": 1, "msg": "Invalid value type: expected Boolean", "id": rid}
            else:
                client.combined = params[1]
        elif method == "GET_PROPERTY" and params == ["combined"]:
            reply["result"] = client.combined
        elif method in ("SET_PROPERTY", "GET_PROPERTY"):
            reply = {"code": 0, "msg": "Unknown property", "id": rid}
        else:
            reply = {"code": 2, "msg": f"Invalid request: unknown method {method!r}", "id": rid}
        client.send_json(reply, faults=False)


def _stamp_writes(ws: web.WebSocketResponse, probe: LatencyProbe) -> None:
    """Stamp every frame this socket writes (the latency probe's "sent" time), just before
    the write: after it, the woken reader may run first and the stamp would come late."""
    send = ws.send_str

    async def send_str(data: str, *args: Any, **kwargs: Any) -> None:
        probe.kline_written(data)
        await send(data, *args, **kwargs)

    ws.send_str = send_str  # type: ignore[method-assign]
