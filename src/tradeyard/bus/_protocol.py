"""The Bus protocol: what every transport (in-process, ZeroMQ, NATS, WebSocket gateway) offers.

Bots never see a bus: the runtime subscribes them and publishes what they emit. That is why a
transport can change in the config without touching a bot.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from tradeyard.events import Event

__all__ = ["Bus", "Handler", "Subscription"]

Handler = Callable[[str, Event], None]
"""Called with (topic, event) for every event whose topic matches the subscription's pattern."""


class Subscription(Protocol):
    pattern: str

    def unsubscribe(self) -> None: ...


@runtime_checkable
class Bus(Protocol):
    def publish(self, topic: str, event: Event) -> None:
        """Deliver `event` to every subscriber whose pattern matches `topic`."""

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        """Call `handler` for each event on a topic matching `pattern` (`*` one token, `>` the rest)."""

    def close(self) -> None:
        """Stop delivering; release the transport."""
