"""Trader.adopt_open_orders: after a restart the trader takes back its orders still open on the
venue; the next signal on their symbol cancels them, and their margin counts meanwhile."""

from __future__ import annotations

import pytest

from tradeyard.bots import BotContext, FixedNotional, Trader
from tradeyard.events import (
    BalanceUpdate,
    CancelOrder,
    Event,
    InstrumentSpec,
    OrderUpdate,
    Signal,
    SubmitOrder,
    topics,
)

BTC = InstrumentSpec("BTCUSDT", tick_size=0.1, step_size=0.001, min_notional=5.0)


def _trader() -> tuple[Trader, list[Event]]:
    emitted: list[Event] = []
    trader = Trader(
        BotContext("t", emitted.append), "binance", {"s": 1.0}, FixedNotional(1_000.0),
        instruments={"BTCUSDT": BTC}, taker_fee=0.0005, margin_buffer=0.0, leverage=2.0,
        venue_brackets=False,
    )  # fmt: skip
    wallet = BalanceUpdate("t", "binance", 0, "USDT", 10_000.0, 10_000.0, "snapshot", 0.0)
    trader.on_event(topics.topic_for(wallet), wallet)
    return trader, emitted


def _order(cid: str, qty: float, price: float | None, reduce_only: bool = False) -> SubmitOrder:
    order_type = "limit" if price is not None else "stop"
    return SubmitOrder(
        "t", "binance", "BTCUSDT", 0, cid, "buy", order_type, qty, price=price,  # type: ignore[arg-type]
        trigger_price=None if price is not None else 52_000.0, reduce_only=reduce_only,
    )  # fmt: skip


def test_adopted_orders_are_cancelled_by_the_next_signal_before_it_sizes() -> None:
    trader, emitted = _trader()
    trader.adopt_open_orders([(_order("t-3", 0.02, 40_000.0), 0.005)])
    working = trader.account.working["t-3"]
    # what is left of it (0.015), margined as opening: 0.015 × 40 000 / 2 + fee on it
    assert working.remaining == pytest.approx(0.015)
    assert working.reserved == pytest.approx(0.015 * 40_000.0 / 2 + 0.0005 * 0.015 * 40_000.0)
    sig = Signal("s", "BTCUSDT", ts=1_000, target=1.0, reason="in", ref_price=50_000.0)
    trader.on_event(topics.topic_for(sig), sig)
    cancels = [e for e in emitted if isinstance(e, CancelOrder)]
    assert [c.client_order_id for c in cancels] == ["t-3"]
    submits = [e for e in emitted if isinstance(e, SubmitOrder)]
    assert [(s.side, s.qty) for s in submits] == [("buy", 0.02)]
    assert list(trader.open_orders["BTCUSDT"]) == [submits[0].client_order_id]


def test_adopting_skips_filled_orders_reserves_nothing_for_reduce_only_and_refuses_foreign() -> (
    None
):
    trader, _ = _trader()
    trader.account.restore({"BTCUSDT": -0.01}, {"BTCUSDT": 50_000.0})  # short: a buy closes
    trader.adopt_open_orders(
        [
            (_order("t-1", 0.02, 40_000.0), 0.02),  # all filled: nothing left to take back
            (_order("t-2", 0.01, None, reduce_only=True), 0.0),
        ]
    )
    assert list(trader.account.working) == ["t-2"]
    assert trader.account.working["t-2"].reserved == 0.0
    assert not trader.account.working["t-2"].entry
    foreign = SubmitOrder("u", "binance", "BTCUSDT", 0, "u-1", "buy", "market", 0.01)
    with pytest.raises(ValueError, match="u-1 is u's, not ours"):
        trader.adopt_open_orders([(foreign, 0.0)])


def _exit(cid: str, side: str, order_type: str, level: float) -> SubmitOrder:
    levels = {"price": level} if order_type == "limit" else {"trigger_price": level}
    return SubmitOrder(
        "t", "binance", "BTCUSDT", 0, cid, side, order_type, 0.02,  # type: ignore[arg-type]
        reduce_only=True, **levels,  # type: ignore[arg-type]
    )  # fmt: skip


