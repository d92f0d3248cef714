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
    OrderRejected,
    RateLimited,
    VenueError,
    VenueUnavailable,
)

__all__ = ["CODES", "from_ccxt", "from_code", "is_retryable", "rejection_reason"]

_INVALID = (10001, 10029, 110001, 110003, 110008, 110017, 110020, 110072, 110094, 170136)
_MARGIN = (110004, 110007, 110012)
_MARGIN_FIX = "not enough available balance; reduce size or add margin"
CODES: dict[int, tuple[type[VenueError], bool, str]] = {
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
_UNKNOWN: tuple[type[VenueError], bool, str] = (VenueError, False, "")
_CODE_IN_TEXT = re.compile(r'"retCode"\s*:\s*(-?\d+)(?:\s*,\s*"retMsg"\s*:\s*"([^"]*)")?')


def from_code(
    code: int | None,
    venue_message: str,
    *,
    where: str = "bybit",
    client_order_id: str | None = None,
    retry_after: float | None = None,
) -> VenueError:
    """The VenueError for a Bybit `retCode` (None: unknown → not retryable VenueError)."""
    cls, retryable, hint = CODES.get(code, _UNKNOWN) if code is not None else _UNKNOWN
    message = f"{where}: bybit {code}: {venue_message}" + (f" ({hint})" if hint else "")
    return _build(cls, message, code, venue_message, retryable, client_order_id, retry_after)


def from_ccxt(
    exc: BaseException, *, where: str = "bybit", client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the retCode in its text when it is known, else by class."""
    text = str(exc)
    found = _CODE_IN_TEXT.search(text)
    if found and int(found.group(1)) in CODES:
        return from_code(int(found.group(1)), found.group(2) or text, where=where,
                         client_order_id=client_order_id)  # fmt: skip
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        cls, retryable = RateLimited, True
    elif isinstance(exc, ccxt.InsufficientFunds):
        cls, retryable = InsufficientMargin, False
    elif isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        cls, retryable = InvalidOrder, False
    elif isinstance(exc, ccxt.InvalidNonce | ccxt.NetworkError | ccxt.ExchangeNotAvailable):
        cls, retryable = VenueUnavailable, True
    else:
        cls, retryable = VenueError, False
    code = int(found.group(1)) if found else None
    venue_message = (found.group(2) if found else None) or text
    message = f"{where}: {type(exc).__name__}: {text}"
    return _build(cls, message, code, venue_message, retryable, client_order_id, None)


def is_retryable(err: BaseException) -> bool:
    return bool(getattr(err, "retryable", False))


def rejection_reason(err: VenueError) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name, then the venue's words,
    e.g. 'insufficient_margin: bybit 110007 ab not enough for new order'."""
    kind = err.reason if isinstance(err, OrderRejected) else _snake(type(err).__name__)
    code = getattr(err, "code", None)
    venue_message = getattr(err, "venue_message", "") or str(err)
    return f"{kind}: bybit {code} {venue_message}" if code else f"{kind}: {venue_message}"


def _build(
    cls: type[VenueError],
    message: str,
    code: int | None,
    venue_message: str,
    retryable: bool,
    client_order_id: str | None,
    retry_after: float | None,
) -> VenueError:
    if issubclass(cls, OrderRejected):
        if client_order_id:
            message += f" [client_order_id={client_order_id}]"
        err: VenueError = cls(message, client_order_id=client_order_id)
    elif issubclass(cls, RateLimited):
        err = cls(message, retry_after=retry_after)
    else:
        err = cls(message)
    err.code = code  # type: ignore[attr-defined]
    err.venue_message = venue_message  # type: ignore[attr-defined]
    err.retryable = retryable  # type: ignore[attr-defined]
    return err


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
