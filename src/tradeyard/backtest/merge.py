"""The one place that merges many symbols' bars into one time-ordered stream.

Bars are ordered by (close time, symbol position in the run's symbol list), handed out in
chunks so that memory stays O(chunk) whatever the length of history, and so that indicators can
be precomputed a chunk at a time. Each chunk also gives each symbol's own slice (for priming).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import msgspec
import numpy as np

from tradeyard.marketdata import BarSeries, interval_ms

__all__ = ["MergedChunk", "merged_chunks"]


class MergedChunk(msgspec.Struct):
    """One chunk of the merged stream, as Python lists (fast to index in the hot loop)."""

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

    def __len__(self) -> int:
        return len(self.symbol)


def merged_chunks(series: Sequence[BarSeries], chunk_size: int = 65_536) -> Iterator[MergedChunk]:
    if not series:
        return
    interval = series[0].interval
    step = interval_ms(interval) - 1
    per = max(1, chunk_size // len(series))
    ptr = [0] * len(series)
    while True:
        live = [i for i, s in enumerate(series) if ptr[i] < len(s)]
        if not live:
            return
        end_t = min(int(series[i].open_time[min(ptr[i] + per, len(series[i])) - 1]) for i in live)
        parts: dict[str, BarSeries] = {}
        idx_parts, ot_parts = [], []
        cols: dict[str, list[np.ndarray]] = {
            c: [] for c in ("open", "high", "low", "close", "volume")
        }
        for i in live:
            s = series[i]
            stop = int(np.searchsorted(s.open_time, end_t, "right"))
            if stop == ptr[i]:
                continue
            part = s.slice(ptr[i], stop)
            ptr[i] = stop
            parts[s.symbol] = part
            idx_parts.append(np.full(len(part), i, dtype=np.int64))
            ot_parts.append(part.open_time)
            for c in cols:
                cols[c].append(getattr(part, c))
        sym_idx = np.concatenate(idx_parts)
        ot = np.concatenate(ot_parts)
        ct = ot + step
        order = np.lexsort((sym_idx, ct))
        ct_sorted = ct[order]
        last = np.empty(len(order), dtype=bool)
        last[:-1] = ct_sorted[1:] != ct_sorted[:-1]
        last[-1] = True
        names = [s.symbol for s in series]
        yield MergedChunk(
            per_symbol=parts,
            symbol=[names[k] for k in sym_idx[order].tolist()],
            open_time=ot[order].tolist(),
            close_time=ct_sorted.tolist(),
            open=np.concatenate(cols["open"])[order].tolist(),
            high=np.concatenate(cols["high"])[order].tolist(),
            low=np.concatenate(cols["low"])[order].tolist(),
            close=np.concatenate(cols["close"])[order].tolist(),
            volume=np.concatenate(cols["volume"])[order].tolist(),
            last_of_time=last.tolist(),
        )
