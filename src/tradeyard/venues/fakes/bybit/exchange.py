"""The fake Bybit venue without its wire: replay + simulated venue + one account per API key.

HTTP and websockets sit on top (`rest*.py`, `streams.py`); this class is what they call, with
requests already authenticated. Everything happens at replay time (`now_ms`), which moves
only in `step()`.

Execution is the simulated venue's (`venues/sim`), as in the Binance fake: market orders fill
at the open of the first bar that opens after they were placed (each order's `not_before` is
its placement time), limits rest and fill when a bar trades through them; fills are reported
when the bar closes. Leverage goes with each order to the sim, the margin mode is set on the
sim's position while it is flat and has no open order. Bybit-only rule checked here: a
reduce-only order that cannot reduce the current position is refused (110017).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tradeyard.events import Bar, CancelOrder, SubmitOrder
from tradeyard.marketdata import BarSeries
from tradeyard.venues.fakes.binance.account_payloads import AccountView, PositionView
from tradeyard.venues.fakes.binance.instruments import SymbolInfo, derive_symbols
from tradeyard.venues.fakes.bybit.accounts import BybitAccount, Push
from tradeyard.venues.fakes.bybit.config import AccountSpec, FakeBybitConfig
from tradeyard.venues.fakes.bybit.errors import BybitError, from_sim_reason
from tradeyard.venues.fakes.bybit.market import BybitMarket
from tradeyard.venues.fakes.bybit.orders import BybitOrder
from tradeyard.venues.fakes.bybit.params import parse_new_order
from tradeyard.venues.fakes.common.exchange import SimExchange
from tradeyard.venues.sim.leverage_brackets import DEFAULT_TABLE

__all__ = ["MAX_LEVERAGE", "VENUE", "BybitExchange"]

VENUE = "bybit"
MAX_LEVERAGE = 100
_TIF = {"GTC": "GTC", "IOC": "IOC", "FOK": "IOC", "PostOnly": "GTX"}
Sink = Callable[[str, Push], None]


class BybitExchange(SimExchange[BybitAccount]):
    """Accounts, orders and market data of the fake, at replay time."""

    venue = VENUE
    config: FakeBybitConfig
    symbols: dict[str, SymbolInfo]

    def __init__(
        self,
        config: FakeBybitConfig,
        bars: Mapping[str, BarSeries],
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
    ) -> None:
        self.sink: Sink = lambda _key, _push: None
        """Where private pushes go (set by the server: API key → its authenticated sockets)."""
        super().__init__(config, bars, funding)

    def _derive_symbols(self, bars: Mapping[str, BarSeries]) -> dict[str, SymbolInfo]:
        notional = {s: self.config.min_notional.get(s, 5.0) for s in bars}
        return derive_symbols(bars, notional)

    def _make_market(self, funding: Mapping[str, Sequence[tuple[int, float]]] | None) -> None:
        self.market = BybitMarket(self.replay, self.symbols, funding)

    def _publish_step(
        self, bars: list[Bar], subscribed: set[str], publish: Callable[[str, Any], None]
    ) -> None:
        self.market.publish_step(bars, subscribed, publish)

    def _make_account(self, n: int, spec: AccountSpec) -> BybitAccount:
        config = self.config
        return BybitAccount(
            spec.api_key, f"acct{n}", self.symbols, config.default_leverage,
            config.taker_fee, config.maker_fee,
            lambda key=spec.api_key: (self.position_view, lambda: self.account_view(key)),
        )  # fmt: skip

    def _push(self, api_key: str, payload: Push) -> None:
        self.sink(api_key, payload)

    # -- orders ------------------------------------------------------------------------------
    def place(self, api_key: str, params: Mapping[str, Any]) -> BybitOrder:
        """POST /v5/order/create: field checks, the reduce-only rule, then the sim's checks."""
        acct = self.accounts[api_key]
        req = parse_new_order(params, self.symbols)
        if req.order_link_id and any(
            o.order_link_id == req.order_link_id for o in acct.open_orders()
        ):
            raise BybitError(110072)
        pos = self.sim.account(acct.trader).positions.get(req.symbol)
        qty_now = pos.qty if pos is not None else 0.0
        if req.reduce_only and (qty_now == 0 or (qty_now > 0) == (req.side == "Buy")):
            raise BybitError(110017)
        now = self.now_ms
        order = BybitOrder(
            str(uuid.uuid4()), req.order_link_id, req.symbol, req.side, req.order_type,
            req.time_in_force, req.qty, req.price, req.reduce_only, now, now,
            trigger_price=req.trigger_price, trigger_direction=req.trigger_direction,
            status="Untriggered" if req.trigger_price else "New",
        )  # fmt: skip
        sim_type = "market" if req.order_type == "Market" else "limit"
        if req.trigger_price:
            rising = req.trigger_direction == 1
            sim_type = "stop" if rising == (req.side == "Buy") else "take_profit"
        acct.orders[order.order_id] = order
        acct.pending.add(order.order_id)
        cmd = SubmitOrder(
            acct.trader, VENUE, req.symbol, now, order.order_id, req.side.lower(),  # type: ignore[arg-type]
            sim_type, req.qty, price=req.price if req.order_type == "Limit" else None,  # type: ignore[arg-type]
            trigger_price=req.trigger_price or None, reduce_only=req.reduce_only,
            time_in_force=_TIF[req.time_in_force],  # type: ignore[arg-type]
            leverage=float(acct.leverage_of(req.symbol)),
        )  # fmt: skip
        self.sim.on_command(self._command_topic, cmd)
        acct.pending.discard(order.order_id)
        reason = acct.rejections.pop(order.order_id, None)
        if reason is not None:
            del acct.orders[order.order_id]
            raise from_sim_reason(reason)
        for sim_order in self.sim.open_orders(acct.trader):
            if sim_order.client_order_id == order.order_id:
                sim_order.not_before = now  # not inside the bar already forming
        self.sink(api_key, acct.order_push(order))
        return order

    def cancel(self, api_key: str, params: Mapping[str, Any]) -> BybitOrder:
        """POST /v5/order/cancel (110001 when unknown or no longer open)."""
        acct = self.accounts[api_key]
        symbol = str(params.get("symbol", ""))
        self.market.info(symbol)
        order = acct.find(params.get("orderId"), params.get("orderLinkId"))
        if order is None or order.symbol != symbol or not order.is_open:
            raise BybitError(110001)
        cmd = CancelOrder(acct.trader, VENUE, symbol, self.now_ms, order.order_id)
        self.sim.on_command(self._command_topic, cmd)
        return order

    # -- settings ----------------------------------------------------------------------------
    def set_leverage(self, api_key: str, params: Mapping[str, Any]) -> None:
        """POST /v5/position/set-leverage (one-way mode: buy and sell leverage equal)."""
        symbol = str(params.get("symbol", ""))
        self.market.info(symbol)
        buy, sell = str(params.get("buyLeverage", "")), str(params.get("sellLeverage", ""))
        try:
            lev = float(buy)
        except ValueError:
            raise BybitError(10001, msg="params error: buyLeverage invalid") from None
        if buy != sell and float(sell or 0) != lev:
            raise BybitError(10001, msg="buy leverage not equal to sell leverage")
        if not 1 <= lev <= MAX_LEVERAGE or lev != int(lev):
            raise BybitError(10001, msg=f"leverage invalid {buy!r}")
        acct = self.accounts[api_key]
        if acct.leverage_of(symbol) == int(lev):
            raise BybitError(110043)
        acct.leverage[symbol] = int(lev)

    def switch_isolated(self, api_key: str, params: Mapping[str, Any]) -> None:
        """POST /v5/position/switch-isolated (tradeMode 0 cross, 1 isolated)."""
        symbol = str(params.get("symbol", ""))
        self.market.info(symbol)
        mode = params.get("tradeMode")
        if mode not in (0, 1, "0", "1"):
            raise BybitError(10001, msg="params error: tradeMode invalid")
        want = int(mode) == 1
        acct = self.accounts[api_key]
        if acct.isolated_of(symbol) == want:
            raise BybitError(110026)
        sim_acct = self.sim.account(acct.trader)
        pos = sim_acct.positions.get(symbol)
        if acct.open_orders(symbol) or (pos is not None and pos.qty != 0.0):
            raise BybitError(10001, msg="position or open orders exist, cannot switch mode")
        if pos is None:
            pos = sim_acct.position(
                symbol, float(acct.leverage_of(symbol)), isolated=want, brackets=DEFAULT_TABLE
            )
        pos.isolated = want
        acct.isolated[symbol] = want

    def set_margin_mode(self, api_key: str, params: Mapping[str, Any]) -> None:
        """POST /v5/account/set-margin-mode: a unified account's margin mode, for every symbol.

        Refused (3400045, with the reasons) while a symbol in the other mode has a position or
        open orders. Portfolio margin is not simulated.
        """
        mode = params.get("setMarginMode")
        if mode not in ("ISOLATED_MARGIN", "REGULAR_MARGIN", "PORTFOLIO_MARGIN"):
            raise BybitError(10001, msg="params error: setMarginMode invalid")
        if mode == "PORTFOLIO_MARGIN":
            reason = {"reasonCode": "3400000", "reasonMsg": "portfolio margin is not simulated"}
            raise BybitError(3400045, result={"reasons": [reason]})
        want = mode == "ISOLATED_MARGIN"
        acct = self.accounts[api_key]
        sim_acct = self.sim.account(acct.trader)
        busy = []
        for symbol in self.symbols:
            pos = sim_acct.positions.get(symbol)
            if acct.isolated_of(symbol) != want and (
                acct.open_orders(symbol) or (pos is not None and pos.qty != 0.0)
            ):
                busy.append(symbol)
        if busy:
            reasons = [
                {"reasonCode": "3400000", "reasonMsg": f"{s} has a position or open orders"}
                for s in busy
            ]
            raise BybitError(3400045, result={"reasons": reasons})
        acct.isolated.clear()
        acct.isolated_by_default = want
        for symbol in self.symbols:  # flat records, so that the next order opens in this mode
            pos = sim_acct.positions.get(symbol)
            if pos is None:
                pos = sim_acct.position(
                    symbol, float(acct.leverage_of(symbol)), isolated=want, brackets=DEFAULT_TABLE
                )
            pos.isolated = want

    # -- views -------------------------------------------------------------------------------
    def position_view(self, trader: str, symbol: str) -> PositionView:
        acct = self._by_trader[trader]
        pos = self.sim.account(trader).positions.get(symbol)
        qty = pos.qty if pos is not None else 0.0
        entry = pos.entry_price if pos is not None and qty else 0.0
        mark = self.market.price(symbol) or entry
        fee = self.config.taker_fee
        return PositionView(
            info=self.symbols[symbol], qty=qty, entry=entry, mark=mark,
            unrealized=qty * (mark - entry), leverage=acct.leverage_of(symbol),
            isolated=pos.isolated if pos is not None else acct.isolated_of(symbol),
            initial_margin=pos.margin if pos is not None else 0.0,
            maint_margin=pos.brackets.maintenance_margin(abs(qty) * mark) if qty else 0.0,
            liquidation=(pos.liquidation_price or 0.0) if pos is not None else 0.0,
            realized=pos.realized_pnl if pos is not None else 0.0,
            break_even=entry * (1.0 + fee) if qty > 0 else entry * (1.0 - fee) if qty else 0.0,
            update_time=self.now_ms,
        )  # fmt: skip

    def account_view(self, api_key: str) -> AccountView:
        acct = self.accounts[api_key]
        sim_acct = self.sim.account(acct.trader)
        views = [self.position_view(acct.trader, s) for s in self.symbols]
        upnl = sum(v.unrealized for v in views)
        wallet = sim_acct.wallet_balance
        return AccountView(
            wallet=wallet, unrealized=upnl,
            available=wallet + upnl - sim_acct.used_margin - sim_acct.reserved_margin,
            position_margin=sim_acct.used_margin, order_margin=sim_acct.reserved_margin,
            maint_margin=sum(v.maint_margin for v in views), update_time=self.now_ms,
            positions=views,
        )  # fmt: skip
