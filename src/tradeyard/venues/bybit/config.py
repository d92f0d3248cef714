"""Settings of the Bybit v5 linear live adapter: the shared ones (`common.config`) with Bybit's
URLs, names and limits."""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeyard.venues.common.config import Environment, EnvName, LiveVenueConfig

__all__ = ["BybitConfig", "Environment"]


class BybitConfig(LiveVenueConfig, frozen=True, forbid_unknown_fields=True):
    """Where the adapter connects and which credentials, symbols and bars it uses."""

    venue: str = "bybit"
    api_key_env: EnvName = "BYBIT_API_KEY"
    api_secret_env: EnvName = "BYBIT_API_SECRET"
    public_ws_url: str | None = None
    """Override of the public linear websocket, e.g. ws://127.0.0.1:8080/v5/public/linear."""
    private_ws_url: str | None = None
    """Override of the private websocket, e.g. ws://127.0.0.1:8080/v5/private (local: the
    fake's; its /v5/trade for `order_transport = "websocket"` is found next to it)."""
    warmup_bars: Annotated[int, msgspec.Meta(ge=0, le=999)] = 200
    """Closed bars fetched over REST per symbol at start (Bybit serves at most 1000 rows, one of
    them the candle still forming)."""
    stale_after_s: Annotated[float, msgspec.Meta(gt=0.0)] = 90.0
    """See `LiveVenueConfig`; Bybit pushes kline updates every 1 to 60 s."""

    def __post_init__(self) -> None:
        urls = (self.rest_url, self.public_ws_url, self.private_ws_url)
        if self.environment == "local" and any(u is None for u in urls):
            raise ValueError(
                "environment='local' needs rest_url, public_ws_url and private_ws_url (the "
                "fake's FakeBybit.rest_url, .public_ws_url and .private_ws_url); found "
                f"rest_url={self.rest_url!r}, public_ws_url={self.public_ws_url!r}, "
                f"private_ws_url={self.private_ws_url!r}"
            )
