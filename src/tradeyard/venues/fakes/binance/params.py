"""New-order parameters: parsed and checked the way Binance's API layer does, before any matching.

Binance refuses malformed orders itself, with precise codes (missing parameter -1102, bad enum
-1115 / -1116 / -1117, too many decimals -1111, off the tick -4014 or step -4023, quantity
bounds -4003 / -4004 / -4005, min notional -4164, a trigger that would fire at once -2021),
before the matching engine looks at margin. The same split is kept here: what passes becomes an
`OrderRequest`, and only the economic checks (margin, reduce-only, post-only, leverage bracket)
are left to the simulated venue. Numbers are parsed as Decimal, so "0.1" is checked against a
0.1 step exactly, with no float noise.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.instruments import SymbolInfo

__all__ = ["OrderRequest", "parse_new_order"]

SUPPORTED_TYPES = ("MARKET", "LIMIT", "STOP_MARKET", "TAKE_PROFIT_MARKET")
KNOWN_TYPES = (*SUPPORTED_TYPES, "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET")
TIME_IN_FORCE = ("GTC", "IOC", "FOK", "GTX")
_CLIENT_ID = re.compile(r"^[\.A-Z\:/a-z0-9_-]{1,36}$")
_NUMBER = re.compile(r"^([0-9]{1,20})(\.[0-9]{1,20})?$")


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """A well-formed new order, in Binance's vocabulary."""

    symbol: str
    side: str
    type: str
    time_in_force: str
    qty: float
    price: float
    stop_price: float
    reduce_only: bool
    client_order_id: str | None
    working_type: str
    price_protect: bool


def _required(params: Mapping[str, str], name: str) -> str:
    value = params.get(name, "")
    if value == "":
        raise BinanceError(-1102, name)
    return value


def _decimal(name: str, raw: str) -> Decimal:
    if not _NUMBER.match(raw):
        raise BinanceError(-1100, name, _NUMBER.pattern)
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise BinanceError(-1100, name, _NUMBER.pattern) from None


def _decimals(d: Decimal) -> int:
    exp = d.normalize().as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 0


def _check_price(name: str, raw: str, info: SymbolInfo) -> float:
    d = _decimal(name, raw)
    if d <= 0:
        raise BinanceError(-4001)
    if _decimals(d) > info.price_dp:
        raise BinanceError(-1111)
    if d % Decimal(str(info.spec.tick_size)) != 0:
        raise BinanceError(-4014)
    return float(d)


def _check_qty(raw: str, info: SymbolInfo, order_type: str) -> float:
    d = _decimal("quantity", raw)
    if d <= 0:
        raise BinanceError(-4003)
    if _decimals(d) > info.qty_dp:
        raise BinanceError(-1111)
    if d % Decimal(str(info.spec.step_size)) != 0:
        raise BinanceError(-4023)
    qty = float(d)
    if qty < info.spec.min_qty:
        raise BinanceError(-4004)
    cap = info.max_qty if order_type == "LIMIT" else info.market_max_qty
    if qty > cap:
        raise BinanceError(-4005)
    return qty


def _bool(params: Mapping[str, str], name: str) -> bool:
    raw = params.get(name, "false").lower()
    if raw not in ("true", "false"):
        raise BinanceError(-1130, name)
    return raw == "true"


def _check_trigger(side: str, order_type: str, stop: float, mark: float | None) -> None:
    """-2021 when a stop / take-profit would fire at once at the current price."""
    if mark is None:
        return
    rises = (side == "BUY") == (order_type == "STOP_MARKET")  # buy stop / sell TP fire upward
    if (rises and stop <= mark) or (not rises and stop >= mark):
        raise BinanceError(-2021)


def parse_new_order(
    params: Mapping[str, str], symbols: Mapping[str, SymbolInfo], mark: float | None
) -> OrderRequest:
    """Check POST /fapi/v1/order parameters in Binance's order; `mark`: the current price."""
    symbol = _required(params, "symbol")
    info = symbols.get(symbol)
    if info is None:
        raise BinanceError(-1121)
    side = _required(params, "side")
    if side not in ("BUY", "SELL"):
        raise BinanceError(-1117)
    order_type = _required(params, "type")
    if order_type not in SUPPORTED_TYPES:
        raise BinanceError(-1116)
    if params.get("positionSide", "BOTH") != "BOTH":
        raise BinanceError(-4061)
    if params.get("closePosition", "false").lower() == "true":
        raise BinanceError(-1106, "closePosition")
    tif = params.get("timeInForce", "")
    if order_type == "LIMIT":
        tif = _required(params, "timeInForce")
    if tif and tif not in TIME_IN_FORCE:
        raise BinanceError(-1115)
    qty = _check_qty(_required(params, "quantity"), info, order_type)
    price = (
        _check_price("price", _required(params, "price"), info) if order_type == "LIMIT" else 0.0
    )
    stop = 0.0
    if order_type in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
        stop = _check_price("stopPrice", _required(params, "stopPrice"), info)
        _check_trigger(side, order_type, stop, mark)
    reduce_only = _bool(params, "reduceOnly")
    price_protect = _bool(params, "priceProtect")
    client_id = params.get("newClientOrderId") or None
    if client_id is not None and not _CLIENT_ID.match(client_id):
        raise BinanceError(-4015)
    if params.get("newOrderRespType", "ACK") not in ("ACK", "RESULT"):
        raise BinanceError(-1130, "newOrderRespType")
    ref = price if order_type == "LIMIT" else stop if stop else mark
    if not reduce_only and ref is not None and qty * ref < info.spec.min_notional:
        raise BinanceError(-4164, f"{info.spec.min_notional:g}")
    return OrderRequest(
        symbol=symbol,
        side=side,
        type=order_type,
        time_in_force=tif or "GTC",
        qty=qty,
        price=price,
        stop_price=stop,
        reduce_only=reduce_only,
        client_order_id=client_id,
        working_type=params.get("workingType", "CONTRACT_PRICE"),
        price_protect=price_protect,
    )
