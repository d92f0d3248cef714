"""Binance's conversions: the shared ccxt-unified ones from `venues.common.parse` (which also read
Binance's algo orders: `algo_state`, `is_algo_order`), with Binance's realized-PnL key (`rp` in a
trade's `info`). No I/O."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tradeyard.events import Fill
from tradeyard.venues.common import parse as _common
from tradeyard.venues.common.parse import (
    algo_state,
    balance_updates,
    bar_from_kline,
    bar_from_ohlcv,
    interval_ms,
    is_algo_order,
    order_status,
    order_update_from_order,
    position_from_ccxt,
    trader_from_client_order_id,
)

__all__ = [
    "algo_state",
    "balance_updates",
    "bar_from_kline",
    "bar_from_ohlcv",
    "fill_from_trade",
    "interval_ms",
    "is_algo_order",
    "order_status",
    "order_update_from_order",
    "position_from_ccxt",
    "trader_from_client_order_id",
]


def fill_from_trade(
    trade: Mapping[str, Any], venue: str, symbol: str, trader: str, client_order_id: str
) -> Fill:
    """A ccxt unified trade (from the user stream or fetch_my_trades) → Fill."""
    return _common.fill_from_trade(trade, venue, symbol, trader, client_order_id, pnl_key="rp")
