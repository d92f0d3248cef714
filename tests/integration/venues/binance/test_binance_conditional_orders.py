"""Stops and take-profits through the Binance adapter, against the real local fake (sockets, ccxt
unmocked). ccxt 4.5 sends conditional orders to the Algo Order API (`/fapi/v1/algoOrder`, our
client order id as `clientAlgoId`), and the fake, like Binance, refuses them on /fapi/v1/order:
the adapter must cancel, look up and list them there, and publish `filled` only when the
triggered order's fill arrives (ccxt reads the algo status TRIGGERED as "closed").
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from binance_harness import SYMBOL, TRADER, VENUE, adapter, order

from tradeyard.events import CancelOrder, Event, Fill, OrderUpdate
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.store import open_store
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import local_fake
from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, FakeBinance

WARMUP = 600


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL, "BTCUSDT"])


def _updates(seen: list[Event], coid: str) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate) and e.client_order_id == coid]


def _fills(seen: list[Event], coid: str) -> list[Fill]:
    return [e for e in seen if isinstance(e, Fill) and e.client_order_id == coid]


def _account(fake: FakeBinance) -> Any:
    return fake.exchange.accounts[DEFAULT_API_KEY]


def _last_price(fake: FakeBinance) -> float:
    price = fake.exchange.feed.price(SYMBOL)
    assert price is not None
    return float(price)


def _stop_that_triggers_soon(fake: FakeBinance, bars: dict[str, BarSeries]) -> float:
    """A sell-stop price under the current price that a coming bar trades through."""
    series = bars[SYMBOL]
    i = int(series.open_time.searchsorted(fake.exchange.replay.current_open))
    last = float(series.close[i - 1])
    target = next(float(lo) for lo in series.low[i : i + 200] if lo < last * 0.9995)
    return round(target + (last - target) * 0.5, 2)


async def _go_long(fake: FakeBinance, venue: Any, seen: list[Event], seq: int) -> None:
    """A filled 0.05 market buy: the position the reduce-only stops protect."""
    assert (await venue.execution.submit(order(seq))).status == "new"
    await fake.advance(1)
    await wait_until(lambda: any(u.status == "filled" for u in _updates(seen, f"{TRADER}-{seq}")))


async def _advance_until_closed(fake: FakeBinance, client_algo_id: str, bars: int = 200) -> None:
    algo = _account(fake).find_algo(None, client_algo_id)
    assert algo is not None
    for _ in range(bars):
        if not algo.is_open:
            return
        await fake.advance(1)
    raise AssertionError(f"{client_algo_id} never triggered")


def test_stop_market_when_price_moves_through_it_publishes_fill_then_filled(
    bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    """new → filled (nothing `filled` before the fill, which ALGO_UPDATE TRIGGERED would have
    been), and the Fill under the stop's client order id; the store agrees."""
    stop_id = f"{TRADER}-2"

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with local_fake(VENUE, bars, WARMUP) as fake:
            async with adapter(fake, store) as (venue, seen):
                await _go_long(fake, venue, seen, 1)
                trigger = _stop_that_triggers_soon(fake, bars)
                stop = order(2, "stop", "sell", trigger_price=trigger, reduce_only=True)
                first = await venue.execution.submit(stop)
                assert (first.status, first.order_type, first.trigger_price) == (
                    "new", "stop", pytest.approx(trigger),
                )  # fmt: skip
                algo = _account(fake).find_algo(None, stop_id)
                assert algo is not None and algo.status == "NEW"  # in the algo API
                await _advance_until_closed(fake, stop_id)
                await wait_until(lambda: bool(_fills(seen, stop_id)))
                await wait_until(lambda: any(u.status == "filled" for u in _updates(seen, stop_id)))
                await asyncio.sleep(0.2)  # room for a late ALGO_UPDATE FINISHED to show up
            updates = _updates(seen, stop_id)
            assert [u.status for u in updates] == ["new", "filled"]
            filled = updates[-1]
            assert filled.filled_qty == pytest.approx(0.05) and filled.avg_price is not None
            assert filled.order_type == "stop" and filled.reduce_only
            fills = _fills(seen, stop_id)
            assert len(fills) == 1
            assert (fills[0].side, fills[0].qty) == ("sell", pytest.approx(0.05))
            assert fills[0].price <= trigger
            record = store.order(stop_id)
            assert record is not None
            assert (record.status, record.order_type, record.filled_qty) == (
                "filled", "stop", pytest.approx(0.05),
            )  # fmt: skip
            assert len(store.fills(stop_id)) == 1
        store.close()

    run(scenario())


