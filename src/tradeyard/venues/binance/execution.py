"""Orders from the bus to Binance, and their lifecycle back: `cmd.<venue>` → REST; user stream
→ `exec.<trader>`.

The machinery is `venues.common.execution.CcxtExecution`; this module holds Binance's hooks.
Each SubmitOrder / CancelOrder becomes its own asyncio task, so a burst of commands (ten symbols
rebalancing on one bar) goes out concurrently instead of one round trip after another. A refused
order is published as `OrderUpdate(status="rejected")` whose `reason` names the cause
(`errors.rejection_reason`, e.g. "insufficient_margin: binance -2019 Margin is insufficient.").

Which trader owns an order comes from its client order id, `<trader>-<seq>` (see
`parse.trader_from_client_order_id`), so updates of orders placed before a restart still reach
the right `exec.<trader>`. Binance allows 36 characters of `[.A-Z:/a-z0-9_-]` in that id.
Order updates are deduplicated by (client_order_id, status, filled qty), fills by trade id: the
REST answer and the user stream both report a new order. ccxt keeps the listen key alive.
After a restart an order is found by `origClientOrderId` (`find_order`, for reconcile).

Conditional orders (SubmitOrder "stop" / "take_profit" with a trigger price) live in Binance's
Algo Order API (`/fapi/v1/algoOrder`; `/fapi/v1/order` answers -4120 for them), where ccxt 4.5
sends them with `clientAlgoId` = our client order id. The adapter remembers which client order
ids are conditional (from the command, from the store's order type after a restart, from what
`find_order` / `fetch_open_orders` found) and cancels and looks those up with
`{"clientAlgoId": id, "trigger": True}`; `find_order` also falls back to the algo API for an id
the plain API does not know, and resolves a triggered algo order to its engine order (state,
fills). The account reads (`fetch_open_orders`) list open algo orders too. On the stream an algo
order is `new` until its engine order reports the fill (`parse.order_update_from_order`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import ccxt
import ccxt.pro as ccxt_pro

from tradeyard.errors import VenueError
from tradeyard.events import CancelOrder, Fill, OrderUpdate, SubmitOrder
from tradeyard.venues.binance.config import BinanceConfig
from tradeyard.venues.binance.errors import from_ccxt, rejection_reason
from tradeyard.venues.binance.parse import (
    algo_state,
    fill_from_trade,
    is_algo_order,
    order_update_from_order,
)
from tradeyard.venues.binance.urls import VenueUrls, apply_to_ccxt
from tradeyard.venues.common.credentials import Credentials
from tradeyard.venues.common.execution import CcxtExecution
from tradeyard.venues.common.symbols import to_ccxt

__all__ = ["BinanceExecution", "make_trading_client"]

log = logging.getLogger(__name__)

_CCXT_TYPES = {"market": "market", "limit": "limit", "stop": "STOP_MARKET",
               "take_profit": "TAKE_PROFIT_MARKET"}  # fmt: skip
_CONDITIONAL = frozenset(("stop", "take_profit"))
"""Our order types that Binance keeps in its Algo Order API."""
_TRIGGERED = frozenset(("TRIGGERED", "FINISHED"))
"""Algo statuses after which the state (and the fills) are the engine order's."""


def make_trading_client(config: BinanceConfig, urls: VenueUrls, credentials: Credentials) -> Any:
    """A keyed ccxt pro client pointed at `urls` (the secret goes nowhere else)."""
    client = ccxt_pro.binanceusdm(
        {
            "apiKey": credentials.api_key,
            "secret": credentials.api_secret,
            "enableRateLimit": config.rate_limit,
            "options": {"fetchCurrencies": False},
        }
    )
    apply_to_ccxt(client, urls)
    return client


