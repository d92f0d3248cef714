"""The shared ccxt → VenueError machinery (`venues.common.errors`), through each venue's
`errors` module: what does not depend on a venue's code table."""

from __future__ import annotations

from types import ModuleType

import ccxt
import pytest

from tradeyard.errors import RateLimited, VenueUnavailable
from tradeyard.venues.binance import errors as binance_errors
from tradeyard.venues.bybit import errors as bybit_errors

VENUES = pytest.mark.parametrize(
    ("errors", "venue"),
    [(binance_errors, "binanceusdm"), (bybit_errors, "bybit")],
    ids=["binance", "bybit"],
)


@VENUES
def test_from_ccxt_when_rate_limited_without_code_is_retryable(
    errors: ModuleType, venue: str
) -> None:
    err = errors.from_ccxt(ccxt.DDoSProtection(f"{venue} 429 Too Many Requests"))
    assert isinstance(err, RateLimited) and errors.is_retryable(err)


@VENUES
def test_from_ccxt_when_network_error_is_retryable_unavailable(
    errors: ModuleType, venue: str
) -> None:
    err = errors.from_ccxt(ccxt.RequestTimeout(f"{venue} POST http://127.0.0.1/order timeout"))
    assert type(err) is VenueUnavailable and errors.is_retryable(err)
    assert err.code is None  # type: ignore[attr-defined]


@VENUES
def test_rejection_reason_when_venue_unavailable_names_the_kind(
    errors: ModuleType, venue: str
) -> None:
    err = errors.from_ccxt(ccxt.NetworkError("connection reset"))
    assert errors.rejection_reason(err).startswith("venue_unavailable: ")
