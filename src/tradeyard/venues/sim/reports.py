"""Builders of the execution reports the venue publishes (one place for their field order).

Positional construction is used on purpose: these run for every fill and order change, and
msgspec Structs build fastest from positional arguments.
"""

from __future__ import annotations

from tradeyard.events import (
    BalanceUpdate,
    CancelOrder,
    Fill,
    OrderStatus,
    OrderUpdate,
    PositionUpdate,
    SubmitOrder,
)
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.fees import Liquidity
from tradeyard.venues.sim.orders import ClosedOrder, SimOrder

__all__ = [
    "balance",
    "fill",
    "order_update",
    "position",
    "rejected",
    "rejected_cancel",
    "rejected_closed",
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
        pos.unrealized_pnl,
    )  # fmt: skip


def balance(
    venue: str, acct: Account, ts: int, reason: str, delta: float, symbol: str = ""
) -> BalanceUpdate:
    """The wallet after a deposit, a fill or a funding payment (`symbol`: what it concerns)."""
    return BalanceUpdate(
        acct.trader, venue, ts, acct.asset, acct.wallet_balance, acct.available, reason, delta,
        symbol,
    )  # fmt: skip
