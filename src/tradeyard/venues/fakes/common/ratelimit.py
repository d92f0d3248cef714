"""Request-weight limits per client address, the way Binance-style venues count them.

Each request costs a weight; the weights of one address add up over a fixed window (a wall
clock minute on Binance). Over the limit the request is refused with 429 and a `Retry-After`
up to the end of the window; an address that keeps sending after `ban_after` refusals in one
window is banned (418) for `ban_s` seconds. Limits are settable so a test reaches them with a
handful of requests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["LimitDecision", "WeightLimiter"]


@dataclass(frozen=True, slots=True)
class LimitDecision:
    status: Literal[200, 429, 418]
    used: int
    """Weight used by the address in the current window (after this request if admitted)."""
    retry_after: int = 0
    """Seconds, for 429 / 418."""


class WeightLimiter:
    """Fixed-window weight counter with 429 and then a 418 ban, per client address."""

    def __init__(
        self,
        limit: int = 2400,
        window_s: float = 60.0,
        ban_after: int = 5,
        ban_s: float = 120.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self.ban_after = ban_after
        self.ban_s = ban_s
        self._clock = clock
        self._window: dict[str, int] = {}
        self._used: dict[str, int] = {}
        self._refused: dict[str, int] = {}
        self._banned_until: dict[str, float] = {}

    def used(self, addr: str) -> int:
        self._roll(addr, self._clock())
        return self._used.get(addr, 0)

    def check(self, addr: str, weight: int) -> LimitDecision:
        """Admit (and count) or refuse a request of `weight` from `addr`."""
        now = self._clock()
        self._roll(addr, now)
        used = self._used.get(addr, 0)
        until = self._banned_until.get(addr, 0.0)
        if until > now:
            return LimitDecision(418, used, math.ceil(until - now))
        if used + weight > self.limit:
            refused = self._refused[addr] = self._refused.get(addr, 0) + 1
            if refused > self.ban_after:
                self._banned_until[addr] = now + self.ban_s
                return LimitDecision(418, used, math.ceil(self.ban_s))
            window_end = (self._window[addr] + 1) * self.window_s
            return LimitDecision(429, used, max(1, math.ceil(window_end - now)))
        used += weight
        self._used[addr] = used
        return LimitDecision(200, used)

    def reset(self) -> None:
        self._window.clear()
        self._used.clear()
        self._refused.clear()
        self._banned_until.clear()

    def _roll(self, addr: str, now: float) -> None:
        window = int(now // self.window_s)
        if self._window.get(addr) != window:
            self._window[addr] = window
            self._used[addr] = 0
            self._refused[addr] = 0
