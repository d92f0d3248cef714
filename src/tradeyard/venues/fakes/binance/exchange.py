"""The fake Binance USDⓈ-M venue without its wire: replay + simulated venue + Binance accounts.

HTTP and websockets sit on top (`rest*.py`, `streams.py`, `user_stream.py`); this class is what
they call, with parameters already authenticated. It owns the pieces and their one rule of
time: everything happens at replay time (`now_ms`), which moves only in `step()`.

Execution is the simulated venue's (`venues/sim`): market orders and stops fill at the open of
the first bar that opens at or after they were placed, limits rest and fill when a bar trades
through them, with its fees, margin, funding and liquidation rules. An order placed while a
bar is forming must not fill inside that bar (its open is already past), so each order's
`not_before` is set to the time it was placed. The fill is reported when the bar closes.

One sim account per API key (`acct1`, `acct2`, … in config order). Leverage and margin type
are kept per account and symbol as on Binance: leverage goes with each order to the sim (so a
change applies to the next order, not to an open position), the margin type is set on the
sim's position record while it is flat and has no open order (Binance's own rule).
"""

from __future__ import annotations

import itertools
import secrets
import string
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tradeyard.events import Bar, CancelOrder, SubmitOrder
from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.binance.account_payloads import AccountView, PositionView
from tradeyard.venues.fakes.binance.accounts import FakeAccount
from tradeyard.venues.fakes.binance.algo import AlgoOrder, parse_algo_order
from tradeyard.venues.fakes.binance.config import AccountSpec, FakeBinanceConfig
from tradeyard.venues.fakes.binance.errors import BinanceError, from_sim_reason
from tradeyard.venues.fakes.binance.instruments import SymbolInfo, derive_symbols
from tradeyard.venues.fakes.binance.market import FundingBook, MarketFeed
from tradeyard.venues.fakes.binance.orders import BinanceOrder
from tradeyard.venues.fakes.binance.params import parse_new_order
from tradeyard.venues.fakes.binance.user_payloads import account_config_update
from tradeyard.venues.fakes.common.exchange import SimExchange
from tradeyard.venues.sim import DEFAULT_BRACKETS
from tradeyard.venues.sim.leverage_brackets import DEFAULT_TABLE

__all__ = ["VENUE", "Exchange"]

VENUE = "binanceusdm"
_SIM_TYPES = {"MARKET": "market", "LIMIT": "limit", "STOP_MARKET": "stop",
              "TAKE_PROFIT_MARKET": "take_profit"}  # fmt: skip
_SIM_TIF = {"GTC": "GTC", "IOC": "IOC", "FOK": "IOC", "GTX": "GTX"}
_ID_CHARS = string.ascii_letters + string.digits
UserSink = Callable[[str, dict[str, Any]], None]


