"""ccxt exceptions and venue error codes → tradeyard's VenueError tree: the shared machinery.

Each venue's `errors.py` keeps its own code table (`CodeTable`: code → (error class, retryable,
fix)), how a code and message are read back from ccxt's exception text, and thin `from_code` /
`from_ccxt` / `rejection_reason` wrappers. Every mapped error keeps the venue's raw `code` (int or
None) and `venue_message`, and says whether a retry can help (`retryable`). A known code wins over
ccxt's exception class.
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
    "CodeEntry",
    "CodeTable",
    "build_error",
    "from_ccxt",
    "from_code",
    "is_retryable",
    "rejection_reason",
]

CodeEntry = tuple[type[VenueError], bool, str]
"""(error class, retryable, fix or explanation)."""
_UNKNOWN: CodeEntry = (VenueError, False, "")


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
    return build_error(cls, message, code, venue_message, retryable, client_order_id, retry_after)


def from_ccxt(
    table: CodeTable, exc: BaseException, *, where: str, client_order_id: str | None = None
) -> VenueError:
    """Map a ccxt exception: by the venue code in its text when it is known, else by class."""
    text = str(exc)
    found = table.code_in_text.search(text)
    if found and int(found.group(1)) in table.codes:
        return from_code(table, int(found.group(1)), found.group(2) or table.message_of(text, found),
                         where=where, client_order_id=client_order_id)  # fmt: skip
    if isinstance(exc, ccxt.DDoSProtection | ccxt.RateLimitExceeded):
        cls, retryable = RateLimited, True
    elif isinstance(exc, ccxt.InsufficientFunds):
        cls, retryable = InsufficientMargin, False
    elif isinstance(exc, ccxt.InvalidOrder | ccxt.BadSymbol | ccxt.BadRequest):
        cls, retryable = InvalidOrder, False
    elif isinstance(exc, (*table.unavailable, ccxt.NetworkError, ccxt.ExchangeNotAvailable)):
        cls, retryable = VenueUnavailable, True
    else:
        cls, retryable = VenueError, False
    code = int(found.group(1)) if found else None
    message = f"{where}: {type(exc).__name__}: {text}"
    venue_message = table.message_of(text, found)
    return build_error(cls, message, code, venue_message, retryable, client_order_id, None)


def is_retryable(err: BaseException) -> bool:
    return bool(getattr(err, "retryable", False))


def rejection_reason(err: VenueError, venue: str) -> str:
    """The OrderUpdate.reason for a failed submit: the cause's name, then the venue's words,
    e.g. 'insufficient_margin: binance -2019 Margin is insufficient.'."""
    kind = err.reason if isinstance(err, OrderRejected) else _snake(type(err).__name__)
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
