"""Vectorised building blocks for ``update_many``: window sums, extremes, deviations, recursions.

All window functions take an array ``x`` and a window length ``p`` and return one value per full
window, i.e. ``len(x) - p + 1`` values, the ``i``-th covering ``x[i : i + p]``. Memory is O(len(x)).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.signal import lfilter

from tradeyard.indicators._base import FloatArray, nan_array

__all__ = [
    "flat_windows",
    "ring_order_mean_abs_dev",
    "seeded_smooth",
    "window_max",
    "window_min",
    "window_sq_dev",
    "window_sums",
]


_SHORT_WINDOW = 48
"""Up to this window length ``window_sums`` adds the ``p`` shifted slices directly."""


def _blocks(x: FloatArray, p: int, fill: float) -> tuple[np.ndarray, int]:
    """``x`` padded with ``fill`` to a multiple of ``p`` and shaped (blocks, p)."""
    nb = -(-len(x) // p)
    padded = np.full(nb * p, fill)
    padded[: len(x)] = x
    return padded.reshape(nb, p), len(x) - p + 1


def window_sums(x: FloatArray, p: int) -> FloatArray:
    """Sum of every length-``p`` window, as accurate as summing each window on its own.

    Block decomposition (van Herk / Gil-Werman): cut ``x`` into blocks of ``p``; every window is a
    suffix of one block plus a prefix of the next, so ``suffix_sum[i] + prefix_sum[i + p - 1]``.
    Unlike differences of one long cumulative sum, no term ever cancels against a large running
    total, so the error stays at a few ulps of the window sum whatever the chunk length. O(len(x))
    time; short windows simply add the ``p`` shifted slices (same accuracy, faster in practice).
    """
    if len(x) < p:
        return np.empty(0)
    if p <= _SHORT_WINDOW:  # a few vector adds beat the block bookkeeping
        m = len(x) - p + 1
        acc = x[:m].copy()
        for j in range(1, p):
            acc += x[j : j + m]
        return acc
    blocks, m = _blocks(x, p, 0.0)
    prefix = np.cumsum(blocks, axis=1).ravel()
    suffix = np.cumsum(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    out = suffix[:m] + prefix[p - 1 : p - 1 + m]
    out[::p] = suffix[:m:p]  # a window that is exactly one block: the suffix alone
    return out


def _window_extreme(x: FloatArray, p: int, op: np.ufunc, fill: float) -> FloatArray:
    if len(x) < p:
        return np.empty(0)
    if p == 1:
        return x.copy()
    blocks, m = _blocks(x, p, fill)
    prefix = op.accumulate(blocks, axis=1).ravel()
    suffix = op.accumulate(blocks[:, ::-1], axis=1)[:, ::-1].ravel()
    return op(suffix[:m], prefix[p - 1 : p - 1 + m])


def window_max(x: FloatArray, p: int) -> FloatArray:
    """Maximum of every length-``p`` window in O(len(x)) (van Herk / Gil-Werman)."""
    return _window_extreme(x, p, np.maximum, -np.inf)


def window_min(x: FloatArray, p: int) -> FloatArray:
    """Minimum of every length-``p`` window in O(len(x)) (van Herk / Gil-Werman)."""
    return _window_extreme(x, p, np.minimum, np.inf)


def flat_windows(x: FloatArray, p: int) -> npt.NDArray[np.bool_]:
    """For every length-``p`` window: are all its values identical?

    Lets a flat window get an exact zero deviation and its value as mean, whatever the rounding of
    the general formulas.
    """
    if len(x) < p:
        return np.zeros(0, dtype=bool)
    idx = np.arange(len(x))
    change = np.ones(len(x), dtype=bool)
    change[1:] = x[1:] != x[:-1]
    run = idx - np.maximum.accumulate(np.where(change, idx, 0)) + 1
    return run[p - 1 :] >= p


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


def ring_order_mean_abs_dev(x: FloatArray, p: int, first_row: int) -> tuple[FloatArray, FloatArray]:
    """Mean and summed absolute deviation of every length-``p`` window, in ring-buffer order.

    A streaming window kept in a ring of ``p`` slots, where row ``j`` lives in slot ``j % p``, is
    naturally summed slot 0 to ``p - 1`` rather than oldest to newest; TA-Lib's CCI does that, and
    so does ``CCI.update``. Adding in exactly the same order makes this vectorised version give
    bit-identical sums, which matters for CCI: its denominator (the mean deviation) can be a
    few price ticks while the mean is ~1e5, so a 1-ulp difference in the mean shows in the ratio.

    ``first_row`` is the global row number of ``x[0]``. For each slot ``k`` the value it holds at
    every window end is a step function of time: the row of that slot's last write, i.e. every
    ``p``-th element of ``x`` repeated ``p`` times. O(p * len(x)) time, O(len(x)) memory.
    """
    m = len(x) - p + 1
    if m <= 0:
        return np.empty(0), np.empty(0)

    def slot(k: int) -> FloatArray:  # what slot k holds at each window end
        s = (k - first_row) % p  # first index of x written to slot k
        return np.repeat(x[s::p], p)[p - 1 - s : p - 1 - s + m]

    total = np.zeros(m)
    for k in range(p):
        total += slot(k)
    mean = total / p
    dev = np.zeros(m)
    for k in range(p):
        dev += np.abs(slot(k) - mean)
    return mean, dev


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
