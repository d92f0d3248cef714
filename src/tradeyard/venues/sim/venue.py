"""The simulated venue: accounts, order admission, per-bar matching, marks, funding, liquidation.

Used by backtests and paper trading. The engine calls `on_bar` for every bar before the
strategies see it, and routes `cmd.<name>` to `on_command`; every report goes out through
`publish(exec.<trader>, event)`.

Per-bar cost is what bounds a backtest's speed, so `on_bar` is written for the common case: a
symbol with no open order and no position costs one dict lookup, a few attribute reads and one
store; a symbol with a position adds two comparisons (the bar's low / high against the
liquidation prices stored on the symbol) and, per position, an O(1) mark and leverage-slack
update. Everything else (matching, funding, liquidation, recomputing liquidation prices, a new
maximum leverage) runs only on the bars that need it.

Choices where a bar-driven simulation has to pick one:

- Only closed bars are matched, and per symbol only the interval of its first bar (feed the
  finest interval; a strategy's coarser bars must not be matched a second time). `bar.venue`
  is not checked: the sim trades on any data source's bars.
- An order's initial margin and estimated taker fee are reserved while it is open; closing part
  of a position frees that part's margin for the rest of the same order (reversals).
- A reduce-only order placed while flat is accepted (it may protect a pending entry) and is
  canceled if the position is still flat when it triggers.
- Positions are liquidated when the bar's range reaches their liquidation price (formulas in
  `liquidation`, order within the bar in `matching`, booking in `risk.settle_liquidation`). The
  bar's close is the mark: there is no separate mark price.
- Orders submitted while a bar is being matched (from a handler of its reports) only match
  bars that open after it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence

from tradeyard.errors import BusError, ConfigError, VenueError
from tradeyard.events import Bar, CancelOrder, Event, OrderStatus, SubmitOrder, topics
from tradeyard.venues.sim import reports
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.admission import admit, fill_margin_reason
from tradeyard.venues.sim.config import SimVenueConfig
from tradeyard.venues.sim.fees import FeeModel, Liquidity, MakerTakerFees
from tradeyard.venues.sim.fill_model import FillModel
from tradeyard.venues.sim.funding import FundingSchedule
from tradeyard.venues.sim.leverage_brackets import DEFAULT_TABLE, BracketTable
from tradeyard.venues.sim.matching import BarMatcher
from tradeyard.venues.sim.orders import OPEN_STATUSES, ClosedOrder, OrderBook, SimOrder
from tradeyard.venues.sim.risk import (
    leverage_high,
    liquidation_reason,
    liquidation_watch,
    note_leverage,
    reached,
    refresh_liquidation_prices,
    settle_liquidation,
)
from tradeyard.venues.sim.slippage import build_fill_model
from tradeyard.venues.sim.state import SymbolState, TraderState

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
        """`fill_model` overrides the one `config.slippage` describes."""
        self.config = config
        self.name = config.name
        self._publish = publish
        self._fees: FeeModel = fees or MakerTakerFees(config.maker_fee, config.taker_fee)
        self._matcher = BarMatcher(fill_model or build_fill_model(config.slippage))
        self._funding = FundingSchedule(funding)
        self._brackets = {s: BracketTable(s, b) for s, b in config.brackets.items()}
        self._symbols: dict[str, SymbolState] = {}
        self._traders: dict[str, TraderState] = {}
        self._n_fills = 0
        self._n_orders = 0
        self._n_liquidations = 0
        self._n_funding = 0
        self._n_commands = 0
        self._narrowed: set[str] = set()
        self.track_leverage = True
        """Track the maximum leverage at every bar's marks. An engine that samples leverage
        itself (the backtest engine, at every close time) turns it off."""
        self.sync_marks: Callable[[], None] | None = None
        """Called before anything reads the accounts' marks (admission, matching, liquidation,
        funding): an engine that skips bars brings the marks up to date there."""
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

    def max_leverage(self, trader: str) -> float:
        """The highest Σ |qty| × mark / equity of `trader` at any mark or fill so far.

        Marks are bar closes (and fill prices). 0.0 before the first position, inf if equity
        reached 0 with a position open.
        """
        return self.account(trader).max_leverage

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
        """Match, liquidate, mark and settle funding for one closed bar (before strategies see it)."""
        st = self._symbols.get(bar.symbol)
        if st is None or bar.interval != st.interval or not bar.closed:
            st = self._adopt(bar, st)
            if st is None:
                return
        close = st.last_close = bar.close
        if st.busy:
            if st.n_orders and not (st.quiet_low < bar.low and bar.high < st.quiet_high):
                self._match(st, bar)
            if bar.low <= st.liq_low or bar.high >= st.liq_high:
                self._liquidate_reached(st, bar)
            track = self.track_leverage
            for pos in st.positions:  # Account.mark and the leverage slack, inlined
                upnl = pos.qty * (close - pos.entry_price)
                d = upnl - pos.unrealized_pnl
                pos.unrealized_pnl = upnl
                if track:
                    acct = pos.account
                    slack = acct.lev_slack = acct.lev_slack + pos.lev_k * d
                    if slack < 0.0:
                        leverage_high(acct, pos)
        if bar.close_time >= st.next_funding:
            self._settle_funding(st, bar)

    # -- for a backtest engine that skips bars (`backtest.skipping`) ---------------------------
    def wake_levels(self, symbol: str) -> tuple[float, float, float]:
        """(low, high, time): the next bar of `symbol` the venue must see is the first whose
        low ≤ `low`, whose high ≥ `high` or whose close time ≥ `time` (a funding time).

        Any other bar would only move the marks: no order could trigger or fill on it, no
        position be liquidated. Symbols whose levels narrowed are collected for
        `take_narrowed`.
        """
        st = self._symbols.get(symbol)
        if st is None or st.interval == "":
            return math.inf, -math.inf, -math.inf  # its first bar: adopt it
        if not st.busy:
            return -math.inf, math.inf, st.next_funding
        low, high = st.liq_low, st.liq_high
        if st.n_orders:
            low = max(low, st.quiet_low)
            high = min(high, st.quiet_high)
        return low, high, st.next_funding

    def take_narrowed(self) -> list[str]:
        """The symbols whose `wake_levels` narrowed since the last call (then forgotten)."""
        if not self._narrowed:
            return []
        narrowed = list(self._narrowed)
        self._narrowed.clear()
        return narrowed

    def mark(self, symbol: str, close: float) -> None:
        """Mark `symbol`'s positions to `close`, as its bar would (the marks a skipped bar moves)."""
        st = self._symbols.get(symbol)
        if st is None:
            return
        st.last_close = close
        for pos in st.positions:
            pos.unrealized_pnl = pos.qty * (close - pos.entry_price)

    def position_symbols(self) -> list[str]:
        """Symbols on which some account holds a position."""
        return [s for s, st in self._symbols.items() if st.positions]

    @property
    def n_account_changes(self) -> int:
        """Fills, liquidations and funding settlements so far: the events that move positions
        or wallets."""
        return self._n_fills + self._n_funding

    @property
    def activity(self) -> int:
        """Moves whenever any symbol's `wake_levels` may have: commands and account changes."""
        return self._n_fills + self._n_funding + self._n_commands

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
            self._narrowed.add(st.symbol)
            return st
        return None  # another interval of a symbol already matched on its first interval

    def _symbol(self, symbol: str) -> SymbolState:
        st = self._symbols.get(symbol)
        if st is None:
            brackets = self._brackets.get(symbol, DEFAULT_TABLE)
            st = self._symbols[symbol] = SymbolState.configured(symbol, self.config, brackets)
            st.narrowed = self._narrowed
        return st

    def _match(self, st: SymbolState, bar: Bar) -> None:
        if self.sync_marks is not None:
            self.sync_marks()
        self._matching_close = bar.close_time
        try:
            for book in st.books:
                if book.orders:
                    self._matcher.match(book, bar, self)
        finally:
            self._matching_close = None
        st.quiet_band()

    def _liquidate_reached(self, st: SymbolState, bar: Bar) -> None:
        """Liquidate the positions whose liquidation price this bar reached (`risk.reached`)."""
        if self.sync_marks is not None:
            self.sync_marks()
        self._matching_close = bar.close_time
        try:
            for pos in list(st.positions):
                hit = reached(pos, bar)
                if hit is not None:
                    self._liquidate(pos, *hit)
        finally:
            self._matching_close = None

    def _settle_funding(self, st: SymbolState, bar: Bar) -> None:
        """Pay funding due in this bar on the positions open at its end, at its close."""
        if self.sync_marks is not None:
            self.sync_marks()
        due = self._funding.take_due(st.symbol, bar.close_time)
        st.next_funding = self._funding.next_time(st.symbol)  # later: only widens
        if st.positions:
            self._n_funding += 1
        mark = bar.close
        for t, rate in due:
            for pos in st.positions:
                acct = pos.account
                payment = pos.qty * mark * rate
                acct.pay_funding(pos, payment)
                self._publish(
                    acct.topic, reports.balance(self.name, acct, t, "funding", -payment, st.symbol)
                )
        for acct in {pos.account.trader: pos.account for pos in st.positions}.values():
            self._refresh_risk(acct)  # the wallet changed

    # -- commands ------------------------------------------------------------------------------
    def on_command(self, topic: str, event: Event) -> None:
        """Handle SubmitOrder / CancelOrder (`cmd.<name>`); bad orders are rejected, not raised."""
        self._n_commands += 1
        if self.sync_marks is not None:
            self.sync_marks()
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
        st = self._symbols.get(cmd.symbol) or self._symbol(cmd.symbol)
        result = admit(cmd, tr, st, self.config, self._fees)
        if isinstance(result, str):
            self._publish(acct.topic, reports.rejected(self.name, cmd, result))
            return
        pos = result.position
        if result.leverage != pos.leverage:
            acct.set_leverage(pos, result.leverage)
            if pos.qty != 0.0:
                self._refresh_risk(acct)  # an isolated position's margin changed
        self._n_orders += 1
        order = SimOrder(cmd, acct, result.leverage, f"{self.name}-o{self._n_orders}")
        order.active, order.at_open, order.reserved = result.active, result.at_open, result.reserved
        tr.orders[cmd.client_order_id] = order
        book = tr.books.get(cmd.symbol)
        if book is None:
            book = tr.books[cmd.symbol] = OrderBook(acct, cmd.symbol)
            st.books.append(book)
        book.add(order)
        st.n_orders += 1
        st.busy = True
        st.clear_quiet_band()
        acct.reserved_margin += order.reserved
        if self._matching_close is not None:
            # Sent from a handler of one of this bar's reports: it must not match any bar of
            # the period it reacts to (of this symbol or of another one processed later).
            order.not_before = self._matching_close + 1
        self._publish(acct.topic, reports.order_update(self.name, order, cmd.ts, "new"))

    def _cancel(self, cmd: CancelOrder) -> None:
        tr = self._traders.get(cmd.trader)
        if tr is None:
            self._reject_unknown_account(cmd)
            return
        order = tr.orders.get(cmd.client_order_id)
        if order is not None:
            self.close(order, "canceled", "canceled by trader", cmd.ts)
            return
        update = reports.cancel_rejection(self.name, cmd, tr.closed.get(cmd.client_order_id))
        self._publish(tr.account.topic, update)

    def _reject_unknown_account(self, cmd: SubmitOrder | CancelOrder) -> None:
        rejection = reports.unknown_account(self.name, cmd)
        if rejection is not None:
            self._publish(*rejection)

    # -- MatchSink: what the matcher calls -----------------------------------------------------
    def position_qty(self, order: SimOrder) -> float:
        return order.account.position_qty(order.symbol)

    def margin_shortfall(self, order: SimOrder, qty: float, price: float) -> str | None:
        return fill_margin_reason(order, qty, price, self._fees)

    def fill(
        self, order: SimOrder, qty: float, price: float, liquidity: Liquidity, ts: int
    ) -> None:
        acct = order.account
        sym = order.symbol
        pos = acct.positions[sym]
        fee = self._fees.fee(sym, qty * price, liquidity)
        realized = acct.apply_fill(pos, qty if order.is_buy else -qty, price, fee)
        self._position_changed(pos)
        acct.reserved_margin -= order.release(qty)
        prev = order.filled_qty
        order.filled_qty = filled = round(prev + qty, 12)
        avg = order.avg_price
        order.avg_price = price if avg is None else (avg * prev + price * qty) / filled
        status: OrderStatus = "filled" if order.remaining <= 0.0 else "partially_filled"
        order.status = status
        if status == "filled":
            self._forget(order)
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

    def liquidation_watch(self, book: OrderBook) -> tuple[float, bool] | None:
        return liquidation_watch(book.account.positions.get(book.symbol))

    def liquidate(self, book: OrderBook, price: float, ts: int) -> None:
        self._liquidate(book.account.positions[book.symbol], price, ts)

    # -- helpers -------------------------------------------------------------------------------
    def _liquidate(self, pos: Position, price: float, ts: int) -> None:
        """Cancel the account's orders on the symbol, then close the whole position at `price`.

        Reported like a fill of a market order `liq-<venue>-<n>` (taker), with the usual
        OrderUpdate / PositionUpdate and a BalanceUpdate of reason "liquidation".
        """
        tr = self._traders[pos.account.trader]
        why = liquidation_reason(pos)
        book = tr.books.get(pos.symbol)
        if book is not None:
            for order in list(book.orders.values()):
                self.close(order, "canceled", why, ts)
        booking = settle_liquidation(pos.account, pos, price, self.config.liquidation_fee_rate)
        self._position_changed(pos)
        self._n_liquidations += 1
        self._n_fills += 1
        coid, fill_id = f"liq-{self.name}-{self._n_liquidations}", f"{self.name}-{self._n_fills}"
        order, group = reports.liquidation(self.name, pos, ts, price, booking, why, coid, fill_id)
        tr.closed[coid] = ClosedOrder("filled", pos.symbol, order.side, "market", order.qty)
        for event in group:
            self._publish(pos.account.topic, event)

    def _position_changed(self, pos: Position) -> None:
        """After a fill or a liquidation of `pos`: symbol lists, liquidation prices, leverage."""
        st = self._symbols[pos.symbol]
        st.track(pos)
        self._refresh_risk(pos.account)
        if pos.qty == 0.0:  # an open position's symbol was just refreshed with its account
            st.refresh_liquidation()

    def _refresh_risk(self, acct: Account) -> None:
        """Recompute `acct`'s liquidation prices and levels, then its leverage slack (`risk`)."""
        opened = refresh_liquidation_prices(acct)
        for pos in opened:
            self._symbols[pos.symbol].refresh_liquidation()
        note_leverage(acct, opened)

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
        st.clear_quiet_band()

    def __repr__(self) -> str:
        return f"SimVenue({self.name!r}, accounts={list(self._traders)})"
