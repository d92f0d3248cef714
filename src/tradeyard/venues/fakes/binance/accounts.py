"""One API key's futures account on the fake: its orders, trades, settings, and its user stream.

The simulated venue reports in tradeyard events (OrderUpdate, Fill, PositionUpdate,
BalanceUpdate), published synchronously and in a fixed order: a fill comes as Fill →
OrderUpdate → PositionUpdate → BalanceUpdate. `FakeAccount.on_sim_event` folds that sequence
into what Binance pushes: one ORDER_TRADE_UPDATE (execution type TRADE, with the fill's qty,
price, fee and realized PnL) and one ACCOUNT_UPDATE (reason ORDER, the wallet and the changed
position). Funding payments become ACCOUNT_UPDATE with reason FUNDING_FEE; liquidations an
`autoclose-…` LIQUIDATION order with execution type CALCULATED, as on Binance.

Orders the sim rejects while they are being placed are not pushed: Binance answers those on
REST only. `rejections` keeps the reason for the REST handler to turn into an error code.

Conditional orders placed through the Algo Order API (`algo.py`) are kept apart (`algos`):
their sim reports become ALGO_UPDATE events, and, once triggered, the ORDER_TRADE_UPDATEs of
the engine order they became (its client id and the events' order: `FakeBinanceConfig`'s
`algo_engine_client_id` and `algo_report_order`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tradeyard.events import BalanceUpdate, Event, Fill, OrderUpdate, PositionUpdate
from tradeyard.venues.fakes.binance.account_payloads import PositionView
from tradeyard.venues.fakes.binance.algo import AlgoOrder, algo_update, generated_client_id
from tradeyard.venues.fakes.binance.instruments import SymbolInfo
from tradeyard.venues.fakes.binance.orders import BinanceOrder, BinanceTrade
from tradeyard.venues.fakes.binance.user_payloads import account_update, order_trade_update

__all__ = ["BALANCE_REASONS", "FakeAccount", "binance_status"]

BALANCE_REASONS = {"fill": "ORDER", "funding": "FUNDING_FEE", "deposit": "DEPOSIT",
                   "liquidation": "ORDER"}  # fmt: skip
USER_CANCEL = "canceled by trader"


def binance_status(status: str, reason: str) -> str:
    """Binance's order status for a sim status: the venue's own cancels are EXPIRED."""
    if status == "canceled":
        return "CANCELED" if reason == USER_CANCEL else "EXPIRED"
    if status in ("rejected", "expired"):
        return "EXPIRED"
    return status.upper()


class FakeAccount:
    """Orders, trades and settings of one API key, and its sim account `trader`."""

    def __init__(
        self,
        api_key: str,
        trader: str,
        symbols: Mapping[str, SymbolInfo],
        default_leverage: int,
        clock: Callable[[], int],
        next_id: Callable[[], int],
        position_view: Callable[[str, str], PositionView],
        *,
        engine_ids_generated: bool = False,
        fills_first: bool = False,
    ) -> None:
        self.api_key = api_key
        self.trader = trader
        self._symbols = symbols
        self._default_leverage = default_leverage
        self._clock = clock
        self._next_id = next_id
        self._position_view = position_view
        self._engine_ids_generated = engine_ids_generated
        """A triggered algo order's engine order gets a client id of its own."""
        self._fills_first = fills_first
        """The engine order's updates go out before ALGO_UPDATE TRIGGERED."""
        self.orders: dict[int, BinanceOrder] = {}
        self.by_sim_id: dict[str, BinanceOrder] = {}
        self.open_by_client_id: dict[str, BinanceOrder] = {}
        self.trades: list[BinanceTrade] = []
        self.leverage: dict[str, int] = {}
        self.isolated: dict[str, bool] = {}
        self.pending: set[str] = set()
        """Sim ids of orders being placed right now (their sim verdict is awaited)."""
        self.rejections: dict[str, str] = {}
        self.algos: dict[int, AlgoOrder] = {}
        self.algo_by_sim_id: dict[str, AlgoOrder] = {}
        self.open_algo_by_client_id: dict[str, AlgoOrder] = {}
        self._fill: Fill | None = None
        self._changed: list[str] = []

    def leverage_of(self, symbol: str) -> int:
        return self.leverage.get(symbol, self._default_leverage)

    def add(self, order: BinanceOrder) -> None:
        self.orders[order.order_id] = order
        self.by_sim_id[order.sim_id] = order
        self.open_by_client_id[order.client_order_id] = order

    def forget(self, order: BinanceOrder) -> None:
        """Drop an order that never reached the book (rejected while being placed)."""
        self.orders.pop(order.order_id, None)
        self.by_sim_id.pop(order.sim_id, None)
        if self.open_by_client_id.get(order.client_order_id) is order:
            del self.open_by_client_id[order.client_order_id]

    def find(self, order_id: str | None, client_id: str | None) -> BinanceOrder | None:
        """By orderId, else by (orig)clientOrderId among open then all orders."""
        if order_id:
            return self.orders.get(int(order_id)) if order_id.isdigit() else None
        if client_id:
            found = self.open_by_client_id.get(client_id)
            if found is not None:
                return found
            for order in reversed(self.orders.values()):
                if order.client_order_id == client_id:
                    return order
        return None

    def open_orders(self, symbol: str | None = None) -> list[BinanceOrder]:
        return [o for o in self.open_by_client_id.values() if symbol in (None, o.symbol)]

    # -- algo (conditional) orders ------------------------------------------------------------
    def add_algo(self, algo: AlgoOrder) -> None:
        """Register an algo order; its engine order is known to the sim, not yet to REST."""
        self.algos[algo.algo_id] = algo
        self.by_sim_id[algo.order.sim_id] = algo.order
        self.algo_by_sim_id[algo.order.sim_id] = algo
        self.open_algo_by_client_id[algo.client_algo_id] = algo

    def forget_algo(self, algo: AlgoOrder) -> None:
        """Drop an algo order that never reached the sim's book (rejected while placed)."""
        self.algos.pop(algo.algo_id, None)
        self.by_sim_id.pop(algo.order.sim_id, None)
        self.algo_by_sim_id.pop(algo.order.sim_id, None)
        if self.open_algo_by_client_id.get(algo.client_algo_id) is algo:
            del self.open_algo_by_client_id[algo.client_algo_id]

    def find_algo(self, algo_id: str | None, client_id: str | None) -> AlgoOrder | None:
        """By algoId, else by clientAlgoId among open then all algo orders."""
        if algo_id:
            return self.algos.get(int(algo_id)) if algo_id.isdigit() else None
        if client_id:
            found = self.open_algo_by_client_id.get(client_id)
            if found is not None:
                return found
            for algo in reversed(self.algos.values()):
                if algo.client_algo_id == client_id:
                    return algo
        return None

    def open_algos(self, symbol: str | None = None) -> list[AlgoOrder]:
        return [a for a in self.open_algo_by_client_id.values() if symbol in (None, a.symbol)]

    def _close_algo(self, algo: AlgoOrder, status: str) -> None:
        algo.status = status
        if self.open_algo_by_client_id.get(algo.client_algo_id) is algo:
            del self.open_algo_by_client_id[algo.client_algo_id]

    def _on_algo(
        self, algo: AlgoOrder, order: BinanceOrder, u: OrderUpdate, fill: Fill | None
    ) -> list[dict[str, Any]]:
        """A sim report on an algo order → ALGO_UPDATE (and the engine order's updates)."""
        info = self._symbols[order.symbol]
        algo.update_time = order.update_time = u.ts
        status = binance_status(u.status, u.reason)
        if fill is None and not algo.triggered:
            if u.status == "new":
                algo.status = "NEW"
            else:
                algo.reason = "" if status == "CANCELED" else u.reason
                self._close_algo(algo, {"CANCELED": "CANCELED"}.get(status, "EXPIRED"))
            return [algo_update(algo, info, self._clock())]
        out: list[dict[str, Any]] = []
        triggered: dict[str, Any] | None = None
        if not algo.triggered:  # triggered now: the engine order appears, then trades
            triggered = self._trigger(algo, order, info, u.ts)
            if not self._fills_first:
                out.append(triggered)
            order.status = "NEW"
            out.append(order_trade_update(order, info, event_time=self._clock(), exec_type="NEW"))
        order.status = status
        if fill is not None:
            out.append(self._trade(order, info, u, fill))
        else:
            exec_type = {"CANCELED": "CANCELED"}.get(status, "EXPIRED")
            out.append(
                order_trade_update(order, info, event_time=self._clock(), exec_type=exec_type)
            )
        for payload in out:
            if payload.get("e") == "ORDER_TRADE_UPDATE":
                payload["o"]["o"] = "MARKET"  # the engine order; "ot" keeps the algo's type
        if triggered is not None and self._fills_first:
            out.append(triggered)
        if not order.is_open:
            self._close_algo(algo, "FINISHED")
            out.append(algo_update(algo, info, self._clock()))
        return out

    def _trigger(
        self, algo: AlgoOrder, order: BinanceOrder, info: SymbolInfo, ts: int
    ) -> dict[str, Any]:
        """The algo order triggers: its engine order joins the plain orders (with a client id
        of its own when so configured); the ALGO_UPDATE TRIGGERED that names it (`ai`)."""
        algo.triggered = True
        algo.trigger_time = ts
        algo.status = "TRIGGERED"
        order.time = ts
        if self._engine_ids_generated:
            order.client_order_id = generated_client_id()
        self.orders[order.order_id] = order
        return algo_update(algo, info, self._clock())

    # -- sim reports → user-data events -----------------------------------------------------
    def on_sim_event(self, event: Event) -> list[dict[str, Any]]:
        if isinstance(event, Fill):
            self._fill = event
            return []
        if isinstance(event, OrderUpdate):
            return self._on_order_update(event)
        if isinstance(event, PositionUpdate):
            if event.symbol not in self._changed:
                self._changed.append(event.symbol)
            return []
        if isinstance(event, BalanceUpdate):
            return self._on_balance(event)
        return []

    def _on_order_update(self, u: OrderUpdate) -> list[dict[str, Any]]:
        sim_id = u.client_order_id
        if sim_id in self.pending:
            self.pending.discard(sim_id)
            if u.status == "rejected":
                self.rejections[sim_id] = u.reason
                return []
        order = self.by_sim_id.get(sim_id)
        if order is None and sim_id.startswith("liq-"):
            order = self._liquidation_order(u)
        if order is None:
            return []  # e.g. a cancel rejection: REST already answered it
        fill, self._fill = self._fill, None
        if fill is not None and fill.client_order_id != sim_id:
            fill = None
        algo = self.algo_by_sim_id.get(sim_id)
        if algo is not None:
            return self._on_algo(algo, order, u, fill)
        order.status = binance_status(u.status, u.reason)
        order.update_time = u.ts
        info = self._symbols[order.symbol]
        if fill is None:
            exec_type = {"NEW": "NEW", "CANCELED": "CANCELED"}.get(order.status, "EXPIRED")
            payload = order_trade_update(order, info, event_time=self._clock(), exec_type=exec_type)
        else:
            payload = self._trade(order, info, u, fill)
        if not order.is_open and self.open_by_client_id.get(order.client_order_id) is order:
            del self.open_by_client_id[order.client_order_id]
        return [payload]

    def _trade(
        self, order: BinanceOrder, info: SymbolInfo, u: OrderUpdate, fill: Fill
    ) -> dict[str, Any]:
        order.executed_qty = u.filled_qty
        order.avg_price = u.avg_price or fill.price
        order.cum_quote += fill.qty * fill.price
        trade = BinanceTrade(
            self._next_id(), order.order_id, order.symbol, order.side, fill.price, fill.qty,
            fill.fee, fill.realized_pnl, fill.liquidity == "maker", fill.ts,
        )  # fmt: skip
        self.trades.append(trade)
        return order_trade_update(
            order,
            info,
            event_time=self._clock(),
            exec_type="CALCULATED" if order.type == "LIQUIDATION" else "TRADE",
            last_qty=fill.qty,
            last_price=fill.price,
            commission=fill.fee,
            trade_id=trade.trade_id,
            maker=trade.maker,
            realized=fill.realized_pnl,
        )

    def _liquidation_order(self, u: OrderUpdate) -> BinanceOrder:
        order = BinanceOrder(
            self._next_id(), f"autoclose-{u.ts}", u.symbol, u.side.upper(), "LIQUIDATION",
            "IOC", u.qty, 0.0, 0.0, True, u.ts, u.ts,
        )  # fmt: skip
        self.orders[order.order_id] = order
        self.by_sim_id[u.client_order_id] = order
        return order

    def _on_balance(self, b: BalanceUpdate) -> list[dict[str, Any]]:
        reason = BALANCE_REASONS.get(b.reason, "ADJUSTMENT")
        changed, self._changed = self._changed, []
        positions = [self._position_view(self.trader, s) for s in changed]
        change = b.delta if b.reason in ("funding", "deposit") else 0.0
        return [account_update(reason, self._clock(), b.ts, b.wallet_balance, change, positions)]