def test_adopted_exits_of_the_position_are_paired_again_one_fill_cancels_the_other() -> None:
    trader, emitted = _trader()
    trader.account.restore({"BTCUSDT": 0.02}, {"BTCUSDT": 50_000.0})
    take, stop = _exit("t-5", "sell", "limit", 51_000.0), _exit("t-6", "sell", "stop", 49_000.0)
    assert trader.adopt_open_orders([(take, 0.0), (stop, 0.0)]).cancelled == []
    filled = OrderUpdate("t", "binance", "BTCUSDT", 5, "t-5", "filled", "sell", "limit", 0.02,
                         0.02, 51_000.0)  # fmt: skip
    trader.on_event(topics.topic_for(filled), filled)
    assert [c.client_order_id for c in emitted if isinstance(c, CancelOrder)] == ["t-6"]


@pytest.mark.parametrize(
    ("position", "why"), [(0.0, "flat: nothing to close"), (-0.02, "short: a sell cannot close")]
)
def test_adopted_exits_that_close_nothing_are_cancelled(position: float, why: str) -> None:
    trader, emitted = _trader()
    if position:
        trader.account.restore({"BTCUSDT": position}, {"BTCUSDT": 50_000.0})
    stop = _exit("t-6", "sell", "stop", 49_000.0)
    assert trader.adopt_open_orders([(stop, 0.0)]).cancelled == ["t-6"], why
    assert [c.client_order_id for c in emitted if isinstance(c, CancelOrder)] == ["t-6"]
    assert "t-6" not in trader.account.working and not trader.open_orders["BTCUSDT"]


def _entry(cid: str, qty: float, price: float) -> SubmitOrder:
    return SubmitOrder(
        "t", "binance", "BTCUSDT", 0, cid, "buy", "limit", qty, price=price,
        take_profit=price * 1.02, stop_loss=price * 0.98,
    )  # fmt: skip


def _submits(emitted: list[Event]) -> list[SubmitOrder]:
    return [e for e in emitted if isinstance(e, SubmitOrder)]


def test_an_open_entry_taken_back_sends_the_exits_it_announced_when_it_fills() -> None:
    # the entry had filled 0.005 of 0.02 before the restart (the restored position holds it)
    trader, emitted = _trader()
    trader.account.restore({"BTCUSDT": 0.005}, {"BTCUSDT": 40_000.0})
    done = trader.adopt_open_orders([(_entry("t-3", 0.02, 40_000.0), 0.005)])
    assert done == ([], {}) and _submits(emitted) == []  # held until the entry's final report
    filled = OrderUpdate("t", "binance", "BTCUSDT", 5, "t-3", "filled", "buy", "limit", 0.02,
                         0.02, 40_000.0)  # fmt: skip
    trader.on_event(topics.topic_for(filled), filled)
    exits = _submits(emitted)
    assert [(e.side, e.order_type, e.qty, e.reduce_only) for e in exits] == [
        ("sell", "limit", 0.02, True),
        ("sell", "stop", 0.02, True),
    ]
    assert (exits[0].price, exits[1].trigger_price) == (40_800.0, 39_200.0)


def test_a_position_whose_entry_filled_while_down_gets_the_announced_exits_now() -> None:
    trader, emitted = _trader()
    trader.account.restore({"BTCUSDT": 0.02}, {"BTCUSDT": 40_000.0})
    done = trader.adopt_open_orders([], {"BTCUSDT": (_entry("t-3", 0.02, 40_000.0), 0.02)})
    exits = _submits(emitted)
    assert done.protected == {"BTCUSDT": tuple(e.client_order_id for e in exits)}
    assert [(e.side, e.order_type, e.qty) for e in exits] == [
        ("sell", "limit", 0.02),
        ("sell", "stop", 0.02),
    ]


@pytest.mark.parametrize(
    ("position", "open_exit", "why"),
    [
        (0.0, False, "flat: the exits already did their job"),
        (0.02, True, "an exit still rests: it is paired, not doubled"),
        (-0.02, False, "short: the buy entry is not what opened it"),
    ],
)
def test_a_position_is_not_given_exits_twice_or_for_another_entry(
    position: float, open_exit: bool, why: str
) -> None:
    trader, emitted = _trader()
    if position:
        trader.account.restore({"BTCUSDT": position}, {"BTCUSDT": 40_000.0})
    orders = [(_exit("t-6", "sell", "stop", 39_000.0), 0.0)] if open_exit else []
    done = trader.adopt_open_orders(orders, {"BTCUSDT": (_entry("t-3", 0.02, 40_000.0), 0.02)})
    assert done.protected == {} and _submits(emitted) == [], why
