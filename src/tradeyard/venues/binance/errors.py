"""ccxt exceptions and Binance error codes → tradeyard's VenueError tree, at the boundary.

The tree (from `tradeyard.errors`), and what the adapter does at each level::

    VenueError                 not retryable: auth (-2014, -2015), bad signature (-1022)
    ├── VenueUnavailable       retryable: network, 5xx, -1000, clock skew (-1021)
    │   └── RateLimited        retryable after `retry_after`: HTTP 429 / 418, -1003
    └── OrderRejected          dropped and reported on an OrderUpdate(status="rejected")
        ├── InsufficientMargin -2019
        └── InvalidOrder       -1111 precision, -4164 min notional, -2011 unknown order, …

Every mapped error keeps the venue's raw `code` (int or None) and `venue_message`, and says
whether a retry can help (`retryable`). The code wins over ccxt's class: against a local fake
(http://127.0.0.1) ccxt applies its generic table, not the USDⓈ-M one, so e.g. -2019 arrives as
a plain ExchangeError (ccxt-notes.md §4).
"""

from __future__ import annotations

import json
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

_INVALID = (-1102, -1106, -1111, -1115, -1116, -1117, -1121, -1130, -2011, -2013, -2021,
            -2022, -2027, -4001, -4003, -4004, -4005, -4014, -4015, -4023, -4116, -4164,
            -5022)  # fmt: skip
CODES: dict[int, tuple[type[VenueError], bool, str]] = {
    # code: (error class, retryable, fix or explanation)
    -1000: (VenueUnavailable, True, "unknown error at the venue; retry later"),
    -1003: (RateLimited, True, "request weight limit hit; back off until the window resets"),
    -1021: (VenueUnavailable, True, "local clock off the venue's; resync time and retry"),
    -1022: (VenueError, False, "signature invalid; check the API secret variable"),
    -2014: (VenueError, False, "API key format invalid; check the API key variable"),
    -2015: (VenueError, False, "API key, IP or permission refused; check the key's settings"),
    -2010: (OrderRejected, False, "the venue refused the order"),
    -2019: (InsufficientMargin, False, "not enough free margin; reduce size or add margin"),
    **{code: (InvalidOrder, False, "fix the order's parameters") for code in _INVALID},
}
_UNKNOWN: tuple[type[VenueError], bool, str] = (VenueError, False, "")
_CODE_IN_TEXT = re.compile(r'"code"\s*:\s*(-?\d+)(?:\s*,\s*"msg"\s*:\s*"([^"]*)")?')


def from_code(
    code: int | None,
    venue_message: str,
    *,
    where: str = "binanceusdm",
    client_order_id: str | None = None,
    retry_after: float | None = None,
) -> VenueError:
    """The VenueError for a Binance `code` (None: unknown → not retryable VenueError)."""
    cls, retryable, hint = CODES.get(code, _UNKNOWN) if code is not None else _UNKNOWN
    message = f"{where}: binance {code}: {venue_message}" + (f" ({hint})" if hint else "")
    return _build(cls, message, code, venue_message, retryable, client_order_id, retry_after)


def from_ccxt(
    exc: BaseException, *, where: str = "binanceusdm", client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the Binance code in its text when there is one, else by class."""
    text = str(exc)
    found = _CODE_IN_TEXT.search(text)
    if found and int(found.group(1)) in CODES:
        return from_code(int(found.group(1)), found.group(2) or _message(text), where=where,
                         client_order_id=client_order_id)  # fmt: skip
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        cls, retryable = RateLimited, True
    elif isinstance(exc, ccxt.InsufficientFunds):
        cls, retryable = InsufficientMargin, False
    elif isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        cls, retryable = InvalidOrder, False
    elif isinstance(exc, ccxt.NetworkError | ccxt.ExchangeNotAvailable):
        cls, retryable = VenueUnavailable, True
    else:
        cls, retryable = VenueError, False
    code = int(found.group(1)) if found else None
    message = f"{where}: {type(exc).__name__}: {text}"
    return _build(cls, message, code, _message(text), retryable, client_order_id, None)


def is_retryable(err: BaseException) -> bool:
    return bool(getattr(err, "retryable", False))


def rejection_reason(err: VenueError) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name, then the venue's words,
    e.g. 'insufficient_margin: binance -2019 Margin is insufficient.'."""
    kind = err.reason if isinstance(err, OrderRejected) else _snake(type(err).__name__)
    code = getattr(err, "code", None)
    venue_message = getattr(err, "venue_message", "") or str(err)
    return f"{kind}: binance {code} {venue_message}" if code else f"{kind}: {venue_message}"


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
