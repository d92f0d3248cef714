"""A restarted trader takes back its orders still open on the venue.

The node reads them from the order store after reconcile (`runtime.restart`): what the exchange
still holds, each with what it has filled. Taken back, the next signal on their symbol cancels
them as it cancels the trader's own orders (a resting entry left alone would be doubled by the
next one), and the margin they hold counts: all of a non-reduce-only order as opening, the
cautious estimate.

Reduce-only exits are checked against the position the trader restored from its fills: on a
flat symbol, or on the side that would not close the position, an exit protects nothing and
would act on the next position at an old price, so it is cancelled; the exits left on a symbol
are paired again (`Brackets.regroup`: when one fills, the others are cancelled). Bracket exits
the trader was still holding back for an unfilled entry are not known again: they were never
sent, and the store has no record of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tradeyard.bots.sizing import margin_needed
from tradeyard.bots.trader_account import WorkingOrder
from tradeyard.events import SubmitOrder

if TYPE_CHECKING:
    from tradeyard.bots.trader import Trader

__all__ = ["adopt_open_orders"]


def adopt_open_orders(trader: Trader, orders: Iterable[tuple[SubmitOrder, float]]) -> list[str]:
    """Take back `orders` (each with its filled quantity); returns the exits cancelled."""
    account = trader.account
    for order, filled in orders:
        if order.trader != trader.bot_id:
            raise ValueError(f"order {order.client_order_id} is {order.trader}'s, not ours")
        remaining = round(order.qty - filled, 12)
        if remaining <= 0.0:
            continue
        trader.open_orders.setdefault(order.symbol, {})[order.client_order_id] = order
        ref = order.price or order.trigger_price or account.last_price.get(order.symbol)
        reserve = 0.0  # as `Trader._submit`: a reduce-only order reserves nothing
        if not order.reduce_only and ref is not None:
            reserve = margin_needed(remaining, remaining, ref, trader.leverage, trader.taker_fee)
        account.working[order.client_order_id] = WorkingOrder(
            order.symbol, order.side, remaining, not order.reduce_only, reserve
        )
    cancelled: list[str] = []
    for symbol, open_ in list(trader.open_orders.items()):
        position = account.positions.get(symbol, 0.0)
        closing = "sell" if position > 0.0 else "buy"
        exits = [cid for cid, o in open_.items() if o.reduce_only]
        stray = [c for c in exits if position == 0.0 or open_[c].side != closing]
        for cid in stray:
            trader._cancel_one(symbol, cid)
        cancelled += stray
        trader.brackets.regroup(symbol, [c for c in exits if c not in stray])
    return cancelled
