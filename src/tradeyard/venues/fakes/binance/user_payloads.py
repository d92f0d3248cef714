"""Order and user-data-stream payloads in Binance USDⓈ-M's exact JSON shape.

Pure functions from the fake's records (`BinanceOrder`, `BinanceTrade`) and position views
(`account_payloads.PositionView`) to the dicts Binance sends: REST order objects and trades
(docs "New Order", "Query Order", "Account Trade List") and the user-data events
ORDER_TRADE_UPDATE, ACCOUNT_UPDATE, ACCOUNT_CONFIG_UPDATE and listenKeyExpired
(`binance-usdm.md` §5). Money uses 8 decimals as Binance does.
"""

from __future__ import annotations

from typing import Any

from tradeyard.venues.fakes.binance.account_payloads import PositionView
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.orders import BinanceOrder, BinanceTrade
from tradeyard.venues.fakes.binance.payloads import fmt

__all__ = [
    "account_config_update",
    "account_update",
    "listen_key_expired",
    "order_json",
    "order_trade_update",
    "user_trade",
]

ASSET = "USDT"


def _m(x: float) -> str:
    return fmt(x, 8)


# -- orders -------------------------------------------------------------------------------------
def order_json(order: BinanceOrder, info: SymbolInfo, *, with_time: bool = True) -> dict[str, Any]:
    """The order object of New / Cancel / Query Order and Current Open Orders."""
    p, q = info.price_dp, info.qty_dp
    out: dict[str, Any] = {
        "orderId": order.order_id,
        "symbol": order.symbol,
        "status": order.status,
        "clientOrderId": order.client_order_id,
        "price": fmt(order.price, p),
        "avgPrice": fmt(order.avg_price, max(p, 5)),
        "origQty": fmt(order.orig_qty, q),
        "executedQty": fmt(order.executed_qty, q),
        "cumQty": fmt(order.executed_qty, q),
        "cumQuote": fmt(order.cum_quote, 8),
        "timeInForce": order.time_in_force,
        "type": order.type,
        "reduceOnly": order.reduce_only,
        "closePosition": False,
        "side": order.side,
        "positionSide": order.position_side,
        "stopPrice": fmt(order.stop_price, p),
        "workingType": order.working_type,
        "priceProtect": order.price_protect,
        "origType": order.type,
        "priceMatch": "NONE",
        "selfTradePreventionMode": "EXPIRE_MAKER",
        "goodTillDate": 0,
        "updateTime": order.update_time,
    }
    if with_time:
        out["time"] = order.time
    return out


def order_trade_update(
    order: BinanceOrder,
    info: SymbolInfo,
    *,
    event_time: int,
    exec_type: str,
    last_qty: float = 0.0,
    last_price: float = 0.0,
    commission: float = 0.0,
    trade_id: int = 0,
    maker: bool = False,
    realized: float = 0.0,
) -> dict[str, Any]:
    """ORDER_TRADE_UPDATE for a new / canceled / expired order or one fill (`exec_type` TRADE)."""
    p, q = info.price_dp, info.qty_dp
    o: dict[str, Any] = {
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": fmt(order.orig_qty, q),
        "p": fmt(order.price, p),
        "ap": fmt(order.avg_price, max(p, 5)),
        "sp": fmt(order.stop_price, p),
        "x": exec_type,
        "X": order.status,
        "i": order.order_id,
        "l": fmt(last_qty, q),
        "z": fmt(order.executed_qty, q),
        "L": fmt(last_price, p),
        "T": order.update_time,
        "t": trade_id,
        "b": "0",
        "a": "0",
        "m": maker,
        "R": order.reduce_only,
        "wt": order.working_type,
        "ot": order.type,
        "ps": order.position_side,
        "cp": False,
        "rp": _m(realized),
        "pP": order.price_protect,
        "si": 0,
        "ss": 0,
        "V": "EXPIRE_MAKER",
        "pm": "NONE",
        "gtd": 0,
    }
    if exec_type in ("TRADE", "CALCULATED"):
        o["N"] = ASSET
        o["n"] = _m(commission)
    return {"e": "ORDER_TRADE_UPDATE", "E": event_time, "T": order.update_time, "o": o}


def _position_entry(pos: PositionView) -> dict[str, Any]:
    return {
        "s": pos.info.symbol,
        "pa": fmt(pos.qty, pos.info.qty_dp),
        "ep": fmt(pos.entry, max(pos.info.price_dp, 5)),
        "bep": fmt(pos.break_even, max(pos.info.price_dp, 5)),
        "cr": _m(pos.realized),
        "up": _m(pos.unrealized),
        "mt": "isolated" if pos.isolated else "cross",
        "iw": _m(pos.initial_margin if pos.isolated else 0.0),
        "ps": "BOTH",
    }


def account_update(
    reason: str,
    event_time: int,
    tx_time: int,
    wallet: float,
    balance_change: float,
    positions: list[PositionView],
) -> dict[str, Any]:
    """ACCOUNT_UPDATE (`reason`: ORDER, FUNDING_FEE, DEPOSIT, …) with the changed positions."""
    return {
        "e": "ACCOUNT_UPDATE",
        "E": event_time,
        "T": tx_time,
        "a": {
            "m": reason,
            "B": [{"a": ASSET, "wb": _m(wallet), "cw": _m(wallet), "bc": _m(balance_change)}],
            "P": [_position_entry(p) for p in positions],
        },
    }


def account_config_update(symbol: str, leverage: int, event_time: int) -> dict[str, Any]:
    return {
        "e": "ACCOUNT_CONFIG_UPDATE",
        "E": event_time,
        "T": event_time,
        "ac": {"s": symbol, "l": leverage},
    }


def listen_key_expired(listen_key: str, event_time: int) -> dict[str, Any]:
    return {"e": "listenKeyExpired", "E": str(event_time), "listenKey": listen_key}


def user_trade(t: BinanceTrade, info: SymbolInfo) -> dict[str, Any]:
    """One row of GET /fapi/v1/userTrades."""
    return {
        "buyer": t.side == "BUY",
        "commission": _m(t.commission),
        "commissionAsset": ASSET,
        "id": t.trade_id,
        "maker": t.maker,
        "orderId": t.order_id,
        "price": fmt(t.price, info.price_dp),
        "qty": fmt(t.qty, info.qty_dp),
        "quoteQty": _m(t.price * t.qty),
        "realizedPnl": _m(t.realized_pnl),
        "side": t.side,
        "positionSide": "BOTH",
        "symbol": t.symbol,
        "time": t.time,
    }
