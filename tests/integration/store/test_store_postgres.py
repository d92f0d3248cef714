"""The order store on a real PostgreSQL server: the same forward-only upserts and idempotent
fills as on SQLite (the dialect's own INSERT ... ON CONFLICT), and rows that outlive the
connection.

The server comes from the `postgres_url` fixture (tests/integration/conftest.py, started by
`tradeyard.testkit.postgres`); the test is skipped, saying why, only when no server starts.
"""

from __future__ import annotations

import pytest

from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.store import open_store

pytestmark = pytest.mark.slow


def _cmd(seq: int) -> SubmitOrder:
    return SubmitOrder("pg-trader", "bybit", "BTCUSDT", 0, f"pg-trader-{seq}", "sell", "market",
                       0.01)  # fmt: skip


def _update(seq: int, status: str, filled: float = 0.0) -> OrderUpdate:
    return OrderUpdate("pg-trader", "bybit", "BTCUSDT", 5_000, f"pg-trader-{seq}", status,
                       "sell", "market", 0.01, filled_qty=filled, venue_order_id="abc")  # type: ignore[arg-type]  # fmt: skip


def _fill(fill_id: str) -> Fill:
    return Fill("pg-trader", "bybit", "BTCUSDT", 6_000, "pg-trader-1", "sell", 0.01, 60_000.0,
                0.33, "taker", fill_id=fill_id)  # fmt: skip


def test_store_on_postgresql_when_updates_and_fills_repeat_keeps_one_forward_state(
    postgres_url: str,
) -> None:
    with open_store(postgres_url) as store:
        assert store.dialect == "postgresql"
        assert store.record_intent(_cmd(1), 1_000) is True
        assert store.record_intent(_cmd(1), 1_001) is False
        assert store.record_intent(_cmd(2), 1_002) is True
        assert store.record_update(_update(1, "new")) is True
        assert store.record_update(_update(1, "new")) is False
        assert store.record_update(_update(1, "filled", 0.01)) is True
        assert store.record_update(_update(1, "new")) is False
        assert store.record_fill(_fill("e-1")) is True
        assert store.record_fill(_fill("e-1")) is False
    with open_store(postgres_url) as again:
        row = again.order("pg-trader-1")
        assert row is not None
        assert (row.status, row.filled_qty, row.venue_order_id, row.created_ms) == (
            "filled", 0.01, "abc", 1_000,
        )  # fmt: skip
        assert [o.client_order_id for o in again.unfinished("bybit")] == ["pg-trader-2"]
        assert [f.fill_id for f in again.fills("pg-trader-1")] == ["e-1"]
        assert again.last_sequence("pg-trader") == 2


def test_store_on_postgresql_when_traders_fill_nets_positions_per_trader_and_symbol(
    postgres_url: str,
) -> None:
    """The positions aggregate (SUM over a CASE, GROUP BY) and the entry walk on PostgreSQL."""

    def fill(trader: str, symbol: str, side: str, qty: float, price: float, ts: int) -> Fill:
        return Fill(trader, "pgvenue", symbol, ts, f"{trader}-{ts}", side, qty, price, 0.0,
                    "taker", fill_id=f"p-{ts}")  # type: ignore[arg-type]  # fmt: skip

    with open_store(postgres_url) as store:
        for f in [
            fill("a", "BTCUSDT", "buy", 0.004, 60_000.0, 1),
            fill("a", "BTCUSDT", "buy", 0.006, 60_100.0, 2),
            fill("b", "BTCUSDT", "buy", 0.1, 59_000.0, 3),
            fill("b", "BTCUSDT", "buy", 0.2, 59_500.0, 4),
            fill("b", "BTCUSDT", "sell", 0.5, 62_000.0, 5),  # through zero: short 0.2
            fill("b", "ETHUSDT", "sell", 1.0, 2_000.0, 6),
            fill("b", "ETHUSDT", "buy", 1.0, 1_900.0, 7),  # closed: left out
        ]:
            assert store.record_fill(f) is True
        got = store.positions("pgvenue")
    assert {k: (p.qty, p.fills) for k, p in got.items()} == {
        ("a", "BTCUSDT"): (0.01, 2),
        ("b", "BTCUSDT"): (-0.2, 3),
    }
    assert got[("a", "BTCUSDT")].entry_price == pytest.approx(60_060.0)
    assert got[("b", "BTCUSDT")].entry_price == 62_000.0


def test_store_on_postgresql_when_fills_are_missing_lists_the_finished_order(
    postgres_url: str,
) -> None:
    """The short-of-fills query (an outer join on a grouped subquery) on PostgreSQL."""
    venue = "pgshort"
    with open_store(postgres_url) as store:
        for seq, fills in ((1, [0.004]), (2, [0.004, 0.006])):
            cid = f"short-{seq}"
            cmd = SubmitOrder("short", venue, "BTCUSDT", 0, cid, "buy", "market", 0.01)
            assert store.record_intent(cmd, 1_000 + seq)
            done = OrderUpdate("short", venue, "BTCUSDT", 2_000 + seq, cid, "filled", "buy",
                               "market", 0.01, filled_qty=0.01, venue_order_id=f"x{seq}")  # fmt: skip
            assert store.record_update(done)
            for k, qty in enumerate(fills):
                fill = Fill("short", venue, "BTCUSDT", 3_000, cid, "buy", qty, 60_000.0, 0.0,
                            "taker", fill_id=f"{cid}-{k}")  # fmt: skip
                assert store.record_fill(fill)
        assert [r.client_order_id for r in store.short_of_fills(venue)] == ["short-1"]


def test_store_on_postgresql_when_a_column_is_missing_adds_it_at_open(postgres_url: str) -> None:
    """A database created before `take_profit` / `stop_loss` existed gets them at open."""
    from sqlalchemy import create_engine, inspect

    with open_store(postgres_url):
        pass  # the tables exist
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("ALTER TABLE orders DROP COLUMN take_profit")
        conn.exec_driver_sql("ALTER TABLE orders DROP COLUMN stop_loss")
    with open_store(postgres_url) as store:
        entry = SubmitOrder("mig", "pgmig", "BTCUSDT", 0, "mig-1", "buy", "limit", 0.01,
                            price=60_000.0, take_profit=61_000.0)  # fmt: skip
        assert store.record_intent(entry, 1)
        got = store.order("mig-1")
        assert got is not None and (got.take_profit, got.stop_loss) == (61_000.0, None)
    with engine.connect() as conn:
        assert {"take_profit", "stop_loss"} <= {
            c["name"] for c in inspect(conn).get_columns("orders")
        }
    engine.dispose()
