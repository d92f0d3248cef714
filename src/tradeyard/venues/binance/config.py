"""Settings of the Binance USDⓈ-M live adapter: the shared ones (`common.config`) with Binance's
URLs, names and limits."""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeyard.venues.common.config import Environment, EnvName, LiveVenueConfig

__all__ = ["BinanceConfig", "Environment"]


class BinanceConfig(LiveVenueConfig, frozen=True, forbid_unknown_fields=True):
    """Where the adapter connects and which credentials, symbols and bars it uses."""

    venue: str = "binanceusdm"
    api_key_env: EnvName = "BINANCE_API_KEY"
    api_secret_env: EnvName = "BINANCE_API_SECRET"
    ws_url: str | None = None
    """Override of the websocket base ending in `/ws`, e.g. ws://127.0.0.1:8080/ws (local:
    the fake's; its WS API for `order_transport = "websocket"` is found next to it)."""
    warmup_bars: Annotated[int, msgspec.Meta(ge=0, le=1500)] = 200
    """Closed bars fetched over REST per symbol at start (Binance serves at most 1500)."""
    stale_after_s: Annotated[float, msgspec.Meta(gt=0.0)] = 30.0
    """See `LiveVenueConfig`; Binance pushes a kline update every 250 ms while trades happen,
    and at least at each close."""

    algo_fill_hold_s: Annotated[float, msgspec.Meta(gt=0.0)] = 5.0
    """How long a fill (or order update) of an unknown order is held while one of our stops or
    take-profits on its symbol may have triggered, waiting for the ALGO_UPDATE that names its
    engine order; then the algo API is asked over REST (`engine_orders.py`)."""

    def __post_init__(self) -> None:
        if self.environment == "local" and (self.rest_url is None or self.ws_url is None):
            raise ValueError(
                "environment='local' needs rest_url and ws_url (the fake's FakeBinance.rest_url "
                "and FakeBinance.ws_url); found "
                f"rest_url={self.rest_url!r}, ws_url={self.ws_url!r}"
            )
