"""Running and waiting in async tests (see the package docstring)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

__all__ = ["run", "wait_until"]

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T], timeout_s: float = 30.0) -> T:
    """Run `coro` in a fresh event loop; TimeoutError after `timeout_s` seconds."""
    return asyncio.run(asyncio.wait_for(coro, timeout_s))


async def wait_until(
    check: Callable[[], bool], timeout_s: float = 5.0, every_s: float = 0.005
) -> None:
    """Return once `check()` is true (polled every `every_s`); TimeoutError after `timeout_s`."""
    async with asyncio.timeout(timeout_s):
        while not check():
            await asyncio.sleep(every_s)
