"""The in-process transport: the default, and what backtests run on.

Delivery is synchronous and breadth-first: an event published from inside a handler is queued
and delivered after the current one has reached all its subscribers. That is the order an
asynchronous transport would give (a bot's output is seen after its handler returns), so a
backtest and a multi-process deployment see events in the same order, and the order is
deterministic: subscribers are called in the order they subscribed.

Handler lists are resolved once per topic and cached, so a publish in steady state is a dict
lookup and a loop over the matching handlers: O(1) in the number of topics.
"""

from __future__ import annotations

from collections import deque

from tradeyard.bus._protocol import Handler
from tradeyard.errors import BusError
from tradeyard.events import Event
from tradeyard.events.topics import matches, validate_pattern, validate_topic

__all__ = ["InProcessBus", "InProcessSubscription"]


class InProcessSubscription:
    __slots__ = ("_bus", "handler", "pattern")

    def __init__(self, bus: InProcessBus, pattern: str, handler: Handler) -> None:
        self._bus = bus
        self.pattern = pattern
        self.handler = handler

    def unsubscribe(self) -> None:
        self._bus._remove(self)


class InProcessBus:
    """A Bus inside one process. Not thread-safe: use it from one thread (or one event loop)."""

    def __init__(self) -> None:
        self._subs: list[InProcessSubscription] = []
        self._cache: dict[str, tuple[Handler, ...]] = {}
        self._queue: deque[tuple[tuple[Handler, ...], str, Event]] = deque()
        self._dispatching = False
        self._closed = False

    # -- Bus protocol ------------------------------------------------------------------------
    def publish(self, topic: str, event: Event) -> None:
        handlers = self._cache.get(topic)
        if handlers is None:
            handlers = self._resolve(topic)
        if self._dispatching:
            self._queue.append((handlers, topic, event))
            return
        self._dispatching = True
        try:
            for h in handlers:
                h(topic, event)
            queue = self._queue
            while queue:
                hs, t, e = queue.popleft()
                for h in hs:
                    h(t, e)
        except BaseException:
            self._queue.clear()
            raise
        finally:
            self._dispatching = False

    def subscribe(self, pattern: str, handler: Handler) -> InProcessSubscription:
        if self._closed:
            raise BusError(f"cannot subscribe to {pattern!r}: the bus is closed")
        validate_pattern(pattern)
        sub = InProcessSubscription(self, pattern, handler)
        self._subs.append(sub)
        self._cache.clear()
        return sub

    def close(self) -> None:
        self._closed = True
        self._subs.clear()
        self._cache.clear()
        self._queue.clear()

    # -- batch delivery (the backtest engine's hot path) ------------------------------------
    def handlers(self, topic: str) -> tuple[Handler, ...]:
        """The handlers a publish on `topic` would call, in order (resolved once, cached)."""
        handlers = self._cache.get(topic)
        return handlers if handlers is not None else self._resolve(topic)

    def hold(self) -> deque[tuple[tuple[Handler, ...], str, Event]]:
        """Enter a held dispatch: every publish is queued until `drain`. Returns the queue.

        The backtest engine holds the bus for a whole run and hands each bar straight to the
        bar topic's `handlers`, then drains: the same breadth-first order as `publish`, without
        its per-call bookkeeping. Pair with `release`.
        """
        if self._dispatching:
            raise BusError("hold() while the bus is already dispatching")
        self._dispatching = True
        return self._queue

    def drain(self) -> None:
        """Deliver queued events (and what they cause) until the queue is empty."""
        queue = self._queue
        try:
            while queue:
                hs, t, e = queue.popleft()
                for h in hs:
                    h(t, e)
        except BaseException:
            queue.clear()
            raise

    def release(self) -> None:
        """Drain and leave the held dispatch."""
        try:
            self.drain()
        finally:
            self._dispatching = False

    @property
    def idle(self) -> bool:
        return not self._dispatching and not self._queue

    # -- internals --------------------------------------------------------------------------
    def _resolve(self, topic: str) -> tuple[Handler, ...]:
        validate_topic(topic)
        handlers = tuple(s.handler for s in self._subs if matches(s.pattern, topic))
        self._cache[topic] = handlers
        return handlers

    def _remove(self, sub: InProcessSubscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            self._cache.clear()
