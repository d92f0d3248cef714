"""bollinger_rv: one-minute Bollinger-band mean reversion with a realized-volatility filter.

The strategy traders run on BTCUSDT perpetuals, made explicit:

* Bands: Bollinger(period, k) around an SMA of the close, plus inner bands at ± inner_k·σ.
* Volatility filter: the realized volatility (standard deviation of one-bar log returns over
  `rv_period` bars) must lie in [rv_min, rv_max]: too quiet and the take-profit cannot be
  reached, too wild and the stop is noise.
* Flat: when the previous close was outside an outer band and the close is back inside it
  (the move is fading), enter toward the middle with a LIMIT order at the close shifted by
  `entry_offset` (buy below / sell above), so the entry is a price we chose. The entry waits at
  most `entry_timeout` bars, then is cancelled.
* Long: take profit at entry × (1 + take_profit), stop at entry × (1 − stop_loss), placed as a
  bracket with the entry. Short: the mirror.

The strategy keeps its own view of the position with the venue's rules (a limit buy fills when a
later bar trades at or below it; in a bar that could hit both, the stop is assumed first; on the
bar of the entry only the stop can hit) and goes flat when that view says the trade is over, so
the trader's orders and the strategy never drift apart.

In a backtest it skips the bars that cannot change anything: in a position, those between its
take-profit and stop; waiting for the entry, those that cannot fill it before the wait runs out;
when flat, all but the bars where an entry condition holds (found a chunk at a time by `watch`;
the previous close and bands are indicators, so they are right whichever bars were skipped).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal

import msgspec
import numpy as np

from tradeyard.bots import BarsView, Strategy
from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.indicators import BollingerBands, Previous, RealizedVolatility

__all__ = ["BollingerRV", "BollingerRVParams"]

_Frac = Annotated[float, msgspec.Meta(ge=0.0, le=0.5)]


class BollingerRVParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    period: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 20
    """Bollinger window, in bars."""
    k: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 2.0
    """Outer band width in standard deviations."""
    inner_k: Annotated[float, msgspec.Meta(gt=0.0, le=10.0)] = 1.0
    """Inner band width in standard deviations (must be below k)."""
    rv_period: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 30
    """Window of the realized-volatility filter, in bars."""
    rv_min: _Frac = 0.0003
    """Lowest one-bar realized volatility that allows an entry."""
    rv_max: _Frac = 0.005
    """Highest one-bar realized volatility that allows an entry."""
    take_profit: _Frac = 0.0016
    """Take-profit distance from the entry price (0.0016 = +0.16 %)."""
    stop_loss: _Frac = 0.0011
    """Stop-loss distance from the entry price (0.0011 = −0.11 %)."""
    entry_offset: _Frac = 0.0002
    """Limit entry this fraction better than the signal bar's close."""
    entry_timeout: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 3
    """Bars an unfilled limit entry waits before it is cancelled."""

    def __post_init__(self) -> None:
        if self.inner_k >= self.k:
            raise ConfigError(
                f"inner_k ({self.inner_k}) must be less than k ({self.k})", where="params.inner_k"
            )
        if self.rv_min > self.rv_max:
            raise ConfigError(
                f"rv_min ({self.rv_min}) must not exceed rv_max ({self.rv_max})",
                where="params.rv_min",
            )


