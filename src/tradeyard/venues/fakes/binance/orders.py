"""The fake's records of orders and trades, in Binance's terms.

The simulated venue knows an order by a client id that must never repeat; Binance knows it by an
integer `orderId` and a `clientOrderId` that only has to be unique among open orders. So each
order gets its Binance ids here and reaches the sim under `sim_id` (the orderId as text); the
sim's reports are mapped back through it. Binance-only fields (origType, workingType,
closePosition, cumulative quote) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["OPEN", "BinanceOrder", "BinanceTrade"]

OPEN = frozenset(("NEW", "PARTIALLY_FILLED"))


@dataclass(slots=True)
class BinanceOrder:
    """One order as GET /fapi/v1/order shows it."""

    order_id: int
    client_order_id: str
    symbol: str
    side: str
    """BUY / SELL."""
    type: str
    """MARKET, LIMIT, STOP_MARKET, TAKE_PROFIT_MARKET (LIQUIDATION for the venue's own)."""
    time_in_force: str
    orig_qty: float
    price: float
    stop_price: float
    reduce_only: bool
    time: int
    update_time: int
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    status: str = "NEW"
    executed_qty: float = 0.0
    cum_quote: float = 0.0
    avg_price: float = 0.0
    position_side: str = "BOTH"

    @property
    def sim_id(self) -> str:
        return str(self.order_id)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN


@dataclass(frozen=True, slots=True)
class BinanceTrade:
    """One fill as GET /fapi/v1/userTrades shows it."""

    trade_id: int
    order_id: int
    symbol: str
    side: str
    price: float
    qty: float
    commission: float
    realized_pnl: float
    maker: bool
    time: int
