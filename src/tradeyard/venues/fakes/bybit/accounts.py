"""One API key's unified account on the fake: its orders, executions, settings, and pushes.

The simulated venue reports synchronously and in a fixed order: a fill comes as Fill →
OrderUpdate → PositionUpdate → BalanceUpdate. `BybitAccount.on_sim_event` turns that into what
Bybit pushes on the private stream, in Bybit's order: `execution` (the fill), `order` (its new
state), `position`, `wallet`. A new resting or accepted order pushes `order` with `New`.
Orders the sim rejects while they are being placed are not pushed: Bybit answers those on REST
only, and `rejections` keeps the reason for the REST handler to turn into a retCode.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from tradeyard.events import BalanceUpdate, Event, Fill, OrderUpdate, PositionUpdate
from tradeyard.venues.fakes.binance.account_payloads import AccountView, PositionView
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.bybit import account_payloads, payloads
from tradeyard.venues.fakes.bybit.orders import BybitExecution, BybitOrder

__all__ = ["BybitAccount", "Push", "bybit_status"]

USER_CANCEL = "canceled by trader"
Push = tuple[str, list[dict[str, Any]]]
"""(topic, data) of one private-stream message."""


def bybit_status(status: str, reason: str) -> tuple[str, str]:
    """(orderStatus, cancelType) of a sim status."""
    if status == "canceled":
        return "Cancelled", "CancelByUser" if reason == USER_CANCEL else "CancelByReduceOnly"
    if status in ("rejected", "expired"):
        return ("Rejected" if status == "rejected" else "Cancelled"), "UNKNOWN"
    return {"new": "New", "partially_filled": "PartiallyFilled", "filled": "Filled"}.get(
        status, status
    ), "UNKNOWN"


class BybitAccount:
    """Orders, executions and settings of one API key, and its sim account `trader`."""

    def __init__(
        self,
        api_key: str,
        trader: str,
        symbols: Mapping[str, SymbolInfo],
        default_leverage: int,
        taker_fee: float,
        maker_fee: float,
        views: Callable[[], tuple[Callable[[str, str], PositionView], Callable[[], AccountView]]],
    ) -> None:
        self.api_key = api_key
        self.trader = trader
        self._symbols = symbols
        self._default_leverage = default_leverage
        self._fees = (taker_fee, maker_fee)
        self._views = views
        self.orders: dict[str, BybitOrder] = {}
        self.executions: list[BybitExecution] = []
        self.leverage: dict[str, int] = {}
        self.isolated: dict[str, bool] = {}
        self.isolated_by_default = False
        """The account's margin mode (POST /v5/account/set-margin-mode) for symbols not set."""
        self.created: dict[str, int] = {}
        self.pending: set[str] = set()
        self.rejections: dict[str, str] = {}
        self._fill: Fill | None = None

    def isolated_of(self, symbol: str) -> bool:
        return self.isolated.get(symbol, self.isolated_by_default)

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, self._default_leverage)

    def find(self, order_id: str | None, link_id: str | None) -> BybitOrder | None:
        if order_id:
            return self.orders.get(order_id)
        if link_id:
            found = [o for o in self.orders.values() if o.order_link_id == link_id]
            open_ = [o for o in found if o.is_open]
            return (open_ or found or [None])[-1]
        return None

    def open_orders(self, symbol: str | None = None) -> list[BybitOrder]:
        return [o for o in self.orders.values() if o.is_open and symbol in (None, o.symbol)]

    def order_push(self, order: BybitOrder) -> Push:
        return "order", [payloads.order(order, self._symbols[order.symbol])]

    # -- sim reports → private pushes -------------------------------------------------------
    def on_sim_event(self, event: Event) -> list[Push]:
        if isinstance(event, Fill):
            self._fill = event
            return []
        if isinstance(event, OrderUpdate):
            return self._on_order_update(event)
        position_view, account_view = self._views()
        if isinstance(event, PositionUpdate):
            if event.symbol not in self._symbols:
                return []
            self.created.setdefault(event.symbol, event.ts)
            view = position_view(self.trader, event.symbol)
            return [("position", [account_payloads.position(view, self.created[event.symbol])])]
        if isinstance(event, BalanceUpdate):
            return [("wallet", [account_payloads.wallet(account_view())])]
        return []

    def _on_order_update(self, u: OrderUpdate) -> list[Push]:
        sim_id = u.client_order_id
        if sim_id in self.pending and u.status == "rejected":
            self.rejections[sim_id] = u.reason
            return []
        order = self.orders.get(sim_id)
        if order is None:
            return []  # a liquidation or a refused cancel: nothing Bybit would push here
        fill, self._fill = self._fill, None
        untriggered = order.status == "Untriggered"
        order.status, order.cancel_type = bybit_status(u.status, u.reason)
        if order.conditional and order.status == "New":
            order.status = "Untriggered"  # Bybit's open state of a conditional order
        elif untriggered and order.status == "Cancelled" and fill is None:
            order.status = "Deactivated"  # a conditional order cancelled before its trigger
        order.updated = u.ts
        out: list[Push] = []
        if fill is not None and fill.client_order_id == sim_id:
            order.cum_qty = u.filled_qty
            order.cum_value += fill.qty * fill.price
            order.cum_fee += fill.fee
            order.avg_price = u.avg_price or fill.price
            maker = fill.liquidity == "maker"
            ex = BybitExecution(
                str(uuid.uuid4()), order, fill.price, fill.qty, fill.fee, fill.realized_pnl,
                maker, fill.ts, max(order.qty - order.cum_qty, 0.0),
            )  # fmt: skip
            self.executions.append(ex)
            rate = self._fees[1] if maker else self._fees[0]
            out.append(("execution", [payloads.execution(ex, self._symbols[order.symbol], rate)]))
        if sim_id in self.pending:
            return out  # the acceptance itself is pushed by the REST handler once answered
        out.append(self.order_push(order))
        return out
