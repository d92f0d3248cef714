"""The shared protocol: O(1) state, warm-up flags, output attributes, input checks, repr."""

from __future__ import annotations

import math
from collections import deque

import numpy as np
import pytest
import talib

import tradeyard.indicators as ind_pkg
from tradeyard.errors import DataError
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

from ._helpers import SPECS, TOL, Bars, Spec, rel_err, stream

IDS = [s.id for s in SPECS]


def container_sizes(obj: Indicator, prefix: str = "") -> dict[str, int]:
    """Length of every list/deque/array/dict an indicator (and any indicator inside it) holds."""
    sizes: dict[str, int] = {}
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            value = getattr(obj, slot, None)
            if isinstance(value, list | deque | dict | np.ndarray):
                sizes[prefix + slot] = len(value)
            elif isinstance(value, Indicator):
                sizes.update(container_sizes(value, f"{prefix}{slot}."))
    return sizes


def ten_thousand_rows(btc: Bars) -> Bars:
    return Bars(*(np.tile(getattr(btc, f), 2) for f in ("high", "low", "close")))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_when_run_10000_times_keeps_state_within_the_window(spec: Spec, btc: Bars) -> None:
    bars = ten_thousand_rows(btc)
    ind = spec.make()
    cols = [c.tolist() for c in bars.columns(ind)]
    rows = list(zip(*cols, strict=True))
    for row in rows[:1000]:
        ind.update(*row)
    after_1000 = container_sizes(ind)
    for row in rows[1000:]:
        ind.update(*row)
    after_10000 = container_sizes(ind)
    window = ind.lookback + 1
    assert all(size <= window for size in after_10000.values()), after_10000
    lists = {k: v for k, v in after_10000.items() if not k.endswith("_dq")}
    assert lists == {k: after_1000[k] for k in lists}  # nothing grows with history


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_fed_10000_rows_keeps_state_within_the_window(
    spec: Spec, btc: Bars
) -> None:
    bars = ten_thousand_rows(btc)
    ind = spec.make()
    ind.update_many(*bars.columns(ind))
    assert all(size <= ind.lookback + 1 for size in container_sizes(ind).values())


def test_buffers_when_10000_updates_done_hold_exactly_the_window(btc: Bars) -> None:
    bars = ten_thousand_rows(btc)
    sma, bb, rv, cci = SMA(20), BollingerBands(20), RealizedVolatility(30), CCI(20)
    high, low = RollingHigh(20), RollingLow(20)
    ema, rsi, atr, macd = EMA(20), RSI(14), ATR(14), MACD()
    for h, lo, c in zip(bars.high.tolist(), bars.low.tolist(), bars.close.tolist(), strict=True):
        for ind in (sma, bb, rv, ema, rsi, macd):
            ind.update(c)
        cci.update(h, lo, c)
        atr.update(h, lo, c)
        high.update(h)
        low.update(lo)
    assert container_sizes(sma) == {"_buf": 20}
    assert container_sizes(bb) == {"_buf": 20}
    assert container_sizes(rv) == {"_buf": 30}  # the last 30 log returns
    assert container_sizes(cci) == {"_buf": 20}
    assert 1 <= container_sizes(high)["_dq"] <= 20
    assert 1 <= container_sizes(low)["_dq"] <= 20
    for ind in (ema, rsi, atr, macd):  # recursions only: a few floats, no buffer
        assert container_sizes(ind) == {}, ind


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_ready_when_lookback_rows_are_consumed_turns_true_on_the_next(
    spec: Spec, btc: Bars
) -> None:
    ind = spec.make()
    assert not ind.ready
    assert all(math.isnan(v) for v in ind.latest().values())
    rows = list(zip(*(c.tolist() for c in btc.columns(ind)), strict=True))
    for row in rows[: ind.lookback]:
        assert math.isnan(ind.update(*row))
    assert not ind.ready
    assert ind.count == ind.lookback
    main = ind.update(*rows[ind.lookback])
    assert ind.ready
    assert main == getattr(ind, ind.outputs[0])
    assert all(math.isfinite(v) for v in ind.latest().values())


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_chunk_is_empty_returns_empty_outputs_and_keeps_state(
    spec: Spec, btc: Bars
) -> None:
    ind = spec.make()
    cols = btc.columns(ind)
    ind.update_many(*(c[:100] for c in cols))
    before = ind.latest()
    out = ind.update_many(*(c[:0] for c in cols))
    assert set(out) == set(ind.outputs)
    assert all(len(a) == 0 for a in out.values())
    assert ind.latest() == before
    assert ind.count == 100


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_called_leaves_its_input_arrays_untouched(spec: Spec, btc: Bars) -> None:
    ind = spec.make()
    cols = [c[:300].copy() for c in btc.columns(ind)]
    ind.update_many(*cols)
    ind.update_many(*cols)
    for col, original in zip(cols, btc.columns(ind), strict=True):
        np.testing.assert_array_equal(col, original[:300])


