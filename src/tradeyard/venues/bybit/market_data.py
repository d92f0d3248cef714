"""Closed bars from Bybit to the bus: REST warm-up, then a websocket feed, each bar once.

The feed itself is `venues.common.market_data.BarFeed`; what is Bybit's is the ccxt pro class,
the raw kline update decoder (Bybit's `confirm` flag, which `watch_ohlcv` drops) and the most
rows one REST history call returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ccxt.pro as ccxt_pro

from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.schemas import Kline, decode_klines
from tradeyard.venues.bybit.urls import VenueUrls, apply_to_ccxt, ccxt_options
from tradeyard.venues.common.market_data import BarFeed, KlineSinkMixin

__all__ = ["BybitMarketData", "make_market_client"]

REST_LIMIT = 1000


class _KlineClient(KlineSinkMixin, ccxt_pro.bybit):  # type: ignore[misc]
    """ccxt pro bybit that also passes each raw kline update to `kline_sink`."""

    @staticmethod
    def decode_klines(message: Any) -> Iterable[Kline]:
        return decode_klines(message)


def make_market_client(config: BybitConfig, urls: VenueUrls) -> Any:
    """A key-less ccxt pro client for public market data, pointed at `urls`."""
    client = _KlineClient({"enableRateLimit": config.rate_limit, "options": ccxt_options()})
    apply_to_ccxt(client, urls)
    return client


class BybitMarketData(BarFeed):
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`."""

    rest_limit = REST_LIMIT
