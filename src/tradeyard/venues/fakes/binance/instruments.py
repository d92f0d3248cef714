"""Exchange filters of the replayed symbols, derived from the data itself.

Binance publishes PRICE_FILTER.tickSize and LOT_SIZE.stepSize per symbol; the Parquet bars do
not carry them, but they show them: every price of a symbol is a multiple of its tick, and every
volume a sum of trade quantities, each a multiple of the step. So the tick is the finest decimal
seen in the prices and the step the finest decimal seen in the volumes. On the bundled data
this gives Binance's real values (BTCUSDT 0.1 / 0.001, ETHUSDT 0.01 / 0.001, AVAXUSDT 0.001 / 1,
XRPUSDT 0.0001 / 0.1 …). MIN_NOTIONAL cannot be derived: it comes from the small table below
(Binance's values in 2025; 5 USDT for the rest). Max quantities are a rough order of magnitude
(about 100 M USDT of notional) and only bound absurd orders.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from tradeyard.events.instrument import InstrumentSpec
from tradeyard.marketdata import BarSeries

__all__ = ["MIN_NOTIONAL", "SymbolInfo", "decimals_of", "derive_symbols"]

MIN_NOTIONAL: dict[str, float] = {
    "BTCUSDT": 100.0,
    "ETHUSDT": 20.0,
    "BCHUSDT": 20.0,
    "LTCUSDT": 20.0,
    "LINKUSDT": 20.0,
}
DEFAULT_MIN_NOTIONAL = 5.0
MAX_DECIMALS = 8


@dataclass(frozen=True, slots=True)
class SymbolInfo:
    """What exchangeInfo says about one symbol, plus the sim's view of it (`spec`)."""

    spec: InstrumentSpec
    price_dp: int
    """Decimals of the tick (pricePrecision); prices are formatted with it."""
    qty_dp: int
    max_qty: float
    market_max_qty: float
    onboard_ms: int

    @property
    def symbol(self) -> str:
        return self.spec.symbol


def decimals_of(values: np.ndarray, max_dp: int = MAX_DECIMALS) -> int:
    """The fewest decimals that write every value exactly (up to float noise), at most `max_dp`."""
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    for dp in range(max_dp + 1):
        scaled = v * 10.0**dp
        err = np.abs(scaled - np.round(scaled))
        if np.all(err <= 1e-9 * np.maximum(1.0, np.abs(scaled))):
            return dp
    return max_dp


def _symbol_info(series: BarSeries, min_notional: float) -> SymbolInfo:
    prices = np.concatenate([series.open, series.high, series.low, series.close])
    price_dp = decimals_of(prices)
    qty_dp = decimals_of(series.volume)
    tick = round(10.0**-price_dp, price_dp)
    step = round(10.0**-qty_dp, qty_dp)
    top = float(np.max(series.high)) if len(series) else 1.0
    max_qty = 10.0 ** math.ceil(math.log10(1e8 / max(top, 1e-12)))
    max_qty = max(max_qty, step * 1000)
    base = series.symbol[:-4] if series.symbol.endswith("USDT") else series.symbol
    spec = InstrumentSpec(
        symbol=series.symbol,
        tick_size=tick,
        step_size=step,
        min_qty=step,
        min_notional=min_notional,
        max_leverage=125.0,
        base_asset=base,
        quote_asset="USDT",
    )
    onboard = int(series.open_time[0]) if len(series) else 0
    return SymbolInfo(spec, price_dp, qty_dp, max_qty, max_qty / 10.0, onboard)


def derive_symbols(
    bars: Mapping[str, BarSeries], min_notional: Mapping[str, float] | None = None
) -> dict[str, SymbolInfo]:
    """SymbolInfo per replayed symbol (see the module doc for where each number comes from)."""
    overrides = dict(min_notional or {})
    out = {}
    for sym, series in bars.items():
        notional = overrides.get(sym, MIN_NOTIONAL.get(sym, DEFAULT_MIN_NOTIONAL))
        out[sym] = _symbol_info(series, notional)
    return out
