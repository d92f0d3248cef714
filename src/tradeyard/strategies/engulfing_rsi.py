"""engulfing_rsi: engulfing candles confirmed by the RSI, with a take-profit / stop-loss bracket.

On each closed bar (the "current" candle) with the bar before it (the "previous" candle):

* Bullish engulfing: the previous candle is bearish (close < open), the current one bullish
  (close > open), and the current body engulfs the previous body: current open ≤ previous
  close and current close ≥ previous open, at least one of the two strictly.
* Bearish engulfing: the mirror: previous bullish, current bearish, current open ≥ previous
  close and current close ≤ previous open, at least one strictly.
* Confirmation: the RSI after the current candle's close is below `rsi_long_max` for a long,
  above `rsi_short_min` for a short (no signal while the RSI warms up).
* Confirmed bullish engulfing: go long (reversing a short); bearish: go short (reversing a long).
  A pattern on the side already held changes nothing (the bracket stays as it is).
* Entries are market orders, filled at the next bar's open. The bracket is priced from the
  close of the signal bar: long take-profit at close × (1 + take_profit), stop at close ×
  (1 − stop_loss); short: the mirror.
* The strategy keeps its own view of the position with the venue's rules: the bracket is live
  from the open of the bar the entry fills on; a bar that opens through a level fills it at the
  open; otherwise, in a bar that reaches both, the stop is assumed first. When the view says the
  bracket closed the trade, the strategy goes flat (a new signal may follow on the same bar).
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeyard.bots import Strategy
from tradeyard.bots.bracket import bracket_exit
from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.indicators import RSI

__all__ = ["EngulfingRsi", "EngulfingRsiParams"]

_Level = Annotated[float, msgspec.Meta(gt=0.0, lt=100.0)]
_Frac = Annotated[float, msgspec.Meta(gt=0.0, le=0.5)]


class EngulfingRsiParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rsi_period: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 14
    """RSI window, in bars."""
    rsi_long_max: _Level = 40.0
    """A bullish engulfing is taken only while the RSI is below this."""
    rsi_short_min: _Level = 60.0
    """A bearish engulfing is taken only while the RSI is above this (at least rsi_long_max)."""
    take_profit: _Frac = 0.02
    """Take-profit distance from the signal bar's close (0.02 = 2 %)."""
    stop_loss: _Frac = 0.01
    """Stop-loss distance from the signal bar's close (0.01 = 1 %)."""

    def __post_init__(self) -> None:
        if self.rsi_long_max > self.rsi_short_min:
            raise ConfigError(
                f"rsi_long_max ({self.rsi_long_max:g}) must not exceed rsi_short_min "
                f"({self.rsi_short_min:g}): longs want a low RSI, shorts a high one; "
                "e.g. rsi_long_max=40, rsi_short_min=60",
                where="params.rsi_long_max",
            )


class EngulfingRsi(Strategy[EngulfingRsiParams]):
    name = "engulfing_rsi"
    Params = EngulfingRsiParams
    interval = "1h"

    def on_start(self) -> None:
        # The RSI is an oscillator, not on the price scale: nothing to plot over the candles.
        self.rsi = self.indicator(RSI(self.params.rsi_period))
        self.prev_open = float("nan")
        self.prev_close = float("nan")
        self.side = 0
        self.tp = float("nan")
        self.sl = float("nan")

    def on_bar(self, bar: Bar) -> None:
        if self.side != 0:
            self._check_exit(bar)
        p, rsi = self.params, self.rsi.value
        po, pc, o, c = self.prev_open, self.prev_close, bar.open, bar.close
        if self.side <= 0 and rsi < p.rsi_long_max and _bullish_engulfing(po, pc, o, c):
            self._enter(1, c, f"bullish engulfing, RSI {rsi:.1f} < {p.rsi_long_max:g}")
        elif self.side >= 0 and rsi > p.rsi_short_min and _bearish_engulfing(po, pc, o, c):
            self._enter(-1, c, f"bearish engulfing, RSI {rsi:.1f} > {p.rsi_short_min:g}")
        self.prev_open, self.prev_close = o, c

    def _enter(self, side: int, close: float, reason: str) -> None:
        p = self.params
        self.side = side
        self.tp = close * (1.0 + side * p.take_profit)
        self.sl = close * (1.0 - side * p.stop_loss)
        verb = self.go_long if side > 0 else self.go_short
        verb(reason, take_profit=self.tp, stop_loss=self.sl)

    def _check_exit(self, bar: Bar) -> None:
        reason = bracket_exit(self.side, self.tp, self.sl, bar)
        if reason is not None:
            self._exit(reason)

    def _exit(self, reason: str) -> None:
        self.side = 0
        self.tp = self.sl = float("nan")
        self.go_flat(reason)


def _bullish_engulfing(prev_open: float, prev_close: float, open_: float, close: float) -> bool:
    """Bearish candle, then a bullish one whose body covers it (one edge strictly beyond)."""
    return (
        prev_close < prev_open
        and close > open_
        and open_ <= prev_close
        and close >= prev_open
        and (open_ < prev_close or close > prev_open)
    )


def _bearish_engulfing(prev_open: float, prev_close: float, open_: float, close: float) -> bool:
    """Bullish candle, then a bearish one whose body covers it (one edge strictly beyond)."""
    return (
        prev_close > prev_open
        and close < open_
        and open_ >= prev_close
        and close <= prev_open
        and (open_ > prev_close or close < prev_open)
    )
