"""The engine's chunked aggregation gives the same backtest as aggregating bar by bar.

With aggregators on the run (a strategy on 1d or 5m bars), the engine builds each chunk's
coarser bars at once and publishes them where the aggregator's handler would have. Forcing the
bar-by-bar path (the aggregator declines every chunk) must change nothing: same trades, same
metrics, same equity curve, same events in the same order.
"""

from __future__ import annotations

import msgspec
import pytest

from tradeyard.backtest.runner import load_run_data, run_backtest
from tradeyard.bots.aggregator import AggregatorBot
from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig, TraderConfig
from tradeyard.config.load import validate
from tradeyard.events import Event


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
    [
        ("volatility_breakout", ["BTCUSDT", "ETHUSDT", "SOLUSDT"]),  # 1m trading, 1d extra
        ("rsi_macd_cci", ["BTCUSDT", "XRPUSDT"]),  # trades 5m bars
    ],
)
def test_engine_when_aggregators_forced_bar_by_bar_gives_the_identical_run(
    strategy: str, symbols: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = _cfg(strategy, symbols)
    bars, rates = load_run_data(cfg)
    accepted: list[str] = []
    real = AggregatorBot.aggregate_chunk

    def counting(self: AggregatorBot, symbol: str, columns: dict) -> object:
        out = real(self, symbol, columns)
        if out is not None:
            accepted.append(symbol)
        return out

    monkeypatch.setattr(AggregatorBot, "aggregate_chunk", counting)
    journal_fast: list[tuple[str, Event]] = []
    (fast,) = run_backtest(cfg, bars, rates, charts=False, chunk_size=20_000,
                           journal=lambda t, e: journal_fast.append((t, e)))  # fmt: skip
    monkeypatch.setattr(AggregatorBot, "aggregate_chunk", lambda self, symbol, columns: None)
    journal_slow: list[tuple[str, Event]] = []
    (slow,) = run_backtest(cfg, bars, rates, charts=False, chunk_size=20_000,
                           journal=lambda t, e: journal_slow.append((t, e)))  # fmt: skip
    assert sorted(set(accepted)) == sorted(symbols)  # the chunked path really ran
    assert len(fast.trades) > 3
    assert msgspec.json.encode(fast.trades) == msgspec.json.encode(slow.trades)
    assert msgspec.json.encode(fast.metrics) == msgspec.json.encode(slow.metrics)
    assert fast.equity.equity.tolist() == slow.equity.equity.tolist()
    coarse = [(t, e) for t, e in journal_slow if ".bar_1m" not in t]
    assert len(coarse) > 100
    assert [(t, e) for t, e in journal_fast if ".bar_1m" not in t] == coarse
