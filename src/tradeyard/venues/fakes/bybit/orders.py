"""The fake's records of orders and executions, in Bybit's terms.

Bybit knows an order by a UUID `orderId` and an optional `orderLinkId` (unique among open
orders); the simulated venue needs a client id that never repeats, so each order reaches the
sim under its `orderId` and the sim's reports are mapped back through it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPEN", "BybitExecution", "BybitOrder"]

OPEN = frozenset(("New", "PartiallyFilled", "Untriggered"))


@dataclass(slots=True)
class BybitOrder:
    """One order as GET /v5/order/realtime shows it."""

    order_id: str
    order_link_id: str
    symbol: str
    side: str
    """Buy / Sell."""
    order_type: str
    """Market / Limit."""
    time_in_force: str
    qty: float
    price: float
    reduce_only: bool
    created: int
    updated: int
    trigger_price: float = 0.0
    trigger_direction: int = 0
    """1: triggers when the price rises to `trigger_price`, 2: when it falls to it."""
    status: str = "New"
    cum_qty: float = 0.0
    cum_value: float = 0.0
    cum_fee: float = 0.0
    avg_price: float = 0.0
    cancel_type: str = "UNKNOWN"
    reject_reason: str = "EC_NoError"

    @property
    def conditional(self) -> bool:
        return self.trigger_price > 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True, slots=True)
class BybitExecution:
    """One fill as GET /v5/execution/list and the `execution` topic show it."""

    exec_id: str
    order: BybitOrder
    price: float
    qty: float
    fee: float
    pnl: float
    maker: bool
    time: int
    leaves_qty: float
