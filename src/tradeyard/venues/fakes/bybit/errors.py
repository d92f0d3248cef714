"""Bybit's retCode envelope and the one table of codes the fake answers with.

Bybit answers business errors with HTTP 200 and the error in `retCode` (docs v5 "Error
Codes"); only auth and routing failures use other HTTP statuses on some paths, and ccxt maps by
`retCode` alone, so the fake always answers 200 with the envelope. `CODES` is the only place a
code and its message are written; `SIM_REASONS` maps the simulated venue's rejection reasons
onto them so a bot sees the code Bybit would send for the same mistake.
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["CODES", "SIM_REASONS", "BybitError", "envelope", "from_sim_reason"]

CODES: dict[int, str] = {
    10001: "Request parameter error.",
    10002: "invalid request, please check your server timestamp or recv_window param",
    10003: "API key is invalid.",
    10004: "error sign! origin_string[%s]",
    10005: "Permission denied, please check your API key permissions.",
    10006: "Too many visits!",
    10016: "Server error.",
    10017: "Route not found.",
    110001: "order not exists or too late to cancel",
    110003: "Order price exceeds the allowable range.",
    110007: "ab not enough for new order",
    110008: "The order has been completed or cancelled.",
    110017: "current position is zero, cannot fix reduce-only order qty",
    110026: "Cross/isolated margin mode is not modified",
    3400045: "Set margin mode failed",
    110043: "Set leverage not modified",
    110072: "OrderLinkedID is duplicate",
    110094: "Order does not meet minimum order value",
    10029: "Requested symbol is invalid.",
}
"""retCode -> retMsg as Bybit writes it (%s filled by the caller)."""

SIM_REASONS: tuple[tuple[str, int], ...] = (
    # substring of the sim's rejection reason -> Bybit code (first match wins)
    ("insufficient margin", 110007),
    ("reduce-only", 110017),
    ("duplicate client_order_id", 110072),
    ("below min notional", 110094),
    ("unknown symbol", 10029),
)
"""Anything else the sim refuses becomes 10001 with the sim's reason as retMsg."""


class BybitError(Exception):
    """A refusal in Bybit's shape; `args_` fill the %s of the code's message."""

    def __init__(
        self, code: int, *args_: object, msg: str | None = None, result: Any = None
    ) -> None:
        template = CODES.get(code, "Unknown error.")
        if msg is None:
            msg = template % args_ if args_ and template.count("%s") == len(args_) else template
        self.code = code
        self.msg = msg
        self.result = result if result is not None else {}
        super().__init__(f"{code}: {msg}")

    def body(self) -> dict[str, Any]:
        return envelope(self.result, code=self.code, msg=self.msg)


def envelope(result: Any, *, code: int = 0, msg: str = "OK") -> dict[str, Any]:
    """`{"retCode", "retMsg", "result", "retExtInfo", "time"}`: every REST answer's shape."""
    return {
        "retCode": code,
        "retMsg": msg,
        "result": result,
        "retExtInfo": {},
        "time": int(time.time() * 1000),
    }


def from_sim_reason(reason: str) -> BybitError:
    """The Bybit error for a rejection reason of the simulated venue (see `SIM_REASONS`)."""
    low = reason.lower()
    for needle, code in SIM_REASONS:
        if needle in low:
            return BybitError(code)
    return BybitError(10001, msg=reason)
