"""The Binance adapter under the faults the issue names, against the real local fake over
sockets (ccxt unmocked): a wrong secret, an expired listen key, a 429 storm, a 418 ban, clock
drift, insufficient margin and the other order rejections. Each produces its documented
behaviour (docs/resilience.md) and a clear log line, and the adapter keeps working.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import ccxt
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.events import Bar, CancelOrder, Event, Fill, OrderUpdate, SubmitOrder, topics
from tradeyard.marketdata import BarSeries, bundled_bars_dir, load_bars
from tradeyard.testkit import run, wait_until
from tradeyard.venues.binance import BinanceConfig, BinanceVenue, build_venue
from tradeyard.venues.binance.errors import from_ccxt, rejection_reason
from tradeyard.venues.fakes.binance import (
    DEFAULT_API_KEY,
    DEFAULT_API_SECRET,
    FakeBinance,
    FakeBinanceConfig,
)

WARMUP = 600
TRADER = "trend-1"
VENUE = "binanceusdm"
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
ENV = {"BINANCE_API_KEY": DEFAULT_API_KEY, "BINANCE_API_SECRET": DEFAULT_API_SECRET}
WRONG_SECRET_ENV = {"BINANCE_API_KEY": DEFAULT_API_KEY, "BINANCE_API_SECRET": "not-the-secret"}


@pytest.fixture(scope="module")
def bars() -> dict[str, BarSeries]:
    return load_bars(bundled_bars_dir(), SYMBOLS)


@asynccontextmanager
async def running(
    bars: dict[str, BarSeries],
    env: dict[str, str] = ENV,
    fake_config: FakeBinanceConfig | None = None,
    **venue_config: Any,
) -> AsyncIterator[tuple[FakeBinance, InProcessBus, BinanceVenue, list[Event]]]:
    """A fake, a venue with execution started (user stream connected), `exec.<TRADER>`'s events
    (and the bars on `md.>` appended to the same list once market data is started)."""
    fake_config = fake_config or FakeBinanceConfig(substeps=2, warmup_bars=WARMUP)
    async with FakeBinance(fake_config, bars) as fake:
        bus = InProcessBus()
        seen: list[Event] = []
        bus.subscribe(topics.execution(TRADER), lambda _t, e: seen.append(e))
        bus.subscribe("md.>", lambda _t, e: seen.append(e))
        config = BinanceConfig(
            environment="local", rest_url=fake.rest_url, ws_url=fake.ws_url, rate_limit=False,
            reconnect_delay_s=0.05, symbols=SYMBOLS, warmup_bars=2, **venue_config,
        )  # fmt: skip
        venue = build_venue(bus, config, env)
        try:
            await venue.execution.start()
            await wait_until(lambda: _user_sockets(fake) >= 1)
            yield fake, bus, venue, seen
        finally:
            await venue.close()


def _user_sockets(fake: FakeBinance) -> int:
    return sum(1 for c in fake.hub.clients if c.kind == "user")


def _listen_keys(fake: FakeBinance) -> set[str | None]:
    return {c.listen_key for c in fake.hub.clients if c.kind == "user"}


def _order(symbol: str, qty: float, seq: int = 1, **kw: Any) -> SubmitOrder:
    return SubmitOrder(
        TRADER, VENUE, symbol, 0, f"{TRADER}-{seq}", kw.pop("side", "buy"),
        kw.pop("order_type", "market"), qty, **kw,
    )  # fmt: skip


def _updates(seen: list[Event]) -> list[OrderUpdate]:
    return [e for e in seen if isinstance(e, OrderUpdate)]


def _messages(caplog: pytest.LogCaptureFixture, level: int = logging.DEBUG) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= level]


async def _submit(bus: InProcessBus, venue: BinanceVenue, order: SubmitOrder) -> None:
    bus.publish(topics.command(VENUE), order)
    await venue.execution.drain()


def test_binance_adapter_when_secret_is_wrong_logs_key_problem_and_rejects_orders_clearly(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars, WRONG_SECRET_ENV) as (fake, bus, venue, seen):
            await venue.market_data.start()  # public data needs no signature: it keeps working
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
            await fake.advance(1)
            await wait_until(lambda: sum(isinstance(e, Bar) for e in seen) >= 2 * 2 + 2)
        rejected = [u for u in _updates(seen) if u.status == "rejected"]
        assert [u.client_order_id for u in rejected] == [f"{TRADER}-1", f"{TRADER}-2"]
        assert all(
            u.reason == "bad_signature: binance -1022 Signature for this request is not valid."
            for u in rejected
        )

    run(scenario())
    errors = _messages(caplog, logging.ERROR)
    assert any(
        "refused the API credentials" in m
        and "bad signature (-1022" in m
        and "$BINANCE_API_SECRET" in m
        for m in errors
    ), errors
    assert any("rejected" in m and "check the API secret" in m for m in _messages(caplog))


def test_binance_user_stream_when_listen_key_expires_gets_new_key_and_updates_keep_flowing(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            (old_key,) = _listen_keys(fake)
            assert await fake.expire_listen_keys() == 1
            await wait_until(lambda: _user_sockets(fake) >= 1 and old_key not in _listen_keys(fake))
            assert venue.execution._client.listen_key_renewals == 1
            await _submit(bus, venue, _order("ETHUSDT", 0.05))
            await fake.advance(1)
            await wait_until(lambda: any(u.status == "filled" for u in _updates(seen)))
            await wait_until(lambda: any(isinstance(e, Fill) for e in seen))
        assert [u.status for u in _updates(seen)] == ["new", "filled"]

    run(scenario())
    messages = _messages(caplog)
    assert any("listen key expired" in m and "requesting a new one" in m for m in messages)
    assert any("got a new listen key" in m for m in messages)


def test_binance_user_stream_when_key_expired_while_disconnected_gets_new_key(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (fake, _bus, venue, _seen):
            (old_key,) = _listen_keys(fake)
            fake.listen_keys.remove(str(old_key))  # expired without the event reaching us
            await fake.drop_websockets("abort")  # the redial of the old key is refused
            await wait_until(
                lambda: _user_sockets(fake) >= 1 and old_key not in _listen_keys(fake),
                timeout_s=10.0,
            )
            assert venue.execution._client.listen_key_renewals >= 1

    run(scenario())
    assert any("user-stream connection was refused" in m for m in _messages(caplog))


def test_binance_rest_when_429_storm_waits_retry_after_then_order_succeeds(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            fake.faults.storm_retry_after_s = 1
            fake.faults.storm_429 = 2
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await _submit(bus, venue, _order("ETHUSDT", 0.05))
            elapsed = loop.time() - t0
            assert fake.faults.storm_429 == 0
            assert elapsed >= 1.9  # two Retry-After: 1 waits
            assert venue.execution._client.rate_limit_waits == 2
        assert [u.status for u in _updates(seen)] == ["new"]

    run(scenario())
    waits = [m for m in _messages(caplog, logging.WARNING) if "rate limited (429" in m]
    assert len(waits) == 2
    assert waits[0].startswith("binanceusdm: rate limited (429, code -1003) on POST order")
    assert "retrying in 1.0s (attempt 2/5)" in waits[0]
    assert "(attempt 3/5)" in waits[1]


def test_binance_rest_when_retry_after_exceeds_max_wait_rejects_with_rate_limited_reason(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars, rest_max_wait_s=0.5) as (fake, bus, venue, seen):
            fake.faults.storm_retry_after_s = 5
            fake.faults.storm_429 = 1
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))  # the storm is over
        statuses = [(u.client_order_id, u.status) for u in _updates(seen)]
        assert statuses == [(f"{TRADER}-1", "rejected"), (f"{TRADER}-2", "new")]
        assert _updates(seen)[0].reason.startswith("rate_limited: binance -1003")

    run(scenario())
    assert any("more than the 0s the adapter waits" in m or "asks to wait 5s" in m
               for m in _messages(caplog, logging.ERROR))  # fmt: skip


def test_binance_rest_when_ip_banned_418_waits_retry_after_and_recovers(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_config = FakeBinanceConfig(
        substeps=2, warmup_bars=WARMUP, weight_limit=12, weight_window_s=1.0, ban_after=0,
        ban_s=1.0,
    )  # fmt: skip

    async def scenario() -> None:
        async with running(bars, fake_config=fake_config) as (_fake, _bus, venue, _seen):
            client = venue.execution._client
            await asyncio.sleep(1.0)  # a fresh weight window (start-up requests counted)
            for _ in range(5):  # 5 x weight 5 > 2 windows x 12: at least one is refused
                await client.fetch_balance()
            assert client.rate_limit_waits >= 1

    run(scenario())
    waits = [m for m in _messages(caplog, logging.WARNING) if "rate limited (418 IP ban)" in m]
    assert waits and "retrying in 1.0s (attempt 2/5)" in waits[0]


def test_binance_rest_when_clock_drifts_resyncs_time_and_order_succeeds(
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
        assert [u.status for u in _updates(seen)] == ["new"]

    run(scenario())
    messages = _messages(caplog)
    assert any("timestamp outside the venue's recv window" in m and "-1021" in m
               for m in messages)  # fmt: skip
    assert any("clock resynced" in m for m in messages)


def test_binance_execution_when_margin_insufficient_rejects_then_next_order_works(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            await _submit(bus, venue, _order("BTCUSDT", 5.0, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
        updates = _updates(seen)
        assert [(u.client_order_id, u.status) for u in updates] == [
            (f"{TRADER}-1", "rejected"), (f"{TRADER}-2", "new"),
        ]  # fmt: skip
        assert updates[0].reason == "insufficient_margin: binance -2019 Margin is insufficient."

    run(scenario())
    assert any(
        "order trend-1-1 rejected" in m and "-2019" in m and "not enough free margin" in m
        for m in _messages(caplog, logging.WARNING)
    )


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (-1111, "precision: binance -1111 Precision is over the maximum defined for this asset."),
        (-4014, "precision: binance -4014 Price not increased by tick size."),
        (-4023, "precision: binance -4023 Qty not increased by step size."),
        (-4164, "min_notional: binance -4164 Order's notional must be no smaller than"),
        (-2019, "insufficient_margin: binance -2019 Margin is insufficient."),
        (-4116, "duplicate_order_id: binance -4116 ClientOrderId is duplicated."),
    ],
    ids=["precision", "tick", "step", "min-notional", "margin", "duplicate-id"],
)
def test_binance_execution_when_venue_rejects_with_code_publishes_clear_reason(
    bars, code: int, reason: str
) -> None:
    async def scenario() -> None:
        async with running(bars) as (fake, bus, venue, seen):
            fake.faults.reject_next_order(code)
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=2))
        updates = _updates(seen)
        assert [u.status for u in updates] == ["rejected", "new"]
        assert updates[0].reason.startswith(reason), updates[0].reason

    run(scenario())


def test_binance_cancel_when_order_unknown_maps_to_unknown_order_and_logs(
    bars, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)

    async def scenario() -> None:
        async with running(bars) as (_fake, bus, venue, seen):
            client = venue.execution._client
            with pytest.raises(ccxt.BaseError) as info:
                await client.cancel_order(
                    None, "ETH/USDT:USDT", {"origClientOrderId": f"{TRADER}-404"}
                )
            err = from_ccxt(info.value, client_order_id=f"{TRADER}-404")
            assert rejection_reason(err) == "unknown_order: binance -2011 Unknown order sent."
            bus.publish(
                topics.command(VENUE), CancelOrder(TRADER, VENUE, "ETHUSDT", 0, f"{TRADER}-404")
            )
            await venue.execution.drain()
            await _submit(bus, venue, _order("ETHUSDT", 0.05, seq=1))  # still trading
        assert [u.status for u in _updates(seen)] == ["new"]

    run(scenario())
    assert any("cancel of trend-1-404 failed" in m and "-2011" in m for m in _messages(caplog))


@pytest.mark.parametrize("budget", [True, False])
def test_binance_rest_when_reads_near_the_weight_limit_they_wait_for_the_next_window(
    bars, caplog: pytest.LogCaptureFixture, budget: bool
) -> None:
    """A burst of account reads (weight 5 each) against a 60-a-window limit. With the budget,
    reads pause at 80 % until the window turns and the venue never answers 429, while an order
    sent meanwhile goes straight out; without it, the burst runs into 429s (the control)."""
    caplog.set_level(logging.INFO)
    window = 3.0
    fake_config = FakeBinanceConfig(
        substeps=2, warmup_bars=WARMUP, weight_limit=60, weight_window_s=window
    )
    limit = 60 if budget else 0
    waits: list[int] = []

    async def scenario() -> None:
        cfg = {"rest_weight_limit": limit, "rest_weight_window_s": window}
        async with running(bars, fake_config=fake_config, **cfg) as (_fake, bus, venue, seen):
            client = venue.execution._client
            await asyncio.sleep(window - time.time() % window + 0.1)  # a fresh window
            reads = asyncio.gather(*(client.fetch_balance() for _ in range(14)))
            await asyncio.sleep(0.3)  # the reads are under way (and waiting, with the budget)
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            await _submit(bus, venue, _order("ETHUSDT", 0.05))
            order_s = loop.time() - t0
            await reads
            waits.extend([client.rate_limit_waits, client.weight_waits])
            assert [u.status for u in _updates(seen)] == ["new"]
            if budget:
                assert order_s < 1.0  # not held behind the reads

    run(scenario(), timeout_s=60)
    rate_limited, held = waits
    if budget:
        assert rate_limited == 0 and held >= 1
        assert any("request weight used this window" in m for m in _messages(caplog))
    else:
        assert rate_limited >= 1 and held == 0
