"""volatility_breakout: Larry Williams' daily volatility breakout, long and (optionally) short.

Every UTC day is traded on its own, on intraday bars (the trading interval, "1m" by default; the
bot may run it on "5m", "1h", ...), with the daily bars ("1d") of the same symbol as context:

* Day: UTC calendar day of a bar's open time (``open_time // 86_400_000``). Today's open is the
  open of the first trading bar of the day (today's daily bar is not complete yet).
* Range: yesterday's high − yesterday's low, from the last completed daily bar. The day is traded
  only if that daily bar really is yesterday's (so a day is skipped when the strategy started
  during it, or when yesterday's daily bar is missing).
* Levels: long level = today's open + k × range; short level = today's open − k × range.
* Trend filter: the simple moving average of the last `ma_days` daily closes (yesterday's
  included, today's not); NaN until `ma_days` daily bars have been seen, and no trade before.
* Long: a trading bar's close crosses above the long level (previous close ≤ level < close; the
  first bar of the day compares with today's open) while that close is above the average.
  Short (when `allow_short`): a close crosses below the short level (previous close ≥ level >
  close) while the close is below the average.
* A cross is taken only on the bar where it happens: a cross blocked by the trend filter is not
  taken later unless the price goes back through the level and crosses again.
* At most one entry per day per side: after a long stopped out, a new cross above the long level
  the same day is ignored (a short is still possible, and vice versa). A cross on the opposite
  side while in a position reverses it (the short's own entry of the day).
* Entries are market orders: they fill at the next trading bar's open. No entry is taken on the
  last trading bar of the day (it would fill at the next day's open).
* Stop: long at long level × (1 − stop), short at short level × (1 + stop), sent with the entry
  as `stop_loss` (the trader places it as a reduce-only stop bracket). The strategy keeps its own
  view with the venue's rules: the stop is live from the open of the bar the entry fills on; a
  bar whose low (long) / high (short) reaches it ends the trade, and the strategy goes flat.
* Day end: on the last trading bar of the day (``close_time + 1`` is a multiple of
  86_400_000) any position is closed with a market order, which fills at the open of the first
  trading bar of the next day. If that bar is missing from the data, the position is closed on
  the first bar of the next day instead (filling at the open of the bar after it).

Daily bars reach `on_bar` right after the trading bar that completes them (the runtime's order);
the moving average is bound to them and updated before `on_bar`.
"""

from __future__ import annotations

import math
from typing import Annotated

import msgspec

from tradeyard.bots import Strategy
from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.indicators import SMA

__all__ = ["DAY_MS", "VolatilityBreakout", "VolatilityBreakoutParams"]

DAY_MS = 86_400_000
"""One UTC day in milliseconds."""

_DAILY = "1d"


class VolatilityBreakoutParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    k: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 0.5
    """Breakout distance from today's open, as a multiple of yesterday's high − low range."""
    ma_days: Annotated[int, msgspec.Meta(ge=1, le=1_000)] = 5
    """Days in the trend filter's moving average of daily closes."""
    stop: Annotated[float, msgspec.Meta(gt=0.0, le=0.5)] = 0.02
    """Stop distance as a fraction of the breakout level (0.02 = 2 % beyond the level)."""
    allow_short: bool = True
    """Also trade the downside breakout (short below today's open − k × range)."""


