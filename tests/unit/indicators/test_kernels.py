"""The vectorised window kernels against brute force, on every awkward length."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from tradeyard.indicators._kernels import (
    flat_windows,
    ring_order_mean_abs_dev,
    window_max,
    window_min,
    window_sq_dev,
    window_sums,
)

PERIODS = [1, 2, 3, 5, 47, 48, 49, 64, 100]


def lengths(p: int) -> list[int]:
    return [0, p - 1, p, p + 1, 2 * p - 1, 2 * p, 3 * p + 1, 1000]


@pytest.mark.parametrize("p", PERIODS)
def test_window_kernels_when_compared_to_brute_force_agree_on_every_length(p: int) -> None:
    rng = np.random.default_rng(p)
    for n in lengths(p):
        x = 1e5 + rng.standard_normal(n).cumsum()
        if n < p:
            assert len(window_sums(x, p)) == len(window_max(x, p)) == len(window_min(x, p)) == 0
            continue
        w = sliding_window_view(x, p)
        sums = window_sums(x, p)
        np.testing.assert_allclose(sums, w.sum(axis=1), rtol=1e-14)
        np.testing.assert_array_equal(window_max(x, p), w.max(axis=1))
        np.testing.assert_array_equal(window_min(x, p), w.min(axis=1))
        mean = sums / p
        np.testing.assert_allclose(
            window_sq_dev(x, mean, p), ((w - mean[:, None]) ** 2).sum(axis=1), rtol=1e-9
        )


def test_flat_windows_when_a_run_covers_the_window_flags_it() -> None:
    x = np.array([1.0, 2.0, 2.0, 2.0, 3.0, 3.0])
    assert flat_windows(x, 3).tolist() == [False, True, False, False]
    assert flat_windows(x, 2).tolist() == [False, True, True, False, True]
    assert flat_windows(x, 7).tolist() == []


@pytest.mark.parametrize("p", [1, 2, 3, 7, 20])
@pytest.mark.parametrize("first_row", [0, 1, 5, 1234])
def test_ring_order_mean_abs_dev_when_compared_to_a_ring_loop_is_bit_identical(
    p: int, first_row: int
) -> None:
    x = np.round(1e5 + np.random.default_rng(p).standard_normal(200).cumsum(), 1)
    mean, dev = ring_order_mean_abs_dev(x, p, first_row)
    ring = [0.0] * p
    for e, value in enumerate(x.tolist()):
        ring[(first_row + e) % p] = value
        if e >= p - 1:
            m = sum(ring) / p  # slot 0 to p-1, as TA-Lib's CCI loop
            assert mean[e - p + 1] == m
            assert dev[e - p + 1] == sum([abs(v - m) for v in ring])
