"""ccxt exceptions and Bybit retCodes → tradeyard's VenueError tree, at the boundary.

The tree (from `tradeyard.errors`), and what the adapter does at each level::

    VenueError                 not retryable: API key invalid (10003), bad signature (10004),
    │                          permission denied (10005)
    ├── VenueUnavailable       retryable: network, server error (10016), timestamp outside the
    │   │                      recv window (10002: resync the clock)
    │   └── RateLimited        retryable after a pause: too many visits (10006), HTTP 403 / 429
    └── OrderRejected          dropped and reported on an OrderUpdate(status="rejected")
        ├── InsufficientMargin 110004, 110007, 110012
        └── InvalidOrder       10001 parameters, 110001 unknown order, 110017 reduce-only,
                               110094 below minimum value, …

`REASONS` (and `MESSAGE_REASONS` for the generic 10001) give the common causes a word, which
starts the rejected OrderUpdate's `reason`: "min_notional: bybit 110094 Order does not meet …".

Every mapped error keeps Bybit's raw `code` (int or None) and `venue_message`, and says whether
a retry can help (`retryable`). The code wins over ccxt's class: ccxt raises
`<Class>('bybit {"retCode":…,"retMsg":…}')` and this module reads the code back from the text.
"""

from __future__ import annotations

import re

import ccxt

from tradeyard.errors import (
    InsufficientMargin,
    InvalidOrder,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from tradeyard.venues.common import errors as _common
from tradeyard.venues.common.errors import CodeEntry, CodeTable, is_retryable

__all__ = [
    "CODES",
    "MESSAGE_REASONS",
    "REASONS",
    "TABLE",
    "from_ccxt",
    "from_code",
    "is_retryable",
    "rejection_reason",
]

_INVALID = (10001, 10029, 110001, 110003, 110008, 110017, 110020, 110072, 110094, 170136)
_MARGIN = (110004, 110007, 110012)
_MARGIN_FIX = "not enough available balance; reduce size or add margin"
CODES: dict[int, CodeEntry] = {
    # code: (error class, retryable, fix or explanation)
    10002: (VenueUnavailable, True, "timestamp outside the recv window; resync the clock"),
    10003: (VenueError, False, "API key invalid; check the API key variable"),
    10004: (VenueError, False, "signature invalid; check the API secret variable"),
    10005: (VenueError, False, "permission denied; check the key's permissions"),
    10006: (RateLimited, True, "request rate limit hit; back off until the window resets"),
    10016: (VenueUnavailable, True, "server error at the venue; retry later"),
    **{code: (InsufficientMargin, False, _MARGIN_FIX) for code in _MARGIN},
    **{code: (InvalidOrder, False, "fix the order's parameters") for code in _INVALID},
}
REASONS: dict[int, str] = {
    10002: "timestamp_drift", 10003: "invalid_api_key", 10004: "bad_signature",
    10005: "permission_denied", 10006: "rate_limited", 110004: "insufficient_margin",
    110007: "insufficient_margin", 110012: "insufficient_margin", 110001: "unknown_order",
    110094: "min_notional", 170136: "min_quantity", 110072: "duplicate_order_id",
}  # fmt: skip
"""retCode → the cause in a word (keys of `venues.common.errors.REASONS`)."""
MESSAGE_REASONS: tuple[tuple[str, str], ...] = (
    ("precision", "precision"), ("decimal", "precision"), ("tick size", "precision"),
    ("step size", "precision"), ("qty invalid", "precision"), ("price invalid", "precision"),
    ("min notional", "min_notional"), ("min qty", "min_quantity"),
)  # fmt: skip
"""Substrings of a generic code's retMsg (10001 "Request parameter error" and its variants) →
the cause, first match wins."""
_CODE_IN_TEXT = re.compile(r'"retCode"\s*:\s*(-?\d+)(?:\s*,\s*"retMsg"\s*:\s*"([^"]*)")?')


TABLE = CodeTable(
    "bybit",
    CODES,
    _CODE_IN_TEXT,
    unavailable=(ccxt.InvalidNonce,),
    reasons=REASONS,
    message_reasons=MESSAGE_REASONS,
)


def from_code(
    code: int | None,
    venue_message: str,
    *,
    where: str = "bybit",
    client_order_id: str | None = None,
    retry_after: float | None = None,
) -> VenueError:
    """The VenueError for a Bybit `retCode` (None: unknown → not retryable VenueError)."""
    return _common.from_code(TABLE, code, venue_message, where=where,
                             client_order_id=client_order_id, retry_after=retry_after)  # fmt: skip


def from_ccxt(
    exc: BaseException, *, where: str = "bybit", client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the Bybit retCode in its text when it is known, else by class."""
    return _common.from_ccxt(TABLE, exc, where=where, client_order_id=client_order_id)


def rejection_reason(err: VenueError) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name, then the venue's words,
    e.g. 'insufficient_margin: bybit 110007 ab not enough for new order'."""
    return _common.rejection_reason(err, "bybit")
