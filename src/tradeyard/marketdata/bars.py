"""Load OHLCV bars from Parquet, check them, and hand them out as typed column arrays.

The accepted shape is Binance's kline columns: `open_time` (int ms UTC), `open`, `high`, `low`,
`close`, `volume`. A path is one Parquet file (its symbol is the file name without extension,
unless the caller names it) or a folder of `<SYMBOL>.parquet` files. Anything that would make a
backtest silently wrong (a missing column, unsorted or duplicated bars, non-finite prices, times
in seconds instead of milliseconds) stops with a one-line DataError that names the file, the
row and the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np
import pyarrow.parquet as pq

from tradeyard.errors import DataError
from tradeyard.events.intervals import INTERVAL_MS

__all__ = [
    "INTERVAL_MS",
    "REQUIRED_COLUMNS",
    "BarSeries",
    "interval_ms",
    "load_bars",
    "parse_time",
]

REQUIRED_COLUMNS = ("open_time", "open", "high", "low", "close", "volume")
# Plausible epoch range for millisecond timestamps: 2001-09-09 .. 2286-11-20.
_MS_MIN, _MS_MAX = 1_000_000_000_000, 9_999_999_999_999
_COARSE_MIN_DIFFS = 10
"""Consecutive-row gaps needed before data is called coarser than its interval."""


class BarSeries(msgspec.Struct):
    """One symbol's bars as column arrays, sorted by open time, no duplicates."""

    symbol: str
    interval: str
    open_time: np.ndarray  # int64 ms UTC
    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    volume: np.ndarray

    def __len__(self) -> int:
        return int(self.open_time.shape[0])

    @property
    def close_time(self) -> np.ndarray:
        return self.open_time + (interval_ms(self.interval) - 1)

    def slice(self, start: int, stop: int) -> BarSeries:
        return BarSeries(
            self.symbol,
            self.interval,
            self.open_time[start:stop],
            self.open[start:stop],
            self.high[start:stop],
            self.low[start:stop],
            self.close[start:stop],
            self.volume[start:stop],
        )


def interval_ms(interval: str) -> int:
    try:
        return INTERVAL_MS[interval]
    except KeyError:
        raise DataError(
            f"unknown interval {interval!r}: expected one of {', '.join(INTERVAL_MS)}"
        ) from None


