"""Vectorised building blocks for ``update_many``: window sums, extremes, deviations, recursions.

All window functions take an array ``x`` and a window length ``p`` and return one value per full
window, i.e. ``len(x) - p + 1`` values, the ``i``-th covering ``x[i : i + p]``. Memory is O(len(x)).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy.signal import lfilter

from tradeyard.indicators._base import FloatArray, nan_array

__all__ = [
    "seeded_smooth",
    "window_abs_dev",
    "window_max",
    "window_min",
    "window_sq_dev",
    "window_sums",
]


def _blocks(x: FloatArray, p: int, fill: float) -> tuple[np.ndarray, int]:
    """``x`` padded with ``fill`` to a multiple of ``p`` and shaped (blocks, p)."""
    nb = -(-len(x) // p)
    padded = np.full(nb * p, fill)
    padded[: len(x)] = x
    return padded.reshape(nb, p), len(x) - p + 1


def window_sums(x: FloatArray, p: int) -> FloatArray:
    """Sum of every length-``p`` window, in O(len(x)) and as accurate as summing each window.

    Block decomposition (van Herk / Gil-Werman): cut ``x`` into blocks of ``p``; every window is a
    suffix of one block plus a prefix of the next, so ``suffix_sum[i] + prefix_sum[i + p - 1]``.
    Unlike differences of one long cumulative sum, no term ever cancels against a large running
    total, so the error stays at a few ulps of the window sum whatever the chunk length.
    """
    if len(x) < p:
        return np.empty(0)
    if p == 1:
        return x.copy()
    blocks, m = _blocks(x, p, 0.0)
    prefix = np.cumsum(blocks, axis=1).ravel()
    suffix = np.cumsum(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    out = suffix[:m] + prefix[p - 1 : p - 1 + m]
    out[::p] = suffix[:m:p]  # a window that is exactly one block: the suffix alone
    return out


def _window_extreme(
    x: FloatArray, p: int, op: Callable[..., FloatArray], fill: float
) -> FloatArray:
    if len(x) < p:
        return np.empty(0)
    if p == 1:
        return x.copy()
    blocks, m = _blocks(x, p, fill)
    prefix = op.accumulate(blocks, axis=1).ravel()  # type: ignore[attr-defined]
    suffix = op.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()  # type: ignore[attr-defined]
    return op(suffix[:m], prefix[p - 1 : p - 1 + m])


def window_max(x: FloatArray, p: int) -> FloatArray:
    """Maximum of every length-``p`` window in O(len(x)) (van Herk / Gil-Werman)."""
    return _window_extreme(x, p, np.maximum, -np.inf)


def window_min(x: FloatArray, p: int) -> FloatArray:
    """Minimum of every length-``p`` window in O(len(x)) (van Herk / Gil-Werman)."""
    return _window_extreme(x, p, np.minimum, np.inf)


def window_sq_dev(x: FloatArray, mean: FloatArray, p: int) -> FloatArray:
    """``sum((x_j - mean_i)**2)`` over every window ``i`` (two-pass, numerically stable).

    The textbook shortcut ``sum(x**2) - p*mean**2`` cancels catastrophically for prices (1e5
    squared is 1e10 while a 1-minute variance is ~1e2); subtracting each window's own mean first
    does not. One vector pass per lag: O(p * len(x)) time, O(len(x)) memory.
    """
    m = len(mean)
    acc = np.zeros(m)
    for j in range(p):
        d = x[j : j + m] - mean
        acc += d * d
    return acc


def window_abs_dev(x: FloatArray, mean: FloatArray, p: int) -> FloatArray:
    """``sum(|x_j - mean_i|)`` over every window ``i``; O(p * len(x)) time, O(len(x)) memory."""
    m = len(mean)
    acc = np.zeros(m)
    for j in range(p):
        acc += np.abs(x[j : j + m] - mean)
    return acc


def seeded_smooth(
    x: FloatArray, period: int, alpha: float, seen: int, seed_sum: float, prev: float
) -> tuple[FloatArray, int, float, float]:
    """Continue an SMA-seeded exponential smoothing over a chunk (EMA, Wilder).

    The recursion is TA-Lib's: the first ``period`` inputs are averaged into the seed (the first
    output, at input number ``period - 1``), then ``y_t = y_{t-1} + alpha * (x_t - y_{t-1})``.
    EMA uses ``alpha = 2 / (period + 1)``; Wilder's smoothing (RSI, ATR) uses ``alpha = 1/period``.

    The linear recursion runs as an IIR filter (``scipy.signal.lfilter``) whose initial condition
    ``zi = (1 - alpha) * prev`` continues it exactly from the previous chunk.

    Args:
        x: this chunk's inputs.
        period: the seed length.
        alpha: the smoothing factor.
        seen: inputs consumed before this chunk.
        seed_sum: sum of the inputs consumed so far while ``seen < period``.
        prev: the last output (NaN before the seed).

    Returns:
        (outputs per input, NaN before the seed; new ``seen``; new ``seed_sum``; new ``prev``).
    """
    n = len(x)
    out = nan_array(n)
    start = 0
    if seen < period:
        k = min(period - seen, n)
        for v in x[:k].tolist():  # sequential, like the one-by-one seed in ``update``
            seed_sum += v
        seen += k
        if seen < period:
            return out, seen, seed_sum, prev
        prev = seed_sum / period
        out[k - 1] = prev
        start = k
    if start < n:
        y, _ = lfilter([alpha], [1.0, alpha - 1.0], x[start:], zi=[(1.0 - alpha) * prev])
        out[start:] = y
        prev = float(y[-1])
        seen += n - start
    return out, seen, seed_sum, prev
