"""Build the Bybit v5 linear venue from its config: a typed config in, a running-ready venue out.

Market data and execution get separate ccxt clients: market data needs no key (so the secret is
held by one object only) and each keeps its own websockets, so a user-stream drop does not cost
bars and the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeyard.bus import Bus
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.execution import BybitExecution, make_trading_client
from tradeyard.venues.bybit.market_data import BybitMarketData, make_market_client
from tradeyard.venues.bybit.urls import urls_for
from tradeyard.venues.common.credentials import load_credentials

__all__ = ["BybitVenue", "build_venue"]


class BybitVenue:
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    def __init__(
        self, config: BybitConfig, market_data: BybitMarketData, execution: BybitExecution
    ) -> None:
        self.config = config
        self.market_data = market_data
        self.execution = execution

    def __repr__(self) -> str:
        return (
            f"BybitVenue(venue={self.config.venue!r}, environment={self.config.environment!r}, "
            f"symbols={self.config.symbols})"
        )

    async def start(self) -> None:
        """Execution first (it must hear commands as soon as bars can cause them), then data."""
        await self.execution.start()
        await self.market_data.start()

    async def close(self) -> None:
        await self.market_data.close()
        await self.execution.close()


def build_venue(bus: Bus, config: BybitConfig, env: Mapping[str, str] | None = None) -> BybitVenue:
    """Read the credentials from the environment variables the config names and wire it up."""
    urls = urls_for(config)
    credentials = load_credentials(config, "Bybit", env)
    market_data = BybitMarketData(bus, make_market_client(config, urls), config)
    execution = BybitExecution(bus, make_trading_client(config, urls, credentials), config)
    return BybitVenue(config, market_data, execution)
