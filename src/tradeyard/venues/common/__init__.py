"""What every live venue adapter shares: the normalized kline, the closed-bar gate, credentials.

Also (imported from their modules, not here, so importing this package does not load ccxt):
`parse` (ccxt unified dicts → events), `symbols`, `live_venue.LiveVenue`, and the ccxt-facing
`market_data.BarFeed`, `execution.CcxtExecution` and `errors` machinery.
"""

from tradeyard.venues.common.closed_bars import ClosedBarGate, Gap
from tradeyard.venues.common.credentials import Credentials, load_credentials
from tradeyard.venues.common.kline import Kline

__all__ = ["ClosedBarGate", "Credentials", "Gap", "Kline", "load_credentials"]