class Exchange(SimExchange[FakeAccount]):
    """Accounts, orders and market data of the fake, at replay time."""

    venue = VENUE
    config: FakeBinanceConfig
    symbols: dict[str, SymbolInfo]

    def __init__(
        self,
        config: FakeBinanceConfig,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        self._order_ids = itertools.count(8_000_000_001)
        self._trade_ids = itertools.count(500_000_001)
        self._algo_ids = itertools.count(3_000_000_001)
        self.user_sink: UserSink = lambda _key, _payload: None
        """Where user-data payloads go (set by the server: api key → its listen key's sockets)."""
        super().__init__(config, bars, funding)

    def _derive_symbols(self, bars: Mapping[str, BarSeries]) -> dict[str, SymbolInfo]:
        return derive_symbols(bars, self.config.min_notional)

    def _make_market(self, funding: Mapping[str, Sequence[tuple[int, float]]] | None) -> None:
        self.feed = MarketFeed(self.replay, self.symbols, FundingBook(funding))

    def _publish_step(
        self, bars: list[Bar], subscribed: set[str], publish: Callable[[str, Any], None]
    ) -> None:
        self.feed.publish_step(bars, subscribed, publish)

    def _make_account(self, n: int, spec: AccountSpec) -> FakeAccount:
        return FakeAccount(
            spec.api_key, f"acct{n}", self.symbols, self.config.default_leverage,
            lambda: self.replay.now_ms, lambda: next(self._trade_ids), self.position_view,
            engine_ids_generated=self.config.algo_engine_client_id == "generated",
            fills_first=self.config.algo_report_order == "fills_first",
        )  # fmt: skip

    def _push(self, api_key: str, payload: dict[str, Any]) -> None:
        self.user_sink(api_key, payload)

    # -- orders ------------------------------------------------------------------------------
    def place(self, api_key: str, params: Mapping[str, str]) -> BinanceOrder:
        """POST /fapi/v1/order: Binance's checks, then the sim's; the order as accepted."""
        acct = self.accounts[api_key]
        symbol = params.get("symbol", "")
        mark = self.feed.price(symbol) if symbol in self.symbols else None
        req = parse_new_order(params, self.symbols, mark)
        if req.client_order_id in acct.open_by_client_id:
            raise BinanceError(-4116)
        now = self.now_ms
        client_id = req.client_order_id or "".join(secrets.choice(_ID_CHARS) for _ in range(22))
        order = BinanceOrder(
            next(self._order_ids), client_id, req.symbol, req.side, req.type,
            req.time_in_force, req.qty, req.price, req.stop_price, req.reduce_only, now, now,
            req.working_type, req.price_protect,
        )  # fmt: skip
        acct.add(order)
        acct.pending.add(order.sim_id)
        cmd = SubmitOrder(
            acct.trader, VENUE, req.symbol, now, order.sim_id, req.side.lower(),  # type: ignore[arg-type]
            _SIM_TYPES[req.type], req.qty,  # type: ignore[arg-type]
            price=req.price or None, trigger_price=req.stop_price or None,
            reduce_only=req.reduce_only, time_in_force=_SIM_TIF[req.time_in_force],  # type: ignore[arg-type]
            leverage=float(acct.leverage_of(req.symbol)),
        )  # fmt: skip
        self.sim.on_command(self._command_topic, cmd)
        acct.pending.discard(order.sim_id)
        reason = acct.rejections.pop(order.sim_id, None)
        if reason is not None:
            acct.forget(order)
            raise from_sim_reason(reason)
        for sim_order in self.sim.open_orders(acct.trader):
            if sim_order.client_order_id == order.sim_id:
                sim_order.not_before = now  # not inside the bar already forming
        return order

    # -- algo (conditional) orders: /fapi/v1/algoOrder ---------------------------------------
    def place_algo(self, api_key: str, params: Mapping[str, str]) -> AlgoOrder:
        """POST /fapi/v1/algoOrder: a conditional order, to the sim as a stop / take-profit."""
        acct = self.accounts[api_key]
        symbol = params.get("symbol", "")
        mark = self.feed.price(symbol) if symbol in self.symbols else None
        req = parse_algo_order(params, self.symbols, mark)
        if req.client_order_id in acct.open_algo_by_client_id:
            raise BinanceError(-4116)
        now = self.now_ms
        client_id = req.client_order_id or "".join(secrets.choice(_ID_CHARS) for _ in range(22))
        order = BinanceOrder(
            next(self._order_ids), client_id, req.symbol, req.side, req.type,
            req.time_in_force, req.qty, 0.0, req.stop_price, req.reduce_only, now, now,
            req.working_type, req.price_protect,
        )  # fmt: skip
        algo = AlgoOrder(next(self._algo_ids), client_id, order, req.stop_price, now, now)
        acct.add_algo(algo)
        acct.pending.add(order.sim_id)
        cmd = SubmitOrder(
            acct.trader, VENUE, req.symbol, now, order.sim_id, req.side.lower(),  # type: ignore[arg-type]
            _SIM_TYPES[req.type], req.qty, trigger_price=req.stop_price,  # type: ignore[arg-type]
            reduce_only=req.reduce_only, leverage=float(acct.leverage_of(req.symbol)),
        )  # fmt: skip
        self.sim.on_command(self._command_topic, cmd)
        acct.pending.discard(order.sim_id)
        reason = acct.rejections.pop(order.sim_id, None)
        if reason is not None:
            acct.forget_algo(algo)
            raise from_sim_reason(reason)
        for sim_order in self.sim.open_orders(acct.trader):
            if sim_order.client_order_id == order.sim_id:
                sim_order.not_before = now  # not inside the bar already forming
        return algo

    def _located_algo(self, acct: FakeAccount, params: Mapping[str, str]) -> AlgoOrder | None:
        algo_id, client_id = params.get("algoId"), params.get("clientAlgoId")
        if not algo_id and not client_id:
            raise BinanceError(
                -1102,
                msg="Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!",
            )
        return acct.find_algo(algo_id, client_id)

    def cancel_algo(self, api_key: str, params: Mapping[str, str]) -> AlgoOrder:
        """DELETE /fapi/v1/algoOrder (an algo order not triggered yet)."""
        acct = self.accounts[api_key]
        algo = self._located_algo(acct, params)
        if algo is None or not algo.is_open:
            raise BinanceError(-2011)
        self.sim.on_command(
            self._command_topic,
            CancelOrder(acct.trader, VENUE, algo.symbol, self.now_ms, algo.order.sim_id),
        )
        return algo

    def query_algo(self, api_key: str, params: Mapping[str, str]) -> AlgoOrder:
        """GET /fapi/v1/algoOrder."""
        algo = self._located_algo(self.accounts[api_key], params)
        if algo is None:
            raise BinanceError(-2013)
        return algo

    def cancel_all_algo(self, api_key: str, symbol: str) -> None:
        """DELETE /fapi/v1/algoOpenOrders."""
        if symbol not in self.symbols:
            raise BinanceError(-1121)
        acct = self.accounts[api_key]
        for algo in acct.open_algos(symbol):
            self.sim.on_command(
                self._command_topic,
                CancelOrder(acct.trader, VENUE, symbol, self.now_ms, algo.order.sim_id),
            )

    def _located(self, acct: FakeAccount, params: Mapping[str, str]) -> BinanceOrder | None:
        symbol = params.get("symbol", "")
        if not symbol:
            raise BinanceError(-1102, "symbol")
        if symbol not in self.symbols:
            raise BinanceError(-1121)
        order_id, client_id = params.get("orderId"), params.get("origClientOrderId")
        if not order_id and not client_id:
            raise BinanceError(
                -1102,
                msg="Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!",
            )
        order = acct.find(order_id, client_id)
        return order if order is not None and order.symbol == symbol else None

    def cancel(self, api_key: str, params: Mapping[str, str]) -> BinanceOrder:
        """DELETE /fapi/v1/order."""
        acct = self.accounts[api_key]
        order = self._located(acct, params)
        if order is None or not order.is_open:
            raise BinanceError(-2011)
        self.sim.on_command(
            self._command_topic,
            CancelOrder(acct.trader, VENUE, order.symbol, self.now_ms, order.sim_id),
        )
        return order

    def cancel_all(self, api_key: str, symbol: str) -> None:
        """DELETE /fapi/v1/allOpenOrders."""
        if symbol not in self.symbols:
            raise BinanceError(-1121)
        acct = self.accounts[api_key]
        for order in acct.open_orders(symbol):
            self.sim.on_command(
                self._command_topic,
                CancelOrder(acct.trader, VENUE, symbol, self.now_ms, order.sim_id),
            )

    def query(self, api_key: str, params: Mapping[str, str]) -> BinanceOrder:
        """GET /fapi/v1/order."""
        order = self._located(self.accounts[api_key], params)
        if order is None:
            raise BinanceError(-2013)
        return order

    # -- settings ----------------------------------------------------------------------------
    def set_leverage(self, api_key: str, symbol: str, raw: str) -> dict[str, Any]:
        """POST /fapi/v1/leverage (applies to the next orders of the symbol)."""
        if symbol not in self.symbols:
            raise BinanceError(-1121)
        if not raw.isdigit() or not 1 <= int(raw) <= 125:
            raise BinanceError(-4028, raw)
        leverage = int(raw)
        acct = self.accounts[api_key]
        acct.leverage[symbol] = leverage
        self.user_sink(api_key, account_config_update(symbol, leverage, self.now_ms))
        cap = max(b.notional_cap for b in DEFAULT_BRACKETS if b.max_leverage >= leverage)
        return {"leverage": leverage, "maxNotionalValue": f"{cap:.0f}", "symbol": symbol}

    def set_margin_type(self, api_key: str, symbol: str, margin_type: str) -> dict[str, Any]:
        """POST /fapi/v1/marginType (ISOLATED / CROSSED)."""
        if symbol not in self.symbols:
            raise BinanceError(-1121)
        if margin_type not in ("ISOLATED", "CROSSED"):
            raise BinanceError(-1130, "marginType")
        acct = self.accounts[api_key]
        want = margin_type == "ISOLATED"
        if acct.isolated.get(symbol, False) == want:
            raise BinanceError(-4046)
        if acct.open_orders(symbol):
            raise BinanceError(-4047)
        sim_acct = self.sim.account(acct.trader)
        pos = sim_acct.positions.get(symbol)
        if pos is not None and pos.qty != 0.0:
            raise BinanceError(-4048)
        if pos is None:
            pos = sim_acct.position(
                symbol, float(acct.leverage_of(symbol)), isolated=want, brackets=DEFAULT_TABLE
            )
        pos.isolated = want
        acct.isolated[symbol] = want
        return {"code": 200, "msg": "success"}

    # -- views -------------------------------------------------------------------------------
    def position_view(self, trader: str, symbol: str) -> PositionView:
        acct = self._by_trader[trader]
        pos = self.sim.account(trader).positions.get(symbol)
        info = self.symbols[symbol]
        qty = pos.qty if pos is not None else 0.0
        entry = pos.entry_price if pos is not None and qty else 0.0
        mark = self.feed.price(symbol) or entry
        fee = self.config.taker_fee
        return PositionView(
            info=info,
            qty=qty,
            entry=entry,
            mark=mark,
            unrealized=qty * (mark - entry),
            leverage=acct.leverage_of(symbol),
            isolated=pos.isolated if pos is not None else acct.isolated.get(symbol, False),
            initial_margin=pos.margin if pos is not None else 0.0,
            maint_margin=pos.brackets.maintenance_margin(abs(qty) * mark) if qty else 0.0,
            liquidation=(pos.liquidation_price or 0.0) if pos is not None else 0.0,
            realized=pos.realized_pnl if pos is not None else 0.0,
            break_even=entry * (1.0 + fee) if qty > 0 else entry * (1.0 - fee) if qty else 0.0,
            update_time=self.now_ms,
        )

    def account_view(self, api_key: str) -> AccountView:
        """Wallet, margins and every symbol's position (flat ones included) of `api_key`."""
        acct = self.accounts[api_key]
        sim_acct = self.sim.account(acct.trader)
        views = [self.position_view(acct.trader, s) for s in self.symbols]
        upnl = sum(v.unrealized for v in views)
        wallet = sim_acct.wallet_balance
        return AccountView(
            wallet=wallet,
            unrealized=upnl,
            available=wallet + upnl - sim_acct.used_margin - sim_acct.reserved_margin,
            position_margin=sim_acct.used_margin,
            order_margin=sim_acct.reserved_margin,
            maint_margin=sum(v.maint_margin for v in views),
            update_time=self.now_ms,
            positions=views,
        )
