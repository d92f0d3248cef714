"""Reference data about a tradable contract: the exchange filters an order must satisfy.

Static for a run, so it is given to bots and venues at start (not streamed on the bus).
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

__all__ = ["InstrumentSpec"]

_Pos = Annotated[float, msgspec.Meta(gt=0.0)]
_NonNeg = Annotated[float, msgspec.Meta(ge=0.0)]


class InstrumentSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A USDT-margined perpetual contract as the exchange describes it."""

    symbol: str
    tick_size: _Pos = 0.01
    """Price increment: limit and trigger prices must be a multiple of it."""
    step_size: _Pos = 0.001
    """Quantity increment: order quantities must be a multiple of it."""
    min_qty: _NonNeg = 0.0
    min_notional: _NonNeg = 5.0
    """Smallest qty × price the exchange accepts (reduce-only orders are exempt, as on Binance)."""
    max_leverage: _Pos = 125.0
    base_asset: str = ""
    quote_asset: str = "USDT"

    def round_qty_down(self, qty: float) -> float:
        """The largest multiple of `step_size` not above `qty` (robust to float noise)."""
        steps = math.floor(qty / self.step_size + 1e-9)
        return round(steps * self.step_size, 12)

    def round_price(self, price: float) -> float:
        """The nearest multiple of `tick_size`."""
        return round(round(price / self.tick_size) * self.tick_size, 12)

    def is_on_step(self, qty: float) -> bool:
        ratio = qty / self.step_size
        return abs(ratio - round(ratio)) <= 1e-7 * max(1.0, abs(ratio))

    def is_on_tick(self, price: float) -> bool:
        ratio = price / self.tick_size
        return abs(ratio - round(ratio)) <= 1e-7 * max(1.0, abs(ratio))
