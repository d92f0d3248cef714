"""AggregatorBot on a real InProcessBus: 1m bars in, 3m..1d bars out on their own topics, in order."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from tradeyard.bots import BotContext
from tradeyard.bots.aggregator import AggregatorBot, BarAggregator
from tradeyard.bus import InProcessBus
from tradeyard.errors import ConfigError
from tradeyard.events import Bar, Event, topics
from tradeyard.marketdata import INTERVAL_MS, BarSeries, bundled_bars_dir, load_bars
from tradeyard.marketdata.aggregate import resample

VENUE = "binanceusdm"
SIX = ("3m", "5m", "15m", "1h", "4h", "1d")
FIELDS = ("open_time", "open", "high", "low", "close", "volume")
T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC


@pytest.fixture(scope="module")
def real() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), ["BTCUSDT", "ETHUSDT"])


def _bars(series: BarSeries) -> list[Bar]:
    cols = [getattr(series, f).tolist() for f in FIELDS]
    return [
        Bar(VENUE, series.symbol, "1m", t, t + 59_999, o, h, lo, c, v)
        for t, o, h, lo, c, v in zip(*cols, strict=True)
    ]


def _wire(symbols: Sequence[str], targets: Sequence[str]) -> tuple[InProcessBus, AggregatorBot]:
    bus = InProcessBus()
    ctx = BotContext("agg", lambda e: bus.publish(topics.topic_for(e), e))
    bot = AggregatorBot(ctx, VENUE, symbols, "1m", targets)
    for pattern, handler in bot.handlers():
        bus.subscribe(pattern, handler)
    return bus, bot


def _collect(bus: InProcessBus, pattern: str) -> list[Bar]:
    got: list[Bar] = []
    bus.subscribe(pattern, lambda t, e: got.append(e))  # type: ignore[arg-type]
    return got


def _publish(bus: InProcessBus, bars: Sequence[Bar]) -> None:
    for b in bars:
        bus.publish(topics.bar(b.venue, b.symbol, b.interval), b)


def _assert_equal_to(bars: list[Bar], series: BarSeries) -> None:
    assert len(bars) == len(series)
    for f in FIELDS:
        got = np.array([getattr(b, f) for b in bars])
        np.testing.assert_array_equal(got, getattr(series, f), err_msg=f)


def _bar(i: int, closed: bool = True) -> Bar:
    t = T0 + i * 60_000
    return Bar(
        VENUE, "BTCUSDT", "1m", t, t + 59_999, 1.0 + i, 2.0 + i, 0.5 + i, 1.5 + i, 1.0, closed
    )


def test_aggregator_bot_when_real_1m_bars_published_emits_5m_and_1h_bars_on_their_topics(
    real: dict[str, BarSeries],
) -> None:
    series = real["BTCUSDT"]
    bus, _ = _wire(["BTCUSDT"], ["5m", "1h"])
    five = _collect(bus, topics.bar(VENUE, "BTCUSDT", "5m"))
    hour = _collect(bus, topics.bar(VENUE, "BTCUSDT", "1h"))
    _publish(bus, _bars(series))
    _assert_equal_to(five, resample(series, "5m"))
    _assert_equal_to(hour, resample(series, "1h"))
    assert {(b.interval, b.closed) for b in five + hour} == {("5m", True), ("1h", True)}


def test_aggregator_bot_when_source_bar_closes_buckets_emits_after_it_shortest_first(
    real: dict[str, BarSeries],
) -> None:
    series = real["BTCUSDT"].slice(0, 3 * 1440)
    bus, _ = _wire(["BTCUSDT"], ["1h", "5m"])  # given unordered on purpose
    seen = _collect(bus, f"md.{VENUE}.BTCUSDT.>")
    _publish(bus, _bars(series))
    want: list[tuple[str, int]] = []
    for t in series.open_time.tolist():
        want.append(("1m", t))
        for target in ("5m", "1h"):  # the bundled data has no gaps: a bucket ends on its minute
            step = INTERVAL_MS[target]
            if (t + 60_000) % step == 0:
                want.append((target, t + 60_000 - step))
    assert [(b.interval, b.open_time) for b in seen] == want


def test_aggregator_bot_when_two_symbols_keeps_each_on_its_own_topics(
    real: dict[str, BarSeries],
) -> None:
    btc, eth = (real[s].slice(0, 2 * 1440) for s in ("BTCUSDT", "ETHUSDT"))
    bus, _ = _wire(["BTCUSDT", "ETHUSDT"], ["15m"])
    got = {s: _collect(bus, topics.bar(VENUE, s, "15m")) for s in ("BTCUSDT", "ETHUSDT")}
    for b, e in zip(_bars(btc), _bars(eth), strict=True):  # interleaved, as live
        _publish(bus, [b, e])
    _assert_equal_to(got["BTCUSDT"], resample(btc, "15m"))
    _assert_equal_to(got["ETHUSDT"], resample(eth, "15m"))
    assert {b.symbol for b in got["ETHUSDT"]} == {"ETHUSDT"}


def test_aggregator_bot_when_gap_flushes_buckets_emits_them_in_time_order() -> None:
    bus, _ = _wire(["BTCUSDT"], ["15m", "5m"])
    seen = _collect(bus, f"md.{VENUE}.BTCUSDT.*")
    _publish(bus, [_bar(i) for i in range(12)])  # minutes 12-18 never come
    del seen[:]
    _publish(bus, [_bar(19)])
    # 5m [10,15) and 15m [0,15) are flushed incomplete; 5m [15,20) closes on minute 19.
    assert [(b.interval, (b.open_time - T0) // 60_000) for b in seen] == [
        ("1m", 19),
        ("5m", 10),
        ("15m", 0),
        ("5m", 15),
    ]


def test_aggregator_bot_when_source_bar_in_progress_emits_nothing_but_shows_in_partial() -> None:
    bus, bot = _wire(["BTCUSDT"], ["5m"])
    out = _collect(bus, topics.bar(VENUE, "BTCUSDT", "5m"))
    _publish(bus, [_bar(0), _bar(1), _bar(2, closed=False)])
    assert out == []
    p = bot.aggregator("BTCUSDT", "5m").partial()
    assert p is not None and (p.open, p.close, p.volume, p.closed) == (1.0, 3.5, 3.0, False)


def test_aggregator_bot_when_handlers_listed_binds_each_symbol_topic_to_its_own_runner() -> None:
    _, bot = _wire(["BTCUSDT", "ETHUSDT"], ["5m"])
    pairs = bot.handlers()
    assert [p for p, _ in pairs] == [topics.bar(VENUE, s, "1m") for s in ("BTCUSDT", "ETHUSDT")]
    assert bot.subscriptions() == [p for p, _ in pairs]
    owners = [getattr(h, "__self__", None) for _, h in pairs]
    assert owners[0] is not owners[1] and bot not in owners


def test_aggregator_bot_when_fed_by_hand_aggregates_source_bars_and_skips_others() -> None:
    emitted: list[Event] = []
    bot = AggregatorBot(BotContext("agg", emitted.append), VENUE, ["BTCUSDT"], "1m", ["3m"])
    bot.on_bar(Bar(VENUE, "BTCUSDT", "5m", T0, T0 + 299_999, 1.0, 1.0, 1.0, 1.0, 1.0))
    bot.on_bar(Bar(VENUE, "SOLUSDT", "1m", T0, T0 + 59_999, 1.0, 1.0, 1.0, 1.0, 1.0))
    for i in range(3):
        bot.on_bar(_bar(i))
    assert [(e.interval, e.open_time) for e in emitted] == [("3m", T0)]  # type: ignore[attr-defined]
    assert bot.ctx.now == T0 + 179_999


@pytest.mark.parametrize(
    ("symbols", "targets", "message"),
    [
        (
            "BTCUSDT",
            ["5m"],
            r"symbols must be a list, was the string 'BTCUSDT': write \['BTCUSDT'\]",
        ),
        ([], ["5m"], r"symbols is empty"),
        (["BTCUSDT"], [], r"targets is empty"),
        (["BTCUSDT"], ["5m", "1h", "5m"], r"targets lists 5m more than once"),
        (["BTCUSDT", "BTCUSDT"], ["5m"], r"symbols lists BTCUSDT more than once"),
        (["BTCUSDT"], ["7m"], r"unknown interval '7m': expected one of"),
        (["BTCUSDT"], ["1m", "5m"], r"'1m' equals source_interval"),
    ],
)
def test_aggregator_bot_when_arguments_invalid_names_the_field_and_fix(
    symbols: Sequence[str], targets: Sequence[str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        AggregatorBot(BotContext("agg", lambda e: None), VENUE, symbols, "1m", targets)


def test_aggregator_bot_when_day_offset_invalid_names_the_bot_and_the_field() -> None:
    with pytest.raises(
        ConfigError, match=r"aggregator agg: day_offset_ms: -1 must be in \[0, 86400000\)"
    ):
        AggregatorBot(BotContext("agg", lambda e: None), VENUE, ["BTCUSDT"], "1m", ["1d"], -1)


# -- cost ------------------------------------------------------------------------------------


def _per_bar_us(bars: list[Bar], make: Callable[[], Callable[[Bar], object]]) -> float:
    best = float("inf")
    for _ in range(3):
        feed = make()
        t = time.perf_counter()
        for b in bars:
            feed(b)
        best = min(best, time.perf_counter() - t)
    return best / len(bars) * 1e6


def test_streaming_cost_when_measured_is_printed(real: dict[str, BarSeries]) -> None:
    bars = _bars(real["BTCUSDT"])

    def one() -> Callable[[Bar], object]:
        return BarAggregator("5m").update

    def six() -> Callable[[Bar], object]:
        aggs = [BarAggregator(t) for t in SIX]

        def feed(b: Bar) -> None:
            for a in aggs:
                a.update(b)

        return feed

    def bot_handler() -> Callable[[Bar], object]:
        bot = AggregatorBot(BotContext("agg", lambda e: None), VENUE, ["BTCUSDT"], "1m", SIX)
        ((topic, handler),) = bot.handlers()
        return lambda b: handler(topic, b)

    def bot_on_bus() -> Callable[[Bar], object]:
        bus, _ = _wire(["BTCUSDT"], SIX)
        topic = topics.bar(VENUE, "BTCUSDT", "1m")
        return lambda b: bus.publish(topic, b)

    costs = {
        "BarAggregator, 1 target (5m)": _per_bar_us(bars, one),
        "BarAggregator x 6 targets": _per_bar_us(bars, six),
        "AggregatorBot handler, 6 targets": _per_bar_us(bars, bot_handler),
        "AggregatorBot on InProcessBus, 6 targets": _per_bar_us(bars, bot_on_bus),
    }
    for name, us in costs.items():
        print(f"{name}: {us:.2f} us per 1m bar ({len(bars)} bars, best of 3)")
