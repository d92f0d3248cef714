"""Fill models: the price a triggered order actually gets.

The matching engine decides *that* an order fills and at which reference price (the open, the
limit price, the trigger price); the fill model turns that into the executed price. The default
executes exactly at the reference; a slippage model (fixed ticks, a fraction of the bar range,
volume participation) can replace it without touching the matching rules. The engine still
clamps limit fills to the limit price, so a fill model can never make a limit order fill worse
than its price.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from tradeyard.events import Bar, OrderType, Side
from tradeyard.venues.sim.fees import Liquidity

__all__ = ["FillModel", "ReferencePriceFill"]


@runtime_checkable
class FillModel(Protocol):
    def fill_price(
        self, side: Side, order_type: OrderType, ref_price: float, liquidity: Liquidity, bar: Bar
    ) -> float:
        """The executed price of a fill whose matching reference price is `ref_price` in `bar`."""
        ...


class ReferencePriceFill:
    """No slippage: fill exactly at the reference price."""

    __slots__ = ()

    def fill_price(
        self, side: Side, order_type: OrderType, ref_price: float, liquidity: Liquidity, bar: Bar
    ) -> float:
        return ref_price
