"""When orders fill, at what price and fee: market, limit, stop, take-profit (incl. gaps).

Every case sets the last close with bar 0 (close 100), submits after it, and matches on bar 1
(opens at 60_000 ms, closes at 119_999 ms). Fees: maker 0.0002, taker 0.0005.
"""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from tradeyard.bus import InProcessBus
from tradeyard.events import BalanceUpdate, Fill, OrderUpdate, PositionUpdate, SubmitOrder
from tradeyard.venues.sim import SimVenue, SimVenueConfig

CMD = "cmd.sim"
OPEN_TS = 60_000
CLOSE_TS = 119_999


def _fills(collect):
    return collect.of(Fill)


def test_market_buy_when_next_bar_opens_fills_at_that_open_with_taker_fee(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.0, 100.0))
    venue.on_command(CMD, order("m1", "buy", "market", 2.0))
    assert [u.status for u in collect.of(OrderUpdate)] == ["new"]
    collect.clear()

    venue.on_bar(bar(1, 101.0, 102.0, 100.0, 101.5))

    assert collect.kinds() == ["Fill", "OrderUpdate", "PositionUpdate", "BalanceUpdate"]
    assert all(topic == "exec.t1" for topic, _ in collect.events)
    fill, upd, pos, bal = (e for _, e in collect.events)
    assert isinstance(fill, Fill) and isinstance(upd, OrderUpdate)
    assert isinstance(pos, PositionUpdate) and isinstance(bal, BalanceUpdate)
    assert (fill.ts, fill.qty, fill.price, fill.liquidity) == (OPEN_TS, 2.0, 101.0, "taker")
    assert fill.fee == pytest.approx(2 * 101.0 * 0.0005)  # 0.101
    assert fill.fill_id == "sim-1" and fill.realized_pnl == 0.0
    assert (upd.status, upd.filled_qty, upd.avg_price) == ("filled", 2.0, 101.0)
    assert (pos.qty, pos.entry_price, pos.leverage) == (2.0, 101.0, 1.0)
    assert bal.reason == "fill" and bal.delta == pytest.approx(-0.101)
    assert bal.wallet_balance == pytest.approx(10_000 - 0.101)  # 9,999.899
    # marked to the close: 2 × (101.5 − 101) = 1.0
    assert venue.equity("t1") == pytest.approx(9_999.899 + 1.0)
    assert venue.fees_paid("t1") == pytest.approx(0.101)


def test_limit_buy_when_low_touches_price_fills_at_price_with_maker_fee(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "buy", "limit", 1.0, price=99.0))
    venue.on_bar(bar(1, 100.0, 100.5, 98.5, 99.5))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (CLOSE_TS, 99.0, "maker")
    assert fill.fee == pytest.approx(99.0 * 0.0002)  # 0.0198
    assert venue.account("t1").wallet_balance == pytest.approx(10_000 - 0.0198)


def test_limit_buy_when_bar_opens_below_price_fills_at_open_with_maker_fee(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "buy", "limit", 1.0, price=99.0))
    venue.on_bar(bar(1, 98.0, 98.5, 97.0, 98.2))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (OPEN_TS, 98.0, "maker")  # price improvement
    assert fill.fee == pytest.approx(98.0 * 0.0002)  # 0.0196


def test_limit_buy_when_low_stays_above_price_keeps_resting(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "buy", "limit", 1.0, price=99.0))
    venue.on_bar(bar(1, 100.0, 100.5, 99.01, 99.5))

    assert _fills(collect) == []
    assert [o.client_order_id for o in venue.open_orders("t1")] == ["l1"]


def test_limit_sell_when_high_touches_price_fills_at_price_with_maker_fee(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "sell", "limit", 1.0, price=101.0))
    venue.on_bar(bar(1, 100.0, 101.2, 99.8, 100.9))

    (fill,) = _fills(collect)
    assert (fill.side, fill.price, fill.liquidity) == ("sell", 101.0, "maker")
    assert fill.fee == pytest.approx(101.0 * 0.0002)  # 0.0202
    assert venue.account("t1").positions["BTCUSDT"].qty == -1.0


