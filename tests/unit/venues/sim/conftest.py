"""Shared fixtures of the simulated-venue tests: a recording publish stub and small builders.

Conventions used by every test: minute bars of BTCUSDT (bar i opens at i·60_000 ms and closes
at i·60_000 + 59_999), trader "t1" with 10,000 USDT, maker fee 0.0002, taker fee 0.0005.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from tradeyard.events import Bar, CancelOrder, Event, InstrumentSpec, SubmitOrder
from tradeyard.venues.sim import SimVenue, SimVenueConfig

E = TypeVar("E", bound=Event)

MINUTE = 60_000
BTC = InstrumentSpec(
    "BTCUSDT", tick_size=0.01, step_size=0.001, min_qty=0.001, min_notional=5.0, max_leverage=125.0
)
ETH = InstrumentSpec(
    "ETHUSDT", tick_size=0.01, step_size=0.001, min_qty=0.01, min_notional=5.0, max_leverage=100.0
)


class Collect:
    """The publish stub: records every (topic, event) pair, in order."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Event]] = []

    def __call__(self, topic: str, event: Event) -> None:
        self.events.append((topic, event))

    def of(self, kind: type[E]) -> list[E]:
        return [e for _, e in self.events if isinstance(e, kind)]

    def kinds(self) -> list[str]:
        return [type(e).__name__ for _, e in self.events]

    def clear(self) -> None:
        self.events.clear()


@pytest.fixture
def collect() -> Collect:
    return Collect()


@pytest.fixture
def make_venue(collect: Collect) -> Callable[..., SimVenue]:
    """make_venue(funding=None, balance=10_000.0, **config fields) → venue with account "t1"."""

    def make(
        funding: dict[str, list[tuple[int, float]]] | None = None,
        balance: float = 10_000.0,
        **config: Any,
    ) -> SimVenue:
        config.setdefault("instruments", {"BTCUSDT": BTC, "ETHUSDT": ETH})
        venue = SimVenue(SimVenueConfig(**config), collect, funding=funding)
        venue.open_account("t1", balance)
        collect.clear()
        return venue

    return make


@pytest.fixture
def venue(make_venue: Callable[..., SimVenue]) -> SimVenue:
    return make_venue()


@pytest.fixture
def bar() -> Callable[..., Bar]:
    """bar(i, open, high, low, close, symbol="BTCUSDT"): the i-th minute bar."""

    def make(i: int, o: float, h: float, lo: float, c: float, symbol: str = "BTCUSDT") -> Bar:
        start = i * MINUTE
        return Bar("binanceusdm", symbol, "1m", start, start + MINUTE - 1, o, h, lo, c, 1.0)

    return make


@pytest.fixture
def order() -> Callable[..., SubmitOrder]:
    """order(id, side, type, qty, price=None, trigger=None, **fields) from trader t1 to "sim"."""

    def make(
        coid: str,
        side: str,
        order_type: str,
        qty: float,
        price: float | None = None,
        trigger: float | None = None,
        **fields: Any,
    ) -> SubmitOrder:
        fields.setdefault("trader", "t1")
        fields.setdefault("symbol", "BTCUSDT")
        fields.setdefault("ts", MINUTE - 1)
        return SubmitOrder(
            venue="sim",
            client_order_id=coid,
            side=side,  # type: ignore[arg-type]
            order_type=order_type,  # type: ignore[arg-type]
            qty=qty,
            price=price,
            trigger_price=trigger,
            **fields,
        )

    return make


@pytest.fixture
def cancel() -> Callable[..., CancelOrder]:
    def make(coid: str, trader: str = "t1", ts: int = MINUTE - 1) -> CancelOrder:
        return CancelOrder(trader, "sim", "BTCUSDT", ts, coid)

    return make
