"""Build the Bybit v5 linear venue from its config: a typed config in, a running-ready venue out.

The venue object is `venues.common.live_venue.LiveVenue` (separate keyless market-data and keyed
trading clients); this module wires Bybit's parts into it, and gives the trading client REST
retries on rate limits (10006, HTTP 403 / 429) and clock drift (10002) (`common.rest_retry`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradeyard.bus import Bus
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.errors import TABLE
from tradeyard.venues.bybit.execution import BybitExecution, make_trading_client
from tradeyard.venues.bybit.market_data import BybitMarketData, make_market_client, retry_policy
from tradeyard.venues.bybit.urls import urls_for, ws_orders_url
from tradeyard.venues.common.credentials import load_credentials
from tradeyard.venues.common.live_venue import LiveVenue
from tradeyard.venues.common.rest_retry import with_rest_retry

__all__ = ["BybitVenue", "build_venue", "make_resilient"]


def make_resilient(client: Any, config: BybitConfig) -> Any:
    """Give the keyed trading client REST retries (in place)."""
    hint = f"check the API key in ${config.api_key_env} and the secret in ${config.api_secret_env}"
    return with_rest_retry(client, policy=retry_policy(config), error_table=TABLE, auth_hint=hint)


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
    trading_client = make_resilient(make_trading_client(config, urls, credentials), config)
    if config.order_transport == "websocket":
        trading_client.urls["api"]["ws"]["private"]["trade"] = ws_orders_url(config, urls)
    execution = BybitExecution(bus, trading_client, config)
    return BybitVenue(config, market_data, execution)
