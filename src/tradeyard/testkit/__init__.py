"""Helpers for testing bots and adapters against the local fake exchanges.

`run` drives one coroutine to completion under a time limit in a fresh event loop (no asyncio
plugin needed); `wait_until` polls a condition, so a test waits for an effect instead of
sleeping a guessed time.
"""

from __future__ import annotations

from tradeyard.testkit.aio import run, wait_until

__all__ = ["run", "wait_until"]
