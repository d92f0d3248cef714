"""volatility_breakout follows its rules: hand-built days of hourly bars fed through StrategyBot
in the runtime's order (each trading bar, then the daily bar it completes), checked signal by
signal; its parameters are checked; and it runs on real data resampled to 1h / 1d."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import msgspec
import pandas as pd
import pytest

import tradeyard.strategies
from tradeyard.bots import BotContext, StrategyBot
from tradeyard.config.load import build_params
from tradeyard.errors import ConfigError
from tradeyard.events import Bar, Signal
from tradeyard.marketdata import bundled_bars_dir, load_bars
from tradeyard.strategies.volatility_breakout import (
    DAY_MS,
    VolatilityBreakout,
    VolatilityBreakoutParams,
)

HOUR = 3_600_000
D0 = 20_213 * DAY_MS  # 2025-05-05 00:00 UTC


def _hour_bars(
    day: int,
    first_open: float,
    closes: list[float],
    wicks: dict[int, tuple[float, float]] | None = None,
) -> list[Bar]:
    """24 hourly bars of day `day` (0 = D0): bar i opens at the previous close (bar 0 at
    `first_open`), high/low are max/min(open, close) unless `wicks[i] = (high, low)`."""
    assert len(closes) == 24
    bars = []
    prev = first_open
    for i, c in enumerate(closes):
        ot = D0 + day * DAY_MS + i * HOUR
        hi, lo = (wicks or {}).get(i, (max(prev, c), min(prev, c)))
        bars.append(Bar("sim", "BTCUSDT", "1h", ot, ot + HOUR - 1, prev, hi, lo, c, 1.0))
        prev = c
    return bars


def _daily(bars: list[Bar]) -> Bar:
    """The 1d bar the aggregator builds from one day of trading bars."""
    ot = bars[0].open_time
    return Bar(
        "sim",
        "BTCUSDT",
        "1d",
        ot,
        ot + DAY_MS - 1,
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        bars[-1].close,
        float(len(bars)),
    )


def _run(days: list[list[Bar]], daily: list[bool] | None = None, **params) -> list[Signal]:
    """Feed the days as the runtime would: each trading bar, then the daily bar it completes
    (after the day's last bar; `daily[d] = False` leaves day d's daily bar out)."""
    emitted: list[Signal] = []
    bot = StrategyBot(
        BotContext("vb", emitted.append),
        VolatilityBreakout,
        VolatilityBreakoutParams(**params),
        ["BTCUSDT"],
        venue="sim",
        interval="1h",
    )
    bot.on_start()
    for d, bars in enumerate(days):
        for bar in bars:
            bot.on_bar(bar)
        if daily is None or daily[d]:
            bot.on_bar(_daily(bars))
    return emitted


def _sig(s: Signal) -> tuple[int, float, float | None]:
    return (s.ts, s.target, s.stop_loss)


def _ct(day: int, i: int) -> int:
    """close_time of hourly bar i of day `day`."""
    return D0 + day * DAY_MS + (i + 1) * HOUR - 1


# Day 0: flat at 100 with a wick to 106 and one to 96: daily O 100 H 106 L 96 C 100.
DAY0 = _hour_bars(0, 100, [100.0] * 24, {3: (106, 100), 4: (100, 96)})
# Day 1: flat at 100, wicks to 105 and 95: daily O 100 H 105 L 95 C 100, range 10.
DAY1 = _hour_bars(1, 100, [100.0] * 24, {10: (105, 100), 11: (100, 95)})
# Day 2: open 100, range (day 1) 10 -> long level 100 + 0.5*10 = 105, short level 95;
#   2-day SMA of daily closes (100 + 100) / 2 = 100.
#   bar 1 closes 104 (not above 105), bar 2 closes 106: 104 <= 105 < 106 and 106 > 100 -> LONG,
#   stop 105 * (1 - 0.02) = 102.9; lows stay >= 104 after it; bar 23 (last of the day) -> FLAT.
#   daily O 100 H 108 L 100 C 108.
DAY2 = _hour_bars(2, 100, [101, 104, 106, 107] + [108.0] * 20)
# Day 3: open 108, range (day 2) 108 - 100 = 8 -> long level 108 + 4 = 112, short level 104;
#   SMA (100 + 108) / 2 = 104.
#   bar 1: 110 <= 112 < 113, 113 > 104 -> LONG, stop 112 * 0.98 = 109.76
#   bar 3: low 109 <= 109.76 -> stopped: FLAT
#   bar 4: crosses above 112 again: the day's long is used up -> nothing
#   bar 6: 106 >= 104 > 103 and 103 < SMA 104 -> SHORT, stop 104 * 1.02 = 106.08 (highs <= 103)
#   bar 23 -> FLAT. daily O 108 H 113 L 102 C 102.
DAY3 = _hour_bars(3, 108, [110, 113, 111, 109, 113, 106, 103] + [102.0] * 17)
# Day 4: gap open 90, range (day 3) 113 - 102 = 11 -> long level 90 + 5.5 = 95.5, short 84.5;
#   SMA (108 + 102) / 2 = 105.
#   bar 0: 90 <= 95.5 < 96 but 96 < SMA 105: the trend filter blocks the long
#   bar 1: 96 >= 84.5 > 84 and 84 < 105 -> SHORT, stop 84.5 * 1.02 = 86.19
#   bar 2: high 86.5 >= 86.19 -> stopped: FLAT
DAY4 = _hour_bars(4, 90, [96, 84] + [86.0] * 22, {2: (86.5, 84)})
DAYS = [DAY0, DAY1, DAY2, DAY3, DAY4]


def test_volatility_breakout_when_hand_built_days_signals_exactly() -> None:
    got = _run(DAYS, k=0.5, ma_days=2, stop=0.02)
    assert [_sig(s) for s in got] == [
        (_ct(2, 2), 1.0, pytest.approx(102.9)),
        (_ct(2, 23), 0.0, None),
        (_ct(3, 1), 1.0, pytest.approx(109.76)),
        (_ct(3, 3), 0.0, None),
        (_ct(3, 6), -1.0, pytest.approx(106.08)),
        (_ct(3, 23), 0.0, None),
        (_ct(4, 1), -1.0, pytest.approx(86.19)),
        (_ct(4, 2), 0.0, None),
    ]
    reasons = [s.reason for s in got]
    assert reasons[0] == (
        "close crossed above today's open 100 + 0.5 × range 10 = 105, above 2-day SMA 100"
    )
    assert reasons[1] == "day over: exit at the next day's open"
    assert reasons[3] == "stop loss at 109.76"
    assert reasons[4] == (
        "close crossed below today's open 108 − 0.5 × range 8 = 104, below 2-day SMA 104"
    )
    assert reasons[6] == (
        "close crossed below today's open 90 − 0.5 × range 11 = 84.5, below 2-day SMA 105"
    )
    assert reasons[7] == "stop loss at 86.19"
    # market entries and exits (filled at the next bar's open); only the stop is sent as a level
    assert all(s.entry == "market" and s.take_profit is None for s in got)
    assert all(s.strategy == "vb" and s.symbol == "BTCUSDT" for s in got)
    # the signal carries the close of its bar, which the trader sizes with
    assert got[0].ref_price == 106.0


def test_volatility_breakout_when_shorts_disallowed_only_longs() -> None:
    got = _run(DAYS, k=0.5, ma_days=2, stop=0.02, allow_short=False)
    assert [(s.ts, s.target) for s in got] == [
        (_ct(2, 2), 1.0),
        (_ct(2, 23), 0.0),
        (_ct(3, 1), 1.0),
        (_ct(3, 3), 0.0),
    ]


def test_volatility_breakout_when_k_larger_no_breakout() -> None:
    # k = 1: day 2's long level is 100 + 10 = 110 (never reached: high 108); day 3: 108 + 8 =
    # 116 / 100 (high 113, low 102); day 4: 90 + 11 = 101 / 79 (high 96, low 84): no trade
    assert _run(DAYS, k=1.0, ma_days=2) == []


def test_volatility_breakout_when_cross_on_last_bar_of_day_no_entry() -> None:
    # day 2 stays at 100 until its last bar closes at 106 (> level 105, > SMA 100): the entry
    # would only fill at the next day's open, so it is not taken
    day2 = _hour_bars(2, 100, [100.0] * 23 + [106.0])
    assert _run([DAY0, DAY1, day2], k=0.5, ma_days=2) == []


def test_volatility_breakout_when_yesterdays_daily_bar_missing_day_not_traded() -> None:
    # ma_days=1 so the average is ready after day 0; day 1's daily bar is not delivered, so on
    # day 2 the last daily bar is day 0's: yesterday's range is unknown and day 2 is not traded
    assert _run([DAY0, DAY1, DAY2], daily=[True, False, True], ma_days=1) == []
    # with it, the same days trade (same long as above: SMA(1) = 100, 106 > 100)
    got = _run([DAY0, DAY1, DAY2], ma_days=1)
    assert [(s.ts, s.target) for s in got] == [(_ct(2, 2), 1.0), (_ct(2, 23), 0.0)]


def test_volatility_breakout_when_last_bar_of_day_missing_exits_on_next_day_first_bar() -> None:
    # day 2's last hourly bar is missing: the long is closed on day 3's first bar instead
    day2 = DAY2[:23]
    got = _run([DAY0, DAY1, day2, DAY3[:1]], ma_days=2)
    assert [(s.ts, s.target, s.reason) for s in got] == [
        (_ct(2, 2), 1.0, got[0].reason),
        (_ct(3, 0), 0.0, "new UTC day: exit left over from the previous day"),
    ]


def test_volatility_breakout_when_run_daily_refuses() -> None:
    bot = StrategyBot(
        BotContext("vb", lambda e: None),
        VolatilityBreakout,
        VolatilityBreakoutParams(),
        ["BTCUSDT"],
        venue="sim",
        interval="1d",
    )
    with pytest.raises(ConfigError, match="intraday"):
        bot.on_start()


def test_volatility_breakout_class_when_read_declares_intervals() -> None:
    assert VolatilityBreakout.name == "volatility_breakout"
    assert VolatilityBreakout.interval == "1m"
    assert VolatilityBreakout.extra_intervals == ("1d",)
    assert VolatilityBreakoutParams() == VolatilityBreakoutParams(
        k=0.5, ma_days=5, stop=0.02, allow_short=True
    )


@pytest.mark.parametrize(
    ("params", "where", "text"),
    [
        ({"k": 0.0}, "params", "Expected `float` > 0.0"),
        ({"k": -1.0}, "params", "Expected `float` > 0.0"),
        ({"ma_days": 0}, "params", "Expected `int` >= 1"),
        ({"stop": 0.0}, "params", "Expected `float` > 0.0"),
        ({"stop": 0.6}, "params", "Expected `float` <= 0.5"),
        ({"allow_short": "yes"}, "params", "Expected `bool`"),
        ({"kk": 0.5}, "params", "unknown parameter(s) 'kk'"),
    ],
)
def test_volatility_breakout_params_when_bad_value_clear_error(
    monkeypatch: pytest.MonkeyPatch, params: dict, where: str, text: str
) -> None:
    monkeypatch.setitem(tradeyard.strategies.REGISTRY, "volatility_breakout", VolatilityBreakout)
    with pytest.raises(ConfigError, match=r"strategies\[0\]\." + where) as err:
        build_params("volatility_breakout", params, where="strategies[0]")
    assert text in str(err.value)


def test_volatility_breakout_params_when_frozen_refuses_change() -> None:
    p = VolatilityBreakoutParams()
    with pytest.raises(AttributeError):
        p.k = 1.0  # type: ignore[misc]
    assert msgspec.convert({"k": 0.7}, VolatilityBreakoutParams).k == 0.7


# -- real data ---------------------------------------------------------------------------------


def _resample(symbol: str, rule: str, interval: str) -> list[Bar]:
    """Bundled 1m bars of `symbol` aggregated to `rule` buckets (UTC, labelled by open time)."""
    s = load_bars(bundled_bars_dir(), [symbol])[symbol]
    df = pd.DataFrame(
        {"open": s.open, "high": s.high, "low": s.low, "close": s.close, "volume": s.volume},
        index=pd.to_datetime(s.open_time, unit="ms", utc=True),
    )
    agg = df.resample(rule, label="left", closed="left").agg(
        {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    )
    counts = df["close"].resample(rule, label="left", closed="left").count()
    if interval == "1d":
        agg = agg[counts == 1440]  # complete days only
    agg = agg.dropna()
    ot = agg.index.as_unit("ms").asi8
    step = {"1h": HOUR, "1d": DAY_MS}[interval]
    return [
        Bar("sim", symbol, interval, int(t), int(t) + step - 1, o, h, lo, c, v)
        for t, o, h, lo, c, v in zip(
            ot,
            agg["open"].to_numpy(),
            agg["high"].to_numpy(),
            agg["low"].to_numpy(),
            agg["close"].to_numpy(),
            agg["volume"].to_numpy(),
            strict=True,
        )
    ]


@pytest.mark.parametrize("symbol", ["BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT"])
def test_volatility_breakout_when_real_data_runs_and_keeps_its_rules(symbol: str) -> None:
    hours = _resample(symbol, "1h", "1h")
    days = {b.open_time: b for b in _resample(symbol, "1D", "1d")}
    emitted: list[Signal] = []
    bot = StrategyBot(
        BotContext("vb", emitted.append),
        VolatilityBreakout,
        VolatilityBreakoutParams(k=0.5, ma_days=3),
        [symbol],
        venue="sim",
        interval="1h",
    )
    bot.on_start()
    for b in hours:
        bot.on_bar(b)
        if (b.close_time + 1) % DAY_MS == 0 and (b.close_time + 1 - DAY_MS) in days:
            bot.on_bar(days[b.close_time + 1 - DAY_MS])
    by_ts = {b.close_time: b for b in hours}
    entries = [s for s in emitted if s.target != 0.0]
    # at most one entry per UTC day and side
    per_day_side = Counter((s.ts // DAY_MS, s.target) for s in entries)
    assert per_day_side and max(per_day_side.values()) == 1
    held = 0.0
    for s in emitted:
        bar = by_ts[s.ts]
        if s.target != 0.0:
            assert s.stop_loss is not None and s.entry == "market"
            assert (bar.close_time + 1) % DAY_MS != 0  # never on the day's last bar
            # long stops below the close, short stops above it, 2 % beyond the level
            assert (s.stop_loss < bar.close) if s.target > 0 else (s.stop_loss > bar.close)
        else:
            assert held != 0.0  # a flat only ends a position
        held = s.target
    # no position is carried over a day: every entry is followed by a flat the same day
    for a, b in pairwise(emitted):
        if a.target != 0.0 and b.target == 0.0:
            assert a.ts // DAY_MS == b.ts // DAY_MS
    assert emitted[-1].target == 0.0 or emitted[-1].ts // DAY_MS == hours[-1].open_time // DAY_MS


def reference_signals(
    hours: list[Bar], days: dict[int, Bar], k: float, n: int, stop: float
) -> list[tuple[int, float]]:
    """The rules restated day by day with pandas: (ts, target) of every signal."""
    daily = pd.DataFrame(
        {"close": [b.close for b in days.values()]}, index=[t // DAY_MS for t in days]
    )
    sma = daily["close"].rolling(n).mean()
    out: list[tuple[int, float]] = []
    by_day: dict[int, list[Bar]] = {}
    for b in hours:
        by_day.setdefault(b.open_time // DAY_MS, []).append(b)
    for d, bars in by_day.items():
        y = days.get((d - 1) * DAY_MS)
        ma = sma.get(d - 1, float("nan"))
        if y is None or ma != ma:
            continue
        rng = y.high - y.low
        up, dn = bars[0].open + k * rng, bars[0].open - k * rng
        side, stop_px, used = 0, 0.0, set()
        prev = bars[0].open
        for b in bars:
            if (side > 0 and b.low <= stop_px) or (side < 0 and b.high >= stop_px):
                side = 0
                out.append((b.close_time, 0.0))
            last = (b.close_time + 1) % DAY_MS == 0
            if not last:
                if 1 not in used and side <= 0 and prev <= up < b.close and b.close > ma:
                    side, stop_px = 1, up * (1 - stop)
                    used.add(1)
                    out.append((b.close_time, 1.0))
                elif -1 not in used and side >= 0 and prev >= dn > b.close and b.close < ma:
                    side, stop_px = -1, dn * (1 + stop)
                    used.add(-1)
                    out.append((b.close_time, -1.0))
            elif side != 0:
                side = 0
                out.append((b.close_time, 0.0))
            prev = b.close
    return out


@pytest.mark.parametrize("symbol", ["BNBUSDT", "LINKUSDT", "SUIUSDT"])
def test_volatility_breakout_when_real_data_matches_independent_reference(symbol: str) -> None:
    hours = _resample(symbol, "1h", "1h")
    days = {b.open_time: b for b in _resample(symbol, "1D", "1d")}
    emitted: list[Signal] = []
    bot = StrategyBot(
        BotContext("vb", emitted.append),
        VolatilityBreakout,
        VolatilityBreakoutParams(k=0.3, ma_days=2, stop=0.01),
        [symbol],
        venue="sim",
        interval="1h",
    )
    bot.on_start()
    for b in hours:
        bot.on_bar(b)
        if (b.close_time + 1 - DAY_MS) in days and (b.close_time + 1) % DAY_MS == 0:
            bot.on_bar(days[b.close_time + 1 - DAY_MS])
    expected = reference_signals(hours, days, 0.3, 2, 0.01)
    assert len(expected) >= 10
    assert [(s.ts, s.target) for s in emitted] == expected
