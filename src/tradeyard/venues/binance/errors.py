"""ccxt exceptions and Binance error codes → tradeyard's VenueError tree, at the boundary.

The tree (from `tradeyard.errors`), and what the adapter does at each level::

    VenueError                 not retryable: auth (-2014, -2015), bad signature (-1022)
    ├── VenueUnavailable       retryable: network, 5xx, -1000, clock skew (-1021), listen key
    │   │                      gone (-1125)
    │   └── RateLimited        retryable after `retry_after`: HTTP 429 / 418, -1003
    └── OrderRejected          dropped and reported on an OrderUpdate(status="rejected")
        ├── InsufficientMargin -2019
        └── InvalidOrder       -1111 / -4014 / -4023 precision, -4164 min notional, -2011 unknown
                               order, -4116 duplicate client order id, …

`REASONS` gives the most common codes a one-word cause (`common.errors.REASONS`), which starts
the rejected OrderUpdate's `reason`: "precision: binance -1111 Precision is over …". The REST
client itself already waited out rate limits and resynced the clock once
(`common.rest_retry`) before any of these reaches the adapter.

Every mapped error keeps the venue's raw `code` (int or None) and `venue_message`, and says
whether a retry can help (`retryable`). The code wins over ccxt's class: against a local fake
(http://127.0.0.1) ccxt applies its generic table, not the USDⓈ-M one, so e.g. -2019 arrives as
a plain ExchangeError (ccxt-notes.md §4).
"""

from __future__ import annotations

import json
import re

from tradeyard.errors import (
    InsufficientMargin,
    InvalidOrder,
    OrderRejected,
    RateLimited,
    VenueError,
    VenueUnavailable,
)
from tradeyard.venues.common import errors as _common
from tradeyard.venues.common.errors import CodeEntry, CodeTable, is_retryable

__all__ = [
    "CODES",
    "REASONS",
    "TABLE",
    "from_ccxt",
    "from_code",
    "is_retryable",
    "rejection_reason",
]

_INVALID = (-1102, -1106, -1111, -1115, -1116, -1117, -1121, -1130, -2011, -2013, -2021,
            -2022, -2027, -4001, -4003, -4004, -4005, -4014, -4015, -4023, -4116, -4164,
            -5022)  # fmt: skip
CODES: dict[int, CodeEntry] = {
    # code: (error class, retryable, fix or explanation)
    -1000: (VenueUnavailable, True, "unknown error at the venue; retry later"),
    -1003: (RateLimited, True, "request weight limit hit; back off until the window resets"),
    -1021: (VenueUnavailable, True, "local clock off the venue's; resync time and retry"),
    -1125: (VenueUnavailable, True, "listen key expired or unknown; a new one is requested"),
    -1022: (VenueError, False, "signature invalid; check the API secret variable"),
    -2014: (VenueError, False, "API key format invalid; check the API key variable"),
    -2015: (VenueError, False, "API key, IP or permission refused; check the key's settings"),
    -2010: (OrderRejected, False, "the venue refused the order"),
    -2019: (InsufficientMargin, False, "not enough free margin; reduce size or add margin"),
    **{code: (InvalidOrder, False, "fix the order's parameters") for code in _INVALID},
}
REASONS: dict[int, str] = {
    -1003: "rate_limited", -1021: "timestamp_drift", -1022: "bad_signature",
    -2014: "invalid_api_key", -2015: "invalid_api_key", -2019: "insufficient_margin",
    -1111: "precision", -4014: "precision", -4023: "precision", -4164: "min_notional",
    -4004: "min_quantity", -2011: "unknown_order", -2013: "unknown_order",
    -4116: "duplicate_order_id",
}  # fmt: skip
"""code → the cause in a word (keys of `venues.common.errors.REASONS`)."""
_CODE_IN_TEXT = re.compile(r'"code"\s*:\s*(-?\d+)(?:\s*,\s*"msg"\s*:\s*"([^"]*)")?')


TABLE = CodeTable(
    "binance", CODES, _CODE_IN_TEXT, message_of=lambda text, _found: _message(text), reasons=REASONS
)


def from_code(
    code: int | None,
    venue_message: str,
    *,
    where: str = "binanceusdm",
    client_order_id: str | None = None,
    retry_after: float | None = None,
) -> VenueError:
    """The VenueError for a Binance `code` (None: unknown → not retryable VenueError)."""
    return _common.from_code(TABLE, code, venue_message, where=where,
                             client_order_id=client_order_id, retry_after=retry_after)  # fmt: skip


def from_ccxt(
    exc: BaseException, *, where: str = "binanceusdm", client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the Binance code in its text when it is known, else by class."""
    return _common.from_ccxt(TABLE, exc, where=where, client_order_id=client_order_id)


def rejection_reason(err: VenueError) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name, then the venue's words,
    e.g. 'insufficient_margin: binance -2019 Margin is insufficient.'."""
    return _common.rejection_reason(err, "binance")


def _message(text: str) -> str:
    """The `msg` of a ccxt error text `binanceusdm {"code": …, "msg": …}`, else the text."""
    start = text.find("{")
    if start >= 0:
        try:
            body = json.loads(text[start:])
            if isinstance(body, dict) and "msg" in body:
                return str(body["msg"])
        except ValueError:
            pass
    return text


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
