"""The one door between a bot and the world: time, parameters, output, ids and randomness.

A bot reads time only from `ctx.now` (the time of the event being handled), draws randomness
only from `ctx.rng` (seeded), and sends events only through `ctx.emit`. Nothing else is given,
which is what makes a bot's journal replay to the same actions.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from tradeyard.events import Event

__all__ = ["BotContext"]


class BotContext:
    __slots__ = ("_seq", "bot_id", "emit", "now", "rng")

    def __init__(self, bot_id: str, emit: Callable[[Event], None], seed: int = 0) -> None:
        self.bot_id = bot_id
        self.now = 0
        """Event time (ms UTC) of the event being handled."""
        self.rng = random.Random(f"{bot_id}:{seed}")
        self.emit: Callable[[Event], None] = emit
        """Send an event out; the runtime puts it on the bus under its topic. The runtime's
        callable itself, not a method wrapping it: one call fewer for every order and signal."""
        self._seq = 0

    def resume_after(self, last_seq: int) -> None:
        """Continue ids after `last_seq` (a restart: the order store's last id of this bot), so
        a restarted bot never reuses a client_order_id the venue has already seen."""
        if last_seq > self._seq:
            self._seq = last_seq

    def next_id(self) -> str:
        """A deterministic id: bot id + sequence (used as client_order_id, <= 36 chars)."""
        self._seq += 1
        return f"{self.bot_id}-{self._seq}"