def test_take_profit_when_cancelled_publishes_canceled_and_leaves_nothing_open(
    bars: dict[str, BarSeries],
) -> None:
    tp_id = f"{TRADER}-1"

    async def scenario() -> None:
        async with local_fake(VENUE, bars, WARMUP) as fake:
            async with adapter(fake) as (venue, seen):
                trigger = round(_last_price(fake) * 0.8, 2)  # a buy take-profit far below
                tp = order(1, "take_profit", "buy", trigger_price=trigger)
                assert (await venue.execution.submit(tp)).status == "new"
                assert await venue.open_orders([SYMBOL]) == [(SYMBOL, tp_id)]
                await venue.execution.cancel(CancelOrder(TRADER, VENUE, SYMBOL, 0, tp_id))
                await wait_until(lambda: any(u.status == "canceled" for u in _updates(seen, tp_id)))
                await asyncio.sleep(0.2)  # the stream's ALGO_UPDATE CANCELED is no news
                left = await venue.execution.fetch_open_orders(SYMBOL)
                statuses = [(u.status, u.order_type) for u in _updates(seen, tp_id)]
            assert statuses == [("new", "take_profit"), ("canceled", "take_profit")]
            assert left == []
            algo = _account(fake).find_algo(None, tp_id)
            assert algo is not None and algo.status == "CANCELED"
            assert _account(fake).open_algos(SYMBOL) == []

    run(scenario())


def test_conditional_orders_over_the_websocket_api_go_to_algo_order_methods(
    bars: dict[str, BarSeries],
) -> None:
    """`order_transport = "websocket"`: ccxt sends them as `algoOrder.place` / `algoOrder.cancel`;
    the take-profit is cancelled, the stop triggers and fills, as over REST."""
    tp_id, stop_id = f"{TRADER}-2", f"{TRADER}-3"

    async def scenario() -> None:
        async with (
            local_fake(VENUE, bars, WARMUP) as fake,
            adapter(fake, order_transport="websocket") as (venue, seen),
        ):
            await _go_long(fake, venue, seen, 1)
            trigger = _stop_that_triggers_soon(fake, bars)
            tp = order(2, "take_profit", "buy", trigger_price=round(trigger * 0.7, 2))
            stop = order(3, "stop", "sell", trigger_price=trigger, reduce_only=True)
            for cmd in (tp, stop):
                assert (await venue.execution.submit(cmd)).status == "new"
            assert {a.client_algo_id for a in _account(fake).open_algos(SYMBOL)} == {tp_id, stop_id}
            await venue.execution.cancel(CancelOrder(TRADER, VENUE, SYMBOL, 0, tp_id))
            await wait_until(lambda: any(u.status == "canceled" for u in _updates(seen, tp_id)))
            await _advance_until_closed(fake, stop_id)
            await wait_until(lambda: bool(_fills(seen, stop_id)))
            await wait_until(lambda: any(u.status == "filled" for u in _updates(seen, stop_id)))
        assert [u.status for u in _updates(seen, tp_id)] == ["new", "canceled"]
        assert [(u.status, u.filled_qty) for u in _updates(seen, stop_id)] == [
            ("new", 0.0), ("filled", pytest.approx(0.05)),
        ]  # fmt: skip
        assert _account(fake).open_algos(SYMBOL) == []

    run(scenario())


def test_account_reads_list_open_algo_orders(bars: dict[str, BarSeries]) -> None:
    async def scenario() -> None:
        async with (
            local_fake(VENUE, bars, WARMUP) as fake,
            adapter(fake) as (venue, _seen),
        ):
            price = _last_price(fake)
            limit = order(1, "limit", "buy", price=round(price * 0.8, 2))
            tp = order(2, "take_profit", "buy", trigger_price=round(price * 0.7, 2))
            for cmd in (limit, tp):
                assert (await venue.execution.submit(cmd)).status == "new"
            rows = await venue.execution.fetch_open_orders(SYMBOL)
            listed = await venue.open_orders([SYMBOL])
        assert sorted(str(o["clientOrderId"]) for o in rows) == [f"{TRADER}-1", f"{TRADER}-2"]
        assert sorted(listed) == [(SYMBOL, f"{TRADER}-1"), (SYMBOL, f"{TRADER}-2")]

    run(scenario())


