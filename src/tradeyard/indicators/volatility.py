"""Volatility: realized volatility of log returns, and Wilder's Average True Range."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from tradeyard.errors import DataError
from tradeyard.indicators._base import (
    NAN,
    FloatArray,
    Indicator,
    check_bool,
    check_int,
    check_real,
    exact_moments,
    nan_array,
    ring_store,
    ring_tail,
    trailing_run,
)
from tradeyard.indicators._kernels import (
    flat_windows,
    seeded_smooth,
    window_sq_dev,
    window_sums,
)

__all__ = ["ATR", "RealizedVolatility"]


class RealizedVolatility(Indicator):
    """Sample standard deviation of the last ``period`` log returns ``r_t = ln(c_t / c_{t-1})``.

    ``value = sqrt(sum((r - mean(r))**2) / (period - 1))`` (ddof=1, like pandas ``rolling.std``),
    times ``sqrt(periods_per_year)`` when ``annualize`` (525600 = minutes per year for 1m bars).
    Log returns add over time, so this is the per-bar volatility a random-walk model scales by
    ``sqrt(time)``. The first value needs ``period + 1`` closes (row ``period``).

    Streaming keeps a ring of the last ``period`` returns and a sliding-window Welford update of
    their mean and sum of squared deviations (numerically stable, O(1) per row), recomputed exactly
    every ``period`` rows so rounding cannot build up; ``period`` identical returns (e.g. a flat
    price) give exactly 0.

    Raises:
        DataError: a close <= 0 (no log return).
    """

    __slots__ = (
        "_annualize",
        "_buf",
        "_flat_run",
        "_i",
        "_m2",
        "_mean",
        "_period",
        "_periods_per_year",
        "_prev",
        "_scale",
        "value",
    )
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period", "annualize", "periods_per_year")

    def __init__(
        self, period: int = 30, annualize: bool = False, periods_per_year: float = 525600
    ) -> None:
        p = check_int("RealizedVolatility", "period", period, 2)
        super().__init__(lookback=p)
        self._period = p
        self._annualize = check_bool("RealizedVolatility", "annualize", annualize)
        self._periods_per_year = check_real(
            "RealizedVolatility", "periods_per_year", periods_per_year, 0.0, strict=True
        )
        self._scale = math.sqrt(self._periods_per_year) if self._annualize else 1.0
        self._buf: list[float] = [NAN] * p  # ring of log returns: return number j at j % period
        self._i = 0
        self._mean = 0.0  # mean of the returns in the window so far
        self._m2 = 0.0  # sum of their squared deviations from that mean
        self._flat_run = 0  # how many of the latest returns are identical
        self._prev = NAN  # previous close
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    @property
    def annualize(self) -> bool:
        return self._annualize

    @property
    def periods_per_year(self) -> float:
        return self._periods_per_year

    def update(self, close: float) -> float:
        """Add one close; return the volatility (NaN for the first ``period`` rows)."""
        if close <= 0.0:
            raise DataError(f"RealizedVolatility: close must be > 0 for a log return, was {close}")
        prev = self._prev
        self._prev = close
        n = self._n + 1
        self._n = n
        if n == 1:
            return NAN
        r = math.log(close / prev)
        m = n - 1  # returns seen, this one included
        buf = self._buf
        i = self._i
        p = self._period
        run = self._flat_run + 1 if r == buf[i - 1] else 1
        self._flat_run = run
        mean = self._mean
        if m > p:
            old = buf[i]
            d = r - old
            new_mean = mean + d / p
            m2 = self._m2 + d * ((r - new_mean) + (old - mean))
        else:
            d = r - mean
            new_mean = mean + d / m
            m2 = self._m2 + d * (r - new_mean)
        buf[i] = r
        i += 1
        if i == p:  # wrapped: recompute exactly so rounding cannot build up
            i = 0
            new_mean = math.fsum(buf) / p
            m2 = math.fsum([(v - new_mean) * (v - new_mean) for v in buf])
        if run >= p:  # all returns in the window identical
            new_mean = r
            m2 = 0.0
        self._i = i
        self._mean = new_mean
        self._m2 = m2
        if m < p:
            return NAN
        v = math.sqrt(m2 / (p - 1)) * self._scale if m2 > 0.0 else 0.0
        self.value = v
        return v

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (c,) = cols
        if (c <= 0.0).any():
            row = int(np.argmax(c <= 0.0))
            raise DataError(
                f"RealizedVolatility.update_many: close[{row}] is {c[row]}; must be > 0 "
                "for a log return"
            )
        p, n0, size = self._period, self._n, len(c)
        out = nan_array(size)
        closes = c if n0 == 0 else np.concatenate([[self._prev], c])
        r = np.log(closes[1:] / closes[:-1])  # one return per row except the very first row
        m0 = max(n0 - 1, 0)  # returns seen before this chunk
        ext = np.concatenate([ring_tail(self._buf, m0, p - 1), r])
        mean = window_sums(ext, p) / p
        m2 = np.maximum(window_sq_dev(ext, mean, p), 0.0)
        m2[flat_windows(ext, p)] = 0.0
        out[size - len(mean) :] = np.sqrt(m2 / (p - 1)) * self._scale
        if len(r):
            last = self._buf[(m0 - 1) % p] if m0 else None
            self._flat_run = trailing_run(r, self._flat_run, last)
        self._n = n0 + size
        self._prev = float(c[-1])
        m = self._n - 1
        ring_store(self._buf, m, ext)
        self._i = m % p
        window = ring_tail(self._buf, m, p)
        if len(window):
            self._mean, self._m2 = exact_moments(window)
            if self._flat_run >= p:
                self._mean, self._m2 = float(r[-1]), 0.0
        result = {"value": out}
        self._set_latest(result)
        return result


class ATR(Indicator):
    """Average True Range with Wilder's smoothing, seeded as TA-Lib ATR.

    True range (from the second row on) is the largest of ``high - low``, ``|high - prev_close|``,
    ``|low - prev_close|``: the bar's range widened to include an overnight/gap move. The first
    ATR, at row ``period``, is the mean of the first ``period`` true ranges; after that
    ``atr_t = (atr_{t-1} * (period - 1) + tr_t) / period`` (an EMA with ``alpha = 1/period``).
    """

    __slots__ = ("_period", "_prev_close", "_seed_sum", "value")
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)

    def __init__(self, period: int = 14) -> None:
        p = check_int("ATR", "period", period, 1)
        super().__init__(lookback=p)
        self._period = p
        self._prev_close = NAN
        self._seed_sum = 0.0
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the ATR (NaN for the first ``period`` rows)."""
        prev = self._prev_close
        self._prev_close = close
        n = self._n + 1
        self._n = n
        if n == 1:
            return NAN
        tr = high - low
        v = abs(prev - high)
        if v > tr:
            tr = v
        v = abs(prev - low)
        if v > tr:
            tr = v
        p = self._period
        if n > p + 1:
            atr = (self.value * (p - 1) + tr) / p
        else:
            self._seed_sum += tr
            if n <= p:
                return NAN
            atr = self._seed_sum / p
        self.value = atr
        return atr

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        h, lo, c = cols
        n0, size = self._n, len(c)
        out = nan_array(size)
        skip = 1 if n0 == 0 else 0  # the very first bar has no previous close
        prev = np.concatenate([[self._prev_close], c[:-1]])[skip:]
        hh, ll = h[skip:], lo[skip:]
        tr = np.maximum(np.maximum(hh - ll, np.abs(prev - hh)), np.abs(prev - ll))
        atr, _, self._seed_sum, self.value = seeded_smooth(
            tr, self._period, 1.0 / self._period, max(n0 - 1, 0), self._seed_sum, self.value
        )
        out[skip:] = atr
        self._n = n0 + size
        self._prev_close = float(c[-1])
        return {"value": out}
