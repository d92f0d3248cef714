"""Built-in strategies (signal bots) and the registry the config and CLI look names up in."""

from __future__ import annotations

from typing import Any

from tradeyard.bots import Strategy
from tradeyard.errors import ConfigError
from tradeyard.strategies.bollinger_rv import BollingerRV, BollingerRVParams
from tradeyard.strategies.engulfing_rsi import EngulfingRsi, EngulfingRsiParams
from tradeyard.strategies.rsi_macd_cci import RsiMacdCci, RsiMacdCciParams
from tradeyard.strategies.sma_cross import SmaCross, SmaCrossParams
from tradeyard.strategies.volatility_breakout import VolatilityBreakout, VolatilityBreakoutParams

__all__ = [
    "REGISTRY",
    "BollingerRV",
    "BollingerRVParams",
    "EngulfingRsi",
    "EngulfingRsiParams",
    "RsiMacdCci",
    "RsiMacdCciParams",
    "SmaCross",
    "SmaCrossParams",
    "VolatilityBreakout",
    "VolatilityBreakoutParams",
    "get",
]


REGISTRY: dict[str, type[Strategy[Any]]] = {
    cls.name: cls for cls in (SmaCross, BollingerRV, VolatilityBreakout, RsiMacdCci, EngulfingRsi)
}


def get(name: str) -> type[Strategy[Any]]:
    try:
        return REGISTRY[name]
    except KeyError:
        raise ConfigError(
            f"unknown strategy {name!r}: expected one of {', '.join(sorted(REGISTRY))}",
            where="strategy",
        ) from None
