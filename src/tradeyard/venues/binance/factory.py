"""Build the Binance USDⓈ-M venue from its config: a typed config in, a running-ready venue out.

The venue object is `venues.common.live_venue.LiveVenue` (separate keyless market-data and keyed
trading clients); this module wires Binance's parts into it, and makes the trading client
resilient: REST retries on rate limits and clock drift (`common.rest_retry`), and a new listen
key after `listenKeyExpired` (`ListenKeyRenewalMixin`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from tradeyard.bus import Bus
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.errors import TABLE
from tradeyard.venues.binance.execution import BinanceExecution, make_trading_client
from tradeyard.venues.binance.market_data import (
    BinanceMarketData,
    make_market_client,
    retry_policy,
)
from tradeyard.venues.binance.urls import urls_for, ws_orders_url
from tradeyard.venues.common.credentials import load_credentials
from tradeyard.venues.common.errors import StreamError
from tradeyard.venues.common.live_venue import LiveVenue
from tradeyard.venues.common.rest_retry import with_rest_retry

__all__ = ["BinanceVenue", "ListenKeyRenewalMixin", "build_venue", "make_resilient"]

log = logging.getLogger(__name__)


class ListenKeyRenewalMixin:
    """Mixed in before ccxt pro binanceusdm: a new listen key after the old one expired.

    ccxt reuses the listen key it fetched for `listenKeyRefreshRate` (20 minutes) and ignores
    the `listenKeyExpired` event, so after an expiry it would redial the dead key (refused: HTTP
    400, -1125) until then, and private updates would stop. Here the event (or a refused dial
    of a user-stream URL, when the expiry happened while disconnected) makes the client forget
    the key and fail the user-stream socket; the execution's watch loops re-watch, ccxt's
    `authenticate` then asks for a new key and the streams resubscribe on it.
    """

    listen_key_renewals: int = 0
    """Listen keys given up after an expiry (for monitoring and tests)."""
    _ty_renewing: bool = False

    def handle_message(self, client: Any, message: Any) -> Any:
        data = message.get("data", message) if isinstance(message, dict) else message
        if isinstance(data, dict) and data.get("e") == "listenKeyExpired":
            self._ty_forget_listen_key("the venue sent listenKeyExpired")
            # Binance sends nothing more on this socket but may keep it open: fail it now
            client.on_error(StreamError(f"{self.id}: listen key expired"))  # type: ignore[attr-defined]
            return None
        return super().handle_message(client, message)  # type: ignore[misc]

    def on_error(self, client: Any, error: Any) -> Any:
        url = str(getattr(client, "url", ""))
        if getattr(client, "dial_failed", False) and "listenKey=" in url:
            self._ty_forget_listen_key(f"the user-stream connection was refused: {error}")
        return super().on_error(client, error)  # type: ignore[misc]

    async def authenticate(self, params: Any = None) -> Any:
        result = await super().authenticate({} if params is None else params)  # type: ignore[misc]
        if self._ty_renewing:
            self._ty_renewing = False
            log.info("%s: got a new listen key; the user stream resubscribes on it",
                     self.id)  # type: ignore[attr-defined]  # fmt: skip
        return result

    def _ty_forget_listen_key(self, why: str) -> None:
        if self._ty_renewing:
            return
        self._ty_renewing = True
        self.listen_key_renewals += 1
        options: dict[str, Any] = self.options  # type: ignore[attr-defined]
        for value in options.values():
            if isinstance(value, dict) and "listenKey" in value:
                value["lastAuthenticatedTime"] = 0
        log.warning("%s: listen key expired (%s); requesting a new one and resubscribing the "
                    "user stream", self.id, why)  # type: ignore[attr-defined]  # fmt: skip


def make_resilient(client: Any, config: BinanceConfig) -> Any:
    """Give the keyed trading client REST retries and listen-key renewal (in place)."""
    hint = f"check the API key in ${config.api_key_env} and the secret in ${config.api_secret_env}"
    return with_rest_retry(
        client,
        policy=retry_policy(config),
        error_table=TABLE,
        auth_hint=hint,
        extra=(ListenKeyRenewalMixin,),
    )


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
    trading_client = make_resilient(make_trading_client(config, urls, credentials), config)
    if config.order_transport == "websocket":
        trading_client.urls["api"]["ws"]["ws-api"]["linear"] = ws_orders_url(config, urls)
    execution = BinanceExecution(bus, trading_client, config)
    return BinanceVenue(config, market_data, execution)
