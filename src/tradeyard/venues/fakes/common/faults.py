"""Fault injection: the failures a live venue inflicts, on demand, so clients can be tested on them.

One mutable `Faults` object per fake server, shared by its REST middleware (latency, 429 storms,
order rejections) and its websocket hub (duplicated, out-of-order and withheld messages). Tests
set its
fields directly; a running server also takes the same settings as JSON on its admin endpoint
(`Faults.update`). One-shot actions that need the server (drop every websocket now, expire
listen keys now) are methods of the server, not state here.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from tradeyard.errors import ConfigError

__all__ = ["Faults", "OrderRejection"]


@dataclass(frozen=True, slots=True)
class OrderRejection:
    """Answer the next order with this venue error code (and message, else the code's own)."""

    code: int
    msg: str | None = None


@dataclass(slots=True)
class Faults:
    """What the server does wrong right now. All zero / empty: a well-behaved venue."""

    rest_latency_ms: float = 0.0
    """Added before every REST answer (admin endpoints excepted)."""
    storm_429: int = 0
    """The next N REST requests answer HTTP 429 (-1003) whatever their weight."""
    storm_retry_after_s: int = 1
    """`Retry-After` of the storm's answers."""
    ws_duplicate: int = 0
    """The next N websocket messages (counted per connection send) are sent twice."""
    ws_reorder: int = 0
    """The next N websocket messages are held back and sent after the message that follows."""
    ws_silent: bool = False
    """Every websocket goes quiet: nothing is sent (market data, user data, protocol answers)
    while the connections stay open and websocket-level pings are still answered, the way a
    stalled gateway or a half-open TCP connection looks to a client. Messages produced
    meanwhile are lost, as on a real stall. `WsClient.silenced` does it for one connection."""
    ws_drop_every_s: float | None = None
    """Drop every websocket connection periodically. The server runs the timer: set it with
    `set_ws_drop_every` or the admin endpoint, not by writing this field."""
    reject_orders: deque[OrderRejection] = field(default_factory=deque)
    """Rejections for the next orders, oldest first."""

    def take_429(self) -> bool:
        if self.storm_429 > 0:
            self.storm_429 -= 1
            return True
        return False

    def take_duplicate(self) -> bool:
        if self.ws_duplicate > 0:
            self.ws_duplicate -= 1
            return True
        return False

    def take_reorder(self) -> bool:
        if self.ws_reorder > 0:
            self.ws_reorder -= 1
            return True
        return False

    def take_order_rejection(self) -> OrderRejection | None:
        return self.reject_orders.popleft() if self.reject_orders else None

    def reject_next_order(self, code: int, msg: str | None = None) -> None:
        self.reject_orders.append(OrderRejection(code, msg))

    def update(self, settings: dict[str, Any]) -> None:
        """Apply admin JSON such as {"rest_latency_ms": 50, "storm_429": 10,
        "reject_next_order": {"code": -2019}}; unknown keys are refused, naming them."""
        numeric = {
            "rest_latency_ms": float,
            "storm_429": int,
            "storm_retry_after_s": int,
            "ws_duplicate": int,
            "ws_reorder": int,
        }
        for key, value in settings.items():
            try:
                if key in numeric:
                    number = numeric[key](value)
                    if number < 0:
                        raise ValueError("must be >= 0")
                    setattr(self, key, number)
                elif key == "ws_silent":
                    if not isinstance(value, bool):
                        raise ValueError("must be true or false")
                    self.ws_silent = value
                elif key == "ws_drop_every_s":
                    self.ws_drop_every_s = None if value in (None, 0) else float(value)
                elif key == "reject_next_order":
                    self.reject_next_order(int(value["code"]), value.get("msg"))
                else:
                    raise ConfigError(
                        f"unknown fault {key!r}: expected one of "
                        f"{', '.join([*numeric, 'ws_silent', 'ws_drop_every_s', 'reject_next_order'])}"
                    )
            except (TypeError, ValueError, KeyError) as e:
                raise ConfigError(f"fault {key}={value!r} is not valid ({e})", where=key) from e

    def snapshot(self) -> dict[str, Any]:
        return {
            "rest_latency_ms": self.rest_latency_ms,
            "storm_429": self.storm_429,
            "storm_retry_after_s": self.storm_retry_after_s,
            "ws_duplicate": self.ws_duplicate,
            "ws_reorder": self.ws_reorder,
            "ws_silent": self.ws_silent,
            "ws_drop_every_s": self.ws_drop_every_s,
            "reject_orders": [{"code": r.code, "msg": r.msg} for r in self.reject_orders],
        }

    def clear(self) -> None:
        self.rest_latency_ms = 0.0
        self.storm_429 = self.ws_duplicate = self.ws_reorder = 0
        self.ws_silent = False
        self.ws_drop_every_s = None
        self.reject_orders.clear()
