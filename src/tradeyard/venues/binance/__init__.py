"""The Binance USDⓈ-M live adapter (ccxt, async): closed bars to `md.<venue>…`, commands from
`cmd.<venue>`, order updates and fills to `exec.<trader>`.

Build it with `build_venue(bus, BinanceConfig(...))`; the API key and secret are read from the
environment variables the config names. Only `market_data`, `execution` and `errors` import ccxt.
"""

from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.factory import BinanceVenue, build_venue

__all__ = ["BinanceConfig", "BinanceVenue", "build_venue"]
