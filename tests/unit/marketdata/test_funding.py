"""Funding-rate files: what is read, and bad files refused with the row and the fix."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from tradeyard.errors import DataError
from tradeyard.marketdata import load_funding

T0 = 1_746_000_000_000
H8 = 8 * 3_600_000


def _write(path: Path, times: list[object], rates: list[float]) -> Path:
    pd.DataFrame({"funding_time": times, "funding_rate": rates}).to_parquet(path)
    return path


def test_load_funding_from_folder_sorts_by_time_and_skips_symbols_without_a_file(
    tmp_path: Path,
) -> None:
    _write(tmp_path / "BTCUSDT.parquet", [T0 + H8, T0], [0.0002, 0.0001])
    got = load_funding(tmp_path, ["BTCUSDT", "ETHUSDT"])
    assert got == {"BTCUSDT": [(T0, 0.0001), (T0 + H8, 0.0002)]}


def test_load_funding_from_one_file_when_one_symbol_takes_it(tmp_path: Path) -> None:
    f = _write(tmp_path / "rates.parquet", [T0], [-0.0003])
    assert load_funding(f, ["ETHUSDT"]) == {"ETHUSDT": [(T0, -0.0003)]}
    with pytest.raises(DataError, match="one file but 2 symbols are traded"):
        load_funding(f, ["ETHUSDT", "BTCUSDT"])


def test_load_funding_when_times_are_datetimes_reads_them_as_ms(tmp_path: Path) -> None:
    f = _write(tmp_path / "X.parquet", [pd.Timestamp(T0, unit="ms", tz="UTC")], [0.0001])
    assert load_funding(f, ["X"]) == {"X": [(T0, 0.0001)]}


@pytest.mark.parametrize(
    ("times", "rates", "message"),
    [
        ([T0, T0 + H8], [0.0001, float("nan")], "funding_rate is missing or not finite at row 1"),
        ([T0], [0.5], r"funding_rate 0.5 at row 0 is 50 % per interval: rates are fractions"),
        ([T0 // 1000], [0.0001], "not in milliseconds since the epoch"),
    ],
)
def test_load_funding_when_file_is_bad_names_the_row_and_the_fix(
    tmp_path: Path, times: list[object], rates: list[float], message: str
) -> None:
    _write(tmp_path / "X.parquet", times, rates)
    with pytest.raises(DataError, match=message):
        load_funding(tmp_path, ["X"])


def test_load_funding_when_path_missing_or_not_parquet_says_so(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        load_funding(tmp_path / "nope", ["X"])
    (tmp_path / "X.parquet").write_text("funding_time,funding_rate\n")
    with pytest.raises(DataError, match="cannot read as Parquet"):
        load_funding(tmp_path, ["X"])


def test_load_funding_when_column_missing_names_it(tmp_path: Path) -> None:
    pd.DataFrame({"time": [T0], "funding_rate": [0.0001]}).to_parquet(tmp_path / "X.parquet")
    with pytest.raises(DataError, match="missing column funding_time"):
        load_funding(tmp_path, ["X"])
