"""Build the Binance USDⓈ-M venue from its config: a typed config in, a running-ready venue out.

Market data and execution get separate ccxt clients: market data needs no key (so the secret is
held by one object only) and each keeps its own websockets, so a user-stream drop does not cost
bars and the reverse.
"""

from __future__ import annotations

from collections.abc import Mapping

from tradeyard.bus import Bus
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.execution import BinanceExecution, make_trading_client
from tradeyard.venues.binance.market_data import BinanceMarketData, make_market_client
from tradeyard.venues.binance.urls import urls_for
from tradeyard.venues.common.credentials import load_credentials

__all__ = ["BinanceVenue", "build_venue"]


class BinanceVenue:
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    def __init__(
        self, config: BinanceConfig, market_data: BinanceMarketData, execution: BinanceExecution
    ) -> None:
        self.config = config
        self.market_data = market_data
        self.execution = execution

    def __repr__(self) -> str:
        return (
            f"BinanceVenue(venue={self.config.venue!r}, environment={self.config.environment!r}, "
            f"symbols={self.config.symbols})"
        )

    async def start(self) -> None:
        """Execution first (it must hear commands as soon as bars can cause them), then data."""
        await self.execution.start()
        await self.market_data.start()

    async def close(self) -> None:
        await self.market_data.close()
        await self.execution.close()


def build_venue(
    bus: Bus, config: BinanceConfig, env: Mapping[str, str] | None = None
) -> BinanceVenue:
    """Read the credentials from the environment variables the config names and wire it up."""
    urls = urls_for(config)
    credentials = load_credentials(config, "Binance", env)
    market_data = BinanceMarketData(bus, make_market_client(config, urls), config)
    execution = BinanceExecution(bus, make_trading_client(config, urls, credentials), config)
    return BinanceVenue(config, market_data, execution)
