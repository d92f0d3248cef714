"""Pure conversions: ccxt unified dicts (and decoded klines) → tradeyard events. No I/O.

Shared by the live adapters (Binance, Bybit): ccxt already unifies each venue's wire, so the venue
is a parameter; each venue's `parse.py` keeps only what truly differs (e.g. the `info` key that
carries the realized PnL of a trade). The trader that owns an order is encoded in its client order
id: `<trader>-<seq>` (the trader id may itself contain dashes; the sequence follows the last one).

Binance's conditional orders live in its Algo Order API (`binance-usdm.md` §5.5): ccxt parses an
algo order (REST `algoId`, stream ALGO_UPDATE `aid`) by its algo status and maps TRIGGERED and
FINISHED to "closed", which would read as filled before any fill. `order_update_from_order` reads
those by their own status instead: NEW / TRIGGERING / TRIGGERED are still `new` (the triggered
engine order reports its fills itself; `binance/engine_orders.py` maps them to the algo's client
order id), FINISHED is `filled`
only with the actual quantity (`aq`) done, CANCELED / EXPIRED / REJECTED as they say. The order
type is taken from the original type (`ot`, `origType`, the algo's `orderType`), as ccxt maps
STOP_MARKET to "market".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from tradeyard.events import (
    BalanceUpdate,
    Bar,
    Fill,
    OrderStatus,
    OrderType,
    OrderUpdate,
    PositionUpdate,
    Side,
)

__all__ = [
    "KlineLike",
    "algo_state",
    "balance_updates",
    "bar_from_kline",
    "bar_from_ohlcv",
    "fill_from_trade",
    "interval_ms",
    "is_algo_order",
    "order_status",
    "order_type",
    "order_update_from_order",
    "position_from_ccxt",
    "trader_from_client_order_id",
]


class KlineLike(Protocol):
    symbol: str
    interval: str
    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float
    closed: bool


_UNITS_MS = {"m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_STATUS: dict[str, OrderStatus] = {
    "open": "new",
    "closed": "filled",
    "canceled": "canceled",
    "cancelled": "canceled",
    "rejected": "rejected",
    "expired": "expired",
}
_ALGO_WORKING = frozenset(("NEW", "TRIGGERING", "TRIGGERED"))
"""Algo statuses of a conditional order not done yet (TRIGGERED: its engine order is working)."""
_TYPES: dict[str, OrderType] = {
    "market": "market",
    "limit": "limit",
    "stop": "stop",
    "stop_market": "stop",
    "take_profit": "take_profit",
    "take_profit_market": "take_profit",
}


def interval_ms(interval: str) -> int:
    """'1m' → 60000, '4h' → 14400000 (minutes to weeks; no monthly)."""
    unit = _UNITS_MS.get(interval[-1:])
    if unit is None or not interval[:-1].isdigit():
        raise ValueError(
            f"interval {interval!r} is not supported: expected such as 1m, 15m, 1h, 1d"
        )
    return int(interval[:-1]) * unit


def bar_from_ohlcv(
    row: Sequence[Any], venue: str, symbol: str, interval: str, closed: bool = True
) -> Bar:
    """A ccxt OHLCV row `[open_time, o, h, l, c, v]` → Bar (close_time = next open - 1 ms)."""
    open_time = int(row[0])
    return Bar(
        venue, symbol, interval, open_time, open_time + interval_ms(interval) - 1,
        float(row[1]), float(row[2]), float(row[3]), float(row[4]), float(row[5] or 0.0), closed,
    )  # fmt: skip


def bar_from_kline(k: KlineLike, venue: str) -> Bar:
    return Bar(
        venue, k.symbol, k.interval, k.open_time, k.close_time,
        k.open, k.high, k.low, k.close, k.volume, k.closed,
    )  # fmt: skip


def trader_from_client_order_id(client_order_id: str | None) -> str | None:
    """'ema-trader-42' → 'ema-trader'; None when the id does not follow `<trader>-<seq>`."""
    if not client_order_id:
        return None
    trader, sep, seq = client_order_id.rpartition("-")
    return trader if sep and trader and seq.isdigit() else None


def order_status(order: Mapping[str, Any]) -> OrderStatus:
    status = _STATUS.get(str(order.get("status")), "new")
    if status == "new" and float(order.get("filled") or 0.0) > 0.0:
        return "partially_filled"
    return status


def order_update_from_order(
    order: Mapping[str, Any], venue: str, symbol: str, trader: str, now_ms: int = 0
) -> OrderUpdate:
    """A ccxt unified order → OrderUpdate (status open → new / partially_filled, closed → filled;
    a Binance algo order by its algo status, see the module docstring)."""
    state = algo_state(order)
    status, filled_qty, avg_price = (
        state
        if state is not None
        else (
            order_status(order),
            float(order.get("filled") or 0.0),
            _opt_float(order.get("average")),
        )
    )
    return OrderUpdate(
        trader=trader,
        venue=venue,
        symbol=symbol,
        ts=int(order.get("lastUpdateTimestamp") or order.get("timestamp") or now_ms),
        client_order_id=str(order.get("clientOrderId") or ""),
        status=status,
        side=_side(order.get("side")),
        order_type=order_type(order),
        qty=float(order.get("amount") or 0.0),
        filled_qty=filled_qty,
        avg_price=avg_price,
        price=_opt_float(order.get("price")),
        trigger_price=_opt_float(order.get("triggerPrice")),
        reduce_only=bool(order.get("reduceOnly")),
        venue_order_id=str(order.get("id") or ""),
    )


def is_algo_order(order: Mapping[str, Any]) -> bool:
    """True for a Binance algo (conditional) order: REST `algoId`, stream ALGO_UPDATE `aid`."""
    info = order.get("info")
    return isinstance(info, Mapping) and ("algoId" in info or "aid" in info)


def algo_state(order: Mapping[str, Any]) -> tuple[OrderStatus, float, float | None] | None:
    """(status, filled qty, average price) of a Binance algo order; None for any other order
    (and for an answer without a status, such as the algo cancel's `{"code": "200"}`)."""
    if not is_algo_order(order):
        return None
    info = order["info"]
    raw = str((info.get("X") if "aid" in info else info.get("algoStatus")) or "").upper()
    if not raw:
        return None
    done = float(info.get("aq") or 0.0)  # the triggered order's executed qty (stream only)
    avg = _opt_float(info.get("ap")) if done > 0.0 else None
    if raw in _ALGO_WORKING:
        return "new", 0.0, None
    if raw == "FINISHED":
        amount = float(order.get("amount") or 0.0)
        if done > 0.0 and done >= amount * (1.0 - 1e-9):
            return "filled", done, avg
        return ("partially_filled" if done > 0.0 else "new"), done, avg
    status = _STATUS.get(str(order.get("status")), "new")
    return status, done, avg


def order_type(order: Mapping[str, Any]) -> OrderType:
    """The order's type: the original conditional type when the venue names one (Binance `ot`,
    `origType`, an algo order's `orderType` / `o`), else ccxt's unified type."""
    info = order.get("info")
    if isinstance(info, Mapping):
        keys = ("ot", "origType", "orderType", "o" if "aid" in info else "")
        for key in keys:
            raw = info.get(key)
            kind = _TYPES.get(raw.lower()) if isinstance(raw, str) else None
            if kind in ("stop", "take_profit"):
                return kind
    return _TYPES.get(str(order.get("type")).lower(), "market")


def fill_from_trade(
    trade: Mapping[str, Any],
    venue: str,
    symbol: str,
    trader: str,
    client_order_id: str,
    pnl_key: str = "rp",
) -> Fill:
    """A ccxt unified trade (from the user stream or fetch_my_trades) → Fill; `pnl_key` names the
    raw `info` field carrying the realized PnL (Binance `rp`, Bybit `execPnl`)."""
    fee = trade.get("fee") or {}
    info = trade.get("info") or {}
    return Fill(
        trader=trader,
        venue=venue,
        symbol=symbol,
        ts=int(trade.get("timestamp") or 0),
        client_order_id=client_order_id,
        side=_side(trade.get("side")),
        qty=float(trade.get("amount") or 0.0),
        price=float(trade.get("price") or 0.0),
        fee=float(fee.get("cost") or 0.0),
        liquidity="maker" if trade.get("takerOrMaker") == "maker" else "taker",
        realized_pnl=float(info.get(pnl_key) or 0.0) if isinstance(info, Mapping) else 0.0,
        fill_id=str(trade.get("id") or ""),
    )


def position_from_ccxt(
    position: Mapping[str, Any], venue: str, symbol: str, trader: str
) -> PositionUpdate:
    """A ccxt unified position → PositionUpdate with a signed qty (short < 0)."""
    contracts = float(position.get("contracts") or 0.0)
    return PositionUpdate(
        trader=trader,
        venue=venue,
        symbol=symbol,
        ts=int(position.get("timestamp") or 0),
        qty=-contracts if position.get("side") == "short" else contracts,
        entry_price=float(position.get("entryPrice") or 0.0),
        leverage=float(position.get("leverage") or 1.0),
        unrealized_pnl=float(position.get("unrealizedPnl") or 0.0),
        liquidation_price=_opt_float(position.get("liquidationPrice")),
    )


def balance_updates(
    balance: Mapping[str, Any], venue: str, trader: str, ts: int, assets: Sequence[str] = ("USDT",)
) -> list[BalanceUpdate]:
    """A ccxt unified balance → one BalanceUpdate per asset present (total, free)."""
    out = []
    for asset in assets:
        entry = balance.get(asset)
        if isinstance(entry, Mapping) and entry.get("total") is not None:
            out.append(
                BalanceUpdate(
                    trader,
                    venue,
                    int(balance.get("timestamp") or ts),
                    asset,
                    float(entry["total"]),
                    float(entry.get("free") or 0.0),
                )
            )
    return out


def _side(value: object) -> Side:
    return "sell" if str(value).lower() == "sell" else "buy"


def _opt_float(value: object) -> float | None:
    if value is None or value == "":
        return None
    number = float(value)  # type: ignore[arg-type]
    return number if number != 0.0 else None
