"""Order admission: every rejection reason, cancels, and that a bad order changes nothing else.

BTCUSDT: tick 0.01, step 0.001, min qty 0.001, min notional 5, max leverage 125.
ETHUSDT: min qty 0.01, max leverage 100. Bar 0 closes at 100.
"""

from __future__ import annotations

import pytest

from tradeyard.events import Fill, OrderUpdate

CMD = "cmd.sim"


def _only_rejection(collect):
    assert collect.kinds() == ["OrderUpdate"]
    (upd,) = collect.of(OrderUpdate)
    assert upd.status == "rejected"
    return upd.reason


@pytest.fixture
def ready(venue, collect, bar):
    """The venue after bar 0 (close 100), with nothing published yet."""
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0, symbol="ETHUSDT"))
    collect.clear()
    return venue


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 0.0015},
            "qty 0.0015 is not a multiple of step size 0.001 for BTCUSDT",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 0.005, "symbol": "ETHUSDT"},
            "qty 0.005 below min qty 0.01 for ETHUSDT",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 0.032},
            "notional 3.20 USDT below min notional 5 for BTCUSDT",  # 0.032 × 100
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "limit", "qty": 1.0, "price": 100.005},
            "price 100.005 is not a multiple of tick size 0.01 for BTCUSDT",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "stop", "qty": 1.0, "trigger": 101.001},
            "trigger_price 101.001 is not a multiple of tick size 0.01 for BTCUSDT",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 1.0, "leverage": 150.0},
            "leverage 150 above the maximum 125 for BTCUSDT",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "limit", "qty": 1.0},
            "limit order needs a price",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "stop", "qty": 1.0},
            "stop order needs a trigger_price",
        ),
        (
            {"coid": "a", "side": "sell", "order_type": "take_profit", "qty": 1.0},
            "take_profit order needs a trigger_price",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 1.0, "symbol": "DOGEUSDT"},
            "unknown symbol DOGEUSDT: not in the venue's instruments (known: BTCUSDT, ETHUSDT)",
        ),
        (
            {"coid": "a", "side": "buy", "order_type": "market", "qty": 1.0, "trader": "x"},
            "unknown account 'x': open_account first",
        ),
    ],
)
def test_submit_when_order_breaks_a_rule_is_rejected_with_the_reason(
    ready, collect, order, fields, reason
):
    ready.on_command(CMD, order(**fields))

    assert _only_rejection(collect) == reason
    assert ready.open_orders("t1") == []


def test_submit_when_trader_has_no_account_reports_on_that_traders_topic(ready, collect, order):
    ready.on_command(CMD, order("a", "buy", "market", 1.0, trader="x"))

    assert [topic for topic, _ in collect.events] == ["exec.x"]


def test_submit_when_margin_is_insufficient_is_rejected_and_nothing_else_changes(
    make_venue, collect, bar, order
):
    venue = make_venue(balance=1_000.0)
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("keep", "buy", "limit", 1.0, price=80.0))
    acct = venue.account("t1")
    before = (acct.wallet_balance, acct.reserved_margin, acct.available)
    collect.clear()

    venue.on_command(CMD, order("big", "buy", "limit", 12.345, price=100.0))

    # margin 12.345 × 100 / 1 = 1,234.50; fee 1,234.5 × 0.0005 = 0.61725; available
    # 1,000 − (80 + 0.04) reserved by "keep" = 919.96
    assert _only_rejection(collect) == (
        "insufficient margin: order needs 1,234.50 USDT initial margin + 0.62 USDT fee, "
        "available 919.96 USDT"
    )
    assert (acct.wallet_balance, acct.reserved_margin, acct.available) == before
    assert [o.client_order_id for o in venue.open_orders("t1")] == ["keep"]
    assert acct.positions["BTCUSDT"].leverage == 1.0


def test_submit_when_exactly_affordable_is_accepted(make_venue, collect, bar, order):
    venue = make_venue(balance=1_000.0)
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    # 9.995 × 100 = 999.50 margin + 0.49975 fee = 999.99975 ≤ 1,000
    venue.on_command(CMD, order("a", "buy", "market", 9.995))

    assert collect.of(OrderUpdate)[-1].status == "new"


def test_market_order_when_open_gaps_beyond_the_margin_is_rejected_at_the_open(
    make_venue, collect, bar, order
):
    venue = make_venue(balance=1_000.0)
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    # at 100: 990 margin + 0.495 fee fits into 1,000
    venue.on_command(CMD, order("m", "buy", "market", 9.9))
    venue.on_command(CMD, order("sl", "sell", "stop", 9.9, trigger=90.0, reduce_only=True,
                                parent_id="m"))  # fmt: skip
    collect.clear()
    venue.on_bar(bar(1, 102.0, 103.0, 101.0, 102.0))

    # at 102: 9.9 × 102 = 1,009.80 margin + 0.5049 fee > 1,000
    assert collect.of(Fill) == []
    m, sl = collect.of(OrderUpdate)
    assert (m.status, m.ts) == ("rejected", 60_000)
    assert m.reason == (
        "insufficient margin: order needs 1,009.80 USDT initial margin + 0.50 USDT fee "
        "at the open 102, available 1,000.00 USDT"
    )
    assert (sl.status, sl.reason) == ("canceled", "parent m rejected")
    assert venue.account("t1").available == pytest.approx(1_000.0)


def test_submit_when_reduce_only_would_increase_the_position_is_rejected(
    ready, collect, bar, order
):
    ready.on_command(CMD, order("b", "buy", "market", 1.0))
    ready.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    collect.clear()
    ready.on_command(CMD, order("r", "buy", "limit", 1.0, price=99.0, reduce_only=True))

    assert _only_rejection(collect) == "reduce-only order would increase the position"


