"""Order admission checks: the exchange filters and the margin rule, as one-line reasons.

Each check returns None (passes) or the exact reason put on the rejected OrderUpdate, so a
rejection tells the trader what was wrong and by how much without reading venue code.
"""

from __future__ import annotations

import math

from tradeyard.events import SubmitOrder
from tradeyard.events.instrument import InstrumentSpec

__all__ = [
    "filter_reason",
    "fmt_num",
    "freed_margin",
    "increasing_qty",
    "margin_reason",
    "reference_price",
]


def fmt_num(x: float) -> str:
    """A number as a person writes it: 5 not 5.0, 0.00000001 not 1e-08, 100.005 kept as is."""
    if not math.isfinite(x):
        return repr(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x))
    r = repr(x)
    if "e" in r or "E" in r:
        r = f"{x:.12f}".rstrip("0").rstrip(".")
    return r


def reference_price(cmd: SubmitOrder, last_close: float | None) -> float | None:
    """The price an order is sized and margined at: limit / trigger price, else the last close."""
    if cmd.order_type == "limit":
        return cmd.price
    if cmd.order_type == "market":
        return last_close
    return cmd.trigger_price


def _bad_price(p: float | None) -> bool:
    return p is None or not math.isfinite(p) or p <= 0.0


def filter_reason(
    cmd: SubmitOrder, spec: InstrumentSpec, leverage: float, last_close: float | None
) -> str | None:
    """Field presence, step / tick / minimum filters and the leverage cap, in that order.

    Every order passes here: the checks are grouped by order type (a limit order has no
    trigger to check and the other types no price) but each reason keeps its turn.
    """
    sym = cmd.symbol
    order_type = cmd.order_type
    qty = cmd.qty
    if order_type == "limit":
        price = cmd.price
        if price is None:
            return "limit order needs a price"
        if _bad_price(price):
            return f"price {price!r} must be a positive finite number"
        level = price
    elif order_type == "stop" or order_type == "take_profit":
        level = cmd.trigger_price
        if level is None:
            return f"{order_type} order needs a trigger_price"
        if _bad_price(level):
            return f"trigger_price {level!r} must be a positive finite number"
    else:
        level = None  # a market order has no price to check (nor has an unknown type)
    if not (qty > 0.0 and math.isfinite(qty)):
        return f"qty {qty!r} must be a positive finite number"
    if not spec.is_on_step(qty):
        return (
            f"qty {fmt_num(qty)} is not a multiple of step size {fmt_num(spec.step_size)} for {sym}"
        )
    if qty < spec.min_qty:
        return f"qty {fmt_num(qty)} below min qty {fmt_num(spec.min_qty)} for {sym}"
    if level is not None and not spec.is_on_tick(level):
        field = "price" if order_type == "limit" else "trigger_price"
        return (
            f"{field} {fmt_num(level)} is not a multiple of tick size "
            f"{fmt_num(spec.tick_size)} for {sym}"
        )
    if not (leverage > 0.0 and math.isfinite(leverage)):
        return f"leverage {fmt_num(leverage)} must be positive"
    if leverage > spec.max_leverage:
        return (
            f"leverage {fmt_num(leverage)} above the maximum {fmt_num(spec.max_leverage)} for {sym}"
        )
    ref = reference_price(cmd, last_close) if level is None else level
    if ref is None:
        return f"no price for {sym} yet: a market order needs a bar of {sym} first"
    if not cmd.reduce_only:
        notional = qty * ref
        if notional < spec.min_notional:
            return (
                f"notional {notional:,.2f} {spec.quote_asset} below min notional "
                f"{fmt_num(spec.min_notional)} for {sym}"
            )
    return None


def increasing_qty(position_qty: float, signed_qty: float) -> float:
    """The part of an order (signed qty, > 0 buys) that opens or adds to exposure."""
    if position_qty == 0.0 or (position_qty > 0.0) == (signed_qty > 0.0):
        return abs(signed_qty)
    return max(0.0, round(abs(signed_qty) - abs(position_qty), 12))


def freed_margin(position_qty: float, position_margin: float, signed_qty: float) -> float:
    """The position margin an order releases by closing (part of) the position.

    A reversal (long 1 → short 1 with one sell of 2) needs margin only for the new side, and
    closing the old side frees the old side's margin to pay for it.
    """
    if position_qty == 0.0 or (position_qty > 0.0) == (signed_qty > 0.0):
        return 0.0
    return position_margin * min(1.0, abs(signed_qty) / abs(position_qty))


def margin_reason(
    margin: float, fee: float, available: float, asset: str = "USDT", at: str = ""
) -> str | None:
    """Reject when the order's initial margin plus its estimated taker fee exceeds `available`."""
    if margin <= 0.0 or margin + fee <= available + 1e-9:
        return None
    return (
        f"insufficient margin: order needs {margin:,.2f} {asset} initial margin "
        f"+ {fee:,.2f} {asset} fee{at}, available {available:,.2f} {asset}"
    )