class BollingerRV(Strategy[BollingerRVParams]):
    name = "bollinger_rv"
    Params = BollingerRVParams

    def on_start(self) -> None:
        p = self.params
        self.bands = self.indicator(
            BollingerBands(p.period, p.k, p.inner_k),
            plot={"BB upper": "upper", "BB mid": "mid", "BB lower": "lower"},
        )
        self.rv = self.indicator(RealizedVolatility(p.rv_period))
        # The previous bar's close and bands, right whichever bars this strategy skipped.
        self.prev_bands = self.indicator(Previous(BollingerBands(p.period, p.k, p.inner_k)))
        self.prev_close = self.indicator(Previous("close"))
        self.state: Literal["flat", "pending", "long", "short"] = "flat"
        self.side = 0
        self.entry = 0.0
        self.tp = 0.0
        self.sl = 0.0
        self.waited = 0
        self.entry_bar = False

    def on_bar(self, bar: Bar) -> None:
        if self.state == "pending":
            self._check_entry(bar)
        if self.state in ("long", "short"):
            self._check_exit(bar)
        elif self.state == "flat":
            self._look_for_entry(bar)
        self._skip_quiet_bars()

    def _skip_quiet_bars(self) -> None:
        if self.state == "flat":
            self.skip_bars(wake_on="entry")
        elif self.state == "long":
            self.skip_bars(above=self.tp, below=self.sl)
        elif self.state == "short":
            self.skip_bars(above=self.sl, below=self.tp)
        else:  # pending: until the limit could fill, or the bar the wait runs out on
            wait = self.params.entry_timeout - self.waited - 1
            if self.side > 0:
                self.skip_bars(below=self.entry, bars=wait)
            else:
                self.skip_bars(above=self.entry, bars=wait)

    def watch(self, bars: BarsView) -> Mapping[str, np.ndarray]:
        """ "entry": the bars where `_look_for_entry` could enter (the same tests, in numpy)."""
        p, close = self.params, bars.close
        upper, lower = bars.output(self.bands, "upper"), bars.output(self.bands, "lower")
        prev_close = bars.output(self.prev_close)
        prev_upper = bars.output(self.prev_bands, "upper")
        prev_lower = bars.output(self.prev_bands, "lower")
        rv = bars.output(self.rv)
        with np.errstate(invalid="ignore"):
            calm = (rv >= p.rv_min) & (rv <= p.rv_max)
            back_up = (prev_close < prev_lower) & (close > lower)
            back_down = (prev_close > prev_upper) & (close < upper)
        return {"entry": calm & (back_up | back_down)}

    def _look_for_entry(self, bar: Bar) -> None:
        p, b = self.params, self.bands
        rv = self.rv.value
        if not (p.rv_min <= rv <= p.rv_max):  # False for NaN while warming up
            return
        prev_close, prev = self.prev_close.value, self.prev_bands
        if prev_close < prev.lower and bar.close > b.lower:
            price = bar.close * (1.0 - p.entry_offset)
            self._enter(1, price, f"close back above lower band (rv {rv:.5f})")
        elif prev_close > prev.upper and bar.close < b.upper:
            price = bar.close * (1.0 + p.entry_offset)
            self._enter(-1, price, f"close back below upper band (rv {rv:.5f})")

    def _enter(self, side: int, price: float, reason: str) -> None:
        p = self.params
        self.side, self.entry, self.waited, self.state = side, price, 0, "pending"
        self.tp = price * (1.0 + side * p.take_profit)
        self.sl = price * (1.0 - side * p.stop_loss)
        verb = self.go_long if side > 0 else self.go_short
        verb(reason, price=price, take_profit=self.tp, stop_loss=self.sl)

    def _check_entry(self, bar: Bar) -> None:
        self.waited += self.bars_skipped  # skipped bars did not fill (see `_skip_quiet_bars`)
        filled = bar.low <= self.entry if self.side > 0 else bar.high >= self.entry
        if filled:
            self.state = "long" if self.side > 0 else "short"
            self.entry_bar = True
            return
        self.waited += 1
        if self.waited >= self.params.entry_timeout:
            self.state = "flat"
            self.go_flat("limit entry not filled in time")

    def _check_exit(self, bar: Bar) -> None:
        entry_bar, self.entry_bar = self.entry_bar, False
        if self.side > 0:
            stop_hit, tp_hit = bar.low <= self.sl, bar.high >= self.tp
        else:
            stop_hit, tp_hit = bar.high >= self.sl, bar.low <= self.tp
        if stop_hit:
            self.state = "flat"
            self.go_flat("stop loss")
        elif tp_hit and not entry_bar:
            self.state = "flat"
            self.go_flat("take profit")
