"""A store created before a column was added keeps working: `open_store` adds what it lacks."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Column, MetaData, Table, create_engine

from tradeyard.events import SubmitOrder
from tradeyard.store import open_store
from tradeyard.store.schema import ADDED_COLUMNS, fills, orders


def _like(c: Column[Any]) -> Column[Any]:
    return Column(c.name, c.type, primary_key=c.primary_key, nullable=c.nullable)


def _old_store(path: Path) -> None:
    """The tables as an earlier version created them (without the added columns)."""
    old = MetaData()
    added = ADDED_COLUMNS["orders"]
    Table("orders", old, *[_like(c) for c in orders.columns if c.name not in added])
    Table("fills", old, *[_like(c) for c in fills.columns])
    engine = create_engine(f"sqlite:///{path}")
    old.create_all(engine)
    engine.dispose()


def test_open_store_when_tables_predate_a_column_adds_it_and_keeps_the_rows(
    tmp_path: Path,
) -> None:
    db = tmp_path / "tradeyard.db"
    _old_store(db)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO orders (client_order_id, trader, seq, venue, symbol, side, order_type, "
            "qty, reduce_only, status, filled_qty, venue_order_id, reason, created_ms, "
            "updated_ms) VALUES ('t1-1', 't1', 1, 'binance', 'BTCUSDT', 'buy', 'limit', 0.01, "
            "0, 'new', 0, 'v1', '', 1, 1)"
        )
    with open_store("", tmp_path) as store:
        old = store.order("t1-1")
        assert old is not None and old.status == "new" and old.take_profit is None
        entry = SubmitOrder("t1", "binance", "BTCUSDT", 2, "t1-2", "buy", "limit", 0.01,
                            price=60_000.0, take_profit=61_000.0, stop_loss=59_000.0)  # fmt: skip
        assert store.record_intent(entry, 2)
        got = store.order("t1-2")
        assert got is not None and (got.take_profit, got.stop_loss) == (61_000.0, 59_000.0)
    with open_store("", tmp_path) as again:  # a second open finds nothing to add
        assert again.order("t1-2") == got
