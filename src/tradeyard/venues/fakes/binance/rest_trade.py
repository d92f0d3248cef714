"""SIGNED (TRADE / USER_DATA) REST endpoints of the fake: orders, settings, account, positions.

Each handler authenticates first (`auth.verify`: key, timestamp window against the wall clock,
HMAC over the raw query + body), then calls the `Exchange`. Both v2 and v3 of the account,
balance and positionRisk endpoints are served, since ccxt and Binance's own connectors use
different ones. The "reject the next order" fault answers before the order reaches the venue.
"""

from __future__ import annotations

import time
from collections import deque
from typing import Any

from aiohttp import web

from tradeyard.venues.fakes.binance import account_payloads, auth, user_payloads
from tradeyard.venues.fakes.binance.algo import (
    CONDITIONAL_TYPES,
    AlgoOrder,
    algo_cancel_json,
    algo_json,
)
from tradeyard.venues.fakes.binance.config import FakeBinanceConfig
from tradeyard.venues.fakes.binance.errors import BinanceError
from tradeyard.venues.fakes.binance.exchange import Exchange
from tradeyard.venues.fakes.binance.orders import BinanceOrder
from tradeyard.venues.fakes.binance.probe import LatencyProbe
from tradeyard.venues.fakes.binance.rest import int_param, json, wall_ms
from tradeyard.venues.fakes.common.faults import Faults
from tradeyard.venues.sim.leverage_brackets import DEFAULT_TABLE

__all__ = ["TradeRoutes"]


