"""One error hierarchy for tradeyard.

Pick the level to catch at a glance::

    TradeyardError
    ├── ConfigError            bad config file, CLI option or bot parameter: stop and fix it
    ├── DataError              market data that cannot be used as given (missing column, unsorted, duplicate)
    ├── EventDecodeError       a payload that is not a valid event (names the field)
    ├── BusError               a transport problem or a bad topic / pattern
    ├── StrategyError          a bot broke its contract (e.g. emitted an unknown event type)
    └── VenueError             anything a venue refused or could not do
        ├── VenueUnavailable
        │   └── RateLimited
        ├── OrderRejected      the order was dropped and reported; carries the reason
        │   ├── InsufficientMargin
        │   └── InvalidOrder   tick size, step size, min notional, bad price, unknown symbol
        └── ReconcileMismatch

Every message says where (TOML key, topic, bot id, venue + client_order_id), what was expected,
what was found, and the fix when one is known.
"""

from __future__ import annotations

__all__ = [
    "BusError",
    "ConfigError",
    "DataError",
    "EventDecodeError",
    "InsufficientMargin",
    "InvalidOrder",
    "OrderRejected",
    "RateLimited",
    "ReconcileMismatch",
    "StrategyError",
    "TradeyardError",
    "VenueError",
    "VenueUnavailable",
]


class TradeyardError(Exception):
    """Base of every error tradeyard raises on purpose."""


class ConfigError(TradeyardError):
    """A config key, CLI option or bot parameter is invalid. `where` is its path, e.g. `traders[0].leverage`."""

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        super().__init__(f"{where}: {message}" if where else message)


class DataError(TradeyardError):
    """Market data cannot be used as given."""


class EventDecodeError(TradeyardError):
    """A payload is not a valid event; the message names the field (msgspec path such as `$.close`)."""


class BusError(TradeyardError):
    """A bus transport failed, or a topic / pattern is malformed."""


class StrategyError(TradeyardError):
    """A bot broke its contract."""


class VenueError(TradeyardError):
    """A venue refused or could not do something."""


class VenueUnavailable(VenueError):
    """The venue cannot be reached right now; retrying later may work."""


class RateLimited(VenueUnavailable):
    """The venue asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class OrderRejected(VenueError):
    """An order was rejected; `reason` is the machine-readable cause kept on the OrderUpdate."""

    reason = "rejected"

    def __init__(self, message: str, client_order_id: str | None = None) -> None:
        self.client_order_id = client_order_id
        super().__init__(message)


class InsufficientMargin(OrderRejected):
    reason = "insufficient_margin"


class InvalidOrder(OrderRejected):
    reason = "invalid_order"


class ReconcileMismatch(VenueError):
    """The store and the venue disagree in a way that needs a human."""
