"""Fill models: the price a triggered order actually gets, and how much of it fills per bar.

The matching engine decides *that* an order fills and at which reference price (the open, the
limit price, the trigger price); the fill model turns that into the executed price and may cap
the quantity one account can fill in one bar (a share of the bar's volume). The default executes
exactly at the reference with no cap; the slippage models in `slippage` (fixed bps, volume
share, spread) replace it without touching the matching rules. The engine still clamps limit
fills to the limit price, so a fill model can never make a limit order fill worse than its price.
"""

from __future__ import annotations

import math
from typing import Protocol, runtime_checkable

from tradeyard.events import Bar, OrderType, Side
from tradeyard.venues.sim.fees import Liquidity

__all__ = ["FillModel", "ReferencePriceFill"]


@runtime_checkable
class FillModel(Protocol):
    def fill_price(
        self,
        side: Side,
        order_type: OrderType,
        ref_price: float,
        liquidity: Liquidity,
        bar: Bar,
        qty: float,
    ) -> float:
        """The executed price of a fill of `qty` whose reference price is `ref_price` in `bar`."""
        ...

    def volume_cap(self, bar: Bar) -> float:
        """The most one account may fill on `bar`'s symbol during `bar` (math.inf: no cap).

        The rest of a capped order stays open for the next bar (see `matching`).
        """
        ...


class ReferencePriceFill:
    """No slippage and no volume cap: fill exactly at the reference price."""

    __slots__ = ()

    def fill_price(
        self,
        side: Side,
        order_type: OrderType,
        ref_price: float,
        liquidity: Liquidity,
        bar: Bar,
        qty: float,
    ) -> float:
        return ref_price

    def volume_cap(self, bar: Bar) -> float:
        return math.inf

    def __repr__(self) -> str:
        return "ReferencePriceFill()"
