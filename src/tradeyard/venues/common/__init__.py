"""What every live venue adapter shares: the normalized kline, the closed-bar gate, credentials."""

from tradeyard.venues.common.closed_bars import ClosedBarGate, Gap
from tradeyard.venues.common.credentials import Credentials, load_credentials
from tradeyard.venues.common.kline import Kline

__all__ = ["ClosedBarGate", "Credentials", "Gap", "Kline", "load_credentials"]
