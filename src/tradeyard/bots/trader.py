"""Trader: an execution bot. It follows strategies' signals and turns them into orders.

For each symbol the trader combines the targets of the strategies it follows (weighted sum,
clipped to [-1, 1]), sizes the full position with its `Sizing`, and sends one order for the
difference between that and what it holds. A signal with `take_profit` / `stop_loss` gets a
bracket: reduce-only take-profit and stop orders that the venue activates once the entry fills,
one cancelling the other. Order ids are `<trader id>-<sequence>`, so a replay reproduces them.

Its view of positions and balance comes only from the venue's execution events.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal

from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.bots.sizing import EquityFraction, Sizing
from tradeyard.events import (
    BalanceUpdate,
    CancelOrder,
    Control,
    Fill,
    InstrumentSpec,
    OrderUpdate,
    Side,
    Signal,
    SubmitOrder,
    topics,
)

__all__ = ["Trader"]

_FINAL = frozenset({"filled", "canceled", "rejected", "expired"})


class Trader(Bot):
    kind = "trader"

    def __init__(
        self,
        ctx: BotContext,
        venue: str,
        follows: Mapping[str, float],
        sizing: Sizing | None = None,
        leverage: float = 1.0,
        instruments: Mapping[str, InstrumentSpec] | None = None,
        on_stop_positions: Literal["keep", "flatten"] = "keep",
    ) -> None:
        super().__init__(ctx)
        self.venue = venue
        self.follows = dict(follows)
        self.sizing: Sizing = sizing or EquityFraction()
        self.leverage = leverage
        self.instruments = dict(instruments or {})
        self.on_stop_positions = on_stop_positions
        self.positions: dict[str, float] = {}
        self.wallet = 0.0
        self.open_orders: dict[str, dict[str, SubmitOrder]] = {}
        self._targets: dict[str, dict[str, float]] = {}
        self.rejections: list[OrderUpdate] = []

    def subscriptions(self) -> list[str]:
        subs = [f"sig.{name}.>" for name in self.follows]
        subs += [topics.execution(self.bot_id), topics.control(self.bot_id)]
        return subs

    # -- signals -----------------------------------------------------------------------------
    def on_signal(self, sig: Signal) -> None:
        weight = self.follows.get(sig.strategy)
        if weight is None or self.paused:
            return
        per_symbol = self._targets.setdefault(sig.symbol, {})
        per_symbol[sig.strategy] = sig.target * weight
        combined = max(-1.0, min(1.0, sum(per_symbol.values())))
        self._rebalance(sig, combined)

    def _rebalance(self, sig: Signal, combined: float) -> None:
        symbol = sig.symbol
        self._cancel_all(symbol)
        spec = self.instruments.get(symbol)
        price = sig.price if sig.price is not None else sig.ref_price
        current = self.positions.get(symbol, 0.0)
        if combined == 0.0:
            desired = 0.0
        else:
            if price is None or not math.isfinite(price) or price <= 0:
                return  # nothing to size with; a strategy always sends ref_price
            unit = self.sizing.unit_qty(price, self.wallet, self.leverage)
            desired = math.copysign(_round_down(abs(combined) * unit, spec), combined)
        delta = round(desired - current, 12)
        if spec is not None and abs(delta) < spec.step_size * 0.5:
            delta = 0.0
        parent: str | None = None
        if delta != 0.0:
            side: Side = "buy" if delta > 0 else "sell"
            reduce_only = (
                current != 0.0
                and abs(desired) < abs(current)
                and (desired == 0.0 or (desired > 0) == (current > 0))
            )
            parent = self._submit(
                symbol,
                side,
                "limit" if sig.entry == "limit" else "market",
                abs(delta),
                price=sig.price if sig.entry == "limit" else None,
                reduce_only=reduce_only,
                tag=sig.reason,
            )
        if desired != 0.0 and (sig.take_profit is not None or sig.stop_loss is not None):
            exit_side: Side = "sell" if desired > 0 else "buy"
            group = parent or self.ctx.next_id()
            if sig.take_profit is not None:
                self._submit(
                    symbol,
                    exit_side,
                    "take_profit",
                    abs(desired),
                    trigger=sig.take_profit,
                    reduce_only=True,
                    parent=parent,
                    oco=group,
                    tag="take profit",
                )
            if sig.stop_loss is not None:
                self._submit(
                    symbol,
                    exit_side,
                    "stop",
                    abs(desired),
                    trigger=sig.stop_loss,
                    reduce_only=True,
                    parent=parent,
                    oco=group,
                    tag="stop loss",
                )

    def _submit(
        self,
        symbol: str,
        side: Side,
        order_type: Literal["market", "limit", "stop", "take_profit"],
        qty: float,
        *,
        price: float | None = None,
        trigger: float | None = None,
        reduce_only: bool = False,
        parent: str | None = None,
        oco: str | None = None,
        tag: str = "",
    ) -> str:
        spec = self.instruments.get(symbol)
        if spec is not None:
            price = spec.round_price(price) if price is not None else None
            trigger = spec.round_price(trigger) if trigger is not None else None
        cid = self.ctx.next_id()
        order = SubmitOrder(
            trader=self.bot_id,
            venue=self.venue,
            symbol=symbol,
            ts=self.ctx.now,
            client_order_id=cid,
            side=side,
            order_type=order_type,
            qty=qty,
            price=price,
            trigger_price=trigger,
            reduce_only=reduce_only,
            leverage=self.leverage,
            parent_id=parent,
            oco_group=oco,
            tag=tag[:64],
        )
        self.open_orders.setdefault(symbol, {})[cid] = order
        self.ctx.emit(order)
        return cid

    def _cancel_all(self, symbol: str) -> None:
        orders = self.open_orders.get(symbol)
        if not orders:
            return
        for cid in list(orders):
            self.ctx.emit(
                CancelOrder(
                    trader=self.bot_id,
                    venue=self.venue,
                    symbol=symbol,
                    ts=self.ctx.now,
                    client_order_id=cid,
                )
            )
        orders.clear()

    # -- execution reports ------------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        signed = fill.qty if fill.side == "buy" else -fill.qty
        self.positions[fill.symbol] = round(self.positions.get(fill.symbol, 0.0) + signed, 12)

    def on_order_update(self, update: OrderUpdate) -> None:
        if update.status in _FINAL:
            orders = self.open_orders.get(update.symbol)
            if orders is not None:
                orders.pop(update.client_order_id, None)
            if update.status == "rejected":
                self.rejections.append(update)

    def on_balance_update(self, update: BalanceUpdate) -> None:
        self.wallet = update.wallet_balance

    # -- control -----------------------------------------------------------------------------
    def on_control(self, event: Control) -> None:
        if event.action == "pause":
            self.paused = True
        elif event.action == "resume":
            self.paused = False
        elif event.action in ("flatten", "stop"):
            self.flatten()
            self.paused = event.action == "stop" or self.paused

    def flatten(self) -> None:
        """Cancel every open order and close every position with reduce-only market orders."""
        for symbol in list(self.open_orders):
            self._cancel_all(symbol)
        for symbol, qty in self.positions.items():
            if qty != 0.0:
                self._submit(
                    symbol,
                    "sell" if qty > 0 else "buy",
                    "market",
                    abs(qty),
                    reduce_only=True,
                    tag="flatten",
                )


def _round_down(qty: float, spec: InstrumentSpec | None) -> float:
    return spec.round_qty_down(qty) if spec is not None else qty
