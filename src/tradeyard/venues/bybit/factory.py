"""Build the Bybit v5 linear venue from its config: a typed config in, a running-ready venue out.

The venue object is `venues.common.live_venue.LiveVenue` (separate keyless market-data and keyed
trading clients); this module wires Bybit's parts into it.
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeyard.bus import Bus
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.execution import BybitExecution, make_trading_client
from tradeyard.venues.bybit.market_data import BybitMarketData, make_market_client
from tradeyard.venues.bybit.urls import urls_for
from tradeyard.venues.common.credentials import load_credentials
from tradeyard.venues.common.live_venue import LiveVenue

__all__ = ["BybitVenue", "build_venue"]


class BybitVenue(LiveVenue):
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    config: BybitConfig
    market_data: BybitMarketData
    execution: BybitExecution

    def __init__(
        self, config: BybitConfig, market_data: BybitMarketData, execution: BybitExecution
    ) -> None:
        super().__init__(config, market_data, execution)


def build_venue(bus: Bus, config: BybitConfig, env: Mapping[str, str] | None = None) -> BybitVenue:
    """Read the credentials from the environment variables the config names and wire it up."""
    urls = urls_for(config)
    credentials = load_credentials(config, "Bybit", env)
    market_data = BybitMarketData(bus, make_market_client(config, urls), config)
    execution = BybitExecution(bus, make_trading_client(config, urls, credentials), config)
    return BybitVenue(config, market_data, execution)
