"""Closed bars from Binance to the bus: REST warm-up, then a websocket feed, each bar once.

The feed itself is `venues.common.market_data.BarFeed`; what is Binance's is the ccxt pro class,
the kline frame decoders (Binance's "closed" flag `x`, which `watch_ohlcv` drops: the lean
`fast_klines.decode_frame` on the raw websocket text, and `schemas.decode_kline` on ccxt's dict
for a frame the lean one does not take) and the most rows one REST history call returns. Its
REST calls (warm-up, backfill) wait out rate limits (`common.rest_retry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, ClassVar

import ccxt.pro as ccxt_pro

from tradeyard.venues.binance import fast_klines
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.errors import TABLE
from tradeyard.venues.binance.schemas import Kline, decode_kline
from tradeyard.venues.binance.urls import VenueUrls, apply_to_ccxt
from tradeyard.venues.common.market_data import BarFeed, KlineSinkMixin
from tradeyard.venues.common.rest_retry import RestRetryMixin, RetryPolicy

__all__ = ["BinanceMarketData", "make_market_client", "retry_policy"]

REST_LIMIT = 1500


class _KlineClient(KlineSinkMixin, RestRetryMixin, ccxt_pro.binanceusdm):  # type: ignore[misc]
    """ccxt pro binanceusdm that also passes each raw kline frame to `kline_sink`."""

    fast_decode = staticmethod(fast_klines.decode_frame)
    """Kline frames straight from the websocket text (the lean path; ccxt never parses them)."""

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
    client.rest_retry = retry_policy(config)
    client.error_table = TABLE
    return client


def retry_policy(config: BinanceConfig) -> RetryPolicy:
    """The REST retry settings of `config`."""
    return RetryPolicy(
        max_attempts=config.rest_max_attempts,
        max_wait_s=config.rest_max_wait_s,
        weight_limit=config.rest_weight_limit,
        weight_window_s=config.rest_weight_window_s,
    )


class BinanceMarketData(BarFeed):
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`."""

    mark_price_watcher = "watch_mark_price"
    """The ccxt watcher whose answer carries the mark price (see `common.mark_prices`)."""
    trade_stream_options: ClassVar[dict[str, Any]] = {"name": "aggTrade"}
    """USDⓈ-M publishes its trades as `<symbol>@aggTrade`."""

    rest_limit = REST_LIMIT
