"""Shared helpers for the indicator tests: the reference table and the comparison functions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import numpy.typing as npt
import pandas as pd
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
    Previous,
    RealizedVolatility,
    RollingHigh,
    RollingLow,
)

Array = npt.NDArray[np.float64]
TOL = 1e-9
MINUTES_PER_YEAR = 525600


@dataclass(frozen=True)
class Bars:
    high: Array
    low: Array
    close: Array

    def columns(self, ind: Indicator) -> list[Array]:
        """The arrays ``ind`` consumes, in its ``inputs`` order."""
        return [getattr(self, name) for name in ind.inputs]

    def __len__(self) -> int:
        return len(self.close)


def rel_err(actual: Sequence[float] | Array, expected: Sequence[float] | Array) -> float:
    """max |a - b| / max(|b|, tiny) over the finite part; the NaN positions must be identical."""
    a = np.asarray(actual, dtype=np.float64)
    b = np.asarray(expected, dtype=np.float64)
    assert a.shape == b.shape, f"shapes differ: {a.shape} vs {b.shape}"
    nan_a, nan_b = np.isnan(a), np.isnan(b)
    if not np.array_equal(nan_a, nan_b):
        rows = np.flatnonzero(nan_a != nan_b)[:5]
        raise AssertionError(f"NaN positions differ at rows {rows.tolist()}")
    ok = ~nan_b
    if not ok.any():
        return 0.0
    return float(np.max(np.abs(a[ok] - b[ok])) / max(np.max(np.abs(b[ok])), 1e-300))


def assert_outputs_close(
    actual: dict[str, Array], expected: dict[str, Array], tol: float = TOL
) -> None:
    assert set(actual) == set(expected)
    errors = {name: rel_err(actual[name], expected[name]) for name in expected}
    bad = {name: err for name, err in errors.items() if err > tol}
    assert not bad, f"relative error above {tol:g}: {bad}"


def stream(ind: Indicator, cols: Sequence[Array]) -> dict[str, Array]:
    """Feed rows one by one through ``update``; collect every output attribute per row."""
    out: dict[str, list[float]] = {name: [] for name in ind.outputs}
    main = ind.outputs[0]
    for row in zip(*(c.tolist() for c in cols), strict=True):
        returned = ind.update(*row)
        for name in ind.outputs:
            out[name].append(getattr(ind, name))  # NaN during warm-up
        latest = out[main][-1]
        assert returned == latest or (np.isnan(returned) and np.isnan(latest))
        assert ind.ready == (not np.isnan(latest))
    return {name: np.asarray(v) for name, v in out.items()}


def chunked(ind: Indicator, cols: Sequence[Array], cuts: Sequence[int]) -> dict[str, Array]:
    """Feed the rows through ``update_many`` in chunks split at ``cuts``; concatenate."""
    edges = [0, *cuts, len(cols[0])]
    parts = [ind.update_many(*(c[a:b] for c in cols)) for a, b in pairwise(edges)]
    return {name: np.concatenate([p[name] for p in parts]) for name in ind.outputs}


# --- references ------------------------------------------------------------------------------


def _bbands(period: int, k: float, inner_k: float) -> Callable[[Bars], dict[str, Array]]:
    def ref(b: Bars) -> dict[str, Array]:
        upper, mid, lower = talib.BBANDS(b.close, period, k, k)
        inner_upper, _, inner_lower = talib.BBANDS(b.close, period, inner_k, inner_k)
        return {
            "mid": mid,
            "upper": upper,
            "lower": lower,
            "inner_upper": inner_upper,
            "inner_lower": inner_lower,
            "width": (upper - lower) / mid,
        }

    return ref


def _previous(reference: Callable[[Bars], dict[str, Array]]) -> Callable[[Bars], dict[str, Array]]:
    """A reference one bar late (NaN first), for `Previous`."""

    def ref(b: Bars) -> dict[str, Array]:
        return {k: np.concatenate([[np.nan], v[:-1]]) for k, v in reference(b).items()}

    return ref


def realized_vol_reference(close: Array, period: int, scale: float = 1.0) -> Array:
    """pandas rolling sample std (ddof=1) of the log returns, NaN-aligned to the closes."""
    r = pd.Series(np.log(close[1:] / close[:-1]))
    return np.concatenate([[np.nan], r.rolling(period).std(ddof=1).to_numpy()]) * scale


def _macd(fast: int, slow: int, signal: int) -> Callable[[Bars], dict[str, Array]]:
    def ref(b: Bars) -> dict[str, Array]:
        macd, sig, hist = talib.MACD(b.close, fast, slow, signal)
        return {"macd": macd, "signal": sig, "hist": hist}

    return ref


@dataclass(frozen=True)
class Spec:
    id: str
    make: Callable[[], Indicator]
    reference: Callable[[Bars], dict[str, Array]]


SPECS: list[Spec] = [
    Spec("SMA(2)", lambda: SMA(2), lambda b: {"value": talib.SMA(b.close, 2)}),
    Spec("SMA(20)", lambda: SMA(20), lambda b: {"value": talib.SMA(b.close, 20)}),
    Spec("SMA(200)", lambda: SMA(200), lambda b: {"value": talib.SMA(b.close, 200)}),
    Spec("EMA(2)", lambda: EMA(2), lambda b: {"value": talib.EMA(b.close, 2)}),
    Spec("EMA(20)", lambda: EMA(20), lambda b: {"value": talib.EMA(b.close, 20)}),
    Spec("BB(20,2,1)", lambda: BollingerBands(20, 2.0, 1.0), _bbands(20, 2.0, 1.0)),
    Spec("BB(5,2.5,0.5)", lambda: BollingerBands(5, 2.5, 0.5), _bbands(5, 2.5, 0.5)),
    Spec("BB(3,3,1.5)", lambda: BollingerBands(3, 3.0, 1.5), _bbands(3, 3.0, 1.5)),
    Spec(
        "Previous(BB(20,2,1))",
        lambda: Previous(BollingerBands(20, 2.0, 1.0)),
        _previous(_bbands(20, 2.0, 1.0)),
    ),
    Spec(
        "Previous(close)",
        lambda: Previous("close"),
        lambda b: {"value": _previous(lambda x: {"v": x.close})(b)["v"]},
    ),
    Spec(
        "RV(30)",
        lambda: RealizedVolatility(30),
        lambda b: {"value": realized_vol_reference(b.close, 30)},
    ),
    Spec(
        "RV(5,annualized)",
        lambda: RealizedVolatility(5, annualize=True),
        lambda b: {"value": realized_vol_reference(b.close, 5, np.sqrt(MINUTES_PER_YEAR))},
    ),
    Spec("RSI(14)", lambda: RSI(14), lambda b: {"value": talib.RSI(b.close, 14)}),
    Spec("RSI(2)", lambda: RSI(2), lambda b: {"value": talib.RSI(b.close, 2)}),
    Spec("MACD(12,26,9)", lambda: MACD(12, 26, 9), _macd(12, 26, 9)),
    Spec("MACD(5,35,5)", lambda: MACD(5, 35, 5), _macd(5, 35, 5)),
    Spec("CCI(20)", lambda: CCI(20), lambda b: {"value": talib.CCI(b.high, b.low, b.close, 20)}),
    Spec("CCI(3)", lambda: CCI(3), lambda b: {"value": talib.CCI(b.high, b.low, b.close, 3)}),
    Spec("ATR(14)", lambda: ATR(14), lambda b: {"value": talib.ATR(b.high, b.low, b.close, 14)}),
    Spec("ATR(1)", lambda: ATR(1), lambda b: {"value": talib.ATR(b.high, b.low, b.close, 1)}),
    Spec("RollingHigh(20)", lambda: RollingHigh(20), lambda b: {"value": talib.MAX(b.high, 20)}),
    Spec("RollingHigh(2)", lambda: RollingHigh(2), lambda b: {"value": talib.MAX(b.high, 2)}),
    Spec("RollingLow(20)", lambda: RollingLow(20), lambda b: {"value": talib.MIN(b.low, 20)}),
    Spec("RollingLow(3)", lambda: RollingLow(3), lambda b: {"value": talib.MIN(b.low, 3)}),
]
