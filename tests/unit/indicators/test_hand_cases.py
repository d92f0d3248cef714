"""Small cases computed by hand, through both ``update`` and ``update_many``."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import talib

from tradeyard.indicators import (
    ATR,
    CCI,
    EMA,
    MACD,
    RSI,
    SMA,
    BollingerBands,
    Indicator,
    RealizedVolatility,
    RollingHigh,
    RollingLow,
)

from ._helpers import stream

NAN = math.nan


def both_ways(make: Callable[[], Indicator], *cols: list[float]) -> list[dict[str, np.ndarray]]:
    """The outputs of a fresh indicator fed row by row, and of another fed in one chunk."""
    arrays = [np.asarray(c, dtype=np.float64) for c in cols]
    return [stream(make(), arrays), make().update_many(*arrays)]


def close_to(actual: np.ndarray, expected: list[float]) -> bool:
    return bool(np.allclose(actual, expected, rtol=1e-12, atol=1e-12, equal_nan=True))


def test_sma_when_period_3_over_1_to_4_gives_2_then_3() -> None:
    for out in both_ways(lambda: SMA(3), [1, 2, 3, 4]):
        assert close_to(out["value"], [NAN, NAN, 2, 3])


def test_sma_when_period_1_gives_the_input() -> None:
    for out in both_ways(lambda: SMA(1), [4, 5, 6]):
        assert close_to(out["value"], [4, 5, 6])


def test_ema_when_period_3_seeds_with_sma_then_halves_the_gap() -> None:
    # alpha = 2/(3+1) = 0.5; seed = mean(1, 2, 3) = 2; then 2 + .5*(4-2) = 3; 3 + .5*(5-3) = 4
    for out in both_ways(lambda: EMA(3), [1, 2, 3, 4, 5]):
        assert close_to(out["value"], [NAN, NAN, 2, 3, 4])


def test_bollinger_when_period_3_over_1_2_3_uses_population_sigma() -> None:
    sigma = math.sqrt(2 / 3)  # deviations -1, 0, 1 -> variance 2/3 (ddof=0)
    for out in both_ways(lambda: BollingerBands(3, k=2.0, inner_k=1.0), [1, 2, 3]):
        assert close_to(out["mid"], [NAN, NAN, 2])
        assert close_to(out["upper"], [NAN, NAN, 2 + 2 * sigma])
        assert close_to(out["lower"], [NAN, NAN, 2 - 2 * sigma])
        assert close_to(out["inner_upper"], [NAN, NAN, 2 + sigma])
        assert close_to(out["inner_lower"], [NAN, NAN, 2 - sigma])
        assert close_to(out["width"], [NAN, NAN, 4 * sigma / 2])


def test_bollinger_when_window_is_flat_gives_exactly_zero_width() -> None:
    # 0.1 sums to 0.30000000000000004: only the flat-window rule gives exactly mid == 0.1
    closes = [5.0, 0.1, 0.1, 0.1, 0.1, 7.0]
    for out in both_ways(lambda: BollingerBands(3), closes):
        assert out["mid"][3] == 0.1 and out["mid"][4] == 0.1
        assert out["upper"][3] == out["lower"][3] == 0.1
        assert out["width"][4] == 0.0
        assert out["width"][5] > 0.0
    upper, mid, _ = talib.BBANDS(np.asarray(closes), 3, 2.0, 2.0)
    assert upper[4] - mid[4] == 0.0


def test_realized_volatility_when_returns_are_1_0_2_gives_sample_std() -> None:
    closes = [1.0, math.e, math.e, math.e**3]  # log returns 1, 0, 2
    for out in both_ways(lambda: RealizedVolatility(2), closes):
        assert close_to(out["value"], [NAN, NAN, math.sqrt(0.5), math.sqrt(2.0)])


def test_realized_volatility_when_annualized_scales_by_sqrt_periods() -> None:
    closes = [1.0, math.e, math.e, math.e**3]
    for out in both_ways(lambda: RealizedVolatility(2, True, 365), closes):
        assert close_to(out["value"], [NAN, NAN, math.sqrt(0.5 * 365), math.sqrt(2.0 * 365)])


def test_realized_volatility_when_price_is_flat_gives_exactly_zero() -> None:
    closes = [100.0, 101.3, 101.3, 101.3, 101.3, 101.3, 102.0]
    for out in both_ways(lambda: RealizedVolatility(3), closes):
        assert out["value"][5] == 0.0
        assert out["value"][6] > 0.0


def test_rsi_when_up_up_down_gives_100_then_50() -> None:
    # changes +1, +1, -1; seed avg gain (1+1)/2 = 1, loss 0 -> 100;
    # then gain (1*1 + 0)/2 = .5, loss (0*1 + 1)/2 = .5 -> 50
    for out in both_ways(lambda: RSI(2), [1, 2, 3, 2]):
        assert close_to(out["value"], [NAN, NAN, 100, 50])


def test_rsi_when_price_is_flat_gives_zero_like_talib() -> None:
    closes = [3.0] * 6
    assert talib.RSI(np.asarray(closes), 2)[-1] == 0.0
    for out in both_ways(lambda: RSI(2), closes):
        assert close_to(out["value"], [NAN, NAN, 0, 0, 0, 0])


def test_macd_when_fast_is_seeded_at_the_slow_start_matches_hand_values() -> None:
    # fast=2 (alpha 2/3), slow=3 (alpha 1/2), signal=2 over 1, 3, 2, 6, 4:
    # slow: seed mean(1,3,2)=2 at row 2, then 4, 4.  fast: seeded on rows 1..2 (not 0..1):
    # mean(3,2)=2.5, then 29/6, 77/18.  macd: 1/2, 5/6, 5/18.  signal: mean(1/2, 5/6) = 2/3,
    # then 2/3 + 2/3*(5/18 - 2/3) = 11/27.  Output starts at row slow+signal-2 = 3.
    closes = [1, 3, 2, 6, 4]
    for out in both_ways(lambda: MACD(2, 3, 2), closes):
        assert close_to(out["macd"], [NAN, NAN, NAN, 5 / 6, 5 / 18])
        assert close_to(out["signal"], [NAN, NAN, NAN, 2 / 3, 11 / 27])
        assert close_to(out["hist"], [NAN, NAN, NAN, 1 / 6, 5 / 18 - 11 / 27])
    macd, signal, _ = talib.MACD(np.asarray(closes, dtype=float), 2, 3, 2)
    assert close_to(macd, [NAN, NAN, NAN, 5 / 6, 5 / 18])
    assert close_to(signal, [NAN, NAN, NAN, 2 / 3, 11 / 27])


def test_cci_when_typical_prices_1_2_6_6_gives_100_then_50() -> None:
    # window 1,2,6: mean 3, mean dev 2 -> (6-3)/(0.015*2) = 100
    # window 2,6,6: mean 14/3, mean dev 16/9 -> (4/3)/(0.015*16/9) = 50
    x = [1.0, 2.0, 6.0, 6.0]
    for out in both_ways(lambda: CCI(3), x, x, x):
        assert close_to(out["value"], [NAN, NAN, 100, 50])


def test_cci_when_typical_price_is_flat_gives_zero_like_talib() -> None:
    x = [0.1] * 5  # the mean of 0.1s is not exactly 0.1: only the relative-zero rule gives 0
    assert talib.CCI(*(np.asarray(x),) * 3, 3)[-1] == 0.0
    for out in both_ways(lambda: CCI(3), x, x, x):
        assert close_to(out["value"], [NAN, NAN, 0, 0, 0])


def test_atr_when_bars_gap_uses_true_range_and_wilder() -> None:
    high, low, close = [10, 12, 11, 15], [8, 9, 10, 11], [9, 11, 10.5, 14]
    # true ranges: 3 (12-9), 1 (11-10), 4.5 (15-10.5); ATR(2): (3+1)/2 = 2, (2*1 + 4.5)/2 = 3.25
    for out in both_ways(lambda: ATR(2), high, low, close):
        assert close_to(out["value"], [NAN, NAN, 2, 3.25])


def test_rolling_high_when_period_3_tracks_the_window_maximum() -> None:
    for out in both_ways(lambda: RollingHigh(3), [1, 3, 2, 1, 0]):
        assert close_to(out["value"], [NAN, NAN, 3, 3, 2])


def test_rolling_low_when_period_3_tracks_the_window_minimum() -> None:
    for out in both_ways(lambda: RollingLow(3), [3, 1, 2, 4, 5]):
        assert close_to(out["value"], [NAN, NAN, 1, 1, 2])


@pytest.mark.parametrize("make", [lambda: RollingHigh(3), lambda: RollingLow(3)])
def test_rolling_extremes_when_values_tie_keep_the_latest(make: Callable[[], Indicator]) -> None:
    x = [5.0, 5.0, 5.0, 5.0, 1.0 if make().inputs == ("high",) else 9.0]
    expected = [NAN, NAN, 5.0, 5.0, 5.0]
    for out in both_ways(make, x):
        assert close_to(out["value"], expected)
