"""Train / test windows in time: one split, or rolling walk-forward folds.

Windows are computed on bar *positions* of the time grid (the sorted union of every symbol's
open times) and then turned into half-open open-time ranges ``[start, end)``, so several symbols
are cut at the same instant and no bar is in both the train and the test part of a fold.

Fractions are taken as exact rationals (0.7 is 7/10, not 0.69999…), so the arithmetic can be
checked by hand and never moves a cut by one bar because of float rounding.

One split (``split=0.7``): train = the first ``floor(n × 0.7)`` bars, test = the rest.

Walk-forward (``folds=K``) is **rolling**: every fold trains on the same number of bars T and
tests on the S bars right after them; fold k+1 is fold k moved forward by S, so the K test windows
tile the end of the data without gap or overlap and concatenate into one out-of-sample period.
With r = split / (1 − split) (train bars per test bar)::

    S = floor(n / (K + r))      T = floor(S × r)      offset = n − T − K × S
    fold k: train [offset + k·S, offset + k·S + T)   test [offset + k·S + T, offset + (k+1)·S + T)

The first ``offset`` bars (fewer than K + r + 1) are left out. Rolling rather than anchored
because each fold then optimises on equally long, equally recent history: folds are comparable
and an old regime does not keep outvoting the recent one. ``K = 1`` gives the plain split.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import msgspec
import numpy as np

from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries

__all__ = [
    "MIN_WINDOW_BARS",
    "Window",
    "slice_bars",
    "split_indices",
    "time_grid",
    "walk_forward_indices",
    "windows_for",
]

MIN_WINDOW_BARS = 10
"""A train or test window shorter than this gives no meaningful metric: stop and say so."""


class Window(msgspec.Struct, frozen=True):
    """One fold: open-time ranges ``[start, end)`` in ms UTC, and their sizes in grid bars."""

    fold: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int
    train_bars: int
    test_bars: int


def _fraction(split: float) -> Fraction:
    if not 0.0 < split < 1.0:
        raise ConfigError(
            f"--split must be between 0 and 1 (the train share, e.g. 0.7), was {split}",
            where="--split",
        )
    return Fraction(str(split)).limit_denominator(1_000_000)


def split_indices(n: int, split: float) -> list[tuple[int, int, int, int]]:
    """One fold ``(train_lo, train_hi, test_lo, test_hi)`` over `n` bars: the first share trains."""
    cut = math.floor(n * _fraction(split))
    fold = (0, cut, cut, n)
    _check_sizes([fold], n, "--split")
    return [fold]


def walk_forward_indices(n: int, folds: int, split: float) -> list[tuple[int, int, int, int]]:
    """K rolling folds ``(train_lo, train_hi, test_lo, test_hi)`` over `n` bars (module doc)."""
    if folds < 1:
        raise ConfigError(f"--walk-forward must be >= 1 fold, was {folds}", where="--walk-forward")
    frac = _fraction(split)
    ratio = frac / (1 - frac)
    test = math.floor(n / (folds + ratio))
    train = math.floor(test * ratio)
    offset = n - train - folds * test
    out = []
    for k in range(folds):
        lo = offset + k * test
        out.append((lo, lo + train, lo + train, lo + train + test))
    _check_sizes(out, n, "--walk-forward")
    return out


def _check_sizes(folds: list[tuple[int, int, int, int]], n: int, option: str) -> None:
    train = min(f[1] - f[0] for f in folds)
    test = min(f[3] - f[2] for f in folds)
    if min(train, test) < MIN_WINDOW_BARS:
        raise ConfigError(
            f"{n} bars give windows of {train} train and {test} test bars; each needs at least "
            f"{MIN_WINDOW_BARS}: use more data, fewer folds or a --split nearer 0.5",
            where=option,
        )


def time_grid(bars: Sequence[BarSeries]) -> np.ndarray:
    """Sorted unique open times of all symbols (the positions windows are counted in)."""
    if not bars:
        raise ConfigError("no bars to split: check --data, --symbols, --from and --to")
    return np.unique(np.concatenate([np.asarray(b.open_time, dtype=np.int64) for b in bars]))


def windows_for(bars: Sequence[BarSeries], split: float, folds: int | None = None) -> list[Window]:
    """The folds for `bars`: one split when `folds` is None, else K rolling folds."""
    grid = time_grid(bars)
    n = int(grid.size)
    idx = split_indices(n, split) if folds is None else walk_forward_indices(n, folds, split)
    end_of_data = int(grid[-1]) + 1

    def at(i: int) -> int:
        return int(grid[i]) if i < n else end_of_data

    return [
        Window(
            fold=k,
            train_start=at(a),
            train_end=at(b),
            test_start=at(c),
            test_end=at(d),
            train_bars=b - a,
            test_bars=d - c,
        )
        for k, (a, b, c, d) in enumerate(idx)
    ]


def slice_bars(bars: Sequence[BarSeries], start: int, end: int) -> list[BarSeries]:
    """Every symbol's bars with open time in ``[start, end)``; symbols left empty are dropped."""
    out = []
    for b in bars:
        lo = int(np.searchsorted(b.open_time, start, "left"))
        hi = int(np.searchsorted(b.open_time, end, "left"))
        if hi > lo:
            out.append(b.slice(lo, hi))
    return out
