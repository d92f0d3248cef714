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

    rest_weight_limit: Annotated[int, msgspec.Meta(ge=0)] = 2400
    """Binance's request weight per minute and IP (USDⓈ-M: 2400; see `X-MBX-USED-WEIGHT-1M`).
    Once 80 % of it is used, reads (backfills, order polls, account reads) wait for the next
    minute and orders go on, instead of running into a 429 and then a 418 IP ban that would
    stop the orders too. 0: no budget."""
    rest_weight_window_s: Annotated[float, msgspec.Meta(gt=0.0)] = 60.0
    """The weight window: one wall-clock minute on Binance (a fake may use another)."""

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