class TradeRoutes:
    """Orders, leverage, margin type, account, balance and positions (SIGNED)."""

    def __init__(self, exchange: Exchange, config: FakeBinanceConfig, faults: Faults) -> None:
        self.exchange = exchange
        self.config = config
        self.faults = faults
        self._secrets = config.secrets()
        self._orders_sent: dict[str, deque[float]] = {}
        self.probe: LatencyProbe | None = None
        """When set, stamps each order request as its handler starts."""

    def routes(self) -> list[web.RouteDef]:
        return [
            web.post("/fapi/v1/order", self.new_order),
            web.delete("/fapi/v1/order", self.cancel_order),
            web.get("/fapi/v1/order", self.query_order),
            web.get("/fapi/v1/openOrder", self.query_open_order),
            web.get("/fapi/v1/openOrders", self.open_orders),
            web.delete("/fapi/v1/allOpenOrders", self.cancel_all),
            web.get("/fapi/v1/allOrders", self.all_orders),
            web.get("/fapi/v1/userTrades", self.user_trades),
            web.post("/fapi/v1/algoOrder", self.new_algo),
            web.delete("/fapi/v1/algoOrder", self.cancel_algo),
            web.get("/fapi/v1/algoOrder", self.query_algo),
            web.get("/fapi/v1/openAlgoOrders", self.open_algos),
            web.delete("/fapi/v1/algoOpenOrders", self.cancel_all_algos),
            web.get("/fapi/v1/allAlgoOrders", self.all_algos),
            web.post("/fapi/v1/leverage", self.leverage),
            web.post("/fapi/v1/marginType", self.margin_type),
            web.get("/fapi/v1/leverageBracket", self.leverage_brackets),
            web.get("/fapi/v1/positionSide/dual", self.position_mode),
            web.post("/fapi/v1/positionSide/dual", self.set_position_mode),
            web.get("/fapi/v2/account", self.account_v2),
            web.get("/fapi/v3/account", self.account_v3),
            web.get("/fapi/v2/balance", self.balance),
            web.get("/fapi/v3/balance", self.balance),
            web.get("/fapi/v2/positionRisk", self.position_risk_v2),
            web.get("/fapi/v3/positionRisk", self.position_risk_v3),
        ]

    async def _auth(self, request: web.Request) -> tuple[str, dict[str, str]]:
        body = await request.text() if request.body_exists else ""
        return auth.verify(
            request.headers, request.rel_url.raw_query_string, body, self._secrets, wall_ms(),
            self.config.recv_window_max_ms,
        )  # fmt: skip

    def _order(self, order: BinanceOrder, *, with_time: bool = True) -> dict[str, Any]:
        info = self.exchange.symbols[order.symbol]
        return user_payloads.order_json(order, info, with_time=with_time)

    # -- orders ------------------------------------------------------------------------------
    async def new_order(self, request: web.Request) -> web.Response:
        arrived = self.probe.clock() if self.probe is not None else 0
        key, params = await self._auth(request)
        if self.probe is not None:
            self.probe.order_received(
                arrived, params.get("symbol", ""), params.get("newClientOrderId", "")
            )
        if self.config.algo_orders_only and params.get("type") in CONDITIONAL_TYPES:
            raise BinanceError(-4120)
        counts = self._count_order(key)
        rejection = self.faults.take_order_rejection()
        if rejection is not None:
            raise BinanceError(rejection.code, msg=rejection.msg)
        order = self.exchange.place(key, params)
        response = json(self._order(order, with_time=False))
        response.headers.update(counts)
        return response

    # -- algo (conditional) orders ------------------------------------------------------------
    def _algo(self, algo: AlgoOrder) -> dict[str, Any]:
        return algo_json(algo, self.exchange.symbols[algo.symbol])

    async def new_algo(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        counts = self._count_order(key)
        rejection = self.faults.take_order_rejection()
        if rejection is not None:
            raise BinanceError(rejection.code, msg=rejection.msg)
        response = json(self._algo(self.exchange.place_algo(key, params)))
        response.headers.update(counts)
        return response

    async def cancel_algo(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(algo_cancel_json(self.exchange.cancel_algo(key, params)))

    async def query_algo(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(self._algo(self.exchange.query_algo(key, params)))

    async def open_algos(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol") or None
        if symbol is not None and symbol not in self.exchange.symbols:
            raise BinanceError(-1121)
        return json([self._algo(a) for a in self.exchange.accounts[key].open_algos(symbol)])

    async def cancel_all_algos(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        if not params.get("symbol"):
            raise BinanceError(-1102, "symbol")
        self.exchange.cancel_all_algo(key, params["symbol"])
        return json({"code": 200, "msg": "The operation of cancel all open order is done."})

    async def all_algos(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol", "")
        if symbol not in self.exchange.symbols:
            raise BinanceError(-1102, "symbol") if not symbol else BinanceError(-1121)
        limit = min(int_param(params, "limit", 500) or 500, 1000)
        algos = [a for a in self.exchange.accounts[key].algos.values() if a.symbol == symbol]
        return json([self._algo(a) for a in algos[-limit:]])

    def _count_order(self, key: str) -> dict[str, str]:
        """X-MBX-ORDER-COUNT-10S / -1M of the account (counted, not enforced)."""
        now = time.monotonic()
        sent = self._orders_sent.setdefault(key, deque())
        sent.append(now)
        while sent and sent[0] <= now - 60.0:
            sent.popleft()
        in_10s = sum(1 for t in sent if t > now - 10.0)
        return {"X-MBX-ORDER-COUNT-10S": str(in_10s), "X-MBX-ORDER-COUNT-1M": str(len(sent))}

    async def cancel_order(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(self._order(self.exchange.cancel(key, params), with_time=False))

    async def query_order(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(self._order(self.exchange.query(key, params)))

    async def query_open_order(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        order = self.exchange.query(key, params)
        if not order.is_open:
            raise BinanceError(-2013)
        return json(self._order(order))

    async def open_orders(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol") or None
        if symbol is not None and symbol not in self.exchange.symbols:
            raise BinanceError(-1121)
        orders = self.exchange.accounts[key].open_orders(symbol)
        return json([self._order(o) for o in orders])

    async def cancel_all(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        if not params.get("symbol"):
            raise BinanceError(-1102, "symbol")
        self.exchange.cancel_all(key, params["symbol"])
        return json({"code": 200, "msg": "The operation of cancel all open order is done."})

    async def all_orders(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol", "")
        if symbol not in self.exchange.symbols:
            raise BinanceError(-1102, "symbol") if not symbol else BinanceError(-1121)
        limit = min(int_param(params, "limit", 500) or 500, 1000)
        from_id = int_param(params, "orderId", 0) or 0
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        orders = [
            o
            for o in self.exchange.accounts[key].orders.values()
            if o.symbol == symbol
            and o.order_id >= from_id
            and (start is None or o.time >= start)
            and (end is None or o.time <= end)
        ]
        orders = orders[:limit] if from_id or start is not None else orders[-limit:]
        return json([self._order(o) for o in orders])

    async def user_trades(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol", "")
        if symbol not in self.exchange.symbols:
            raise BinanceError(-1102, "symbol") if not symbol else BinanceError(-1121)
        limit = min(int_param(params, "limit", 500) or 500, 1000)
        from_id = int_param(params, "fromId", 0) or 0
        start, end = int_param(params, "startTime"), int_param(params, "endTime")
        trades = [
            t
            for t in self.exchange.accounts[key].trades
            if t.symbol == symbol
            and t.trade_id >= from_id
            and (start is None or t.time >= start)
            and (end is None or t.time <= end)
        ]
        trades = trades[:limit] if from_id or start is not None else trades[-limit:]
        info = self.exchange.symbols[symbol]
        return json([user_payloads.user_trade(t, info) for t in trades])

    # -- settings ----------------------------------------------------------------------------
    async def leverage(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol", "")
        if not symbol:
            raise BinanceError(-1102, "symbol")
        return json(self.exchange.set_leverage(key, symbol, params.get("leverage", "")))

    async def margin_type(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        symbol = params.get("symbol", "")
        if not symbol:
            raise BinanceError(-1102, "symbol")
        margin = params.get("marginType", "").upper()
        return json(self.exchange.set_margin_type(key, symbol, margin))

    async def leverage_brackets(self, request: web.Request) -> web.Response:
        _, params = await self._auth(request)
        symbol = params.get("symbol")
        if symbol:
            if symbol not in self.exchange.symbols:
                raise BinanceError(-1121)
            return json(account_payloads.leverage_brackets(symbol, DEFAULT_TABLE))
        return json(
            [account_payloads.leverage_brackets(s, DEFAULT_TABLE) for s in self.exchange.symbols]
        )

    async def position_mode(self, request: web.Request) -> web.Response:
        await self._auth(request)
        return json({"dualSidePosition": False})

    async def set_position_mode(self, request: web.Request) -> web.Response:
        _, params = await self._auth(request)
        if params.get("dualSidePosition", "").lower() == "true":
            raise BinanceError(-1000, msg="Hedge mode is not supported by the fake exchange.")
        raise BinanceError(-4059)

    # -- account -----------------------------------------------------------------------------
    async def account_v2(self, request: web.Request) -> web.Response:
        key, _ = await self._auth(request)
        return json(account_payloads.account_v2(self.exchange.account_view(key)))

    async def account_v3(self, request: web.Request) -> web.Response:
        key, _ = await self._auth(request)
        return json(account_payloads.account_v3(self.exchange.account_view(key)))

    async def balance(self, request: web.Request) -> web.Response:
        key, _ = await self._auth(request)
        return json(account_payloads.balance_v3(self.exchange.account_view(key)))

    def _positions(self, key: str, params: dict[str, str]) -> list[account_payloads.PositionView]:
        symbol = params.get("symbol")
        if symbol and symbol not in self.exchange.symbols:
            raise BinanceError(-1121)
        views = self.exchange.account_view(key).positions
        return [v for v in views if not symbol or v.info.symbol == symbol]

    async def position_risk_v2(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(account_payloads.position_risk_v2(self._positions(key, params)))

    async def position_risk_v3(self, request: web.Request) -> web.Response:
        key, params = await self._auth(request)
        return json(account_payloads.position_risk_v3(self._positions(key, params)))
