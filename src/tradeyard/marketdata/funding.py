"""Load funding-rate history: Parquet with `funding_time` (ms UTC) and `funding_rate` columns."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from tradeyard.errors import DataError

__all__ = ["load_funding"]


def load_funding(folder: str | Path, symbols: Iterable[str]) -> dict[str, list[tuple[int, float]]]:
    """Funding events per symbol from `<folder>/<SYMBOL>.parquet`; symbols without a file get none."""
    root = Path(folder)
    out: dict[str, list[tuple[int, float]]] = {}
    for symbol in symbols:
        f = root / f"{symbol}.parquet"
        if not f.exists():
            continue
        table = pq.read_table(f)
        for c in ("funding_time", "funding_rate"):
            if c not in table.column_names:
                raise DataError(
                    f"{f}: missing column {c}; expected funding_time (ms UTC), funding_rate"
                )
        t = table.column("funding_time").to_numpy().astype(np.int64)
        r = table.column("funding_rate").to_numpy().astype(np.float64)
        order = np.argsort(t, kind="stable")
        out[symbol] = list(zip(t[order].tolist(), r[order].tolist(), strict=True))
    return out