class VolatilityBreakout(Strategy[VolatilityBreakoutParams]):
    name = "volatility_breakout"
    Params = VolatilityBreakoutParams
    interval = "1m"
    extra_intervals = (_DAILY,)

    def on_start(self) -> None:
        if self.trading_interval == _DAILY:
            raise ConfigError(
                "volatility_breakout trades intraday bars (e.g. 1m, 5m, 1h), not daily ones",
                where=f"strategy {self.bot_id}",
            )
        self.ma = self.indicator(SMA(self.params.ma_days), interval=_DAILY)
        self.yesterday: Bar | None = None  # the last completed daily bar
        self.day = -1
        self.day_start = -2 * DAY_MS  # before any bar: the first bar starts a day
        self.day_open = float("nan")
        self.range = float("nan")
        self.long_level = float("nan")  # NaN: today is not traded
        self.short_level = float("nan")
        self.long_done = False
        self.short_done = False
        self.prev_close = float("nan")  # previous close of today (today's open on the first bar)
        self.side = 0
        self.stop_price = float("nan")

    def on_bar(self, bar: Bar) -> None:
        if bar.interval != self.trading_interval:
            if bar.interval == _DAILY:
                self.yesterday = bar
            return
        if self.side != 0:
            self._check_stop(bar)
        ot = bar.open_time
        if not self.day_start <= ot < self.day_start + DAY_MS:  # a new UTC day
            if self.side != 0:  # yesterday's last bar was missing: close now
                self._exit("new UTC day: exit left over from the previous day")
            self._start_day(ot // DAY_MS, bar.open)
        close = bar.close
        if (bar.close_time + 1) % DAY_MS:  # not the day's last bar
            prev = self.prev_close
            # Only a bar that crosses a level can enter (NaN levels never compare true); the
            # rest of the test runs then, in `_look_for_entry`.
            if prev <= self.long_level < close or prev >= self.short_level > close:
                self._look_for_entry(bar)
        elif self.side != 0:
            self._exit("day over: exit at the next day's open")
        self.prev_close = close
        self._skip_quiet_bars(bar, close)

    def _skip_quiet_bars(self, bar: Bar, close: float) -> None:
        """Skip bars (`Strategy.skip_bars`) until one could do something: the day's last bar or
        the next day, a stop, or a level an entry is still possible at, from whichever side the
        close is on. Skipped bars stay strictly between those levels, so their closes would have
        left `prev_close` on the same side of every level as this bar's close, which is all the
        entry test reads of it."""
        day_end = self.day_start + DAY_MS
        last_bar = day_end - (bar.close_time + 1 - bar.open_time)
        above, below = math.inf, -math.inf
        p, ma = self.params, self.ma.value
        if ma == ma and self.long_level == self.long_level:  # entries possible today
            levels = []
            if not self.long_done and self.side <= 0:
                levels.append(self.long_level)
            if p.allow_short and not self.short_done and self.side >= 0:
                levels.append(self.short_level)
            for level in levels:
                if close < level:
                    above = min(above, level)
                elif close > level:
                    below = max(below, level)
                else:
                    return  # on the level: the next bar must see it
        if self.side > 0:
            below = max(below, self.stop_price)
        elif self.side < 0:
            above = min(above, self.stop_price)
        if not below < close < above:
            return
        self.skip_bars(until=last_bar if bar.open_time < last_bar else day_end, above=above,
                   below=below)  # fmt: skip

    # -- the day ----------------------------------------------------------------------------
    def _start_day(self, day: int, day_open: float) -> None:
        k = self.params.k
        self.day = day
        self.day_start = day * DAY_MS
        self.day_open = day_open
        self.prev_close = day_open
        self.long_done = self.short_done = False
        y = self.yesterday
        if y is not None and y.open_time == (day - 1) * DAY_MS:
            self.range = y.high - y.low
            self.long_level = day_open + k * self.range
            self.short_level = day_open - k * self.range
        else:
            self.range = self.long_level = self.short_level = float("nan")

    def _look_for_entry(self, bar: Bar) -> None:
        ma = self.ma.value
        if ma != ma or self.long_level != self.long_level:  # warming up / day not traded
            return
        p, close, prev = self.params, bar.close, self.prev_close
        if not self.long_done and self.side <= 0 and prev <= self.long_level < close and close > ma:
            self._enter(1, self.long_level, f"above {p.ma_days}-day SMA {ma:.8g}")
        elif (
            p.allow_short
            and not self.short_done
            and self.side >= 0
            and prev >= self.short_level > close
            and close < ma
        ):
            self._enter(-1, self.short_level, f"below {p.ma_days}-day SMA {ma:.8g}")

    def _enter(self, side: int, level: float, trend: str) -> None:
        p = self.params
        self.side = side
        self.stop_price = level * (1.0 - side * p.stop)
        sign, word = ("+", "above") if side > 0 else ("−", "below")
        reason = (
            f"close crossed {word} today's open {self.day_open:.8g} {sign} {p.k:g} × range "
            f"{self.range:.8g} = {level:.8g}, {trend}"
        )
        if side > 0:
            self.long_done = True
            self.go_long(reason, stop_loss=self.stop_price)
        else:
            self.short_done = True
            self.go_short(reason, stop_loss=self.stop_price)

    # -- exits ------------------------------------------------------------------------------
    def _check_stop(self, bar: Bar) -> None:
        hit = bar.low <= self.stop_price if self.side > 0 else bar.high >= self.stop_price
        if hit:
            self._exit(f"stop loss at {self.stop_price:.8g}")

    def _exit(self, reason: str) -> None:
        self.side = 0
        self.stop_price = float("nan")
        self.go_flat(reason)
