"""Objectives, and chaining test windows into one out-of-sample run."""

from __future__ import annotations

import numpy as np
import pytest

from tradeyard.backtest.results import BacktestResult, ClosedTrade, EquityCurve
from tradeyard.config import BacktestConfig, StrategyConfig
from tradeyard.errors import ConfigError
from tradeyard.research.objective import (
    DRAWDOWN_FLOOR,
    chain_results,
    check_objective,
    score,
    with_params,
)

DAY = 86_400_000
T0 = 1_747_267_200_000


def run(label: str, start_day: int, equity: list[float], pnl: float) -> BacktestResult:
    times = T0 + (start_day + np.arange(len(equity), dtype=np.int64)) * DAY
    trade = ClosedTrade(
        trader="t",
        symbol="BTCUSDT",
        side="long",
        qty=1.0,
        entry_time=int(times[0]),
        entry_price=100.0,
        exit_time=int(times[-1]),
        exit_price=110.0,
        pnl=pnl,
        fees=10.0,
    )
    return BacktestResult(
        label=label,
        starting_equity=10_000.0,
        equity=EquityCurve(times=times, equity=np.asarray(equity, dtype=np.float64)),
        trades=[trade],
        fills=[],
        orders=[],
        fees_paid=10.0,
        funding_paid=0.0,
        exposure=0.5,
        bars_processed=len(equity),
    )


def test_score_when_each_objective_reads_its_metric() -> None:
    metrics = {"sharpe": 1.5, "total_return": 0.2, "max_drawdown": -0.1}
    assert score(metrics, "sharpe") == 1.5
    assert score(metrics, "return") == 0.2
    assert score(metrics, "return_over_drawdown") == pytest.approx(2.0)


def test_score_when_no_drawdown_uses_the_floor_instead_of_infinity() -> None:
    metrics = {"sharpe": 0.0, "total_return": 0.01, "max_drawdown": 0.0}
    assert score(metrics, "return_over_drawdown") == pytest.approx(0.01 / DRAWDOWN_FLOOR)


def test_check_objective_when_unknown_lists_the_choices() -> None:
    with pytest.raises(ConfigError) as e:
        check_objective("profit")
    assert "sharpe, return, return_over_drawdown" in str(e.value)


def test_with_params_when_searched_values_override_fixed_ones() -> None:
    cfg = BacktestConfig(
        strategies=[StrategyConfig(id="s", strategy="sma_cross", params={"fast": 5, "slow": 40})]
    )
    out = with_params(cfg, {"slow": 60})
    assert out.strategies[0].params == {"fast": 5, "slow": 60}
    assert cfg.strategies[0].params == {"fast": 5, "slow": 40}  # the input is untouched


def test_chain_results_when_two_windows_compounds_the_second_on_the_first() -> None:
    first = run("a", 0, [10_500.0, 11_000.0], pnl=1_000.0)  # +10 %
    second = run("b", 2, [9_500.0, 9_000.0], pnl=-1_000.0)  # -10 % of a fresh 10,000
    out = chain_results([first, second], "oos")
    # the second window is scaled by 11,000 / 10,000: 9,500 -> 10,450, 9,000 -> 9,900
    np.testing.assert_allclose(out.equity.equity, [10_500.0, 11_000.0, 10_450.0, 9_900.0])
    assert [t.pnl for t in out.trades] == pytest.approx([1_000.0, -1_100.0])
    assert out.metrics["total_return"] == pytest.approx(-0.01)
    assert out.metrics["trades"] == 2
    assert out.fees_paid == pytest.approx(10.0 + 11.0)
    assert out.bars_processed == 4
    assert out.label == "oos"


def test_chain_results_when_no_results_is_an_error() -> None:
    with pytest.raises(ValueError, match="at least one"):
        chain_results([], "oos")
