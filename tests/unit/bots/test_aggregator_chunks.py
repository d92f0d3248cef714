"""`BarAggregator.update_many` (the backtest's chunked path) against `update` bar by bar.

The streaming path is the reference (it is itself pinned to a pandas resample in
test_aggregator.py): on real bars cut into chunks at arbitrary places, with gaps that leave
buckets incomplete, every emitted bar, the source bar it follows, and the state carried into
the next chunk must be the same.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tradeyard.bots import BotContext
from tradeyard.bots.aggregator import AggregatorBot, BarAggregator
from tradeyard.bus import InProcessBus
from tradeyard.events import Bar, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars

VENUE = "binanceusdm"
FIELDS = ("open_time", "open", "high", "low", "close", "volume")


@pytest.fixture(scope="module")
def series() -> BarSeries:
    return load_bars(bundled_bars_dir(), ["ETHUSDT"])["ETHUSDT"]


def _with_gaps(s: BarSeries, seed: int) -> dict[str, np.ndarray]:
    """The first 12,000 bars with random runs removed (1 to 400 bars, across bucket ends)."""
    rng = np.random.default_rng(seed)
    keep = np.ones(12_000, dtype=bool)
    for start in rng.integers(0, 12_000, size=25):
        keep[start : start + int(rng.integers(1, 400))] = False
    return {f: getattr(s, f)[:12_000][keep] for f in FIELDS}


def _streamed(agg: BarAggregator, cols: dict[str, np.ndarray]) -> list[tuple[int, Bar]]:
    out: list[tuple[int, Bar]] = []
    rows = zip(*(cols[f].tolist() for f in FIELDS), strict=True)
    for i, (t, o, h, lo, c, v) in enumerate(rows):
        bar = Bar(VENUE, "ETHUSDT", "1m", t, t + 59_999, o, h, lo, c, v)
        out += [(i, b) for b in agg.update(bar)]
    return out


def _chunked(
    agg: BarAggregator, cols: dict[str, np.ndarray], cuts: list[int]
) -> list[tuple[int, Bar]]:
    out: list[tuple[int, Bar]] = []
    bounds = [0, *cuts, len(cols["open_time"])]
    for a, b in itertools.pairwise(bounds):
        part = [cols[f][a:b] for f in FIELDS]
        got = agg.update_many(VENUE, "ETHUSDT", *part)
        assert got is not None
        out += [(a + i, bar) for i, bar in got]
    return out


@pytest.mark.parametrize("target", ["3m", "5m", "15m", "1h", "4h", "1d"])
@pytest.mark.parametrize("seed", [1, 2])
def test_update_many_when_chunks_cut_anywhere_equals_streaming_bar_for_bar(
    series: BarSeries, target: str, seed: int
) -> None:
    cols = _with_gaps(series, seed)
    n = len(cols["open_time"])
    cuts = sorted(set(np.random.default_rng(seed + 10).integers(1, n, size=40).tolist()))
    offset = 9 * 3_600_000 if target == "1d" and seed == 2 else 0
    ref, fast = BarAggregator(target, "1m", offset), BarAggregator(target, "1m", offset)
    expected = _streamed(ref, cols)
    got = _chunked(fast, cols, cuts)
    assert len(expected) >= 8  # 12,000 1m bars: at least 8 days
    assert got == expected  # same bars (bit for bit), after the same source bar, in order
    assert fast.partial() == ref.partial()  # the bucket carried on is the same too
    # and both go on alike from there, whichever path the next bars take
    t = int(cols["open_time"][-1]) + 60_000
    nxt = Bar(VENUE, "ETHUSDT", "1m", t, t + 59_999, 1.0, 2.0, 0.5, 1.5, 3.0)
    assert fast.update(nxt) == ref.update(nxt)


def test_update_many_when_chunk_not_newer_or_unsorted_returns_none_and_changes_nothing(
    series: BarSeries,
) -> None:
    cols = {f: getattr(series, f)[:100] for f in FIELDS}
    agg = BarAggregator("5m")
    assert agg.update_many(VENUE, "ETHUSDT", *(cols[f][:50] for f in FIELDS)) is not None
    before = agg.partial()
    assert agg.update_many(VENUE, "ETHUSDT", *(cols[f][40:60] for f in FIELDS)) is None
    swapped = {f: cols[f][60:70][::-1] for f in FIELDS}
    assert agg.update_many(VENUE, "ETHUSDT", *(swapped[f] for f in FIELDS)) is None
    assert agg.update_many(VENUE, "BTCUSDT", *(cols[f][50:60] for f in FIELDS)) is None
    assert agg.partial() == before


def test_aggregator_bot_when_chunk_aggregated_emits_the_same_bars_after_the_same_source_bars(
    series: BarSeries,
) -> None:
    cols = _with_gaps(series, 3)
    rows = list(zip(*(cols[f].tolist() for f in FIELDS), strict=True))

    def wire() -> tuple[InProcessBus, AggregatorBot, list[tuple[int, str, int]], list[int]]:
        bus = InProcessBus()
        ctx = BotContext("agg", lambda e: bus.publish(topics.topic_for(e), e))
        bot = AggregatorBot(ctx, VENUE, ["ETHUSDT"], "1m", ["5m", "1h", "1d"])
        for pattern, handler in bot.handlers():
            bus.subscribe(pattern, handler)
        seen: list[tuple[int, str, int]] = []
        at = [0]
        bus.subscribe("md.*.*.bar_5m", lambda t, e: seen.append((at[0], e.interval, e.open_time)))  # type: ignore[attr-defined]
        bus.subscribe("md.*.*.bar_1h", lambda t, e: seen.append((at[0], e.interval, e.open_time)))  # type: ignore[attr-defined]
        bus.subscribe("md.*.*.bar_1d", lambda t, e: seen.append((at[0], e.interval, e.open_time)))  # type: ignore[attr-defined]
        return bus, bot, seen, at

    bus, _, streamed, at = wire()
    for i, (t, o, h, lo, c, v) in enumerate(rows):
        at[0] = i
        bus.publish(topics.bar(VENUE, "ETHUSDT", "1m"),
                    Bar(VENUE, "ETHUSDT", "1m", t, t + 59_999, o, h, lo, c, v))  # fmt: skip

    _, bot, chunked, at = wire()
    for a in range(0, len(rows), 5_000):
        due = bot.aggregate_chunk("ETHUSDT", {f: cols[f][a : a + 5_000] for f in FIELDS})
        assert due is not None
        for i, bars in sorted(due.items()):
            at[0] = a + i
            bot.emit_due(rows[a + i][0] + 59_999, bars)
    assert len(streamed) > 100
    assert chunked == streamed


def test_aggregator_bot_when_source_bar_in_progress_leaves_the_chunk_to_the_handler(
    series: BarSeries,
) -> None:
    bus = InProcessBus()
    ctx = BotContext("agg", lambda e: bus.publish(topics.topic_for(e), e))
    bot = AggregatorBot(ctx, VENUE, ["ETHUSDT"], "1m", ["5m"])
    t = int(series.open_time[0])
    bot.on_bar(Bar(VENUE, "ETHUSDT", "1m", t, t + 59_999, 1.0, 1.0, 1.0, 1.0, 1.0, False))
    assert bot.aggregate_chunk("ETHUSDT", {f: getattr(series, f)[:10] for f in FIELDS}) is None
    assert bot.aggregate_chunk("XRPUSDT", {f: getattr(series, f)[:10] for f in FIELDS}) is None
