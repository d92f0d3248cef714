"""Exponential backoff with full jitter (`venues.common.backoff`), and the bar feed's re-watch
loop using it (a stub ccxt client, no sockets)."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from types import SimpleNamespace
from typing import Any

import ccxt
import pytest

from tradeyard.bus import InProcessBus
from tradeyard.venues.common.backoff import Backoff
from tradeyard.venues.common.market_data import BarFeed


def test_backoff_when_seeded_draws_within_growing_capped_ceilings() -> None:
    backoff = Backoff(0.5, cap_s=4.0, rng=random.Random(1))
    delays = [backoff.next_delay() for _ in range(7)]
    ceilings = [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0]
    assert all(0.0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert backoff.attempts == 7
    again = Backoff(0.5, cap_s=4.0, rng=random.Random(1))
    assert [again.next_delay() for _ in range(7)] == delays  # the rng makes it reproducible


def test_backoff_when_many_draws_spreads_over_the_whole_range() -> None:
    backoff = Backoff(1.0, cap_s=1.0, rng=random.Random(7))
    delays = [backoff.next_delay() for _ in range(500)]
    assert min(delays) < 0.05 and max(delays) > 0.95  # full jitter, not "ceiling ± a bit"


def test_backoff_when_reset_starts_over_from_the_base() -> None:
    backoff = Backoff(0.1, cap_s=10.0, rng=random.Random(3))
    for _ in range(5):
        backoff.next_delay()
    assert backoff.ceiling() == pytest.approx(3.2)
    backoff.reset()
    assert backoff.attempts == 0 and backoff.ceiling() == pytest.approx(0.1)


def test_backoff_when_base_is_zero_never_waits() -> None:
    backoff = Backoff(0.0)
    assert [backoff.next_delay() for _ in range(3)] == [0.0, 0.0, 0.0]


def test_backoff_when_arguments_are_invalid_raises_naming_them() -> None:
    with pytest.raises(ValueError, match="factor"):
        Backoff(1.0, factor=0.5)
    with pytest.raises(ValueError, match="base_s"):
        Backoff(-1.0)


def test_backoff_sleep_when_awaited_sleeps_the_drawn_delay() -> None:
    backoff = Backoff(0.01, rng=random.Random(5))
    expected = Backoff(0.01, rng=random.Random(5)).next_delay()
    assert asyncio.run(backoff.sleep()) == expected


class _FlakyClient:
    """`watch_ohlcv` fails `failures` times, then returns once, then fails again forever."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.calls = 0
        self.kline_sink: Any = None
        self.clients: dict[str, Any] = {}

    async def watch_ohlcv(self, _symbol: str, _interval: str) -> list[Any]:
        self.calls += 1
        if self.calls == self.failures + 1:
            return []
        raise ccxt.NetworkError("connection reset")

    async def close(self) -> None:
        return None


def test_bar_feed_when_stream_keeps_failing_rewatches_with_jittered_exponential_backoff(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING)
    config = SimpleNamespace(
        venue="stub", interval="1m", warmup_bars=0, reconnect_delay_s=0.004,
        reconnect_max_delay_s=0.02, stale_after_s=60.0, symbols=["BTCUSDT"],
    )  # fmt: skip
    client = _FlakyClient(failures=4)
    feed = BarFeed(InProcessBus(), client, config, rng=random.Random(11))

    async def scenario() -> None:
        task = asyncio.create_task(feed._keep_watching("BTCUSDT"))
        while client.calls < 8:
            await asyncio.sleep(0.001)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(asyncio.wait_for(scenario(), 10.0))
    lines = [r.getMessage() for r in caplog.records if "kline stream lost" in r.getMessage()]
    parsed = [re.search(r"re-watching in ([0-9.]+)s \(attempt (\d+)\)", m) for m in lines]
    assert all(parsed), lines
    attempts = [int(p.group(2)) for p in parsed if p]
    delays = [float(p.group(1)) for p in parsed if p]
    assert attempts[:6] == [1, 2, 3, 4, 1, 2]  # a success (call 5) starts the backoff over
    ceilings = [0.004, 0.008, 0.016, 0.02, 0.004, 0.008]
    assert all(d <= c + 0.005 for d, c in zip(delays, ceilings, strict=False))  # 2-decimal log
    assert feed.reconnects >= 6
