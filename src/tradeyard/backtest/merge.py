"""The one place that merges many symbols' bars into one time-ordered stream.

Bars are ordered by (close time, symbol position in the run's symbol list) and handed out in
chunks, so that indicators can be precomputed a chunk at a time. Each chunk also gives each
symbol's own slice (for priming).

Two kinds of input:
* a list of in-memory `BarSeries` (cut here into windows of about `chunk_size` bars);
* a `BarSource` that yields consecutive time windows itself, so the history never has to be
  in memory at once: memory is O(window), however long the backtest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol, runtime_checkable

import msgspec
import numpy as np

from tradeyard.marketdata import BarSeries, interval_ms

__all__ = ["BarSource", "MergedChunk", "merge_window", "merged_chunks", "series_windows"]


@runtime_checkable
class BarSource(Protocol):
    """Bars streamed as consecutive time windows.

    Each window maps symbols to their rows in one time range; every row of a window is earlier
    than every row of the next window. A symbol may be absent from a window (no bars there).
    """

    symbols: list[str]
    interval: str

    def windows(self) -> Iterator[dict[str, BarSeries]]: ...


class MergedChunk(msgspec.Struct):
    """One chunk of the merged stream, as Python lists (fast to index in the hot loop).

    The lists are built only when asked for (`columns=True`); an engine that visits few rows
    reads `per_symbol` and the numpy arrays instead.
    """

    per_symbol: dict[str, BarSeries]  # each symbol's rows in this chunk, in time order
    symbol: list[str]
    open_time: list[int]
    close_time: list[int]
    open: list[float]
    high: list[float]
    low: list[float]
    close: list[float]
    volume: list[float]
    last_of_time: list[bool]  # True on the last bar of each close time
    inverse: Any = None  # merged row of each bar, with the symbols' rows laid end to end
    offsets: dict[str, int] = msgspec.field(default_factory=dict)  # each symbol's first there
    n_rows: int = 0
    last: Any = None  # last_of_time as a numpy bool array
    close_times: Any = None  # close_time as a numpy int64 array

    def __len__(self) -> int:
        return self.n_rows

    def merged_rows(self, symbol: str) -> list[int]:
        """The row in this chunk of each of `symbol`'s bars (`per_symbol[symbol]`), in order."""
        return self.merged_rows_array(symbol).tolist()  # type: ignore[no-any-return]

    def merged_rows_array(self, symbol: str) -> np.ndarray:
        start = self.offsets[symbol]
        return self.inverse[start : start + len(self.per_symbol[symbol])]  # type: ignore[no-any-return]


def merged_chunks(
    bars: Sequence[BarSeries] | BarSource, chunk_size: int = 65_536, columns: bool = True
) -> Iterator[MergedChunk]:
    if isinstance(bars, BarSource):
        order, windows = list(bars.symbols), bars.windows()
    else:
        order, windows = [s.symbol for s in bars], series_windows(bars, chunk_size)
    for window in windows:
        if window:
            yield merge_window(window, order, columns)


def series_windows(series: Sequence[BarSeries], chunk_size: int) -> Iterator[dict[str, BarSeries]]:
    """Cut in-memory series into consecutive time windows of about `chunk_size` bars in all."""
    if not series:
        return
    per = max(1, chunk_size // len(series))
    ptr = [0] * len(series)
    while True:
        live = [i for i, s in enumerate(series) if ptr[i] < len(s)]
        if not live:
            return
        end_t = min(int(series[i].open_time[min(ptr[i] + per, len(series[i])) - 1]) for i in live)
        window: dict[str, BarSeries] = {}
        for i in live:
            s = series[i]
            stop = int(np.searchsorted(s.open_time, end_t, "right"))
            if stop > ptr[i]:
                window[s.symbol] = s.slice(ptr[i], stop)
                ptr[i] = stop
        yield window


def merge_window(
    window: dict[str, BarSeries], order: Sequence[str], columns: bool = True
) -> MergedChunk:
    """Merge one window's symbols by (close time, position of the symbol in `order`).

    `columns=False` leaves the per-row lists empty (see `MergedChunk`)."""
    rank = {s: i for i, s in enumerate(order)}
    parts = sorted(window.items(), key=lambda kv: rank[kv[0]])
    step = interval_ms(parts[0][1].interval) - 1
    sym_idx = np.concatenate([np.full(len(p), rank[s], dtype=np.int64) for s, p in parts])
    ot = np.concatenate([p.open_time for _, p in parts])
    ct = ot + step
    idx = np.lexsort((sym_idx, ct))
    ct_sorted = ct[idx]
    last = np.empty(len(idx), dtype=bool)
    last[:-1] = ct_sorted[1:] != ct_sorted[:-1]
    last[-1] = True

    def col(name: str) -> list[float]:
        if not columns:
            return []
        return np.concatenate([getattr(p, name) for _, p in parts])[idx].tolist()  # type: ignore[no-any-return]

    names = list(order)
    inverse = np.empty_like(idx)
    inverse[idx] = np.arange(len(idx))
    offsets, start = {}, 0
    for s, p in parts:
        offsets[s] = start
        start += len(p)
    return MergedChunk(
        per_symbol=dict(parts),
        symbol=[names[k] for k in sym_idx[idx].tolist()] if columns else [],
        open_time=ot[idx].tolist() if columns else [],
        close_time=ct_sorted.tolist() if columns else [],
        open=col("open"),
        high=col("high"),
        low=col("low"),
        close=col("close"),
        volume=col("volume"),
        last_of_time=last.tolist() if columns else [],
        inverse=inverse,
        offsets=offsets,
        n_rows=len(idx),
        last=last,
        close_times=ct_sorted,
    )
