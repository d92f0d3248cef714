"""Build the Binance USDⓈ-M venue from its config: a typed config in, a running-ready venue out.

The venue object is `venues.common.live_venue.LiveVenue` (separate keyless market-data and keyed
trading clients); this module wires Binance's parts into it.
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeyard.bus import Bus
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.execution import BinanceExecution, make_trading_client
from tradeyard.venues.binance.market_data import BinanceMarketData, make_market_client
from tradeyard.venues.binance.urls import urls_for
from tradeyard.venues.common.credentials import load_credentials
from tradeyard.venues.common.live_venue import LiveVenue

__all__ = ["BinanceVenue", "build_venue"]


class BinanceVenue(LiveVenue):
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    config: BinanceConfig
    market_data: BinanceMarketData
    execution: BinanceExecution

    def __init__(
        self, config: BinanceConfig, market_data: BinanceMarketData, execution: BinanceExecution
    ) -> None:
        super().__init__(config, market_data, execution)


def build_venue(
    bus: Bus, config: BinanceConfig, env: Mapping[str, str] | None = None
) -> BinanceVenue:
    """Read the credentials from the environment variables the config names and wire it up."""
    urls = urls_for(config)
    credentials = load_credentials(config, "Binance", env)
    market_data = BinanceMarketData(bus, make_market_client(config, urls), config)
    execution = BinanceExecution(bus, make_trading_client(config, urls, credentials), config)
    return BinanceVenue(config, market_data, execution)
