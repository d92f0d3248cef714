"""How big a trader's full position (target = ±1) is on one symbol, and what may be sent.

Each mode answers one question: "for a signal at `price`, how many contracts is 100 %?"
The config picks a mode by its `mode` field, e.g. `sizing = {mode = "equity_fraction", fraction = 0.5}`.
(A trader with an `allocation` sizes from that instead: see `tradeyard.bots.allocation`.)

The free functions at the end are the trader's model of the venue's margin rule, used to shrink
an order the account could not margin instead of sending it to be rejected.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from tradeyard.events.instrument import InstrumentSpec

__all__ = [
    "EquityFraction",
    "FixedNotional",
    "FixedQuantity",
    "Sizing",
    "increasing_part",
    "margin_needed",
    "max_increase",
    "never_orders",
]

_Pos = Annotated[float, msgspec.Meta(gt=0.0)]


class FixedQuantity(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="fixed_quantity", tag_field="mode"
):
    """Always the same number of contracts (base asset units)."""

    qty: _Pos

    def unit_qty(self, price: float, equity: float, leverage: float) -> float:
        return self.qty


class FixedNotional(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="fixed_notional", tag_field="mode"
):
    """Always the same position value in quote currency (USDT), whatever the price."""

    notional: _Pos

    def unit_qty(self, price: float, equity: float, leverage: float) -> float:
        return self.notional / price


class EquityFraction(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="equity_fraction", tag_field="mode"
):
    """A fraction of the account's wallet balance, times leverage, in position value.

    With fraction 0.5 and leverage 2 a full position is worth the whole wallet. Use a fraction
    a little under 1 / leverage-adjusted capacity so fees and price moves between signal and fill
    do not make the order unmarginable.
    """

    fraction: Annotated[float, msgspec.Meta(gt=0.0, le=1.0)] = 0.95

    def unit_qty(self, price: float, equity: float, leverage: float) -> float:
        return self.fraction * max(equity, 0.0) * leverage / price


Sizing = FixedQuantity | FixedNotional | EquityFraction
SizingMode = Literal["fixed_quantity", "fixed_notional", "equity_fraction"]


def never_orders(sizing: Sizing | None, spec: InstrumentSpec) -> str | None:
    """Why a trader with `sizing` could never send an entry on `spec`'s symbol, else None.

    A full position (target ±1) is the largest a signal asks for, so one below the step or the
    exchange's minimums makes every entry a skipped signal: a configuration error, found before
    the first bar. (equity_fraction depends on the wallet: it is checked signal by signal.)
    """
    sym = spec.symbol
    if isinstance(sizing, FixedQuantity):
        if spec.round_qty_down(sizing.qty) == 0.0 or sizing.qty < spec.min_qty:
            least = max(spec.step_size, spec.min_qty)
            return (
                f"qty {sizing.qty:g} is below the least order of {sym} ({least:g}): every "
                f"entry would be skipped; use at least {least:g}"
            )
    elif isinstance(sizing, FixedNotional) and sizing.notional < spec.min_notional:
        return (
            f"notional {sizing.notional:g} USDT is below the minimum notional of {sym} "
            f"({spec.min_notional:g} USDT): every entry would be skipped; use at least "
            f"{spec.min_notional:g}"
        )
    return None


# -- what may be sent: the trader's model of the venue's margin rule -------------------------
def increasing_part(current: float, delta: float) -> float:
    """The part of an order of signed `delta` that opens or adds exposure (the rest closes).

    Long 1, sell 3 → 1 closes the long and 2 open a short: the increasing part is 2.
    """
    if current == 0.0 or (current > 0.0) == (delta > 0.0):
        return abs(delta)
    return max(0.0, round(abs(delta) - abs(current), 12))


def margin_needed(
    increase: float, order_qty: float, price: float, leverage: float, fee_rate: float
) -> float:
    """Initial margin of the increasing part plus the taker fee on the whole order (USDT).

    This is what the venue reserves when it accepts the order.
    """
    return increase * price / leverage + fee_rate * order_qty * price


def max_increase(
    room: float, closing_qty: float, price: float, leverage: float, fee_rate: float
) -> float:
    """The largest increasing part an order may carry when `room` USDT can be margined.

    Solves `inc × price / leverage + fee × (closing + inc) × price ≤ room` for `inc`; the
    closing part costs only its fee.
    """
    per_unit = price / leverage + fee_rate * price
    return max(0.0, (room - fee_rate * closing_qty * price) / per_unit)