def test_limit_buy_when_marketable_at_submission_fills_at_next_open_as_taker(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "buy", "limit", 1.0, price=101.0))  # 101 >= close 100
    venue.on_bar(bar(1, 100.5, 100.8, 100.1, 100.6))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (OPEN_TS, 100.5, "taker")
    assert fill.fee == pytest.approx(100.5 * 0.0005)  # 0.05025


def test_limit_buy_when_marketable_but_next_open_above_price_rests_and_fills_as_maker(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("l1", "buy", "limit", 1.0, price=101.0))
    venue.on_bar(bar(1, 102.0, 102.5, 100.8, 101.7))  # never pays above 101; low reaches it

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (CLOSE_TS, 101.0, "maker")
    assert fill.fee == pytest.approx(101.0 * 0.0002)  # 0.0202


def test_stop_buy_when_high_reaches_trigger_fills_at_trigger_with_taker_fee(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("s1", "buy", "stop", 1.0, trigger=102.0))
    venue.on_bar(bar(1, 100.5, 102.5, 100.0, 101.0))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (CLOSE_TS, 102.0, "taker")
    assert fill.fee == pytest.approx(102.0 * 0.0005)  # 0.051


def test_stop_sell_when_bar_gaps_below_trigger_fills_at_open(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("s1", "sell", "stop", 1.0, trigger=98.0))
    venue.on_bar(bar(1, 97.0, 97.5, 96.0, 96.5))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (OPEN_TS, 97.0, "taker")  # worse than 98
    assert fill.fee == pytest.approx(97.0 * 0.0005)  # 0.0485


def test_stop_sell_when_low_stays_above_trigger_does_not_fill(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("s1", "sell", "stop", 1.0, trigger=98.0))
    venue.on_bar(bar(1, 99.0, 99.5, 98.01, 99.0))

    assert _fills(collect) == []


def test_take_profit_sell_when_high_reaches_trigger_fills_at_trigger_with_taker_fee(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("m1", "buy", "market", 1.0))
    venue.on_command(CMD, order("tp", "sell", "take_profit", 1.0, trigger=105.0, reduce_only=True))
    venue.on_bar(bar(1, 100.0, 100.5, 99.5, 100.0))  # entry at 100
    venue.on_bar(bar(2, 101.0, 105.5, 100.0, 104.0))

    _entry, tp = _fills(collect)
    assert (tp.ts, tp.price, tp.liquidity) == (2 * 60_000 + 59_999, 105.0, "taker")
    assert tp.fee == pytest.approx(105.0 * 0.0005)  # 0.0525
    assert tp.realized_pnl == pytest.approx((105.0 - 100.0) * 1.0)
    # 10,000 − 0.05 (entry fee) + 5 − 0.0525
    assert venue.account("t1").wallet_balance == pytest.approx(10_004.8975)
    assert not venue.has_exposure("t1")


def test_take_profit_buy_when_bar_gaps_below_trigger_fills_at_the_better_open(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("tp", "buy", "take_profit", 1.0, trigger=95.0))
    venue.on_bar(bar(1, 94.0, 94.5, 93.0, 94.2))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price, fill.liquidity) == (OPEN_TS, 94.0, "taker")


def test_take_profit_sell_when_bar_gaps_above_trigger_fills_at_the_better_open(
    venue, collect, bar, order
):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("tp", "sell", "take_profit", 1.0, trigger=103.0))
    venue.on_bar(bar(1, 104.0, 104.5, 103.5, 104.2))

    (fill,) = _fills(collect)
    assert (fill.ts, fill.price) == (OPEN_TS, 104.0)


def test_fill_ids_when_fills_follow_each_other_are_sequential_per_venue(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("a", "buy", "market", 1.0))
    venue.on_command(CMD, order("b", "buy", "market", 1.0))
    venue.on_bar(bar(1, 100.0, 100.5, 99.5, 100.0))
    venue.on_command(CMD, order("c", "sell", "market", 2.0, ts=119_999))
    venue.on_bar(bar(2, 100.0, 100.5, 99.5, 100.0))

    assert [(f.client_order_id, f.fill_id) for f in _fills(collect)] == [
        ("a", "sim-1"),
        ("b", "sim-2"),
        ("c", "sim-3"),
    ]


