"""Crash and restart of a live adapter with an order store, against the real local fakes (Binance
USDⓈ-M and Bybit v5, over sockets, ccxt unmocked): reconcile publishes what happened while the
process was down exactly once, rejects intents that never left, and sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.store import OrderStore, open_store
from tradeyard.testkit import wait_until
from tradeyard.venues.common.reconcile import NOT_SENT_REASON

WARMUP = 600
TRADER = "trend-1"
SYMBOL = "ETHUSDT"
VENUES = ["binanceusdm", "bybit"]


def run(coro: Coroutine[Any, Any, None], timeout_s: float = 60.0) -> None:
    asyncio.run(asyncio.wait_for(coro, timeout_s))


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL, "BTCUSDT"])


# -- the two venues behind one shape ----------------------------------------------------------
class Harness:
    """A running fake of one venue, and how to build adapters against it and count its orders."""

    def __init__(self, kind: str, fake: Any) -> None:
        self.kind = kind
        self.fake = fake

    def adapter(self, bus: InProcessBus, store: OrderStore | None) -> Any:
        fake = self.fake
        if self.kind == "binanceusdm":
            from tradeyard.venues.binance import BinanceConfig, build_venue
            from tradeyard.venues.fakes.binance import DEFAULT_API_KEY, DEFAULT_API_SECRET

            env = {"BINANCE_API_KEY": DEFAULT_API_KEY, "BINANCE_API_SECRET": DEFAULT_API_SECRET}
            config: Any = BinanceConfig(
                environment="local", rest_url=fake.rest_url, ws_url=fake.ws_url,
                rate_limit=False, reconnect_delay_s=0.05, symbols=[SYMBOL, "BTCUSDT"],
            )  # fmt: skip
            venue = build_venue(bus, config, env)
        else:
            from tradeyard.venues.bybit import BybitConfig, build_venue
            from tradeyard.venues.fakes.bybit import DEFAULT_API_KEY, DEFAULT_API_SECRET

            env = {"BYBIT_API_KEY": DEFAULT_API_KEY, "BYBIT_API_SECRET": DEFAULT_API_SECRET}
            config = BybitConfig(
                environment="local", rest_url=fake.rest_url, public_ws_url=fake.public_ws_url,
                private_ws_url=fake.private_ws_url, rate_limit=False, reconnect_delay_s=0.05,
                symbols=[SYMBOL, "BTCUSDT"],
            )  # fmt: skip
            venue = build_venue(bus, config, env)
        venue.attach_store(store)
        return venue

    def private_ready(self) -> bool:
        want = {"order", "execution"}
        return any(
            c.kind == "user" and (self.kind == "binanceusdm" or want <= c.streams)
            for c in self.fake.hub.clients
        )

    def _account(self) -> Any:
        if self.kind == "binanceusdm":
            from tradeyard.venues.fakes.binance import DEFAULT_API_KEY
        else:
            from tradeyard.venues.fakes.bybit import DEFAULT_API_KEY
        return self.fake.exchange.accounts[DEFAULT_API_KEY]

    def orders_received(self, client_order_id: str) -> int:
        """How many orders with this client order id reached the exchange."""
        return sum(
            1
            for o in self._account().orders.values()
            if getattr(o, "client_order_id", None) == client_order_id
            or getattr(o, "order_link_id", None) == client_order_id
        )

    def order_open(self, client_order_id: str) -> bool:
        return any(
            o.is_open
            for o in self._account().orders.values()
            if client_order_id in (getattr(o, "client_order_id", None),
                                   getattr(o, "order_link_id", None))
        )  # fmt: skip


@asynccontextmanager
async def fake_of(kind: str, bars: dict[str, BarSeries]) -> AsyncIterator[Harness]:
    if kind == "binanceusdm":
        from tradeyard.venues.fakes.binance import FakeBinance, FakeBinanceConfig

        cm: AbstractAsyncContextManager[Any] = FakeBinance(
            FakeBinanceConfig(substeps=2, warmup_bars=WARMUP), bars
        )
    else:
        from tradeyard.venues.fakes.bybit import FakeBybit, FakeBybitConfig

        cm = FakeBybit(FakeBybitConfig(substeps=2, warmup_bars=WARMUP, rate_limit=100), bars, {})
    async with cm as fake:
        yield Harness(kind, fake)


@asynccontextmanager
async def adapter_running(
    harness: Harness, store: OrderStore | None
) -> AsyncIterator[tuple[InProcessBus, Any, list[Event]]]:
    """An adapter with execution started (so reconcile ran) and `exec.<TRADER>`'s events."""
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
    venue = harness.adapter(bus, store)
    try:
        await venue.execution.start()
        await wait_until(harness.private_ready)
        yield bus, venue, seen
    finally:
        await venue.close()


