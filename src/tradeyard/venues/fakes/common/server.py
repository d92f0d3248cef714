"""Starting and stopping an aiohttp application on a local port.

Fakes bind to 127.0.0.1 only: they accept any client that signs with a known test key and must
never be reachable from another machine. Port 0 asks the OS for a free port (what tests use, so
parallel runs never collide); `port` tells which one was given.
"""

from __future__ import annotations

import logging

from aiohttp import web

__all__ = ["LocalServer"]

log = logging.getLogger(__name__)
HOST = "127.0.0.1"


class LocalServer:
    """One aiohttp app served on 127.0.0.1:`port` (0: any free port)."""

    def __init__(self, app: web.Application, port: int = 0) -> None:
        self._app = app
        self._requested = port
        self._runner: web.AppRunner | None = None
        self.port = port

    async def start(self) -> None:
        # No access log: request lines carry signatures, and a fake should stay quiet.
        self._runner = web.AppRunner(
            self._app, access_log=None, handle_signals=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, HOST, self._requested, reuse_address=True)
        await site.start()
        for addr in self._runner.addresses:
            if isinstance(addr, tuple) and addr[0] == HOST:
                self.port = int(addr[1])
                break
        log.info("listening on http://%s:%d", HOST, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_base_url(self) -> str:
        return f"ws://{HOST}:{self.port}"
