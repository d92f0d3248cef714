"""Every indicator and every output against TA-Lib (or pandas) on real BTCUSDT 1m bars.

Relative error is ``max |a - b| / max |b|`` over the rows after warm-up; the NaN rows must match.
"""

from __future__ import annotations

import numpy as np
import pytest
import talib

import tradeyard.indicators as ind_pkg
from tradeyard.indicators import CCI, RealizedVolatility

from ._helpers import SPECS, TOL, Bars, Spec, assert_outputs_close, chunked, rel_err, stream

IDS = [s.id for s in SPECS]


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_when_streamed_row_by_row_matches_talib(spec: Spec, btc: Bars) -> None:
    ind = spec.make()
    assert_outputs_close(stream(ind, btc.columns(ind)), spec.reference(btc))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_given_whole_slice_matches_talib(spec: Spec, btc: Bars) -> None:
    ind = spec.make()
    assert_outputs_close(ind.update_many(*btc.columns(ind)), spec.reference(btc))


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_chained_in_uneven_chunks_equals_one_call(spec: Spec, btc: Bars) -> None:
    whole = spec.make()
    expected = whole.update_many(*btc.columns(whole))
    ind = spec.make()
    got = chunked(ind, btc.columns(ind), cuts=[1, 8, 1008])  # chunks of 1, 7, 1000, rest
    assert_outputs_close(got, expected)
    assert_outputs_close(
        {k: np.array([v]) for k, v in ind.latest().items()},
        {k: v[-1:] for k, v in expected.items()},
    )


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_chunks_are_smaller_than_warmup_equals_one_call(
    spec: Spec, btc: Bars
) -> None:
    whole = spec.make()
    expected = whole.update_many(*btc.columns(whole))
    rng = np.random.default_rng(7)
    cuts = np.cumsum(rng.integers(0, 6, size=120)).tolist()  # many 0..5-row chunks, some empty
    ind = spec.make()
    assert_outputs_close(chunked(ind, btc.columns(ind), cuts=cuts), expected)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_when_following_update_many_continues_exactly(spec: Spec, btc: Bars) -> None:
    whole = spec.make()
    expected = whole.update_many(*btc.columns(whole))
    ind = spec.make()
    cols = btc.columns(ind)
    first = ind.update_many(*(c[:1008] for c in cols))
    middle = stream(ind, [c[1008:1508] for c in cols])
    last = ind.update_many(*(c[1508:] for c in cols))
    got = {k: np.concatenate([first[k], middle[k], last[k]]) for k in ind.outputs}
    assert_outputs_close(got, expected)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_update_many_when_following_updates_mid_warmup_continues_exactly(
    spec: Spec, btc: Bars
) -> None:
    whole = spec.make()
    expected = whole.update_many(*btc.columns(whole))
    ind = spec.make()
    cols = btc.columns(ind)
    split = max(ind.lookback // 2, 1)  # stop streaming half-way through warm-up
    head = stream(ind, [c[:split] for c in cols])
    tail = ind.update_many(*(c[split:] for c in cols))
    assert_outputs_close({k: np.concatenate([head[k], tail[k]]) for k in ind.outputs}, expected)


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_both_paths_when_prices_move_by_single_ticks_match_talib(spec: Spec, ticks: Bars) -> None:
    expected = spec.reference(ticks)
    ind = spec.make()
    assert_outputs_close(stream(ind, ticks.columns(ind)), expected)
    assert_outputs_close(chunked(spec.make(), ticks.columns(ind), cuts=[5, 6, 900]), expected)


def test_cci_when_prices_move_by_single_ticks_is_bit_identical_to_talib(ticks: Bars) -> None:
    expected = talib.CCI(ticks.high, ticks.low, ticks.close, 20)
    cols = [ticks.high, ticks.low, ticks.close]
    streamed = stream(CCI(20), cols)["value"]
    vectorised = CCI(20).update_many(*cols)["value"]
    np.testing.assert_array_equal(streamed, expected)
    np.testing.assert_array_equal(vectorised, expected)


def test_specs_when_listed_cover_every_public_indicator_and_output(btc: Bars) -> None:
    covered = {type(s.make()).__name__ for s in SPECS}
    public = {name for name in ind_pkg.__all__ if name != "Indicator"}
    assert covered == public
    for spec in SPECS:
        assert set(spec.reference(btc)) == set(spec.make().outputs), spec.id


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_lookback_when_compared_to_talib_equals_first_finite_row(spec: Spec, btc: Bars) -> None:
    ind = spec.make()
    main = spec.reference(btc)[ind.outputs[0]]
    assert ind.lookback == int(np.argmax(~np.isnan(main)))


def test_realized_volatility_when_checked_against_talib_stddev_matches(btc: Bars) -> None:
    # TA-Lib's STDDEV is the population std (ddof=0); sqrt(n / (n - 1)) turns it into ddof=1.
    period = 30
    r = np.log(btc.close[1:] / btc.close[:-1])
    expected = np.concatenate([[np.nan], talib.STDDEV(r, period, 1.0)]) * np.sqrt(
        period / (period - 1)
    )
    got = RealizedVolatility(period).update_many(btc.close)["value"]
    assert rel_err(got, expected) <= TOL


def test_realized_volatility_when_checked_against_numpy_windows_matches(btc: Bars) -> None:
    period = 10
    r = np.log(btc.close[1:] / btc.close[:-1])
    windows = np.lib.stride_tricks.sliding_window_view(r, period)
    expected = np.concatenate([np.full(period, np.nan), windows.std(axis=1, ddof=1)])
    ind = RealizedVolatility(period)
    assert rel_err(stream(ind, [btc.close])["value"], expected) <= TOL
    assert rel_err(RealizedVolatility(period).update_many(btc.close)["value"], expected) <= TOL
