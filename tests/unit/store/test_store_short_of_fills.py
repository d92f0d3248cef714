"""`OrderStore.short_of_fills`: finished orders whose recorded fills add up to less than their
filled quantity (a stop between writing the final state and the last fills): what reconcile
fetches again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tradeyard.events import Fill, OrderUpdate, SubmitOrder
from tradeyard.store import OrderStore, open_store

VENUE = "binanceusdm"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[OrderStore]:
    s = open_store("", tmp_path)
    yield s
    s.close()


def _order(store: OrderStore, cid: str, status: str, filled: float, fills: list[float],
           venue: str = VENUE, venue_id: str = "v1", ts: int = 1) -> None:  # fmt: skip
    cmd = SubmitOrder("t1", venue, "BTCUSDT", ts, cid, "buy", "market", 0.03)
    assert store.record_intent(cmd, ts)
    update = OrderUpdate(
        "t1", venue, "BTCUSDT", ts, cid, status, "buy", "market", 0.03,  # type: ignore[arg-type]
        filled_qty=filled, venue_order_id=venue_id,
    )  # fmt: skip
    assert store.record_update(update, ts)
    for k, qty in enumerate(fills):
        fill = Fill("t1", venue, "BTCUSDT", ts, cid, "buy", qty, 60_000.0, 0.0, "taker",
                    fill_id=f"{cid}-{k}")  # fmt: skip
        assert store.record_fill(fill)


def test_short_of_fills_lists_finished_orders_missing_fills_newest_first(
    store: OrderStore,
) -> None:
    _order(store, "t1-1", "filled", 0.03, [0.01], ts=1)  # two fills never written
    _order(store, "t1-2", "canceled", 0.02, [], ts=5)  # partly filled, then cancelled
    _order(store, "t1-3", "filled", 0.03, [0.01, 0.02])  # complete
    _order(store, "t1-4", "filled", 0.03, [0.1 + 0.2 - 0.28, 0.01])  # complete up to float noise
    _order(store, "t1-5", "partially_filled", 0.02, [])  # unfinished: reconciled anyway
    _order(store, "t1-6", "filled", 0.03, [], venue_id="")  # no exchange id: cannot be asked
    _order(store, "t1-7", "filled", 0.03, [], venue="bybit")  # another venue
    got = store.short_of_fills(VENUE)
    assert [(r.client_order_id, r.filled_qty) for r in got] == [("t1-2", 0.02), ("t1-1", 0.03)]
    assert [r.client_order_id for r in store.short_of_fills(VENUE, limit=1)] == ["t1-2"]
    assert store.short_of_fills("bybit")[0].client_order_id == "t1-7"
