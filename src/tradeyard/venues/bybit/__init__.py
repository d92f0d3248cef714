"""The Bybit v5 linear (USDT perpetuals) live adapter (ccxt, async): closed bars to
`md.<venue>…`, commands from `cmd.<venue>`, order updates and fills to `exec.<trader>`.

Build it with `build_venue(bus, BybitConfig(...))`; the API key and secret are read from the
environment variables the config names. Only `market_data`, `execution` and `errors` import ccxt.
"""

from tradeyard.venues.bybit.config import BybitConfig
from tradeyard.venues.bybit.factory import BybitVenue, build_venue

__all__ = ["BybitConfig", "BybitVenue", "build_venue"]
