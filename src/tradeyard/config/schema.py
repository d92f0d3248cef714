"""The config file's shape: frozen msgspec Structs that reject unknown keys.

[data]                      # where bars come from (default: the bundled real data)
path = "data/binance"       # a .parquet file or a folder of <SYMBOL>.parquet
symbols = ["BTCUSDT", "ETHUSDT"]
interval = "1m"
from = "2025-05-10"         # optional, UTC
to = "2025-05-20"
funding = "data/funding"    # optional folder of <SYMBOL>.parquet funding rates

[venue]
name = "sim"
maker_fee = 0.0002
taker_fee = 0.0005
starting_balance = 10000

[[strategies]]
id = "trend"
strategy = "sma_cross"
params = { fast = 10, slow = 30 }

[[traders]]
id = "t1"
follows = { trend = 1.0 }
sizing = { mode = "equity_fraction", fraction = 0.5 }
leverage = 1
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from tradeyard.bots.allocation import Allocation
from tradeyard.bots.sizing import Sizing
from tradeyard.errors import ConfigError
from tradeyard.venues.sim.config import SimVenueConfig

__all__ = ["BacktestConfig", "DataConfig", "StrategyConfig", "TraderConfig", "VenueConfig"]

_Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{1,24}$")]
_Fee = Annotated[float, msgspec.Meta(ge=0.0, le=0.1)]
_Lev = Annotated[float, msgspec.Meta(gt=0.0, le=125.0)]


class DataConfig(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, rename={"start": "from", "end": "to"}
):
    path: str = ""
    """Parquet file or folder of <SYMBOL>.parquet; empty means the bundled real data."""
    symbols: list[str] = msgspec.field(default_factory=list)
    interval: str = "1m"
    start: str = ""
    end: str = ""
    funding: str | bool = True
    """Folder of funding-rate files; true means the bundled rates when using bundled data."""
    day_offset_hours: Annotated[int, msgspec.Meta(ge=0, le=23)] = 0
    """Where aggregated daily bars start, in hours after 00:00 UTC."""


VenueConfig = SimVenueConfig
"""`[venue]` is the simulated venue's own config: fees, balance, filters, margin mode, leverage
brackets, liquidation fee, slippage model (see `tradeyard.venues.sim.config`)."""


class StrategyConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: _Id
    strategy: str
    symbols: list[str] = msgspec.field(default_factory=list)
    """Default: every symbol of [data]."""
    interval: str = ""
    """Bar interval to trade on; default: the strategy's own (bars are aggregated from the data)."""
    params: dict[str, Any] = msgspec.field(default_factory=dict)


class TraderConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    id: _Id
    follows: dict[str, Annotated[float, msgspec.Meta(ge=-10.0, le=10.0)]]
    """Strategy ids and weights; the weighted targets are summed and clipped to ±1."""
    sizing: Sizing | None = None
    """How big a full position is on one symbol (default: 95 % of the wallet, equity_fraction)."""
    allocation: Allocation | None = None
    """Split the wallet across `symbols` instead: equal_weight, fixed_fraction, volatility_scaled."""
    leverage: Annotated[float, msgspec.Meta(gt=0.0, le=125.0)] = 1.0
    symbols: list[str] = msgspec.field(default_factory=list)
    """The basket; default: every symbol the followed strategies trade."""
    max_symbol_leverage: _Lev | None = None
    """Cap on one position's notional / wallet."""
    max_total_leverage: _Lev | None = None
    """Cap on all positions' notional / wallet."""
    margin_buffer: Annotated[float, msgspec.Meta(ge=0.0, lt=1.0)] = 0.01
    """Share of the wallet the trader keeps free when checking margin."""

    def __post_init__(self) -> None:
        if self.sizing is not None and self.allocation is not None:
            raise ConfigError(
                "give either sizing (one symbol at a time) or allocation (a basket), not both",
                where=f"traders.{self.id}",
            )


class BacktestConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    strategies: list[StrategyConfig]
    traders: list[TraderConfig] = msgspec.field(default_factory=list)
    """Default: one trader `trader` following every strategy with weight 1."""
    data: DataConfig = msgspec.field(default_factory=DataConfig)
    venue: VenueConfig = msgspec.field(default_factory=VenueConfig)
    seed: int = 0
