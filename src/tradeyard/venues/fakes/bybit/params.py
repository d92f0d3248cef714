"""Checks of `/v5/order/create` bodies before the simulated venue sees them.

Bybit refuses malformed requests itself (10001 "Request parameter error" with the field named)
and leaves business rules to the matching engine; the fake does the same split: this module
checks fields and enums, the sim checks filters and margin (`errors.SIM_REASONS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tradeyard.venues.fakes.bybit.errors import BybitError

__all__ = ["NewOrder", "parse_new_order", "require_linear"]

TIFS = ("GTC", "IOC", "FOK", "PostOnly")
UNSUPPORTED = ("takeProfit", "stopLoss", "tpslMode", "tpLimitPrice", "slLimitPrice",
               "trailingStop", "closeOnTrigger", "isLeverage", "orderFilter")  # fmt: skip
"""Fields the fake refuses (10001, naming them) rather than silently ignoring: attached TP/SL
and the like have no counterpart in the simulated venue."""


@dataclass(frozen=True, slots=True)
class NewOrder:
    symbol: str
    side: str
    order_type: str
    qty: float
    price: float
    time_in_force: str
    order_link_id: str
    reduce_only: bool
    trigger_price: float
    trigger_direction: int


def require_linear(params: Mapping[str, Any]) -> None:
    """The fake serves USDT perpetuals only (`category=linear`)."""
    if params.get("category") != "linear":
        raise BybitError(10001, msg="Illegal category: the fake serves category=linear only")


def _number(params: Mapping[str, Any], name: str, *, required: bool) -> float:
    raw = params.get(name)
    if raw in (None, ""):
        if required:
            raise BybitError(10001, msg=f"params error: {name} is required")
        return 0.0
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise BybitError(10001, msg=f"params error: {name} invalid") from None
    if value < 0:
        raise BybitError(10001, msg=f"params error: {name} invalid")
    return value


def _bool(raw: Any) -> bool:
    return raw is True or str(raw).lower() in ("true", "1")


def parse_new_order(params: Mapping[str, Any], symbols: Mapping[str, object]) -> NewOrder:
    require_linear(params)
    unsupported = [k for k in UNSUPPORTED if params.get(k) not in (None, "", False, "0", 0)]
    if unsupported:
        raise BybitError(10001, msg=f"not supported by the fake: {', '.join(unsupported)}")
    symbol = str(params.get("symbol", ""))
    if symbol not in symbols:
        raise BybitError(10001, msg=f"params error: symbol invalid {symbol!r}")
    side = params.get("side")
    if side not in ("Buy", "Sell"):
        raise BybitError(10001, msg="params error: side invalid")
    order_type = params.get("orderType")
    if order_type not in ("Market", "Limit"):
        raise BybitError(10001, msg="params error: orderType invalid")
    qty = _number(params, "qty", required=True)
    if qty <= 0:
        raise BybitError(10001, msg="params error: qty invalid")
    price = _number(params, "price", required=order_type == "Limit")
    tif = str(params.get("timeInForce") or ("IOC" if order_type == "Market" else "GTC"))
    if tif not in TIFS:
        raise BybitError(10001, msg="params error: timeInForce invalid")
    link = str(params.get("orderLinkId") or "")
    if len(link) > 36:
        raise BybitError(10001, msg="params error: orderLinkId too long")
    if int(params.get("positionIdx", 0) or 0) != 0:
        raise BybitError(10001, msg="position idx not match position mode")
    trigger = _number(params, "triggerPrice", required=False)
    direction = int(params.get("triggerDirection", 0) or 0)
    if trigger and direction not in (1, 2):
        raise BybitError(10001, msg="params error: triggerDirection invalid")
    if trigger and order_type == "Limit":
        raise BybitError(10001, msg="not supported by the fake: conditional Limit orders")
    return NewOrder(
        symbol, str(side), str(order_type), qty, price, tif, link,
        _bool(params.get("reduceOnly", False)), trigger, direction,
    )  # fmt: skip
