"""The venue's bookkeeping records: per-symbol state and per-trader order registry."""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence

from tradeyard.events.instrument import InstrumentSpec
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.config import SimVenueConfig
from tradeyard.venues.sim.leverage_brackets import BracketTable
from tradeyard.venues.sim.orders import ClosedOrder, OrderBook, SimOrder

__all__ = ["SymbolState", "TraderState"]


class SymbolState:
    """Per-symbol state shared by all accounts.

    `busy` (any open order or position on the symbol) is the one flag the per-bar hot path
    tests for an idle symbol; `liq_low` / `liq_high` are the two levels it compares a busy bar's
    low / high with (the highest liquidation price of the longs, the lowest of the shorts). All
    three are recomputed only when orders, positions or liquidation prices change.

    `quiet_low` / `quiet_high` bound the prices no resting order of the symbol reacts to: a bar
    with low > quiet_low and high < quiet_high cannot trigger or fill any of them, so matching
    is skipped (a position with stop-loss and take-profit orders spends most bars there). The
    band is computed after each match from the orders as they then are (`quiet_band`) and
    cleared whenever an order is added or closed outside matching.

    When these levels narrow (a bar that was quiet may no longer be) the symbol is added to
    `narrowed`, a set the venue shares with every symbol: a backtest that skips bars looks again
    at those symbols' next bar to visit (`SimVenue.wake_levels`). Levels that only widen need
    no look: visiting a bar that turned out quiet is harmless.
    """

    __slots__ = (
        "books",
        "brackets",
        "busy",
        "interval",
        "last_close",
        "liq_high",
        "liq_low",
        "n_orders",
        "narrowed",
        "next_funding",
        "positions",
        "quiet_high",
        "quiet_low",
        "spec",
        "spec_specs",
        "spec_times",
        "symbol",
    )

    def __init__(
        self,
        symbol: str,
        spec: InstrumentSpec | None,
        brackets: BracketTable,
        history: Sequence[tuple[int, InstrumentSpec]] = (),
    ) -> None:
        self.symbol = symbol
        self.spec = spec
        """The filters orders must meet; None when the venue does not list the symbol."""
        self.spec_times = [t for t, _ in history]
        self.spec_specs = [s for _, s in history]
        self.brackets = brackets
        self.interval = ""
        """The bar interval the venue matches on, adopted from the symbol's first bar."""
        self.last_close: float | None = None
        self.n_orders = 0
        self.books: list[OrderBook] = []
        """One book per account that ever ordered this symbol, in first-order order."""
        self.positions: list[Position] = []
        """Non-flat positions of any account on this symbol."""
        self.next_funding = float("inf")
        self.busy = False
        self.liq_low = -math.inf
        self.liq_high = math.inf
        self.quiet_low = math.inf  # no quiet band: every bar is matched
        self.quiet_high = -math.inf
        self.narrowed: set[str] = set()
        """Shared with the venue (see the class doc); a private set until then."""

    @classmethod
    def configured(cls, symbol: str, config: SimVenueConfig, brackets: BracketTable) -> SymbolState:
        """The state of `symbol` with the filters `config` gives it (see `spec_at`)."""
        history = config.instruments_history.get(symbol, ())
        # With a history, `spec` is only what applies before its first date (see `spec_at`).
        spec = config.instruments.get(symbol) if history else config.instrument(symbol)
        return cls(symbol, spec, brackets, history)

    def refresh(self) -> None:
        self.busy = self.n_orders > 0 or bool(self.positions)
        self.narrowed.add(self.symbol)

    def track(self, pos: Position) -> None:
        """Keep `positions` in step with `pos` after a fill or a liquidation changed its qty."""
        if pos.qty != 0.0:
            if pos not in self.positions:
                self.positions.append(pos)
        elif pos in self.positions:
            self.positions.remove(pos)
            pos.liquidation_price = None
        self.refresh()

    def clear_quiet_band(self) -> None:
        """The orders changed: match the next bar whatever its range."""
        self.quiet_low = math.inf
        self.quiet_high = -math.inf
        self.narrowed.add(self.symbol)

    def quiet_band(self) -> None:
        """Set `quiet_low` / `quiet_high` from the symbol's open orders (see the class doc).

        An order that waits for the open (market, or a limit due at the next open) or has no
        price level leaves no band. Bracket children waiting for their parent do not count: a
        child only activates through its parent's fill, which a quiet bar cannot make (and the
        bar that fills the parent is matched whole).
        """
        low, high = -math.inf, math.inf
        for book in self.books:
            for order in book.orders.values():
                if not order.active:
                    continue
                level = order.level
                if order.at_open or level is None:
                    self.clear_quiet_band()
                    return
                if order.upward:
                    if level < high:
                        high = level
                elif level > low:
                    low = level
        if low > self.quiet_low or high < self.quiet_high:
            self.narrowed.add(self.symbol)
        self.quiet_low = low
        self.quiet_high = high

    def refresh_liquidation(self) -> None:
        """Recompute `liq_low` / `liq_high` from the positions' liquidation prices."""
        low, high = -math.inf, math.inf
        for pos in self.positions:
            price = pos.liquidation_price
            if price is None:
                continue
            if pos.qty > 0.0:
                low = max(low, price)
            else:
                high = min(high, price)
        if low > self.liq_low or high < self.liq_high:
            self.narrowed.add(self.symbol)
        self.liq_low = low
        self.liq_high = high

    def spec_at(self, ts: int) -> InstrumentSpec | None:
        """The filters in force at `ts` (from `instruments_history` when the symbol has one)."""
        if not self.spec_times:
            return self.spec
        i = bisect.bisect_right(self.spec_times, ts) - 1
        if i < 0:
            return self.spec if self.spec is not None else self.spec_specs[0]
        return self.spec_specs[i]


class TraderState:
    """An account, its open orders, and a compact record of each closed one.

    The closed records answer duplicate ids, late children of a filled parent and cancels of
    closed orders.
    """

    __slots__ = ("account", "books", "closed", "orders")

    def __init__(self, account: Account) -> None:
        self.account = account
        self.orders: dict[str, SimOrder] = {}
        """Open orders (including bracket children waiting for their parent), by id."""
        self.closed: dict[str, ClosedOrder] = {}
        self.books: dict[str, OrderBook] = {}
