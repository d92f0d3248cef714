"""Oscillators: RSI, MACD and CCI, as TA-Lib defines them."""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tradeyard.errors import ConfigError
from tradeyard.indicators._base import (
    NAN,
    FloatArray,
    Indicator,
    check_int,
    nan_array,
    ring_store,
    ring_tail,
)
from tradeyard.indicators._kernels import ring_order_mean_abs_dev, seeded_smooth
from tradeyard.indicators.moving import EMA

__all__ = ["CCI", "MACD", "RSI"]


class RSI(Indicator):
    """Wilder's Relative Strength Index, as TA-Lib RSI (unstable period 0).

    Gains ``max(c_t - c_{t-1}, 0)`` and losses ``max(c_{t-1} - c_t, 0)`` are smoothed separately:
    the first averages are plain means of the first ``period`` changes (so the first RSI is at row
    ``period``), then ``avg_t = (avg_{t-1} * (period - 1) + x_t) / period``.
    ``RSI = 100 * avg_gain / (avg_gain + avg_loss)`` — the same as ``100 - 100 / (1 + RS)`` without
    dividing by a zero loss. When both averages are exactly 0 (a flat market) it is 0, as TA-Lib.
    """

    __slots__ = ("_avg_gain", "_avg_loss", "_period", "_prev", "_seed_gain", "_seed_loss", "value")
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)

    def __init__(self, period: int = 14) -> None:
        p = check_int("RSI", "period", period, 1)
        super().__init__(lookback=p)
        self._period = p
        self._prev = NAN
        self._seed_gain = self._seed_loss = 0.0
        self._avg_gain = self._avg_loss = NAN
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    def update(self, close: float) -> float:
        """Add one close; return the RSI in [0, 100] (NaN for the first ``period`` rows)."""
        prev = self._prev
        self._prev = close
        n = self._n + 1
        self._n = n
        if n == 1:
            return NAN
        d = close - prev
        gain = d if d > 0.0 else 0.0
        loss = -d if d < 0.0 else 0.0
        p = self._period
        if n > p + 1:
            ag = (self._avg_gain * (p - 1) + gain) / p
            al = (self._avg_loss * (p - 1) + loss) / p
        else:
            self._seed_gain += gain
            self._seed_loss += loss
            if n <= p:
                return NAN
            ag = self._seed_gain / p
            al = self._seed_loss / p
        self._avg_gain = ag
        self._avg_loss = al
        total = ag + al
        v = 100.0 * (ag / total) if total > 0.0 else 0.0
        self.value = v
        return v

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (c,) = cols
        n0, size, p = self._n, len(c), self._period
        out = nan_array(size)
        skip = 1 if n0 == 0 else 0  # the very first close has no change
        d = np.diff(np.concatenate([[self._prev], c]))[skip:]
        seen = max(n0 - 1, 0)
        ag, _, self._seed_gain, self._avg_gain = seeded_smooth(
            np.maximum(d, 0.0), p, 1.0 / p, seen, self._seed_gain, self._avg_gain
        )
        al, _, self._seed_loss, self._avg_loss = seeded_smooth(
            np.maximum(-d, 0.0), p, 1.0 / p, seen, self._seed_loss, self._avg_loss
        )
        total = ag + al
        with np.errstate(divide="ignore", invalid="ignore"):
            rsi = np.where(total > 0.0, 100.0 * (ag / total), 0.0)
        out[skip:] = np.where(np.isnan(total), np.nan, rsi)
        self._n = n0 + size
        self._prev = float(c[-1])
        result = {"value": out}
        self._set_latest(result)
        return result


