"""Long synthetic-from-real histories for benchmarks: real 1m bars laid end to end in time.

Each repeat of a symbol's real bars is rescaled so it opens where the previous one closed, so the
bar shapes (returns, ranges, volume) are real and there is no price jump at the seams. Funding
rates repeat with the same time shift. `ChainedSource` streams windows, so a one-year,
ten-symbol history never sits in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from tradeyard.marketdata import (
    BarSeries,
    bundled_bars_dir,
    bundled_funding_dir,
    load_bars,
    load_funding,
)

MINUTE = 60_000


class ChainedSource:
    """`n_bars` 1m bars per symbol, streamed in windows of `window_minutes`."""

    def __init__(self, symbols: Sequence[str], n_bars: int, window_minutes: int = 7 * 1440) -> None:
        self.symbols = list(symbols)
        self.interval = "1m"
        self.n_bars = n_bars
        self.window = window_minutes
        self.real = load_bars(bundled_bars_dir(), self.symbols)
        self.t0 = min(int(s.open_time[0]) for s in self.real.values())

    def windows(self) -> Iterator[dict[str, BarSeries]]:
        scale = {s: 1.0 for s in self.symbols}
        for start in range(0, self.n_bars, self.window):
            stop = min(start + self.window, self.n_bars)
            window = {}
            for s in self.symbols:
                window[s], scale[s] = self._rows(s, start, stop, scale[s])
            yield window

    def _rows(self, symbol: str, start: int, stop: int, scale: float) -> tuple[BarSeries, float]:
        real = self.real[symbol]
        n = len(real)
        idx = np.arange(start, stop) % n
        # the scale changes at each seam: rows of a later repeat get that repeat's scale
        cols = {}
        seam = np.arange(start, stop) // n
        first_rep = start // n
        scales = np.empty(stop - start)
        s = scale
        for rep in range(first_rep, seam[-1] + 1):
            mask = seam == rep
            if rep > first_rep:
                s = s * real.close[-1] / real.open[0]
            scales[mask] = s
        for c in ("open", "high", "low", "close"):
            cols[c] = getattr(real, c)[idx] * scales
        ot = self.t0 + MINUTE * np.arange(start, stop, dtype=np.int64)
        # the scale to continue with: that of the last row's repeat
        return BarSeries(
            symbol,
            "1m",
            ot,
            cols["open"],
            cols["high"],
            cols["low"],
            cols["close"],
            real.volume[idx],
        ), s

    def funding(self) -> dict[str, list[tuple[int, float]]]:
        rates = load_funding(bundled_funding_dir(), self.symbols)
        out: dict[str, list[tuple[int, float]]] = {}
        for s, events in rates.items():
            real = self.real[s]
            period = len(real) * MINUTE
            shift0 = self.t0 - int(real.open_time[0])
            reps = self.n_bars // len(real) + 1
            out[s] = [
                (t + shift0 + k * period, r)
                for k in range(reps)
                for t, r in events
                if int(real.open_time[0]) <= t <= int(real.open_time[-1])
            ]
        return out


def chained_series(symbol: str, n_bars: int) -> BarSeries:
    """One symbol's chained bars, whole, in memory."""
    src = ChainedSource([symbol], n_bars, window_minutes=n_bars)
    (window,) = list(src.windows())
    return window[symbol]
