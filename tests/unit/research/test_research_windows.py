"""Train / test window arithmetic, checked against numbers worked out by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries
from tradeyard.research.windows import (
    Window,
    slice_bars,
    split_indices,
    time_grid,
    walk_forward_indices,
    windows_for,
)

MIN = 60_000
T0 = 1_747_267_200_000  # 2025-05-15 00:00 UTC


def series(symbol: str, start: int, n: int) -> BarSeries:
    t = T0 + (start + np.arange(n, dtype=np.int64)) * MIN
    price = np.linspace(100.0, 110.0, n)
    return BarSeries(symbol, "1m", t, price, price + 1, price - 1, price, np.ones(n))


def test_split_indices_when_seventy_percent_cuts_at_bar_700() -> None:
    assert split_indices(1000, 0.7) == [(0, 700, 700, 1000)]


def test_split_indices_when_share_not_exact_rounds_train_down() -> None:
    # 0.7 x 999 = 699.3 -> 699 train bars (exact rational arithmetic, no float drift)
    assert split_indices(999, 0.7) == [(0, 699, 699, 999)]


def test_walk_forward_indices_when_three_folds_match_hand_computation() -> None:
    # r = 0.7 / 0.3 = 7/3; S = floor(1000 / (3 + 7/3)) = floor(187.5) = 187;
    # T = floor(187 x 7/3) = floor(436.33) = 436; offset = 1000 - 436 - 3 x 187 = 3.
    assert walk_forward_indices(1000, 3, 0.7) == [
        (3, 439, 439, 626),
        (190, 626, 626, 813),
        (377, 813, 813, 1000),
    ]


def test_walk_forward_indices_when_train_is_three_test_lengths_leaves_no_gap() -> None:
    # split 0.75: r = 3; S = floor(1000 / 7) = 142; T = 426; offset = 1000 - 426 - 568 = 6.
    folds = walk_forward_indices(1000, 4, 0.75)
    assert folds[0] == (6, 432, 432, 574)
    assert folds[-1] == (432, 858, 858, 1000)
    for (_, _, _, end), (_, _, start, _) in itertools.pairwise(folds):
        assert end == start  # test windows tile the end of the data


def test_walk_forward_indices_when_one_fold_equals_plain_split() -> None:
    assert walk_forward_indices(1000, 1, 0.7) == split_indices(1000, 0.7)


def test_walk_forward_indices_when_windows_too_short_says_how_to_fix() -> None:
    with pytest.raises(ConfigError) as e:
        walk_forward_indices(100, 20, 0.7)
    assert "use more data, fewer folds" in str(e.value)
    assert str(e.value).startswith("--walk-forward:")


def test_walk_forward_indices_when_zero_folds_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--walk-forward must be >= 1"):
        walk_forward_indices(1000, 0, 0.7)


@pytest.mark.parametrize("split", [0.0, 1.0, 1.5, -0.2])
def test_split_indices_when_share_outside_zero_one_is_an_error(split: float) -> None:
    with pytest.raises(ConfigError, match="--split must be between 0 and 1"):
        split_indices(1000, split)


def test_windows_for_when_split_gives_open_time_ranges() -> None:
    bars = [series("BTCUSDT", 0, 100)]
    [w] = windows_for(bars, 0.7)
    assert w == Window(
        fold=0,
        train_start=T0,
        train_end=T0 + 70 * MIN,
        test_start=T0 + 70 * MIN,
        test_end=T0 + 99 * MIN + 1,  # one past the last open time
        train_bars=70,
        test_bars=30,
    )


def test_windows_for_when_symbols_start_apart_cuts_both_at_one_time() -> None:
    # ETH starts 20 bars later: the grid is the union (100 times), the cut at grid position 70.
    bars = [series("BTCUSDT", 0, 100), series("ETHUSDT", 20, 80)]
    assert time_grid(bars).size == 100
    [w] = windows_for(bars, 0.7)
    train = slice_bars(bars, w.train_start, w.train_end)
    test = slice_bars(bars, w.test_start, w.test_end)
    assert [len(b) for b in train] == [70, 50]
    assert [len(b) for b in test] == [30, 30]
    assert all(int(b.open_time[-1]) < w.test_start for b in train)


def test_slice_bars_when_symbol_has_no_bars_in_range_drops_it() -> None:
    bars = [series("BTCUSDT", 0, 100), series("ETHUSDT", 60, 40)]
    part = slice_bars(bars, T0, T0 + 50 * MIN)
    assert [b.symbol for b in part] == ["BTCUSDT"]
    assert len(part[0]) == 50


def test_time_grid_when_no_bars_is_an_error() -> None:
    with pytest.raises(ConfigError, match="no bars to split"):
        time_grid([])
