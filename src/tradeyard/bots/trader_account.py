"""The account as a trader sees it: positions, entry prices, last prices, wallet, working orders.

The trader learns all of this only from the venue's execution reports (and the prices its signals
carry); from it, it estimates what the venue will allow before it sends an order: exposure of
the other symbols, the margin still free, the margin a closing order frees.

A restarted live trader starts from what it owned before (`restore`, from the order store's
fills) instead of flat. Live exchanges send the trader no PositionUpdate, so for a restored
symbol the account keeps the entry price itself from the fills that follow, by the exchanges'
rule (`tradeyard.events.position_math.entry_after`). Other symbols keep entry prices only from
PositionUpdates, as before.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from tradeyard.bots.sizing import increasing_part, margin_needed, max_increase
from tradeyard.bots.sizing_record import CapApplied
from tradeyard.events import BalanceUpdate, Fill, InstrumentSpec, PositionUpdate, Side
from tradeyard.events.position_math import entry_after

__all__ = ["MarginFit", "TraderAccount", "WorkingOrder"]


class MarginFit(NamedTuple):
    """What the margin check leaves of an order (see `TraderAccount.fit_order`)."""

    delta: float
    """The signed order quantity that can be margined (0.0: none)."""
    reserve: float
    """The margin + fee the venue will hold for it, net of what its closing part frees."""
    cap: CapApplied | None
    """The "margin" cap when the order had to shrink, else None."""
    need: float
    """Margin + fee the order asked for before shrinking (USDT)."""


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
        self._fill_entries: set[str] = set()
        """Symbols whose entry price this account follows from fills (restored ones)."""

    # -- a restart ---------------------------------------------------------------------------
    def restore(self, positions: Mapping[str, float], entry_prices: Mapping[str, float]) -> None:
        """Start from the positions the trader owned before a restart (signed qty per symbol)
        and their entry prices (a symbol without one is marked at its last price, as before).

        Only for a fresh account, before the first event: seeding over positions or working
        orders the account already tracks would count them twice."""
        held = {s: q for s, q in self.positions.items() if q != 0.0}
        if held or self.working:
            what = []
            if held:
                what.append("positions " + ", ".join(f"{s} {q:+g}" for s, q in held.items()))
            if self.working:
                what.append(f"{len(self.working)} working order(s)")
            raise RuntimeError(
                f"cannot restore positions into an account that already has {' and '.join(what)}"
                ": restore seeds a fresh account at start, before any order or fill"
            )
        for symbol, qty in positions.items():
            if not math.isfinite(qty):
                raise ValueError(f"cannot restore {symbol}: quantity {qty!r} is not finite")
            price = entry_prices.get(symbol)
            if price is not None and not (0.0 < price < math.inf):
                raise ValueError(
                    f"cannot restore {symbol}: entry price {price!r} is not a positive number"
                )
        for symbol, qty in positions.items():
            if qty == 0.0:
                continue
            self.positions[symbol] = round(qty, 12)
            price = entry_prices.get(symbol)
            if price is not None:
                self.entry[symbol] = price
                self._fill_entries.add(symbol)

    # -- what the venue reports --------------------------------------------------------------
    def on_fill(self, fill: Fill) -> None:
        signed = fill.qty if fill.side == "buy" else -fill.qty
        symbol = fill.symbol
        before = self.positions.get(symbol, 0.0)
        self.positions[symbol] = round(before + signed, 12)
        self.last_price[symbol] = fill.price
        if self._fill_entries and symbol in self._fill_entries:
            entry = entry_after(before, self.entry.get(symbol, 0.0), signed, fill.price)
            if entry:
                self.entry[symbol] = entry
            else:
                self.entry.pop(symbol, None)
        w = self.working.get(fill.client_order_id)
        if w is not None:
            left = w.remaining - fill.qty
            left = max(0.0, round(left, 12) if left else left)  # a full fill leaves 0.0: no round
            w.reserved = w.reserved * left / w.remaining if w.remaining > 0.0 else 0.0
            w.remaining = left

    def on_position_update(self, update: PositionUpdate) -> None:
        self._fill_entries.discard(update.symbol)  # the venue reports it: it knows best
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
        # dict order, not a set's: the sum must not depend on the process's hash seed
        for s in dict.fromkeys([*self.positions, *pending]):
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
        last, entries, lev = self.last_price, self.entry, self.leverage
        for s, qty in self.positions.items():
            if qty != 0.0:
                mark = last.get(s) or entries.get(s) or 0.0  # self.mark(s), inlined
                entry = entries.get(s) or mark
                upnl += qty * (mark - entry)
                used += abs(qty) * entry / lev
        reserved = sum(w.reserved for w in self.working.values())
        buffer = self.margin_buffer * max(self.wallet, 0.0)
        return self.wallet + upnl - used - reserved - buffer

    def freed(self, symbol: str, current: float, delta: float) -> float:
        """Margin an order frees by closing (part of) the position (reversals reuse it)."""
        if current == 0.0 or (current > 0.0) == (delta > 0.0):
            return 0.0
        entry = self.entry.get(symbol) or self.mark(symbol)
        return abs(current) * entry / self.leverage * min(1.0, abs(delta) / abs(current))

    def fit_order(
        self,
        symbol: str,
        current: float,
        delta: float,
        price: float,
        leverage: float,
        fee_rate: float,
        spec: InstrumentSpec | None,
    ) -> MarginFit:
        """Shrink an order of signed `delta` on a position of `current` to what the account can
        margin next to every open position and pending order (rounded down to the step)."""
        inc = increasing_part(current, delta)
        freed = self.freed(symbol, current, delta)
        cap = None
        need = 0.0
        if inc > 0.0:
            room = self.margin_room() + freed
            need = margin_needed(inc, abs(delta), price, leverage, fee_rate)
            if need > room + 1e-9:
                closing = abs(delta) - inc
                allowed = max_increase(room, closing, price, leverage, fee_rate)
                inc = min(inc, allowed)
                inc = spec.round_qty_down(inc) if spec is not None else inc
                new_abs = round(closing + inc, 12)
                cap = CapApplied(
                    name="margin", limit=room, qty_before=abs(delta), qty_after=new_abs
                )
                delta = math.copysign(new_abs, delta) if new_abs else 0.0
        reserve = max(0.0, margin_needed(inc, abs(delta), price, leverage, fee_rate) - freed)
        return MarginFit(delta, reserve, cap, need)
