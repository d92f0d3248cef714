"""The simulated venue: a bar-driven matching engine for USDT-margined perpetuals.

`SimVenue` is what backtests and paper trading send orders to. The pieces it is built from are
pluggable: `FeeModel` (what a fill costs), `FillModel` (the executed price and the volume one
account may take per bar: the slippage models of `slippage`) and the funding schedule. Risk
follows USDⓈ-M perpetuals: cross or isolated margin, leverage brackets, liquidation.
"""

from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.config import (
    FixedBpsSlippage,
    MarginMode,
    NoSlippage,
    SimVenueConfig,
    Slippage,
    SpreadSlippage,
    VolumeShareSlippage,
    default_instrument,
)
from tradeyard.venues.sim.fees import FeeModel, Liquidity, MakerTakerFees
from tradeyard.venues.sim.fill_model import FillModel, ReferencePriceFill
from tradeyard.venues.sim.funding import FundingSchedule
from tradeyard.venues.sim.leverage_brackets import DEFAULT_BRACKETS, Bracket, BracketTable
from tradeyard.venues.sim.liquidation import liquidation_price
from tradeyard.venues.sim.orders import OrderBook, SimOrder
from tradeyard.venues.sim.slippage import FixedBpsFill, SpreadFill, VolumeShareFill
from tradeyard.venues.sim.venue import SimVenue

__all__ = [
    "DEFAULT_BRACKETS",
    "Account",
    "Bracket",
    "BracketTable",
    "FeeModel",
    "FillModel",
    "FixedBpsFill",
    "FixedBpsSlippage",
    "FundingSchedule",
    "Liquidity",
    "MakerTakerFees",
    "MarginMode",
    "NoSlippage",
    "OrderBook",
    "Position",
    "ReferencePriceFill",
    "SimOrder",
    "SimVenue",
    "SimVenueConfig",
    "Slippage",
    "SpreadFill",
    "SpreadSlippage",
    "VolumeShareFill",
    "VolumeShareSlippage",
    "default_instrument",
    "liquidation_price",
]
