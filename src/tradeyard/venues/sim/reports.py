"""Builders of the execution reports the venue publishes (one place for their field order).

Positional construction is used on purpose: these run for every fill and order change, and
msgspec Structs build fastest from positional arguments.
"""

from __future__ import annotations

from tradeyard.errors import BusError
from tradeyard.events import (
    BalanceUpdate,
    CancelOrder,
    Event,
    Fill,
    OrderStatus,
    OrderUpdate,
    PositionUpdate,
    SubmitOrder,
    topics,
)
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.fees import Liquidity
from tradeyard.venues.sim.orders import ClosedOrder, SimOrder
from tradeyard.venues.sim.risk import LiquidationBooking

__all__ = [
    "balance",
    "cancel_rejection",
    "fill",
    "liquidation",
    "liquidation_order",
    "order_update",
    "position",
    "rejected",
    "rejected_cancel",
    "rejected_closed",
    "unknown_account",
]


def order_update(
    venue: str, order: SimOrder, ts: int, status: OrderStatus, reason: str = ""
) -> OrderUpdate:
    return OrderUpdate(
        order.account.trader, venue, order.symbol, ts, order.client_order_id, status,
        order.side, order.order_type, order.qty, order.filled_qty, order.avg_price,
        order.price, order.trigger_price, order.reduce_only, reason, order.venue_order_id,
    )  # fmt: skip


def rejected(venue: str, cmd: SubmitOrder, reason: str) -> OrderUpdate:
    """The rejection of an order that never made it into the book."""
    return OrderUpdate(
        cmd.trader, venue, cmd.symbol, cmd.ts, cmd.client_order_id, "rejected", cmd.side,
        cmd.order_type, cmd.qty, price=cmd.price, trigger_price=cmd.trigger_price,
        reduce_only=cmd.reduce_only, reason=reason,
    )  # fmt: skip


def unknown_account(venue: str, cmd: SubmitOrder | CancelOrder) -> tuple[str, OrderUpdate] | None:
    """(topic, rejection) for a command of a trader without an account; None if the id is bad."""
    try:
        topic = topics.execution(cmd.trader)
    except BusError:
        return None  # no valid topic to report on: the trader id itself is malformed
    reason = f"unknown account '{cmd.trader}': open_account first"
    if isinstance(cmd, SubmitOrder):
        return topic, rejected(venue, cmd, reason)
    return topic, rejected_cancel(venue, cmd, reason)


def cancel_rejection(venue: str, cmd: CancelOrder, closed: ClosedOrder | None) -> OrderUpdate:
    """The rejection of a cancel for an order that is not open (`closed`: what is remembered)."""
    if closed is None:
        return rejected_cancel(venue, cmd, f"unknown order {cmd.client_order_id}")
    reason = f"order {cmd.client_order_id} is already {closed.status}: nothing to cancel"
    return rejected_closed(venue, cmd, closed, reason)


def rejected_cancel(venue: str, cmd: CancelOrder, reason: str) -> OrderUpdate:
    """The rejection of a cancel for an order the venue knows nothing about."""
    return OrderUpdate(
        cmd.trader, venue, cmd.symbol, cmd.ts, cmd.client_order_id, "rejected", "buy",
        "market", 0.0, reason=reason,
    )  # fmt: skip


def rejected_closed(venue: str, cmd: CancelOrder, closed: ClosedOrder, reason: str) -> OrderUpdate:
    """The rejection of a cancel for an order that is no longer open."""
    return OrderUpdate(
        cmd.trader, venue, closed.symbol, cmd.ts, cmd.client_order_id, "rejected", closed.side,
        closed.order_type, closed.qty, reason=reason,
    )  # fmt: skip


def fill(
    venue: str,
    order: SimOrder,
    ts: int,
    qty: float,
    price: float,
    fee: float,
    liquidity: Liquidity,
    realized: float,
    fill_id: str,
) -> Fill:
    return Fill(
        order.account.trader, venue, order.symbol, ts, order.client_order_id, order.side, qty,
        price, fee, liquidity, realized, fill_id,
    )  # fmt: skip


def position(venue: str, pos: Position, ts: int) -> PositionUpdate:
    return PositionUpdate(
        pos.account.trader, venue, pos.symbol, ts, pos.qty, pos.entry_price, pos.leverage,
        pos.unrealized_pnl, pos.liquidation_price,
    )  # fmt: skip


def liquidation_order(
    venue: str, pos: Position, ts: int, signed_qty: float, price: float, client_order_id: str
) -> SimOrder:
    """The (already filled) market order the liquidation engine closed `pos` with.

    Built only to report it like any order (Fill, OrderUpdate) and to keep its id taken.
    """
    cmd = SubmitOrder(
        pos.account.trader, venue, pos.symbol, ts, client_order_id,
        "buy" if signed_qty > 0.0 else "sell", "market", abs(signed_qty), reduce_only=True,
        tag="liquidation",
    )  # fmt: skip
    order = SimOrder(cmd, pos.account, pos.leverage, client_order_id)
    order.filled_qty = abs(signed_qty)
    order.avg_price = price
    order.status = "filled"
    return order


def balance(
    venue: str, acct: Account, ts: int, reason: str, delta: float, symbol: str = ""
) -> BalanceUpdate:
    """The wallet after a deposit, a fill or a funding payment (`symbol`: what it concerns)."""
    return BalanceUpdate(
        acct.trader, venue, ts, acct.asset, acct.wallet_balance, acct.available, reason, delta,
        symbol,
    )  # fmt: skip


def liquidation(
    venue: str,
    pos: Position,
    ts: int,
    price: float,
    booking: LiquidationBooking,
    reason: str,
    client_order_id: str,
    fill_id: str,
) -> tuple[SimOrder, tuple[Event, ...]]:
    """The liquidation order and its reports: Fill, OrderUpdate, PositionUpdate, BalanceUpdate."""
    order = liquidation_order(venue, pos, ts, booking.qty, price, client_order_id)
    acct = pos.account
    group = (
        fill(venue, order, ts, order.qty, price, booking.fee, "taker", booking.realized_pnl,
             fill_id),
        order_update(venue, order, ts, "filled", reason),
        position(venue, pos, ts),
        balance(venue, acct, ts, "liquidation", booking.wallet_delta, pos.symbol),
    )  # fmt: skip
    return order, group
