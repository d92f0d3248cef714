"""Position and wallet arithmetic: entries, realized PnL, reversals, reduce-only, marks, margin.

Fees: taker 0.0005 (market orders). Bar i opens at i·60_000 ms.
"""

from __future__ import annotations

import pytest

from tradeyard.events import Fill, OrderUpdate, PositionUpdate
from tradeyard.venues.sim import Account

CMD = "cmd.sim"


def _flat_bar(bar, i, price):
    return bar(i, price, price, price, price)


def test_position_when_long_is_reversed_to_short_realizes_pnl_and_opens_at_fill_price(
    venue, collect, bar, order
):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("b", "buy", "market", 2.0))
    venue.on_bar(_flat_bar(bar, 1, 100.0))  # long 2 @ 100, fee 2 × 100 × 0.0005 = 0.1
    venue.on_command(CMD, order("s", "sell", "market", 5.0, ts=119_999))
    venue.on_bar(bar(2, 110.0, 111.0, 109.0, 110.0))  # sell 5 @ 110, fee 5 × 110 × 0.0005 = 0.275

    reversal = collect.of(Fill)[-1]
    assert reversal.realized_pnl == pytest.approx((110.0 - 100.0) * 2.0)  # 20
    pos = collect.of(PositionUpdate)[-1]
    assert (pos.qty, pos.entry_price) == (-3.0, 110.0)
    acct = venue.account("t1")
    assert acct.wallet_balance == pytest.approx(10_000 - 0.1 + 20 - 0.275)  # 10,019.625
    assert acct.positions["BTCUSDT"].realized_pnl == pytest.approx(20.0)
    assert acct.used_margin == pytest.approx(3.0 * 110.0 / 1.0)


def test_position_when_increased_has_qty_weighted_entry_price(venue, collect, bar, order):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("b1", "buy", "market", 1.0))
    venue.on_bar(_flat_bar(bar, 1, 100.0))
    venue.on_command(CMD, order("b2", "buy", "market", 3.0, ts=119_999))
    venue.on_bar(_flat_bar(bar, 2, 104.0))

    pos = venue.account("t1").positions["BTCUSDT"]
    assert pos.qty == 4.0
    assert pos.entry_price == pytest.approx((1 * 100.0 + 3 * 104.0) / 4)  # 103


def test_position_when_short_is_reduced_realizes_pnl_and_keeps_entry(venue, collect, bar, order):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("s1", "sell", "market", 2.0))
    venue.on_bar(_flat_bar(bar, 1, 100.0))
    venue.on_command(CMD, order("b1", "buy", "market", 1.0, ts=119_999))
    venue.on_bar(_flat_bar(bar, 2, 90.0))

    assert collect.of(Fill)[-1].realized_pnl == pytest.approx((100.0 - 90.0) * 1.0)  # 10
    pos = venue.account("t1").positions["BTCUSDT"]
    assert (pos.qty, pos.entry_price) == (-1.0, 100.0)


def test_reduce_only_when_larger_than_position_fills_the_closing_part_and_cancels_the_rest(
    venue, collect, bar, order
):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("b", "buy", "market", 1.0))
    venue.on_bar(_flat_bar(bar, 1, 100.0))
    venue.on_command(CMD, order("r", "sell", "market", 3.0, reduce_only=True, ts=119_999))
    collect.clear()
    venue.on_bar(_flat_bar(bar, 2, 102.0))

    assert collect.kinds() == [
        "Fill", "OrderUpdate", "PositionUpdate", "BalanceUpdate", "OrderUpdate",
    ]  # fmt: skip
    (fill,) = collect.of(Fill)
    assert (fill.qty, fill.price) == (1.0, 102.0)
    assert fill.realized_pnl == pytest.approx(2.0)
    partial, canceled = collect.of(OrderUpdate)
    assert (partial.status, partial.filled_qty) == ("partially_filled", 1.0)
    assert (canceled.status, canceled.reason) == (
        "canceled",
        "reduce-only order would increase the position",
    )
    assert venue.account("t1").positions["BTCUSDT"].qty == 0.0
    assert not venue.has_exposure("t1")


def test_reduce_only_when_position_is_flat_at_fill_time_is_canceled_entirely(
    venue, collect, bar, order
):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("r", "sell", "stop", 1.0, trigger=99.0, reduce_only=True))
    venue.on_bar(bar(1, 100.0, 100.0, 98.0, 99.0))

    assert collect.of(Fill) == []
    last = collect.of(OrderUpdate)[-1]
    assert last.status == "canceled"
    assert last.reason == "reduce-only order would increase the position"


def test_equity_when_marked_to_closes_is_wallet_plus_unrealized(venue, collect, bar, order):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_bar(bar(0, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))
    venue.on_command(CMD, order("b", "buy", "market", 2.0, leverage=5.0))
    venue.on_command(CMD, order("e", "sell", "market", 1.0, symbol="ETHUSDT", leverage=2.0))
    venue.on_bar(bar(1, 100.0, 104.0, 99.0, 103.0))
    venue.on_bar(bar(1, 50.0, 51.0, 47.0, 48.0, symbol="ETHUSDT"))

    acct = venue.account("t1")
    # BTC long 2 @ 100 marked at 103: +6; ETH short 1 @ 50 marked at 48: +2
    assert acct.unrealized_pnl == pytest.approx(6.0 + 2.0)
    # fees: 2 × 100 × 0.0005 + 1 × 50 × 0.0005 = 0.1 + 0.025
    assert acct.wallet_balance == pytest.approx(10_000 - 0.125)
    assert venue.equity("t1") == pytest.approx(acct.wallet_balance + 8.0)
    # used margin: 2 × 100 / 5 + 1 × 50 / 2 = 40 + 25
    assert acct.used_margin == pytest.approx(65.0)
    assert acct.available == pytest.approx(venue.equity("t1") - 65.0)


def test_available_when_limit_order_rests_excludes_its_margin_and_fee(venue, bar, order, cancel):
    venue.on_bar(_flat_bar(bar, 0, 100.0))
    venue.on_command(CMD, order("l", "buy", "limit", 10.0, price=90.0, leverage=2.0))

    acct = venue.account("t1")
    # 10 × 90 / 2 = 450 margin, + 10 × 90 × 0.0005 = 0.45 estimated taker fee
    assert acct.reserved_margin == pytest.approx(450.45)
    assert acct.available == pytest.approx(10_000 - 450.45)
    venue.on_command(CMD, cancel("l"))
    assert acct.available == pytest.approx(10_000)


def test_account_when_fill_reverses_position_books_realized_pnl_and_fees_directly():
    acct = Account("t", 1_000.0, "exec.t")
    pos = acct.position("BTCUSDT", 2.0)

    assert acct.apply_fill(pos, -1.5, 200.0, 0.15) == 0.0  # short 1.5 @ 200
    realized = acct.apply_fill(pos, 2.0, 190.0, 0.19)  # buy 2 @ 190: close 1.5, long 0.5
    assert realized == pytest.approx((200.0 - 190.0) * 1.5)  # 15
    assert (pos.qty, pos.entry_price) == (0.5, 190.0)
    assert acct.wallet_balance == pytest.approx(1_000 - 0.15 + 15 - 0.19)
    assert acct.used_margin == pytest.approx(0.5 * 190.0 / 2.0)
    acct.mark(pos, 194.0)
    assert acct.equity == pytest.approx(acct.wallet_balance + 0.5 * 4.0)
    assert acct.n_open_positions == 1
