"""Loading bars: the bundled data loads, and each kind of bad file stops with a one-line error."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradeyard.errors import DataError
from tradeyard.marketdata import BUNDLED_SYMBOLS, bundled_bars_dir, load_bars, parse_time

T0 = 1_746_373_020_000  # 2025-05-04 15:37 UTC


def _write(path: Path, rows: int = 5, **changes: object) -> Path:
    df = pd.DataFrame(
        {
            "open_time": [T0 + 60_000 * i for i in range(rows)],
            "open": [1.0 + i for i in range(rows)],
            "high": [2.0 + i for i in range(rows)],
            "low": [0.5 + i for i in range(rows)],
            "close": [1.5 + i for i in range(rows)],
            "volume": [10.0] * rows,
        }
    )
    for k, v in changes.items():
        if v is None:
            df = df.drop(columns=[k])
        else:
            df[k] = v
    df.to_parquet(path)
    return path


def test_bundled_data_when_loaded_has_every_symbol_on_a_1m_grid() -> None:
    bars = load_bars(bundled_bars_dir())
    assert set(bars) == set(BUNDLED_SYMBOLS)
    btc = bars["BTCUSDT"]
    assert len(btc) == 43_196
    assert int(btc.open_time[0]) == T0
    assert set((btc.open_time[1:] - btc.open_time[:-1]).tolist()) == {60_000}


def test_single_file_when_loaded_takes_symbol_from_file_name(tmp_path: Path) -> None:
    bars = load_bars(_write(tmp_path / "FOOUSDT.parquet"))
    assert list(bars) == ["FOOUSDT"]
    assert bars["FOOUSDT"].close.tolist() == [1.5, 2.5, 3.5, 4.5, 5.5]


def test_single_file_when_symbol_named_uses_that_symbol(tmp_path: Path) -> None:
    assert list(load_bars(_write(tmp_path / "x.parquet"), ["BTCUSDT"])) == ["BTCUSDT"]


def test_load_when_column_missing_names_it_and_the_expected_columns(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"X.parquet: missing column\(s\) volume; expected"):
        load_bars(_write(tmp_path / "X.parquet", volume=None))


def test_load_when_unsorted_names_the_row(tmp_path: Path) -> None:
    times = [T0, T0 + 120_000, T0 + 60_000, T0 + 180_000, T0 + 240_000]
    with pytest.raises(DataError, match="not sorted by open_time: row 2"):
        load_bars(_write(tmp_path / "X.parquet", open_time=times))


def test_load_when_duplicated_names_both_rows(tmp_path: Path) -> None:
    times = [T0, T0 + 60_000, T0 + 60_000, T0 + 120_000, T0 + 180_000]
    with pytest.raises(
        DataError, match=f"duplicated bar: open_time {T0 + 60_000} appears at rows 1 and 2"
    ):
        load_bars(_write(tmp_path / "X.parquet", open_time=times))


def test_load_when_times_in_seconds_says_to_convert(tmp_path: Path) -> None:
    times = [T0 // 1000 + 60 * i for i in range(5)]
    with pytest.raises(DataError, match="not in milliseconds"):
        load_bars(_write(tmp_path / "X.parquet", open_time=times))


def test_load_when_price_missing_names_column_and_row(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="column close has a missing or non-finite value at row 3"):
        load_bars(_write(tmp_path / "X.parquet", close=[1.0, 1.0, 1.0, float("nan"), 1.0]))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"low": [0.5, 1.5, -1.0, 3.5, 4.5]}, r"row 2 has low -1.0: a price must be > 0"),
        ({"volume": [10.0, -1.0, 10.0, 10.0, 10.0]}, r"row 1 has volume -1.0: volume cannot"),
        (
            {"close": [1.5, 2.5, 3.5, 9.0, 5.5]},  # bar 3 spans [3.5, 5.0]
            r"row 3 has close 9.0 outside its bar's range \[low 3.5, high 5.0\]; check the column",
        ),
        ({"open": [1.0, 0.1, 3.0, 4.0, 5.0]}, r"row 1 has open 0.1 outside its bar's range"),
    ],
)
def test_load_when_bar_is_impossible_names_row_and_value(
    tmp_path: Path, changes: dict[str, list[float]], message: str
) -> None:
    with pytest.raises(DataError, match=message):
        load_bars(_write(tmp_path / "X.parquet", **changes))


def test_load_when_open_or_close_off_range_by_rounding_only_accepts_it(tmp_path: Path) -> None:
    # 2.0 + 1e-12: another source's float rounding, not a broken bar
    bars = load_bars(_write(tmp_path / "X.parquet", close=[2.0 + 1e-12, 2.5, 3.5, 4.5, 5.5]))
    assert bars["X"].close[0] == 2.0 + 1e-12


def test_load_when_symbol_not_in_folder_lists_available(tmp_path: Path) -> None:
    _write(tmp_path / "AAAUSDT.parquet")
    with pytest.raises(DataError, match=r"DOGEUSDT not found .* available: AAAUSDT"):
        load_bars(tmp_path, ["DOGEUSDT"])


def test_load_when_interval_wrong_says_to_pass_real_interval(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not on a 5m grid"):
        load_bars(_write(tmp_path / "X.parquet"), interval="5m")


def test_load_when_bars_are_coarser_than_the_interval_names_their_spacing(tmp_path: Path) -> None:
    # 5m bars are on the 1m grid: read as 1m they would be 1m bars with 4m gaps between them
    times = [T0 + 300_000 * i for i in range(12)]
    f = _write(tmp_path / "X.parquet", rows=12, open_time=times)
    with pytest.raises(DataError, match=r"no two bars are 1m apart .* pass --interval 5m"):
        load_bars(f)
    assert load_bars(f, interval="5m")["X"].open_time.tolist() == times


def test_load_when_1m_data_has_gaps_accepts_it(tmp_path: Path) -> None:
    # one pair of neighbours is enough to tell 1m data with gaps from coarser data
    times = [T0 + 300_000 * i for i in range(11)] + [T0 + 300_000 * 10 + 60_000]
    assert len(load_bars(_write(tmp_path / "X.parquet", rows=12, open_time=times))["X"]) == 12


def test_load_when_range_given_cuts_inclusive_open_times(tmp_path: Path) -> None:
    bars = load_bars(_write(tmp_path / "X.parquet"), start=T0 + 60_000, end=T0 + 180_000)
    assert bars["X"].open_time.tolist() == [T0 + 60_000, T0 + 120_000, T0 + 180_000]


def test_parse_time_when_iso_or_ms_returns_ms_utc() -> None:
    assert parse_time("2025-05-04T15:37", "from") == T0
    assert parse_time(str(T0), "from") == T0
    with pytest.raises(DataError, match="from='yesterday' is not a time"):
        parse_time("yesterday", "from")
