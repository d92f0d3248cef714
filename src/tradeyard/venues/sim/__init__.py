"""The simulated venue: a bar-driven matching engine for USDT-margined perpetuals.

`SimVenue` is what backtests and paper trading send orders to. The pieces it is built from are
pluggable: `FeeModel` (what a fill costs), `FillModel` (the executed price, e.g. slippage) and
the funding schedule.
"""

from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.config import SimVenueConfig, default_instrument
from tradeyard.venues.sim.fees import FeeModel, Liquidity, MakerTakerFees
from tradeyard.venues.sim.fill_model import FillModel, ReferencePriceFill
from tradeyard.venues.sim.funding import FundingSchedule
from tradeyard.venues.sim.orders import OrderBook, SimOrder
from tradeyard.venues.sim.venue import SimVenue

__all__ = [
    "Account",
    "FeeModel",
    "FillModel",
    "FundingSchedule",
    "Liquidity",
    "MakerTakerFees",
    "OrderBook",
    "Position",
    "ReferencePriceFill",
    "SimOrder",
    "SimVenue",
    "SimVenueConfig",
    "default_instrument",
]
