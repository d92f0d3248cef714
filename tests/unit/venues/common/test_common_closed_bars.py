"""ClosedBarGate (shared by the live adapters): each closed bar once, in order; a missed close
becomes a gap to backfill."""

from __future__ import annotations

from tradeyard.venues.common.closed_bars import ClosedBarGate
from tradeyard.venues.common.kline import Kline

M = 60_000


def k(open_time: int, closed: bool) -> Kline:
    return Kline("BTCUSDT", "1m", open_time, open_time + M - 1, 1.0, 2.0, 0.5, 1.5, 10.0, closed)


def test_gate_when_in_progress_then_closed_publishes_once_at_close() -> None:
    gate = ClosedBarGate(M, last_open=0)
    assert gate.on_kline(k(M, False)) == (None, None)
    gap, ready = gate.on_kline(k(M, True))
    assert gap is None and ready == k(M, True)
    gate.mark(M)
    assert gate.on_kline(k(M, True)) == (None, None)  # duplicate frame


def test_gate_when_newer_candle_starts_after_missed_closes_reports_gap() -> None:
    gate = ClosedBarGate(M, last_open=0)
    gap, ready = gate.on_kline(k(3 * M, False))
    assert gap == (M, 3 * M) and ready is None
    assert not gate.complete_up_to(3 * M)
    gate.mark(M)
    gate.mark(2 * M)
    assert gate.complete_up_to(3 * M)


def test_gate_when_without_history_publishes_first_closed_bar_without_gap() -> None:
    gate = ClosedBarGate(M)
    assert gate.on_kline(k(5 * M, True)) == (None, k(5 * M, True))


def test_gate_when_marked_older_bar_keeps_latest() -> None:
    gate = ClosedBarGate(M, last_open=4 * M)
    gate.mark(2 * M)
    assert gate.last_open == 4 * M
