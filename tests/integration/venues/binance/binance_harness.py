"""What the Binance adapter tests share: the adapter on a local fake, and orders of one trader."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from tradeyard.bus import InProcessBus
from tradeyard.events import Event, SubmitOrder, topics
from tradeyard.store import OrderStore
from tradeyard.testkit import wait_until
from tradeyard.testkit.venues import local_venue
from tradeyard.venues.fakes.binance import FakeBinance

TRADER = "trend-1"
VENUE = "binanceusdm"
SYMBOL = "ETHUSDT"


@asynccontextmanager
async def adapter(
    fake: FakeBinance, store: OrderStore | None = None, *, start: bool = True, **config: Any
) -> AsyncIterator[tuple[Any, list[Event]]]:
    """The Binance adapter on `fake` (execution started and its user stream up when `start`,
    reconciled with `store` when given) and the events it publishes on `exec.<TRADER>`."""
    bus = InProcessBus()
    seen: list[Event] = []
    bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
    venue = local_venue(VENUE, bus, fake, symbols=[SYMBOL], **config)
    venue.attach_store(store)
    try:
        if start:
            await venue.execution.start()
            await wait_until(lambda: any(c.kind == "user" for c in fake.hub.clients))
        else:
            await venue.execution.load_markets()
        yield venue, seen
    finally:
        await venue.close()


def order(seq: int, order_type: str = "market", side: str = "buy", **kw: Any) -> SubmitOrder:
    """TRADER's order `<TRADER>-<seq>` on SYMBOL (0.05 unless `qty` is given)."""
    return SubmitOrder(
        TRADER, VENUE, SYMBOL, 0, f"{TRADER}-{seq}", side, order_type,  # type: ignore[arg-type]
        kw.pop("qty", 0.05), **kw,
    )  # fmt: skip
