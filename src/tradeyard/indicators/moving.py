"""Moving averages: SMA and EMA, as TA-Lib defines them."""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from tradeyard.indicators._base import (
    NAN,
    FloatArray,
    Indicator,
    check_int,
    nan_array,
    ring_store,
    ring_tail,
)
from tradeyard.indicators._kernels import seeded_smooth, window_sums

__all__ = ["EMA", "SMA"]


class SMA(Indicator):
    """Simple moving average: the mean of the last ``period`` closes (TA-Lib SMA).

    ``value_t = (x_{t-period+1} + ... + x_t) / period``; the first value is at row ``period - 1``.
    Streaming keeps a running sum (add the new value, subtract the one leaving the window, exactly
    as TA-Lib does) over a ring buffer of the last ``period`` inputs.
    """

    __slots__ = ("_buf", "_i", "_period", "_sum", "value")
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)

    def __init__(self, period: int) -> None:
        p = check_int("SMA", "period", period, 1)
        super().__init__(lookback=p - 1)
        self._period = p
        self._buf: list[float] = [0.0] * p  # ring: input number j lives at j % period
        self._i = 0  # next write position == count % period
        self._sum = 0.0
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    def update(self, close: float) -> float:
        """Add one close; return the SMA (NaN for the first ``period - 1`` rows)."""
        buf = self._buf
        i = self._i
        s = self._sum + close - buf[i]  # buf[i] is 0.0 until the window first fills
        buf[i] = close
        i += 1
        self._i = 0 if i == self._period else i
        self._sum = s
        n = self._n + 1
        self._n = n
        if n >= self._period:
            v = s / self._period
            self.value = v
            return v
        return NAN

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (x,) = cols
        p, n0 = self._period, self._n
        tail = ring_tail(self._buf, n0, p - 1)
        ext = np.concatenate([tail, x])
        out = nan_array(len(x))
        sums = window_sums(ext, p)
        if len(sums):
            out[len(x) - len(sums) :] = sums / p
        self._n = n0 + len(x)
        ring_store(self._buf, self._n, ext)
        self._i = self._n % p
        # the running sum restarts exact: the sum of the window just ended (0.0-padded in warm-up)
        self._sum = math.fsum(self._buf)
        result = {"value": out}
        self._set_latest(result)
        return result


class EMA(Indicator):
    """Exponential moving average with ``alpha = 2 / (period + 1)`` (TA-Lib EMA).

    Seeded as TA-Lib's default (non-Metastock) mode: the first value, at row ``period - 1``, is
    the SMA of the first ``period`` closes; then ``ema_t = ema_{t-1} + alpha * (x_t - ema_{t-1})``.
    The SMA seed avoids the bias of starting the recursion at the first close.
    """

    __slots__ = ("_alpha", "_period", "_seed_sum", "value")
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)

    def __init__(self, period: int) -> None:
        p = check_int("EMA", "period", period, 1)
        super().__init__(lookback=p - 1)
        self._period = p
        self._alpha = 2.0 / (p + 1)
        self._seed_sum = 0.0
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    @property
    def alpha(self) -> float:
        """The smoothing factor ``2 / (period + 1)``."""
        return self._alpha

    def update(self, close: float) -> float:
        """Add one close; return the EMA (NaN for the first ``period - 1`` rows)."""
        n = self._n + 1
        self._n = n
        if n > self._period:
            prev = self.value
            v = (close - prev) * self._alpha + prev
        else:
            self._seed_sum += close
            if n < self._period:
                return NAN
            v = self._seed_sum / self._period
        self.value = v
        return v

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (x,) = cols
        out, self._n, self._seed_sum, prev = seeded_smooth(
            x, self._period, self._alpha, self._n, self._seed_sum, self.value
        )
        self.value = prev
        return {"value": out}
