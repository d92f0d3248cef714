"""How a portfolio trader shares its buying power between the symbols it trades.

Buying power is `equity × leverage` (equity = the wallet balance the venue last reported). An
allocation gives each of the trader's symbols a weight; a full position there (the followed
strategies' combined target at ±1) is worth `equity × leverage × weight` of notional. The
weights of the trader's symbols add up to at most 1, so with every symbol fully in the market
the book is worth at most `leverage × equity`. Pick a mode by its `mode` field:

    allocation = {mode = "equal_weight"}
    allocation = {mode = "fixed_fraction", fractions = {BTCUSDT = 0.4, ETHUSDT = 0.2}, default = 0.1}
    allocation = {mode = "volatility_scaled", period = 60}

A symbol's weight is looked up when one of its strategies signals, and its position is resized
then; the trader never rebalances a symbol nobody signalled (that would mean orders on every
bar for weight drift a trader would not act on).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Annotated

import msgspec

from tradeyard.errors import ConfigError
from tradeyard.events import Bar
from tradeyard.indicators import RealizedVolatility

__all__ = ["Allocation", "EqualWeight", "FixedFraction", "VolatilityFeed", "VolatilityScaled"]

_Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]


class EqualWeight(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="equal_weight", tag_field="mode"
):
    """Each of the trader's N symbols gets 1 / N: ten symbols at 2x on 10,000 USDT → 2,000 each."""

    def weight(
        self, symbol: str, symbols: Sequence[str], volatility: Mapping[str, float]
    ) -> float | None:
        return 1.0 / len(symbols) if symbol in symbols else None

    def missing_reason(self, symbol: str) -> str:
        return f"{symbol} is not one of the trader's symbols"

    def check(self, symbols: Sequence[str], where: str) -> None:
        """Refuse a configuration that cannot work, before the first bar."""


class FixedFraction(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag="fixed_fraction", tag_field="mode"
):
    """A set share per symbol; symbols not listed get `default` (0: not traded).

    The shares of the trader's symbols must add up to at most 1: take more exposure with
    `leverage`, not with shares, so that the leverage setting keeps meaning what it says.
    """

    fractions: dict[str, _Fraction] = msgspec.field(default_factory=dict)
    default: _Fraction = 0.0

    def weight(
        self, symbol: str, symbols: Sequence[str], volatility: Mapping[str, float]
    ) -> float | None:
        if symbol not in symbols:
            return None
        return self.fractions.get(symbol, self.default)

    def missing_reason(self, symbol: str) -> str:
        return f"{symbol} is not one of the trader's symbols"

    def check(self, symbols: Sequence[str], where: str) -> None:
        stray = sorted(set(self.fractions) - set(symbols))
        if stray:
            raise ConfigError(
                f"fixed_fraction lists {', '.join(stray)}, which the trader does not trade "
                f"(its symbols: {', '.join(symbols)}); remove them or add them to the symbols",
                where=f"{where}.allocation.fractions",
            )
        total = math.fsum(self.fractions.get(s, self.default) for s in symbols)
        if total > 1.0 + 1e-9:
            raise ConfigError(
                f"fixed_fraction shares add up to {total:.4g} over the trader's {len(symbols)} "
                "symbols (default included); they must add up to at most 1 — use leverage for "
                "more exposure",
                where=f"{where}.allocation",
            )


class VolatilityScaled(
    msgspec.Struct,
    frozen=True,
    forbid_unknown_fields=True,
    tag="volatility_scaled",
    tag_field="mode",
):
    """Weights ∝ 1 / σ, normalised to add up to 1: calm symbols get more notional, wild ones less,
    so each symbol contributes about the same risk.

    σ is the realized volatility (standard deviation of log returns) of the last `period` closed
    bars of each symbol, kept up to date by the trader from the bars it trades on (O(1) per bar).
    A symbol without a σ yet (fewer than `period` + 1 bars, or a perfectly flat price) is not
    traded, and the weights are shared among the symbols that have one.
    """

    period: Annotated[int, msgspec.Meta(ge=2, le=1_000_000)] = 60
    """Number of bar returns σ is measured over (60 on 1m bars = the last hour)."""

    def weight(
        self, symbol: str, symbols: Sequence[str], volatility: Mapping[str, float]
    ) -> float | None:
        own = volatility.get(symbol, math.nan)
        if symbol not in symbols or not own > 0.0:  # NaN (warming up) or 0 (flat)
            return None
        total = math.fsum(1.0 / v for s in symbols if (v := volatility.get(s, math.nan)) > 0.0)
        return (1.0 / own) / total

    def missing_reason(self, symbol: str) -> str:
        return (
            f"no volatility for {symbol} yet: volatility_scaled needs {self.period + 1} closed "
            "bars (and a price that moves)"
        )

    def check(self, symbols: Sequence[str], where: str) -> None:
        """Nothing to check: every symbol's σ comes from the bars."""


Allocation = EqualWeight | FixedFraction | VolatilityScaled


class VolatilityFeed:
    """Feeds one symbol's closes to its σ (volatility_scaled): a trader's only per-bar work, O(1).

    `prices` is the trader's last-price map, kept up to date with the closes on the way.
    """

    __slots__ = ("indicator", "prices", "symbol")

    def __init__(self, symbol: str, period: int, prices: dict[str, float]) -> None:
        self.symbol = symbol
        self.indicator = RealizedVolatility(period)
        self.prices = prices

    def on_message(self, topic: str, bar: Bar) -> None:
        if bar.closed:
            self.indicator.update(bar.close)
            self.prices[self.symbol] = bar.close
