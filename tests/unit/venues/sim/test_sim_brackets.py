"""Bracket (parent → children) and OCO behaviour, and the order of fills inside one bar.

Bar 0 (close 100) sets the last close; entries fill on bar 1. Fees: maker 0.0002, taker 0.0005.
"""

from __future__ import annotations

import pytest

from tradeyard.events import Fill, OrderUpdate

CMD = "cmd.sim"


def _bracket(venue, order, entry, sl=95.0, tp=103.0, tp_type="take_profit"):
    """Submit `entry` with a reduce-only stop-loss and take-profit in one OCO group."""
    venue.on_command(CMD, entry)
    parent = entry.client_order_id
    venue.on_command(
        CMD,
        order("sl", "sell", "stop", entry.qty, trigger=sl, reduce_only=True, parent_id=parent,
              oco_group="g"),
    )  # fmt: skip
    price = {"price": tp} if tp_type == "limit" else {"trigger": tp}
    venue.on_command(
        CMD,
        order("tp", "sell", tp_type, entry.qty, reduce_only=True, parent_id=parent,
              oco_group="g", **price),
    )  # fmt: skip


def _updates(collect, coid):
    return [(u.status, u.reason) for u in collect.of(OrderUpdate) if u.client_order_id == coid]


def test_bracket_when_stop_and_take_profit_both_inside_one_bar_assumes_stop_first(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.0, 100.0))
    _bracket(venue, order, order("e1", "buy", "market", 1.0), sl=95.0, tp=103.0)
    venue.on_bar(bar(1, 100.0, 101.0, 99.0, 100.5))  # entry at 100, neither child reached
    # The TP (3 from the open) is nearer than the SL (5 away), yet the stop is assumed first.
    venue.on_bar(bar(2, 100.0, 104.0, 94.0, 100.0))

    entry, sl = collect.of(Fill)
    assert (entry.client_order_id, entry.price) == ("e1", 100.0)
    assert (sl.client_order_id, sl.price, sl.liquidity) == ("sl", 95.0, "taker")
    assert sl.realized_pnl == pytest.approx((95.0 - 100.0) * 1.0)
    assert sl.fee == pytest.approx(95.0 * 0.0005)  # 0.0475
    assert _updates(collect, "tp") == [("new", ""), ("canceled", "oco: sl filled")]
    # 10,000 − 0.05 (entry fee) − 5 − 0.0475
    assert venue.account("t1").wallet_balance == pytest.approx(9_994.9025)
    assert venue.open_orders("t1") == []


def test_bracket_when_parent_market_fills_at_open_children_can_trigger_in_that_bar(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.0, 100.0))
    _bracket(venue, order, order("e1", "buy", "market", 1.0), sl=95.0, tp=103.0, tp_type="limit")
    venue.on_bar(bar(1, 100.0, 103.5, 99.0, 102.0))

    entry, tp = collect.of(Fill)
    assert (entry.price, entry.ts) == (100.0, 60_000)
    assert (tp.client_order_id, tp.price, tp.liquidity, tp.ts) == ("tp", 103.0, "maker", 119_999)
    assert tp.fee == pytest.approx(103.0 * 0.0002)  # 0.0206
    assert _updates(collect, "sl")[-1] == ("canceled", "oco: tp filled")
    # 10,000 − 0.05 + 3 − 0.0206
    assert venue.account("t1").wallet_balance == pytest.approx(10_002.9294)


def test_bracket_when_parent_fills_inside_bar_stop_child_can_trigger_in_that_bar(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    _bracket(venue, order, order("e1", "buy", "limit", 1.0, price=99.0), sl=97.0, tp=100.0,
             tp_type="limit")  # fmt: skip
    venue.on_bar(bar(1, 100.0, 100.5, 96.5, 98.0))  # entry at 99, then (pessimistic) SL at 97

    entry, sl = collect.of(Fill)
    assert (entry.price, entry.liquidity) == (99.0, "maker")
    assert (sl.client_order_id, sl.price) == ("sl", 97.0)
    assert sl.realized_pnl == pytest.approx(-2.0)
    # 10,000 − 99 × 0.0002 − 2 − 97 × 0.0005 = 10,000 − 0.0198 − 2 − 0.0485
    assert venue.account("t1").wallet_balance == pytest.approx(9_997.9317)


def test_bracket_when_parent_fills_inside_bar_take_profit_child_waits_for_next_bar(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    _bracket(venue, order, order("e1", "buy", "limit", 1.0, price=99.0), sl=97.0, tp=100.0,
             tp_type="limit")  # fmt: skip
    venue.on_bar(bar(1, 100.0, 100.5, 98.0, 99.5))  # high 100.5 ≥ TP, but TP was not live yet

    assert [f.client_order_id for f in collect.of(Fill)] == ["e1"]
    venue.on_bar(bar(2, 99.5, 100.2, 99.2, 100.0))

    assert [(f.client_order_id, f.price) for f in collect.of(Fill)] == [("e1", 99.0), ("tp", 100.0)]
    assert _updates(collect, "sl")[-1] == ("canceled", "oco: tp filled")


def test_bracket_when_parent_canceled_children_are_canceled(venue, collect, bar, order, cancel):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    _bracket(venue, order, order("e1", "buy", "limit", 1.0, price=99.0))
    collect.clear()
    venue.on_command(CMD, cancel("e1"))

    assert [(u.client_order_id, u.status, u.reason) for u in collect.of(OrderUpdate)] == [
        ("e1", "canceled", "canceled by trader"),
        ("sl", "canceled", "parent e1 canceled"),
        ("tp", "canceled", "parent e1 canceled"),
    ]
    assert venue.open_orders("t1") == []


def test_bracket_when_children_wait_for_parent_they_do_not_fill(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    _bracket(venue, order, order("e1", "buy", "limit", 1.0, price=90.0), sl=95.0, tp=103.0)
    venue.on_bar(bar(1, 100.0, 104.0, 94.0, 100.0))  # both children's levels reached

    assert collect.of(Fill) == []
    assert len(venue.open_orders("t1")) == 3


def test_resting_orders_when_no_stop_is_involved_nearer_the_open_fills_first(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("buy", "buy", "limit", 1.0, price=99.0, oco_group="range"))
    venue.on_command(CMD, order("sell", "sell", "limit", 1.0, price=101.5, oco_group="range"))
    venue.on_bar(bar(1, 100.5, 102.0, 98.0, 100.0))  # sell is 1.0 from the open, buy 1.5

    assert [f.client_order_id for f in collect.of(Fill)] == ["sell"]
    assert _updates(collect, "buy")[-1] == ("canceled", "oco: sell filled")


def test_resting_orders_when_take_profit_gaps_at_open_it_fills_before_the_stop(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.0, 100.0))
    _bracket(venue, order, order("e1", "buy", "market", 1.0), sl=95.0, tp=103.0)
    venue.on_bar(bar(1, 100.0, 101.0, 99.0, 100.5))
    venue.on_bar(bar(2, 104.0, 104.5, 94.0, 95.0))  # opens through the TP, later falls past SL

    assert [(f.client_order_id, f.price) for f in collect.of(Fill)] == [
        ("e1", 100.0),
        ("tp", 104.0),
    ]
