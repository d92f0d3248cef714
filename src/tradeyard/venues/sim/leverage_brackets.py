"""Leverage brackets: the maintenance-margin tiers of a USDⓈ-M perpetual, by position notional.

Binance publishes, per symbol, a table of brackets. Each covers a range of position notional
(floor < notional ≤ cap) and sets the highest leverage a position of that size may use and the
maintenance margin rate (mmr). The maintenance margin of a position is

    MM(notional) = notional × mmr_k − maintenance_amount_k      (k: the bracket of `notional`)

where the maintenance amount ("cum" in Binance's API) is what keeps MM continuous at the
bracket floors: amount_0 = 0 and amount_k = amount_{k−1} + floor_k × (mmr_k − mmr_{k−1}).
Continuity matters: the liquidation price is the root of equity(P) = MM(|qty| × P), and with a
continuous MM that root is unique, so it can be found bracket by bracket (see `liquidation`).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Annotated

import msgspec

__all__ = ["DEFAULT_BRACKETS", "DEFAULT_TABLE", "Bracket", "BracketTable", "fmt_amount"]

_NonNeg = Annotated[float, msgspec.Meta(ge=0.0)]
_Pos = Annotated[float, msgspec.Meta(gt=0.0)]
_Rate = Annotated[float, msgspec.Meta(gt=0.0, lt=1.0)]


class Bracket(msgspec.Struct, frozen=True, array_like=True, forbid_unknown_fields=True):
    """One tier: written in a config as `[floor, cap, max_leverage, mmr]` or with the amount.

    `maintenance_amount` may be left out: it is then computed so that MM is continuous. When it
    is given (copied from the exchange) it must agree with that rule.
    """

    notional_floor: _NonNeg
    notional_cap: _Pos
    max_leverage: _Pos
    maintenance_margin_rate: _Rate
    maintenance_amount: float | None = None


DEFAULT_BRACKETS: tuple[Bracket, ...] = (
    Bracket(0.0, 50_000.0, 125.0, 0.004),
    Bracket(50_000.0, 500_000.0, 100.0, 0.005),
    Bracket(500_000.0, 8_000_000.0, 50.0, 0.01),
    Bracket(8_000_000.0, 50_000_000.0, 20.0, 0.025),
    Bracket(50_000_000.0, 80_000_000.0, 10.0, 0.05),
    Bracket(80_000_000.0, 100_000_000.0, 5.0, 0.10),
    Bracket(100_000_000.0, 120_000_000.0, 4.0, 0.125),
    Bracket(120_000_000.0, 200_000_000.0, 3.0, 0.15),
    Bracket(200_000_000.0, 300_000_000.0, 2.0, 0.25),
    Bracket(300_000_000.0, 500_000_000.0, 1.0, 0.50),
)
"""Brackets of symbols the config does not describe.

Typical Binance USDⓈ-M tiers (shaped like BTCUSDT's), not authoritative for any date: exchanges
change them often. Give the real table of a symbol in `SimVenueConfig.brackets` when it matters.
"""


def fmt_amount(x: float) -> str:
    """A notional for a message: 300,000 or 300,000.5 (thousands separated, no float noise)."""
    return f"{x:,.2f}".rstrip("0").rstrip(".")


class BracketTable:
    """A symbol's brackets, checked and flattened into parallel lists for fast lookups."""

    __slots__ = ("amounts", "caps", "floors", "max_leverages", "rates", "symbol")

    def __init__(self, symbol: str, brackets: Sequence[Bracket]) -> None:
        """Check the tiers (raises ValueError naming the tier) and compute the amounts."""
        where = f"brackets[{symbol!r}]"
        if not brackets:
            raise ValueError(f"{where} is empty: give at least one bracket or leave the symbol out")
        self.symbol = symbol
        self.floors: list[float] = []
        self.caps: list[float] = []
        self.max_leverages: list[float] = []
        self.rates: list[float] = []
        self.amounts: list[float] = []
        prev_cap, prev_rate, amount = 0.0, 0.0, 0.0
        for k, b in enumerate(brackets):
            if b.notional_floor != prev_cap:
                want = (
                    "start at 0" if k == 0 else f"start at the previous cap {fmt_amount(prev_cap)}"
                )
                raise ValueError(
                    f"{where}[{k}]: floor {fmt_amount(b.notional_floor)} leaves a gap or an overlap; "
                    f"brackets must be contiguous and {want}"
                )
            if b.notional_cap <= b.notional_floor:
                raise ValueError(
                    f"{where}[{k}]: cap {fmt_amount(b.notional_cap)} must be above its floor "
                    f"{fmt_amount(b.notional_floor)}"
                )
            amount += b.notional_floor * (b.maintenance_margin_rate - prev_rate)
            given = b.maintenance_amount
            if given is not None and not math.isclose(given, amount, rel_tol=1e-9, abs_tol=1e-6):
                raise ValueError(
                    f"{where}[{k}]: maintenance_amount {fmt_amount(given)} makes the maintenance "
                    f"margin jump at notional {fmt_amount(b.notional_floor)}; expected "
                    f"{fmt_amount(amount)} (previous amount + floor × (mmr − previous mmr)), "
                    f"or leave it out to have it computed"
                )
            self.floors.append(b.notional_floor)
            self.caps.append(b.notional_cap)
            self.max_leverages.append(b.max_leverage)
            self.rates.append(b.maintenance_margin_rate)
            self.amounts.append(amount)
            prev_cap, prev_rate = b.notional_cap, b.maintenance_margin_rate

    def __len__(self) -> int:
        return len(self.caps)

    def index(self, notional: float) -> int:
        """The bracket of a position of `notional` (cap inclusive); len(self) above the last cap."""
        return bisect.bisect_left(self.caps, notional)

    def maintenance_margin(self, notional: float) -> float:
        """MM of a position of `notional` (the last bracket is extended beyond its cap)."""
        k = min(self.index(notional), len(self.caps) - 1)
        return notional * self.rates[k] - self.amounts[k]

    def max_leverage(self, notional: float) -> float | None:
        """The highest leverage for a position of `notional`; None above the last bracket."""
        k = self.index(notional)
        return self.max_leverages[k] if k < len(self.caps) else None

    def __repr__(self) -> str:
        return f"BracketTable({self.symbol!r}, {len(self)} brackets, last cap {self.caps[-1]:,.0f})"


DEFAULT_TABLE = BracketTable("*", DEFAULT_BRACKETS)