def test_submit_when_reduce_only_is_below_min_notional_is_accepted(ready, collect, bar, order):
    ready.on_command(CMD, order("b", "buy", "market", 1.0))
    ready.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    ready.on_command(CMD, order("r", "sell", "market", 0.01, reduce_only=True, ts=119_999))
    ready.on_bar(bar(2, 100.0, 100.0, 100.0, 100.0))

    assert [(f.client_order_id, f.qty) for f in collect.of(Fill)] == [("b", 1.0), ("r", 0.01)]


def test_submit_when_client_order_id_was_used_before_is_rejected(ready, collect, order):
    ready.on_command(CMD, order("a", "buy", "limit", 1.0, price=90.0))
    collect.clear()
    ready.on_command(CMD, order("a", "buy", "limit", 1.0, price=91.0))

    assert _only_rejection(collect) == "duplicate client_order_id 'a' for trader 't1'"
    assert [o.price for o in ready.open_orders("t1")] == [90.0]


def test_submit_when_post_only_limit_would_take_liquidity_is_rejected(ready, collect, order):
    ready.on_command(CMD, order("a", "buy", "limit", 1.0, price=100.0, time_in_force="GTX"))

    assert _only_rejection(collect) == (
        "post-only (GTX) limit buy at 100 would take liquidity: last close 100"
    )


def test_submit_when_market_order_comes_before_any_bar_is_rejected(venue, collect, order):
    venue.on_command(CMD, order("a", "buy", "market", 1.0))

    assert _only_rejection(collect) == (
        "no price for BTCUSDT yet: a market order needs a bar of BTCUSDT first"
    )


def test_submit_when_parent_is_unknown_is_rejected(ready, collect, order):
    ready.on_command(CMD, order("c", "sell", "stop", 1.0, trigger=90.0, parent_id="nope"))

    assert _only_rejection(collect) == "unknown parent order 'nope'"


def test_submit_when_leverage_is_given_sets_it_for_the_symbol(ready, collect, order):
    ready.on_command(CMD, order("a", "buy", "limit", 1.0, price=90.0, leverage=10.0))
    ready.on_command(CMD, order("b", "buy", "limit", 1.0, price=90.0))

    acct = ready.account("t1")
    assert acct.positions["BTCUSDT"].leverage == 10.0
    # both orders margined at 10x: 2 × (90 / 10 + 90 × 0.0005)
    assert acct.reserved_margin == pytest.approx(2 * (9.0 + 0.045))


def test_cancel_when_order_is_open_cancels_it_and_releases_its_margin(
    ready, collect, order, cancel
):
    ready.on_command(CMD, order("a", "buy", "limit", 1.0, price=90.0))
    collect.clear()
    ready.on_command(CMD, cancel("a"))

    (upd,) = collect.of(OrderUpdate)
    assert (upd.status, upd.reason, upd.price) == ("canceled", "canceled by trader", 90.0)
    assert ready.account("t1").available == pytest.approx(10_000.0)
    assert ready.open_orders("t1") == []


def test_cancel_when_order_is_unknown_is_rejected(ready, collect, cancel):
    ready.on_command(CMD, cancel("nope"))

    (upd,) = collect.of(OrderUpdate)
    assert (upd.status, upd.reason) == ("rejected", "unknown order nope")
    assert (upd.client_order_id, upd.side, upd.order_type, upd.qty) == ("nope", "buy", "market", 0)


def test_cancel_when_order_already_filled_is_rejected(ready, collect, bar, order, cancel):
    ready.on_command(CMD, order("a", "buy", "market", 1.0))
    ready.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    collect.clear()
    ready.on_command(CMD, cancel("a"))

    (upd,) = collect.of(OrderUpdate)
    assert (upd.status, upd.reason) == ("rejected", "order a is already filled: nothing to cancel")


def test_on_command_when_event_is_not_a_command_ignores_it(ready, collect, bar):
    ready.on_command(CMD, bar(1, 1.0, 1.0, 1.0, 1.0))

    assert collect.events == []


def test_submit_when_order_reverses_the_position_credits_the_margin_it_frees(
    make_venue, collect, bar, order
):
    venue = make_venue(balance=1_000.0)
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_command(CMD, order("long", "buy", "market", 9.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))
    acct = venue.account("t1")
    # long 9 @ 100: 900 margin; wallet 1,000 − 9 × 100 × 0.0005 = 999.55; available 99.55
    assert acct.available == pytest.approx(99.55)
    collect.clear()

    # sell 18: closes 9 (frees 900) and opens 9 short (needs 900 + 18 × 100 × 0.0005 = 0.9 fee)
    venue.on_command(CMD, order("flip", "sell", "market", 18.0, ts=119_999))
    assert collect.of(OrderUpdate)[-1].status == "new"
    assert acct.reserved_margin == pytest.approx(0.9)  # only what the flip adds on net
    venue.on_bar(bar(2, 100.0, 100.0, 100.0, 100.0))

    assert acct.positions["BTCUSDT"].qty == -9.0
    assert acct.wallet_balance == pytest.approx(999.55 - 0.9)
    assert acct.used_margin == pytest.approx(900.0)
    assert acct.reserved_margin == pytest.approx(0.0)


def test_cancel_when_order_was_closed_reports_what_the_venue_remembers(
    ready, collect, order, cancel
):
    ready.on_command(CMD, order("a", "sell", "limit", 2.0, price=110.0))
    ready.on_command(CMD, cancel("a"))
    collect.clear()
    ready.on_command(CMD, cancel("a"))

    (upd,) = collect.of(OrderUpdate)
    assert (upd.status, upd.side, upd.order_type, upd.qty) == ("rejected", "sell", "limit", 2.0)
    assert upd.reason == "order a is already canceled: nothing to cancel"
