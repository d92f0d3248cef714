"""The websocket side of a fake server: who is connected, what they listen to, how it is sent.

Producers (the replay step, the simulated venue's reports) are synchronous, so sending is split
in two: `WsClient.send_*` queues the text at once (keeping the order of events), and one writer
task per connection drains the queue onto the socket. `WsHub.flush()` waits until every queue
is written, which is what makes `advance()` deterministic for tests.

Fault injection lives here because it is about delivery: duplicated and out-of-order messages
(taken from `Faults` per message queued), silence (`Faults.ws_silent` for every connection,
`WsClient.silenced` or `WsHub.silence()` for some: the socket stays open, nothing arrives), and
dropping every connection at once, either with a close frame or by cutting the TCP connection
as a network failure would.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable
from typing import Any, Literal

import msgspec
from aiohttp import web

from tradeyard.venues.fakes.common.faults import Faults

__all__ = ["DropMode", "WsClient", "WsHub"]

log = logging.getLogger(__name__)
DropMode = Literal["abort", "close"]
_encode = msgspec.json.Encoder().encode


class WsClient:
    """One websocket connection: its subscriptions and its send queue."""

    def __init__(
        self,
        ws: web.WebSocketResponse,
        request: web.Request,
        kind: str,
        faults: Faults,
        *,
        combined: bool = False,
        listen_key: str | None = None,
    ) -> None:
        self.ws = ws
        self.kind = kind
        """"market" or "user" (the hub routes by it)."""
        self.combined = combined
        """Wrap payloads as {"stream": name, "data": payload} (Binance `/stream`)."""
        self.listen_key = listen_key
        self.streams: set[str] = set()
        self._transport = request.transport
        self._faults = faults
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._held: str | None = None
        self._open = True
        self.silenced = False
        """This connection sends nothing from now on (messages are discarded), but stays open."""

    # -- queueing (synchronous) ---------------------------------------------------------------
    def send_event(self, stream: str, raw: bytes) -> None:
        """Queue an already encoded payload of `stream`, wrapped if the connection is combined."""
        text = raw.decode()
        if self.combined:
            text = f'{{"stream":"{stream}","data":{text}}}'
        self.send_text(text)

    def send_json(self, payload: Any, *, faults: bool = True) -> None:
        self.send_text(_encode(payload).decode(), faults=faults)

    def send_text(self, text: str, *, faults: bool = True) -> None:
        if not self._open or self.silenced or self._faults.ws_silent:
            return
        if faults and self._held is None and self._faults.take_reorder():
            self._held = text  # goes out after the next message
            return
        self._queue.put_nowait(text)
        if faults and self._faults.take_duplicate():
            self._queue.put_nowait(text)
        if self._held is not None and faults:
            self._queue.put_nowait(self._held)
            self._held = None

    def release_held(self) -> None:
        if self._held is not None:
            self._queue.put_nowait(self._held)
            self._held = None

    # -- writing (async) ----------------------------------------------------------------------
    async def run_writer(self) -> None:
        """Drain the queue onto the socket until `stop()` or the socket fails."""
        while True:
            text = await self._queue.get()
            try:
                if text is None:
                    return
                if not self.ws.closed:
                    await self.ws.send_str(text)
            except (ConnectionError, RuntimeError):
                self._open = False  # the peer went away; keep draining so flush() returns
            finally:
                self._queue.task_done()

    def stop(self) -> None:
        self._open = False
        self._queue.put_nowait(None)

    async def drained(self) -> None:
        await self._queue.join()

    async def drop(self, mode: DropMode) -> None:
        self._open = False
        if mode == "abort" and self._transport is not None:
            self._transport.abort()  # no close frame: the peer sees the connection vanish
        else:
            await self.ws.close(code=1001, message=b"fake exchange: connection dropped")


class WsHub:
    """Every open websocket of one server, with routing by stream name or listen key."""

    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.clients: set[WsClient] = set()

    def add(self, client: WsClient) -> None:
        self.clients.add(client)

    def discard(self, client: WsClient) -> None:
        self.clients.discard(client)

    def subscribed(self) -> set[str]:
        """The market stream names someone listens to (producers skip the others)."""
        out: set[str] = set()
        for c in self.clients:
            if c.kind == "market":
                out |= c.streams
        return out

    def publish(self, stream: str, payload: Any) -> None:
        """Send a market payload to every connection subscribed to `stream`."""
        raw: bytes | None = None
        for c in self.clients:
            if c.kind == "market" and stream in c.streams:
                raw = raw if raw is not None else _encode(payload)
                c.send_event(stream, raw)

    def to_user(self, listen_key: str, payload: Any) -> None:
        """Send a user-data payload to the connections of `listen_key`."""
        raw: bytes | None = None
        for c in self.clients:
            if c.kind == "user" and c.listen_key == listen_key:
                raw = raw if raw is not None else _encode(payload)
                c.send_event(listen_key, raw)

    def silence(self, clients: Iterable[WsClient] | None = None) -> int:
        """Silence connections (all open ones by default): they stay open but send nothing
        more; connections opened later are not affected. Returns how many."""
        victims = list(self.clients if clients is None else clients)
        for c in victims:
            c.silenced = True
        if victims:
            log.info("silenced %d websocket connection(s)", len(victims))
        return len(victims)

    def of_listen_key(self, listen_key: str) -> list[WsClient]:
        return [c for c in self.clients if c.kind == "user" and c.listen_key == listen_key]

    async def flush(self, timeout: float = 5.0) -> None:
        """Wait until everything queued so far is written (held messages are released)."""
        clients = list(self.clients)
        for c in clients:
            c.release_held()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.gather(*(c.drained() for c in clients))

    async def drop(
        self, mode: DropMode = "abort", clients: Iterable[WsClient] | None = None
    ) -> int:
        """Drop connections (all by default); return how many."""
        victims = list(self.clients if clients is None else clients)
        for c in victims:
            self.discard(c)
            try:
                await c.drop(mode)
            except (ConnectionError, RuntimeError) as e:
                log.debug("dropping a websocket failed: %s", e)
        if victims:
            log.info("dropped %d websocket connection(s) (%s)", len(victims), mode)
        return len(victims)