class MACD(Indicator):
    """Moving Average Convergence/Divergence, matching TA-Lib MACD exactly.

    ``macd = EMA_fast(close) - EMA_slow(close)``, ``signal = EMA_signal(macd)``,
    ``hist = macd - signal``; EMAs use ``alpha = 2 / (period + 1)`` and an SMA seed.

    TA-Lib's alignment (verified against ``talib.MACD``): the fast EMA is *not* seeded on the
    first ``fast`` closes but on the ``fast`` closes ending at row ``slow - 1``, the row where the
    slow EMA is first seeded, so both lines start together. The signal EMA is seeded on the first
    ``signal`` MACD values, and all three outputs start at row ``slow + signal - 2`` (NaN before).
    """

    __slots__ = (
        "_ema_fast",
        "_ema_signal",
        "_ema_slow",
        "_fast",
        "_signal",
        "_slow",
        "hist",
        "macd",
        "signal",
    )
    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("macd", "signal", "hist")

    def __init__(self, fast: int = 12, slow: int = 26, signal: int = 9) -> None:
        f = check_int("MACD", "fast", fast, 1)
        s = check_int("MACD", "slow", slow, 2)
        g = check_int("MACD", "signal", signal, 1)
        if f >= s:
            raise ConfigError(f"MACD fast must be < slow, was fast={f}, slow={s}")
        super().__init__(lookback=s + g - 2)
        self._fast, self._slow, self._signal = f, s, g
        self._ema_fast = EMA(f)
        self._ema_slow = EMA(s)
        self._ema_signal = EMA(g)
        self.macd = self.signal = self.hist = NAN

    @property
    def fast_period(self) -> int:
        return self._fast

    @property
    def slow_period(self) -> int:
        return self._slow

    @property
    def signal_period(self) -> int:
        return self._signal

    def update(self, close: float) -> float:
        """Add one close; return the MACD line (NaN for the first ``slow + signal - 2`` rows)."""
        n = self._n
        self._n = n + 1
        slow = self._ema_slow.update(close)
        if n < self._slow - self._fast:  # the fast EMA's seed window starts later
            return NAN
        line = self._ema_fast.update(close) - slow
        if n < self._slow - 1:
            return NAN
        sig = self._ema_signal.update(line)
        if n < self._lookback:
            return NAN
        self.macd = line
        self.signal = sig
        self.hist = line - sig
        return line

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        (x,) = cols
        n0, size = self._n, len(x)

        def first_row(global_row: int) -> int:  # chunk row of a global row, clipped to the chunk
            return min(max(global_row - n0, 0), size)

        slow = self._ema_slow._run((x,))["value"]
        fast = nan_array(size)
        k = first_row(self._slow - self._fast)
        fast[k:] = self._ema_fast._run((x[k:],))["value"]
        line = fast - slow
        sig = nan_array(size)
        j = first_row(self._slow - 1)
        sig[j:] = self._ema_signal._run((line[j:],))["value"]
        out = {name: nan_array(size) for name in self.outputs}
        start = first_row(self._lookback)
        out["macd"][start:] = line[start:]
        out["signal"][start:] = sig[start:]
        out["hist"][start:] = line[start:] - sig[start:]
        self._n = n0 + size
        self._set_latest(out)
        return out

    def __repr__(self) -> str:
        return f"MACD(fast={self._fast}, slow={self._slow}, signal={self._signal})"


_CCI_CONSTANT = 0.015
"""Lambert's scaling, chosen so that most CCI values fall within ±100."""

_CCI_ZERO_REL = 1e-14
"""TA-Lib 0.8 returns a CCI of 0 when ``|tp - mean|`` or the mean deviation is below
``1e-14 * |mean|`` (measured against ``talib.CCI``), i.e. when it is rounding noise, so a flat
window gives 0 rather than noise / noise."""


class CCI(Indicator):
    """Commodity Channel Index (Lambert), as TA-Lib CCI.

    With the typical price ``tp = (high + low + close) / 3``, over the last ``period`` rows::

        mean = SMA(tp)     mean_dev = mean(|tp_j - mean|)
        CCI  = (tp - mean) / (0.015 * mean_dev)

    The mean *absolute* deviation (not the standard deviation) is Lambert's definition and
    TA-Lib's. Every deviation changes when the mean moves, so unlike the other indicators ``update``
    is O(period): it sums the window twice, as TA-Lib does, and in the same (ring-buffer) order,
    as does ``update_many``: all three agree bit for bit. First value at row ``period - 1``.
    """

    __slots__ = ("_buf", "_i", "_period", "value")
    inputs: ClassVar[tuple[str, ...]] = ("high", "low", "close")
    outputs: ClassVar[tuple[str, ...]] = ("value",)
    _params: ClassVar[tuple[str, ...]] = ("period",)

    def __init__(self, period: int = 20) -> None:
        p = check_int("CCI", "period", period, 1)
        super().__init__(lookback=p - 1)
        self._period = p
        self._buf: list[float] = [0.0] * p  # ring of typical prices: number j at j % period
        self._i = 0
        self.value = NAN

    @property
    def period(self) -> int:
        return self._period

    def update(self, high: float, low: float, close: float) -> float:
        """Add one bar; return the CCI (NaN for the first ``period - 1`` rows)."""
        tp = (high + low + close) / 3.0
        buf = self._buf
        i = self._i
        buf[i] = tp
        p = self._period
        i += 1
        self._i = 0 if i == p else i
        n = self._n + 1
        self._n = n
        if n < p:
            return NAN
        mean = sum(buf) / p
        mad = sum([abs(v - mean) for v in buf])
        dev = tp - mean
        tol = _CCI_ZERO_REL * abs(mean)
        v = 0.0 if abs(dev) <= tol or mad <= tol * p else dev / (_CCI_CONSTANT * (mad / p))
        self.value = v
        return v

    def _run(self, cols: tuple[FloatArray, ...]) -> dict[str, FloatArray]:
        h, lo, c = cols
        p, n0, size = self._period, self._n, len(c)
        tail = ring_tail(self._buf, n0, p - 1)
        ext = np.concatenate([tail, (h + lo + c) / 3.0])
        mean, mad = ring_order_mean_abs_dev(ext, p, first_row=n0 - len(tail))
        dev = ext[p - 1 :] - mean
        tol = _CCI_ZERO_REL * np.abs(mean)
        zero = (np.abs(dev) <= tol) | (mad <= tol * p)
        with np.errstate(divide="ignore", invalid="ignore"):
            cci = np.where(zero, 0.0, dev / (_CCI_CONSTANT * (mad / p)))
        out = nan_array(size)
        out[size - len(cci) :] = cci
        self._n = n0 + size
        ring_store(self._buf, self._n, ext)
        self._i = self._n % p
        result = {"value": out}
        self._set_latest(result)
        return result
