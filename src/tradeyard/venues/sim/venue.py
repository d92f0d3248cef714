"""The simulated venue: accounts, order admission, per-bar matching, marks and funding.

Used by backtests and paper trading. The engine calls `on_bar` for every bar before the
strategies see it, and routes `cmd.<name>` to `on_command`; every report goes out through
`publish(exec.<trader>, event)`.

Per-bar cost is what bounds a backtest's speed, so `on_bar` is written for the common case: a
symbol with no open order and no position costs one dict lookup, a few attribute reads and one
store; a symbol with a position adds an O(1) mark per position. Everything else (matching,
funding) runs only on bars that need it.

Choices where a bar-driven simulation has to pick one:

- Only closed bars are matched, and per symbol only the interval of its first bar (feed the
  finest interval; a strategy's coarser bars must not be matched a second time). `bar.venue`
  is not checked: the sim trades on any data source's bars.
- An order's initial margin and estimated taker fee are reserved while it is open; closing part
  of a position frees that part's margin for the rest of the same order (reversals).
- A reduce-only order placed while flat is accepted (it may protect a pending entry) and is
  canceled if the position is still flat when it triggers.
- No liquidation is modelled: equity can go below maintenance margin (and below zero).
- Orders submitted while a bar is being matched (from a handler of its reports) only match
  bars that open after it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tradeyard.errors import BusError, ConfigError, VenueError
from tradeyard.events import Bar, CancelOrder, Event, OrderStatus, SubmitOrder, topics
from tradeyard.venues.sim import reports
from tradeyard.venues.sim.account import Account
from tradeyard.venues.sim.config import SimVenueConfig
from tradeyard.venues.sim.fees import FeeModel, Liquidity, MakerTakerFees
from tradeyard.venues.sim.fill_model import FillModel, ReferencePriceFill
from tradeyard.venues.sim.funding import FundingSchedule
from tradeyard.venues.sim.matching import REDUCE_ONLY_REASON, BarMatcher
from tradeyard.venues.sim.orders import OPEN_STATUSES, ClosedOrder, OrderBook, SimOrder
from tradeyard.venues.sim.state import SymbolState, TraderState
from tradeyard.venues.sim.validation import (
    filter_reason,
    fmt_num,
    freed_margin,
    increasing_qty,
    margin_reason,
    reference_price,
)

__all__ = ["SimVenue"]

Publish = Callable[[str, Event], None]


class SimVenue:
    """A matching engine for USDT-margined perpetuals in one-way position mode."""

    def __init__(
        self,
        config: SimVenueConfig,
        publish: Publish,
        funding: Mapping[str, Sequence[tuple[int, float]]] | None = None,
        fees: FeeModel | None = None,
        fill_model: FillModel | None = None,
    ) -> None:
        self.config = config
        self.name = config.name
        self._publish = publish
        self._fees: FeeModel = fees or MakerTakerFees(config.maker_fee, config.taker_fee)
        self._matcher = BarMatcher(fill_model or ReferencePriceFill())
        self._funding = FundingSchedule(funding)
        self._symbols: dict[str, SymbolState] = {}
        self._traders: dict[str, TraderState] = {}
        self._n_fills = 0
        self._n_orders = 0
        self._matching_close: int | None = None
        """close_time of the bar being matched, while one is (re-entrant submissions)."""

    # -- accounts ------------------------------------------------------------------------------
    def open_account(self, trader: str, balance: float | None = None, *, ts: int = 0) -> None:
        """Open `trader`'s account with `balance` USDT (default: the config's). Idempotent."""
        if trader in self._traders:
            return
        amount = self.config.starting_balance if balance is None else float(balance)
        if not amount > 0.0:
            raise ConfigError(f"starting balance must be > 0 USDT, got {balance!r}", where=trader)
        try:
            topic = topics.execution(trader)
        except BusError as exc:
            raise ConfigError(str(exc), where="trader") from exc
        acct = Account(trader, amount, topic)
        self._traders[trader] = TraderState(acct)
        self._publish(topic, reports.balance(self.name, acct, ts, "deposit", amount))

    def account(self, trader: str) -> Account:
        try:
            return self._traders[trader].account
        except KeyError:
            raise VenueError(
                f"venue {self.name!r}: unknown account {trader!r}: open_account first"
            ) from None

    def equity(self, trader: str) -> float:
        return self.account(trader).equity

    def fees_paid(self, trader: str) -> float:
        return self.account(trader).fees_paid

    def funding_paid(self, trader: str) -> float:
        """Net funding paid (positive: paid, negative: received)."""
        return self.account(trader).funding_paid

    def has_exposure(self, trader: str) -> bool:
        return self.account(trader).n_open_positions > 0

    def open_orders(self, trader: str) -> list[SimOrder]:
        """Open orders of `trader` (including bracket children waiting for their parent)."""
        tr = self._traders.get(trader)
        if tr is None:
            return []
        return list(tr.orders.values())

    # -- bars (hot path) -----------------------------------------------------------------------
    def on_bar(self, bar: Bar) -> None:
        """Match, mark and settle funding for one closed bar (before strategies see it)."""
        st = self._symbols.get(bar.symbol)
        if st is None or bar.interval != st.interval or not bar.closed:
            st = self._adopt(bar, st)
            if st is None:
                return
        close = st.last_close = bar.close
        if st.busy:
            if st.n_orders:
                self._match(st, bar)
            for pos in st.positions:
                upnl = pos.qty * (close - pos.entry_price)
                pos.account.unrealized_pnl += upnl - pos.unrealized_pnl
                pos.unrealized_pnl = upnl
        if bar.close_time >= st.next_funding:
            self._settle_funding(st, bar)

    def _adopt(self, bar: Bar, st: SymbolState | None) -> SymbolState | None:
        """Slow path of `on_bar`: a symbol's first bar, another interval, or an open candle."""
        if not bar.closed:
            # An in-progress candle: matching it and again the final bar would double-fill.
            return None
        if st is None:
            st = self._symbol(bar.symbol)
        if st.interval == "":
            st.interval = bar.interval
            self._funding.skip_before(bar.symbol, bar.open_time)
            st.next_funding = self._funding.next_time(bar.symbol)
            return st
        return None  # another interval of a symbol already matched on its first interval

    def _symbol(self, symbol: str) -> SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            st = self._symbols[symbol] = SymbolState(symbol, self.config.instrument(symbol))
        return st

    def _match(self, st: SymbolState, bar: Bar) -> None:
        self._matching_close = bar.close_time
        try:
            for book in st.books:
                if book.orders:
                    self._matcher.match(book, bar, self)
        finally:
            self._matching_close = None

    def _settle_funding(self, st: SymbolState, bar: Bar) -> None:
        """Pay funding due in this bar on the positions open at its end, at its close."""
        due = self._funding.take_due(st.symbol, bar.close_time)
        st.next_funding = self._funding.next_time(st.symbol)
        mark = bar.close
        for t, rate in due:
            for pos in st.positions:
                acct = pos.account
                payment = pos.qty * mark * rate
                acct.pay_funding(pos, payment)
                self._publish(
                    acct.topic, reports.balance(self.name, acct, t, "funding", -payment, st.symbol)
                )

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, topic: str, event: Event) -> None:
        """Handle SubmitOrder / CancelOrder (`cmd.<name>`); bad orders are rejected, not raised."""
        if isinstance(event, SubmitOrder):
            self._submit(event)
        elif isinstance(event, CancelOrder):
            self._cancel(event)

    def _submit(self, cmd: SubmitOrder) -> None:
        tr = self._traders.get(cmd.trader)
        if tr is None:
            self._reject_unknown_account(cmd)
            return
        acct = tr.account
        reason, order = self._admit(cmd, tr)
        if order is None:
            self._publish(acct.topic, reports.rejected(self.name, cmd, reason))
            return
        tr.orders[cmd.client_order_id] = order
        st = self._symbols[cmd.symbol]
        book = tr.books.get(cmd.symbol)
        if book is None:
            book = tr.books[cmd.symbol] = OrderBook(acct, cmd.symbol)
            st.books.append(book)
        book.add(order)
        st.n_orders += 1
        st.busy = True
        acct.reserved_margin += order.reserved
        if self._matching_close is not None:
            # Sent from a handler of one of this bar's reports: it must not match any bar of
            # the period it reacts to (of this symbol or of another one processed later).
            order.not_before = self._matching_close + 1
        self._publish(acct.topic, reports.order_update(self.name, order, cmd.ts, "new"))

    def _admit(self, cmd: SubmitOrder, tr: TraderState) -> tuple[str, SimOrder | None]:
        """Run every admission check; return ("", order) when accepted, (reason, None) if not."""
        acct = tr.account
        sym = cmd.symbol
        if cmd.venue != self.name:
            return f"order for venue '{cmd.venue}' sent to venue '{self.name}'", None
        if cmd.client_order_id in tr.orders or cmd.client_order_id in tr.closed:
            dup = f"duplicate client_order_id '{cmd.client_order_id}' for trader '{cmd.trader}'"
            return dup, None
        st = self._symbol(sym)
        spec = st.spec
        if spec is None:
            known = ", ".join(self.config.instruments)
            return f"unknown symbol {sym}: not in the venue's instruments (known: {known})", None
        pos = acct.position(sym, self.config.default_leverage)
        leverage = cmd.leverage if cmd.leverage is not None else pos.leverage
        reason = filter_reason(cmd, spec, leverage, st.last_close)
        if reason is not None:
            return reason, None
        active = True
        if cmd.parent_id is not None:
            parent = tr.orders.get(cmd.parent_id) or tr.closed.get(cmd.parent_id)
            if parent is None:
                return f"unknown parent order '{cmd.parent_id}'", None
            if parent.symbol != sym:
                return f"parent order '{cmd.parent_id}' is on {parent.symbol}, not {sym}", None
            if parent.status in OPEN_STATUSES:
                active = False
            elif parent.status != "filled":
                return f"parent order '{cmd.parent_id}' is {parent.status}", None
        signed = cmd.qty if cmd.side == "buy" else -cmd.qty
        if cmd.reduce_only and active and pos.qty != 0.0 and (pos.qty > 0.0) == (signed > 0.0):
            return REDUCE_ONLY_REASON, None
        last = st.last_close
        marketable = (
            cmd.order_type == "limit"
            and last is not None
            and cmd.price is not None
            and (cmd.price >= last if cmd.side == "buy" else cmd.price <= last)
        )
        if marketable and cmd.time_in_force == "GTX":
            return (
                f"post-only (GTX) limit {cmd.side} at {fmt_num(cmd.price or 0.0)} would take "
                f"liquidity: last close {fmt_num(last or 0.0)}"
            ), None
        ref = reference_price(cmd, last) or 0.0
        inc = 0.0 if cmd.reduce_only else increasing_qty(pos.qty, signed)
        margin = inc * ref / leverage
        fee = self._fees.fee(sym, cmd.qty * ref, "taker") if margin > 0.0 else 0.0
        # A leverage change re-margins the open position; closing part of it frees margin.
        position_margin = abs(pos.qty) * pos.entry_price / leverage
        freed = freed_margin(pos.qty, position_margin, signed) if margin > 0.0 else 0.0
        available = acct.available - (position_margin - pos.margin) + freed
        reason = margin_reason(margin, fee, available, acct.asset)
        if reason is not None:
            return reason, None
        acct.set_leverage(pos, leverage)
        self._n_orders += 1
        order = SimOrder(cmd, acct, leverage, f"{self.name}-o{self._n_orders}")
        order.active = active
        order.at_open = cmd.order_type == "market" or (
            cmd.order_type == "limit" and (marketable or cmd.time_in_force == "IOC")
        )
        order.reserved = max(0.0, margin + fee - freed)
        return "", order

    def _cancel(self, cmd: CancelOrder) -> None:
        tr = self._traders.get(cmd.trader)
        if tr is None:
            self._reject_unknown_account(cmd)
            return
        order = tr.orders.get(cmd.client_order_id)
        if order is not None:
            self.close(order, "canceled", "canceled by trader", cmd.ts)
            return
        closed = tr.closed.get(cmd.client_order_id)
        if closed is None:
            reason = f"unknown order {cmd.client_order_id}"
            update = reports.rejected_cancel(self.name, cmd, reason)
        else:
            reason = f"order {cmd.client_order_id} is already {closed.status}: nothing to cancel"
            update = reports.rejected_closed(self.name, cmd, closed, reason)
        self._publish(tr.account.topic, update)

    def _reject_unknown_account(self, cmd: SubmitOrder | CancelOrder) -> None:
        try:
            topic = topics.execution(cmd.trader)
        except BusError:
            return  # no valid topic to report on: the trader id itself is malformed
        reason = f"unknown account '{cmd.trader}': open_account first"
        if isinstance(cmd, SubmitOrder):
            update = reports.rejected(self.name, cmd, reason)
        else:
            update = reports.rejected_cancel(self.name, cmd, reason)
        self._publish(topic, update)

    # -- MatchSink: what the matcher calls -----------------------------------------------------
    def position_qty(self, order: SimOrder) -> float:
        return order.account.position_qty(order.symbol)

    def margin_shortfall(self, order: SimOrder, qty: float, price: float) -> str | None:
        acct = order.account
        pos = acct.positions[order.symbol]
        signed = qty if order.is_buy else -qty
        margin = increasing_qty(pos.qty, signed) * price / pos.leverage
        if margin <= 0.0:
            return None
        fee = self._fees.fee(order.symbol, qty * price, "taker")
        available = acct.available + order.reserved + freed_margin(pos.qty, pos.margin, signed)
        at = f" at the open {fmt_num(price)}"
        return margin_reason(margin, fee, available, acct.asset, at)

    def fill(
        self, order: SimOrder, qty: float, price: float, liquidity: Liquidity, ts: int
    ) -> None:
        acct = order.account
        sym = order.symbol
        pos = acct.positions[sym]
        fee = self._fees.fee(sym, qty * price, liquidity)
        old = pos.qty
        realized = acct.apply_fill(pos, qty if order.is_buy else -qty, price, fee)
        st = self._symbols[sym]
        if old == 0.0 and pos.qty != 0.0:
            st.positions.append(pos)
        elif old != 0.0 and pos.qty == 0.0:
            st.positions.remove(pos)
        prev = order.filled_qty
        order.filled_qty = filled = round(prev + qty, 12)
        avg = order.avg_price
        order.avg_price = price if avg is None else (avg * prev + price * qty) / filled
        status: OrderStatus = "filled" if order.remaining <= 0.0 else "partially_filled"
        order.status = status
        if status == "filled":
            self._forget(order)
        st.refresh()
        self._n_fills += 1
        name = self.name
        fill_id = f"{name}-{self._n_fills}"
        # Built before any is published: a handler reacting to the Fill (a synchronous bus)
        # must not change what the other three report about this fill.
        group = (
            reports.fill(name, order, ts, qty, price, fee, liquidity, realized, fill_id),
            reports.order_update(name, order, ts, status),
            reports.position(name, pos, ts),
            reports.balance(name, acct, ts, "fill", realized - fee, sym),
        )
        for event in group:
            self._publish(acct.topic, event)

    def close(self, order: SimOrder, status: OrderStatus, reason: str, ts: int) -> None:
        """Cancel / reject / expire an open order, then cancel the children waiting for it."""
        if order.status not in OPEN_STATUSES:
            return
        order.status = status
        self._forget(order)
        update = reports.order_update(self.name, order, ts, status, reason)
        self._publish(order.account.topic, update)
        book = self._traders[order.account.trader].books[order.symbol]
        for kid in book.pop_children(order.client_order_id):
            self.close(kid, "canceled", f"parent {order.client_order_id} {status}", ts)

    # -- helpers -------------------------------------------------------------------------------
    def _forget(self, order: SimOrder) -> None:
        """Take a closed order out of its book and release its reserved margin."""
        acct = order.account
        tr = self._traders[acct.trader]
        tr.books[order.symbol].remove(order)
        del tr.orders[order.client_order_id]
        tr.closed[order.client_order_id] = ClosedOrder(
            order.status, order.symbol, order.side, order.order_type, order.qty
        )
        acct.reserved_margin -= order.reserved
        order.reserved = 0.0
        st = self._symbols[order.symbol]
        st.n_orders -= 1
        st.refresh()

    def __repr__(self) -> str:
        return f"SimVenue({self.name!r}, accounts={list(self._traders)})"
