"""ccxt exceptions and venue error codes → tradeyard's VenueError tree: the shared machinery.

Each venue's `errors.py` keeps its own code table (`CodeTable`: code → (error class, retryable,
fix), and code → reason tag), how a code and message are read back from ccxt's exception text,
and thin `from_code` / `from_ccxt` / `rejection_reason` wrappers. Every mapped error keeps the
venue's raw `code` (int or None) and `venue_message`, says whether a retry can help
(`retryable`), and carries a `reason_tag` naming the cause in a word (`REASONS`), which starts
the OrderUpdate.reason of a rejected order: `precision: binance -1111 Precision is over …`.
A known code wins over ccxt's exception class.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import ccxt

from tradeyard.errors import (
    InsufficientMargin,
    InvalidOrder,
    OrderRejected,
    RateLimited,
    VenueError,
    VenueUnavailable,
)

__all__ = [
    "AUTH_ERRORS",
    "CCXT_ERROR",
    "DRIFT_ERRORS",
    "RATE_LIMIT_ERRORS",
    "REASONS",
    "CodeEntry",
    "CodeTable",
    "StreamError",
    "build_error",
    "from_ccxt",
    "from_code",
    "is_retryable",
    "rejection_reason",
]

CCXT_ERROR: type[Exception] = ccxt.BaseError
"""Every error ccxt raises (for modules that must not import ccxt themselves)."""
RATE_LIMIT_ERRORS: tuple[type[Exception], ...] = (ccxt.DDoSProtection, ccxt.RateLimitExceeded)
"""ccxt's "slow down" classes (HTTP 418 / 429 and mapped rate-limit codes)."""
DRIFT_ERRORS: tuple[type[Exception], ...] = (ccxt.InvalidNonce,)
"""ccxt's class for a timestamp outside the venue's recv window."""
AUTH_ERRORS: tuple[type[Exception], ...] = (ccxt.AuthenticationError, ccxt.PermissionDenied)
"""ccxt's classes for refused credentials."""
StreamError: type[Exception] = ccxt.NetworkError
"""What an adapter fails a ccxt websocket with to make its watchers reconnect."""

CodeEntry = tuple[type[VenueError], bool, str]
"""(error class, retryable, fix or explanation)."""
_UNKNOWN: CodeEntry = (VenueError, False, "")

REASONS: dict[str, str] = {
    "insufficient_margin": "not enough free margin for the order",
    "precision": "price or quantity not on the symbol's tick or step size",
    "min_notional": "order value (price x quantity) below the symbol's minimum",
    "min_quantity": "quantity below the symbol's minimum",
    "unknown_order": "no such order (already filled, cancelled or never placed)",
    "duplicate_order_id": "the client order id was used before",
    "timestamp_drift": "request timestamp outside the venue's recv window (clock drift)",
    "bad_signature": "request signature invalid (wrong API secret)",
    "invalid_api_key": "API key refused (wrong key, IP not allowed, or missing permission)",
    "permission_denied": "the API key lacks the permission for this call",
    "rate_limited": "request rate or weight limit hit",
}
"""The reason tags a code table may use, and what each means (docs/resilience.md)."""


def _group_or_text(text: str, found: re.Match[str] | None) -> str:
    return (found.group(2) if found else None) or text


@dataclass(frozen=True, slots=True)
class CodeTable:
    """One venue's error vocabulary.

    `code_in_text` finds `(code, message?)` in a ccxt exception's text; `message_of(text, found)`
    is the venue's words when the regex did not capture them; `unavailable` lists the extra ccxt
    classes (beyond network errors) that mean "retry later".
    """

    venue: str
    codes: Mapping[int, CodeEntry]
    code_in_text: re.Pattern[str]
    message_of: Callable[[str, re.Match[str] | None], str] = _group_or_text
    unavailable: tuple[type[BaseException], ...] = field(default=())
    reasons: Mapping[int, str] = field(default_factory=dict)
    """code → reason tag (a key of `REASONS`) for the codes whose cause deserves its own word."""
    message_reasons: tuple[tuple[str, str], ...] = ()
    """(lower-case substring of the venue's message, reason tag), for generic codes (Bybit's
    10001 "Request parameter error" covers precision mistakes too); first match wins."""


def from_code(
    table: CodeTable,
    code: int | None,
    venue_message: str,
    *,
    where: str,
    client_order_id: str | None = None,
    retry_after: float | None = None,
) -> VenueError:
    """The VenueError for a venue `code` (None or unknown → not retryable VenueError)."""
    cls, retryable, hint = table.codes.get(code, _UNKNOWN) if code is not None else _UNKNOWN
    message = f"{where}: {table.venue} {code}: {venue_message}" + (f" ({hint})" if hint else "")
    err = build_error(cls, message, code, venue_message, retryable, client_order_id, retry_after)
    tag = table.reasons.get(code) if code is not None else None
    if tag is None:
        low = venue_message.lower()
        tag = next((t for needle, t in table.message_reasons if needle in low), None)
    if tag is not None:
        err.reason_tag = tag  # type: ignore[attr-defined]
    return err


def from_ccxt(
    table: CodeTable, exc: BaseException, *, where: str, client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the venue code in its text when it is known, else by class."""
    text = str(exc)
    found = table.code_in_text.search(text)
    if found and int(found.group(1)) in table.codes:
        return from_code(table, int(found.group(1)), found.group(2) or table.message_of(text, found),
                         where=where, client_order_id=client_order_id)  # fmt: skip
    tag: str | None = None
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        cls, retryable, tag = RateLimited, True, "rate_limited"
    elif isinstance(exc, ccxt.InsufficientFunds):
        cls, retryable = InsufficientMargin, False
    elif isinstance(exc, ccxt.OrderNotFound):
        cls, retryable, tag = InvalidOrder, False, "unknown_order"
    elif isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        cls, retryable = InvalidOrder, False
    elif isinstance(exc, ccxt.InvalidNonce):
        cls, retryable, tag = VenueUnavailable, True, "timestamp_drift"
    elif isinstance(exc, (*table.unavailable, ccxt.NetworkError, ccxt.ExchangeNotAvailable)):
        cls, retryable = VenueUnavailable, True
    elif isinstance(exc, ccxt.AuthenticationError):
        cls, retryable, tag = VenueError, False, "invalid_api_key"
    else:
        cls, retryable = VenueError, False
    code = int(found.group(1)) if found else None
    message = f"{where}: {type(exc).__name__}: {text}"
    venue_message = table.message_of(text, found)
    err = build_error(cls, message, code, venue_message, retryable, client_order_id, None)
    if tag is not None:
        err.reason_tag = tag  # type: ignore[attr-defined]
    return err


def is_retryable(err: BaseException) -> bool:
    return bool(getattr(err, "retryable", False))


def rejection_reason(err: VenueError, venue: str) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name (its reason tag, else the
    error class), then the venue's words, e.g.
    'insufficient_margin: binance -2019 Margin is insufficient.',
    'precision: binance -1111 Precision is over the maximum defined for this asset.'."""
    tag = getattr(err, "reason_tag", None)
    if tag:
        kind = str(tag)
    elif isinstance(err, OrderRejected):
        kind = err.reason
    else:
        kind = _snake(type(err).__name__)
    code = getattr(err, "code", None)
    venue_message = getattr(err, "venue_message", "") or str(err)
    return f"{kind}: {venue} {code} {venue_message}" if code else f"{kind}: {venue_message}"


def build_error(
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
