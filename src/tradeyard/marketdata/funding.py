"""Load funding-rate history: Parquet with `funding_time` (ms UTC) and `funding_rate` columns."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from tradeyard.errors import DataError

__all__ = ["load_funding"]

_MS_MIN, _MS_MAX = 1_000_000_000_000, 9_999_999_999_999
_MAX_RATE = 0.05
"""Exchanges cap a funding rate at a few per cent per interval (Binance ±3 % on most symbols,
Bybit similar); 5 % or more is a unit mistake (a percent stored as a fraction)."""


def load_funding(path: str | Path, symbols: Iterable[str]) -> dict[str, list[tuple[int, float]]]:
    """Funding events per symbol from `<path>/<SYMBOL>.parquet`, or from `path` itself when it is
    one file and one symbol is traded. Symbols without a file get none (the caller says so)."""
    root = Path(path)
    wanted = list(symbols)
    if not root.exists():
        raise DataError(f"funding: {root} does not exist; give a folder of <SYMBOL>.parquet files")
    if root.is_file():
        if len(wanted) != 1:
            raise DataError(
                f"funding: {root} is one file but {len(wanted)} symbols are traded; give a folder "
                "of <SYMBOL>.parquet files"
            )
        return {wanted[0]: _read(root)}
    out: dict[str, list[tuple[int, float]]] = {}
    for symbol in wanted:
        f = root / f"{symbol}.parquet"
        if f.exists():
            out[symbol] = _read(f)
    return out


def _read(f: Path) -> list[tuple[int, float]]:
    try:
        table = pq.read_table(f)
    except Exception as e:  # pyarrow raises several types for a file that is not Parquet
        raise DataError(f"{f}: cannot read as Parquet ({e})") from e
    for c in ("funding_time", "funding_rate"):
        if c not in table.column_names:
            raise DataError(
                f"{f}: missing column {c}; expected funding_time (ms UTC), funding_rate"
            )
    t = _as_ms(f, table.column("funding_time").to_numpy())
    r = table.column("funding_rate").to_numpy().astype(np.float64)
    bad = np.flatnonzero(~np.isfinite(r))
    if bad.size:
        raise DataError(f"{f}: funding_rate is missing or not finite at row {int(bad[0])}")
    big = np.flatnonzero(np.abs(r) >= _MAX_RATE)
    if big.size:
        i = int(big[0])
        raise DataError(
            f"{f}: funding_rate {r[i]:g} at row {i} is {r[i] * 100:g} % per interval: rates are "
            "fractions (0.0001 = 0.01 %)"
        )
    if t.size and (t.min() < _MS_MIN or t.max() > _MS_MAX):
        raise DataError(
            f"{f}: funding_time {int(t[0])} is not in milliseconds since the epoch (seconds or "
            "microseconds?): convert to ms UTC"
        )
    order = np.argsort(t, kind="stable")
    return list(zip(t[order].tolist(), r[order].tolist(), strict=True))


def _as_ms(f: Path, t: np.ndarray) -> np.ndarray:
    if np.issubdtype(t.dtype, np.datetime64):
        return t.astype("datetime64[ms]").astype(np.int64)
    if not np.issubdtype(t.dtype, np.number):
        raise DataError(f"{f}: funding_time has type {t.dtype}; expected ms UTC integers")
    return t.astype(np.int64)
