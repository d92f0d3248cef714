"""TraderAccount.restore: a restarted trader starts from what it owned, and only a fresh account
can be seeded (seeding over tracked positions or orders would count them twice)."""

from __future__ import annotations

import pytest

from tradeyard.bots.trader_account import TraderAccount, WorkingOrder
from tradeyard.events import Fill, PositionUpdate


def _fill(side: str, qty: float, price: float, symbol: str = "BTCUSDT") -> Fill:
    return Fill("t1", "binance", symbol, 1, "t1-9", side, qty, price, 0.0, "taker",
                fill_id=f"{side}{qty}{price}")  # type: ignore[arg-type]  # fmt: skip


def test_restore_when_fresh_seeds_positions_and_entries_and_skips_flat_ones() -> None:
    acct = TraderAccount(leverage=2.0, margin_buffer=0.0)
    acct.restore({"BTCUSDT": 0.01, "ETHUSDT": -0.5, "SOLUSDT": 0.0}, {"BTCUSDT": 60_000.0})
    assert acct.positions == {"BTCUSDT": 0.01, "ETHUSDT": -0.5}
    assert acct.entry == {"BTCUSDT": 60_000.0}
    acct.wallet = 1_000.0
    # the restored position's margin counts: 0.01 × 60 000 / 2 = 300 (ETH has no mark yet)
    assert acct.margin_room() == pytest.approx(700.0)


def test_restore_when_account_holds_a_position_refuses_naming_it() -> None:
    acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
    acct.on_fill(_fill("buy", 0.01, 60_000.0))
    with pytest.raises(RuntimeError, match=r"already has positions BTCUSDT \+0\.01"):
        acct.restore({"BTCUSDT": 0.01}, {})
    assert acct.positions == {"BTCUSDT": 0.01}  # unchanged, not doubled


def test_restore_when_account_has_working_orders_refuses_naming_them() -> None:
    acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
    acct.working["t1-1"] = WorkingOrder("BTCUSDT", "buy", 0.01, True, 6.0)
    with pytest.raises(RuntimeError, match=r"1 working order\(s\)"):
        acct.restore({"BTCUSDT": 0.01}, {})
    assert acct.positions == {}


def test_restore_when_values_are_not_finite_refuses_before_changing_anything() -> None:
    acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
    with pytest.raises(ValueError, match=r"ETHUSDT: entry price -1\.0"):
        acct.restore({"BTCUSDT": 0.01, "ETHUSDT": 1.0}, {"ETHUSDT": -1.0})
    with pytest.raises(ValueError, match="quantity nan"):
        acct.restore({"BTCUSDT": float("nan")}, {})
    assert acct.positions == {} and acct.entry == {}


def test_restored_entry_when_fills_follow_moves_by_the_store_rule() -> None:
    acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
    acct.restore({"BTCUSDT": 0.01}, {"BTCUSDT": 60_000.0})
    acct.on_fill(_fill("buy", 0.01, 62_000.0))  # increases: volume-weighted
    assert acct.entry["BTCUSDT"] == pytest.approx(61_000.0)
    acct.on_fill(_fill("sell", 0.005, 63_000.0))  # reduces: unchanged
    assert acct.entry["BTCUSDT"] == pytest.approx(61_000.0)
    acct.on_fill(_fill("sell", 0.025, 59_000.0))  # crosses zero: short 0.01 at the fill price
    assert acct.positions["BTCUSDT"] == pytest.approx(-0.01)
    assert acct.entry["BTCUSDT"] == 59_000.0
    acct.on_fill(_fill("buy", 0.01, 58_000.0))  # flat: no entry left to go stale
    assert "BTCUSDT" not in acct.entry
    # a venue that reports positions wins over the account's own bookkeeping
    acct.on_position_update(PositionUpdate("t1", "binance", "BTCUSDT", 2, 0.01, 57_500.0))
    acct.on_fill(_fill("buy", 0.01, 70_000.0))
    assert acct.entry["BTCUSDT"] == 57_500.0


def test_fills_when_nothing_was_restored_leave_entries_to_position_updates() -> None:
    """Backtests and paper venues: unchanged behaviour (the venue's PositionUpdate sets it)."""
    acct = TraderAccount(leverage=1.0, margin_buffer=0.0)
    acct.on_fill(_fill("buy", 0.01, 62_000.0))
    assert acct.entry == {}
