"""The venue's bookkeeping records: per-symbol state and per-trader order registry."""

from __future__ import annotations

from tradeyard.events.instrument import InstrumentSpec
from tradeyard.venues.sim.account import Account, Position
from tradeyard.venues.sim.orders import ClosedOrder, OrderBook, SimOrder

__all__ = ["SymbolState", "TraderState"]


class SymbolState:
    """Per-symbol state shared by all accounts.

    `busy` (any open order or position on the symbol) is the one flag the per-bar hot path
    tests; it is recomputed only when orders or positions change.
    """

    __slots__ = (
        "books",
        "busy",
        "interval",
        "last_close",
        "n_orders",
        "next_funding",
        "positions",
        "spec",
        "symbol",
    )

    def __init__(self, symbol: str, spec: InstrumentSpec | None) -> None:
        self.symbol = symbol
        self.spec = spec
        """The filters orders must meet; None when the venue does not list the symbol."""
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

    def refresh(self) -> None:
        self.busy = self.n_orders > 0 or bool(self.positions)


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