def test_ioc_limit_when_open_is_worse_than_price_expires(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("i1", "buy", "limit", 1.0, price=99.0, time_in_force="IOC"))
    venue.on_bar(bar(1, 99.5, 99.8, 98.0, 99.0))  # low would touch 99, but IOC never rests

    assert _fills(collect) == []
    assert collect.of(OrderUpdate)[-1].status == "expired"
    assert venue.open_orders("t1") == []


def test_in_progress_bar_when_not_closed_is_ignored(venue, collect, bar, order):
    venue.on_bar(bar(0, 100.0, 101.0, 99.5, 100.0))
    venue.on_command(CMD, order("m1", "buy", "market", 1.0))
    venue.on_bar(replace(bar(1, 90.0, 90.0, 90.0, 90.0), closed=False))
    assert collect.of(Fill) == []
    venue.on_bar(bar(1, 100.0, 100.5, 99.5, 100.0))
    assert [f.price for f in collect.of(Fill)] == [100.0]


def test_order_when_sent_from_a_fill_handler_waits_for_the_next_bar(make_venue, collect, bar):
    venue = make_venue()
    sent = []

    def react(topic, event):
        collect(topic, event)
        if isinstance(event, Fill) and event.client_order_id == "m1" and not sent:
            sent.append(True)  # a trader flipping to a limit sell as soon as it is filled
            venue.on_command(
                CMD,
                SubmitOrder("t1", "sim", "BTCUSDT", event.ts, "l1", "sell", "limit", 1.0, 101.0),
            )
            venue.on_command(
                CMD,
                SubmitOrder("t1", "sim", "ETHUSDT", event.ts, "e1", "buy", "market", 1.0),
            )

    venue._publish = react  # the engine's bus would deliver synchronously in the same way
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    venue.on_bar(bar(0, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))
    venue.on_command(CMD, SubmitOrder("t1", "sim", "BTCUSDT", 59_999, "m1", "buy", "market", 1.0))
    venue.on_bar(bar(1, 100.0, 102.0, 99.0, 101.0))  # high 102 would reach the limit at 101
    venue.on_bar(bar(1, 50.0, 50.0, 50.0, 50.0, symbol="ETHUSDT"))  # same period: too early

    assert [f.client_order_id for f in collect.of(Fill)] == ["m1"]
    venue.on_bar(bar(2, 101.0, 101.5, 100.5, 101.0))
    venue.on_bar(bar(2, 51.0, 51.0, 51.0, 51.0, symbol="ETHUSDT"))

    assert [(f.client_order_id, f.price) for f in collect.of(Fill)] == [
        ("m1", 100.0),
        ("l1", 101.0),
        ("e1", 51.0),
    ]


def test_venue_when_wired_to_the_in_process_bus_reports_on_the_traders_topic(bar):
    bus = InProcessBus()
    seen = []
    venue = SimVenue(SimVenueConfig(), bus.publish)
    bus.subscribe("cmd.sim", venue.on_command)
    bus.subscribe("exec.>", lambda topic, event: seen.append((topic, type(event).__name__)))
    venue.open_account("t1")
    venue.on_bar(bar(0, 100.0, 100.0, 100.0, 100.0))
    bus.publish("cmd.sim", SubmitOrder("t1", "sim", "BTCUSDT", 1, "a", "buy", "market", 1.0))
    venue.on_bar(bar(1, 100.0, 100.0, 100.0, 100.0))

    assert seen == [
        ("exec.t1", "BalanceUpdate"),
        ("exec.t1", "OrderUpdate"),
        ("exec.t1", "Fill"),
        ("exec.t1", "OrderUpdate"),
        ("exec.t1", "PositionUpdate"),
        ("exec.t1", "BalanceUpdate"),
    ]
