"""Closed bars from Bybit to the bus: REST warm-up, then a websocket feed, each bar once.

The feed itself is `venues.common.market_data.BarFeed`; what is Bybit's is the ccxt pro class,
the kline update decoders (Bybit's `confirm` flag, which `watch_ohlcv` drops: the lean
`fast_klines.decode_frame` on the raw websocket text, and `schemas.decode_klines` on ccxt's dict
for a frame the lean one does not take) and the most rows one REST history call returns. Its
REST calls (warm-up, backfill) wait out rate limits (`common.rest_retry`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import ccxt.pro as ccxt_pro

from tradeyard.venues.bybit import fast_klines
from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.errors import TABLE
from tradeyard.venues.bybit.schemas import Kline, decode_klines
from tradeyard.venues.bybit.urls import VenueUrls, apply_to_ccxt, ccxt_options
from tradeyard.venues.common.market_data import BarFeed, KlineSinkMixin
from tradeyard.venues.common.rest_retry import RestRetryMixin, RetryPolicy

__all__ = ["BybitMarketData", "make_market_client", "retry_policy"]

REST_LIMIT = 1000


class _KlineClient(KlineSinkMixin, RestRetryMixin, ccxt_pro.bybit):  # type: ignore[misc]
    """ccxt pro bybit that also passes each raw kline update to `kline_sink`."""

    fast_decode = staticmethod(fast_klines.decode_frame)
    """Kline frames straight from the websocket text (the lean path; ccxt never parses them)."""

    @staticmethod
    def decode_klines(message: Any) -> Iterable[Kline]:
        return decode_klines(message)


def make_market_client(config: BybitConfig, urls: VenueUrls) -> Any:
    """A key-less ccxt pro client for public market data, pointed at `urls`."""
    client = _KlineClient({"enableRateLimit": config.rate_limit, "options": ccxt_options()})
    apply_to_ccxt(client, urls)
    client.rest_retry = retry_policy(config)
    client.error_table = TABLE
    return client


def retry_policy(config: BybitConfig) -> RetryPolicy:
    """The REST retry settings of `config`."""
    return RetryPolicy(max_attempts=config.rest_max_attempts, max_wait_s=config.rest_max_wait_s)


class BybitMarketData(BarFeed):
    """Publishes closed bars of `config.symbols` on the bus. `start()`, then `close()`."""

    mark_price_watcher = "watch_ticker"
    """The ccxt watcher whose answer carries the mark price (see `common.mark_prices`)."""

    rest_limit = REST_LIMIT