def test_reconcile_after_restart_finds_algo_orders_by_client_id(
    bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the crash: a long, a reduce-only stop that will trigger and a take-profit far
    away. While down, the stop triggers and fills. After the restart reconcile finds both in the
    algo API by client id: the stop's fill and `filled` are published once, the resting
    take-profit is known (not an "unknown open order") and a fresh adapter cancels it there."""
    stop_id, tp_id = f"{TRADER}-2", f"{TRADER}-3"

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with local_fake(VENUE, bars, WARMUP) as fake:
            async with adapter(fake, store) as (venue, seen):
                await _go_long(fake, venue, seen, 1)
                trigger = _stop_that_triggers_soon(fake, bars)
                stop = order(2, "stop", "sell", trigger_price=trigger, reduce_only=True)
                tp = order(3, "take_profit", "buy", trigger_price=round(trigger * 0.7, 2))
                for cmd in (stop, tp):
                    assert (await venue.execution.submit(cmd)).status == "new"
            await _advance_until_closed(fake, stop_id)  # while the process is down

            caplog.set_level(logging.INFO)
            async with adapter(fake, store) as (venue, seen):
                await asyncio.sleep(0.2)  # room for a duplicate from the streams to show up
                found = await venue.execution.find_order(SYMBOL, tp_id)
                await venue.execution.cancel(CancelOrder(TRADER, VENUE, SYMBOL, 0, tp_id))
                await wait_until(lambda: any(u.status == "canceled" for u in _updates(seen, tp_id)))
            stop_updates = _updates(seen, stop_id)
            assert [(u.status, u.filled_qty) for u in stop_updates] == [
                ("filled", pytest.approx(0.05))
            ]
            fills = _fills(seen, stop_id)
            assert len(fills) == 1 and fills[0].qty == pytest.approx(0.05)
            assert found is not None and found["clientOrderId"] == tp_id
            assert found["status"] == "open"
            assert [u.status for u in _updates(seen, tp_id)] == ["canceled"]
            assert store.unfinished(VENUE) == []
            assert len(store.fills(stop_id)) == 1
            assert _account(fake).open_algos(SYMBOL) == []

            async with adapter(fake, store) as (_venue, again):
                await asyncio.sleep(0.1)
            assert again == []
        store.close()

    run(scenario())
    assert "not in the order store" not in caplog.text
    assert f"order {stop_id} is filled on the exchange" in caplog.text


def test_reconcile_when_algo_order_placed_outside_the_store_names_it(
    bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with local_fake(VENUE, bars, WARMUP) as fake:
            async with adapter(fake) as (venue, _seen):
                trigger = round(_last_price(fake) * 0.8, 2)
                tp = order(7, "take_profit", "buy", trigger_price=trigger)
                assert (await venue.execution.submit(tp)).status == "new"
            caplog.set_level(logging.INFO)
            async with adapter(fake, store) as (_venue, seen):
                pass
            assert seen == []
            assert [a.client_algo_id for a in _account(fake).open_algos(SYMBOL)] == [f"{TRADER}-7"]
        store.close()

    run(scenario())
    assert f"open order {TRADER}-7 on {SYMBOL}" in caplog.text


# -- the algo order's states as ccxt hands them over (no I/O) ---------------------------------
def _algo_update(status: str, aq: str = "0.00000", ccxt_status: str = "open") -> dict[str, Any]:
    """A ccxt order parsed from ALGO_UPDATE (the fields the conversion reads)."""
    info = {"aid": 3000000001, "caid": f"{TRADER}-2", "o": "STOP_MARKET", "X": status,
            "q": "0.050", "aq": aq, "ap": "1790.50000" if aq != "0.00000" else "0.00000"}  # fmt: skip
    return {"info": info, "id": "3000000001", "clientOrderId": f"{TRADER}-2", "status":
            ccxt_status, "type": "market", "side": "sell", "amount": 0.05, "filled": None,
            "triggerPrice": 1790.0, "reduceOnly": True}  # fmt: skip


@pytest.mark.parametrize(
    ("status", "aq", "ccxt_status", "want"),
    [
        ("NEW", "0.00000", "open", ("new", 0.0)),
        ("TRIGGERING", "0.00000", "open", ("new", 0.0)),
        ("TRIGGERED", "0.00000", "closed", ("new", 0.0)),  # ccxt: closed; not filled yet
        ("FINISHED", "0.050", "closed", ("filled", 0.05)),
        ("FINISHED", "0.020", "closed", ("partially_filled", 0.02)),  # the engine order says
        ("FINISHED", "0.00000", "closed", ("new", 0.0)),  # ... how it ended
        ("CANCELED", "0.00000", "canceled", ("canceled", 0.0)),
        ("EXPIRED", "0.00000", "expired", ("expired", 0.0)),
    ],
)
def test_algo_update_when_converted_is_filled_only_with_its_quantity_done(
    status: str, aq: str, ccxt_status: str, want: tuple[str, float]
) -> None:
    from tradeyard.venues.binance.parse import order_update_from_order

    update = order_update_from_order(_algo_update(status, aq, ccxt_status), VENUE, SYMBOL, TRADER)
    assert (update.status, update.filled_qty) == (want[0], pytest.approx(want[1]))
    assert (update.order_type, update.client_order_id, update.reduce_only) == (
        "stop", f"{TRADER}-2", True,
    )  # fmt: skip
    assert (update.avg_price is not None) == (want[1] > 0)
