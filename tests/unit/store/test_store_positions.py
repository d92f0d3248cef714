"""`OrderStore.positions`: who owns what on a venue, from the recorded fills (SQLite here; the
same query runs on PostgreSQL in tests/integration/store/test_store_postgres.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tradeyard.events import Fill
from tradeyard.events.position_math import entry_after
from tradeyard.store import OrderStore, PositionRecord, open_store

VENUE = "binanceusdm"


def _fill(
    trader: str, symbol: str, side: str, qty: float, price: float, ts: int, venue: str = VENUE
) -> Fill:
    return Fill(trader, venue, symbol, ts, f"{trader}-{ts}", side, qty, price, 0.0, "taker",
                fill_id=f"{symbol}-{ts}")  # type: ignore[arg-type]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OrderStore]:
    s = open_store("", tmp_path)
    yield s
    s.close()


def test_positions_when_store_is_empty_are_empty(store: OrderStore) -> None:
    assert store.positions(VENUE) == {}


def test_positions_when_traders_fill_on_several_symbols_nets_each_trader_and_symbol(
    store: OrderStore,
) -> None:
    fills = [
        # t1 BTCUSDT: long 0.01 in two partial fills, then adds 0.01 → +0.02 @ VWAP
        _fill("t1", "BTCUSDT", "buy", 0.004, 60_000.0, 1),
        _fill("t1", "BTCUSDT", "buy", 0.006, 60_100.0, 2),
        _fill("t1", "BTCUSDT", "buy", 0.01, 61_000.0, 5),
        # t1 ETHUSDT: long 0.3, reduced by 0.1 (the entry stays)
        _fill("t1", "ETHUSDT", "buy", 0.3, 2_000.0, 3),
        _fill("t1", "ETHUSDT", "sell", 0.1, 2_100.0, 6),
        # t2 BTCUSDT: long 0.1+0.2 (an ugly float sum), then a reversal through zero to short
        _fill("t2", "BTCUSDT", "buy", 0.1, 59_000.0, 4),
        _fill("t2", "BTCUSDT", "buy", 0.2, 59_500.0, 7),
        _fill("t2", "BTCUSDT", "sell", 0.5, 62_000.0, 8),
        # t2 SOLUSDT: opened and fully closed: dropped
        _fill("t2", "SOLUSDT", "sell", 3.0, 150.0, 9),
        _fill("t2", "SOLUSDT", "buy", 1.0, 140.0, 10),
        _fill("t2", "SOLUSDT", "buy", 2.0, 145.0, 11),
        # another venue's fills do not count here
        _fill("t1", "BTCUSDT", "buy", 1.0, 60_000.0, 12, venue="bybit"),
    ]
    for f in fills:
        assert store.record_fill(f) is True
    assert store.record_fill(fills[0]) is False  # a fill seen twice is stored (and counted) once

    got = store.positions(VENUE)

    assert set(got) == {("t1", "BTCUSDT"), ("t1", "ETHUSDT"), ("t2", "BTCUSDT")}
    btc = got[("t1", "BTCUSDT")]
    assert (btc.trader, btc.symbol, btc.qty, btc.fills) == ("t1", "BTCUSDT", 0.02, 3)
    assert btc.entry_price == pytest.approx(
        (0.004 * 60_000 + 0.006 * 60_100 + 0.01 * 61_000) / 0.02
    )
    assert got[("t1", "ETHUSDT")] == PositionRecord("t1", "ETHUSDT", 0.2, 2_000.0, 2)
    # 0.1 + 0.2 − 0.5 is −0.19999999999999998 in floats: rounded to 12 decimals
    assert got[("t2", "BTCUSDT")] == PositionRecord("t2", "BTCUSDT", -0.2, 62_000.0, 3)
    assert store.positions("bybit") == {
        ("t1", "BTCUSDT"): PositionRecord("t1", "BTCUSDT", 1.0, 60_000.0, 1)
    }


def test_positions_when_reopened_after_flat_take_entry_from_the_new_fills_only(
    store: OrderStore,
) -> None:
    for f in [
        _fill("t1", "BTCUSDT", "buy", 0.01, 50_000.0, 1),
        _fill("t1", "BTCUSDT", "sell", 0.01, 55_000.0, 2),
        _fill("t1", "BTCUSDT", "buy", 0.02, 60_000.0, 3),
    ]:
        store.record_fill(f)
    assert store.positions(VENUE) == {
        ("t1", "BTCUSDT"): PositionRecord("t1", "BTCUSDT", 0.02, 60_000.0, 3)
    }


@pytest.mark.parametrize(
    ("position", "entry", "signed", "price", "expected"),
    [
        (0.0, 0.0, 0.5, 100.0, 100.0),  # opens
        (0.5, 100.0, 0.5, 110.0, 105.0),  # increases: volume-weighted
        (-0.5, 100.0, -1.5, 120.0, 115.0),  # increases a short
        (1.0, 100.0, -0.4, 130.0, 100.0),  # reduces: unchanged
        (1.0, 100.0, -1.0, 130.0, 0.0),  # closes
        (1.0, 100.0, -3.0, 90.0, 90.0),  # crosses zero: the remainder opens at the fill's price
        (0.3, 100.0, -0.1 - 0.2, 90.0, 0.0),  # flat up to float noise
    ],
)
def test_entry_after_follows_the_exchanges_rule(
    position: float, entry: float, signed: float, price: float, expected: float
) -> None:
    assert entry_after(position, entry, signed, price) == pytest.approx(expected)
