"""The replay clock of a fake exchange: which bar is forming, how far, and what is history.

Historical bars are replayed on their own time axis (a bar keeps its real open time). Each bar
is played in `substeps` steps: steps 1 … substeps−1 show it forming (an in-progress candle), the
last step closes it with exactly the stored row. An in-progress candle follows a fixed path
through the bar, open → low → high → close for a rising bar and open → high → low → close for a
falling one, three legs of equal time; its high / low are the extremes met so far and its volume
grows linearly. The path is invented (a bar does not record it) but deterministic, and it never
leaves the bar's range, so streamed candles always agree with the final row.

The clock only moves through `step()`: the fake's speed loop calls it on a timer, tests call it
directly (through `advance`), so a test never waits for time to pass.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.marketdata import BarSeries, interval_ms

__all__ = ["Replay", "partial_ohlcv"]


def partial_ohlcv(
    o: float, h: float, lo: float, c: float, v: float, frac: float
) -> tuple[float, float, float, float, float]:
    """OHLCV of a bar `frac` (0…1) of the way through its invented path (see module doc)."""
    pts = (o, lo, h, c) if c >= o else (o, h, lo, c)
    x = min(max(frac, 0.0), 1.0) * 3.0
    k = min(int(x), 2)
    t = x - k
    price = c if frac >= 1.0 else pts[k] + (pts[k + 1] - pts[k]) * t
    seen = (*pts[: k + 1], price)
    return o, max(seen), min(seen), price, v * frac


class Replay:
    """A clock over one interval of bars of several symbols (a common time grid).

    `current_open` is the open time of the bar now forming; `sub` how many of its `substeps`
    have passed. History is every bar that opened before `current_open`.
    """

    def __init__(
        self,
        series: Mapping[str, BarSeries],
        *,
        venue: str,
        start: int | None = None,
        warmup_bars: int = 1500,
        substeps: int = 4,
    ) -> None:
        if not series:
            raise ConfigError("no bars to replay: give at least one symbol's data", where="data")
        intervals = {s.interval for s in series.values()}
        if len(intervals) != 1:
            raise ConfigError(f"all symbols must share one interval, found {sorted(intervals)}")
        if substeps < 1:
            raise ConfigError(f"substeps must be >= 1, was {substeps}", where="substeps")
        self.venue = venue
        self.interval = intervals.pop()
        self.interval_ms = interval_ms(self.interval)
        self.substeps = substeps
        self._series = dict(series)
        step = self.interval_ms
        first = min(int(s.open_time[0]) for s in series.values())
        last = max(int(s.open_time[-1]) for s in series.values())
        self.first_open = first
        self.end = last + step
        """Open time after the last bar: the replay is finished when `current_open` reaches it."""
        if start is None:
            start = first + max(0, warmup_bars) * step
        start = first + -(-(start - first) // step) * step  # onto the grid, rounding up
        self.current_open = min(max(start, first), self.end)
        self.sub = 0
        self._idx = {
            sym: int(np.searchsorted(s.open_time, self.current_open, "left"))
            for sym, s in series.items()
        }

    # -- reading -----------------------------------------------------------------------------
    @property
    def symbols(self) -> list[str]:
        return list(self._series)

    @property
    def now_ms(self) -> int:
        """Replay time: the forming bar's open plus the elapsed substeps."""
        return self.current_open + self.sub * self.interval_ms // self.substeps

    @property
    def finished(self) -> bool:
        return self.current_open >= self.end

    @property
    def fraction(self) -> float:
        return self.sub / self.substeps

    def has(self, symbol: str) -> bool:
        return symbol in self._series

    def history(self, symbol: str) -> BarSeries:
        """The closed bars of `symbol` (opened before the forming bar), oldest first."""
        return self._series[symbol].slice(0, self._idx[symbol])

    def forming(self, symbol: str) -> Bar | None:
        """The in-progress bar of `symbol` as it looks now, or None if it has no bar now."""
        i = self._idx[symbol]
        s = self._series[symbol]
        if i >= len(s) or int(s.open_time[i]) != self.current_open:
            return None
        return self._bar(symbol, i, self.fraction)

    def last_closed(self, symbol: str) -> Bar | None:
        """The most recent closed bar of `symbol`, if any."""
        i = self._idx[symbol]
        return self._bar(symbol, i - 1, 1.0) if i > 0 else None

    def last_price(self, symbol: str) -> float | None:
        """The latest price of `symbol`: the forming bar's current close, else the last close."""
        bar = self.forming(symbol)
        if bar is not None:
            return bar.close
        i = self._idx[symbol]
        return float(self._series[symbol].close[i - 1]) if i > 0 else None

    def series_until_now(self, symbol: str, from_ms: int = 0) -> BarSeries:
        """Closed bars opening at or after `from_ms`, plus the forming bar as the last row."""
        s = self._series[symbol]
        lo = int(np.searchsorted(s.open_time, from_ms, "left"))
        hist = s.slice(min(lo, self._idx[symbol]), self._idx[symbol])
        bar = self.forming(symbol)
        if bar is None:
            return hist
        return BarSeries(
            symbol,
            s.interval,
            np.append(hist.open_time, np.int64(bar.open_time)),
            np.append(hist.open, bar.open),
            np.append(hist.high, bar.high),
            np.append(hist.low, bar.low),
            np.append(hist.close, bar.close),
            np.append(hist.volume, bar.volume),
        )

    def aggregate(self, base: Bar, target_interval: str) -> Bar:
        """The `target_interval` candle (UTC-aligned) that `base`, the latest base bar, is part of.

        Built from the history of its bucket plus `base`; closed when `base` closed and is the
        bucket's last base bar.
        """
        tgt = interval_ms(target_interval)
        bucket = base.open_time - base.open_time % tgt
        s = self._series[base.symbol]
        lo = int(np.searchsorted(s.open_time, bucket, "left"))
        hi = int(np.searchsorted(s.open_time, base.open_time, "left"))
        o = float(s.open[lo]) if lo < hi else base.open
        h = max(float(s.high[lo:hi].max()), base.high) if lo < hi else base.high
        lw = min(float(s.low[lo:hi].min()), base.low) if lo < hi else base.low
        v = float(s.volume[lo:hi].sum()) + base.volume
        closed = base.closed and base.close_time + 1 == bucket + tgt
        return Bar(
            self.venue, base.symbol, target_interval, bucket, bucket + tgt - 1,
            o, h, lw, base.close, v, closed,
        )  # fmt: skip

    # -- moving ------------------------------------------------------------------------------
    def step(self) -> list[Bar]:
        """Advance one substep; return the bars it shows (forming, or closed at the last one)."""
        if self.finished:
            return []
        self.sub += 1
        if self.sub < self.substeps:
            return [self._bar(sym, i, self.fraction) for sym, i in self._at_current()]
        closed = [self._bar(sym, i, 1.0) for sym, i in self._at_current()]
        for bar in closed:
            self._idx[bar.symbol] += 1
        self.current_open += self.interval_ms
        self.sub = 0
        for sym, s in self._series.items():  # skip rows of symbols with gaps or late starts
            i = self._idx[sym]
            while i < len(s) and int(s.open_time[i]) < self.current_open:
                i += 1
            self._idx[sym] = i
        return closed

    def _at_current(self) -> Iterator[tuple[str, int]]:
        t = self.current_open
        for sym, s in self._series.items():
            i = self._idx[sym]
            if i < len(s) and int(s.open_time[i]) == t:
                yield sym, i

    def _bar(self, symbol: str, i: int, frac: float) -> Bar:
        s = self._series[symbol]
        t = int(s.open_time[i])
        row = (float(s.open[i]), float(s.high[i]), float(s.low[i]), float(s.close[i]))
        vol = float(s.volume[i])
        if frac >= 1.0:
            o, h, lo, c, v = (*row, vol)
        else:
            o, h, lo, c, v = partial_ohlcv(*row, vol, frac)
        return Bar(
            self.venue, symbol, self.interval, t, t + self.interval_ms - 1, o, h, lo, c, v,
            frac >= 1.0,
        )  # fmt: skip
