"""Fixtures for the indicator tests: a real 5,000-row BTCUSDT 1m slice kept in the repo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ._helpers import Bars

SLICE = Path(__file__).parent / "data" / "BTCUSDT-1m-slice.parquet"


@pytest.fixture(scope="session")
def btc() -> Bars:
    """BTCUSDT 1m bars (see data/README.md for provenance) as float64 arrays."""
    df = pd.read_parquet(SLICE)
    return Bars(
        high=df["high"].to_numpy(dtype="float64"),
        low=df["low"].to_numpy(dtype="float64"),
        close=df["close"].to_numpy(dtype="float64"),
    )


@pytest.fixture(scope="session")
def ticks() -> Bars:
    """Synthetic 3,000 bars near 1e5 that mostly do not move and otherwise move by one 0.1 tick.

    Full of flat and nearly flat windows: the cases where rounding in a variance or a mean
    deviation shows most.
    """
    rng = np.random.default_rng(2024)
    tick = 0.1
    steps = rng.choice([-1, 0, 0, 0, 1], size=3000)
    close = np.round(1e6 + np.cumsum(steps)) * tick
    high = close + rng.choice([0.0, tick], size=len(close))
    low = close - rng.choice([0.0, tick], size=len(close))
    return Bars(high=high, low=low, close=close)
