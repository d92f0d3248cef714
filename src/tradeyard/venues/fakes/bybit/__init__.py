"""A fake Bybit v5 exchange (linear USDT perpetuals): Bybit's wire over replayed bars and a
SimVenue.

ccxt `bybit` and Bybit's own clients work against it with only the base URLs changed
(`FakeBybit.point_ccxt`, `rest_url`, `public_ws_url`, `private_ws_url`). In tests:
`async with FakeBybit(...)`. The building blocks shared with the Binance fake (symbol
filters, candle history, views of the sim's account, the admin endpoint) are imported from it.
"""

from tradeyard.venues.fakes.bybit.app import FakeBybit
from tradeyard.venues.fakes.bybit.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountSpec,
    FakeBybitConfig,
)
from tradeyard.venues.fakes.bybit.errors import CODES, BybitError

__all__ = [
    "CODES",
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "AccountSpec",
    "BybitError",
    "FakeBybit",
    "FakeBybitConfig",
]
