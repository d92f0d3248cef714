"""The search-space file: what it accepts, and errors that name the parameter and the fix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import msgspec
import optuna
import pytest

from tradeyard.bots import Strategy
from tradeyard.errors import ConfigError
from tradeyard.research.space import (
    Choice,
    FloatRange,
    IntRange,
    load_space,
    parse_space,
    suggest,
)
from tradeyard.strategies import REGISTRY


class ModeParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    mode: Literal["a", "b", "c"] = "a"
    k: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 2.0


class ModeStrategy(Strategy[ModeParams]):
    """A strategy with a categorical parameter (no built-in one has one)."""

    name = "mode_test"
    Params = ModeParams


@pytest.fixture
def mode_strategy(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(REGISTRY, ModeStrategy.name, ModeStrategy)
    return ModeStrategy.name


def test_parse_space_when_bounds_are_integers_gives_int_range() -> None:
    space = parse_space("[params.fast]\nlow = 5\nhigh = 50\nstep = 5\n", "sma_cross")
    assert space.params == (IntRange(name="fast", low=5, high=50, step=5),)


def test_parse_space_when_float_parameter_gives_float_range_with_log() -> None:
    text = "[params.k]\nlow = 1\nhigh = 3.0\nlog = true\n"
    space = parse_space(text, "bollinger_rv")
    assert space.params == (FloatRange(name="k", low=1.0, high=3.0, log=True),)


def test_parse_space_when_choices_gives_choice(mode_strategy: str) -> None:
    space = parse_space('[params.mode]\nchoices = ["a", "b"]\n', mode_strategy)
    assert space.params == (Choice(name="mode", choices=("a", "b")),)


def test_parse_space_when_several_tables_keeps_file_order() -> None:
    text = "[params.slow]\nlow = 20\nhigh = 100\n[params.fast]\nlow = 2\nhigh = 19\n"
    assert parse_space(text, "sma_cross").names == ("slow", "fast")


def test_parse_space_when_unknown_parameter_lists_known_ones() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fsat]\nlow = 5\nhigh = 50\n", "sma_cross")
    assert "'fsat'" in str(e.value)
    assert "known: fast, slow, tolerance" in str(e.value)


@pytest.mark.parametrize(("low", "high"), [(50, 5), (10, 10)])
def test_parse_space_when_range_empty_or_inverted_names_parameter(low: int, high: int) -> None:
    with pytest.raises(ConfigError) as e:
        parse_space(f"[params.fast]\nlow = {low}\nhigh = {high}\n", "sma_cross")
    assert "[params.fast]" in str(e.value)
    assert "must be below high" in str(e.value)


def test_parse_space_when_low_below_declared_bound_says_which_bound() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nlow = 0\nhigh = 50\n", "sma_cross")
    assert "low = 0 is outside the bounds" in str(e.value)
    assert ">= 1" in str(e.value)


def test_parse_space_when_high_above_declared_bound_is_an_error() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.tolerance]\nlow = 0.0\nhigh = 0.01\n", "sma_cross")
    assert "high = 0.01 is outside the bounds" in str(e.value)
    assert "<= 0.001" in str(e.value)


def test_parse_space_when_integer_parameter_gets_floats_asks_for_integers() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nlow = 5.0\nhigh = 50\n", "sma_cross")
    assert "fast is an integer parameter" in str(e.value)


def test_parse_space_when_step_does_not_divide_range_suggests_high() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nlow = 5\nhigh = 50\nstep = 10\n", "sma_cross")
    assert "use high = 45" in str(e.value)


def test_parse_space_when_log_with_nonpositive_low_is_an_error() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.tolerance]\nlow = 0.0\nhigh = 0.001\nlog = true\n", "sma_cross")
    assert "log = true needs low > 0" in str(e.value)


def test_parse_space_when_log_and_step_together_is_an_error() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.k]\nlow = 1.0\nhigh = 3.0\nlog = true\nstep = 0.5\n", "bollinger_rv")
    assert "cannot be combined with a step" in str(e.value)


def test_parse_space_when_unknown_key_lists_allowed_keys() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nlow = 5\nhi = 50\n", "sma_cross")
    assert "'hi'" in str(e.value)
    assert "allowed: low, high, step, log, choices" in str(e.value)


def test_parse_space_when_choice_not_allowed_by_type_is_an_error(mode_strategy: str) -> None:
    with pytest.raises(ConfigError) as e:
        parse_space('[params.mode]\nchoices = ["a", "z"]\n', mode_strategy)
    assert "choice 'z' is not a valid mode" in str(e.value)


def test_parse_space_when_range_on_categorical_parameter_asks_for_choices(
    mode_strategy: str,
) -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.mode]\nlow = 1\nhigh = 2\n", mode_strategy)
    assert "choices = [...]" in str(e.value)


def test_parse_space_when_choices_mixed_with_range_is_an_error() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nchoices = [5, 10]\nlow = 1\n", "sma_cross")
    assert "choices cannot be combined with low" in str(e.value)


def test_parse_space_when_choice_repeated_is_an_error() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nchoices = [5, 5]\n", "sma_cross")
    assert "listed twice" in str(e.value)


def test_parse_space_when_no_params_shows_an_example() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("", "sma_cross")
    assert "[params.fast] low = 5, high = 50" in str(e.value)


def test_parse_space_when_not_toml_says_so() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast\nlow = 5", "sma_cross")
    assert "not valid TOML" in str(e.value)


def test_parse_space_when_unknown_strategy_lists_strategies() -> None:
    with pytest.raises(ConfigError) as e:
        parse_space("[params.fast]\nlow = 5\nhigh = 50\n", "no_such")
    assert "unknown strategy 'no_such'" in str(e.value)


def test_load_space_when_file_missing_names_the_option(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as e:
        load_space(tmp_path / "nope.toml", "sma_cross")
    assert str(e.value).startswith("--space: space file")


def test_suggest_when_fixed_trial_returns_values_by_kind(mode_strategy: str) -> None:
    space = parse_space(
        '[params.mode]\nchoices = ["a", "b"]\n[params.k]\nlow = 1.0\nhigh = 3.0\n', mode_strategy
    )
    trial = optuna.trial.FixedTrial({"mode": "b", "k": 2.5})
    assert suggest(trial, space) == {"mode": "b", "k": 2.5}


def test_suggest_when_sampled_stays_inside_int_range() -> None:
    space = parse_space("[params.fast]\nlow = 5\nhigh = 50\nstep = 5\n", "sma_cross")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    seen = set()
    for _ in range(30):
        trial = study.ask()
        value = suggest(trial, space)["fast"]
        study.tell(trial, 0.0)
        seen.add(value)
    assert seen <= set(range(5, 51, 5))
    assert all(isinstance(v, int) for v in seen)
