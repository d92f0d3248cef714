"""Where the real market data shipped inside the package lives (see its PROVENANCE.md)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["BUNDLED_SYMBOLS", "bundled_bars_dir", "bundled_funding_dir"]

_ROOT = Path(__file__).resolve().parent / "bundled"

BUNDLED_SYMBOLS = (
    "BTCUSDT",
    "ETHUSDT",
    "SOLUSDT",
    "XRPUSDT",
    "BNBUSDT",
    "LTCUSDT",
    "LINKUSDT",
    "AVAXUSDT",
    "BCHUSDT",
    "SUIUSDT",
)


def bundled_bars_dir() -> Path:
    """Folder of `<SYMBOL>.parquet` Binance USDⓈ-M 1m klines (30 days, 10 symbols)."""
    return _ROOT / "binance-usdm-1m"


def bundled_funding_dir() -> Path:
    return _ROOT / "binance-usdm-funding"
