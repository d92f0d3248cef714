"""Bollinger Bands (TA-Lib BBANDS with an SMA middle band), plus inner bands and band width."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from tradeyard.indicators._base import (
    NAN,
    FloatArray,
    Indicator,
    check_int,
    check_real,
    exact_moments,
    nan_array,
    ring_store,
    ring_tail,
    trailing_run,
)
from tradeyard.indicators._kernels import flat_windows, window_sq_dev, window_sums

__all__ = ["BollingerBands"]


class BollingerBands(Indicator):
    """Bollinger Bands: an SMA of the close with bands ``k`` standard deviations either side.

    Over the last ``period`` closes, with ``mid`` their mean and ``sigma`` their *population*
    standard deviation (ddof=0, as TA-Lib BBANDS/STDDEV)::

        upper = mid + k * sigma            lower = mid - k * sigma
        inner_upper = mid + inner_k * sigma    inner_lower = mid - inner_k * sigma
        width = (upper - lower) / mid      (relative band width; NaN if mid == 0)

    The variance is kept with a sliding-window Welford update (mean and sum of squared deviations,
    replacing the leaving value by the new one), not with running sums of ``x`` and ``x**2``: for a
    price of 1e5 the latter subtracts two numbers near 1e11 to get a variance near 1e2 and loses
    most of its digits. So that rounding never accumulates, mean and sum of squares are recomputed
    exactly (two-pass) each time the ring buffer wraps, i.e. every ``period`` rows — amortised
    O(1) — and a run of ``period`` identical closes (a flat window, common on quiet symbols) gives
    exactly ``sigma = 0``, as TA-Lib does, instead of the square root of a rounding residue.
    """

    __slots__ = (
        "_buf",
        "_flat_run",
        "_i",
        "_inner_k",
        "_k",
        "_m2",
        "_mean",
        "_period",
        "inner_lower",
        "inner_upper",
        "lower",
        "mid",
        "upper",
        "width",
    )
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = (
        "mid",
        "upper",
        "lower",
        "inner_upper",
        "inner_lower",
        "width",
    )
    _params: ClassVar[tuple[str, ...]] = ("period", "k", "inner_k")

    def __init__(self, period: int = 20, k: float = 2.0, inner_k: float = 1.0) -> None:
        p = check_int("BollingerBands", "period", period, 1)
        super().__init__(lookback=p - 1)
        self._period = p
        self._k = check_real("BollingerBands", "k", k, 0.0)
        self._inner_k = check_real("BollingerBands", "inner_k", inner_k, 0.0)
        self._buf: list[float] = [NAN] * p  # ring: input number j lives at j % period
        self._i = 0
        self._mean = 0.0  # mean of the values in the window so far
        self._m2 = 0.0  # sum of their squared deviations from that mean
        self._flat_run = 0  # how many of the latest closes are identical
        self.mid = self.upper = self.lower = NAN
        self.inner_upper = self.inner_lower = self.width = NAN

    @property
    def period(self) -> int:
        return self._period

    @property
    def k(self) -> float:
        return self._k

    @property
    def inner_k(self) -> float:
        return self._inner_k

    def update(self, close: float) -> float:
        """Add one close; update every band; return ``mid`` (NaN for the first period-1 rows)."""
        buf = self._buf
        i = self._i
        p = self._period
        n = self._n + 1
        self._n = n
        run = self._flat_run + 1 if close == buf[i - 1] else 1  # buf[i - 1]: previous close
        self._flat_run = run
        mean = self._mean
        if n > p:  # slide: ``close`` replaces the oldest value
            old = buf[i]
            d = close - old
            new_mean = mean + d / p
            m2 = self._m2 + d * ((close - new_mean) + (old - mean))
        else:  # grow: plain Welford
            d = close - mean
            new_mean = mean + d / n
            m2 = self._m2 + d * (close - new_mean)
        buf[i] = close
        i += 1
        if i == p:  # wrapped: recompute exactly so rounding cannot build up
            i = 0
            new_mean = math.fsum(buf) / p
            m2 = math.fsum([(v - new_mean) * (v - new_mean) for v in buf])
        if run >= p:  # flat window
            new_mean = close
            m2 = 0.0
        self._i = i
        self._mean = new_mean
        self._m2 = m2
        if n < p:
            return NAN
        sd = math.sqrt(m2 / p) if m2 > 0.0 else 0.0
        band = self._k * sd
        upper = new_mean + band
        lower = new_mean - band
        inner = self._inner_k * sd
        self.mid = new_mean
        self.upper = upper
        self.lower = lower
        self.inner_upper = new_mean + inner
        self.inner_lower = new_mean - inner
        self.width = (upper - lower) / new_mean if new_mean != 0.0 else NAN
        return new_mean

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (x,) = cols
        p, n0, size = self._period, self._n, len(x)
        ext = np.concatenate([ring_tail(self._buf, n0, p - 1), x])
        mid = window_sums(ext, p) / p
        sd = np.sqrt(np.maximum(window_sq_dev(ext, mid, p), 0.0) / p)
        flat = flat_windows(ext, p)
        mid[flat] = ext[p - 1 :][flat]
        sd[flat] = 0.0
        out = {name: nan_array(size) for name in self.outputs}
        rows = slice(size - len(mid), size)
        upper = mid + self._k * sd
        lower = mid - self._k * sd
        out["mid"][rows] = mid
        out["upper"][rows] = upper
        out["lower"][rows] = lower
        out["inner_upper"][rows] = mid + self._inner_k * sd
        out["inner_lower"][rows] = mid - self._inner_k * sd
        with np.errstate(divide="ignore", invalid="ignore"):
            out["width"][rows] = np.where(mid != 0.0, (upper - lower) / mid, np.nan)
        last = self._buf[(n0 - 1) % p] if n0 else None
        self._flat_run = trailing_run(x, self._flat_run, last)
        self._n = n0 + size
        ring_store(self._buf, self._n, ext)
        self._i = self._n % p
        window = ring_tail(self._buf, self._n, p)  # the values in the window now
        if len(window):
            self._mean, self._m2 = exact_moments(window)
            if self._flat_run >= p:
                self._mean, self._m2 = float(x[-1]), 0.0
        self._set_latest(out)
        return out
