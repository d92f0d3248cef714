"""A fake Binance USDⓈ-M futures exchange: Binance's wire over replayed bars and a SimVenue.

ccxt `binanceusdm` and Binance's own client libraries work against it with only the base URL
changed (`FakeBinance.ccxt_urls()`, `FakeBinance.ws_url`). Start it with
`tradeyard fake-exchange --venue binanceusdm` or, in tests, `async with FakeBinance(...)`.
"""

from tradeyard.venues.fakes.binance import account_payloads, payloads, user_payloads
from tradeyard.venues.fakes.binance.app import FakeBinance
from tradeyard.venues.fakes.binance.config import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    AccountSpec,
    FakeBinanceConfig,
)
from tradeyard.venues.fakes.binance.errors import CODES, BinanceError

__all__ = [
    "CODES",
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "AccountSpec",
    "BinanceError",
    "FakeBinance",
    "FakeBinanceConfig",
    "account_payloads",
    "payloads",
    "user_payloads",
]
