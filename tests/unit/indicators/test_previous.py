"""Previous: an indicator's outputs (or a bar field) one bar late, streamed and chunked alike."""

from __future__ import annotations

import numpy as np
import talib

from tradeyard.indicators import BollingerBands, Previous

from ._helpers import Bars, rel_err


def test_previous_close_is_the_close_of_the_bar_before(btc: Bars) -> None:
    prev = Previous("close")
    got = [prev.update(c) for c in btc.close[:5].tolist()]
    assert np.isnan(got[0])
    assert got[1:] == btc.close[:4].tolist()
    assert prev.lookback == 1


def test_previous_bands_equal_talib_bbands_shifted_by_one_bar(btc: Bars) -> None:
    upper, mid, lower = talib.BBANDS(btc.close, timeperiod=20, nbdevup=2.0, nbdevdn=2.0)
    out = Previous(BollingerBands(20, 2.0, 1.0)).update_many(btc.close)
    assert np.isnan(out["upper"][:20]).all()
    assert rel_err(out["upper"][1:], upper[:-1]) < 1e-9
    assert rel_err(out["lower"][1:], lower[:-1]) < 1e-9
    assert rel_err(out["mid"][1:], mid[:-1]) < 1e-9


def test_chunks_are_the_inner_chunks_shifted_and_agree_with_bar_by_bar(btc: Bars) -> None:
    cuts = [7, 700, 3000]
    inner = BollingerBands(20, 2.0, 1.0)
    plain = np.concatenate([inner.update_many(p)["upper"] for p in np.array_split(btc.close, cuts)])
    chunked = Previous(BollingerBands(20, 2.0, 1.0))
    parts = [chunked.update_many(p)["upper"] for p in np.array_split(btc.close, cuts)]
    np.testing.assert_array_equal(np.concatenate(parts)[1:], plain[:-1])  # exactly one bar late
    streamed = Previous(BollingerBands(20, 2.0, 1.0))
    rows = []
    for c in btc.close.tolist():
        streamed.update(c)
        rows.append(streamed.upper)
    assert (
        rel_err(np.concatenate(parts), rows) < 1e-12
    )  # BollingerBands' own chunk/stream agreement
    # a chunk leaves the object where bar-by-bar updates would: they can follow
    assert chunked.upper == plain[-2]
    chunked.update(101.0)
    assert chunked.upper == plain[-1]
