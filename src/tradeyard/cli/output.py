"""Files a run writes: the JSON summary (byte-identical for identical runs) and the report.

Every file is written to a temporary name beside the target and renamed into place, so a run
that fails half-way leaves nothing half-written.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import msgspec

from tradeyard.backtest.results import BacktestResult

__all__ = ["result_json", "write_atomic"]

_TRADE_FIELDS = (
    "symbol",
    "side",
    "qty",
    "entry_time",
    "entry_price",
    "exit_time",
    "exit_price",
    "pnl",
    "fees",
)


def result_json(results: list[BacktestResult]) -> bytes:
    """`{"metrics": {...}, "trades": [...]}` for the first trader, plus `traders` when there are several."""

    def one(r: BacktestResult) -> dict[str, Any]:
        return {
            "metrics": dict(r.metrics),
            "trades": [{f: getattr(t, f) for f in _TRADE_FIELDS} for t in r.trades],
        }

    out = one(results[0])
    if len(results) > 1:
        out["traders"] = {r.label: one(r) for r in results}
    return msgspec.json.format(msgspec.json.encode(out), indent=1) + b"\n"


def write_atomic(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
