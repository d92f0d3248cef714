"""The Bot base: a deterministic event processor.

The runtime calls `on_event(topic, event)`; the base sets `ctx.now` from the event and calls the
handler named after the event type (`on_bar`, `on_signal`, `on_fill`, ...). Every handler is
optional. What a bot produces it sends with `ctx.emit`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import ClassVar

from tradeyard.bots.context import BotContext
from tradeyard.events import EVENT_TYPES, Event

__all__ = ["Bot", "handler_name"]


def handler_name(event_type: type[Event]) -> str:
    """`FundingRate` -> `on_funding_rate`."""
    return "on_" + re.sub(r"(?<!^)(?=[A-Z])", "_", event_type.__name__).lower()


class Bot:
    """Base of signal bots and traders. Subclasses declare what they listen to in `subscriptions`."""

    kind: ClassVar[str] = "bot"

    def __init__(self, ctx: BotContext) -> None:
        self.ctx = ctx
        self.paused = False
        handlers: dict[type[Event], Callable[[Event], None]] = {}
        for et in EVENT_TYPES:
            fn = getattr(self, handler_name(et), None)
            if fn is not None:
                handlers[et] = fn
        self._handlers = handlers

    @property
    def bot_id(self) -> str:
        return self.ctx.bot_id

    def subscriptions(self) -> list[str]:
        """Topic patterns this bot listens to."""
        return []

    def handlers(self) -> list[tuple[str, Callable[[str, Event], None]]]:
        """(pattern, handler) pairs the runtime subscribes; by default `on_event` for each pattern.

        A bot may bind a hot topic to a dedicated handler (StrategyBot does, for bars).
        """
        return [(pattern, self.on_event) for pattern in self.subscriptions()]

    def on_event(self, topic: str, event: Event) -> None:
        handler = self._handlers.get(type(event))
        if handler is None:
            return
        self.ctx.now = event.ts  # type: ignore[attr-defined]
        handler(event)

    def on_start(self) -> None:
        """Called once before the first event."""

    def on_stop(self) -> None:
        """Called once after the last event."""
