"""Trader: an execution bot. It follows strategies' signals and turns them into orders.

For each symbol the trader combines the targets of the strategies it follows (weighted sum,
clipped to [-1, 1]) and sends one order for the difference between the position that asks for
and what it holds. A signal with `take_profit` / `stop_loss` gets a bracket: reduce-only
take-profit and stop orders that start once the entry fills, one cancelling the other (kept by
the venue or by the trader: see `trader_brackets`). Order ids are `<trader id>-<sequence>`, so a
replay reproduces them.

How big a full position (combined target ±1) is:

- with an `allocation` (a basket of `symbols`): `equity × leverage × weight(symbol)`, the
  weight coming from the allocation mode (equal, fixed fractions, or inverse volatility);
- without one: the `sizing` mode, for each symbol on its own (the original single-symbol trader).

Equity is the wallet balance the venue last reported (BalanceUpdate): realized PnL counts,
open positions' unrealized PnL does not, so a winning position does not grow the others.

Then, in this order, the position asked for may only get smaller:

1. `max_symbol_leverage`: |position notional| ≤ cap × equity;
2. `max_total_leverage`: Σ |notional| over all symbols (open positions and pending entries,
   at their last known prices) ≤ cap × equity;
3. rounding down to the instrument's quantity step;
4. the margin check: what the order adds must be marginable next to every open position and
   pending order (initial margin at the trader's leverage + the taker fee, as the venue counts
   it), keeping `margin_buffer` of the wallet free; the order is scaled down, or not sent;
5. orders below the instrument's minimum quantity / notional are not sent.

An order the venue would reject is not sent: it is recorded as skipped with the reason. Every
decision is kept in `decisions` (see `SizingDecision`) and summarised in the order's `tag`.

Its view of positions and balance comes only from the venue's execution events. It works only
on signals and execution reports (rare); with `volatility_scaled` it also takes each closed bar
of its symbols to keep σ up to date, O(1) per bar.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Literal

import msgspec

from tradeyard.bots.allocation import Allocation, VolatilityFeed, VolatilityScaled
from tradeyard.bots.bot import Bot, handler_name
from tradeyard.bots.context import BotContext
from tradeyard.bots.sizing import EquityFraction, Sizing
from tradeyard.bots.sizing_record import CapApplied, SizingDecision, SkipKind, summary
from tradeyard.bots.trader_account import TraderAccount, WorkingOrder
from tradeyard.bots.trader_adoption import Adoption, adopt_open_orders
from tradeyard.bots.trader_brackets import Brackets
from tradeyard.errors import ConfigError
from tradeyard.events import (
    BalanceUpdate,
    Bar,
    CancelOrder,
    Control,
    Event,
    Fill,
    InstrumentSpec,
    OrderUpdate,
    PositionUpdate,
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
        *,
        symbols: Sequence[str] = (),
        allocation: Allocation | None = None,
        max_symbol_leverage: float | None = None,
        max_total_leverage: float | None = None,
        margin_buffer: float = 0.01,
        taker_fee: float = 0.0005,
        bar_interval: str = "1m",
        venue_brackets: bool = True,
    ) -> None:
        """
        Args:
            symbols: the basket: symbols the trader trades (signals on others are skipped).
                Required with an `allocation`; empty means any symbol a strategy signals.
            allocation: how equity × leverage is shared between `symbols`; replaces `sizing`.
            max_symbol_leverage: cap on one position's notional / equity.
            max_total_leverage: cap on Σ |notional| / equity over all positions.
            margin_buffer: fraction of the wallet the margin check keeps free (default 1 %). The
                trader marks positions at the last price it saw (signals, fills; bars only with
                volatility_scaled) while the venue marks them every bar, and a market order fills
                at the next open: the buffer absorbs both so the venue does not reject.
            taker_fee: the venue's taker fee rate; only used to estimate the margin an order needs.
            bar_interval: interval of the bar topics σ is measured on (volatility_scaled only).
            venue_brackets: the venue holds bracket exits until their entry fills and cancels
                them with it (the simulated venue); False for exchanges, where the trader does
                (`trader_brackets`).
        """
        super().__init__(ctx)
        where = f"trader {ctx.bot_id}"
        if allocation is not None and sizing is not None:
            raise ConfigError(
                "give either sizing (each symbol on its own) or allocation (a basket), not both",
                where=where,
            )
        if allocation is not None and not symbols:
            raise ConfigError(
                "an allocation shares equity between the trader's symbols: give symbols=[...]",
                where=where,
            )
        for name, cap in (
            ("max_symbol_leverage", max_symbol_leverage),
            ("max_total_leverage", max_total_leverage),
        ):
            if cap is not None and not (cap > 0.0 and math.isfinite(cap)):
                raise ConfigError(f"{name} must be a positive number, got {cap!r}", where=where)
        if not 0.0 <= margin_buffer < 1.0:
            raise ConfigError(
                f"margin_buffer must be in [0, 1), got {margin_buffer!r}", where=where
            )
        if not (leverage > 0.0 and math.isfinite(leverage)):
            raise ConfigError(f"leverage must be a positive number, got {leverage!r}", where=where)
        self.venue = venue
        self.follows = dict(follows)
        self.sizing: Sizing = sizing or EquityFraction()
        self.leverage = leverage
        self.instruments = dict(instruments or {})
        self.on_stop_positions = on_stop_positions
        self.symbols: tuple[str, ...] = tuple(dict.fromkeys(symbols))
        self.allocation = allocation
        if allocation is not None:
            allocation.check(self.symbols, where)
        self.max_symbol_leverage = max_symbol_leverage
        self.max_total_leverage = max_total_leverage
        self.margin_buffer = margin_buffer
        self.taker_fee = taker_fee
        self.bar_interval = bar_interval

        self.open_orders: dict[str, dict[str, SubmitOrder]] = {}
        self.rejections: list[OrderUpdate] = []
        self.decisions: list[SizingDecision] = []
        """Why every order was sized as it was, oldest first (see SizingDecision)."""
        self.on_decision: Callable[[SizingDecision], None] | None = None
        """Told of each decision as it is recorded (a live node logs the skipped ones). An
        output only, like `ctx.emit`: the trader's state does not depend on it."""
        self._targets: dict[str, dict[str, float]] = {}
        """symbol → strategy → target as signalled (−1..1)."""
        self.account = TraderAccount(leverage, margin_buffer)
        """Latest price seen per symbol (signal, fill or bar): marks for caps and margin."""
        self._bind_account_reports()
        self.brackets = Brackets(venue_brackets, self._submit, self._cancel_one, ctx.next_id)
        self._decision_of: dict[str, int] = {}
        self._mode_of: Sizing | Allocation | None = None
        self._mode_tag = ""
        self._feeds: dict[str, VolatilityFeed] = {}
        if isinstance(allocation, VolatilityScaled):
            self._feeds = {
                s: VolatilityFeed(s, allocation.period, self.account.last_price)
                for s in self.symbols
            }

    # -- wiring ------------------------------------------------------------------------------
    def subscriptions(self) -> list[str]:
        subs = [f"sig.{name}.>" for name in self.follows]
        subs += [topics.bar(self.venue, s, self.bar_interval) for s in self._feeds]
        subs += [topics.execution(self.bot_id), topics.control(self.bot_id)]
        return subs

    def handlers(self) -> list[tuple[str, Callable[[str, Event], None]]]:
        """Bar topics (volatility_scaled only) go straight to their symbol's σ feed."""
        bars = {topics.bar(self.venue, s, self.bar_interval): f for s, f in self._feeds.items()}
        return [
            (p, bars[p].on_message if p in bars else self.on_event)  # type: ignore[misc]
            for p in self.subscriptions()
        ]

    def on_bar(self, bar: Bar) -> None:
        """Feed one bar by hand (tests, tools); the runtime binds bar topics to the feeds."""
        feed = self._feeds.get(bar.symbol)
        if feed is not None and bar.interval == self.bar_interval:
            feed.on_message("", bar)

    def volatility(self, symbol: str) -> float | None:
        """σ of `symbol`'s recent returns (volatility_scaled), None until known."""
        feed = self._feeds.get(symbol)
        if feed is None:
            return None
        v = feed.indicator.value
        return v if v == v else None

    # -- signals -----------------------------------------------------------------------------
    def on_signal(self, sig: Signal) -> None:
        if sig.strategy not in self.follows:
            return
        targets = self._targets.get(sig.symbol)
        if targets is None:
            targets = self._targets[sig.symbol] = {}
        targets[sig.strategy] = sig.target
        # Paused (a live node's warm-up, a pause control), a trader keeps each strategy's latest
        # target and trades nothing: after a restart the first live signal of one strategy is
        # then combined with what the others want, not with nothing.
        if not self.paused:
            self._rebalance(sig, self._combined(targets))

    def _combined(self, targets: dict[str, float]) -> float:
        """Σ target × weight over the followed strategies' targets on a symbol, clipped to ±1."""
        follows = self.follows
        # sum() of a list, not of a generator: faster, and the same additions in the same order
        raw = sum([t * follows[name] for name, t in targets.items()])
        return max(-1.0, min(1.0, raw))

    def _rebalance(self, sig: Signal, combined: float) -> None:
        symbol = sig.symbol
        if self.open_orders.get(symbol):
            self._cancel_all(symbol)
        ref = sig.ref_price
        if ref is not None and 0.0 < ref < math.inf:  # a positive finite price
            self.account.last_price[symbol] = ref
        price = sig.price if sig.price is not None else ref
        if combined != 0.0 and not (price is not None and 0.0 < price < math.inf):
            return  # no price to size with; a strategy always sends ref_price
        decision, skip, kind, reserve = self._size(sig, combined, price)
        if decision is None:
            return
        cid = ""
        if decision.order_qty != 0.0:
            cid = self._submit(
                symbol,
                "buy" if decision.order_qty > 0 else "sell",
                "limit" if sig.entry == "limit" else "market",
                abs(decision.order_qty),
                price=sig.price if sig.entry == "limit" else None,
                reduce_only=decision.reduce_only,
                tag=sig.reason,
                sizing=summary(decision),
                reserve=reserve,
                exits=self.brackets.announced(sig, decision.target_qty),
            )
        brackets = self.brackets.attach(
            sig, decision.target_qty, cid or None, abs(decision.order_qty)
        )
        self._record(
            msgspec.structs.replace(
                decision,
                client_order_id=cid,
                bracket_ids=brackets,
                status="sent" if cid else "skipped",
                skip=skip,
                skip_kind=kind,
            )
        )

    def _size(
        self, sig: Signal, combined: float, price: float | None
    ) -> tuple[SizingDecision | None, str, SkipKind, float]:
        """Decide the position to hold and the order to send: (decision, skip reason, its
        kind, reserve).

        Returns no decision when there is nothing to do (the position is already right).
        """
        symbol = sig.symbol
        spec = self.instruments.get(symbol)
        acct = self.account
        current = acct.positions.get(symbol, 0.0)
        equity = acct.wallet
        lev = self.leverage
        skip = ""
        kind: SkipKind = ""
        weight: float | None = None
        unit = 0.0
        # 1. the full position (combined target ±1) the allocation or the sizing gives
        if self.symbols and symbol not in self.symbols:
            skip = f"{symbol} is not one of the trader's symbols ({', '.join(self.symbols)})"
            kind = "not_in_basket"
        elif combined != 0.0 and price is not None:
            if self.allocation is not None:
                weight = self.allocation.weight(symbol, self.symbols, self._volatilities())
                if weight is None:
                    skip = self.allocation.missing_reason(symbol)
                    kind = "not_in_basket"
                else:
                    unit = max(equity, 0.0) * lev * weight / price
            else:
                unit = self.sizing.unit_qty(price, equity, lev)
            if not skip and weight == 0.0:
                skip, kind = f"{self._mode()} gives {symbol} a weight of 0", "zero_weight"
            elif not skip and not unit > 0.0:
                skip, kind = f"nothing to size with: wallet {equity:,.2f} USDT", "no_equity"
        desired = combined * unit if unit else 0.0
        caps: list[CapApplied] = []
        target = current
        # 2. leverage caps, 3. rounding down to the step
        sized = not skip
        capped = rounded = 0.0  # |position| after the caps, and after rounding down
        if sized:
            desired_capped = desired
            has_caps = self.max_symbol_leverage is not None or self.max_total_leverage is not None
            if desired != 0.0 and price is not None and has_caps:
                desired_capped = self._apply_caps(symbol, desired, price, equity, caps)
            capped = abs(desired_capped)
            rounded = spec.round_qty_down(capped) if spec is not None else capped
            target = math.copysign(rounded, desired_capped) if rounded else 0.0
            if not rounded and capped > 0.0 and current == 0.0 and spec is not None:
                # Without this record a trader whose wallet ran dry (or whose fixed quantity
                # is below the step) would ignore every signal without a trace.
                skip = (
                    f"the position asked for, {capped:g}, is less than one step "
                    f"({spec.step_size:g}) of {symbol}"
                )
                kind = "below_step"
        diff = target - current
        delta = round(diff, 12) if diff else diff  # round(±0.0, 12) is ±0.0: skip the call
        if spec is not None and abs(delta) < spec.step_size * 0.5:
            delta = 0.0
        reserve = 0.0
        reduce_only = False
        if delta != 0.0:
            # 4. the margin check, across every position and pending order
            if price is not None:
                fit = acct.fit_order(symbol, current, delta, price, lev, self.taker_fee, spec)
                if fit.cap is not None:
                    caps.append(fit.cap)
                    if fit.delta == 0.0:
                        skip = (
                            f"cannot be margined: needs {fit.need:,.2f} USDT (margin + fee), "
                            f"{fit.cap.limit:,.2f} USDT available"
                        )
                        kind = "margin"
                    target = round(current + fit.delta, 12)
                delta, reserve = fit.delta, fit.reserve
            reduce_only = (
                current != 0.0
                and abs(target) < abs(current)
                and (target == 0.0 or (target > 0) == (current > 0))
            )
            # 5. the exchange's minimums (reduce-only orders are exempt from min notional)
            if delta != 0.0 and spec is not None:
                qty = abs(delta)
                notional = qty * (price or 0.0)
                if qty < spec.min_qty:
                    skip = f"qty {qty:g} below the minimum {spec.min_qty:g} for {symbol}"
                    kind = "min_qty"
                elif not reduce_only and notional < spec.min_notional:
                    skip = (
                        f"notional {notional:,.2f} USDT below the minimum "
                        f"{spec.min_notional:g} for {symbol}"
                    )
                    kind = "min_notional"
                if skip:
                    delta, target, reserve = 0.0, current, 0.0
        brackets = target != 0.0 and (sig.take_profit is not None or sig.stop_loss is not None)
        if delta == 0.0 and not skip and not caps and not brackets:
            return None, "", "", 0.0
        # Only a decision needs what rounding dropped (most signals change nothing).
        off = capped - rounded
        rounded_off = (round(off, 12) if off else off) if sized else 0.0
        targets = dict(self._targets.get(symbol, {}))
        follows = self.follows
        # Positional, in SizingDecision's field order (msgspec builds it several times faster
        # than from keywords): ts, symbol, signal_reason, targets, weights, combined_target,
        # equity, allocation, allocation_weight, volatility, leverage, price, unit_qty,
        # desired_qty, current_qty, caps, step, rounded_off, target_qty, order_qty, reduce_only.
        decision = SizingDecision(
            self.ctx.now, symbol, sig.reason, targets, {name: follows[name] for name in targets},
            combined, equity, self._mode(), weight,
            self.volatility(symbol) if self._feeds else None, lev, price, unit, desired,
            current, tuple(caps), spec.step_size if spec is not None else None, rounded_off,
            target, delta, reduce_only if delta != 0.0 else False,
        )  # fmt: skip
        return decision, skip, kind, reserve

    def _apply_caps(
        self, symbol: str, desired: float, price: float, equity: float, caps: list[CapApplied]
    ) -> float:
        """Shrink the position asked for to the leverage caps (never grows it)."""
        size = abs(desired)
        equity = max(equity, 0.0)
        if self.max_symbol_leverage is not None:
            limit = self.max_symbol_leverage * equity / price
            if size > limit:
                caps.append(
                    CapApplied(
                        name="symbol_leverage",
                        limit=self.max_symbol_leverage,
                        qty_before=size,
                        qty_after=limit,
                    )
                )
                size = limit
        if self.max_total_leverage is not None:
            others = self.account.exposure(excluding=symbol)
            limit = max(0.0, self.max_total_leverage * equity - others) / price
            if size > limit:
                caps.append(
                    CapApplied(
                        name="total_leverage",
                        limit=self.max_total_leverage,
                        qty_before=size,
                        qty_after=limit,
                    )
                )
                size = limit
        return math.copysign(size, desired)

    # -- the account as the trader estimates it ---------------------------------------------
    def _mode(self) -> str:
        chosen = self.allocation if self.allocation is not None else self.sizing
        if chosen is not self._mode_of:  # cached: asked for by every decision
            self._mode_of = chosen
            self._mode_tag = str(type(chosen).__struct_config__.tag)
        return self._mode_tag

    def _volatilities(self) -> dict[str, float]:
        return {s: f.indicator.value for s, f in self._feeds.items()}

    def _record(self, decision: SizingDecision) -> None:
        if decision.client_order_id:
            self._decision_of[decision.client_order_id] = len(self.decisions)
        self.decisions.append(decision)
        if self.on_decision is not None:
            self.on_decision(decision)

    # -- orders ------------------------------------------------------------------------------
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
        reserve: float = 0.0,
        sizing: str = "",
        cid: str | None = None,
        exits: tuple[float | None, float | None] = (None, None),
    ) -> str:
        spec = self.instruments.get(symbol)
        if spec is not None:
            price = spec.round_price(price) if price is not None else None
            trigger = spec.round_price(trigger) if trigger is not None else None
        ctx = self.ctx
        if cid is None:
            cid = ctx.next_id()
        # Positional: msgspec builds a Struct several times faster than from keywords. Fields:
        # trader, venue, symbol, ts, client_order_id, side, order_type, qty, price,
        # trigger_price, reduce_only, time_in_force, leverage, parent_id, oco_group, tag, sizing,
        # take_profit, stop_loss.
        order = SubmitOrder(
            ctx.bot_id, self.venue, symbol, ctx.now, cid, side, order_type, qty, price, trigger,
            reduce_only, "GTC", self.leverage, parent, oco, tag[:64], sizing[:128], *exits,
        )  # fmt: skip
        orders = self.open_orders.get(symbol)
        if orders is None:
            orders = self.open_orders[symbol] = {}
        orders[cid] = order
        self.account.working[cid] = WorkingOrder(
            symbol, side, qty, not reduce_only, 0.0 if reduce_only else reserve
        )
        self.ctx.emit(order)
        return cid

    def _cancel_all(self, symbol: str) -> None:
        orders = self.open_orders.get(symbol)
        if not orders:
            return
        ctx, working = self.ctx, self.account.working
        for cid in orders:
            working.pop(cid, None)
        for cid in self.brackets.to_cancel(orders):
            # trader, venue, symbol, ts, client_order_id (positional: see `_submit`)
            ctx.emit(CancelOrder(ctx.bot_id, self.venue, symbol, ctx.now, cid))
        orders.clear()

    def _cancel_one(self, symbol: str, cid: str) -> None:
        orders = self.open_orders.get(symbol)
        if orders is not None:
            orders.pop(cid, None)
        self.account.working.pop(cid, None)
        ctx = self.ctx
        ctx.emit(CancelOrder(ctx.bot_id, self.venue, symbol, ctx.now, cid))

    def adopt_open_orders(
        self,
        orders: Iterable[tuple[SubmitOrder, float]],
        last_entries: Mapping[str, tuple[SubmitOrder, float]] | None = None,
    ) -> Adoption:
        """After a restart: take back this trader's orders still open on the venue, each with
        what it has filled, and protect what its entries opened (see `bots.trader_adoption`)."""
        return adopt_open_orders(self, orders, last_entries)

    # -- execution reports ------------------------------------------------------------------
    def _bind_account_reports(self) -> None:
        """Hand fills, positions and balances straight to the account (one call fewer for each
        of every fill's reports), unless a subclass overrides the handler."""
        cls, acct = type(self), self.account
        for event_type, own, direct in (
            (Fill, Trader.on_fill, acct.on_fill),
            (PositionUpdate, Trader.on_position_update, acct.on_position_update),
            (BalanceUpdate, Trader.on_balance_update, acct.on_balance_update),
        ):
            if getattr(cls, handler_name(event_type)) is own:
                self._handlers[event_type] = direct  # type: ignore[assignment]

    def on_fill(self, fill: Fill) -> None:
        self.account.on_fill(fill)

    def on_position_update(self, update: PositionUpdate) -> None:
        self.account.on_position_update(update)

    def on_order_update(self, update: OrderUpdate) -> None:
        if update.status not in _FINAL:
            return
        orders = self.open_orders.get(update.symbol)
        if orders is not None:
            orders.pop(update.client_order_id, None)
        working = self.account.working.pop(update.client_order_id, None)
        self.brackets.on_final(update)
        if update.status == "rejected":
            self.rejections.append(update)
            i = self._decision_of.get(update.client_order_id)
            if working is not None and i is not None:
                # An order rejection (not a refused cancel): keep why, do not resend. The next
                # signal sizes again from the positions the venue reports.
                self.decisions[i] = msgspec.structs.replace(
                    self.decisions[i], status="rejected", venue_reason=update.reason
                )

    def on_balance_update(self, update: BalanceUpdate) -> None:
        self.account.on_balance_update(update)

    @property
    def positions(self) -> dict[str, float]:
        """Signed quantity per symbol, from the venue's fills."""
        return self.account.positions

    @property
    def wallet(self) -> float:
        return self.account.wallet

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
            if qty == 0.0:
                continue
            cid = self._submit(
                symbol,
                "sell" if qty > 0 else "buy",
                "market",
                abs(qty),
                reduce_only=True,
                tag="flatten",
            )
            targets = dict(self._targets.get(symbol, {}))
            decision = SizingDecision(
                ts=self.ctx.now,
                symbol=symbol,
                signal_reason="flatten",
                targets=targets,
                weights={name: self.follows[name] for name in targets},
                combined_target=0.0,
                equity=self.wallet,
                allocation=self._mode(),
                allocation_weight=None,
                volatility=self.volatility(symbol),
                leverage=self.leverage,
                price=self.account.last_price.get(symbol),
                unit_qty=0.0,
                desired_qty=0.0,
                current_qty=qty,
                order_qty=-qty,
                reduce_only=True,
                client_order_id=cid,
            )
            self._record(msgspec.structs.replace(decision, prefix="flatten ordered by control: "))
