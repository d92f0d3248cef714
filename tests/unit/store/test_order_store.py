"""The order store on SQLite files: intents, forward-only upserts, idempotent fills, WAL, reopen."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tradeyard.errors import ConfigError
from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.store import OrderStore, normalize_url, open_store

VENUE = "binanceusdm"


def _cmd(seq: int = 1, trader: str = "trend-1") -> SubmitOrder:
    return SubmitOrder(trader, VENUE, "ETHUSDT", 0, f"{trader}-{seq}", "buy", "limit", 0.5,
                       price=1800.0)  # fmt: skip


def _update(status: str, filled: float = 0.0, seq: int = 1, **kw: object) -> OrderUpdate:
    return OrderUpdate("trend-1", VENUE, "ETHUSDT", 1_000 + int(filled * 100),
                       f"trend-1-{seq}", status, "buy", "limit", 0.5, filled_qty=filled,
                       **kw)  # type: ignore[arg-type]  # fmt: skip


def _fill(fill_id: str = "500", qty: float = 0.5) -> Fill:
    return Fill("trend-1", VENUE, "ETHUSDT", 2_000, "trend-1-1", "buy", qty, 1800.0, 0.36,
                "maker", fill_id=fill_id)  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> OrderStore:
    s = open_store("", tmp_path)
    yield s
    s.close()


def test_store_when_intent_written_twice_keeps_one_pending_row(store: OrderStore) -> None:
    assert store.record_intent(_cmd(), 100) is True
    assert store.record_intent(_cmd(), 200) is False
    rows = store.orders()
    assert len(rows) == 1
    row = rows[0]
    assert (row.status, row.qty, row.price, row.created_ms, row.filled_qty) == (
        "pending", 0.5, 1800.0, 100, 0.0,
    )  # fmt: skip


def test_store_when_updates_arrive_upserts_forward_and_ignores_stale(store: OrderStore) -> None:
    store.record_intent(_cmd(), 100)
    assert store.record_update(_update("new", venue_order_id="8001")) is True
    assert store.record_update(_update("new")) is False  # the stream's copy of the REST answer
    assert store.record_update(_update("partially_filled", 0.2, avg_price=1800.0)) is True
    assert store.record_update(_update("partially_filled", 0.1)) is False  # late, smaller
    assert store.record_update(_update("filled", 0.5, avg_price=1799.5)) is True
    assert store.record_update(_update("new")) is False  # a late REST answer after the stream
    assert store.record_update(_update("canceled", 0.5)) is False  # nothing leaves "filled"
    row = store.order("trend-1-1")
    assert row is not None
    assert (row.status, row.filled_qty, row.avg_price, row.venue_order_id) == (
        "filled", 0.5, 1799.5, "8001",
    )  # fmt: skip
    assert row.created_ms == 100 and row.updated_ms > 100 and row.price == 1800.0
    assert store.unfinished(VENUE) == []


def test_store_when_same_fill_recorded_twice_keeps_one_row(store: OrderStore) -> None:
    assert store.record_fill(_fill("500")) is True
    assert store.record_fill(_fill("500")) is False
    assert store.record_fill(_fill("501", 0.1)) is True
    assert [f.fill_id for f in store.fills("trend-1-1")] == ["500", "501"]


def test_store_when_same_trade_id_on_two_symbols_keeps_both(store: OrderStore) -> None:
    """Binance numbers trades per symbol: the key is (venue, symbol, trade id)."""
    store.record_fill(_fill("7"))
    other = Fill("trend-1", VENUE, "BTCUSDT", 2_000, "trend-1-2", "buy", 0.01, 60000.0, 0.3,
                 "taker", fill_id="7")  # fmt: skip
    assert store.record_fill(other) is True
    assert len(store.fills()) == 2


def test_store_when_opened_on_sqlite_file_uses_wal(store: OrderStore, tmp_path: Path) -> None:
    store.record_intent(_cmd(), 100)
    with sqlite3.connect(tmp_path / "tradeyard.db") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_store_when_reopened_keeps_rows_and_unfinished_orders(tmp_path: Path) -> None:
    with open_store("sqlite:///orders.db", tmp_path) as first:
        first.record_intent(_cmd(1), 100)
        first.record_intent(_cmd(2), 101)
        first.record_update(_update("filled", 0.5, seq=2))
        first.record_fill(_fill())
    assert (tmp_path / "orders.db").is_file()
    with open_store(f"sqlite:///{tmp_path / 'orders.db'}") as again:
        assert [o.client_order_id for o in again.unfinished(VENUE)] == ["trend-1-1"]
        assert again.order("trend-1-2").status == "filled"  # type: ignore[union-attr]
        assert len(again.fills()) == 1
        assert again.unfinished("bybit") == []


def test_store_when_trader_has_orders_last_sequence_is_the_highest(store: OrderStore) -> None:
    for seq in (1, 2, 10, 9):
        store.record_intent(_cmd(seq), 100 + seq)
    store.record_intent(_cmd(3, trader="other"), 100)
    assert store.last_sequence("trend-1") == 10
    assert store.last_sequence("other") == 3
    assert store.last_sequence("nobody") == 0


def test_store_url_when_not_a_database_url_names_the_key() -> None:
    with pytest.raises(ConfigError, match=r"store\.url") as info:
        normalize_url("mysql://x@y/z")
    assert "sqlite:///" in str(info.value)
    with pytest.raises(ConfigError, match=r"store\.url"):
        normalize_url("not a url")


def test_store_url_when_postgresql_without_driver_uses_psycopg() -> None:
    assert normalize_url("postgresql://u:p@h/db").startswith("postgresql+psycopg://u:p@h/db")


def test_store_when_database_cannot_be_opened_names_store_url_and_hides_password() -> None:
    with pytest.raises(ConfigError, match=r"store\.url") as info:
        open_store("postgresql://ty:hunter2@127.0.0.1:1/ty")
    assert "hunter2" not in str(info.value) and "reachable" in str(info.value)


@pytest.mark.parametrize(("durability", "synchronous"), [("process", 1), ("power_loss", 2)])
def test_store_when_durability_chosen_sets_sqlite_synchronous_and_no_autocheckpoint(
    tmp_path: Path, durability: str, synchronous: int
) -> None:
    store = open_store("", tmp_path, durability=durability)
    try:
        with store._engine.connect() as conn:  # the pool's connection: the one writes use
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == synchronous
            assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    finally:
        store.close()


def test_store_when_checkpointed_moves_the_wal_into_the_database_file(tmp_path: Path) -> None:
    store = open_store("", tmp_path)
    for seq in range(1, 200):
        store.record_intent(_cmd(seq), 1_000)
    main, wal = tmp_path / "tradeyard.db", tmp_path / "tradeyard.db-wal"
    before = main.stat().st_size
    assert wal.stat().st_size > 0  # commits accumulate in the WAL: no checkpoint on commit
    store.checkpoint()
    assert main.stat().st_size > before  # the rows were copied into the database file
    store.close()
    with sqlite3.connect(main) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == 199


def test_store_when_durability_unknown_names_the_key(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"store\.durability"):
        open_store("", tmp_path, durability="sometimes")
