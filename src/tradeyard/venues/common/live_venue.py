"""The shape every live adapter shares: a config, a market-data feed and an execution side.

Market data and execution get separate ccxt clients: market data needs no key (so the secret is
held by one object only) and each keeps its own websockets, so a user-stream drop does not cost
bars and the reverse.
"""

from __future__ import annotations

from typing import Any

__all__ = ["LiveVenue"]


class LiveVenue:
    """The adapter: `market_data` publishes bars, `execution` takes `cmd.<venue>`."""

    def __init__(self, config: Any, market_data: Any, execution: Any) -> None:
        self.config = config
        self.market_data = market_data
        self.execution = execution

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(venue={self.config.venue!r}, "
            f"environment={self.config.environment!r}, symbols={self.config.symbols})"
        )

    async def start(self) -> None:
        """Execution first (it must hear commands as soon as bars can cause them), then data."""
        await self.execution.start()
        await self.market_data.start()

    async def close(self) -> None:
        await self.market_data.close()
        await self.execution.close()
