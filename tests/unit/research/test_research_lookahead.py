"""The look-ahead check: an honest strategy passes, one that peeks at the future is caught."""

from __future__ import annotations

import itertools
import math
from typing import Annotated, ClassVar

import msgspec
import numpy as np
import pytest

from tradeyard.bots import Strategy
from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig, TraderConfig
from tradeyard.errors import ConfigError
from tradeyard.events import Bar, Signal
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars, parse_time
from tradeyard.research.lookahead import _first_difference, check_lookahead, collect_signals
from tradeyard.strategies import REGISTRY

PEEK = 5  # bars the cheat looks ahead


class FutureClose:
    """A non-causal indicator: the close PEEK bars *later*.

    Its per-bar `update` cannot see the future, but the engine computes indicators a chunk at a
    time with `update_many`, which here reads rows after the current one: the classic way a
    vectorised backtest leaks future data. Inside the data the cheat always knows where price
    goes; in the last PEEK bars of whatever it is given it sees NaN.
    """

    inputs: ClassVar[tuple[str, ...]] = ("close",)
    outputs: ClassVar[tuple[str, ...]] = ("value",)

    def __init__(self) -> None:
        self.value = math.nan

    def update(self, close: float) -> float:
        self.value = math.nan
        return self.value

    def update_many(self, close: np.ndarray) -> dict[str, np.ndarray]:
        out = np.full(close.shape, np.nan)
        out[:-PEEK] = close[PEEK:]
        return {"value": out}


class PeekParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    threshold: Annotated[float, msgspec.Meta(ge=0.0)] = 0.0005


class PeekAhead(Strategy[PeekParams]):
    """Says on every bar whether to be long or short, from a future it cannot have known."""

    name = "peek_ahead"
    Params = PeekParams

    def on_start(self) -> None:
        self.future = self.indicator(FutureClose())

    def on_bar(self, bar: Bar) -> None:
        ahead = self.future.value
        if ahead != ahead:
            return
        change = ahead / bar.close - 1.0
        if change >= self.params.threshold:
            self.go_long("knows price will rise")
        else:
            self.go_short("knows price will fall")


def config(strategy: str, params: dict[str, object] | None = None) -> BacktestConfig:
    return BacktestConfig(
        strategies=[StrategyConfig(id="s", strategy=strategy, params=params or {})],
        traders=[TraderConfig(id="t", follows={"s": 1.0})],
        data=DataConfig(symbols=["BTCUSDT"]),
    )


def btc_day() -> list[BarSeries]:
    start, end = parse_time("2025-05-15", "from"), parse_time("2025-05-15T23:59", "to")
    return list(load_bars(bundled_bars_dir(), ["BTCUSDT"], "1m", start, end).values())


@pytest.fixture
def peek_strategy(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setitem(REGISTRY, PeekAhead.name, PeekAhead)
    return PeekAhead.name


def test_check_lookahead_when_sma_cross_on_real_bars_passes() -> None:
    report = check_lookahead(config("sma_cross", {"fast": 10, "slow": 30}), btc_day(), cuts=4)
    assert report.passed, report.first_difference
    assert [c.difference for c in report.cuts] == [None] * 4
    assert all(c.signals_compared > 0 and c.fills_compared > 0 for c in report.cuts)


def test_check_lookahead_when_strategy_peeks_ahead_flags_it(peek_strategy: str) -> None:
    bars = btc_day()
    report = check_lookahead(config(peek_strategy), bars, cuts=3)
    assert not report.passed
    first = report.first_difference
    assert first is not None
    assert first.kind == "signal"
    assert first.symbol == "BTCUSDT"
    # the earliest damage is right before the first cut: only the last PEEK bars lost the future
    cut = report.cuts[0]
    assert cut.difference is not None
    assert cut.cut - PEEK * 60_000 <= cut.difference.time < cut.cut


def test_check_lookahead_when_cheat_flagged_names_both_versions(peek_strategy: str) -> None:
    report = check_lookahead(config(peek_strategy), btc_day(), cuts=1)
    diff = report.cuts[0].difference
    assert diff is not None
    assert "target=" in diff.full or "target=" in diff.truncated


def test_collect_signals_when_sma_cross_runs_emits_alternating_targets() -> None:
    signals = collect_signals(config("sma_cross", {"fast": 10, "slow": 30}), btc_day())
    targets = [s.target for s in signals]
    assert len(targets) > 10
    assert all(a == -b for a, b in itertools.pairwise(targets))


def test_check_lookahead_when_cuts_below_one_is_an_error() -> None:
    with pytest.raises(ConfigError, match="--cuts must be >= 1"):
        check_lookahead(config("sma_cross"), btc_day(), cuts=0)


def signal(ts: int, target: float, price: float | None = None) -> Signal:
    return Signal(strategy="s", symbol="BTCUSDT", ts=ts, target=target, price=price)


def test_first_difference_when_lists_equal_is_none() -> None:
    a = [signal(1, 1.0), signal(2, -1.0)]
    assert _first_difference("signal", a, list(a), ("ts", "target")) is None


def test_first_difference_when_prices_differ_only_in_last_bits_is_none() -> None:
    a = [signal(1, 1.0, price=100.0)]
    b = [signal(1, 1.0, price=100.0 * (1 + 1e-13))]
    assert _first_difference("signal", a, b, ("ts", "target", "price")) is None


def test_first_difference_when_target_differs_reports_its_time() -> None:
    a = [signal(1, 1.0), signal(5, -1.0), signal(9, 1.0)]
    b = [signal(1, 1.0), signal(5, 1.0), signal(9, 1.0)]
    diff = _first_difference("signal", a, b, ("ts", "target"))
    assert diff is not None
    assert diff.time == 5
    assert "target=-1.0" in diff.full
    assert "target=1.0" in diff.truncated


def test_first_difference_when_truncated_run_misses_a_signal_reports_it() -> None:
    a = [signal(1, 1.0), signal(7, -1.0)]
    diff = _first_difference("signal", a, a[:1], ("ts", "target"))
    assert diff is not None
    assert (diff.time, diff.truncated) == (7, "")
