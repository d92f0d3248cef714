"""How big a trader's full position (target = ±1) is on one symbol.

Each mode answers one question: "for a signal at `price`, how many contracts is 100 %?"
The config picks a mode by its `mode` field, e.g. `sizing = {mode = "equity_fraction", fraction = 0.5}`.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["EquityFraction", "FixedNotional", "FixedQuantity", "Sizing"]

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
