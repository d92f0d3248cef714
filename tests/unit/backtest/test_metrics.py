"""Hand-computed checks of `compute_metrics`."""

from __future__ import annotations

import json
import math

import msgspec
import numpy as np
import pytest

from tradeyard.backtest.metrics import (
    METRIC_KEYS,
    PROFIT_FACTOR_CAP,
    compute_metrics,
    daily_returns,
)
from tradeyard.backtest.results import BacktestResult, ClosedTrade, EquityCurve

DAY = 86_400_000
HOUR = 3_600_000
T0 = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def make_result(
    times: list[int],
    equity: list[float],
    start: float = 100.0,
    pnls: tuple[float, ...] = (),
) -> BacktestResult:
    trades = [
        ClosedTrade(
            trader="t",
            symbol="BTCUSDT",
            side="long",
            qty=1.0,
            entry_time=T0 + i,
            entry_price=100.0,
            exit_time=T0 + i + 1,
            exit_price=100.0 + p,
            pnl=p,
            fees=0.1,
        )
        for i, p in enumerate(pnls)
    ]
    return BacktestResult(
        label="run",
        starting_equity=start,
        equity=EquityCurve(
            times=np.array(times, dtype=np.int64), equity=np.array(equity, dtype=np.float64)
        ),
        trades=trades,
        fills=[],
        orders=[],
        fees_paid=1.5,
        funding_paid=-0.25,
        exposure=0.4,
        bars_processed=123,
    )


def test_keys_in_fixed_order_types_and_copied_fields() -> None:
    m = compute_metrics(make_result([T0, T0 + DAY], [100.0, 110.0], pnls=(1.0,)))
    assert tuple(m) == METRIC_KEYS
    assert isinstance(m["trades"], int) and m["trades"] == 1
    assert m["bars"] == 123
    assert m["exposure"] == 0.4
    assert m["fees_paid"] == 1.5
    assert m["funding_paid"] == -0.25
    assert m["starting_equity"] == 100.0
    assert m["final_equity"] == 110.0
    assert m["total_return"] == pytest.approx(0.10)
    assert all(type(v) in (float, int) for v in m.values())


def test_sharpe_sortino_from_daily_returns_by_hand() -> None:
    # start 1000; several points a day, only each UTC day's LAST equity counts:
    # day0 close 1100 -> r = 1100/1000 - 1   = +0.10
    # day1 close  990 -> r =  990/1100 - 1   = -0.10
    # day2 close 1039.5 -> r = 1039.5/990 - 1 = +0.05
    # day3 close 1143.45 -> r = 1143.45/1039.5 - 1 = +0.10
    times = [
        T0,
        T0 + 12 * HOUR,
        T0 + 23 * HOUR,
        T0 + DAY + 1 * HOUR,
        T0 + DAY + 20 * HOUR,
        T0 + 2 * DAY + 5 * HOUR,
        T0 + 3 * DAY + 2 * HOUR,
        T0 + 3 * DAY + 23 * HOUR + 59 * 60_000,
    ]
    equity = [1000.0, 1200.0, 1100.0, 800.0, 990.0, 1039.5, 1500.0, 1143.45]
    result = make_result(times, equity, start=1000.0)
    rets = daily_returns(result.equity.times, result.equity.equity, 1000.0)
    np.testing.assert_allclose(rets, [0.10, -0.10, 0.05, 0.10], rtol=1e-12)

    # mean = (0.10 - 0.10 + 0.05 + 0.10) / 4 = 0.0375
    # deviations 0.0625, -0.1375, 0.0125, 0.0625; squares sum
    #   0.00390625 + 0.01890625 + 0.00015625 + 0.00390625 = 0.026875
    # std (ddof=1) = sqrt(0.026875 / 3) ≈ 0.0946487
    # Sharpe = 0.0375 / 0.0946487 * sqrt(365) ≈ 7.5694
    expected_sharpe = 0.0375 / math.sqrt(0.026875 / 3) * math.sqrt(365)
    # downside: only -0.10 counts -> mean(min(r,0)^2) = 0.01 / 4 = 0.0025 -> dd = 0.05
    # Sortino = 0.0375 / 0.05 * sqrt(365) = 0.75 * 19.1050 ≈ 14.3287
    expected_sortino = 0.75 * math.sqrt(365)
    m = compute_metrics(result)
    assert m["sharpe"] == pytest.approx(expected_sharpe, rel=1e-9)
    assert m["sharpe"] == pytest.approx(7.5694, abs=1e-3)
    assert m["sortino"] == pytest.approx(expected_sortino, rel=1e-9)
    assert m["sortino"] == pytest.approx(14.3287, abs=1e-3)
    # intraday swings (1200, 800, 1500) are invisible to the daily resample but not to drawdown:
    # peak 1200 -> trough 800: 800/1200 - 1 = -1/3
    assert m["max_drawdown"] == pytest.approx(-1 / 3)


def test_daily_returns_fill_days_without_points_with_zero_return() -> None:
    rets = daily_returns(np.array([T0, T0 + 2 * DAY]), np.array([110.0, 121.0]), 100.0)
    np.testing.assert_allclose(rets, [0.10, 0.0, 0.10])


