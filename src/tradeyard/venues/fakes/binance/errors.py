"""Binance's error envelope and the one table of codes the fake answers with.

Every refusal leaves the server as `{"code": <int>, "msg": <str>}` with the HTTP status Binance
uses for that code (docs "Error Codes" and "General Info", USDⓈ-M Futures). `CODES` is the only
place a code, its status and its message are written; `SIM_REASONS` maps the simulated venue's
rejection reasons (plain English, see `venues/sim/validation.py` and `admission.py`) onto them,
so a bot sees the same code it would get from Binance for the same mistake.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["CODES", "SIM_REASONS", "BinanceError", "from_sim_reason"]

CODES: dict[int, tuple[int, str]] = {
    # code: (HTTP status, message as Binance writes it; %s filled by the caller)
    -1000: (500, "An unknown error occured while processing the request."),
    -1003: (429, "Too many requests; current limit is %s requests per minute. Please use the "
                 "websocket for live updates to avoid polling the API."),
    -1021: (400, "Timestamp for this request is outside of the recvWindow."),
    -1022: (400, "Signature for this request is not valid."),
    -1023: (400, "Start time is greater than end time."),
    -1100: (400, "Illegal characters found in parameter '%s'; legal range is '%s'."),
    -1102: (400, "Mandatory parameter '%s' was not sent, was empty/null, or malformed."),
    -1106: (400, "Parameter '%s' sent when not required."),
    -1111: (400, "Precision is over the maximum defined for this asset."),
    -1115: (400, "Invalid timeInForce."),
    -1116: (400, "Invalid orderType."),
    -1117: (400, "Invalid side."),
    -1120: (400, "Invalid interval."),
    -1121: (400, "Invalid symbol."),
    -1125: (400, "This listenKey does not exist."),
    -1130: (400, "Data sent for parameter '%s' is not valid."),
    -1131: (400, "recvWindow must be less than 60000"),
    -2010: (400, "NEW_ORDER_REJECTED"),
    -2011: (400, "Unknown order sent."),
    -2013: (400, "Order does not exist."),
    -2014: (401, "API-key format invalid."),
    -2015: (401, "Invalid API-key, IP, or permissions for action."),
    -2019: (400, "Margin is insufficient."),
    -2021: (400, "Order would immediately trigger."),
    -2022: (400, "ReduceOnly Order is rejected."),
    -2027: (400, "Exceeded the maximum allowable position at current leverage."),
    -4001: (400, "Price less than 0."),
    -4003: (400, "Quantity less than or equal to zero."),
    -4004: (400, "Quantity less than min quantity."),
    -4005: (400, "Quantity greater than max quantity."),
    -4014: (400, "Price not increased by tick size."),
    -4015: (400, "Client order id is not valid."),
    -4023: (400, "Qty not increased by step size."),
    -4028: (400, "Leverage %s is not valid"),
    -4046: (400, "No need to change margin type."),
    -4047: (400, "Margin type cannot be changed if there exists open orders."),
    -4048: (400, "Margin type cannot be changed if there exists position."),
    -4059: (400, "No need to change position side."),
    -4061: (400, "Order's position side does not match user's setting."),
    -4116: (400, "ClientOrderId is duplicated."),
    -4120: (400, "Order type not supported for this endpoint. Please use the Algo Order API "
                 "endpoints instead."),
    -4164: (400, "Order's notional must be no smaller than %s (unless you choose reduce only)."),
    -5000: (404, "Path %s, Method %s is invalid"),
    -5022: (400, "Due to the order could not be executed as maker, the Post Only order will be "
                 "rejected. The order will not be recorded in the order history"),
}  # fmt: skip

SIM_REASONS: tuple[tuple[str, int], ...] = (
    # substring of the sim's rejection reason -> Binance code (first match wins)
    ("insufficient margin", -2019),
    ("reduce-only order would increase", -2022),
    ("post-only", -5022),
    ("leverage bracket", -2027),
    ("allowed for a", -2027),
    ("duplicate client_order_id", -4116),
    ("not a multiple of step size", -4023),
    ("not a multiple of tick size", -4014),
    ("below min qty", -4004),
    ("below min notional", -4164),
    ("unknown symbol", -1121),
    ("above the maximum", -4028),
)
"""Anything else the sim refuses becomes -2010 NEW_ORDER_REJECTED with the sim's reason."""


class BinanceError(Exception):
    """A refusal in Binance's shape. `args_` fill the %s of the code's message."""

    def __init__(
        self,
        code: int,
        *args_: object,
        msg: str | None = None,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        default_status, template = CODES.get(code, (400, "Unknown error."))
        if msg is None:
            msg = template % args_ if args_ and template.count("%s") == len(args_) else template
        self.code = code
        self.msg = msg
        self.status = default_status if status is None else status
        self.headers = headers or {}
        super().__init__(f"{code}: {msg}")

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "msg": self.msg}


def from_sim_reason(reason: str) -> BinanceError:
    """The Binance error for a rejection reason of the simulated venue (see `SIM_REASONS`)."""
    low = reason.lower()
    for needle, code in SIM_REASONS:
        if needle in low:
            if code == -4164:
                found = re.search(r"min notional ([0-9.]+)", reason)
                return BinanceError(code, found.group(1) if found else "5")
            return BinanceError(code)
    return BinanceError(-2010, msg=reason)
