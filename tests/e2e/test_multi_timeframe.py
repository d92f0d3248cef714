"""A strategy trading 5m bars and reading 1d bars, run on 1m data: the runtime aggregates, and
the bars it sees equal a pandas resample of the 1m data."""

from __future__ import annotations

from typing import ClassVar

import msgspec
import pandas as pd
import pytest

import tradeyard.strategies as registry
from tradeyard.backtest.runner import run_backtest
from tradeyard.bots import Strategy
from tradeyard.config import BacktestConfig, DataConfig, StrategyConfig
from tradeyard.config.load import validate
from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.marketdata import bundled_bars_dir, load_bars


class _Params(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    pass


SEEN: list[Bar] = []


class Recording(Strategy[_Params]):
    name = "recording"
    Params = _Params
    interval = "5m"
    extra_intervals: ClassVar[tuple[str, ...]] = ("1d",)

    def on_bar(self, bar: Bar) -> None:
        SEEN.append(bar)
        if bar.interval == "5m" and len([b for b in SEEN if b.interval == "5m"]) == 3:
            self.go_long("third 5m bar")


def _resampled(rule: str) -> pd.DataFrame:
    s = load_bars(bundled_bars_dir(), ["BTCUSDT"])["BTCUSDT"].slice(0, 3 * 1440)
    df = pd.DataFrame(
        {"open": s.open, "high": s.high, "low": s.low, "close": s.close, "volume": s.volume},
        index=pd.to_datetime(s.open_time, unit="ms"),
    )
    out = df.resample(rule, label="left", closed="left", origin="epoch").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    return out.dropna()


def test_strategy_on_5m_and_1d_when_data_is_1m_sees_resampled_bars(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(registry.REGISTRY, "recording", Recording)
    SEEN.clear()
    series = load_bars(bundled_bars_dir(), ["BTCUSDT"])["BTCUSDT"].slice(0, 3 * 1440)
    cfg = validate(BacktestConfig(strategies=[StrategyConfig(id="rec", strategy="recording")]))
    (result,) = run_backtest(cfg, [series], {}, charts=False)
    five = [b for b in SEEN if b.interval == "5m"]
    daily = [b for b in SEEN if b.interval == "1d"]
    expected5 = _resampled("5min")
    # the first bucket is short (data starts at 15:37): compare the complete ones after it
    got5 = pd.DataFrame(
        [(b.open, b.high, b.low, b.close, b.volume) for b in five[1:]],
        columns=["open", "high", "low", "close", "volume"],
        index=pd.to_datetime([b.open_time for b in five[1:]], unit="ms"),
    )
    pd.testing.assert_frame_equal(got5, expected5.loc[got5.index], check_freq=False)
    assert [pd.Timestamp(b.open_time, unit="ms").hour for b in daily] == [0] * len(daily)
    # the short first day (from 15:37), then two complete UTC days; the last day is unfinished
    assert len(daily) == 3
    expected_d = _resampled("1D")
    assert [(b.open, b.high, b.low, b.close) for b in daily[1:]] == [
        tuple(r)
        for r in expected_d[["open", "high", "low", "close"]].iloc[1:3].itertuples(index=False)
    ]
    # the signal on the 3rd 5m close fills at the next 1m bar's open (= the next 5m open)
    fill = result.fills[0]
    assert fill.ts == five[2].close_time + 1
    i = int((fill.ts - series.open_time[0]) // 60_000)
    assert fill.price == series.open[i]


def test_strategy_interval_when_finer_than_data_is_rejected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(registry.REGISTRY, "recording", Recording)
    series = load_bars(bundled_bars_dir(), ["BTCUSDT"])["BTCUSDT"].slice(0, 100)
    cfg = validate(
        BacktestConfig(
            strategies=[StrategyConfig(id="rec", strategy="recording", interval="1m")],
            data=DataConfig(),
        )
    )
    # 1m trading on 1m data is fine; 1h data under a 5m strategy is not
    run_backtest(cfg, [series], {}, charts=False)
    hourly = msgspec.structs.replace(series, interval="1h")
    cfg5 = validate(BacktestConfig(strategies=[StrategyConfig(id="rec", strategy="recording")]))
    with pytest.raises(ConfigError, match="reads 5m bars but the data is 1h"):
        run_backtest(cfg5, [hourly], {}, charts=False)
