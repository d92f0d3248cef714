"""The account as a trader sees it: positions, entry prices, last prices, wallet, working orders.

The trader learns all of this only from the venue's execution reports (and the prices its signals
carry); from it, it estimates what the venue will allow before it sends an order: exposure of
the other symbols, the margin still free, the margin a closing order frees.
"""

from __future__ import annotations

from tradeyard.events import BalanceUpdate, Fill, PositionUpdate, Side

__all__ = ["TraderAccount", "WorkingOrder"]


class WorkingOrder:
    """An order the venue may still fill: what it would add to the position, what it reserves."""

    __slots__ = ("entry", "remaining", "reserved", "side", "symbol")

    def __init__(self, symbol: str, side: Side, qty: float, entry: bool, reserved: float) -> None:
        self.symbol = symbol
        self.side = side
        self.remaining = qty
        self.entry = entry
        """False for reduce-only orders: they can only shrink the position."""
        self.reserved = reserved
        """Estimated margin + fee the venue holds for it (0 for reduce-only orders)."""


class TraderAccount:
    """One trader's estimate of its account on one venue, at its leverage."""

    def __init__(self, leverage: float, margin_buffer: float) -> None:
        self.leverage = leverage
        self.margin_buffer = margin_buffer
        self.positions: dict[str, float] = {}
        """Signed quantity per symbol (> 0 long), from fills."""
        self.wallet = 0.0
        """Wallet balance (USDT) as the venue last reported it."""
        self.entry: dict[str, float] = {}
        self.last_price: dict[str, float] = {}
        self.working: dict[str, WorkingOrder] = {}

    # -- what the venue reports --------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        signed = fill.qty if fill.side == "buy" else -fill.qty
        self.positions[fill.symbol] = round(self.positions.get(fill.symbol, 0.0) + signed, 12)
        self.last_price[fill.symbol] = fill.price
        w = self.working.get(fill.client_order_id)
        if w is not None:
            left = max(0.0, round(w.remaining - fill.qty, 12))
            w.reserved = w.reserved * left / w.remaining if w.remaining > 0.0 else 0.0
            w.remaining = left

    def on_position_update(self, update: PositionUpdate) -> None:
        self.entry[update.symbol] = update.entry_price

    def on_balance_update(self, update: BalanceUpdate) -> None:
        self.wallet = update.wallet_balance

    # -- estimates ---------------------------------------------------------------------------
    def mark(self, symbol: str) -> float:
        return self.last_price.get(symbol) or self.entry.get(symbol) or 0.0

    def exposure(self, excluding: str) -> float:
        """Σ |notional| of the other symbols: positions, or positions after their pending
        entry orders fill when that is larger, at the last known prices."""
        pending: dict[str, float] = {}
        for w in self.working.values():
            if w.entry:
                signed = w.remaining if w.side == "buy" else -w.remaining
                pending[w.symbol] = pending.get(w.symbol, 0.0) + signed
        total = 0.0
        for s in {*self.positions, *pending}:
            if s == excluding:
                continue
            pos = self.positions.get(s, 0.0)
            qty = max(abs(pos), abs(pos + pending.get(s, 0.0)))
            total += qty * self.mark(s)
        return total

    def margin_room(self) -> float:
        """USDT an order may still use: wallet + unrealized PnL − margin of the positions −
        what pending orders reserve − the buffer (the venue's `available`, estimated)."""
        upnl = used = 0.0
        for s, qty in self.positions.items():
            if qty != 0.0:
                entry = self.entry.get(s) or self.mark(s)
                upnl += qty * (self.mark(s) - entry)
                used += abs(qty) * entry / self.leverage
        reserved = sum(w.reserved for w in self.working.values())
        buffer = self.margin_buffer * max(self.wallet, 0.0)
        return self.wallet + upnl - used - reserved - buffer

    def freed(self, symbol: str, current: float, delta: float) -> float:
        """Margin an order frees by closing (part of) the position (reversals reuse it)."""
        if current == 0.0 or (current > 0.0) == (delta > 0.0):
            return 0.0
        entry = self.entry.get(symbol) or self.mark(symbol)
        return abs(current) * entry / self.leverage * min(1.0, abs(delta) / abs(current))
