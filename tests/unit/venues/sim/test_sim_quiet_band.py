"""The quiet band: bars that cannot reach any resting order skip matching, and nothing changes.

`SymbolState.quiet_band` lets `SimVenue.on_bar` skip the matcher on bars whose range lies
strictly between the resting orders' levels. These tests pin both halves of that promise: the
matcher really is skipped on quiet bars, and whole backtests with resting limits, stops and
take-profits produce exactly the same orders, fills and equity with the band as without it.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig, TraderConfig
from tradeyard.config.load import validate
from tradeyard.events import Bar, Fill, SubmitOrder
from tradeyard.venues.sim import SimVenue
from tradeyard.venues.sim.matching import BarMatcher
from tradeyard.venues.sim.state import SymbolState


def test_on_bar_when_bars_stay_inside_the_resting_levels_skips_matching_until_one_reaches(
    venue: SimVenue, collect, bar: Callable[..., Bar], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real_match = BarMatcher.match

    def counting_match(self: BarMatcher, book: object, b: Bar, sink: object) -> None:
        calls.append(b.open_time)
        real_match(self, book, b, sink)  # type: ignore[arg-type]

    monkeypatch.setattr(BarMatcher, "match", counting_match)
    venue.on_bar(bar(0, 100, 101, 99, 100))
    for cid, side, kind, level in [("s", "sell", "stop", 90.0), ("tp", "sell", "limit", 110.0)]:
        venue.on_command(
            "cmd.sim",
            SubmitOrder("t1", "sim", "BTCUSDT", 1, cid, side, kind, 0.1,
                        price=level if kind == "limit" else None,
                        trigger_price=level if kind == "stop" else None),
        )  # fmt: skip
    venue.on_bar(bar(1, 100, 105, 95, 100))  # first bar after the orders: matched, band set
    assert len(calls) == 1
    for i in range(2, 12):
        venue.on_bar(bar(i, 100, 109.99, 90.01, 100))  # inside (90, 110): skipped
    assert len(calls) == 1
    assert collect.of(Fill) == []
    venue.on_bar(bar(12, 100, 100, 89.5, 95))  # reaches the stop
    assert len(calls) == 2
    (fill,) = collect.of(Fill)
    assert (fill.client_order_id, fill.price) == ("s", 90.0)


def _cfg(strategy: str, symbols: list[str]) -> BacktestConfig:
    return validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="s", strategy=strategy)],
            traders=[TraderConfig(id="t", follows={"s": 1.0}, leverage=2.0)],
            data=DataConfig(symbols=symbols),
        )
    )


@pytest.mark.parametrize(
    ("strategy", "symbols"),
    [("bollinger_rv", ["BTCUSDT"]), ("volatility_breakout", ["BTCUSDT", "ETHUSDT", "SOLUSDT"])],
)
def test_backtest_when_quiet_band_disabled_gives_the_identical_result(
    strategy: str, symbols: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(strategy, symbols)
    bars, rates = load_run_data(cfg)
    (with_band,) = run_backtest(cfg, bars, rates, charts=False)
    monkeypatch.setattr(SymbolState, "quiet_band", SymbolState.clear_quiet_band)
    (without,) = run_backtest(cfg, bars, rates, charts=False)
    assert len(with_band.trades) > 5
    assert msgspec.json.encode(with_band.trades) == msgspec.json.encode(without.trades)
    assert msgspec.json.encode(with_band.metrics) == msgspec.json.encode(without.metrics)
    assert with_band.equity.equity.tolist() == without.equity.equity.tolist()
