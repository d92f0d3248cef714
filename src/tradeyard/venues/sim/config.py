"""Configuration of the simulated venue.

A frozen msgspec Struct so a TOML/JSON config decodes straight into it with every bound checked
(negative fees, a zero starting balance and unknown keys are refused at load time, naming the
key), and so a run's parameters can be journaled next to its results.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from tradeyard.events.instrument import InstrumentSpec

__all__ = ["SimVenueConfig", "default_instrument"]

_Rate = Annotated[float, msgspec.Meta(ge=0.0)]
_Pos = Annotated[float, msgspec.Meta(gt=0.0)]


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


class SimVenueConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the simulated venue charges and starts accounts with.

    `instruments` maps a symbol to its exchange filters. When it is empty every symbol trades
    with `default_instrument(symbol)`; when it is not, orders on other symbols are rejected
    (a typo in a symbol should not silently trade without filters).
    """

    name: str = "sim"
    maker_fee: _Rate = 0.0002
    """Fee rate on the notional of fills that rested in the book (passive limit orders)."""
    taker_fee: _Rate = 0.0005
    """Fee rate on the notional of fills that took liquidity (market, stop, take-profit,
    marketable limit)."""
    starting_balance: _Pos = 10_000.0
    """USDT deposited by `open_account` when no balance is given."""
    default_leverage: _Pos = 1.0
    """Leverage of a symbol for an account until an order sets another one."""
    instruments: dict[str, InstrumentSpec] = {}

    def __post_init__(self) -> None:
        for key, spec in self.instruments.items():
            if key != spec.symbol:
                raise ValueError(
                    f"instruments[{key!r}] describes symbol {spec.symbol!r}; "
                    f"the key must be the spec's symbol"
                )

    def instrument(self, symbol: str) -> InstrumentSpec | None:
        """The spec the venue applies to `symbol`, or None when the symbol is not tradable here."""
        if not self.instruments:
            return default_instrument(symbol)
        return self.instruments.get(symbol)