def _order(kind: str, seq: int, qty: float = 0.05, **kw: Any) -> SubmitOrder:
    return SubmitOrder(
        TRADER, kind, kw.pop("symbol", SYMBOL), 0, f"{TRADER}-{seq}", kw.pop("side", "buy"),
        kw.pop("order_type", "market"), qty, **kw,
    )  # fmt: skip


def _updates(seen: list[Event], coid: str) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate) and e.client_order_id == coid]


def _fills(seen: list[Event], coid: str) -> list[Fill]:
    return [e for e in seen if isinstance(e, Fill) and e.client_order_id == coid]


# -- the crash-restart scenario ---------------------------------------------------------------
@pytest.mark.parametrize("kind", VENUES)
def test_reconcile_when_restarted_after_crash_publishes_missed_fill_once_and_rejects_unsent(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before the crash: order 1 is sent (accepted, not yet filled); order 2's intent is written
    but the process dies before sending it. While down, order 1 fills. After the restart the
    trader hears order 1's fill and `filled` once, and order 2 `rejected` with the reason; the
    exchange got order 1 once and order 2 never. A second restart publishes nothing."""
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            await harness.fake.advance(1)
            async with adapter_running(harness, store) as (bus, venue, seen):
                bus.publish(topics.command(kind), _order(kind, 1))
                await venue.execution.drain()
                assert store.order(f"{TRADER}-1").status == "new"  # type: ignore[union-attr]
            # the crash: order 2's intent is durable, its REST request never went out
            assert store.record_intent(_order(kind, 2), 1)
            assert store.order(f"{TRADER}-2").status == "pending"  # type: ignore[union-attr]
            # while the process is down, order 1 fills
            for _ in range(3):
                if not harness.order_open(f"{TRADER}-1"):
                    break
                await harness.fake.advance(1)
            assert not harness.order_open(f"{TRADER}-1")

            async with adapter_running(harness, store) as (bus, venue, seen):
                await asyncio.sleep(0.2)  # room for a duplicate from the streams to show up
            one = _updates(seen, f"{TRADER}-1")
            assert [u.status for u in one] == ["filled"]
            assert one[0].filled_qty == pytest.approx(0.05)
            fills = _fills(seen, f"{TRADER}-1")
            assert len(fills) == 1 and fills[0].qty == pytest.approx(0.05)
            two = _updates(seen, f"{TRADER}-2")
            assert [(u.status, u.reason) for u in two] == [("rejected", NOT_SENT_REASON)]
            assert harness.orders_received(f"{TRADER}-1") == 1
            assert harness.orders_received(f"{TRADER}-2") == 0
            assert store.unfinished(kind) == []
            assert len(store.fills(f"{TRADER}-1")) == 1

            async with adapter_running(harness, store) as (_bus, _venue, again):
                await asyncio.sleep(0.1)
            assert again == []
        store.close()

    run(scenario())
    logged = caplog.text
    assert f"position on the exchange at start: {SYMBOL} +0.05" in logged


@pytest.mark.parametrize("kind", VENUES)
def test_reconcile_when_open_order_unknown_to_store_logs_it_and_leaves_it(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An order placed outside this node (here by an adapter without a store) is named in the
    log at start; reconcile does not adopt, cancel or publish it."""
    price = round(float(bars[SYMBOL].close[WARMUP - 1]) * 0.8, 2)

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            async with adapter_running(harness, None) as (_bus, venue, _seen):
                outside = _order(kind, 7, 0.1, order_type="limit", price=price)
                update = await venue.execution.submit(outside)
                assert update.status == "new"
            caplog.set_level(logging.INFO)
            async with adapter_running(harness, store) as (_bus, _venue, seen):
                pass
            assert seen == []
            assert harness.order_open(f"{TRADER}-7")
        store.close()

    run(scenario())
    assert f"open order {TRADER}-7 on {SYMBOL}" in caplog.text
    assert "not in the order store" in caplog.text


@pytest.mark.parametrize("kind", VENUES)
def test_execution_when_client_order_id_already_stored_does_not_send_it_again(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    price = round(float(bars[SYMBOL].close[WARMUP - 1]) * 0.8, 2)

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            async with adapter_running(harness, store) as (bus, venue, seen):
                cmd = _order(kind, 3, 0.1, order_type="limit", price=price)
                bus.publish(topics.command(kind), cmd)
                await venue.execution.drain()
                bus.publish(topics.command(kind), cmd)  # a replayed command
                await venue.execution.drain()
                await asyncio.sleep(0.1)
            assert harness.orders_received(f"{TRADER}-3") == 1
            assert [u.status for u in _updates(seen, f"{TRADER}-3")] == ["new"]
            assert store.order(f"{TRADER}-3").status == "new"  # type: ignore[union-attr]
        store.close()

    run(scenario())


@pytest.mark.parametrize("kind", VENUES)
def test_execution_when_store_given_records_intent_states_and_fills(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            await harness.fake.advance(1)
            async with adapter_running(harness, store) as (bus, venue, seen):
                bus.publish(topics.command(kind), _order(kind, 1))
                await venue.execution.drain()
                for _ in range(3):
                    await harness.fake.advance(1)
                    if _fills(seen, f"{TRADER}-1"):
                        break
                await wait_until(lambda: bool(_fills(seen, f"{TRADER}-1")))
                await wait_until(
                    lambda: any(u.status == "filled" for u in _updates(seen, f"{TRADER}-1"))
                )
                await asyncio.sleep(0.1)
            assert [u.status for u in _updates(seen, f"{TRADER}-1")] == ["new", "filled"]
            assert len(_fills(seen, f"{TRADER}-1")) == 1
            row = store.order(f"{TRADER}-1")
            assert row is not None and row.status == "filled" and row.venue_order_id
            assert row.filled_qty == pytest.approx(0.05) and row.avg_price
            stored = store.fills(f"{TRADER}-1")
            assert len(stored) == 1 and stored[0].fill_id == _fills(seen, f"{TRADER}-1")[0].fill_id
        store.close()

    run(scenario())


@pytest.mark.parametrize("kind", VENUES)
def test_execution_when_create_times_out_and_exchange_never_got_it_rejects_once_after_asking(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A create request that times out says nothing about the order: the adapter asks the
    exchange by client order id (retrying while the network is slow) before it publishes
    `rejected`, once, and records it. (The fakes drop a request whose client went away, so the
    "exchange took it after all" branch cannot be staged here.)"""
    price = round(float(bars[SYMBOL].close[WARMUP - 1]) * 0.8, 2)

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            async with adapter_running(harness, store) as (bus, venue, seen):
                venue.execution._client.timeout = 150  # ms; the fake answers after 400
                harness.fake.faults.rest_latency_ms = 400.0
                cmd = _order(kind, 5, 0.1, order_type="limit", price=price)
                bus.publish(topics.command(kind), cmd)
                await venue.execution.drain()
                harness.fake.faults.rest_latency_ms = 0.0
                await asyncio.sleep(0.1)
            updates = _updates(seen, f"{TRADER}-5")
            assert [u.status for u in updates] == ["rejected"]
            assert harness.orders_received(f"{TRADER}-5") == 0
            assert store.order(f"{TRADER}-5").status == "rejected"  # type: ignore[union-attr]
        store.close()

    run(scenario())
    assert f"order {TRADER}-5 unanswered" in caplog.text
    assert f"cannot ask about {TRADER}-5" in caplog.text


@pytest.mark.parametrize("kind", VENUES)
def test_reconcile_when_pending_intent_reached_exchange_publishes_its_real_state(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    """The crash came after the request left but before its answer was recorded: the intent is
    "pending" in the store and the order rests on the exchange. Reconcile publishes `new` (not
    `rejected`) and does not send it again."""
    price = round(float(bars[SYMBOL].close[WARMUP - 1]) * 0.8, 2)

    async def scenario() -> None:
        store = open_store("", tmp_path)
        cmd = _order(kind, 4, 0.1, order_type="limit", price=price)
        async with fake_of(kind, bars) as harness:
            store.record_intent(cmd, 1)  # written, then sent by a process that died unanswered
            async with adapter_running(harness, None) as (_bus, venue, _seen):
                await venue.execution.submit(cmd)
            async with adapter_running(harness, store) as (_bus, _venue, seen):
                await asyncio.sleep(0.1)
            assert [u.status for u in _updates(seen, f"{TRADER}-4")] == ["new"]
            assert harness.orders_received(f"{TRADER}-4") == 1
            row = store.order(f"{TRADER}-4")
            assert row is not None and row.status == "new" and row.venue_order_id
        store.close()

    run(scenario())


async def _sent_then_filled_while_down(harness: Harness, store: OrderStore, kind: str) -> Any:
    """Order 1 sent by an adapter that then stops; it fills on the exchange while the process
    is down. Returns its record as the store has it (acknowledged, nothing filled)."""
    coid = f"{TRADER}-1"
    await harness.fake.advance(1)
    async with adapter_running(harness, store) as (bus, venue, _seen):
        bus.publish(topics.command(kind), _order(kind, 1))
        await venue.execution.drain()
    for _ in range(3):
        if not harness.order_open(coid):
            break
        await harness.fake.advance(1)
    assert not harness.order_open(coid)
    record = store.order(coid)
    assert record is not None
    return record


@pytest.mark.parametrize("kind", VENUES)
def test_reconcile_when_order_finished_but_its_fill_never_stored_publishes_the_fill_once(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The process wrote an order's `filled` state (order stream) and stopped before its fill
    (trade stream) was written. The order is finished, so the unfinished-order pass skips it;
    reconcile still fetches its trades and publishes the missing fill, once."""
    caplog.set_level(logging.INFO)
    coid = f"{TRADER}-1"

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            record = await _sent_then_filled_while_down(harness, store, kind)
            assert record.status == "new" and record.venue_order_id
            # what the order stream got written before the stop; the fill row never was
            filled = OrderUpdate(
                TRADER, kind, SYMBOL, record.updated_ms + 1, coid, "filled", "buy",  # type: ignore[arg-type]
                "market", 0.05, filled_qty=0.05, venue_order_id=record.venue_order_id,
            )  # fmt: skip
            assert store.record_update(filled, 0)
            assert store.unfinished(kind) == [] and store.fills(coid) == []

            async with adapter_running(harness, store) as (_bus, _venue, seen):
                await asyncio.sleep(0.2)  # room for a duplicate
            fills = _fills(seen, coid)
            assert [(f.side, f.qty) for f in fills] == [("buy", pytest.approx(0.05))]
            assert _updates(seen, coid) == []  # its state was known: not published again
            assert len(store.fills(coid)) == 1 and store.short_of_fills(kind) == []

            async with adapter_running(harness, store) as (_bus, _venue, again):
                await asyncio.sleep(0.1)
            assert again == []
        store.close()

    run(scenario())
    assert f"order {coid} is filled with 0.05 filled, more than its fills in the store" in (
        caplog.text
    )


@pytest.mark.parametrize("kind", VENUES)
def test_reconcile_when_the_store_fails_to_record_a_fill_stops_the_start_and_publishes_nothing(
    kind: str, bars: dict[str, BarSeries], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Running, a failing store write is logged and the fill published anyway. At start it must
    not be: the traders were seeded from the store, which may already hold that fill."""
    import sqlite3

    from tradeyard.errors import VenueError

    coid = f"{TRADER}-1"

    async def scenario() -> None:
        store = open_store("", tmp_path)
        async with fake_of(kind, bars) as harness:
            await _sent_then_filled_while_down(harness, store, kind)

            def locked(_fill: Fill) -> bool:
                raise sqlite3.OperationalError("database is locked")

            monkeypatch.setattr(store, "record_fill", locked)
            bus = InProcessBus()
            seen: list[Event] = []
            bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
            venue = harness.adapter(bus, store)
            try:
                with pytest.raises(VenueError, match="the order store failed while reconciling"):
                    await venue.execution.start()
            finally:
                await venue.close()
            assert _fills(seen, coid) == []
        store.close()

    run(scenario())
