"""Order admission: every check an order passes before it enters the book, in order.

Free of side effects (beyond creating the flat position record of a symbol on first use):
`admit` answers with the rejection reason or with what the venue needs to book the order (the
position, its leverage, whether it waits for a parent or for the open, the margin it
reserves). The venue applies the answer.
"""

from __future__ import annotations

from typing import NamedTuple

from tradeyard.events import SubmitOrder
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.config import SimVenueConfig
from tradeyard.venues.sim.fees import FeeModel
from tradeyard.venues.sim.leverage_brackets import BracketTable, fmt_amount
from tradeyard.venues.sim.matching import REDUCE_ONLY_REASON
from tradeyard.venues.sim.orders import OPEN_STATUSES, SimOrder
from tradeyard.venues.sim.state import SymbolState, TraderState
from tradeyard.venues.sim.validation import (
    filter_reason,
    fmt_num,
    freed_margin,
    increasing_qty,
    margin_reason,
    reference_price,
)

__all__ = ["Admission", "admit", "bracket_reason", "fill_margin_reason"]


class Admission(NamedTuple):
    position: Position
    leverage: float
    active: bool
    """False for a bracket child whose parent has not filled yet."""
    at_open: bool
    reserved: float


def bracket_reason(
    table: BracketTable, leverage: float, notional: float, symbol: str, quote: str = "USDT"
) -> str | None:
    """Reject a position of `notional` whose bracket allows less than `leverage`."""
    allowed = table.max_leverage(notional)
    if allowed is None:
        return (
            f"a {fmt_amount(notional)} {quote} position of {symbol} is above the largest leverage "
            f"bracket ({fmt_amount(table.caps[-1])} {quote})"
        )
    if leverage > allowed:
        return (
            f"leverage {fmt_num(leverage)} above {fmt_num(allowed)} allowed for a "
            f"{fmt_amount(notional)} {quote} position of {symbol}"
        )
    return None


def admit(
    cmd: SubmitOrder, tr: TraderState, st: SymbolState, config: SimVenueConfig, fees: FeeModel
) -> str | Admission:
    """Venue, duplicate id, symbol, filters (as of `cmd.ts`), bracket link, reduce-only,
    post-only, leverage bracket, margin: in that order.

    The leverage bracket is checked on the position this order would leave (current position +
    this order, at its reference price); other open orders are not counted.
    """
    acct: Account = tr.account
    sym = cmd.symbol
    cid = cmd.client_order_id
    if cmd.venue != config.name:
        return f"order for venue '{cmd.venue}' sent to venue '{config.name}'"
    if cid in tr.orders or cid in tr.closed:
        return f"duplicate client_order_id '{cid}' for trader '{cmd.trader}'"
    spec = st.spec_at(cmd.ts)
    if spec is None:
        known = ", ".join(config.listed())
        return f"unknown symbol {sym}: not in the venue's instruments (known: {known})"
    pos = acct.positions.get(sym)
    if pos is None:  # the symbol's first order: create its flat position record
        pos = acct.position(
            sym,
            config.default_leverage,
            isolated=config.margin_mode_of(sym) == "isolated",
            brackets=st.brackets,
        )
    last_close = st.last_close
    leverage = cmd.leverage if cmd.leverage is not None else pos.leverage
    reason = filter_reason(cmd, spec, leverage, last_close)
    if reason is not None:
        return reason
    active = True
    parent_id = cmd.parent_id
    if parent_id is not None:
        parent = tr.orders.get(parent_id) or tr.closed.get(parent_id)
        if parent is None:
            return f"unknown parent order '{parent_id}'"
        if parent.symbol != sym:
            return f"parent order '{parent_id}' is on {parent.symbol}, not {sym}"
        if parent.status in OPEN_STATUSES:
            active = False
        elif parent.status != "filled":
            return f"parent order '{parent_id}' is {parent.status}"
    qty, side, order_type, price = cmd.qty, cmd.side, cmd.order_type, cmd.price
    reduce_only = cmd.reduce_only
    pos_qty = pos.qty
    signed = qty if side == "buy" else -qty
    if reduce_only and active and pos_qty != 0.0 and (pos_qty > 0.0) == (signed > 0.0):
        return REDUCE_ONLY_REASON
    marketable = (
        order_type == "limit"
        and last_close is not None
        and price is not None
        and (price >= last_close if side == "buy" else price <= last_close)
    )
    if marketable and cmd.time_in_force == "GTX":
        return (
            f"post-only (GTX) limit {side} at {fmt_num(price or 0.0)} would take "
            f"liquidity: last close {fmt_num(last_close or 0.0)}"
        )
    ref = reference_price(cmd, last_close) or 0.0
    inc = 0.0 if reduce_only else increasing_qty(pos_qty, signed)
    if inc > 0.0:
        notional = abs(round(pos_qty + signed, 12)) * ref
        reason = bracket_reason(pos.brackets, leverage, notional, sym, spec.quote_asset)
        if reason is not None:
            return reason
    margin = inc * ref / leverage
    fee = fees.fee(sym, qty * ref, "taker") if margin > 0.0 else 0.0
    # A leverage change re-margins the open position; closing part of it frees margin.
    position_margin = abs(pos_qty) * pos.entry_price / leverage
    freed = freed_margin(pos_qty, position_margin, signed) if margin > 0.0 else 0.0
    if margin > 0.0:  # a reduce-only or closing order needs no margin: skip reading the account
        available = acct.available - (position_margin - pos.margin) + freed
        if margin + fee > available + 1e-9:  # margin_reason's test, inlined
            return margin_reason(margin, fee, available, acct.asset)  # type: ignore[return-value]
    at_open = order_type == "market" or (
        order_type == "limit" and (marketable or cmd.time_in_force == "IOC")
    )
    return Admission(pos, leverage, active, at_open, max(0.0, margin + fee - freed))


def fill_margin_reason(order: SimOrder, qty: float, price: float, fees: FeeModel) -> str | None:
    """None if a fill of `qty` at `price` (at the open) can be margined now, else the reason.

    The order's own reservation and the margin its closing part frees count as available.
    """
    acct = order.account
    pos = acct.positions[order.symbol]
    signed = qty if order.is_buy else -qty
    margin = increasing_qty(pos.qty, signed) * price / pos.leverage
    if margin <= 0.0:
        return None
    fee = fees.fee(order.symbol, qty * price, "taker")
    available = acct.available + order.reserved + freed_margin(pos.qty, pos.margin, signed)
    if margin + fee <= available + 1e-9:
        return None  # `margin_reason`'s test, made here so the message is built only to reject
    return margin_reason(margin, fee, available, acct.asset, f" at the open {fmt_num(price)}")
