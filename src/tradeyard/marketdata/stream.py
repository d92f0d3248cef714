"""Stream Parquet bars in time windows: a backtest over years of data without loading it whole.

`ParquetBarSource` reads each symbol's file in record batches (pyarrow `iter_batches`) and hands
out consecutive time windows across all symbols (see `tradeyard.backtest.merge.BarSource`):
memory is O(symbols × batch), whatever the length of history. Every batch gets the same checks
as a whole-file load, including across batch boundaries (order, duplicates, grid).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from tradeyard.errors import DataError
from tradeyard.marketdata.bars import (
    REQUIRED_COLUMNS,
    BarSeries,
    _present_columns,
    checked_series,
    interval_ms,
)

__all__ = ["ParquetBarSource"]


class _SymbolReader:
    """One file's checked batches, with what is left of the current one."""

    def __init__(
        self,
        path: Path,
        symbol: str,
        interval: str,
        batch_rows: int,
        start: int | None,
        end: int | None,
    ) -> None:
        self.path, self.symbol, self.interval = path, symbol, interval
        self.start, self.end = start, end
        self._batches = pq.ParquetFile(path).iter_batches(
            batch_size=batch_rows, columns=_present_columns(path)
        )
        self._row = 0
        self._prev: int | None = None
        self.buffer: BarSeries | None = None
        self.done = False

    def fill(self) -> None:
        """Make sure the buffer holds at least one row, unless the file is exhausted."""
        while not self.done and (self.buffer is None or len(self.buffer) == 0):
            batch = next(self._batches, None)
            if batch is None:
                self.done = True
                return
            cols = {c: batch.column(c).to_numpy(zero_copy_only=False) for c in REQUIRED_COLUMNS}
            series = checked_series(
                self.path.name, self.symbol, self.interval, cols, self._row, self._prev
            )
            self._row += len(series)
            if len(series):
                self._prev = int(series.open_time[-1])
            lo = 0 if self.start is None else int(np.searchsorted(series.open_time, self.start))
            hi = (
                len(series)
                if self.end is None
                else int(np.searchsorted(series.open_time, self.end, "right"))
            )
            if self.end is not None and len(series) and series.open_time[0] > self.end:
                self.done = True
            self.buffer = series.slice(lo, hi)

    def take_until(self, t: int) -> BarSeries | None:
        """Remove and return the buffered rows with open_time <= t."""
        buf = self.buffer
        if buf is None or len(buf) == 0:
            return None
        k = int(np.searchsorted(buf.open_time, t, "right"))
        self.buffer = buf.slice(k, len(buf))
        return buf.slice(0, k) if k else None


class ParquetBarSource:
    """Bars of several `<SYMBOL>.parquet` files (or one file), streamed as time windows."""

    def __init__(
        self,
        path: str | Path,
        symbols: Sequence[str] | None = None,
        interval: str = "1m",
        start: int | None = None,
        end: int | None = None,
        batch_rows: int = 65_536,
    ) -> None:
        interval_ms(interval)
        p = Path(path)
        if p.is_dir():
            available = {f.stem: f for f in sorted(p.glob("*.parquet"))}
            wanted = list(symbols) if symbols else list(available)
            missing = [s for s in wanted if s not in available]
            if missing or not wanted:
                raise DataError(
                    f"symbol(s) {', '.join(missing) or '(none)'} not found in {str(p)!r} "
                    f"(available: {', '.join(available) or 'no .parquet files'})"
                )
            self.files = {s: available[s] for s in wanted}
        elif p.is_file():
            self.files = {(symbols[0] if symbols else p.stem): p}
        else:
            raise DataError(f"data path {str(p)!r} does not exist")
        self.symbols = list(self.files)
        self.interval = interval
        self.start, self.end, self.batch_rows = start, end, batch_rows

    def row_count(self) -> int:
        """Rows in the files (before any --from/--to cut), from their metadata: for progress bars."""
        return sum(pq.ParquetFile(f).metadata.num_rows for f in self.files.values())

    def windows(self) -> Iterator[dict[str, BarSeries]]:
        readers = [
            _SymbolReader(f, s, self.interval, self.batch_rows, self.start, self.end)
            for s, f in self.files.items()
        ]
        while True:
            for r in readers:
                r.fill()
            live = [r for r in readers if r.buffer is not None and len(r.buffer)]
            if not live:
                return
            # Everything up to the earliest "last buffered row" is known for every symbol.
            until = min(int(r.buffer.open_time[-1]) for r in live)  # type: ignore[union-attr]
            window = {}
            for r in live:
                part = r.take_until(until)
                if part is not None:
                    window[r.symbol] = part
            yield window
