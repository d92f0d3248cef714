"""Typed rows of the store, and how bus events become rows.

The store speaks in `OrderRecord` / `FillRecord` / `PositionRecord` (plain frozen
dataclasses), so callers never see SQL types, and the event → row mapping lives in one place. An
intent is a SubmitOrder written *before* it is sent: status "pending", nothing filled yet.

A position's entry price follows `tradeyard.events.position_math.entry_after`, the rule Binance
and Bybit (one-way mode) report `entryPrice` by, so a restored trader margins its position as
the exchange does.
"""

from __future__ import annotations

from dataclasses import dataclass

from tradeyard.events import Fill, OrderUpdate, SubmitOrder

__all__ = [
    "FINISHED",
    "UNFINISHED",
    "FillRecord",
    "OrderRecord",
    "PositionRecord",
    "fill_record",
    "intent_record",
    "sequence_of",
    "update_record",
]

UNFINISHED = ("pending", "new", "partially_filled")
"""States after which the exchange may still change the order: reconciled on restart."""
FINISHED = ("filled", "canceled", "rejected", "expired")


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """The latest known state of one order (`status` is an OrderStatus or "pending")."""

    client_order_id: str
    trader: str
    venue: str
    symbol: str
    side: str
    order_type: str
    qty: float
    status: str
    created_ms: int
    updated_ms: int
    price: float | None = None
    trigger_price: float | None = None
    reduce_only: bool = False
    filled_qty: float = 0.0
    avg_price: float | None = None
    venue_order_id: str = ""
    reason: str = ""
    take_profit: float | None = None
    stop_loss: float | None = None
    """The bracket exits the trader attaches once this entry fills (from the intent)."""

    @property
    def finished(self) -> bool:
        return self.status in FINISHED


@dataclass(frozen=True, slots=True)
class FillRecord:
    venue: str
    symbol: str
    fill_id: str
    client_order_id: str
    trader: str
    side: str
    qty: float
    price: float
    fee: float
    liquidity: str
    ts: int
    realized_pnl: float = 0.0


@dataclass(frozen=True, slots=True)
class PositionRecord:
    """What one trader holds on one symbol of a venue, from its recorded fills."""

    trader: str
    symbol: str
    qty: float
    """Net signed quantity: Σ buys − Σ sells (> 0 long), rounded to 12 decimals, never 0."""
    entry_price: float | None
    """Entry price of the open quantity (see `entry_after`); None only if float noise made the
    ts-ordered walk end flat while the sum did not."""
    fills: int
    """How many fills of the trader on the symbol the store holds (all of them, not only the
    ones since it was last flat)."""


def sequence_of(client_order_id: str) -> int | None:
    """'trend-1-42' → 42; None when the id does not end in `-<digits>`."""
    _, sep, tail = client_order_id.rpartition("-")
    return int(tail) if sep and tail.isdigit() else None


def intent_record(cmd: SubmitOrder, now_ms: int) -> OrderRecord:
    """The row written before a SubmitOrder is sent."""
    return OrderRecord(
        cmd.client_order_id, cmd.trader, cmd.venue, cmd.symbol, cmd.side, cmd.order_type,
        cmd.qty, "pending", now_ms, now_ms, price=cmd.price, trigger_price=cmd.trigger_price,
        reduce_only=cmd.reduce_only, take_profit=cmd.take_profit, stop_loss=cmd.stop_loss,
    )  # fmt: skip


def update_record(update: OrderUpdate, now_ms: int) -> OrderRecord:
    """The row after an OrderUpdate (created_ms is kept from the first row by the upsert)."""
    ts = update.ts or now_ms
    return OrderRecord(
        update.client_order_id, update.trader, update.venue, update.symbol, update.side,
        update.order_type, update.qty, update.status, ts, ts, price=update.price,
        trigger_price=update.trigger_price, reduce_only=update.reduce_only,
        filled_qty=update.filled_qty, avg_price=update.avg_price,
        venue_order_id=update.venue_order_id, reason=update.reason,
    )  # fmt: skip


def fill_record(fill: Fill) -> FillRecord:
    fill_id = fill.fill_id or f"{fill.client_order_id}:{fill.ts}:{fill.qty:g}@{fill.price:g}"
    return FillRecord(
        fill.venue, fill.symbol, fill_id, fill.client_order_id, fill.trader, fill.side,
        fill.qty, fill.price, fill.fee, fill.liquidity, fill.ts, fill.realized_pnl,
    )  # fmt: skip
