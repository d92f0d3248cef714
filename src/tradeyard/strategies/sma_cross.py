"""sma_cross: the reference strategy for cross-checking engines.

Fast and slow simple moving averages of the close. When the fast one crosses above the slow one,
go long (reversing a short); when it crosses below, go short (reversing a long). Orders are market
orders filled at the next bar's open, so the strategy is always in the market after the first cross.

A cross needs the sign of fast − slow to go from ≤ 0 to > 0 (up) or from ≥ 0 to < 0 (down).
Averages within 1e-9 of the close of each other count as equal: floating-point noise (a running
sum and a fresh sum of the same window differ in the last bits) must not make a cross.

Between changes of that sign `on_bar` does nothing, so in a backtest it sleeps until the next
one (`watch` finds them a chunk at a time with the same arithmetic).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

import msgspec
import numpy as np

from tradeyard.bots import BarsView, Strategy
from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.indicators import SMA

__all__ = ["SmaCross", "SmaCrossParams"]


class SmaCrossParams(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    fast: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 10
    """Period of the fast SMA, in bars."""
    slow: Annotated[int, msgspec.Meta(ge=2, le=10_000)] = 30
    """Period of the slow SMA, in bars; must be greater than `fast`."""
    tolerance: Annotated[float, msgspec.Meta(ge=0.0, le=1e-3)] = 1e-9
    """Averages closer than this fraction of the close count as equal."""

    def __post_init__(self) -> None:
        if self.fast >= self.slow:
            raise ConfigError(
                f"fast ({self.fast}) must be less than slow ({self.slow}); e.g. fast=10, slow=30",
                where="params.fast",
            )


class SmaCross(Strategy[SmaCrossParams]):
    name = "sma_cross"
    Params = SmaCrossParams

    def on_start(self) -> None:
        self.fast = self.indicator(SMA(self.params.fast), plot=f"SMA {self.params.fast}")
        self.slow = self.indicator(SMA(self.params.slow), plot=f"SMA {self.params.slow}")
        self.prev_sign: int | None = None
        self.tolerance = self.params.tolerance

    def on_bar(self, bar: Bar) -> None:
        diff = self.fast.value - self.slow.value
        if diff != diff:  # NaN: an average is still warming up
            return
        if abs(diff) <= self.tolerance * bar.close:
            sign = 0
        else:
            sign = 1 if diff > 0 else -1
        prev = self.prev_sign
        self.prev_sign = sign
        if prev is not None:
            if sign > 0 and prev <= 0:
                self.go_long("fast SMA crossed above slow SMA")
            elif sign < 0 and prev >= 0:
                self.go_short("fast SMA crossed below slow SMA")
        self.skip_bars(wake_on="sign_change")

    def watch(self, bars: BarsView) -> Mapping[str, np.ndarray]:
        """The bars where the sign of fast − slow differs from the bar before's (or is unknown):
        the only bars where `on_bar` can act or change `prev_sign`."""
        diff = bars.output(self.fast) - bars.output(self.slow)
        with np.errstate(invalid="ignore"):
            sign = np.where(np.abs(diff) <= self.tolerance * bars.close, 0.0, np.sign(diff))
        change = np.ones(len(sign), dtype=bool)
        change[1:] = sign[1:] != sign[:-1]  # NaN != anything: warming up wakes every bar
        return {"sign_change": change}
