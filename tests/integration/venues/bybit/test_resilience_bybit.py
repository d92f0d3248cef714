"""The Bybit adapter under the faults the issue names, against the real local fake over sockets
(ccxt unmocked): a wrong secret, a 10006 storm, the per-key rate limit, clock drift,
insufficient margin and the other order rejections. Each produces its documented behaviour
(docs/resilience.md) and a clear log line, and the adapter keeps working.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ccxt
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar, CancelOrder, Event, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues.bybit import BybitConfig, BybitVenue, build_venue
from tradeyard.venues.bybit.errors import from_ccxt, rejection_reason
from tradeyard.venues.fakes.bybit import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBybit,
    FakeBybitConfig,
)

WARMUP = 600
TRADER = "trend-1"
VENUE = "bybit"
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
ENV = {"BYBIT_API_KEY": DEFAULT_API_KEY, "BYBIT_API_SECRET": DEFAULT_API_SECRET}
WRONG_SECRET_ENV = {"BYBIT_API_KEY": DEFAULT_API_KEY, "BYBIT_API_SECRET": "not-the-secret"}


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


def _fake_config(**kw: Any) -> FakeBybitConfig:
    return FakeBybitConfig(substeps=2, warmup_bars=WARMUP, **{"rate_limit": 100, **kw})


@asynccontextmanager
async def running(
    bars: dict[str, BarSeries],
    env: dict[str, str] = ENV,
    fake_config: FakeBybitConfig | None = None,
    *,
    wait_private: bool = True,
    **venue_config: Any,
) -> AsyncIterator[tuple[FakeBybit, InProcessBus, BybitVenue, list[Event]]]:
    """A fake, a venue with execution started, `exec.<TRADER>`'s events (and the bars on `md.>`
    appended to the same list once market data is started)."""
    async with FakeBybit(fake_config or _fake_config(), bars, {}) as fake:
        bus = InProcessBus()
        seen: list[Event] = []
        bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
        bus.subscribe("md.>", lambda _t, e: seen.append(e))
        config = BybitConfig(
            environment="local", rest_url=fake.rest_url, public_ws_url=fake.public_ws_url,
            private_ws_url=fake.private_ws_url, rate_limit=False, reconnect_delay_s=0.05,
            symbols=SYMBOLS, warmup_bars=2, **venue_config,
        )  # fmt: skip
        venue = build_venue(bus, config, env)
        try:
            await venue.execution.start()
            if wait_private:
                await wait_until(lambda: _private_ready(fake))
            yield fake, bus, venue, seen
        finally:
            await venue.close()


def _private_ready(fake: FakeBybit) -> bool:
    return any(c.kind == "user" and {"order", "execution"} <= c.streams for c in fake.hub.clients)


def _order(symbol: str, qty: float, seq: int = 1, **kw: Any) -> SubmitOrder:
    return SubmitOrder(
        TRADER, VENUE, symbol, 0, f"{TRADER}-{seq}", kw.pop("side", "buy"),
        kw.pop("order_type", "market"), qty, **kw,
    )  # fmt: skip


def _updates(seen: list[Event]) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate)]


def _first_status(seen: list[Event]) -> list[tuple[str, str]]:
    """(client order id, first status) per order, in order of first appearance."""
    out: dict[str, str] = {}
    for u in _updates(seen):
        out.setdefault(u.client_order_id, u.status)
    return list(out.items())


def _messages(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


async def _submit(bus: InProcessBus, venue: BybitVenue, order: SubmitOrder) -> None:
    bus.publish(topics.command(VENUE), order)
    await venue.execution.drain()


def test_bybit_adapter_when_secret_is_wrong_logs_key_problem_and_rejects_orders_clearly(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars, WRONG_SECRET_ENV, wait_private=False) as (fake, bus, venue, seen):
            await venue.market_data.start()  # public data needs no signature: it keeps working
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
            await fake.advance(1)
            await wait_until(lambda: sum(isinstance(e, Bar) for e in seen) >= 2 * 2 + 2)
        rejected = [u for u in _updates(seen) if u.status == "rejected"]
        assert [u.client_order_id for u in rejected] == [f"{TRADER}-1", f"{TRADER}-2"]
        assert all(u.reason.startswith("bad_signature: bybit 10004 error sign!") for u in rejected)

    run(scenario())
    errors = _messages(caplog, logging.ERROR)
    assert any(
        "refused the API credentials" in m and "bad signature (10004" in m
        and "$BYBIT_API_SECRET" in m
        for m in errors
    ), errors  # fmt: skip


def test_bybit_rest_when_10006_storm_waits_reset_then_order_succeeds(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            fake.faults.storm_429 = 3
            await _submit(bus, venue, _order("ETHUSDT", 0.05))
            assert fake.faults.storm_429 == 0
            assert venue.execution._client.rate_limit_waits == 3
        assert _first_status(seen) == [(f"{TRADER}-1", "new")]

    run(scenario())
    waits = [m for m in _messages(caplog, logging.WARNING) if "rate limited (10006)" in m]
    assert len(waits) == 3
    assert waits[0].startswith("bybit: rate limited (10006) on POST v5/order/create, retrying in")
    assert waits[0].endswith("(attempt 2/5)") and waits[2].endswith("(attempt 4/5)")


def test_bybit_rest_when_key_limit_exceeded_by_a_burst_every_order_goes_through(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars, fake_config=_fake_config(rate_limit=3)) as (
            _fake, bus, venue, seen,
        ):  # fmt: skip
            for seq in range(1, 9):
                bus.publish(topics.command(VENUE), _order("ETHUSDT", 0.01, seq=seq))
            await venue.execution.drain()
            assert venue.execution._client.rate_limit_waits >= 1
        firsts = _first_status(seen)
        assert len(firsts) == 8 and all(status != "rejected" for _coid, status in firsts)

    run(scenario())
    assert any("rate limited (10006)" in m for m in _messages(caplog, logging.WARNING))


def test_bybit_rest_when_clock_drifts_resyncs_time_and_order_succeeds(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            client = venue.execution._client
            client.options["timeDifference"] = 120_000  # we sign two minutes in the past
            await _submit(bus, venue, _order("ETHUSDT", 0.05))
            assert abs(client.options["timeDifference"]) < 5_000
            assert client.clock_resyncs == 1
        assert _first_status(seen) == [(f"{TRADER}-1", "new")]

    run(scenario())
    assert any("timestamp outside the venue's recv window" in m and "10002" in m
               for m in _messages(caplog))  # fmt: skip


def test_bybit_execution_when_margin_insufficient_rejects_then_next_order_works(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            await _submit(bus, venue, _order("BTCUSDT", 5.0, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
        firsts = _first_status(seen)
        assert firsts == [(f"{TRADER}-1", "rejected"), (f"{TRADER}-2", "new")]
        rejected = _updates(seen)[0]
        assert rejected.reason == "insufficient_margin: bybit 110007 ab not enough for new order"

    run(scenario())
    assert any(
        "order trend-1-1 rejected" in m and "110007" in m and "not enough available balance" in m
        for m in _messages(caplog, logging.WARNING)
    )


@pytest.mark.parametrize(
    ("code", "msg", "reason"),
    [
        (110007, None, "insufficient_margin: bybit 110007 ab not enough for new order"),
        (110094, None, "min_notional: bybit 110094 Order does not meet minimum order value"),
        (10001, "Qty invalid: too many decimals", "precision: bybit 10001 Qty invalid"),
        (110072, None, "duplicate_order_id: bybit 110072 OrderLinkedID is duplicate"),
    ],
    ids=["margin", "min-notional", "precision", "duplicate-id"],
)
def test_bybit_execution_when_venue_rejects_with_code_publishes_clear_reason(
    bars, code: int, msg: str | None, reason: str
) -> None:
    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            fake.faults.reject_next_order(code, msg)
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
        assert [s for _c, s in _first_status(seen)] == ["rejected", "new"]
        assert _updates(seen)[0].reason.startswith(reason), _updates(seen)[0].reason

    run(scenario())


def test_bybit_cancel_when_order_unknown_maps_to_unknown_order_and_logs(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            client = venue.execution._client
            with pytest.raises(ccxt.BaseError) as info:
                await client.cancel_order(None, "ETH/USDT:USDT", {"orderLinkId": f"{TRADER}-404"})
            err = from_ccxt(info.value, client_order_id=f"{TRADER}-404")
            assert rejection_reason(err).startswith("unknown_order: bybit 110001")
            bus.publish(
                topics.command(VENUE), CancelOrder(TRADER, VENUE, "ETHUSDT", 0, f"{TRADER}-404")
            )
            await venue.execution.drain()
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))  # still trading
        assert _first_status(seen) == [(f"{TRADER}-1", "new")]

    run(scenario())
    assert any("cancel of trend-1-404 failed" in m and "110001" in m for m in _messages(caplog))
