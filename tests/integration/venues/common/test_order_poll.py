"""The order poll, the safety net under a private stream that goes quiet without closing: over
real sockets to each fake exchange, with the private stream silenced (open, sending nothing),
an order's fill reaches the trader from REST within a poll interval, once; with the stream
alive the poll asks about resting orders and publishes nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import msgspec
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.store import OrderStore, open_store
from tradeyard.testkit import run, wait_until
from tradeyard.testkit.venues import Kind, local_fake, local_venue

WARMUP = 600
POLL_S = 0.3
TRADER = "trend-1"
SYMBOL = "ETHUSDT"
COID = f"{TRADER}-1"
VENUES = ["binanceusdm", "bybit"]


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), [SYMBOL])


@asynccontextmanager
async def _adapter(
    kind: Kind, bars: dict[str, BarSeries], store: OrderStore, poll_s: float
) -> AsyncIterator[tuple[Any, Any, list[Event]]]:
    """A fake, the adapter on it (started: reconciled, private stream up) and `exec.<TRADER>`."""
    async with local_fake(kind, bars, WARMUP) as fake:
        bus = InProcessBus()
        seen: list[Event] = []
        bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
        venue = local_venue(kind, bus, fake, symbols=[SYMBOL], order_poll_s=poll_s)
        venue.attach_store(store)
        try:
            await venue.execution.start()
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
            yield fake, venue, seen
        finally:
            await venue.close()


def _order(kind: Kind, order_type: str = "market", price: float | None = None) -> SubmitOrder:
    return SubmitOrder(
        TRADER,
        kind,
        SYMBOL,
        0,
        COID,
        "buy",
        order_type,
        0.05,
        price=price,  # type: ignore[arg-type]
    )


def _fills(seen: list[Event]) -> list[Fill]:
    return [e for e in seen if isinstance(e, Fill) and e.client_order_id == COID]


def _statuses(seen: list[Event]) -> list[str]:
    return [e.status for e in seen if isinstance(e, OrderUpdate) and e.client_order_id == COID]


async def _fill_with_silent_stream(
    kind: Kind, bars: dict[str, BarSeries], tmp_path: Path, poll_s: float, wait_s: float
) -> tuple[list[Event], int]:
    store = open_store("", tmp_path)
    try:
        async with _adapter(kind, bars, store, poll_s) as (fake, venue, seen):
            assert fake.hub.silence([c for c in fake.hub.clients if c.kind == "user"]) >= 1
            assert (await venue.execution.submit(_order(kind))).status == "new"
            await fake.advance(1)  # the market order fills on the exchange
            with contextlib.suppress(TimeoutError):
                await wait_until(lambda: bool(_fills(seen)), timeout_s=wait_s)
            await asyncio.sleep(3 * poll_s if poll_s else 0.0)  # room for a duplicate
            poll = venue.execution.order_poll
            return list(seen), (poll.caught if poll is not None else 0)
    finally:
        store.close()


@pytest.mark.parametrize("kind", VENUES)
def test_order_poll_when_private_stream_is_silent_publishes_the_fill_once(
    kind: Kind, bars: dict[str, BarSeries], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    seen, caught = run(_fill_with_silent_stream(kind, bars, tmp_path, POLL_S, wait_s=5.0))
    fills = _fills(seen)
    assert [(f.side, f.qty) for f in fills] == [("buy", pytest.approx(0.05))]
    assert _statuses(seen) == ["new", "filled"]
    assert caught == 1
    assert any(
        f"order {COID} is filled with 1 new fill(s) the private stream did not report" in r.message
        for r in caplog.records
    ), caplog.text


@pytest.mark.parametrize("kind", VENUES)
def test_order_poll_when_off_the_silent_stream_loses_the_fill(
    kind: Kind, bars: dict[str, BarSeries], tmp_path: Path
) -> None:
    # the control: without the poll the trader never hears of the fill
    seen, _ = run(_fill_with_silent_stream(kind, bars, tmp_path, 0.0, wait_s=1.5))
    assert _fills(seen) == [] and _statuses(seen) == ["new"]


@pytest.mark.parametrize("order_type", ["limit", "stop"])
@pytest.mark.parametrize("kind", VENUES)
def test_order_poll_when_stream_alive_asks_about_resting_orders_but_publishes_nothing_twice(
    kind: Kind,
    order_type: str,
    bars: dict[str, BarSeries],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # a stop is a conditional order (Binance: the algo API): asked about the same way
    caplog.set_level(logging.WARNING)

    async def scenario() -> tuple[list[Event], int, int]:
        store = open_store("", tmp_path)
        try:
            async with _adapter(kind, bars, store, 0.2) as (_fake, venue, seen):
                last = float(bars[SYMBOL].close[WARMUP])
                if order_type == "limit":
                    order = _order(kind, "limit", round(last * 0.8, 2))  # a buy far below: rests
                else:  # a buy stop far above: never triggers
                    order = msgspec.structs.replace(
                        _order(kind, "stop"), trigger_price=round(last * 1.25, 2)
                    )
                assert (await venue.execution.submit(order)).status == "new"
                await asyncio.sleep(1.2)  # several poll intervals
                poll = venue.execution.order_poll
                assert poll is not None
                return list(seen), poll.caught, poll.asked
        finally:
            store.close()

    seen, caught, asked = run(scenario())
    assert asked >= 3  # once quiet, the resting order is asked about once per interval
    assert _statuses(seen) == ["new"]
    assert caught == 0
    assert "did not report" not in caplog.text
