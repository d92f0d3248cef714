"""Rolling extremes: highest high and lowest low over a window (TA-Lib MAX / MIN)."""

from __future__ import annotations

from collections import deque
from typing import ClassVar

import numpy as np

from tradeyard.indicators._base import NAN, FloatArray, Indicator, check_int, nan_array
from tradeyard.indicators._kernels import window_max, window_min

__all__ = ["RollingHigh", "RollingLow"]


class _RollingExtreme(Indicator):
    """Shared state of RollingHigh / RollingLow: a monotonic deque of ``(value, row)`` pairs.

    The deque holds, oldest first, the rows of the current window whose value beats every later
    value (strictly), so its front is the window's extreme. Each row is appended once and popped at
    most once: amortised O(1) per update, and never more than ``period`` entries.
    """

    __slots__ = ("_dq", "_period", "value")
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)
    _is_max: ClassVar[bool]

    def __init__(self, period: int) -> None:
        p = check_int(type(self).__name__, "period", period, 1)
        super().__init__(lookback=p - 1)
        self._period = p
        self._dq: deque[tuple[float, int]] = deque()
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (x,) = cols
        p, n0, size = self._period, self._n, len(x)
        out = nan_array(size)
        # The previous p-1 rows matter only through the deque: the extreme of any suffix of them
        # is a deque entry, so rows not in the deque can stand in as -inf (+inf for a minimum).
        t = min(n0, p - 1)
        tail = np.full(t, -np.inf if self._is_max else np.inf)
        for v, row in self._dq:
            if row >= n0 - t:
                tail[row - (n0 - t)] = v
        ext = np.concatenate([tail, x])
        ext_vals = window_max(ext, p) if self._is_max else window_min(ext, p)
        out[size - len(ext_vals) :] = ext_vals
        self._n = n0 + size
        # Rebuild the deque exactly as one-by-one updates leave it: within the last p rows, those
        # strictly beyond everything after them.
        last = ext[-min(p, len(ext)) :]
        after = np.empty(len(last))
        after[-1] = -np.inf if self._is_max else np.inf
        if self._is_max:
            after[:-1] = np.maximum.accumulate(last[::-1])[::-1][1:]
            keep = np.flatnonzero(last > after)
        else:
            after[:-1] = np.minimum.accumulate(last[::-1])[::-1][1:]
            keep = np.flatnonzero(last < after)
        first = self._n - len(last)
        self._dq = deque(zip(last[keep].tolist(), (keep + first).tolist(), strict=True))
        result = {"value": out}
        self._set_latest(result)
        return result


class RollingHigh(_RollingExtreme):
    """Highest ``high`` of the last ``period`` rows (TA-Lib MAX); first value at row period-1.

    Used for breakout levels (Donchian channel upper line).
    """

    __slots__ = ()
    inputs: ClassVar[tuple[str, ...]] = ("high",)
    _is_max: ClassVar[bool] = True

    def update(self, high: float) -> float:
        """Add one high; return the rolling maximum (NaN for the first ``period - 1`` rows)."""
        n = self._n
        self._n = n + 1
        dq = self._dq
        while dq and dq[-1][0] <= high:
            dq.pop()
        dq.append((high, n))
        if dq[0][1] <= n - self._period:
            dq.popleft()
        if n < self._lookback:
            return NAN
        v = dq[0][0]
        self.value = v
        return v


class RollingLow(_RollingExtreme):
    """Lowest ``low`` of the last ``period`` rows (TA-Lib MIN); first value at row period-1.

    Used for breakdown levels and trailing stops (Donchian channel lower line).
    """

    __slots__ = ()
    inputs: ClassVar[tuple[str, ...]] = ("low",)
    _is_max: ClassVar[bool] = False

    def update(self, low: float) -> float:
        """Add one low; return the rolling minimum (NaN for the first ``period - 1`` rows)."""
        n = self._n
        self._n = n + 1
        dq = self._dq
        while dq and dq[-1][0] >= low:
            dq.pop()
        dq.append((low, n))
        if dq[0][1] <= n - self._period:
            dq.popleft()
        if n < self._lookback:
            return NAN
        v = dq[0][0]
        self.value = v
        return v
