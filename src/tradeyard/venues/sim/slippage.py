"""Slippage fill models, chosen by `SimVenueConfig.slippage` (see `config` for each model's knobs).

Common rules, whatever the model:

- Only takers slip: market orders, triggered stops and take-profits. Limit orders never slip,
  not even a marketable limit filled at the open (it fills at the reference, then is clamped to
  its limit price as always), and liquidations execute at their own price.
- A buy pays more, a sell receives less. Slipped prices are not rounded to the tick: they stand
  for the average price of a fill that walked the book.
"""

from __future__ import annotations

import math

from tradeyard.events import Bar, OrderType, Side
from tradeyard.venues.sim.config import (
    FixedBpsSlippage,
    NoSlippage,
    Slippage,
    SpreadSlippage,
    VolumeShareSlippage,
)
from tradeyard.venues.sim.fees import Liquidity
from tradeyard.venues.sim.fill_model import FillModel, ReferencePriceFill

__all__ = ["FixedBpsFill", "SpreadFill", "VolumeShareFill", "build_fill_model"]

_BP = 1e-4


def _slips(order_type: OrderType, liquidity: Liquidity) -> bool:
    return liquidity == "taker" and order_type != "limit"


class FixedBpsFill:
    """Takers pay a fixed number of basis points: buy at ref × (1 + bps/10⁴), sell at ref × (1 − bps/10⁴)."""

    __slots__ = ("_down", "_up", "bps")

    def __init__(self, bps: float) -> None:
        self.bps = bps
        self._up = 1.0 + bps * _BP
        self._down = 1.0 - bps * _BP

    def fill_price(
        self,
        side: Side,
        order_type: OrderType,
        ref_price: float,
        liquidity: Liquidity,
        bar: Bar,
        qty: float,
    ) -> float:
        if not _slips(order_type, liquidity):
            return ref_price
        return ref_price * (self._up if side == "buy" else self._down)

    def volume_cap(self, bar: Bar) -> float:
        return math.inf

    def __repr__(self) -> str:
        return f"FixedBpsFill(bps={self.bps!r})"


class VolumeShareFill:
    """Linear price impact in the share of the bar's volume taken, and a participation cap.

    impact = impact_coefficient × qty / bar.volume (a fraction of the reference price), with qty
    the quantity of this fill. An account fills at most max_volume_share × bar.volume per bar and
    symbol (all its orders together): a bigger order fills partially and its rest waits for the
    next bar (see `matching`). A bar with no volume fills nothing.
    """

    __slots__ = ("impact_coefficient", "max_volume_share")

    def __init__(self, impact_coefficient: float, max_volume_share: float) -> None:
        self.impact_coefficient = impact_coefficient
        self.max_volume_share = max_volume_share

    def fill_price(
        self,
        side: Side,
        order_type: OrderType,
        ref_price: float,
        liquidity: Liquidity,
        bar: Bar,
        qty: float,
    ) -> float:
        if not _slips(order_type, liquidity) or bar.volume <= 0.0:
            return ref_price
        impact = self.impact_coefficient * qty / bar.volume
        return ref_price * (1.0 + impact if side == "buy" else 1.0 - impact)

    def volume_cap(self, bar: Bar) -> float:
        return self.max_volume_share * bar.volume if bar.volume > 0.0 else 0.0

    def __repr__(self) -> str:
        return (
            f"VolumeShareFill(impact_coefficient={self.impact_coefficient!r}, "
            f"max_volume_share={self.max_volume_share!r})"
        )


class SpreadFill:
    """Takers cross half of a configured bid-ask spread (the bar price stands for the mid).

    A stand-in until quote data exists: the spread per symbol comes from the config, in bps.
    """

    __slots__ = ("default_spread_bps", "spread_bps")

    def __init__(self, spread_bps: dict[str, float], default_spread_bps: float = 0.0) -> None:
        self.spread_bps = dict(spread_bps)
        self.default_spread_bps = default_spread_bps

    def fill_price(
        self,
        side: Side,
        order_type: OrderType,
        ref_price: float,
        liquidity: Liquidity,
        bar: Bar,
        qty: float,
    ) -> float:
        if not _slips(order_type, liquidity):
            return ref_price
        half = 0.5 * self.spread_bps.get(bar.symbol, self.default_spread_bps) * _BP
        return ref_price * (1.0 + half if side == "buy" else 1.0 - half)

    def volume_cap(self, bar: Bar) -> float:
        return math.inf

    def __repr__(self) -> str:
        return f"SpreadFill({self.spread_bps!r}, default_spread_bps={self.default_spread_bps!r})"


def build_fill_model(slippage: Slippage) -> FillModel:
    """The fill model a `SimVenueConfig.slippage` entry describes."""
    if isinstance(slippage, FixedBpsSlippage):
        return FixedBpsFill(slippage.bps)
    if isinstance(slippage, VolumeShareSlippage):
        return VolumeShareFill(slippage.impact_coefficient, slippage.max_volume_share)
    if isinstance(slippage, SpreadSlippage):
        return SpreadFill(slippage.spread_bps, slippage.default_spread_bps)
    assert isinstance(slippage, NoSlippage)
    return ReferencePriceFill()
