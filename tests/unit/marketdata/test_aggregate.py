"""Bar aggregation: the streaming BarAggregator, its vectorised twin `resample`, and pandas agree.

On the bundled real data (BTCUSDT, ETHUSDT, 30 days of 1m bars starting 15:37 UTC, so the first
buckets hold fewer bars) every emitted bar equals pandas' `resample(label="left", closed="left",
origin="epoch")` with first/max/min/last/sum, bit for bit. The volume equality holds because
pandas (>= 3) sums sorted groups with `np.add.reduceat`, whose order the aggregator reproduces;
pandas 2 summed with Kahan compensation and would differ in the last bit of some volumes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tradeyard.bots.aggregator import AGGREGATION_INTERVAL_MS, segment_sum
from tradeyard.errors import ConfigError, DataError
from tradeyard.events import Bar
from tradeyard.marketdata import INTERVAL_MS, BarSeries, bundled_bars_dir, load_bars
from tradeyard.marketdata.aggregate import BarAggregator, resample

VENUE = "binanceusdm"
TARGETS = ("3m", "5m", "15m", "1h", "4h", "1d")
FIELDS = ("open_time", "open", "high", "low", "close", "volume")
T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC: a day boundary, so every bucket starts here
NINE_HOURS = 9 * 3_600_000


# -- helpers ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT"])


@pytest.fixture(scope="module")
def real_bars(real: dict[str, BarSeries]) -> dict[str, list[Bar]]:
    return {symbol: _bars(series) for symbol, series in real.items()}


def _bars(series: BarSeries) -> list[Bar]:
    cols = [getattr(series, f).tolist() for f in FIELDS]
    return [
        Bar(VENUE, series.symbol, series.interval, t, t + 59_999, o, h, lo, c, v)
        for t, o, h, lo, c, v in zip(*cols, strict=True)
    ]


def _stream(agg: BarAggregator, bars: list[Bar]) -> list[Bar]:
    return [out for bar in bars for out in agg.update(bar)]


def _columns(bars: list[Bar]) -> dict[str, np.ndarray]:
    return {f: np.array([getattr(b, f) for b in bars]) for f in FIELDS}


def _pandas(series: BarSeries, target: str, offset_ms: int = 0) -> pd.DataFrame:
    df = pd.DataFrame(
        {f: getattr(series, f) for f in FIELDS[1:]},
        index=pd.to_datetime(series.open_time, unit="ms"),
    )
    out = df.resample(
        pd.Timedelta(milliseconds=INTERVAL_MS[target]),
        label="left",
        closed="left",
        origin="epoch",
        offset=pd.Timedelta(milliseconds=offset_ms),
    ).agg({"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"})
    out = out.dropna()  # buckets with no source bar (none in the bundled data)
    out.insert(0, "open_time", out.index.as_unit("ms").asi8)
    return out


def _bar(i: int, closed: bool = True, **values: float) -> Bar:
    """The i-th 1m bar after T0, with distinct, recognisable prices."""
    t = T0 + i * 60_000
    v = {
        "open": 100.0 + i,
        "high": 102.0 + i,
        "low": 99.0 + i,
        "close": 101.0 + i,
        "volume": 1.0 + i,
    }
    v.update(values)
    return Bar(VENUE, "BTCUSDT", "1m", t, t + 59_999, **v, closed=closed)


def _ohlcv(b: Bar) -> tuple[int, int, float, float, float, float, float, bool]:
    return (b.open_time, b.close_time, b.open, b.high, b.low, b.close, b.volume, b.closed)


# -- real data: streaming == pandas == resample -----------------------------------------------


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT"])
@pytest.mark.parametrize("target", TARGETS)
def test_bar_aggregator_when_fed_real_1m_bars_matches_pandas_resample_exactly(
    real: dict[str, BarSeries], real_bars: dict[str, list[Bar]], symbol: str, target: str
) -> None:
    series = real[symbol]
    out = _stream(BarAggregator(target), real_bars[symbol])
    ref = _pandas(series, target)
    step = INTERVAL_MS[target]
    last_complete = series.open_time[-1] + 60_000 == ref["open_time"].iloc[-1] + step
    assert len(out) == len(ref) - (0 if last_complete else 1)  # only the open tail is held back
    got = _columns(out)
    for f in FIELDS:
        np.testing.assert_array_equal(got[f], ref[f].to_numpy()[: len(out)], err_msg=f)
    assert {(b.venue, b.symbol, b.interval, b.closed) for b in out} == {
        (VENUE, symbol, target, True)
    }
    assert all(b.close_time == b.open_time + step - 1 for b in out)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT"])
@pytest.mark.parametrize("target", TARGETS)
def test_resample_when_given_real_bars_equals_streaming_output_exactly(
    real: dict[str, BarSeries], real_bars: dict[str, list[Bar]], symbol: str, target: str
) -> None:
    series = real[symbol]
    got = resample(series, target)
    want = _columns(_stream(BarAggregator(target), real_bars[symbol]))
    assert (got.symbol, got.interval) == (symbol, target)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(got, f), want[f], err_msg=f)


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT"])
def test_bar_aggregator_when_day_offset_is_9h_matches_pandas_offset_9h(
    real: dict[str, BarSeries], real_bars: dict[str, list[Bar]], symbol: str
) -> None:
    series = real[symbol]
    out = _stream(BarAggregator("1d", day_offset_ms=NINE_HOURS), real_bars[symbol])
    ref = _pandas(series, "1d", NINE_HOURS)
    assert len(out) >= 29
    assert all(b.open_time % 86_400_000 == NINE_HOURS for b in out)  # 09:00 UTC = 00:00 UTC+9
    got = _columns(out)
    for f in FIELDS:
        np.testing.assert_array_equal(got[f], ref[f].to_numpy()[: len(out)], err_msg=f)
    twin = resample(series, "1d", day_offset_ms=NINE_HOURS)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(twin, f), got[f], err_msg=f)


def test_resample_when_complete_only_is_false_keeps_the_trailing_incomplete_bucket(
    real: dict[str, BarSeries],
) -> None:
    series = real["BTCUSDT"]
    full = resample(series, "1d", complete_only=False)
    ref = _pandas(series, "1d")
    assert len(full) == len(ref) == len(resample(series, "1d")) + 1
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(full, f), ref[f].to_numpy(), err_msg=f)


def test_resample_when_complete_only_is_false_tail_equals_partial(
    real: dict[str, BarSeries], real_bars: dict[str, list[Bar]]
) -> None:
    series = real["ETHUSDT"]
    agg = BarAggregator("4h")
    _stream(agg, real_bars["ETHUSDT"])
    full = resample(series, "4h", complete_only=False)
    tail = full.slice(len(full) - 1, len(full))
    p = agg.partial()
    assert p is not None and not p.closed
    assert [p.open_time, p.open, p.high, p.low, p.close, p.volume] == [
        getattr(tail, f)[0] for f in FIELDS
    ]


def test_segment_sum_when_compared_with_numpy_reduceat_is_bit_identical() -> None:
    rng = np.random.default_rng(7)
    first = np.zeros(1, dtype=np.intp)
    for n in range(1, 1500):
        for x in (
            np.round(rng.lognormal(3.0, 2.0, n), 3),
            rng.random(n) + 1e6 * (rng.random(n) < 0.1),
        ):
            assert segment_sum(x.tolist()) == np.add.reduceat(x, first)[0], n


def test_aggregation_intervals_when_compared_with_marketdata_intervals_are_equal() -> None:
    assert AGGREGATION_INTERVAL_MS == INTERVAL_MS


# -- hand-built cases ------------------------------------------------------------------------


def test_bar_aggregator_when_bucket_is_full_emits_it_on_its_last_source_bar() -> None:
    agg = BarAggregator("5m")
    assert [agg.update(_bar(i)) for i in range(4)] == [[], [], [], []]
    (done,) = agg.update(_bar(4))
    assert _ohlcv(done) == (T0, T0 + 299_999, 100.0, 106.0, 99.0, 105.0, 15.0, True)
    assert (done.venue, done.symbol, done.interval) == (VENUE, "BTCUSDT", "5m")
    assert agg.partial() is None


def test_bar_aggregator_when_gap_inside_bucket_builds_it_from_the_bars_present() -> None:
    agg = BarAggregator("5m")
    out = _stream(agg, [_bar(0), _bar(1), _bar(3, high=200.0), _bar(4)])  # minute 2 missing
    assert [_ohlcv(b) for b in out] == [
        (T0, T0 + 299_999, 100.0, 200.0, 99.0, 105.0, 1.0 + 2.0 + 4.0 + 5.0, True)
    ]


def test_bar_aggregator_when_bucket_end_is_missing_emits_it_before_the_next_bucket() -> None:
    agg = BarAggregator("5m")
    assert _stream(agg, [_bar(0), _bar(1), _bar(2)]) == []  # minutes 3 and 4 never come
    (late,) = agg.update(_bar(5))  # first bar of the next bucket flushes the incomplete one
    assert _ohlcv(late) == (T0, T0 + 299_999, 100.0, 104.0, 99.0, 103.0, 6.0, True)
    (nxt,) = _stream(agg, [_bar(i) for i in range(6, 10)])
    assert _ohlcv(nxt) == (T0 + 300_000, T0 + 599_999, 105.0, 111.0, 104.0, 110.0, 40.0, True)


def test_bar_aggregator_when_gap_skips_a_whole_bucket_emits_nothing_for_it() -> None:
    agg = BarAggregator("5m")
    out = _stream(agg, [*(_bar(i) for i in range(5)), *(_bar(i) for i in range(10, 15))])
    assert [b.open_time for b in out] == [T0, T0 + 600_000]  # no bar for T0 + 5 min


def test_bar_aggregator_when_gap_ends_on_a_bucket_last_bar_returns_two_bars() -> None:
    agg = BarAggregator("5m")
    _stream(agg, [_bar(0), _bar(1)])
    old, new = agg.update(_bar(9))  # the only bar of the second bucket is its last minute
    assert (old.open_time, old.volume, old.closed) == (T0, 3.0, True)
    assert _ohlcv(new) == (T0 + 300_000, T0 + 599_999, 109.0, 111.0, 108.0, 110.0, 10.0, True)
    assert agg.partial() is None


def test_bar_aggregator_when_stream_starts_mid_bucket_emits_the_short_first_bucket() -> None:
    agg = BarAggregator("15m")
    (first,) = _stream(agg, [_bar(i) for i in range(12, 15)])
    assert (first.open_time, first.open, first.close, first.volume) == (T0, 112.0, 115.0, 42.0)


def test_bar_aggregator_when_source_bar_in_progress_ignores_it_in_the_completed_bar() -> None:
    agg = BarAggregator("3m")
    agg.update(_bar(0))
    assert agg.update(_bar(1, closed=False, high=999.0, low=1.0, volume=500.0)) == []
    agg.update(_bar(1))
    assert agg.update(_bar(2, closed=False, close=7.0)) == []
    (done,) = agg.update(_bar(2))
    assert _ohlcv(done) == (T0, T0 + 179_999, 100.0, 104.0, 99.0, 103.0, 6.0, True)


def test_bar_aggregator_when_bar_is_stale_or_duplicated_ignores_it() -> None:
    agg = BarAggregator("3m")
    _stream(agg, [_bar(0), _bar(1)])
    assert agg.update(_bar(1, high=999.0)) == []  # redelivered after a reconnect
    assert agg.update(_bar(0, closed=False, high=999.0)) == []
    (done,) = agg.update(_bar(2))
    assert (done.high, done.volume) == (104.0, 6.0)


def test_partial_when_nothing_counted_is_none() -> None:
    assert BarAggregator("1h").partial() is None


def test_partial_when_bucket_in_progress_shows_it_as_an_open_bar() -> None:
    agg = BarAggregator("1h")
    _stream(agg, [_bar(0), _bar(1, low=50.0)])
    p = agg.partial()
    assert p is not None
    assert (p.venue, p.symbol, p.interval) == (VENUE, "BTCUSDT", "1h")
    assert _ohlcv(p) == (T0, T0 + 3_599_999, 100.0, 103.0, 50.0, 102.0, 3.0, False)


def test_partial_when_source_bar_in_progress_includes_it() -> None:
    agg = BarAggregator("1h")
    _stream(agg, [_bar(0), _bar(1)])
    agg.update(_bar(2, closed=False, high=150.0, close=120.0, volume=0.5))
    p = agg.partial()
    assert p is not None
    assert _ohlcv(p) == (T0, T0 + 3_599_999, 100.0, 150.0, 99.0, 120.0, 3.5, False)
    agg.update(_bar(2))  # the source bar closes: partial shows the closed values again
    p = agg.partial()
    assert p is not None and (p.high, p.close, p.volume) == (104.0, 103.0, 6.0)


def test_partial_when_in_progress_bar_starts_a_later_bucket_shows_that_bucket() -> None:
    agg = BarAggregator("5m")
    _stream(agg, [_bar(0), _bar(1)])
    agg.update(_bar(7, closed=False))
    p = agg.partial()
    assert p is not None
    assert _ohlcv(p) == (T0 + 300_000, T0 + 599_999, 107.0, 109.0, 106.0, 108.0, 8.0, False)


def test_bar_aggregator_when_day_offset_set_starts_buckets_there() -> None:
    agg = BarAggregator("4h", day_offset_ms=3_600_000)  # 01:00, 05:00, ... UTC
    out = _stream(agg, [_bar(i) for i in range(0, 300)])
    assert [b.open_time - T0 for b in out] == [-3 * 3_600_000, 3_600_000]
    assert out[0].volume == sum(1.0 + i for i in range(60))  # 00:00-01:00 only: a short bucket


def test_bar_aggregator_when_source_is_not_1m_aggregates_on_its_grid() -> None:
    agg = BarAggregator("1h", source_interval="15m")
    bars = [
        Bar(
            VENUE,
            "ETHUSDT",
            "15m",
            T0 + k * 900_000,
            T0 + k * 900_000 + 899_999,
            1.0,
            2.0,
            0.5,
            1.5,
            1.0,
        )
        for k in range(4)
    ]
    (done,) = _stream(agg, bars)
    assert (done.interval, done.open_time, done.close_time, done.volume) == (
        "1h",
        T0,
        T0 + 3_599_999,
        4.0,
    )


# -- validation ------------------------------------------------------------------------------


def test_bar_aggregator_when_target_unknown_names_it_and_the_allowed_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"target_interval: unknown interval '7m': expected one of 1m, 3m, 5m"
    ):
        BarAggregator("7m")


def test_bar_aggregator_when_source_unknown_names_it() -> None:
    with pytest.raises(ConfigError, match=r"source_interval: unknown interval '60s'"):
        BarAggregator("5m", source_interval="60s")


def test_bar_aggregator_when_target_equals_source_refuses_it() -> None:
    with pytest.raises(
        ConfigError, match=r"target_interval: '1m' equals source_interval .*use one of 3m, 5m"
    ):
        BarAggregator("1m")


def test_bar_aggregator_when_target_not_a_multiple_of_source_lists_the_valid_targets() -> None:
    with pytest.raises(
        ConfigError,
        match=r"'5m' is not a whole multiple of source_interval '3m': use one of 15m, 30m, 1h",
    ):
        BarAggregator("5m", source_interval="3m")
    with pytest.raises(ConfigError, match=r"'1m' is not a whole multiple of source_interval '5m'"):
        BarAggregator("1m", source_interval="5m")


@pytest.mark.parametrize("offset", [-3_600_000, 86_400_000, 90_000, 30_000])
def test_bar_aggregator_when_day_offset_out_of_range_or_off_grid_says_what_is_allowed(
    offset: int,
) -> None:
    with pytest.raises(
        ConfigError, match=r"day_offset_ms: .* must be in \[0, 86400000\) .* multiple of 60000"
    ):
        BarAggregator("1d", day_offset_ms=offset)


@pytest.mark.parametrize("offset", [1.5, True, "9h"])
def test_bar_aggregator_when_day_offset_not_an_int_refuses_it(offset: object) -> None:
    with pytest.raises(
        ConfigError, match=r"day_offset_ms: must be an integer number of milliseconds"
    ):
        BarAggregator("1d", day_offset_ms=offset)  # type: ignore[arg-type]


def test_bar_aggregator_when_bar_of_another_interval_arrives_names_both() -> None:
    agg = BarAggregator("5m")
    bad = Bar(VENUE, "BTCUSDT", "5m", T0, T0 + 299_999, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(DataError, match=r"expects 1m bars, got BTCUSDT interval='5m'"):
        agg.update(bad)


def test_bar_aggregator_when_bar_off_the_grid_names_its_open_time() -> None:
    agg = BarAggregator("5m")
    bad = Bar(VENUE, "BTCUSDT", "1m", T0 + 1_000, T0 + 60_999, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(DataError, match=rf"open_time={T0 + 1_000} is not on the 1m grid"):
        agg.update(bad)


def test_bar_aggregator_when_second_symbol_arrives_refuses_it() -> None:
    agg = BarAggregator("5m")
    agg.update(_bar(0))
    other = Bar(VENUE, "ETHUSDT", "1m", T0 + 60_000, T0 + 119_999, 1.0, 1.0, 1.0, 1.0, 1.0)
    with pytest.raises(
        DataError, match=r"binanceusdm:BTCUSDT was given a bar of binanceusdm:ETHUSDT"
    ):
        agg.update(other)


def test_resample_when_series_off_the_grid_names_the_row() -> None:
    t = np.array([T0, T0 + 60_000, T0 + 150_000], dtype=np.int64)
    ones = np.ones(3)
    series = BarSeries("BTCUSDT", "1m", t, ones, ones, ones, ones, ones)
    with pytest.raises(DataError, match=r"BTCUSDT: row 2 open_time=.* is not on the 1m grid"):
        resample(series, "5m")


def test_resample_when_series_unsorted_names_the_row() -> None:
    t = np.array([T0, T0 + 120_000, T0 + 60_000], dtype=np.int64)
    ones = np.ones(3)
    series = BarSeries("BTCUSDT", "1m", t, ones, ones, ones, ones, ones)
    with pytest.raises(DataError, match=r"BTCUSDT: row 2 open_time=.* is not after row 1"):
        resample(series, "5m")


def test_resample_when_series_empty_returns_an_empty_series() -> None:
    empty = np.empty(0)
    series = BarSeries(
        "BTCUSDT", "1m", np.empty(0, dtype=np.int64), empty, empty, empty, empty, empty
    )
    out = resample(series, "1h")
    assert (len(out), out.interval) == (0, "1h")
