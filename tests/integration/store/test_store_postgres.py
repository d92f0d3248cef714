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
