"""run_optimize in one process on one day of real BTCUSDT bars: seeding, pruning, resuming."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig, TraderConfig
from tradeyard.errors import ConfigError
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars, parse_time
from tradeyard.research.optimize import OptimizeSettings, run_optimize
from tradeyard.research.space import SearchSpace, parse_space

SPACE = "[params.fast]\nlow = 5\nhigh = 40\n[params.slow]\nlow = 10\nhigh = 120\nstep = 5\n"


def config(params: dict[str, object] | None = None) -> BacktestConfig:
    return BacktestConfig(
        strategies=[StrategyConfig(id="s", strategy="sma_cross", params=params or {})],
        traders=[TraderConfig(id="t", follows={"s": 1.0})],
        data=DataConfig(symbols=["BTCUSDT"]),
    )


@pytest.fixture(scope="module")
def bars() -> list[BarSeries]:
    start, end = parse_time("2025-05-15", "from"), parse_time("2025-05-15T23:59", "to")
    return list(load_bars(bundled_bars_dir(), ["BTCUSDT"], "1m", start, end).values())


@pytest.fixture
def space() -> SearchSpace:
    return parse_space(SPACE, "sma_cross")


def test_run_optimize_when_same_seed_gives_the_same_trials(
    bars: list[BarSeries], space: SearchSpace
) -> None:
    settings = OptimizeSettings(trials=12, seed=7, top=3)
    a = run_optimize(config(), bars, None, space, settings)
    b = run_optimize(config(), bars, None, space, settings)
    assert [r.params for r in a.folds[0].top] == [r.params for r in b.folds[0].top]
    assert a.folds[0].best_value == b.folds[0].best_value


def test_run_optimize_when_split_reports_train_and_test_of_the_best(
    bars: list[BarSeries], space: SearchSpace
) -> None:
    out = run_optimize(config(), bars, None, space, OptimizeSettings(trials=10, top=4))
    [fold] = out.folds
    assert fold.window.train_bars == 1008  # floor(1440 x 0.7)
    assert fold.train.metrics["bars"] == 1008
    assert fold.test.metrics["bars"] == 432
    assert fold.best_value == pytest.approx(fold.train.metrics["sharpe"])
    assert fold.top[0].params == fold.best_params
    assert fold.top[0].test["total_return"] == fold.test.metrics["total_return"]
    assert len(fold.top) == 4
    assert out.out_of_sample is fold.test
    assert sum(fold.counts.values()) == 10


def test_run_optimize_when_combination_invalid_prunes_instead_of_failing(
    bars: list[BarSeries],
) -> None:
    # slow 10..30 against fast 5..40: most combinations have fast >= slow
    space = parse_space(
        "[params.fast]\nlow = 5\nhigh = 40\n[params.slow]\nlow = 10\nhigh = 30\n", "sma_cross"
    )
    out = run_optimize(config(), bars, None, space, OptimizeSettings(trials=15, seed=1))
    counts = out.counts
    assert counts["pruned"] >= 1
    assert counts["failed"] == 0
    assert counts["complete"] + counts["pruned"] == 15
    assert out.folds[0].best_params["fast"] < out.folds[0].best_params["slow"]


def test_run_optimize_when_every_combination_invalid_says_to_widen_the_space(
    bars: list[BarSeries],
) -> None:
    space = parse_space(
        "[params.fast]\nlow = 50\nhigh = 60\n[params.slow]\nlow = 10\nhigh = 40\n", "sma_cross"
    )
    with pytest.raises(ConfigError) as e:
        run_optimize(config(), bars, None, space, OptimizeSettings(trials=4))
    assert "4 pruned" in str(e.value)
    assert "fast (" in str(e.value)  # the Params' own reason is quoted
    assert "widen the space" in str(e.value)


def test_run_optimize_when_resumed_tops_the_study_up_to_the_target(
    bars: list[BarSeries], space: SearchSpace, tmp_path: Path
) -> None:
    journal = str(tmp_path / "study.journal")
    first = run_optimize(
        config(), bars, None, space, OptimizeSettings(trials=6, storage=journal, study="s")
    )
    assert sum(first.counts.values()) == 6
    seen: list[int] = []
    again = run_optimize(
        config(),
        bars,
        None,
        space,
        OptimizeSettings(trials=9, storage=journal, study="s"),
        progress=seen.append,
    )
    assert sum(again.counts.values()) == 9
    assert seen == [6, 1, 1, 1]  # the 6 found in the study, then one per new trial
    numbers = sorted(t.number for t in again.folds[0].trials)
    assert numbers == list(range(9))


def test_run_optimize_when_parameter_fixed_and_searched_asks_to_drop_one(
    bars: list[BarSeries], space: SearchSpace
) -> None:
    with pytest.raises(ConfigError, match=r"both fixed .* and searched"):
        run_optimize(config({"fast": 10}), bars, None, space, OptimizeSettings(trials=2))


def test_run_optimize_when_space_is_for_another_strategy_says_so(bars: list[BarSeries]) -> None:
    space = parse_space("[params.k]\nlow = 1.0\nhigh = 3.0\n", "bollinger_rv")
    with pytest.raises(ConfigError, match="the space is for 'bollinger_rv'"):
        run_optimize(config(), bars, None, space, OptimizeSettings(trials=2))


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (OptimizeSettings(trials=0), "--trials must be >= 1"),
        (OptimizeSettings(jobs=0), "--jobs must be >= 1"),
        (OptimizeSettings(objective="profit"), "unknown objective 'profit'"),
    ],
)
def test_run_optimize_when_settings_invalid_names_the_option(
    bars: list[BarSeries], space: SearchSpace, settings: OptimizeSettings, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        run_optimize(config(), bars, None, space, settings)
