"""Closed bars from Binance to the bus: REST warm-up, then a websocket feed, each bar once.

The feed itself is `venues.common.market_data.BarFeed`; what is Binance's is the ccxt pro class,
the raw kline frame decoder (Binance's "closed" flag `x`, which `watch_ohlcv` drops) and the most
rows one REST history call returns.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ccxt.pro as ccxt_pro

from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.schemas import Kline, decode_kline
from tradeyard.venues.binance.urls import VenueUrls, apply_to_ccxt
from tradeyard.venues.common.market_data import BarFeed, KlineSinkMixin

__all__ = ["BinanceMarketData", "make_market_client"]

REST_LIMIT = 1500


class _KlineClient(KlineSinkMixin, ccxt_pro.binanceusdm):  # type: ignore[misc]
    """ccxt pro binanceusdm that also passes each raw kline frame to `kline_sink`."""

    @staticmethod
    def decode_klines(message: Any) -> Iterable[Kline]:
        kline = decode_kline(message)
        return () if kline is None else (kline,)


def make_market_client(config: BinanceConfig, urls: VenueUrls) -> Any:
    """A key-less ccxt pro client for public market data, pointed at `urls`."""
    client = _KlineClient(
        {"enableRateLimit": config.rate_limit, "options": {"fetchCurrencies": False}}
    )
    apply_to_ccxt(client, urls)
    return client


class BinanceMarketData(BarFeed):
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`."""

    rest_limit = REST_LIMIT