class BinanceExecution(CcxtExecution):
    """Sends the venue's commands and publishes order updates and fills. `start()`, `close()`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._conditional: dict[str, SubmitOrder | None] = {}
        """Client order ids of algo (conditional) orders → their command, when this run sent it."""
        self._by_actual_id: dict[str, str] = {}
        """Engine order id of a triggered algo order → the algo's client order id."""

    def is_conditional(self, client_order_id: str) -> bool:
        """Whether the order lives in the Algo Order API: sent as one by this run, seen as one,
        or stored with a conditional order type."""
        if client_order_id in self._conditional:
            return True
        if self._store is None:
            return False
        try:
            record = self._store.order(client_order_id)
        except Exception:  # a failing store: the plain API is tried first, then the algo one
            return False
        return record is not None and record.order_type in _CONDITIONAL

    def order_params(self, cmd: SubmitOrder) -> tuple[str, dict[str, Any]]:
        if cmd.order_type in _CONDITIONAL:
            self._conditional[cmd.client_order_id] = cmd
        params: dict[str, Any] = {"clientOrderId": cmd.client_order_id}
        if cmd.reduce_only:
            params["reduceOnly"] = True
        if cmd.order_type == "limit":
            params["timeInForce"] = cmd.time_in_force
        if cmd.trigger_price is not None:
            params["triggerPrice"] = cmd.trigger_price
        return _CCXT_TYPES[cmd.order_type], params

    def cancel_params(self, client_order_id: str) -> dict[str, Any]:
        """DELETE /fapi/v1/algoOrder by `clientAlgoId` for a conditional order, else DELETE
        /fapi/v1/order by `origClientOrderId`."""
        if self.is_conditional(client_order_id):
            return {"clientAlgoId": client_order_id, "trigger": True}
        return {"origClientOrderId": client_order_id}

    async def find_order(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        """GET /fapi/v1/order by `origClientOrderId`, and GET /fapi/v1/algoOrder by
        `clientAlgoId` (first for a known conditional order, else when the plain API answers
        -2013). A triggered algo order is answered with its engine order (its fills and final
        state are that order's); None when neither API knows the id."""
        plain = {"origClientOrderId": client_order_id}
        if self.is_conditional(client_order_id):
            return await self._find_algo(symbol, client_order_id) or await self._fetch(
                symbol, plain
            )
        return await self._fetch(symbol, plain) or await self._find_algo(symbol, client_order_id)

    async def _fetch(
        self, symbol: str, params: dict[str, Any], order_id: str | None = None
    ) -> Mapping[str, Any] | None:
        """fetch_order, None on -2013 "Order does not exist"."""
        try:
            return await self._client.fetch_order(order_id, to_ccxt(symbol), params)
        except ccxt.OrderNotFound:
            return None

    async def _find_algo(self, symbol: str, client_order_id: str) -> Mapping[str, Any] | None:
        algo = await self._fetch(symbol, {"clientAlgoId": client_order_id, "trigger": True})
        if algo is None:
            return None
        self._conditional.setdefault(client_order_id, None)
        info = algo.get("info") or {}
        actual = str(info.get("actualOrderId") or "")
        if str(info.get("algoStatus") or "").upper() not in _TRIGGERED or not actual:
            return algo
        self._by_actual_id[actual] = client_order_id
        engine = await self._fetch(symbol, {}, actual)
        return engine if engine is not None else algo

    def on_cancelled(self, cmd: CancelOrder, order: Any) -> None:
        """Binance answers a cancel with the order: publish it (the stream's copy is deduped).
        The algo API answers only `{"algoId", "clientAlgoId", "code": "200", "msg": "success"}`:
        that is a `canceled`, built from the command or the store when one of them knows the
        order (else the stream's ALGO_UPDATE CANCELED reports it)."""
        if is_algo_order(order) and algo_state(order) is None:
            update = self._canceled_conditional(cmd, order)
            if update is not None:
                self.report_update(update)
            return
        self.report_update(order_update_from_order(order, self._venue, cmd.symbol, cmd.trader))

    def _canceled_conditional(
        self, cmd: CancelOrder, order: Mapping[str, Any]
    ) -> OrderUpdate | None:
        coid, now = cmd.client_order_id, self.now_ms()
        venue_order_id = str(order.get("id") or "")
        sent = self._conditional.get(coid)
        if sent is not None:
            return OrderUpdate(
                sent.trader, self._venue, sent.symbol, now, coid, "canceled", sent.side,
                sent.order_type, sent.qty, price=sent.price, trigger_price=sent.trigger_price,
                reduce_only=sent.reduce_only, venue_order_id=venue_order_id,
            )  # fmt: skip
        record = None
        if self._store is not None:
            try:
                record = self._store.order(coid)
            except Exception:
                log.exception("%s: cannot read %s from the order store", self._venue, coid)
        if record is None:
            return None
        return OrderUpdate(
            record.trader, self._venue, record.symbol, now, coid, "canceled",
            record.side, record.order_type, record.qty,  # type: ignore[arg-type]
            filled_qty=record.filled_qty, avg_price=record.avg_price, price=record.price,
            trigger_price=record.trigger_price, reduce_only=record.reduce_only,
            venue_order_id=venue_order_id or record.venue_order_id,
        )  # fmt: skip

    def trade_client_order_id(self, trade: Mapping[str, Any]) -> str:
        info = trade.get("info") or {}
        coid = str(info.get("c") or "")
        return coid or self._by_actual_id.get(str(trade.get("order") or ""), "")

    # -- account reads ------------------------------------------------------------------------
    async def fetch_open_orders(self, symbol: str) -> list[Mapping[str, Any]]:
        """Open orders (GET /fapi/v1/openOrders) and open algo orders (GET
        /fapi/v1/openAlgoOrders): resting stops and take-profits are open orders too."""
        market = to_ccxt(symbol)
        plain = await self._client.fetch_open_orders(market)
        algos = await self._client.fetch_open_orders(market, params={"trigger": True})
        for order in algos:
            coid = str(order.get("clientOrderId") or "")
            if coid:
                self._conditional.setdefault(coid, None)
        return [*plain, *algos]

    def fill_from_trade(
        self, trade: Mapping[str, Any], symbol: str, trader: str, client_order_id: str
    ) -> Fill:
        return fill_from_trade(trade, self._venue, symbol, trader, client_order_id)

    def from_ccxt(self, exc: BaseException, *, where: str, client_order_id: str) -> VenueError:
        return from_ccxt(exc, where=where, client_order_id=client_order_id)

    def rejection_reason(self, err: VenueError) -> str:
        return rejection_reason(err)
