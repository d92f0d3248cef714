"""Turn a trader's fills into closed round trips (flat -> flat), with fees and funding attributed."""

from __future__ import annotations

import msgspec

from tradeyard.backtest.results import ClosedTrade
from tradeyard.events import Fill

__all__ = ["TradeBuilder"]


class _Open(msgspec.Struct, gc=False):  # numbers only: no reference cycle possible
    side: int  # +1 long, -1 short
    qty: float  # currently held
    peak_qty: float
    entry_time: int
    entry_value: float  # Σ qty·price of entries (for the average entry price)
    entry_qty: float
    exit_value: float = 0.0
    exit_qty: float = 0.0
    gross: float = 0.0
    fees: float = 0.0
    funding: float = 0.0


class TradeBuilder:
    """Feed fills (and funding) of ONE trader in order; read `.closed`."""

    def __init__(self, trader: str) -> None:
        self.trader = trader
        self.closed: list[ClosedTrade] = []
        self._open: dict[str, _Open] = {}

    def open_symbols(self) -> list[str]:
        return list(self._open)

    def add_funding(self, symbol: str, paid: float) -> None:
        t = self._open.get(symbol)
        if t is not None:
            t.funding += paid

    def add_fill(self, fill: Fill, reason: str = "") -> None:
        signed = fill.qty if fill.side == "buy" else -fill.qty
        size = abs(signed)
        t = self._open.get(fill.symbol)
        if t is None:
            self._start(fill, size, 1 if signed > 0 else -1, fill.fee)
            return
        if (signed > 0) == (t.side > 0):
            t.qty += size
            t.peak_qty = max(t.peak_qty, t.qty)
            t.entry_value += size * fill.price
            t.entry_qty += size
            t.fees += fill.fee
            return
        closing = min(size, t.qty)
        share = closing / size
        avg_entry = t.entry_value / t.entry_qty
        t.gross += (fill.price - avg_entry) * closing * t.side
        t.exit_value += fill.price * closing
        t.exit_qty += closing
        t.fees += fill.fee * share
        t.qty = round(t.qty - closing, 12)
        if t.qty <= 1e-12:
            self._close(fill.symbol, t, fill.ts, reason)
            rest = round(size - closing, 12)
            if rest > 1e-12:
                self._start(fill, rest, 1 if signed > 0 else -1, fill.fee * (1.0 - share))

    def _start(self, fill: Fill, qty: float, side: int, fee: float) -> None:
        # Positional (msgspec builds Structs fastest so; one per trade): side, qty, peak_qty,
        # entry_time, entry_value, entry_qty, exit_value, exit_qty, gross, fees.
        self._open[fill.symbol] = _Open(
            side, qty, qty, fill.ts, qty * fill.price, qty, 0.0, 0.0, 0.0, fee
        )

    def _close(self, symbol: str, t: _Open, ts: int, reason: str) -> None:
        del self._open[symbol]
        # trader, symbol, side, qty, entry_time, entry_price, exit_time, exit_price, pnl, fees,
        # funding, exit_reason (positional, as in `_start`)
        self.closed.append(
            ClosedTrade(
                self.trader, symbol, "long" if t.side > 0 else "short", round(t.peak_qty, 12),
                t.entry_time, t.entry_value / t.entry_qty, ts, t.exit_value / t.exit_qty,
                t.gross - t.fees - t.funding, t.fees, t.funding, reason,
            )
        )  # fmt: skip
