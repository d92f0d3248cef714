"""Bracket exits, kept by the venue (simulated venue) or by the trader (exchanges).

Trader "t" with 10,000 USDT, fixed notional 1,000 USDT, BTCUSDT with a 0.001 step; an entry
signal at 50,000 asks for 0.02 BTC with a take-profit at 51,000 and a stop at 49,000.
"""

from __future__ import annotations

from typing import Any

from tradeyard.bots import BotContext, FixedNotional, Trader
from tradeyard.bus import InProcessBus
from tradeyard.events import (
    BalanceUpdate,
    Bar,
    CancelOrder,
    Event,
    Fill,
    InstrumentSpec,
    OrderUpdate,
    Signal,
    SubmitOrder,
    topics,
)
from tradeyard.venues.sim import SimVenue, SimVenueConfig

BTC = InstrumentSpec("BTCUSDT", tick_size=0.1, step_size=0.001, min_notional=5.0)


def make_trader(venue_brackets: bool) -> tuple[Trader, list[Event]]:
    emitted: list[Event] = []
    trader = Trader(
        BotContext("t", emitted.append), "sim", {"s": 1.0}, FixedNotional(1_000.0),
        instruments={"BTCUSDT": BTC}, taker_fee=0.0, margin_buffer=0.0,
        venue_brackets=venue_brackets,
    )  # fmt: skip
    feed(trader, BalanceUpdate("t", "sim", 0, "USDT", 10_000.0, 10_000.0, "deposit", 10_000.0))
    return trader, emitted


def feed(trader: Trader, event: Event) -> None:
    trader.on_event(topics.topic_for(event), event)


def entry_signal(ts: int = 1_000, **kw: Any) -> Signal:
    kw.setdefault("take_profit", 51_000.0)
    kw.setdefault("stop_loss", 49_000.0)
    return Signal("s", "BTCUSDT", ts=ts, target=1.0, reason="in", ref_price=50_000.0, **kw)


def flat_signal(ts: int) -> Signal:
    return Signal("s", "BTCUSDT", ts=ts, target=0.0, reason="out", ref_price=50_000.0)


def update(order: SubmitOrder, status: str, filled: float, ts: int) -> OrderUpdate:
    return OrderUpdate(
        "t", "sim", order.symbol, ts, order.client_order_id, status, order.side,  # type: ignore[arg-type]
        order.order_type, order.qty, filled, 50_000.0 if filled else None,
    )  # fmt: skip


def report_fill(trader: Trader, order: SubmitOrder, qty: float, status: str, ts: int) -> None:
    feed(trader, Fill("t", "sim", order.symbol, ts, order.client_order_id, order.side, qty,
                      50_000.0, 0.0, "taker"))  # fmt: skip
    feed(trader, update(order, status, qty, ts))


def of(kind: type, emitted: list[Event]) -> list[Any]:
    return [e for e in emitted if isinstance(e, kind)]


# -- trader-managed (exchanges) ---------------------------------------------------------------
def test_trader_managed_sends_exits_only_when_the_entry_fills_with_the_ids_it_recorded() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    feed(trader, entry_signal())
    (entry,) = of(SubmitOrder, emitted)  # the exits wait: an exchange would refuse them now
    ids = trader.decisions[0].bracket_ids
    assert len(ids) == 2
    report_fill(trader, entry, 0.02, "filled", 2_000)
    _, tp, sl = of(SubmitOrder, emitted)
    assert (tp.client_order_id, sl.client_order_id) == ids
    assert (tp.order_type, tp.price, tp.side, tp.qty, tp.reduce_only) == (
        "limit", 51_000.0, "sell", 0.02, True,
    )  # fmt: skip
    assert (sl.order_type, sl.trigger_price, sl.side, sl.qty, sl.reduce_only) == (
        "stop", 49_000.0, "sell", 0.02, True,
    )  # fmt: skip
    # no parent at the exchange: the entry is done; the group names it
    assert (tp.parent_id, sl.parent_id) == (None, None)
    assert tp.oco_group == sl.oco_group == entry.client_order_id
    assert set(trader.open_orders["BTCUSDT"]) == set(ids)


def test_trader_managed_cancels_the_stop_when_the_take_profit_fills() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    feed(trader, entry_signal())
    report_fill(trader, of(SubmitOrder, emitted)[0], 0.02, "filled", 2_000)
    _, tp, sl = of(SubmitOrder, emitted)
    report_fill(trader, tp, 0.02, "filled", 3_000)
    (cancel,) = of(CancelOrder, emitted)
    assert cancel.client_order_id == sl.client_order_id
    assert trader.open_orders["BTCUSDT"] == {}
    feed(trader, update(sl, "canceled", 0.0, 3_000))  # the exchange confirms: nothing more
    assert len(of(CancelOrder, emitted)) == 1
    assert trader.brackets.groups == {} and trader.brackets.group_of == {}


def test_trader_managed_when_entry_cancelled_before_filling_never_sends_exits() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    feed(trader, entry_signal(entry="limit", price=49_900.0))
    (entry,) = of(SubmitOrder, emitted)
    feed(trader, flat_signal(1_500))
    (cancel,) = of(CancelOrder, emitted)
    assert cancel.client_order_id == entry.client_order_id
    feed(trader, update(entry, "canceled", 0.0, 1_600))
    assert len(of(SubmitOrder, emitted)) == 1
    assert trader.brackets.pending == {}


