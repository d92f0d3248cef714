"""Configuration of the simulated venue.

A frozen msgspec Struct so a TOML/JSON config decodes straight into it with every bound checked
(negative fees, a zero starting balance and unknown keys are refused at load time, naming the
key), and so a run's parameters can be journaled next to its results.
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

import msgspec

from tradeyard.events.instrument import InstrumentSpec
from tradeyard.venues.sim.leverage_brackets import Bracket, BracketTable

__all__ = [
    "FixedBpsSlippage",
    "MarginMode",
    "NoSlippage",
    "SimVenueConfig",
    "Slippage",
    "SpreadSlippage",
    "VolumeShareSlippage",
    "default_instrument",
]

_Rate = Annotated[float, msgspec.Meta(ge=0.0)]
_FeeRate = Annotated[float, msgspec.Meta(ge=0.0, le=0.01)]
"""A fee is a fraction of the notional: 0.0005 is 0.05 %; above 1 % it is a percent typed as a
fraction (or a typo), and would drive accounts below zero on every trade."""
_Pos = Annotated[float, msgspec.Meta(gt=0.0)]
_Share = Annotated[float, msgspec.Meta(gt=0.0, le=1.0)]

MarginMode = Literal["cross", "isolated"]


def default_instrument(symbol: str) -> InstrumentSpec:
    """The filters used for a symbol the config does not describe.

    Deliberately permissive (tick and step 1e-8, no minimums, 125x) so that users' own data
    backtests without first writing exchange filters for it.
    """
    return InstrumentSpec(
        symbol=symbol,
        tick_size=1e-8,
        step_size=1e-8,
        min_qty=0.0,
        min_notional=0.0,
        max_leverage=125.0,
    )


# -- slippage: `slippage = {model = "...", ...}` ------------------------------------------------
class NoSlippage(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="model", tag="none"
):
    """Fill at the reference price (the open, the trigger, the limit)."""


class FixedBpsSlippage(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="model", tag="fixed_bps"
):
    """Takers pay `bps` basis points: a buy fills at ref × (1 + bps/10⁴), a sell at ref × (1 − bps/10⁴)."""

    bps: _Rate


class VolumeShareSlippage(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="model", tag="volume_share"
):
    """Price impact and a participation cap from the bar's volume (defaults: zipline's numbers).

    Takers move the price by impact_coefficient × (filled qty / bar volume), as a fraction of the
    reference price. An account fills at most `max_volume_share` × the bar's volume per bar and
    symbol; the rest of an order waits for the next bar.
    """

    impact_coefficient: _Rate = 0.1
    max_volume_share: _Share = 0.025

    def __post_init__(self) -> None:
        if self.impact_coefficient * self.max_volume_share >= 1.0:
            raise ValueError(
                f"impact_coefficient × max_volume_share = "
                f"{self.impact_coefficient * self.max_volume_share:g} would move a sell to a price "
                f"≤ 0; keep the product below 1"
            )


class SpreadSlippage(
    msgspec.Struct, frozen=True, forbid_unknown_fields=True, tag_field="model", tag="spread"
):
    """Takers cross half the bid-ask spread, the bar price being taken as the mid.

    `spread_bps[symbol]` is the full quoted spread in basis points (`default_spread_bps` for other
    symbols). A stand-in until quote data exists: bars carry no spread.
    """

    spread_bps: dict[str, _Rate] = {}
    default_spread_bps: _Rate = 0.0


Slippage = NoSlippage | FixedBpsSlippage | VolumeShareSlippage | SpreadSlippage


class SimVenueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the simulated venue charges and starts accounts with, and its risk rules.

    `instruments` maps a symbol to its exchange filters; `instruments_history` gives filters
    that changed during the backtest. When both are empty every symbol trades with
    `default_instrument(symbol)`; otherwise orders on symbols in neither are rejected (a typo in a
    symbol should not silently trade without filters).
    """

    name: str = "sim"
    maker_fee: _FeeRate = 0.0002
    """Fee rate on the notional of fills that rested in the book (passive limit orders)."""
    taker_fee: _FeeRate = 0.0005
    """Fee rate on the notional of fills that took liquidity (market, stop, take-profit,
    marketable limit)."""
    starting_balance: _Pos = 10_000.0
    """USDT deposited by `open_account` when no balance is given."""
    default_leverage: _Pos = 1.0
    """Leverage of a symbol for an account until an order sets another one."""
    instruments: dict[str, InstrumentSpec] = {}
    instruments_history: dict[str, list[tuple[int, InstrumentSpec]]] = {}
    """Per symbol, (effective-from ms, filters) pairs in time order: an order is checked against
    the filters in force at its `ts`. Before the first date the `instruments` entry applies if
    there is one, else the earliest filters given (listing-time filters are rarely published)."""
    margin_mode: MarginMode = "cross"
    """Margin mode of every symbol not in `margin_modes`, for every account."""
    margin_modes: dict[str, MarginMode] = {}
    brackets: dict[str, list[Bracket]] = {}
    """Leverage brackets per symbol; others use `leverage_brackets.DEFAULT_BRACKETS`."""
    liquidation_fee_rate: Annotated[float, msgspec.Meta(ge=0.0, lt=1.0)] = 0.0125
    """Charged on the notional of a liquidation instead of the taker fee (Binance's clearance fee
    is 1.25% on most symbols); for isolated positions it is capped at the margin left."""
    slippage: Slippage = NoSlippage()

    def __post_init__(self) -> None:
        for key, spec in self.instruments.items():
            if key != spec.symbol:
                raise ValueError(
                    f"instruments[{key!r}] describes symbol {spec.symbol!r}; "
                    f"the key must be the spec's symbol"
                )
        for key, history in self.instruments_history.items():
            if not history:
                raise ValueError(f"instruments_history[{key!r}] is empty: give at least one spec")
            for k, (_, spec) in enumerate(history):
                if key != spec.symbol:
                    raise ValueError(
                        f"instruments_history[{key!r}][{k}] describes symbol {spec.symbol!r}; "
                        f"it must be {key!r}"
                    )
            for k, ((t0, _), (t1, _)) in enumerate(itertools.pairwise(history)):
                if t1 <= t0:
                    raise ValueError(
                        f"instruments_history[{key!r}][{k + 1}] takes effect at {t1} ms, not after "
                        f"the previous entry ({t0} ms); list them in increasing time order"
                    )
        for key, tiers in self.brackets.items():
            BracketTable(key, tiers)  # raises ValueError naming the bad tier

    def listed(self) -> list[str]:
        """The symbols the config describes (empty: any symbol trades with default filters)."""
        return [
            *self.instruments,
            *(s for s in self.instruments_history if s not in self.instruments),
        ]

    def instrument(self, symbol: str) -> InstrumentSpec | None:
        """The spec of `symbol` when no time is known, or None when it is not tradable here.

        The `instruments` entry, else the most recent of `instruments_history`, else the default
        filters when the config lists no symbol at all.
        """
        if not self.instruments and not self.instruments_history:
            return default_instrument(symbol)
        spec = self.instruments.get(symbol)
        if spec is None and symbol in self.instruments_history:
            spec = self.instruments_history[symbol][-1][1]
        return spec

    def margin_mode_of(self, symbol: str) -> MarginMode:
        return self.margin_modes.get(symbol, self.margin_mode)
