"""Config: the TOML file that describes strategies, traders and the venue, validated up front."""

from tradeyard.config.load import build_params, load_config, parse_config, parse_param_overrides
from tradeyard.config.schema import (
    BacktestConfig,
    DataConfig,
    StrategyConfig,
    TraderConfig,
    VenueConfig,
)

__all__ = [
    "BacktestConfig",
    "DataConfig",
    "StrategyConfig",
    "TraderConfig",
    "VenueConfig",
    "build_params",
    "load_config",
    "parse_config",
    "parse_param_overrides",
]
