"""Equity curves, exposure and peak leverage, computed a chunk at a time.

Between fills, liquidations and funding payments an account only changes through its marks,
and a mark is a bar's close: so the engine does not sample accounts bar by bar. It records each
account's state (wallet, and per symbol quantity and entry price) after every row where one of
those events happened (`snapshot`), and at the end of each chunk computes, for every close time
of the chunk, in numpy:

    equity(t)   = wallet(t) + Σ_s qty_s(t) × (close_s(t) − entry_s(t))
    leverage(t) = Σ_s |qty_s(t)| × close_s(t) / equity(t)

with close_s(t) the close of symbol s's latest bar at or before t. The result depends only on
the rows where the state changed, never on which other rows the engine visited, so a run that
skips quiet bars and one that visits every bar give the same numbers to the last bit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from tradeyard.backtest.merge import MergedChunk
from tradeyard.venues.sim.account import Account

__all__ = ["EquityBook"]


class _State(NamedTuple):
    wallet: float
    qty: tuple[float, ...]
    entry: tuple[float, ...]


class EquityBook:
    """Per account: equity at every close time, bars with a position open, peak leverage."""

    def __init__(self, accounts: list[Account], symbols: list[str]) -> None:
        self.accounts = accounts
        self.symbols = symbols
        self._times: list[np.ndarray] = []  # a chunk's samples at a time: 8 bytes a point
        self._curves: list[list[np.ndarray]] = [[] for _ in accounts]
        self.exposed = [0] * len(accounts)
        self.max_leverage = [0.0] * len(accounts)
        self._last_close = {s: float("nan") for s in symbols}
        self._state = [self._read(a) for a in accounts]
        self._changes: list[tuple[int, list[_State]]] = []

    def _read(self, acct: Account) -> _State:
        positions = acct.positions
        qty, entry = [], []
        for s in self.symbols:
            pos = positions.get(s)
            qty.append(0.0 if pos is None else pos.qty)
            entry.append(0.0 if pos is None else pos.entry_price)
        return _State(acct.wallet_balance, tuple(qty), tuple(entry))

    @property
    def times(self) -> np.ndarray:
        """Every close time sampled so far (ms UTC)."""
        return np.concatenate(self._times) if self._times else np.empty(0, dtype=np.int64)

    def curve(self, a: int) -> np.ndarray:
        """Account `a`'s equity at each of `times`."""
        parts = self._curves[a]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.float64)

    def snapshot(self, row: int) -> None:
        """The accounts changed while the engine handled merged row `row` of this chunk."""
        self._changes.append((row, [self._read(a) for a in self.accounts]))

    def close_chunk(self, chunk: MergedChunk) -> None:
        """Sample every close time of `chunk` (its rows all handled) and carry the state on."""
        samples = np.flatnonzero(chunk.last)
        self._times.append(chunk.close_times[samples])
        closes = {s: self._closes_at(chunk, s, samples) for s in self.symbols}
        rows = np.array([r for r, _ in self._changes], dtype=np.int64)
        at = np.searchsorted(rows, samples, side="right")  # 0: the state the chunk began with
        for a in range(len(self.accounts)):
            states = [self._state[a], *[states[a] for _, states in self._changes]]
            self._sample(a, states, at, closes)
            self._state[a] = states[-1]
        self._changes = []
        for s, part in chunk.per_symbol.items():
            if len(part):
                self._last_close[s] = float(part.close[-1])

    def _closes_at(self, chunk: MergedChunk, symbol: str, samples: np.ndarray) -> np.ndarray:
        """The close of `symbol`'s latest bar at or before each sampled row."""
        part = chunk.per_symbol.get(symbol)
        carried = self._last_close[symbol]
        if part is None or not len(part):
            return np.full(len(samples), carried)
        k = np.searchsorted(chunk.merged_rows_array(symbol), samples, side="right") - 1
        closes = np.asarray(part.close, dtype=np.float64)[np.maximum(k, 0)]
        return np.where(k >= 0, closes, carried)

    def _sample(
        self, a: int, states: list[_State], at: np.ndarray, closes: dict[str, np.ndarray]
    ) -> None:
        wallet = np.array([st.wallet for st in states])[at]
        upnl = np.zeros(len(at))
        gross = np.zeros(len(at))
        held = np.zeros(len(at), dtype=bool)
        for k, s in enumerate(self.symbols):
            qtys = np.array([st.qty[k] for st in states])
            if not qtys.any():
                continue
            qty = qtys[at]
            entry = np.array([st.entry[k] for st in states])[at]
            on = qty != 0.0
            close = np.where(on, closes[s], 0.0)  # a flat symbol may have no close yet (NaN)
            upnl += np.where(on, qty * (close - entry), 0.0)
            gross += np.abs(qty) * close
            held |= on
        equity = wallet + upnl
        self._curves[a].append(equity)
        self.exposed[a] += int(held.sum())
        if held.any():
            eq, gr = equity[held], gross[held]
            with np.errstate(divide="ignore", invalid="ignore"):
                lev = np.where(eq > 0.0, gr / eq, np.inf)
            self.max_leverage[a] = max(self.max_leverage[a], float(lev.max()))