def test_trader_managed_when_venue_expires_a_partly_filled_entry_protects_the_filled_part() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    feed(trader, entry_signal(entry="limit", price=50_000.0))
    (entry,) = of(SubmitOrder, emitted)
    feed(trader, Fill("t", "sim", "BTCUSDT", 2_000, entry.client_order_id, "buy", 0.005,
                      50_000.0, 0.0, "maker"))  # fmt: skip
    feed(trader, update(entry, "partially_filled", 0.005, 2_000))
    assert len(of(SubmitOrder, emitted)) == 1  # not final yet
    feed(trader, update(entry, "expired", 0.005, 2_100))
    _, tp, sl = of(SubmitOrder, emitted)
    assert (tp.qty, sl.qty) == (0.005, 0.005)


# -- venue-managed (the simulated venue) ------------------------------------------------------
def test_venue_managed_cancelling_an_entry_cancels_only_it_and_the_venue_drops_its_children() -> (
    None
):
    bus = InProcessBus()
    venue = SimVenue(SimVenueConfig(instruments={"BTCUSDT": BTC}), bus.publish)
    trader = Trader(
        BotContext("t", lambda e: bus.publish(topics.topic_for(e), e)), "sim", {"s": 1.0},
        FixedNotional(1_000.0), instruments={"BTCUSDT": BTC},
    )  # fmt: skip
    seen: list[Event] = []
    bus.subscribe(topics.execution("t"), trader.on_event)
    bus.subscribe(topics.execution("t"), lambda _t, e: seen.append(e))
    bus.subscribe("cmd.sim", venue.on_command)
    bus.subscribe("cmd.sim", lambda _t, e: seen.append(e))
    venue.open_account("t", 10_000.0)  # its deposit report gives the trader a wallet
    venue.on_bar(Bar("sim", "BTCUSDT", "1m", 0, 59_999, 50_000.0, 50_010.0, 49_990.0, 50_000.0,
                     1.0, True))  # fmt: skip
    trader.on_event("", entry_signal(ts=59_999, entry="limit", price=49_000.0))
    trader.on_event("", flat_signal(119_999))
    cancels = [e.client_order_id for e in seen if isinstance(e, CancelOrder)]
    entry_id = trader.decisions[0].client_order_id
    assert cancels == [entry_id]
    ends = {u.client_order_id: (u.status, u.reason) for u in of(OrderUpdate, seen)
            if u.status != "new"}  # fmt: skip
    tp_id, sl_id = trader.decisions[0].bracket_ids
    assert ends == {
        entry_id: ("canceled", "canceled by trader"),
        tp_id: ("canceled", f"parent {entry_id} canceled"),
        sl_id: ("canceled", f"parent {entry_id} canceled"),
    }
    assert venue.open_orders("t") == [] and trader.open_orders["BTCUSDT"] == {}


def test_venue_managed_when_entry_fills_before_its_cancel_lands_cancels_the_children() -> None:
    trader, emitted = make_trader(venue_brackets=True)
    feed(trader, entry_signal(entry="limit", price=50_000.0))
    entry, tp, sl = of(SubmitOrder, emitted)
    feed(trader, flat_signal(1_500))
    assert [c.client_order_id for c in of(CancelOrder, emitted)] == [entry.client_order_id]
    report_fill(trader, entry, 0.02, "filled", 1_600)  # it filled on the way: exits are live
    assert [c.client_order_id for c in of(CancelOrder, emitted)] == [
        entry.client_order_id, tp.client_order_id, sl.client_order_id,
    ]  # fmt: skip


def test_trader_managed_when_position_already_held_sends_exits_at_once_and_keeps_oco() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    feed(trader, entry_signal(take_profit=None, stop_loss=None))
    report_fill(trader, of(SubmitOrder, emitted)[0], 0.02, "filled", 2_000)
    # the same target again, now with exits: no entry to wait for, the position is there
    feed(trader, entry_signal(ts=3_000))
    _, tp, sl = of(SubmitOrder, emitted)
    assert (tp.qty, sl.qty, tp.parent_id, sl.parent_id) == (0.02, 0.02, None, None)
    assert tp.oco_group == sl.oco_group is not None
    report_fill(trader, sl, 0.02, "filled", 4_000)
    assert [c.client_order_id for c in of(CancelOrder, emitted)] == [tp.client_order_id]


def test_trader_managed_exits_adding_to_a_position_cover_all_of_it_as_the_venue_does() -> None:
    trader, emitted = make_trader(venue_brackets=False)
    half = Signal("s", "BTCUSDT", ts=1_000, target=0.5, reason="half", ref_price=50_000.0)
    feed(trader, half)
    report_fill(trader, of(SubmitOrder, emitted)[0], 0.01, "filled", 1_500)  # long 0.01
    feed(trader, entry_signal(ts=2_000))  # target 1.0: buy 0.01 more, exits for 0.02
    add = of(SubmitOrder, emitted)[1]
    assert add.qty == 0.01
    report_fill(trader, add, 0.01, "filled", 2_500)
    _, _, tp, sl = of(SubmitOrder, emitted)
    assert (tp.qty, sl.qty) == (0.02, 0.02)
