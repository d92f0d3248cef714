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

from tradeyard.bots.sizing import Sizing
from tradeyard.events import InstrumentSpec

__all__ = ["BacktestConfig", "DataConfig", "StrategyConfig", "TraderConfig", "VenueConfig"]

_Id = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_\-]{1,24}$")]
_Fee = Annotated[float, msgspec.Meta(ge=0.0, le=0.1)]


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


class VenueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    name: _Id = "sim"
    maker_fee: _Fee = 0.0002
    taker_fee: _Fee = 0.0005
    starting_balance: Annotated[float, msgspec.Meta(gt=0.0)] = 10_000.0
    instruments: dict[str, InstrumentSpec] = msgspec.field(default_factory=dict)


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
    sizing: Sizing = msgspec.field(default_factory=lambda: _default_sizing())
    leverage: Annotated[float, msgspec.Meta(gt=0.0, le=125.0)] = 1.0


def _default_sizing() -> Sizing:
    from tradeyard.bots.sizing import EquityFraction

    return EquityFraction()


class BacktestConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    strategies: list[StrategyConfig]
    traders: list[TraderConfig] = msgspec.field(default_factory=list)
    """Default: one trader `trader` following every strategy with weight 1."""
    data: DataConfig = msgspec.field(default_factory=DataConfig)
    venue: VenueConfig = msgspec.field(default_factory=VenueConfig)
    seed: int = 0
