"""Bybit's conversions: the shared ccxt-unified ones from `venues.common.parse`, plus what is
Bybit's own. No I/O.

The client order id is Bybit's `orderLinkId`. Bybit acknowledges a new order with its ids only, so
the first `new` update is built from the command (`accepted_update`); the full state comes from the
`order` topic. A trade's realized PnL is `execPnl` in its `info`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.venues.common import parse as _common
from tradeyard.venues.common.parse import (
    balance_updates,
    bar_from_kline,
    bar_from_ohlcv,
    interval_ms,
    order_status,
    order_update_from_order,
    position_from_ccxt,
    trader_from_client_order_id,
)

__all__ = [
    "accepted_update",
    "balance_updates",
    "bar_from_kline",
    "bar_from_ohlcv",
    "fill_from_trade",
    "interval_ms",
    "order_status",
    "order_update_from_order",
    "position_from_ccxt",
    "trade_client_order_id",
    "trader_from_client_order_id",
]


def trade_client_order_id(trade: Mapping[str, Any]) -> str:
    """The client order id of a ccxt unified trade (Bybit's `orderLinkId` in `info`)."""
    info = trade.get("info")
    coid = info.get("orderLinkId") if isinstance(info, Mapping) else None
    return str(coid or trade.get("clientOrderId") or "")


def accepted_update(cmd: SubmitOrder, venue: str, venue_order_id: str, now_ms: int) -> OrderUpdate:
    """The `new` update for an order Bybit acknowledged (its answer carries only the ids)."""
    return OrderUpdate(
        cmd.trader, venue, cmd.symbol, now_ms, cmd.client_order_id, "new", cmd.side,
        cmd.order_type, cmd.qty, price=cmd.price, trigger_price=cmd.trigger_price,
        reduce_only=cmd.reduce_only, venue_order_id=venue_order_id,
    )  # fmt: skip


def fill_from_trade(
    trade: Mapping[str, Any], venue: str, symbol: str, trader: str, client_order_id: str
) -> Fill:
    """A ccxt unified trade (from the `execution` topic or fetch_my_trades) → Fill."""
    return _common.fill_from_trade(trade, venue, symbol, trader, client_order_id, pnl_key="execPnl")
