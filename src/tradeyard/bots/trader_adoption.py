"""A restarted trader takes back its orders still open on the venue.

The node reads them from the order store after reconcile (`runtime.restart`): what the exchange
still holds, each with what it has filled. Taken back, the next signal on their symbol cancels
them as it cancels the trader's own orders (a resting entry left alone would be doubled by the
next one), and the margin they hold counts: all of a non-reduce-only order as opening, the
cautious estimate.

Reduce-only exits are checked against the position the trader restored from its fills: on a
flat symbol, or on the side that would not close the position, an exit protects nothing and
would act on the next position at an old price, so it is cancelled; the exits left on a symbol
are paired again (`Brackets.regroup`: when one fills, the others are cancelled).

Bracket exits the trader held back for an entry not filled yet were never sent, but the entry's
intent names them (`SubmitOrder.take_profit` / `stop_loss`, kept by the store): an entry still
open holds them again (`Brackets.pend_again`), and a position whose latest entry filled while the
node was down, with no exit open, gets them now (`Brackets.protect`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, NamedTuple

from tradeyard.bots.sizing import margin_needed
from tradeyard.bots.trader_account import WorkingOrder
from tradeyard.events import SubmitOrder

if TYPE_CHECKING:
    from tradeyard.bots.trader import Trader

__all__ = ["Adoption", "adopt_open_orders"]


class Adoption(NamedTuple):
    cancelled: list[str]
    """Exits cancelled: they closed nothing."""
    protected: dict[str, tuple[str, ...]]
    """Symbol → exits sent now for a position whose entry filled while the node was down."""


def adopt_open_orders(
    trader: Trader,
    orders: Iterable[tuple[SubmitOrder, float]],
    last_entries: Mapping[str, tuple[SubmitOrder, float]] | None = None,
) -> Adoption:
    """Take back `orders` (each with its filled quantity). `last_entries`: per symbol, the
    trader's latest order that was not reduce-only, with what it filled (its announced exits
    protect a position it opened while the node was down)."""
    account, brackets = trader.account, trader.brackets
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
        if not order.reduce_only:  # an entry still open: its exits go out when it fills
            brackets.pend_again(order, filled, account.positions.get(order.symbol, 0.0))
    cancelled: list[str] = []
    kept: dict[str, list[str]] = {}
    for symbol, open_ in list(trader.open_orders.items()):
        position = account.positions.get(symbol, 0.0)
        closing = "sell" if position > 0.0 else "buy"
        exits = [cid for cid, o in open_.items() if o.reduce_only]
        stray = [c for c in exits if position == 0.0 or open_[c].side != closing]
        for cid in stray:
            trader._cancel_one(symbol, cid)
        cancelled += stray
        kept[symbol] = [c for c in exits if c not in stray]
        brackets.regroup(symbol, kept[symbol])
    protected: dict[str, tuple[str, ...]] = {}
    pending_symbols = {p.symbol for p in brackets.pending.values()}
    for symbol, (entry, filled) in (last_entries or {}).items():
        position = account.positions.get(symbol, 0.0)
        opened = position > 0.0 if entry.side == "buy" else position < 0.0
        if (
            filled > 0.0
            and opened
            and not kept.get(symbol)
            and symbol not in pending_symbols
            and entry.client_order_id not in trader.open_orders.get(symbol, {})
        ):
            sent = brackets.protect(symbol, position, entry.take_profit, entry.stop_loss)
            if sent:
                protected[symbol] = sent
    return Adoption(cancelled, protected)
