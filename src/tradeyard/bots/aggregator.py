"""Streaming bar aggregation (1m -> 3m, 5m, 15m, 1h, 4h, 1d) and the bot that puts it on the bus.

A strategy on 5m, 1h or 1d bars must see the same bars in a backtest and live. So the runtime
never reads higher intervals from files or from the exchange: it runs an AggregatorBot that
builds them from the source bars on the bus, with the same code in both modes.

`BarAggregator` is the pure streaming core, amortised O(1) per source bar (see the volume below).
It lives here, not in `tradeyard.marketdata`, because bots may import only events, indicators,
bots and errors (tests/unit/test_import_boundaries.py) and `tradeyard.marketdata` pulls in file
I/O; `tradeyard.marketdata.aggregate` re-exports it next to its vectorised twin `resample`.

Semantics, shared with `resample`:

* Buckets are aligned to the UTC epoch, shifted by `day_offset_ms`: a source bar opening at `t`
  belongs to the bucket opening at `t - (t - day_offset_ms) % target_ms`. With offset 0 every
  1d bar starts at 00:00 UTC; 9 h starts it at 09:00 UTC (00:00 in UTC+9).
* OHLCV: open of the first source bar, max high, min low, close of the last, sum of volume.
  Float sums depend on the order of the additions: on the bundled data a plain running sum
  differs from numpy's in the last bit in a quarter of the 3m bars and most 1h bars. So the volume is summed exactly as
  `np.add.reduceat` sums a segment (first value + numpy's pairwise sum of the rest), which is
  what `resample` uses and what pandas (>= 3, sorted groups) computes: live bars, research bars
  and pandas agree bit for bit. That needs the bucket's volumes, so they are kept (at most
  target/source floats, 1440 for 1m -> 1d) and added once, when the bucket is emitted.
* A bucket is emitted (closed=True) when the source bar that ends it arrives. A bucket that is
  over but incomplete (its last source bars are missing) is emitted when the first source bar of
  a later bucket arrives, before that bar is counted: it holds fewer source bars than the
  interval has, and it comes late, because the aggregator has no clock of its own. The first
  bucket of a stream that starts mid-bucket is likewise built from fewer bars. Buckets with no
  source bar at all produce nothing (no synthetic flat bars).
* In-progress source bars (closed=False) never enter an emitted bucket; they only show in
  `partial()`. A source bar that is not newer than the last closed one (a duplicate after a
  reconnect, a late REST backfill) is ignored: it cannot change a bucket already emitted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from operator import attrgetter

import numpy as np

from tradeyard.bots.bot import Bot
from tradeyard.bots.context import BotContext
from tradeyard.errors import ConfigError, DataError, StrategyError
from tradeyard.events import Bar, Event, topics
from tradeyard.events.intervals import INTERVAL_MS

__all__ = ["AGGREGATION_INTERVAL_MS", "AggregatorBot", "BarAggregator", "segment_sum"]

AGGREGATION_INTERVAL_MS = INTERVAL_MS
"""The intervals an aggregator knows (the vocabulary's table)."""

_NEVER = -(2**63)
_close_time = attrgetter("close_time")


def segment_sum(values: Sequence[float]) -> float:
    """`values` summed bit for bit as `float(np.add.reduceat(np.array(values), [0])[0])`.

    That is values[0] plus numpy's pairwise sum of the rest (8 running partial sums, blocks of
    128 split in halves). Pure Python because it is cheaper than a numpy call on the few values of
    a short bucket; a test pins it to numpy's result.
    """
    n = len(values)
    if n == 0:
        return 0.0
    return values[0] + _pairwise(values, 1, n - 1)


def _pairwise(a: Sequence[float], lo: int, n: int) -> float:
    # numpy's pairwise_sum (numpy/_core/src/umath/loops_utils.h.src), same order of additions.
    if n < 8:
        res = -0.0
        for i in range(lo, lo + n):
            res += a[i]
        return res
    if n <= 128:
        r0, r1, r2, r3, r4, r5, r6, r7 = a[lo : lo + 8]
        end = lo + n - n % 8
        i = lo + 8
        while i < end:
            r0 += a[i]
            r1 += a[i + 1]
            r2 += a[i + 2]
            r3 += a[i + 3]
            r4 += a[i + 4]
            r5 += a[i + 5]
            r6 += a[i + 6]
            r7 += a[i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        for j in range(end, lo + n):
            res += a[j]
        return res
    half = n // 2
    half -= half % 8
    return _pairwise(a, lo, half) + _pairwise(a, lo + half, n - half)


def _interval_ms(value: object, where: str) -> int:
    ms = AGGREGATION_INTERVAL_MS.get(value) if isinstance(value, str) else None
    if ms is None:
        raise ConfigError(
            f"unknown interval {value!r}: expected one of {', '.join(AGGREGATION_INTERVAL_MS)}",
            where,
        )
    return ms


class BarAggregator:
    """Builds `target_interval` bars of one symbol from its closed `source_interval` bars.

    Feed every source bar to `update`, in time order; it returns the bars completed by that one
    (usually none or one; two when a gap ends an incomplete bucket and the same bar closes the
    next). One aggregator serves one venue and symbol: the first bar fixes them. `partial()`
    shows the bucket in progress. A target equal to the source is refused, not passed through:
    an AggregatorBot would re-publish the source bars on their own topic.
    """

    __slots__ = (
        "_close",
        "_high",
        "_last",
        "_live",
        "_low",
        "_open",
        "_seen",
        "_start",
        "_symbol",
        "_venue",
        "_volumes",
        "day_offset_ms",
        "source_interval",
        "source_ms",
        "target_interval",
        "target_ms",
    )

    def __init__(
        self, target_interval: str, source_interval: str = "1m", day_offset_ms: int = 0
    ) -> None:
        src = _interval_ms(source_interval, "source_interval")
        tgt = _interval_ms(target_interval, "target_interval")
        if tgt <= src or tgt % src:
            allowed = ", ".join(
                k for k, ms in AGGREGATION_INTERVAL_MS.items() if ms > src and ms % src == 0
            )
            why = (
                "equals source_interval (those bars are already on the bus; re-publishing them "
                "would loop)"
                if tgt == src
                else f"is not a whole multiple of source_interval {source_interval!r}"
            )
            raise ConfigError(f"{target_interval!r} {why}: use one of {allowed}", "target_interval")
        if isinstance(day_offset_ms, bool) or not isinstance(day_offset_ms, int):
            raise ConfigError(
                f"must be an integer number of milliseconds, was {day_offset_ms!r}",
                "day_offset_ms",
            )
        if not 0 <= day_offset_ms < tgt or day_offset_ms % src:
            raise ConfigError(
                f"{day_offset_ms} must be in [0, {tgt}) (one {target_interval}) and a multiple of "
                f"{src} ({source_interval}); e.g. 9 h = 32400000 starts 1d bars at 09:00 UTC, and "
                f"a negative shift -x is written {tgt} - x",
                "day_offset_ms",
            )
        self.target_interval = target_interval
        self.source_interval = source_interval
        self.target_ms = tgt
        self.source_ms = src
        self.day_offset_ms = day_offset_ms
        self._venue = ""  # venue and symbol of the first bar; every later bar must match
        self._symbol = ""
        self._seen = _NEVER  # open_time of the last closed source bar accepted
        self._live: Bar | None = None  # newest in-progress source bar, for partial()
        self._start: int | None = None  # open_time of the bucket in progress; None when empty
        self._last = _NEVER  # open_time of the source bar that ends the (last) bucket
        self._open = self._high = self._low = self._close = 0.0
        self._volumes: list[float] = []

    def bucket_start(self, open_time: int) -> int:
        """Open time of the bucket a source bar opening at `open_time` belongs to."""
        return open_time - (open_time - self.day_offset_ms) % self.target_ms

    def update(self, bar: Bar) -> list[Bar]:
        """Count one source bar; return the aggregated bars it completes, oldest first."""
        ot = bar.open_time
        if (
            bar.interval != self.source_interval
            or ot % self.source_ms
            or bar.symbol != self._symbol
            or bar.venue != self._venue
        ):
            self._check(bar)  # raises, or adopts the first bar's venue and symbol
        if ot <= self._seen:
            return []
        if not bar.closed:
            self._live = bar
            return []
        self._seen = ot
        live = self._live
        if live is not None and live.open_time <= ot:
            self._live = None
        if ot > self._last:  # past the bucket in progress, or none is in progress
            return self._open_bucket(bar)
        if bar.high > self._high:
            self._high = bar.high
        if bar.low < self._low:
            self._low = bar.low
        self._close = bar.close
        self._volumes.append(bar.volume)
        return [self._emit()] if ot == self._last else []

    def update_many(
        self,
        venue: str,
        symbol: str,
        open_time: np.ndarray,
        open_: np.ndarray,
        high: np.ndarray,
        low: np.ndarray,
        close: np.ndarray,
        volume: np.ndarray,
    ) -> list[tuple[int, Bar]] | None:
        """The vectorised twin of `update` over a chunk of closed source bars.

        Returns `(i, bar)` for every bar that `update` would return after the chunk's `i`-th
        source bar, in the same order and bit for bit (the volume as `np.add.reduceat` sums a
        segment, which is what `segment_sum` restates), and leaves the aggregator in the state
        `update` would leave it in after the last bar. Returns None, changing nothing, when the
        chunk is not a plain run of new bars (empty, off the grid, not strictly increasing, or
        not newer than the last bar seen): the caller then falls back to `update` bar by bar.
        """
        n = len(open_time)
        if n == 0 or (self._symbol and (symbol != self._symbol or venue != self._venue)):
            return None
        ot = np.asarray(open_time, dtype=np.int64)
        if int(ot[0]) <= self._seen or (ot % self.source_ms).any() or (np.diff(ot) <= 0).any():
            return None
        self._venue, self._symbol = venue, symbol
        tgt, src = self.target_ms, self.source_ms
        bs = ot - (ot - self.day_offset_ms) % tgt
        starts = np.flatnonzero(np.concatenate(([True], bs[1:] != bs[:-1])))
        ends = np.append(starts[1:] - 1, n - 1)
        highs = np.maximum.reduceat(high, starts).tolist()
        lows = np.minimum.reduceat(low, starts).tolist()
        vols = np.add.reduceat(volume, starts).tolist()
        opens = open_[starts].tolist()
        closes = close[ends].tolist()
        complete = (ot[ends] == bs[starts] + (tgt - src)).tolist()
        group_start = bs[starts].tolist()
        starts_l, ends_l = starts.tolist(), ends.tolist()

        out: list[tuple[int, Bar]] = []
        if self._start is not None:
            if group_start[0] == self._start:  # the chunk continues the bucket in progress
                self._volumes.extend(volume[: ends_l[0] + 1].tolist())
                vols[0] = segment_sum(self._volumes)
                opens[0] = self._open
                highs[0] = max(highs[0], self._high)
                lows[0] = min(lows[0], self._low)
            else:  # over but incomplete: out before the chunk's first bar counts
                out.append((0, self._emit()))
        self._seen = int(ot[-1])
        live = self._live
        if live is not None and live.open_time <= self._seen:
            self._live = None
        last = len(starts_l) - 1
        for g in range(last + 1):
            if complete[g]:
                at = ends_l[g]
            elif g < last:
                at = starts_l[g + 1]  # incomplete: out when the next bucket's first bar arrives
            else:
                break  # the bucket still in progress at the chunk's end: carried below
            start = group_start[g]
            out.append((at, Bar(venue, symbol, self.target_interval, start, start + tgt - 1,
                                opens[g], highs[g], lows[g], closes[g], vols[g], True)))  # fmt: skip
        g_last = group_start[last]
        self._last = g_last + tgt - src
        if complete[last]:
            self._start = None
        else:
            s0 = starts_l[last]
            if not (last == 0 and self._start == g_last):
                self._volumes = volume[s0:].tolist()
            self._start = g_last
            self._open, self._high, self._low = opens[last], highs[last], lows[last]
            self._close = closes[last]
        return out  # in index order: groups are visited in time order

    def partial(self) -> Bar | None:
        """The bucket in progress as a closed=False bar (for live views); None when empty.

        It includes the newest in-progress source bar when there is one. If that bar already
        belongs to a later bucket (the current one is over but incomplete), it shows that later
        bucket, built from the in-progress bar alone.
        """
        start = self._start
        live = self._live
        if live is None:
            return None if start is None else self._bar(start, False)
        live_start = self.bucket_start(live.open_time)
        if start != live_start:
            return Bar(
                live.venue,
                live.symbol,
                self.target_interval,
                live_start,
                live_start + self.target_ms - 1,
                live.open,
                live.high,
                live.low,
                live.close,
                live.volume,
                False,
            )
        return Bar(
            live.venue,
            live.symbol,
            self.target_interval,
            start,
            start + self.target_ms - 1,
            self._open,
            max(self._high, live.high),
            min(self._low, live.low),
            live.close,
            segment_sum([*self._volumes, live.volume]),
            False,
        )

    def _open_bucket(self, bar: Bar) -> list[Bar]:
        # A bucket still in progress is over but incomplete (its last source bars are missing):
        # it goes out first, as it is.
        out = [] if self._start is None else [self._emit()]
        ot = bar.open_time
        start = ot - (ot - self.day_offset_ms) % self.target_ms
        self._start = start
        self._last = start + self.target_ms - self.source_ms
        self._open = bar.open
        self._high = bar.high
        self._low = bar.low
        self._close = bar.close
        self._volumes = [bar.volume]
        if ot == self._last:
            out.append(self._emit())
        return out

    def _emit(self) -> Bar:
        start = self._start
        assert start is not None
        self._start = None
        return self._bar(start, True)

    def _bar(self, start: int, closed: bool) -> Bar:
        return Bar(
            self._venue,
            self._symbol,
            self.target_interval,
            start,
            start + self.target_ms - 1,
            self._open,
            self._high,
            self._low,
            self._close,
            segment_sum(self._volumes),
            closed,
        )

    def _check(self, bar: Bar) -> None:
        if bar.interval != self.source_interval:
            raise DataError(
                f"{self.target_interval} aggregator expects {self.source_interval} bars, got "
                f"{bar.symbol} interval={bar.interval!r}: feed it only its source interval"
            )
        if bar.open_time % self.source_ms:
            raise DataError(
                f"{bar.symbol} {bar.interval} bar open_time={bar.open_time} is not on the "
                f"{self.source_interval} grid (not a multiple of {self.source_ms} ms since the epoch)"
            )
        if not self._symbol:
            self._venue = bar.venue
            self._symbol = bar.symbol
            return
        raise DataError(
            f"{self.target_interval} aggregator of {self._venue}:{self._symbol} was given a bar of "
            f"{bar.venue}:{bar.symbol}: use one BarAggregator per venue and symbol"
        )


def _check_names(name: str, values: Sequence[str], where: str) -> None:
    if isinstance(values, str):
        raise ConfigError(
            f"{name} must be a list, was the string {values!r}: write [{values!r}]", where
        )
    if not values:
        raise ConfigError(f"{name} is empty: name at least one", where)
    dup = sorted(v for v, n in Counter(values).items() if n > 1)
    if dup:
        raise ConfigError(f"{name} lists {', '.join(dup)} more than once: list each once", where)


class _SymbolAggregation:
    """One symbol's aggregators, shortest target first; its `on_message` is the bus handler."""

    __slots__ = ("aggs", "ctx", "symbol", "venue")

    def __init__(
        self, ctx: BotContext, aggs: tuple[BarAggregator, ...], venue: str, symbol: str
    ) -> None:
        self.ctx = ctx
        self.aggs = aggs
        self.venue = venue
        self.symbol = symbol

    def on_message(self, topic: str, bar: Bar) -> None:
        self.ctx.now = bar.close_time
        out: list[Bar] | None = None
        for agg in self.aggs:
            done = agg.update(bar)
            if done:
                if out is None:
                    out = done  # a fresh list, ours to extend
                else:
                    out += done
        if out is None:
            return
        _in_time_order(out)
        emit = self.ctx.emit
        for b in out:
            emit(b)

    def aggregate_chunk(self, columns: Mapping[str, np.ndarray]) -> dict[int, list[Bar]] | None:
        """Consume a chunk of source bars at once; return the bars each one completes, by the
        source bar's index in the chunk, in the order `on_message` would emit them.

        None (nothing consumed) when the chunk is not a plain run of new bars, or when an
        in-progress bar is pending: then the chunk goes through `on_message` bar by bar.
        """
        if any(agg._live is not None for agg in self.aggs):
            return None
        cols = [np.asarray(columns[f]) for f in ("open_time", "open", "high", "low", "close")]
        vol = np.asarray(columns["volume"], dtype=np.float64)
        due: dict[int, list[Bar]] = {}
        for k, agg in enumerate(self.aggs):
            out = agg.update_many(self.venue, self.symbol, *cols, vol)
            if out is None:
                if k:  # every target saw the same bars, so all accept a chunk or none does
                    raise StrategyError(f"aggregator {self.symbol}: chunk accepted by some targets")
                return None
            for i, b in out:
                due.setdefault(i, []).append(b)
        for bars in due.values():
            _in_time_order(bars)
        return due


def _in_time_order(out: list[Bar]) -> None:
    if len(out) > 1:
        # After a gap a flushed incomplete bucket may predate another target's bar; time
        # order first, ties (the usual case: all close together) stay shortest target first.
        out.sort(key=_close_time)


class AggregatorBot(Bot):
    """Publishes `targets` bars of each symbol, built from its `source_interval` bars on the bus.

    For one source bar the completed bars go out in time order, and bars closing together go
    out shortest target first (5m before 1h before 1d). On the in-process bus they reach their
    subscribers after the source bar has reached all of its own, in a backtest as live.
    """

    kind = "aggregator"

    def __init__(
        self,
        ctx: BotContext,
        venue: str,
        symbols: Sequence[str],
        source_interval: str,
        targets: Sequence[str],
        day_offset_ms: int = 0,
    ) -> None:
        super().__init__(ctx)
        where = f"aggregator {ctx.bot_id}"
        _check_names("symbols", symbols, where)
        _check_names("targets", targets, where)
        self.venue = venue
        self.symbols = tuple(symbols)
        self.source_interval = source_interval
        self.day_offset_ms = day_offset_ms
        order = sorted(targets, key=lambda t: _interval_ms(t, f"{where} targets"))
        self.targets = tuple(order)
        try:
            self._runners = {
                s: _SymbolAggregation(
                    ctx,
                    tuple(BarAggregator(t, source_interval, day_offset_ms) for t in order),
                    venue,
                    s,
                )
                for s in self.symbols
            }
        except ConfigError as e:
            raise ConfigError(str(e), where) from None
        self._topics = {s: topics.bar(venue, s, source_interval) for s in self.symbols}

    def subscriptions(self) -> list[str]:
        return list(self._topics.values())

    def handlers(self) -> list[tuple[str, Callable[[str, Event], None]]]:
        return [(self._topics[s], r.on_message) for s, r in self._runners.items()]

    def on_bar(self, bar: Bar) -> None:
        """Feed one bar by hand (tests, tools); the runtime binds each topic to its symbol's runner."""
        runner = self._runners.get(bar.symbol)
        if runner is not None and bar.interval == self.source_interval and bar.venue == self.venue:
            runner.on_message(self._topics[bar.symbol], bar)

    def aggregate_chunk(
        self, symbol: str, columns: Mapping[str, np.ndarray]
    ) -> dict[int, list[Bar]] | None:
        """Backtests: build `symbol`'s coarser bars over a whole chunk of its source bars.

        Returns the bars each source bar completes, keyed by its index in the chunk, for the
        caller to `emit_due` right where this bot's handler would have run for that bar (so the
        bus sees the same events in the same order as streaming); the chunk's bars must then not
        also reach the handler. None when the chunk must go through the handler bar by bar.
        `columns` holds open_time, open, high, low, close and volume.
        """
        runner = self._runners.get(symbol)
        return None if runner is None else runner.aggregate_chunk(columns)

    def handler_of(self, symbol: str) -> Callable[[str, Event], None] | None:
        """The bus handler bound to `symbol`'s source topic (see `handlers`)."""
        runner = self._runners.get(symbol)
        return None if runner is None else runner.on_message  # type: ignore[return-value]

    def emit_due(self, now: int, bars: list[Bar]) -> None:
        """Publish bars from `aggregate_chunk`, at the source bar's close time `now`."""
        self.ctx.now = now
        for b in bars:
            self.ctx.emit(b)

    def aggregator(self, symbol: str, target: str) -> BarAggregator:
        """The aggregator of one symbol and target (e.g. for its `partial()`)."""
        return self._runners[symbol].aggs[self.targets.index(target)]
