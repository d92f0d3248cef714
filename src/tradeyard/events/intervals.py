"""Bar intervals and their length: part of the vocabulary, so bots and data loaders share one table."""

from __future__ import annotations

__all__ = ["INTERVAL_MS"]

INTERVAL_MS: dict[str, int] = {
    "1m": 60_000,
    "3m": 180_000,
    "5m": 300_000,
    "15m": 900_000,
    "30m": 1_800_000,
    "1h": 3_600_000,
    "2h": 7_200_000,
    "4h": 14_400_000,
    "6h": 21_600_000,
    "8h": 28_800_000,
    "12h": 43_200_000,
    "1d": 86_400_000,
}
"""Every interval tradeyard knows, in ms, shortest first (Binance's names)."""
