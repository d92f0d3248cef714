"""`skipped_signals`: a trader's skipped decisions counted by kind, first and last time kept."""

from __future__ import annotations

from tradeyard.backtest.results import skipped_signals
from tradeyard.bots.sizing_record import SizingDecision


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