def test_drawdown_and_duration() -> None:
    # 100 -> 120 -> 90 -> 130: peak 120, trough 90 -> 90/120 - 1 = -0.25
    times = [T0, T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY]
    m = compute_metrics(make_result(times, [100.0, 120.0, 90.0, 130.0]))
    assert m["max_drawdown"] == pytest.approx(-0.25)
    # under water from the 120 peak (day 1) until back above it (day 3)
    assert m["max_drawdown_duration_ms"] == 2 * DAY
    assert m["total_return"] == pytest.approx(0.30)


def test_unrecovered_drawdown_lasts_to_the_end_and_peak_starts_at_starting_equity() -> None:
    times = [T0, T0 + HOUR, T0 + 5 * HOUR]
    # starts below the starting equity (already in drawdown), recovers, then falls and stays down
    m = compute_metrics(make_result(times, [95.0, 100.0, 98.0], start=100.0))
    assert m["max_drawdown"] == pytest.approx(-0.05)
    assert m["max_drawdown_duration_ms"] == 4 * HOUR


def test_cagr() -> None:
    m = compute_metrics(make_result([T0, T0 + 365 * DAY], [100.0, 110.0]))
    assert m["cagr"] == pytest.approx(0.10)
    m = compute_metrics(make_result([T0, T0 + 730 * DAY], [100.0, 121.0]))
    assert m["cagr"] == pytest.approx(0.10)
    # under one day: not annualised
    m = compute_metrics(make_result([T0, T0 + HOUR], [100.0, 110.0]))
    assert m["cagr"] == 0.0
    # huge short-term growth is capped, never inf
    m = compute_metrics(make_result([T0, T0 + DAY], [100.0, 1e6]))
    assert math.isfinite(m["cagr"]) and m["cagr"] > 1e6
    m = compute_metrics(make_result([T0, T0 + 2 * DAY], [100.0, -5.0]))
    assert m["cagr"] == -1.0


def test_trade_statistics() -> None:
    # pnl 10, -5, 20, -5, 0: winners 10 and 20 -> win rate 2/5 = 0.4 (0 is not a win)
    # gross profit 30, gross loss |-10| -> profit factor 3.0; mean 20/5 = 4.0
    m = compute_metrics(make_result([T0], [100.0], pnls=(10.0, -5.0, 20.0, -5.0, 0.0)))
    assert m["trades"] == 5
    assert m["win_rate"] == pytest.approx(0.4)
    assert m["profit_factor"] == pytest.approx(3.0)
    assert m["avg_trade_pnl"] == pytest.approx(4.0)
    assert m["best_trade"] == 20.0
    assert m["worst_trade"] == -5.0


def test_profit_factor_edges() -> None:
    only_winners = compute_metrics(make_result([T0], [100.0], pnls=(1.0, 2.0)))
    assert only_winners["profit_factor"] == PROFIT_FACTOR_CAP == 999.0
    assert only_winners["win_rate"] == 1.0
    only_losers = compute_metrics(make_result([T0], [100.0], pnls=(-1.0, -2.0)))
    assert only_losers["profit_factor"] == 0.0
    assert only_losers["win_rate"] == 0.0
    scratch = compute_metrics(make_result([T0], [100.0], pnls=(0.0,)))
    assert scratch["profit_factor"] == 0.0


def test_no_trades_and_flat_curve_give_zeros_not_nan() -> None:
    times = [T0 + i * DAY for i in range(5)]
    m = compute_metrics(make_result(times, [100.0] * 5))
    for key in (
        "total_return",
        "cagr",
        "max_drawdown",
        "max_drawdown_duration_ms",
        "sharpe",
        "sortino",
        "win_rate",
        "profit_factor",
        "avg_trade_pnl",
        "best_trade",
        "worst_trade",
    ):
        assert m[key] == 0.0, key
    assert m["trades"] == 0
    json.dumps(m, allow_nan=False)  # raises on NaN/inf


def test_degenerate_inputs_stay_finite() -> None:
    cases = [
        make_result([], []),  # empty curve
        make_result([T0], [105.0]),  # one point: one daily return -> no Sharpe
        make_result([T0, T0 + DAY], [0.0, 0.0], start=0.0),  # zero capital
        make_result([T0, T0 + DAY, T0 + 2 * DAY], [110.0, 121.0, 133.1]),  # no losing day
    ]
    for result in cases:
        m = compute_metrics(result)
        assert all(math.isfinite(v) for v in m.values()), m
        json.dumps(m, allow_nan=False)
        msgspec.json.encode(m)
    empty = compute_metrics(cases[0])
    assert empty["final_equity"] == 100.0 and empty["total_return"] == 0.0
    assert compute_metrics(cases[1])["sharpe"] == 0.0
    no_losing_day = compute_metrics(cases[3])
    assert no_losing_day["sortino"] == 0.0  # zero downside deviation -> 0.0 by convention
    # returns 0.10, 0.10, 0.10 (identical) -> std 0 up to float noise -> 0.0
    assert no_losing_day["sharpe"] == 0.0


def test_deterministic() -> None:
    result = make_result([T0, T0 + DAY, T0 + 2 * DAY], [100.0, 90.0, 95.0], pnls=(1.0, -2.0))
    a, b = compute_metrics(result), compute_metrics(result)
    assert list(a.items()) == list(b.items())
    assert msgspec.json.encode(a) == msgspec.json.encode(b)
