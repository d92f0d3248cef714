"""`OrderStore.last_entries`: per trader and symbol, the latest order that was not reduce-only,
with the exits it announced (what a restarted trader protects a position with)."""

from __future__ import annotations

from pathlib import Path

from tradeyard.events import SubmitOrder
from tradeyard.store import open_store


def _cmd(trader: str, seq: int, symbol: str, reduce_only: bool = False,
         venue: str = "binance", tp: float | None = None) -> SubmitOrder:  # fmt: skip
    return SubmitOrder(trader, venue, symbol, seq, f"{trader}-{seq}", "buy", "limit", 0.01,
                       price=100.0, reduce_only=reduce_only, take_profit=tp)  # fmt: skip


def test_last_entries_when_orders_interleave_picks_each_traders_latest_entry_per_symbol(
    tmp_path: Path,
) -> None:
    with open_store("", tmp_path) as store:
        for cmd in [
            _cmd("t1", 1, "BTCUSDT", tp=101.0),
            _cmd("t1", 2, "ETHUSDT"),
            _cmd("t1", 3, "BTCUSDT", tp=102.0),  # t1's latest BTCUSDT entry
            _cmd("t1", 4, "BTCUSDT", reduce_only=True),  # an exit: not an entry
            _cmd("t2", 1, "BTCUSDT"),
            _cmd("t1", 5, "BTCUSDT", venue="bybit"),  # another venue
        ]:
            assert store.record_intent(cmd, cmd.ts)
        got = store.last_entries("binance")
    assert {k: (r.client_order_id, r.take_profit) for k, r in got.items()} == {
        ("t1", "BTCUSDT"): ("t1-3", 102.0),
        ("t1", "ETHUSDT"): ("t1-2", None),
        ("t2", "BTCUSDT"): ("t2-1", None),
    }
