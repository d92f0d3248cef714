"""Exponential backoff with full jitter, for every reconnect and retry loop of the live adapters.

The n-th wait (n = 0, 1, …) is drawn uniformly from [0, min(cap, base × factor^n)] ("full
jitter", AWS architecture blog "Exponential Backoff And Jitter"): after an outage that hit many
loops (or many bots) at once they do not all come back in the same instant. `reset()` after a
success starts the sequence over. The random source is injectable so tests are deterministic.
"""

from __future__ import annotations

import asyncio
import random

__all__ = ["Backoff"]


class Backoff:
    """Delays of one retry loop: `next_delay()` (or `await sleep()`), `reset()` on success."""

    __slots__ = ("_rng", "attempts", "base_s", "cap_s", "factor")

    def __init__(
        self,
        base_s: float,
        cap_s: float = 30.0,
        factor: float = 2.0,
        rng: random.Random | None = None,
    ) -> None:
        if base_s < 0 or cap_s < 0 or factor < 1:
            raise ValueError(
                f"backoff needs base_s >= 0, cap_s >= 0 and factor >= 1; found "
                f"base_s={base_s!r}, cap_s={cap_s!r}, factor={factor!r}"
            )
        self.base_s = base_s
        self.cap_s = cap_s
        self.factor = factor
        self._rng = rng if rng is not None else random.Random()
        self.attempts = 0
        """Delays handed out since the last `reset()`."""

    def __repr__(self) -> str:
        return (
            f"Backoff(base_s={self.base_s}, cap_s={self.cap_s}, factor={self.factor}, "
            f"attempts={self.attempts})"
        )

    def ceiling(self, attempt: int | None = None) -> float:
        """The largest delay of `attempt` (default: the next one)."""
        n = self.attempts if attempt is None else attempt
        if self.base_s == 0:
            return 0.0
        try:
            grown = self.base_s * self.factor ** min(n, 64)
        except OverflowError:  # pragma: no cover - factor**64 overflows only for huge factors
            grown = self.cap_s
        return min(self.cap_s, grown)

    def next_delay(self) -> float:
        """The next delay in seconds, drawn from [0, ceiling]; counts the attempt."""
        delay = self._rng.uniform(0.0, self.ceiling())
        self.attempts += 1
        return delay

    async def sleep(self) -> float:
        """Sleep the next delay; return it."""
        delay = self.next_delay()
        await asyncio.sleep(delay)
        return delay

    def reset(self) -> None:
        self.attempts = 0
