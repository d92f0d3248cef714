"""Monte Carlo of trade order, on trades whose answer can be worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from tradeyard.errors import ConfigError
from tradeyard.research.montecarlo import max_drawdowns, trade_order_monte_carlo


def test_max_drawdowns_when_hand_built_paths_match_hand_values() -> None:
    paths = np.array(
        [
            [100.0, -100.0],  # 1000 -> 1100 -> 1000: 1000 / 1100 - 1
            [-100.0, 100.0],  # 1000 -> 900 -> 1000: 900 / 1000 - 1
            [50.0, 50.0],  # never below its peak
            [-600.0, -600.0],  # 1000 -> 400 -> -200: ruined, floored at -1
        ]
    )
    np.testing.assert_allclose(max_drawdowns(paths, 1_000.0), [1000 / 1100 - 1, -0.1, 0.0, -1.0])


def test_monte_carlo_when_all_trades_equal_every_shuffle_has_the_same_drawdown() -> None:
    report = trade_order_monte_carlo([-25.0] * 8, 1_000.0, simulations=500, seed=3)
    expected = (1_000.0 - 8 * 25.0) / 1_000.0 - 1  # each loss deepens the one drawdown: -20 %
    dd = report.max_drawdown
    assert dd.p5 == pytest.approx(expected)
    assert dd.p50 == pytest.approx(expected)
    assert dd.p95 == pytest.approx(expected)
    assert report.observed_max_drawdown == pytest.approx(expected)
    assert report.worse_drawdown_share == 0.0


def test_monte_carlo_when_all_trades_equal_winners_has_no_drawdown_and_one_return() -> None:
    report = trade_order_monte_carlo([10.0] * 5, 1_000.0, simulations=200, mode="bootstrap")
    assert (report.max_drawdown.p5, report.max_drawdown.p95) == (0.0, 0.0)
    assert report.final_return.p5 == pytest.approx(0.05)
    assert report.final_return.p95 == pytest.approx(0.05)


def test_monte_carlo_when_one_win_one_loss_shuffles_between_two_drawdowns() -> None:
    report = trade_order_monte_carlo([100.0, -100.0], 1_000.0, simulations=1_000, seed=0)
    # the two orders give -1/11 (win first) and -0.1 (loss first), each about half the time
    assert report.max_drawdown.p5 == pytest.approx(-0.1)
    assert report.max_drawdown.p95 == pytest.approx(1000 / 1100 - 1)
    assert report.final_return.p5 == pytest.approx(0.0)
    assert report.final_return.p95 == pytest.approx(0.0)
    assert report.observed_max_drawdown == pytest.approx(1000 / 1100 - 1)
    assert 0.4 < report.worse_drawdown_share < 0.6


def test_monte_carlo_when_shuffled_final_return_never_changes() -> None:
    pnl = [120.0, -40.0, 75.0, -310.0, 60.0, 15.0]
    report = trade_order_monte_carlo(pnl, 10_000.0, simulations=300, seed=5)
    assert report.final_return.p5 == pytest.approx(sum(pnl) / 10_000.0)
    assert report.final_return.p95 == pytest.approx(sum(pnl) / 10_000.0)
    assert report.max_drawdown.p5 <= report.max_drawdown.p50 <= report.max_drawdown.p95 <= 0.0


def test_monte_carlo_when_same_seed_gives_the_same_report() -> None:
    pnl = np.random.default_rng(1).normal(0.0, 50.0, 40)
    a = trade_order_monte_carlo(pnl, 5_000.0, simulations=3_000, seed=11, mode="bootstrap")
    b = trade_order_monte_carlo(pnl, 5_000.0, simulations=3_000, seed=11, mode="bootstrap")
    c = trade_order_monte_carlo(pnl, 5_000.0, simulations=3_000, seed=12, mode="bootstrap")
    assert a == b
    assert a != c


def test_monte_carlo_when_no_trades_reports_zeros() -> None:
    report = trade_order_monte_carlo([], 1_000.0, simulations=10)
    assert report.trades == 0
    assert report.max_drawdown.p5 == 0.0
    assert report.final_return.p50 == 0.0


def test_monte_carlo_when_mode_unknown_lists_the_modes() -> None:
    with pytest.raises(ConfigError, match="shuffle, bootstrap"):
        trade_order_monte_carlo([1.0], 1_000.0, mode="jackknife")


def test_monte_carlo_when_simulations_zero_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--simulations must be >= 1"):
        trade_order_monte_carlo([1.0], 1_000.0, simulations=0)
