"""rsi_macd_cci: enter when RSI, MACD and CCI turn together; exit on a bracket or the reverse signal.

Three events, each read from two consecutive bars (previous → current; none while an indicator
is still warming up):

* RSI leaves oversold: previous RSI < oversold ≤ RSI.   Leaves overbought: previous RSI >
  overbought ≥ RSI.
* MACD crosses above its signal line: previous macd − signal ≤ 0 < macd − signal. Below:
  previous macd − signal ≥ 0 > macd − signal.
* CCI crosses up through −cci_level: previous CCI < −cci_level ≤ CCI. Down through +cci_level:
  previous CCI > cci_level ≥ CCI.

Agreement: the three upward events all happened within the last `window` bars (the current bar
and the `window − 1` before it; `window = 1` means all on the same bar), and the latest of them
on the current bar, so the signal comes on the bar that completes the set. Each kind counts only
its most recent event. The events of a set are used up when it completes, so they cannot make a
second signal. The three downward events agree the same way. If both sides agree on one bar, the
signals cancel out and nothing happens.

* Upward agreement: go long (reversing a short); downward agreement: go short (reversing a
  long). Agreement with the side already held changes nothing (the bracket stays as it is).
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
from tradeyard.indicators import CCI, MACD, RSI

__all__ = ["RsiMacdCci", "RsiMacdCciParams"]

_Period = Annotated[int, msgspec.Meta(ge=2, le=10_000)]
_Level = Annotated[float, msgspec.Meta(gt=0.0, lt=100.0)]
_Frac = Annotated[float, msgspec.Meta(gt=0.0, le=0.5)]


class RsiMacdCciParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    rsi_period: _Period = 14
    """RSI window, in bars."""
    oversold: _Level = 30.0
    """RSI level a long needs the RSI to rise back through."""
    overbought: _Level = 70.0
    """RSI level a short needs the RSI to fall back through (must be above oversold)."""
    macd_fast: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 12
    """Fast EMA of the MACD line, in bars."""
    macd_slow: _Period = 26
    """Slow EMA of the MACD line, in bars (must be above macd_fast)."""
    macd_signal: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 9
    """EMA of the MACD line that forms the signal line, in bars."""
    cci_period: _Period = 20
    """CCI window, in bars."""
    cci_level: Annotated[float, msgspec.Meta(gt=0.0, le=1_000.0)] = 100.0
    """CCI must cross up through −cci_level (long) or down through +cci_level (short)."""
    window: Annotated[int, msgspec.Meta(ge=1, le=1_000)] = 3
    """The three events must fall within this many consecutive bars (1: the same bar)."""
    take_profit: _Frac = 0.01
    """Take-profit distance from the signal bar's close (0.01 = 1 %)."""
    stop_loss: _Frac = 0.005
    """Stop-loss distance from the signal bar's close (0.005 = 0.5 %)."""

    def __post_init__(self) -> None:
        if self.oversold >= self.overbought:
            raise ConfigError(
                f"oversold ({self.oversold:g}) must be less than overbought "
                f"({self.overbought:g}); e.g. oversold=30, overbought=70",
                where="params.oversold",
            )
        if self.macd_fast >= self.macd_slow:
            raise ConfigError(
                f"macd_fast ({self.macd_fast}) must be less than macd_slow ({self.macd_slow}); "
                "e.g. macd_fast=12, macd_slow=26",
                where="params.macd_fast",
            )


class RsiMacdCci(Strategy[RsiMacdCciParams]):
    name = "rsi_macd_cci"
    Params = RsiMacdCciParams
    interval = "5m"

    def on_start(self) -> None:
        p = self.params
        # Oscillators only, none on the price scale: nothing to plot over the candles.
        self.rsi = self.indicator(RSI(p.rsi_period))
        self.macd = self.indicator(MACD(p.macd_fast, p.macd_slow, p.macd_signal))
        self.cci = self.indicator(CCI(p.cci_period))
        self.bar_no = 0
        # bar number of the most recent event of each kind: [rsi, macd, cci]; None: none (left)
        self.ups: list[int | None] = [None, None, None]
        self.downs: list[int | None] = [None, None, None]
        self.prev_rsi = float("nan")
        self.prev_hist = float("nan")
        self.prev_cci = float("nan")
        self.side = 0
        self.tp = float("nan")
        self.sl = float("nan")

    def on_bar(self, bar: Bar) -> None:
        self.bar_no += 1
        if self.side != 0:
            self._check_exit(bar)
        self._record_events()
        up = self._agree(self.ups)
        down = self._agree(self.downs)
        if up:
            self.ups = [None, None, None]
        if down:
            self.downs = [None, None, None]
        if up and not down and self.side <= 0:
            self._enter(1, bar.close)
        elif down and not up and self.side >= 0:
            self._enter(-1, bar.close)

    # -- signals ----------------------------------------------------------------------------
    def _record_events(self) -> None:
        p, n = self.params, self.bar_no
        rsi, hist, cci = self.rsi.value, self.macd.hist, self.cci.value
        prsi, phist, pcci = self.prev_rsi, self.prev_hist, self.prev_cci
        # comparisons with NaN are False: no event while an indicator warms up
        if prsi < p.oversold <= rsi:
            self.ups[0] = n
        elif prsi > p.overbought >= rsi:
            self.downs[0] = n
        if phist <= 0.0 < hist:
            self.ups[1] = n
        elif phist >= 0.0 > hist:
            self.downs[1] = n
        if pcci < -p.cci_level <= cci:
            self.ups[2] = n
        elif pcci > p.cci_level >= cci:
            self.downs[2] = n
        self.prev_rsi, self.prev_hist, self.prev_cci = rsi, hist, cci

    def _agree(self, seen: list[int | None]) -> bool:
        if None in seen:
            return False
        bars = [b for b in seen if b is not None]
        return max(bars) == self.bar_no and self.bar_no - min(bars) < self.params.window

    def _enter(self, side: int, close: float) -> None:
        p = self.params
        self.side = side
        self.tp = close * (1.0 + side * p.take_profit)
        self.sl = close * (1.0 - side * p.stop_loss)
        if side > 0:
            reason = (
                f"RSI left oversold {p.oversold:g}, MACD crossed above signal, "
                f"CCI crossed up through −{p.cci_level:g} (within {p.window} bars)"
            )
            self.go_long(reason, take_profit=self.tp, stop_loss=self.sl)
        else:
            reason = (
                f"RSI left overbought {p.overbought:g}, MACD crossed below signal, "
                f"CCI crossed down through +{p.cci_level:g} (within {p.window} bars)"
            )
            self.go_short(reason, take_profit=self.tp, stop_loss=self.sl)

    # -- exits ------------------------------------------------------------------------------
    def _check_exit(self, bar: Bar) -> None:
        reason = bracket_exit(self.side, self.tp, self.sl, bar)
        if reason is not None:
            self._exit(reason)

    def _exit(self, reason: str) -> None:
        self.side = 0
        self.tp = self.sl = float("nan")
        self.go_flat(reason)