def test_update_many_when_given_lists_accepts_them() -> None:
    assert np.allclose(SMA(2).update_many([1, 2, 3])["value"], [np.nan, 1.5, 2.5], equal_nan=True)


def test_update_many_when_array_count_is_wrong_raises_type_error() -> None:
    with pytest.raises(TypeError, match=r"ATR.update_many takes 3 array\(s\) \(high, low, close\)"):
        ATR().update_many(np.ones(3))


def test_update_many_when_lengths_differ_raises_data_error() -> None:
    with pytest.raises(DataError, match="differ in length"):
        CCI(3).update_many(np.ones(3), np.ones(3), np.ones(4))


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_update_many_when_an_input_is_not_finite_raises_data_error_naming_the_row(
    bad: float,
) -> None:
    x = np.array([1.0, 2.0, bad, 4.0])
    with pytest.raises(DataError, match=r"close\[2\]"):
        SMA(2).update_many(x)


def test_update_many_when_input_is_2d_raises_data_error() -> None:
    with pytest.raises(DataError, match="1-D"):
        RSI(2).update_many(np.ones((3, 2)))


@pytest.mark.parametrize("close", [0.0, -1.0])
def test_realized_volatility_when_close_is_not_positive_raises_data_error(close: float) -> None:
    with pytest.raises(DataError, match="> 0"):
        RealizedVolatility(2).update_many(np.array([1.0, close]))
    ind = RealizedVolatility(2)
    ind.update(1.0)
    with pytest.raises(DataError, match="> 0"):
        ind.update(close)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_repr_when_evaluated_builds_the_same_configuration(spec: Spec) -> None:
    ind = spec.make()
    namespace = {name: getattr(ind_pkg, name) for name in ind_pkg.__all__}
    assert repr(eval(repr(ind), namespace)) == repr(ind)


def test_package_when_imported_exports_the_public_api() -> None:
    assert sorted(ind_pkg.__all__) == sorted(
        [
            "ATR",
            "CCI",
            "EMA",
            "MACD",
            "RSI",
            "SMA",
            "BollingerBands",
            "Indicator",
            "Previous",
            "RealizedVolatility",
            "RollingHigh",
            "RollingLow",
        ]
    )
    for name in ind_pkg.__all__:
        assert issubclass(getattr(ind_pkg, name), Indicator)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_indicator_when_built_uses_slots_and_declares_its_fields(spec: Spec) -> None:
    ind = spec.make()
    assert not hasattr(ind, "__dict__")  # __slots__ all the way down: cheap attribute access
    assert ind.inputs and set(ind.inputs) <= {"high", "low", "close"}
    assert ind.outputs and all(hasattr(ind, name) for name in ind.outputs)


def test_bollinger_when_streamed_through_20000_rows_does_not_drift(btc: Bars) -> None:
    closes = np.concatenate([btc.close, btc.close[::-1], btc.close, btc.close[::-1]])
    upper, mid, lower = talib.BBANDS(closes, 5, 2.0, 2.0)
    got = stream(BollingerBands(5, 2.0, 1.0), [closes])
    assert rel_err(got["upper"], upper) <= TOL
    assert rel_err(got["width"], (upper - lower) / mid) <= TOL
