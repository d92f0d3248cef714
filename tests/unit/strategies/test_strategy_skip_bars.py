"""`Strategy.skip_bars`: the bars a strategy skips change nothing.

volatility_breakout skips the bars between its levels, stops and day boundaries. Run on the ten bundled
symbols with 2x leverage, fees and funding, the backtest must be identical with skipping turned
off (every bar delivered): same signals in the same order, same trades, metrics and equity; and
the strategy must really have skipped most bars.
"""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.bots import EqualWeight, Strategy
from tradeyard.config import BacktestConfig, StrategyConfig, TraderConfig
from tradeyard.config.load import validate
from tradeyard.config.schema import DataConfig
from tradeyard.events import Event
from tradeyard.strategies.volatility_breakout import VolatilityBreakout


def _run(cfg: BacktestConfig) -> tuple[object, list[tuple[str, Event]]]:
    bars, rates = load_run_data(cfg)
    journal: list[tuple[str, Event]] = []
    (result,) = run_backtest(cfg, bars, rates, charts=False,
                             journal=lambda t, e: journal.append((t, e)))  # fmt: skip
    return result, [(t, e) for t, e in journal if not t.startswith("md.")]


@pytest.mark.parametrize("params", [{}, {"k": 0.3, "ma_days": 3, "stop": 0.01}])
def test_volatility_breakout_when_skipping_bars_gives_the_same_backtest_as_every_bar(
    params: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="vb", strategy="volatility_breakout", params=params)],
            traders=[
                TraderConfig(id="t", follows={"vb": 1.0}, allocation=EqualWeight(), leverage=2.0)
            ],
        )
    )
    calls = [0]
    real_on_bar = VolatilityBreakout.on_bar

    def counting(self: VolatilityBreakout, bar: object) -> None:
        calls[0] += 1
        real_on_bar(self, bar)  # type: ignore[arg-type]

    monkeypatch.setattr(VolatilityBreakout, "on_bar", counting)
    skipping, skipping_events = _run(cfg)
    skipping_calls, calls[0] = calls[0], 0
    monkeypatch.setattr(Strategy, "skip_bars", lambda self, **kw: None)  # every bar delivered
    awake, awake_events = _run(cfg)
    assert len(awake.trades) > 20  # type: ignore[attr-defined]
    assert skipping_calls < calls[0] / 3  # it really skipped most bars
    assert skipping_events == awake_events  # signals, orders, fills, in the same order
    assert msgspec.json.encode(skipping.trades) == msgspec.json.encode(awake.trades)  # type: ignore[attr-defined]
    assert msgspec.json.encode(skipping.metrics) == msgspec.json.encode(awake.metrics)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("strategy", "params"),
    [
        ("sma_cross", {}),
        ("sma_cross", {"fast": 5, "slow": 12, "tolerance": 1e-4}),
        ("bollinger_rv", {}),
        ("bollinger_rv", {"k": 1.5, "inner_k": 0.5, "entry_timeout": 1, "rv_min": 0.0}),
    ],
)
def test_strategies_that_watch_give_the_same_backtest_as_seeing_every_bar(
    strategy: str, params: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sma_cross and bollinger_rv skip to the bars their `watch` marks (and bollinger_rv to its
    take-profit / stop when in a position): the same signals, orders, fills and metrics as when
    `on_bar` sees every bar, on two symbols, with chunk boundaries inside the run."""
    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="s", strategy=strategy, params=params)],
            data=DataConfig(symbols=["BTCUSDT", "SOLUSDT"], start="2025-05-12", end="2025-05-19"),
        )
    )

    def run() -> tuple[object, list[tuple[str, Event]]]:
        bars, rates = load_run_data(cfg)
        journal: list[tuple[str, Event]] = []
        (result,) = run_backtest(cfg, bars, rates, charts=False, chunk_size=6_000,
                                 journal=lambda t, e: journal.append((t, e)), journal_topics="sig.>")  # fmt: skip
        return result, journal

    skipping, skipping_signals = run()
    monkeypatch.setattr(Strategy, "skip_bars", lambda self, **kw: None)
    awake, awake_signals = run()
    assert len(awake_signals) > 20
    assert skipping_signals == awake_signals
    assert msgspec.json.encode(skipping.fills) == msgspec.json.encode(awake.fills)  # type: ignore[attr-defined]
    assert msgspec.json.encode(skipping.metrics) == msgspec.json.encode(awake.metrics)  # type: ignore[attr-defined]
