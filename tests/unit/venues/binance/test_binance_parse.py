"""schemas.py and parse.py on Binance's recorded kline frames (the ccxt unified dicts are tested
for both venues in tests/unit/venues/common/test_common_parse.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tradeyard.events import Bar
from tradeyard.venues.binance.parse import (
    bar_from_kline,
)
from tradeyard.venues.binance.schemas import decode_kline

FIXTURES = Path(__file__).resolve().parents[4] / "tests" / "fixtures" / "binanceusdm"


def test_decode_kline_when_docs_frame_gives_bar_with_binance_times() -> None:
    frame = json.loads((FIXTURES / "ws_kline.json").read_text())
    kline = decode_kline(frame)
    assert kline is not None and not kline.closed
    bar = bar_from_kline(kline, "binanceusdm")
    assert bar == Bar(
        "binanceusdm", "BTCUSDT", "1m", 1638747660000, 1638747719999,
        0.001, 0.0025, 0.0015, 0.002, 1000.0, False,
    )  # fmt: skip


def test_decode_kline_when_not_a_kline_returns_none() -> None:
    frame = json.loads((FIXTURES / "ws_mark_price_update.json").read_text())
    assert decode_kline(frame) is None
    assert decode_kline({"e": "kline", "k": {"t": "bad"}}) is None
