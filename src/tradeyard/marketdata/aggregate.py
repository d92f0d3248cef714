"""Higher-interval bars from lower ones: the streaming `BarAggregator` and its vectorised twin.

`BarAggregator` (defined in `tradeyard.bots.aggregator`, where bots may import it) is what the
runtime runs, in backtests and live alike. `resample` computes the same bars from a whole
BarSeries at once, for research and reports; both apply the same rules (bucket alignment,
`day_offset_ms`, OHLCV, and the volume summed in `np.add.reduceat`'s order) and give bit-identical
results, which the tests check on the bundled data and against pandas.
"""

from __future__ import annotations

import numpy as np

from tradeyard.bots.aggregator import BarAggregator
from tradeyard.errors import DataError
from tradeyard.marketdata.bars import BarSeries

__all__ = ["BarAggregator", "resample"]


def resample(
    series: BarSeries,
    target_interval: str,
    day_offset_ms: int = 0,
    complete_only: bool = True,
) -> BarSeries:
    """`series` aggregated to `target_interval`: one row per bucket that holds a source bar.

    Buckets with no source bar are skipped, as the streaming aggregator skips them. A bucket
    missing some source bars is kept (built from the bars it has). With `complete_only` (the
    default) a trailing bucket whose last source bar is not the bucket's last one is dropped:
    the streaming aggregator has not emitted it yet, so the two agree row for row. Pass False
    to keep it: its OHLCV is then what the aggregator's `partial()` shows at the end of the data.
    """
    agg = BarAggregator(target_interval, series.interval, day_offset_ms)
    src, tgt = agg.source_ms, agg.target_ms
    ot = np.asarray(series.open_time, dtype=np.int64)
    n = ot.shape[0]
    if n == 0:
        empty = np.empty(0, dtype=np.float64)
        return BarSeries(series.symbol, target_interval, ot, empty, empty, empty, empty, empty)
    _check_grid(series, ot, src)
    start = ot - (ot - day_offset_ms) % tgt
    firsts = np.flatnonzero(np.r_[True, start[1:] != start[:-1]])
    lasts = np.r_[firsts[1:] - 1, n - 1]
    out = BarSeries(
        series.symbol,
        target_interval,
        start[firsts],
        series.open[firsts],
        np.maximum.reduceat(series.high, firsts),
        np.minimum.reduceat(series.low, firsts),
        series.close[lasts],
        # Contiguous float64, so numpy sums each segment pairwise with no buffering in between:
        # the order `segment_sum` (the streaming side) reproduces.
        np.add.reduceat(np.ascontiguousarray(series.volume, dtype=np.float64), firsts),
    )
    if complete_only and ot[-1] != start[-1] + tgt - src:
        out = out.slice(0, len(out) - 1)
    return out


def _check_grid(series: BarSeries, ot: np.ndarray, src: int) -> None:
    off = np.flatnonzero(ot % src)
    if off.size:
        i = int(off[0])
        raise DataError(
            f"{series.symbol}: row {i} open_time={int(ot[i])} is not on the {series.interval} "
            f"grid (not a multiple of {src} ms since the epoch): pass the data's real interval"
        )
    bad = np.flatnonzero(np.diff(ot) <= 0)
    if bad.size:
        i = int(bad[0]) + 1
        raise DataError(
            f"{series.symbol}: row {i} open_time={int(ot[i])} is not after row {i - 1} "
            f"({int(ot[i - 1])}): sort by open_time and drop duplicates"
        )
