"""Fee models: how much a fill costs.

A protocol rather than two floats on the venue so tiered or per-symbol schedules (VIP levels,
BNB discounts, rebates on some symbols) can be plugged in without touching the matching code.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from tradeyard.errors import ConfigError

__all__ = ["FeeModel", "Liquidity", "MakerTakerFees"]

Liquidity = Literal["maker", "taker"]


@runtime_checkable
class FeeModel(Protocol):
    def fee(self, symbol: str, notional: float, liquidity: Liquidity) -> float:
        """The fee in quote currency (USDT) for a fill of `notional` = qty × price."""
        ...


class MakerTakerFees:
    """A flat maker / taker rate on the notional, as on Binance USDⓈ-M futures' base tier."""

    __slots__ = ("maker", "taker")

    def __init__(self, maker: float, taker: float) -> None:
        if not (maker >= 0.0 and taker >= 0.0):
            raise ConfigError(
                f"fee rates must be >= 0, got maker={maker!r} taker={taker!r}; "
                "write 0.0002 for 0.02%"
            )
        self.maker = float(maker)
        self.taker = float(taker)

    def fee(self, symbol: str, notional: float, liquidity: Liquidity) -> float:
        return notional * (self.maker if liquidity == "maker" else self.taker)

    def __repr__(self) -> str:
        return f"MakerTakerFees(maker={self.maker!r}, taker={self.taker!r})"
