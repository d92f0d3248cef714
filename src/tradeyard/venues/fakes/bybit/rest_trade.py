"""Bybit v5 private REST endpoints of the fake: orders, positions, wallet, executions.

Every request is authenticated over the bytes received (`auth.verify_rest`): the query string
for GET, the raw JSON body for POST. Order placement answers only the ids, as Bybit does; the
state arrives on the `order` / `execution` topics or through `/v5/order/realtime`. Injected
rejections (`Faults.reject_next_order`) answer the next create with the given retCode.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.bybit import account_payloads, payloads
from tradeyard.venues.fakes.bybit.auth import verify_rest
from tradeyard.venues.fakes.bybit.errors import BybitError, envelope
from tradeyard.venues.fakes.bybit.exchange import BybitExchange
from tradeyard.venues.fakes.bybit.orders import BybitOrder
from tradeyard.venues.fakes.bybit.params import require_linear
from tradeyard.venues.fakes.common.faults import Faults

__all__ = ["TradeRoutes"]

Private = Callable[[str, dict[str, Any]], Awaitable[Any]]


def _limit(params: dict[str, Any], default: int, top: int) -> int:
    raw = str(params.get("limit", default) or default)
    if not raw.isdigit() or not 1 <= int(raw) <= top:
        raise BybitError(10001, msg="params error: limit invalid")
    return int(raw)


class TradeRoutes:
    def __init__(self, exchange: BybitExchange, faults: Faults) -> None:
        self.exchange = exchange
        self.faults = faults
        self.secrets = exchange.config.secrets()
        self.probe: LatencyProbe | None = None
        """When set, stamps each order request (`/v5/order/create`) as its handler starts."""

    def routes(self) -> list[web.RouteDef]:
        table: list[tuple[str, str, Private]] = [
            ("POST", "/v5/order/create", self.create),
            ("POST", "/v5/order/cancel", self.cancel),
            ("GET", "/v5/order/realtime", self.realtime),
            ("GET", "/v5/order/history", self.history),
            ("GET", "/v5/position/list", self.positions),
            ("POST", "/v5/position/set-leverage", self.set_leverage),
            ("POST", "/v5/position/switch-isolated", self.switch_isolated),
            ("POST", "/v5/account/set-margin-mode", self.set_margin_mode),
            ("GET", "/v5/account/wallet-balance", self.wallet),
            ("GET", "/v5/execution/list", self.executions),
        ]
        return [web.route(method, path, self._private(fn)) for method, path, fn in table]

    def _private(self, fn: Private) -> Callable[[web.Request], Awaitable[web.Response]]:
        is_create = getattr(fn, "__name__", "") == "create"

        async def handler(request: web.Request) -> web.Response:
            arrived = self.probe.clock() if self.probe is not None else 0
            if request.method == "GET":
                payload = request.raw_path.partition("?")[2]
                params: dict[str, Any] = dict(request.query)
            else:
                payload = await request.text()
                try:
                    params = json.loads(payload) if payload else {}
                except ValueError:
                    params = None  # type: ignore[assignment]
            key = verify_rest(request.headers, payload, self.secrets, int(time.time() * 1000))
            if not isinstance(params, dict):
                raise BybitError(10001, msg="params error: body must be a JSON object")
            if is_create and self.probe is not None:
                self.probe.order_received(
                    arrived, str(params.get("symbol", "")), str(params.get("orderLinkId", ""))
                )
            return web.json_response(envelope(await fn(key, params)))

        return handler

    def _order_list(self, orders: list[BybitOrder]) -> dict[str, Any]:
        symbols = self.exchange.symbols
        rows = [payloads.order(o, symbols[o.symbol]) for o in reversed(orders)]
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    # -- orders ------------------------------------------------------------------------------
    async def create(self, key: str, params: dict[str, Any]) -> Any:
        rejection = self.faults.take_order_rejection()
        if rejection is not None:
            raise BybitError(rejection.code, msg=rejection.msg)
        order = self.exchange.place(key, params)
        return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    async def cancel(self, key: str, params: dict[str, Any]) -> Any:
        require_linear(params)
        order = self.exchange.cancel(key, params)
        return {"orderId": order.order_id, "orderLinkId": order.order_link_id}

    async def realtime(self, key: str, params: dict[str, Any]) -> Any:
        """Open orders; queried by id, closed ones too (Bybit keeps them a while)."""
        require_linear(params)
        acct = self.exchange.accounts[key]
        symbol = params.get("symbol")
        if params.get("orderId") or params.get("orderLinkId"):
            found = acct.find(params.get("orderId"), params.get("orderLinkId"))
            orders = [found] if found is not None and symbol in (None, found.symbol) else []
        else:
            orders = acct.open_orders(symbol)
        return self._order_list(orders[-_limit(params, 20, 50) :])

    async def history(self, key: str, params: dict[str, Any]) -> Any:
        require_linear(params)
        acct = self.exchange.accounts[key]
        symbol, oid = params.get("symbol"), params.get("orderId")
        orders = [
            o for o in acct.orders.values()
            if symbol in (None, o.symbol) and oid in (None, o.order_id)
        ]  # fmt: skip
        return self._order_list(orders[-_limit(params, 20, 50) :])

    async def executions(self, key: str, params: dict[str, Any]) -> Any:
        require_linear(params)
        acct = self.exchange.accounts[key]
        symbol, oid = params.get("symbol"), params.get("orderId")
        rows = [
            payloads.execution(e, self.exchange.symbols[e.order.symbol],
                               self.exchange.config.maker_fee if e.maker
                               else self.exchange.config.taker_fee)
            for e in acct.executions
            if symbol in (None, e.order.symbol) and oid in (None, e.order.order_id)
        ]  # fmt: skip
        rows = list(reversed(rows))[: _limit(params, 50, 100)]
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    # -- positions and wallet ----------------------------------------------------------------
    async def positions(self, key: str, params: dict[str, Any]) -> Any:
        """By `symbol` (flat included) or by `settleCoin` (open positions only)."""
        require_linear(params)
        symbol, settle = params.get("symbol"), params.get("settleCoin")
        if not symbol and not settle:
            raise BybitError(10001, msg="params error: symbol or settleCoin is required")
        acct = self.exchange.accounts[key]
        if symbol:
            self.exchange.market.info(symbol)
            views = [self.exchange.position_view(acct.trader, symbol)]
        else:
            if settle != "USDT":
                views = []
            else:
                views = [v for v in self.exchange.account_view(key).positions if v.qty]
        rows = [account_payloads.position(v, acct.created.get(v.info.symbol, 0)) for v in views]
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    async def set_leverage(self, key: str, params: dict[str, Any]) -> Any:
        require_linear(params)
        self.exchange.set_leverage(key, params)
        return {}

    async def switch_isolated(self, key: str, params: dict[str, Any]) -> Any:
        require_linear(params)
        self.exchange.switch_isolated(key, params)
        return {}

    async def set_margin_mode(self, key: str, params: dict[str, Any]) -> Any:
        self.exchange.set_margin_mode(key, params)
        return {"reasons": []}

    async def wallet(self, key: str, params: dict[str, Any]) -> Any:
        if params.get("accountType") not in ("UNIFIED", "CONTRACT"):
            raise BybitError(10001, msg="params error: accountType invalid")
        return {"list": [account_payloads.wallet(self.exchange.account_view(key))]}
