"""Open orders of one account on one symbol, with bracket (parent → children) and OCO links.

Kept per (account, symbol) because traders never interact on a simulated venue (no market
impact), so each trader's orders are matched against the bar independently. Dicts keep
insertion order, which makes matching deterministic: earlier orders are considered first.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

from tradeyard.events import OrderStatus, OrderType, Side, SubmitOrder

if TYPE_CHECKING:
    from tradeyard.venues.sim.account import Account

__all__ = ["ALWAYS", "OPEN_STATUSES", "ClosedOrder", "OrderBook", "SimOrder"]

OPEN_STATUSES = frozenset(("new", "partially_filled"))
ALWAYS = -(2**62)
"""`SimOrder.not_before` of an order that may match any bar."""


class ClosedOrder(NamedTuple):
    """What the venue remembers of a closed order.

    Enough for duplicate ids, late children of a filled parent and cancel rejections, at a
    fraction of a live order's memory (a long backtest closes millions of orders).
    """

    status: OrderStatus
    symbol: str
    side: Side
    order_type: OrderType
    qty: float


class SimOrder:
    """The venue's mutable view of one order.

    `level` is the price the order reacts to (limit price, or trigger price for stop and
    take-profit) and `upward` says on which side of it: True when the order fires as the price
    rises to `level` (buy stop, sell take-profit, sell limit), False when it falls to it.
    `at_open` orders are handled at the next bar's open (market orders, limits that were
    marketable when placed, IOC limits). `active` is False for bracket children whose parent has
    not filled yet. Orders that arrive while a bar is being matched (a trader reacting to a
    fill) get `not_before` = that bar's close + 1, so no bar of the same period can fill them.
    """

    __slots__ = (
        "_rem",
        "_rem_at",
        "account",
        "active",
        "at_open",
        "avg_price",
        "client_order_id",
        "filled_qty",
        "is_buy",
        "level",
        "leverage",
        "not_before",
        "oco_group",
        "order_type",
        "parent_id",
        "price",
        "qty",
        "reduce_only",
        "reserved",
        "side",
        "status",
        "symbol",
        "tag",
        "time_in_force",
        "trigger_price",
        "upward",
        "venue_order_id",
    )

    def __init__(
        self, cmd: SubmitOrder, account: Account, leverage: float, venue_order_id: str
    ) -> None:
        self.account = account
        self.client_order_id = cmd.client_order_id
        self.symbol = cmd.symbol
        self.side: Side = cmd.side
        self.is_buy = cmd.side == "buy"
        self.order_type: OrderType = cmd.order_type
        self.qty = cmd.qty
        self.price = cmd.price
        self.trigger_price = cmd.trigger_price
        self.reduce_only = cmd.reduce_only
        self.time_in_force = cmd.time_in_force
        self.leverage = leverage
        self.parent_id = cmd.parent_id
        self.oco_group = cmd.oco_group
        self.tag = cmd.tag
        self.venue_order_id = venue_order_id
        self.status = "new"
        self.filled_qty = 0.0
        self._rem_at = math.nan
        """The `filled_qty` that `_rem` (the cached `remaining`) was computed for."""
        self._rem = 0.0
        self.avg_price: float | None = None
        self.reserved = 0.0
        self.active = cmd.parent_id is None
        self.not_before = ALWAYS
        """Bars opening before this time do not match the order (see `SimVenue._submit`)."""
        self.at_open = cmd.order_type == "market"
        if cmd.order_type == "limit":
            self.level = cmd.price if cmd.price is not None else 0.0
            self.upward = not self.is_buy
        else:
            self.level = cmd.trigger_price if cmd.trigger_price is not None else 0.0
            # A buy stop fires on a rise, a buy take-profit on a fall (and mirrored for sells).
            self.upward = self.is_buy == (cmd.order_type == "stop")

    @property
    def remaining(self) -> float:
        """qty − filled_qty, rounded. Cached per `filled_qty`: matching and booking one fill
        ask for it several times, and each round() costs as much as the rest of the check."""
        filled = self.filled_qty
        if filled != self._rem_at:
            self._rem_at = filled
            self._rem = round(self.qty - filled, 12)
        return self._rem

    def release(self, qty: float) -> float:
        """Take the share of `reserved` a fill of `qty` uses up off the order; return it.

        Partial fills (a volume cap) then stop holding margin for what has already filled.
        """
        remaining = self.remaining
        part = self.reserved if qty >= remaining else self.reserved * qty / remaining
        self.reserved -= part
        return part

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return (
            f"SimOrder({self.client_order_id!r} {self.side} {self.order_type} {self.qty!r} "
            f"level={self.level!r} status={self.status} active={self.active})"
        )


class OrderBook:
    """Open orders (active or waiting for a parent) of one account on one symbol."""

    __slots__ = ("_children", "_oco", "account", "orders", "symbol")

    def __init__(self, account: Account, symbol: str) -> None:
        self.account = account
        self.symbol = symbol
        self.orders: dict[str, SimOrder] = {}
        self._children: dict[str, list[SimOrder]] = {}
        self._oco: dict[str, list[SimOrder]] = {}

    def __len__(self) -> int:
        return len(self.orders)

    def add(self, order: SimOrder) -> None:
        self.orders[order.client_order_id] = order
        if order.parent_id is not None and not order.active:
            self._children.setdefault(order.parent_id, []).append(order)
        if order.oco_group is not None:
            self._oco.setdefault(order.oco_group, []).append(order)

    def remove(self, order: SimOrder) -> None:
        """Forget a closed order (its own children stay linked until `pop_children`)."""
        self.orders.pop(order.client_order_id, None)
        if order.oco_group is not None:
            group = self._oco.get(order.oco_group)
            if group is not None:
                group.remove(order)
                if not group:
                    del self._oco[order.oco_group]
        if order.parent_id is not None:
            kids = self._children.get(order.parent_id)
            if kids is not None and order in kids:
                kids.remove(order)
                if not kids:
                    del self._children[order.parent_id]

    def pop_children(self, parent_id: str) -> Sequence[SimOrder]:
        """The orders waiting for `parent_id`, unlinked (to be activated or canceled).

        Most orders have none: the empty answer is a shared tuple, not a new list."""
        return self._children.pop(parent_id, ())

    def oco_siblings(self, order: SimOrder) -> Sequence[SimOrder]:
        """The other open orders of `order`'s OCO group."""
        if order.oco_group is None:
            return ()
        return [o for o in self._oco.get(order.oco_group, ()) if o is not order]

    def get(self, client_order_id: str) -> SimOrder | None:
        return self.orders.get(client_order_id)