def parse_time(value: str | int | None, name: str) -> int | None:
    """'2025-05-10', '2025-05-10T12:00' (UTC) or ms since the epoch -> ms; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
        return int(value)
    try:
        ts = np.datetime64(str(value).rstrip("Z"), "ms")
    except ValueError:
        raise DataError(
            f"{name}={value!r} is not a time: use an ISO date such as 2025-05-10 or "
            "2025-05-10T12:00 (UTC), or milliseconds since the epoch"
        ) from None
    return int(ts.astype(np.int64))


def load_bars(
    path: str | Path,
    symbols: Sequence[str] | None = None,
    interval: str = "1m",
    start: int | None = None,
    end: int | None = None,
) -> dict[str, BarSeries]:
    """Bars per symbol from a Parquet file or a folder of `<SYMBOL>.parquet` files.

    `start` / `end` (ms UTC, inclusive open times) cut the range; the check for order and
    duplicates runs on the whole file first.
    """
    interval_ms(interval)
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"data path {str(p)!r} does not exist: give a .parquet file or a folder of <SYMBOL>.parquet files"
        )
    files: dict[str, Path] = {}
    if p.is_dir():
        available = {f.stem: f for f in sorted(p.glob("*.parquet"))}
        if not available:
            raise DataError(f"data folder {str(p)!r} holds no .parquet files")
        wanted = list(symbols) if symbols else list(available)
        missing = [s for s in wanted if s not in available]
        if missing:
            raise DataError(
                f"symbol(s) {', '.join(missing)} not found in {str(p)!r} "
                f"(expected <SYMBOL>.parquet; available: {', '.join(available)})"
            )
        files = {s: available[s] for s in wanted}
    else:
        if symbols and len(symbols) > 1:
            raise DataError(
                f"{str(p)!r} is a single file but {len(symbols)} symbols were named; "
                "give a folder of <SYMBOL>.parquet files for several symbols"
            )
        files = {(symbols[0] if symbols else p.stem): p}
    out: dict[str, BarSeries] = {}
    for symbol, f in files.items():
        series = _read_one(f, symbol, interval)
        first, last = int(series.open_time[0]), int(series.open_time[-1])
        if start is not None or end is not None:
            lo = 0 if start is None else int(np.searchsorted(series.open_time, start, "left"))
            hi = (
                len(series) if end is None else int(np.searchsorted(series.open_time, end, "right"))
            )
            series = series.slice(lo, hi)
        if len(series) == 0:
            raise DataError(
                f"{f.name}: no bars between the requested --from and --to; the file covers "
                f"{_iso(first)} to {_iso(last)} (UTC open times)"
            )
        out[symbol] = series
    return out


def _read_one(f: Path, symbol: str, interval: str) -> BarSeries:
    try:
        table = pq.read_table(f, columns=_present_columns(f))
    except DataError:
        raise
    except Exception as e:  # pyarrow raises several unrelated types for unreadable files
        raise DataError(f"{f.name}: cannot read as Parquet ({e})") from e
    cols = {c: table.column(c).to_numpy() for c in REQUIRED_COLUMNS}
    if len(cols["open_time"]) == 0:
        raise DataError(f"{f.name}: the file holds no rows")
    return checked_series(f.name, symbol, interval, cols)


def _present_columns(f: Path) -> list[str]:
    """The kline columns, after checking the file has them all (names the missing ones)."""
    try:
        names = pq.ParquetFile(f).schema_arrow.names
    except Exception as e:
        raise DataError(f"{f.name}: cannot read as Parquet ({e})") from e
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise DataError(
            f"{f.name}: missing column(s) {', '.join(missing)}; expected Binance kline columns "
            f"{', '.join(REQUIRED_COLUMNS)} (open_time in ms UTC)"
        )
    return list(REQUIRED_COLUMNS)


def checked_series(
    name: str,
    symbol: str,
    interval: str,
    cols: dict[str, np.ndarray],
    row0: int = 0,
    prev_open_time: int | None = None,
) -> BarSeries:
    """Rows of one file as a BarSeries, after every check that keeps a backtest honest.

    `row0` is the file row of the first given row and `prev_open_time` the open time of the row
    just before it, so a file read in batches is checked across batch boundaries too.
    """
    ot = _as_ms(name, cols["open_time"])
    if len(ot) and (ot[0] < _MS_MIN or ot[-1] > _MS_MAX):
        raise DataError(
            f"{name}: open_time {int(ot[0])} is not in milliseconds since the epoch "
            "(seconds or microseconds?): convert to ms UTC"
        )
    # the previous batch's last row joins the checks, as row row0 - 1
    seq = ot if prev_open_time is None else np.concatenate([[prev_open_time], ot])
    first = row0 if prev_open_time is None else row0 - 1
    diffs = np.diff(seq)
    bad = np.flatnonzero(diffs < 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise DataError(
            f"{name}: bars are not sorted by open_time: row {first + i} ({int(seq[i])}) comes "
            f"after {int(seq[i - 1])}; sort the file by open_time"
        )
    dup = np.flatnonzero(diffs == 0)
    if dup.size:
        i = int(dup[0]) + 1
        raise DataError(
            f"{name}: duplicated bar: open_time {int(seq[i])} appears at rows {first + i - 1} "
            f"and {first + i}; drop duplicate rows"
        )
    off = np.flatnonzero(diffs % interval_ms(interval) != 0)
    if off.size:
        i = int(off[0]) + 1
        raise DataError(
            f"{name}: bars are not on a {interval} grid: row {first + i} is {int(diffs[i - 1])} ms "
            "after the previous one; pass the data's real --interval"
        )
    _check_not_coarser(name, interval, diffs)
    arrays = {}
    for c in ("open", "high", "low", "close", "volume"):
        a = np.asarray(cols[c], dtype=np.float64)
        nonfinite = np.flatnonzero(~np.isfinite(a))
        if nonfinite.size:
            raise DataError(
                f"{name}: column {c} has a missing or non-finite value at row "
                f"{row0 + int(nonfinite[0])}"
            )
        arrays[c] = a
    inverted = np.flatnonzero(arrays["high"] < arrays["low"])
    if inverted.size:
        i = int(inverted[0])
        raise DataError(
            f"{name}: row {row0 + i} has high < low ({arrays['high'][i]} < {arrays['low'][i]})"
        )
    _check_ohlc(name, row0, arrays)
    return BarSeries(
        symbol,
        interval,
        ot,
        arrays["open"],
        arrays["high"],
        arrays["low"],
        arrays["close"],
        arrays["volume"],
    )


def _check_not_coarser(name: str, interval: str, diffs: np.ndarray) -> None:
    """Refuse coarser bars read as `interval` (5m data under the default 1m): they are on its
    grid, but every bar would be taken for one `interval` long, with gaps in between.

    Real data has gaps, so only data where no two rows are one `interval` apart, over enough
    rows to tell, is refused.
    """
    step = interval_ms(interval)
    if diffs.size < _COARSE_MIN_DIFFS or (diffs == step).any():
        return
    spacing = int(np.gcd.reduce(diffs.astype(np.int64)))
    label = next((k for k, v in INTERVAL_MS.items() if v == spacing), f"{spacing} ms")
    raise DataError(
        f"{name}: no two bars are {interval} apart (every gap is a multiple of {label}): the "
        f"data looks like {label} bars; pass --interval {label} (data.interval in a config)"
    )


def _check_ohlc(name: str, row0: int, arrays: dict[str, np.ndarray]) -> None:
    """Prices are positive, volume is not negative, and open and close lie within [low, high]
    (to 1e-9 of the price: another source's rounding is not an error)."""
    for c in ("low", "volume"):  # low is the smallest price once the range checks below pass
        a = arrays[c]
        bad = np.flatnonzero(a <= 0.0 if c == "low" else a < 0.0)
        if bad.size:
            i = int(bad[0])
            what = "a price must be > 0" if c == "low" else "volume cannot be negative"
            raise DataError(f"{name}: row {row0 + i} has {c} {a[i]}: {what}")
    low, high = arrays["low"], arrays["high"]
    slack = 1e-9 * high
    for c in ("open", "close"):
        a = arrays[c]
        bad = np.flatnonzero((a < low - slack) | (a > high + slack))
        if bad.size:
            i = int(bad[0])
            raise DataError(
                f"{name}: row {row0 + i} has {c} {a[i]} outside its bar's range "
                f"[low {low[i]}, high {high[i]}]; check the column order (open, high, low, close)"
            )


def _as_ms(name: str, ot: np.ndarray) -> np.ndarray:
    if np.issubdtype(ot.dtype, np.datetime64):
        return ot.astype("datetime64[ms]").astype(np.int64)
    if np.issubdtype(ot.dtype, np.integer):
        return ot.astype(np.int64, copy=False)
    if (
        np.issubdtype(ot.dtype, np.floating)
        and np.all(np.isfinite(ot))
        and np.all(ot == np.floor(ot))
    ):
        return ot.astype(np.int64)
    raise DataError(
        f"{name}: column open_time must hold integer milliseconds since the epoch (UTC), "
        f"found {ot.dtype}"
    )


def _iso(ms: int) -> str:
    return str(np.datetime64(ms, "ms"))[:16]
