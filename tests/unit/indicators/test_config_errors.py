"""Bad constructor arguments raise ConfigError naming the indicator, the argument and the value."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from tradeyard.errors import ConfigError
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

BAD: list[tuple[Callable[[], Indicator], str]] = [
    (lambda: SMA(0), r"^SMA period must be an integer >= 1, was 0$"),
    (lambda: SMA(2.5), r"SMA period must be an integer >= 1, was 2\.5"),  # type: ignore[arg-type]
    (lambda: SMA(True), r"SMA period must be an integer >= 1, was True"),
    (lambda: SMA("20"), r"SMA period .* was '20'"),  # type: ignore[arg-type]
    (lambda: EMA(-3), r"EMA period must be an integer >= 1, was -3"),
    (lambda: BollingerBands(0), r"BollingerBands period must be an integer >= 1, was 0"),
    (lambda: BollingerBands(k=-1.0), r"BollingerBands k must be a finite number >= 0, was -1\.0"),
    (lambda: BollingerBands(k=math.nan), r"BollingerBands k must be a finite number"),
    (lambda: BollingerBands(inner_k=math.inf), r"BollingerBands inner_k must be a finite number"),
    (lambda: RealizedVolatility(1), r"RealizedVolatility period must be an integer >= 2, was 1"),
    (
        lambda: RealizedVolatility(annualize="yes"),  # type: ignore[arg-type]
        r"RealizedVolatility annualize must be a bool, was 'yes'",
    ),
    (
        lambda: RealizedVolatility(periods_per_year=0),
        r"RealizedVolatility periods_per_year must be a finite number > 0, was 0",
    ),
    (lambda: RSI(0), r"RSI period must be an integer >= 1, was 0"),
    (lambda: MACD(fast=0), r"MACD fast must be an integer >= 1, was 0"),
    (lambda: MACD(slow=1, fast=1), r"MACD slow must be an integer >= 2, was 1"),
    (lambda: MACD(signal=0), r"MACD signal must be an integer >= 1, was 0"),
    (lambda: MACD(fast=26, slow=12), r"MACD fast must be < slow, was fast=26, slow=12"),
    (lambda: CCI(0), r"CCI period must be an integer >= 1, was 0"),
    (lambda: ATR(0), r"ATR period must be an integer >= 1, was 0"),
    (lambda: RollingHigh(0), r"RollingHigh period must be an integer >= 1, was 0"),
    (lambda: RollingLow(-1), r"RollingLow period must be an integer >= 1, was -1"),
]


@pytest.mark.parametrize(("make", "message"), BAD, ids=[m for _, m in BAD])
def test_constructor_when_argument_is_bad_raises_config_error_naming_it(
    make: Callable[[], Indicator], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        make()


def test_constructor_when_numpy_integers_are_given_accepts_them() -> None:
    assert SMA(np.int64(5)).period == 5  # type: ignore[arg-type]
    assert BollingerBands(np.int32(5), np.float64(2.5)).k == 2.5  # type: ignore[arg-type]
