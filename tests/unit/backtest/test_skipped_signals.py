"""`skipped_signals` and `rejected_orders`: what traders wanted and did not get, summarised."""

from __future__ import annotations

from tradeyard.backtest.results import rejected_orders, skipped_signals
from tradeyard.bots.sizing_record import SizingDecision
from tradeyard.events import OrderUpdate


def _decision(ts: int, status: str, kind: str = "", skip: str = "") -> SizingDecision:
    return SizingDecision(
        ts, "BTCUSDT", "go", {"s": 1.0}, {"s": 1.0}, 1.0, 100.0, "equity_fraction", None, None,
        1.0, 50_000.0, 0.0019, 0.0019, 0.0, status=status, skip=skip, skip_kind=kind,
    )  # type: ignore[arg-type]  # fmt: skip


def test_skipped_signals_when_kinds_interleave_counts_each_in_order_of_first_seen() -> None:
    decisions = [
        _decision(1, "sent"),
        _decision(2, "skipped", "min_notional", "notional 4.00 USDT below the minimum 5"),
        _decision(3, "skipped", "below_step", "the position asked for, 0.0004, is less"),
        _decision(4, "skipped", "min_notional", "notional 3.00 USDT below the minimum 5"),
        _decision(5, "rejected"),
        _decision(6, "skipped", "min_notional", "notional 2.00 USDT below the minimum 5"),
    ]
    out = skipped_signals(decisions)
    assert [(s.kind, s.count, s.first_time, s.last_time) for s in out] == [
        ("min_notional", 3, 2, 6),
        ("below_step", 1, 3, 3),
    ]
    assert out[0].example.startswith("BTCUSDT: target +1 (s +1×1)")
    assert out[0].example.endswith("no order: notional 4.00 USDT below the minimum 5")


def test_skipped_signals_when_a_capped_decision_has_no_reason_leaves_it_out() -> None:
    # A leverage cap that shrank the order to nothing is recorded "skipped" without a reason:
    # the cap explains it and it is not a signal the trader failed to act on.
    assert skipped_signals([_decision(1, "skipped"), _decision(2, "sent")]) == []


def _update(cid: str, status: str, qty: float = 1.0, ts: int = 0) -> OrderUpdate:
    return OrderUpdate("t", "sim", "BTCUSDT", ts, cid, status, "buy", "market", qty)  # type: ignore[arg-type]


def test_rejected_orders_when_cancels_are_refused_too_keeps_only_the_refused_orders() -> None:
    updates = [
        _update("a", "rejected", ts=1),  # refused on arrival (a filter)
        _update("b", "new", ts=2),
        _update("b", "rejected", ts=3),  # accepted, then not marginable at the open
        _update("c", "new", ts=4),
        _update("c", "filled", ts=5),
        _update("c", "rejected", ts=6),  # a cancel of c, refused: c had filled already
        _update("x", "rejected", qty=0.0, ts=7),  # a cancel of an order the venue never knew
    ]
    assert [(u.client_order_id, u.ts) for u in rejected_orders(updates)] == [("a", 1), ("b", 3)]
